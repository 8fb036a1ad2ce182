// Package staff owns who the staff are and what they may do: the coaches
// (with the first name clients see and an optional backup coach), the
// project leaders and the on-call contact, read from a YAML file; and the
// staff commands (`client nieuw Sanne`, ...) as plain parsing and checks.
package staff

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Coach is a coach as clients and Mattermost know them.
type Coach struct {
	Username string `yaml:"username"` // Mattermost username
	Name     string `yaml:"name"`     // first name clients see
	Backup   string `yaml:"backup"`   // username of the backup coach
}

// Directory is the staff list.
type Directory struct {
	Coaches        []Coach  `yaml:"coaches"`
	ProjectLeaders []string `yaml:"project_leaders"`
	OnCall         string   `yaml:"on_call"`
}

// Load reads a staff file.
func Load(path string) (*Directory, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read staff file: %w", err)
	}
	return ParseDirectory(b)
}

// ParseDirectory reads a staff file's content and checks it.
func ParseDirectory(b []byte) (*Directory, error) {
	var d Directory
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("staff file: %w", err)
	}
	seen := map[string]bool{}
	for i, c := range d.Coaches {
		c.Username = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(c.Username)), "@")
		c.Backup = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(c.Backup)), "@")
		if c.Username == "" || c.Name == "" {
			return nil, fmt.Errorf("staff file: coach %d needs username and name", i+1)
		}
		if seen[c.Username] {
			return nil, fmt.Errorf("staff file: coach %s listed twice", c.Username)
		}
		seen[c.Username] = true
		d.Coaches[i] = c
	}
	for _, c := range d.Coaches {
		if c.Backup != "" && !seen[c.Backup] {
			return nil, fmt.Errorf("staff file: backup %s of %s is not a coach", c.Backup, c.Username)
		}
	}
	for i, p := range d.ProjectLeaders {
		d.ProjectLeaders[i] = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(p)), "@")
	}
	d.OnCall = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(d.OnCall)), "@")
	return &d, nil
}

// Role is what a user may do.
type Role int

// Roles.
const (
	NoRole        Role = iota // not staff: polite no, nothing happens
	CoachRole                 // sees and manages own clients
	ProjectLeader             // sees and manages all clients
)

// RoleOf returns the role of a Mattermost username.
func (d *Directory) RoleOf(username string) Role {
	if d == nil {
		return NoRole
	}
	u := strings.ToLower(username)
	for _, p := range d.ProjectLeaders {
		if p == u {
			return ProjectLeader
		}
	}
	if _, ok := d.Coach(u); ok {
		return CoachRole
	}
	return NoRole
}

// Coach finds a coach by username or, failing that, by first name.
func (d *Directory) Coach(who string) (Coach, bool) {
	if d == nil {
		return Coach{}, false
	}
	w := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(who)), "@")
	for _, c := range d.Coaches {
		if c.Username == w {
			return c, true
		}
	}
	var found []Coach
	for _, c := range d.Coaches {
		if strings.EqualFold(c.Name, w) {
			found = append(found, c)
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	return Coach{}, false
}

// CanManage says whether user may see and change a client coached by
// coachUser with backup backupUser.
func (d *Directory) CanManage(user, coachUser, backupUser string) bool {
	switch d.RoleOf(user) {
	case ProjectLeader:
		return true
	case CoachRole:
		u := strings.ToLower(user)
		return u == coachUser || u == backupUser
	}
	return false
}

// Usernames lists every staff username, sorted.
func (d *Directory) Usernames() []string {
	set := map[string]bool{}
	for _, c := range d.Coaches {
		set[c.Username] = true
	}
	for _, p := range d.ProjectLeaders {
		set[p] = true
	}
	var out []string
	for u := range set {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}
