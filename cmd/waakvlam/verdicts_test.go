package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/waakvlam/waakvlam/internal/redistest"
	"github.com/waakvlam/waakvlam/store"
)

// The export prints the coaches' verdicts as corpus lines: the label the
// coach gave, one line per message, old verdicts left out, and a worrying
// post without a category as a comment for a person to finish.
func TestExportVerdictsPrintsCorpusLines(t *testing.T) {
	addr := redistest.Addr(t)
	rdb := redistest.Client(t)
	s := testStore(t, rdb) // sealed as serve seals, under testKey
	for _, id := range []string{"c1", "c2", "c3"} {
		if err := s.CreateClient(context.Background(), store.Client{ID: id, FirstName: "F", Coach: "Piet"}); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	for _, v := range []store.Verdict{
		{PostID: "p1", ClientID: "c1", Kind: store.VerdictRight, At: now.Add(-time.Hour), Text: "ik wil dood",
			Severity: "urgent", Category: "suicide", LabelSeverity: "urgent", LabelCategory: "suicide"},
		{PostID: "p2", ClientID: "c2", Kind: store.VerdictWrong, At: now.Add(-2 * time.Hour), Text: "die film was\tdodelijk\nsaai",
			Severity: "urgent", Category: "suicide", LabelSeverity: "none"},
		{PostID: "p3", ClientID: "c1", Kind: store.VerdictMissed, At: now.Add(-3 * time.Hour), Text: "hij slaat me weer",
			Severity: "none", LabelSeverity: "high", LabelCategory: "violence"},
		{PostID: "p4", ClientID: "c3", Kind: store.VerdictMissed, At: now.Add(-4 * time.Hour), Text: "ik geef mijn spullen weg",
			Severity: "none", LabelSeverity: "high"},
		{PostID: "p5", ClientID: "c3", Kind: store.VerdictUnder, At: now.Add(-5 * time.Hour), Text: "ik heb geen eten meer",
			Severity: "attention", Category: "money", LabelSeverity: "high", LabelCategory: "money"},
		{PostID: "p6", ClientID: "c3", Kind: store.VerdictRight, At: now.Add(-800 * time.Hour), Text: "te oud",
			Severity: "high", Category: "money", LabelSeverity: "high", LabelCategory: "money"},
	} {
		if _, err := s.RecordVerdict(context.Background(), v); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"WAAKVLAM_REDIS_URL": "redis://" + addr, "WAAKVLAM_DATA_KEY": testKey, "WAAKVLAM_TELEGRAM_TOKEN": "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
	code, out, errOut := runCmd(t, env, "", "signals", "export-verdicts")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{
		"high\tmoney\tik heb geen eten meer",
		"#? high\t?\tik geef mijn spullen weg",
		"high\tviolence\thij slaat me weer",
		"none\t-\tdie film was dodelijk saai",
		"urgent\tsuicide\tik wil dood",
	}
	if !strings.HasPrefix(lines[0], "# ") || strings.Join(lines[1:], "\n") != strings.Join(want, "\n") {
		t.Fatalf("export =\n%s\nwant after the header:\n%s", out, strings.Join(want, "\n"))
	}
	if !strings.Contains(errOut, "5 verdicts (1 right, 1 wrong, 1 under, 2 missed)") || !strings.Contains(errOut, "1 need a category") {
		t.Fatalf("summary = %q", errOut)
	}
	code, out, _ = runCmd(t, env, "", "signals", "export-verdicts", "-since", "90m")
	if code != 0 || !strings.HasSuffix(strings.TrimSpace(out), "urgent\tsuicide\tik wil dood") || strings.Count(out, "\n") != 2 {
		t.Fatalf("-since 90m: %d\n%s", code, out)
	}
	if code, _, errOut := runCmd(t, nil, "", "signals", "export-verdicts"); code != 2 || !strings.Contains(errOut, "WAAKVLAM_REDIS_URL") {
		t.Fatalf("without Redis: %d %q", code, errOut)
	}
}
