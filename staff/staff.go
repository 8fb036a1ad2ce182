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
	"time"

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
	// CoachHours are when coaches work; outside them an urgent alert goes
	// straight to the on-call contact. Default: Monday to Friday 08:30-17:00.
	CoachHours Hours `yaml:"coach_hours"`
	// EscalateAfter is how long an urgent alert may wait for someone to
	// pick it up before it goes to the next person. Default 15 minutes.
	EscalateAfter time.Duration `yaml:"escalate_after"`
	// EscalateHigh gives high alerts the same timer (default: no timer).
	EscalateHigh bool `yaml:"escalate_high"`
	// Location is the time zone of the coach hours (set by the program).
	Location *time.Location `yaml:"-"`
}

// Hours is a weekly working time.
type Hours struct {
	Days  []int  `yaml:"days"`  // 1 = Monday ... 7 = Sunday
	Start string `yaml:"start"` // "08:30"
	End   string `yaml:"end"`   // "17:00"
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
	if d.EscalateAfter == 0 {
		d.EscalateAfter = 15 * time.Minute
	}
	if d.EscalateAfter < time.Minute {
		return nil, fmt.Errorf("staff file: escalate_after must be at least 1m")
	}
	if len(d.CoachHours.Days) == 0 && d.CoachHours.Start == "" {
		d.CoachHours = Hours{Days: []int{1, 2, 3, 4, 5}, Start: "08:30", End: "17:00"}
	}
	for _, day := range d.CoachHours.Days {
		if day < 1 || day > 7 {
			return nil, fmt.Errorf("staff file: coach_hours days are 1 (Monday) to 7 (Sunday)")
		}
	}
	if _, err := clock(d.CoachHours.Start); err != nil {
		return nil, fmt.Errorf("staff file: coach_hours start: %w", err)
	}
	if _, err := clock(d.CoachHours.End); err != nil {
		return nil, fmt.Errorf("staff file: coach_hours end: %w", err)
	}
	d.Location = time.UTC
	return &d, nil
}

func clock(s string) (int, error) {
	var h, m int
	if _, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || h < 0 || h > 24 || m < 0 || m > 59 {
		return 0, fmt.Errorf("%q is not a time like 08:30", s)
	}
	return h*60 + m, nil
}

// InCoachHours tells whether t falls in the coaches' working time.
func (d *Directory) InCoachHours(t time.Time) bool {
	lt := t.In(d.Location)
	wd := int(lt.Weekday())
	if wd == 0 {
		wd = 7
	}
	day := false
	for _, x := range d.CoachHours.Days {
		day = day || x == wd
	}
	start, _ := clock(d.CoachHours.Start)
	end, _ := clock(d.CoachHours.End)
	m := lt.Hour()*60 + lt.Minute()
	return day && m >= start && m < end
}

// NextCoachHours is the first moment at or after t in the coaches'
// working time: t itself in coach hours, else the next start (in a week
// at most); zero when there are no coach hours.
func (d *Directory) NextCoachHours(t time.Time) time.Time {
	if d.InCoachHours(t) {
		return t
	}
	start, _ := clock(d.CoachHours.Start)
	end, _ := clock(d.CoachHours.End)
	if start >= end {
		return time.Time{}
	}
	lt := t.In(d.Location)
	for i := 0; i <= 7; i++ {
		day := time.Date(lt.Year(), lt.Month(), lt.Day()+i, start/60, start%60, 0, 0, d.Location)
		if day.After(t) && d.InCoachHours(day) {
			return day
		}
	}
	return time.Time{}
}

// Severity levels Route understands, as package dialogs numbers them.
const (
	sevHigh   = 2
	sevUrgent = 3
)

// Route says who an alert escalates to and when the first step is due.
// In coach hours: after EscalateAfter to the backup coach, then to the
// on-call contact. Outside them: at once to the on-call contact.
func (d *Directory) Route(now time.Time, coachUser, backupUser string, sev int) ([]string, time.Time) {
	if sev < sevHigh || (sev == sevHigh && !d.EscalateHigh) {
		return nil, time.Time{}
	}
	var steps []string
	add := func(u string) {
		if u == "" || u == coachUser {
			return
		}
		for _, s := range steps {
			if s == u {
				return
			}
		}
		steps = append(steps, u)
	}
	if !d.InCoachHours(now) {
		add(d.OnCall)
		if len(steps) == 0 {
			add(backupUser)
		}
		return steps, now
	}
	add(backupUser)
	add(d.OnCall)
	return steps, now.Add(d.EscalateAfter)
}

// Interval is the time between escalation steps.
func (d *Directory) Interval() time.Duration { return d.EscalateAfter }

// Role is what a user may do.
type Role int

// Roles.
const (
	NoRole        Role = iota // not staff: polite no, nothing happens
	CoachRole                 // sees and manages own clients
	ProjectLeader             // sees and manages all clients
)

// RoleOf returns the role of a Mattermost username. Only the username
// counts: a user whose username happens to be a coach's first name has no
// role.
func (d *Directory) RoleOf(username string) Role {
	if d == nil {
		return NoRole
	}
	u := normUser(username)
	if u == "" {
		return NoRole
	}
	for _, p := range d.ProjectLeaders {
		if p == u {
			return ProjectLeader
		}
	}
	for _, c := range d.Coaches {
		if c.Username == u {
			return CoachRole
		}
	}
	return NoRole
}

func normUser(u string) string {
	return strings.TrimPrefix(strings.ToLower(strings.TrimSpace(u)), "@")
}

// Responsible says whether user may speak to and act for a client coached
// by coachUser with backup backupUser: that coach, that backup, the
// on-call contact and project leaders. Only their posts reach the client,
// only they may pick up the client's alerts and stay in its channel. By
// username only.
func (d *Directory) Responsible(user, coachUser, backupUser string) bool {
	if d == nil {
		return false
	}
	u := normUser(user)
	if u == "" {
		return false
	}
	if d.RoleOf(u) == ProjectLeader {
		return true
	}
	return u == normUser(coachUser) || u == normUser(backupUser) || u == d.OnCall
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
		u := normUser(user)
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
