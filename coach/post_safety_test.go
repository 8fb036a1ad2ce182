package coach

import (
	"strings"
	"testing"
	"time"

	"github.com/waakvlam/waakvlam/dialogs"
	"github.com/waakvlam/waakvlam/pipeline"
	"github.com/waakvlam/waakvlam/store"
)

// The coach reads what the bot asked a client in a crisis dialog and what
// the client answered; a voice note says it was not checked for concerns.
func TestFormatSaysWhatTheClientAnsweredAndWhatWasNotChecked(t *testing.T) {
	b := testBridge(t)
	c := store.Client{ID: "k3", FirstName: "Noor", CoachUser: "coach-piet", BackupUser: "coach-sanne"}
	at := time.Date(2026, 11, 26, 13, 5, 0, 0, time.UTC)
	tests := []struct {
		name     string
		cp       pipeline.CoachPost
		want     []string
		unwanted []string
	}{
		{"asked back", pipeline.CoachPost{Kind: dialogs.CoachSignal, Priority: true, Severity: "high", Category: "suicide", Info: dialogs.InfoAskedBack, Text: "ik zie het niet meer zitten", AlertID: "a1-k3", Time: at},
			[]string{"⚠️ **Zorgsignaal: hoog**", "@coach-piet", "vroeg Noor: _Bedoel je dat je jezelf iets wil aandoen?_", "> ik zie het niet meer zitten", "`a1-k3`"}, nil},
		{"answered yes", pipeline.CoachPost{Kind: dialogs.CoachSignal, Priority: true, Severity: "urgent", Category: "selfharm", Info: dialogs.InfoAskYes, AlertID: "a2-k3", Time: at},
			[]string{"🚨 **Zorgsignaal: urgent**", "@coach-piet", "Noor antwoordde **Ja** op de vraag _Bedoel je dat je jezelf iets wil aandoen?_", "meteen de hulpnummers", "`a2-k3`"}, nil},
		{"answered unsure", pipeline.CoachPost{Kind: dialogs.CoachSignal, Priority: true, Severity: "urgent", Category: "danger", Info: dialogs.InfoAskUnsure, Time: at},
			[]string{"**Weet ik niet** op de vraag _Ben je nu in gevaar?_"}, nil},
		{"answered no", pipeline.CoachPost{Kind: dialogs.CoachSignal, Severity: "attention", Category: "violence", Info: dialogs.InfoAskNo, Time: at},
			[]string{"🔎 **Let op**", "**Nee** op de vraag _Ben je nu in gevaar?_"}, []string{"@coach-piet", "hulpnummers"}},
		{"not safe", pipeline.CoachPost{Kind: dialogs.CoachSignal, Priority: true, Severity: "urgent", Category: "suicide", Info: dialogs.InfoNotSafe, Time: at},
			[]string{"@coach-piet", "**Nee** op de vraag _Ben je nu veilig?_", "112"}, nil},
		{"safe", pipeline.CoachPost{Kind: dialogs.CoachInfo, Category: "suicide", Info: dialogs.InfoSafe, Time: at},
			[]string{"✅ Noor antwoordde **Ja** op de vraag _Ben je nu veilig?_ · 14:05"}, []string{"@coach-piet"}},
		{"voice note", pipeline.CoachPost{Kind: dialogs.CoachMedia, Media: &dialogs.Media{Type: "voice"}, Time: at},
			[]string{"🎤 **Spraakbericht**", "Niet gecontroleerd op zorgsignalen"}, nil},
		{"voice question", pipeline.CoachPost{Kind: dialogs.CoachQuestion, Media: &dialogs.Media{Type: "voice"}, Time: at},
			[]string{"💬 **Vraag**", "Niet gecontroleerd op zorgsignalen"}, nil},
		{"photo", pipeline.CoachPost{Kind: dialogs.CoachMedia, Media: &dialogs.Media{Type: "photo"}, Text: "mijn kamer", Time: at},
			[]string{"📷 **Foto**"}, []string{"Niet gecontroleerd"}},
	}
	for _, tt := range tests {
		got := b.format(tt.cp, c, nil)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", tt.name, got, w)
			}
		}
		for _, w := range tt.unwanted {
			if strings.Contains(got, w) {
				t.Errorf("%s: %q has %q", tt.name, got, w)
			}
		}
	}
}
