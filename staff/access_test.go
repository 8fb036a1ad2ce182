package staff

import "testing"

// TestRolesAreByUsernameOnly: a Mattermost user named like a coach's first
// name (or a project leader's name with other case or spaces) gets no
// rights of that coach.
func TestRolesAreByUsernameOnly(t *testing.T) {
	d, err := ParseDirectory([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"piet", "Piet", "sanne", "", "@"} {
		if r := d.RoleOf(u); r != NoRole {
			t.Errorf("%q has role %v by a first name", u, r)
		}
		if d.CanManage(u, "coach-piet", "coach-sanne") || d.Responsible(u, "coach-piet", "coach-sanne") {
			t.Errorf("%q acts for Piet's client", u)
		}
	}
	if d.RoleOf(" @Coach-Piet ") != CoachRole || d.RoleOf("PL-Anna") != ProjectLeader {
		t.Error("usernames are matched without case and @")
	}
}

func TestResponsibleAreCoachBackupOnCallAndProjectLeaders(t *testing.T) {
	d, err := ParseDirectory([]byte(file + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	d.OnCall = "oncall-kees" // on call without being a coach or leader
	tests := []struct {
		user string
		want bool
	}{
		{"coach-piet", true},   // the coach
		{"coach-sanne", true},  // the backup
		{"oncall-kees", true},  // on call
		{"pl-anna", true},      // project leader
		{"coach-other", false}, // a colleague passing through
		{"stranger", false},
	}
	for _, tt := range tests {
		if got := d.Responsible(tt.user, "coach-piet", "coach-sanne"); got != tt.want {
			t.Errorf("%s responsible: %v, want %v", tt.user, got, tt.want)
		}
	}
	// For a client of Sanne without a backup, Piet is a colleague.
	if d.Responsible("coach-piet", "coach-sanne", "") {
		t.Error("a colleague is responsible")
	}
	var none *Directory
	if none.Responsible("coach-piet", "coach-piet", "") {
		t.Error("nil directory grants rights")
	}
}
