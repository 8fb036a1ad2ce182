package staff

import (
	"strings"
	"testing"
	"time"
)

const file = `
coaches:
  - username: "@Coach-Piet"
    name: Piet
    backup: coach-sanne
  - username: coach-sanne
    name: Sanne
project_leaders: [pl-anna]
on_call: pl-anna
`

func TestRolesAndRights(t *testing.T) {
	d, err := ParseDirectory([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		user          string
		role          Role
		manageOfPiet  bool
		manageOfOther bool
	}{
		{"coach-piet", CoachRole, true, false},
		{"coach-sanne", CoachRole, true, false}, // backup of Piet's clients
		{"pl-anna", ProjectLeader, true, true},
		{"stranger", NoRole, false, false},
	}
	for _, tt := range tests {
		if got := d.RoleOf(tt.user); got != tt.role {
			t.Errorf("%s role %v", tt.user, got)
		}
		if got := d.CanManage(tt.user, "coach-piet", "coach-sanne"); got != tt.manageOfPiet {
			t.Errorf("%s manages Piet's client: %v", tt.user, got)
		}
		if got := d.CanManage(tt.user, "coach-x", ""); got != tt.manageOfOther {
			t.Errorf("%s manages another's client: %v", tt.user, got)
		}
	}
	if c, ok := d.Coach("piet"); !ok || c.Username != "coach-piet" {
		t.Errorf("coach by first name: %+v %v", c, ok)
	}
}

func TestBadStaffFiles(t *testing.T) {
	for _, bad := range []string{
		"coaches:\n  - username: a\n",
		"coaches:\n  - {username: a, name: A}\n  - {username: a, name: B}\n",
		"coaches:\n  - {username: a, name: A, backup: b}\n",
		"coachez: []\n",
	} {
		if _, err := ParseDirectory([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestParseCommands(t *testing.T) {
	tests := []struct {
		in   string
		want Command
		bad  bool
	}{
		{"/waakvlam client nieuw Sanne", Command{Verb: VerbNew, Name: "Sanne"}, false},
		{"client nieuw Sanne coach-piet en", Command{Verb: VerbNew, Name: "Sanne", Coach: "coach-piet", Lang: "en"}, false},
		{"Client Lijst", Command{Verb: VerbList}, false},
		{"client overdragen k3m9qa coach-sanne", Command{Verb: VerbTransfer, Client: "k3m9qa", Coach: "coach-sanne"}, false},
		{"client stop Sanne", Command{Verb: VerbStop, Client: "Sanne"}, false},
		{"client code Sanne", Command{Verb: VerbCode, Client: "Sanne"}, false},
		{"", Command{Verb: VerbHelp}, false},
		{"/waakvlam help", Command{Verb: VerbHelp}, false},
		{"client nieuw", Command{}, true},
		{"client nieuw Sanne123", Command{}, true},
		{"client weg Sanne", Command{}, true},
		{"hallo", Command{}, true},
		{"client stop", Command{}, true},
	}
	for _, tt := range tests {
		got, err := ParseCommand(tt.in)
		if (err != nil) != tt.bad || (!tt.bad && got != tt.want) {
			t.Errorf("Parse(%q) = %+v, %v", tt.in, got, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("client nieuw \"Anna Maria\" coach-piet")
	f.Add("/waakvlam client overdragen x y")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCommand(s)
		if err == nil && c.Verb == VerbNew && !validName(c.Name) {
			t.Fatalf("invalid name accepted: %q", c.Name)
		}
	})
}

func TestRouteFollowsCoachHours(t *testing.T) {
	d, err := ParseDirectory([]byte(file + "escalate_after: 10m\n"))
	if err != nil {
		t.Fatal(err)
	}
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	d.Location = ams
	monday := time.Date(2026, 11, 30, 10, 0, 0, 0, ams)
	steps, first := d.Route(monday, "coach-piet", "coach-sanne", sevUrgent)
	if strings.Join(steps, ",") != "coach-sanne,pl-anna" || !first.Equal(monday.Add(10*time.Minute)) {
		t.Errorf("in hours: %v %v", steps, first)
	}
	night := time.Date(2026, 11, 30, 23, 0, 0, 0, ams)
	steps, first = d.Route(night, "coach-piet", "coach-sanne", sevUrgent)
	if strings.Join(steps, ",") != "pl-anna" || !first.Equal(night) {
		t.Errorf("at night: %v %v", steps, first)
	}
	sunday := time.Date(2026, 11, 29, 10, 0, 0, 0, ams)
	if d.InCoachHours(sunday) {
		t.Error("sunday counted as coach hours")
	}
	if steps, _ := d.Route(monday, "coach-piet", "", sevHigh); steps != nil {
		t.Errorf("high alerts have no timer by default: %v", steps)
	}
	if d.Interval() != 10*time.Minute {
		t.Errorf("interval %v", d.Interval())
	}
}

func TestExampleStaffFileParses(t *testing.T) {
	d, err := Load("../deploy/staff.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if d.RoleOf("pl-anna") != ProjectLeader || d.EscalateAfter != 15*time.Minute || len(d.CoachHours.Days) != 5 {
		t.Fatalf("example: %+v", d)
	}
}

func TestNextCoachHours(t *testing.T) {
	d, err := ParseDirectory([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	d.Location = ams
	at := func(y int, m time.Month, day, h, min int) time.Time { return time.Date(y, m, day, h, min, 0, 0, ams) }
	tests := []struct {
		name      string
		now, want time.Time
	}{
		{"in hours", at(2026, 11, 30, 10, 0), at(2026, 11, 30, 10, 0)},
		{"monday night", at(2026, 11, 30, 23, 0), at(2026, 12, 1, 8, 30)},
		{"early morning", at(2026, 12, 1, 3, 0), at(2026, 12, 1, 8, 30)},
		{"friday evening", at(2026, 12, 4, 18, 0), at(2026, 12, 7, 8, 30)},
		{"sunday", at(2026, 11, 29, 10, 0), at(2026, 11, 30, 8, 30)},
		{"over the clock change", at(2026, 10, 24, 12, 0), at(2026, 10, 26, 8, 30)},
	}
	for _, tt := range tests {
		if got := d.NextCoachHours(tt.now); !got.Equal(tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	d.CoachHours.Days = nil
	if got := d.NextCoachHours(at(2026, 11, 30, 10, 0)); !got.IsZero() {
		t.Errorf("no coach days: %v", got)
	}
}
