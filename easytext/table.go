package easytext

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// WriteTable writes a readable table: one row of measures per message, and
// under each message with findings its text and one line per finding with
// its reason. With all false only the messages with findings are listed. A
// summary line closes the table.
//
//	KEY            KIND     WORDS SENT  Q MAXW LONG%     FD  RESULT
//	welcome        message     16    3  0    7    6%   96.0  ok
//	reminder.late  message     14    1  0   14   14%   58.7  2 errors, 1 warning
//	    text: "Uw afspraak wordt verzet ..."
//	    error    sentence-length  sentence of 14 words (max 12): "..."
func WriteTable(w io.Writer, reports []Report, all bool) error {
	bw := bufio.NewWriter(w)
	keyWidth := len("KEY")
	var shown []Report
	for _, r := range reports {
		if !all && len(r.Findings) == 0 {
			continue
		}
		shown = append(shown, r)
		keyWidth = max(keyWidth, utf8.RuneCountInString(displayKey(r)))
	}
	ruleWidth := 0
	for _, r := range shown {
		for _, f := range r.Findings {
			ruleWidth = max(ruleWidth, len(f.Rule))
		}
	}
	if len(shown) > 0 {
		fmt.Fprintf(bw, "%-*s  %-7s  %5s %4s %2s %4s %5s %6s  %s\n",
			keyWidth, "KEY", "KIND", "WORDS", "SENT", "Q", "MAXW", "LONG%", "FD", "RESULT")
	}
	for _, r := range shown {
		long, fd := "-", "-"
		if r.Lang == "nl" {
			long = fmt.Sprintf("%.0f%%", 100*r.LongWordShare)
			if r.Words > 0 && r.Kind != KindButton {
				fd = fmt.Sprintf("%.1f", r.FleschDouma)
			}
		}
		fmt.Fprintf(bw, "%-*s  %-7s  %5d %4d %2d %4d %5s %6s  %s\n",
			keyWidth, displayKey(r), r.Kind, r.Words, r.Sentences, r.Questions, r.MaxSentenceWords, long, fd, result(r))
		if len(r.Findings) == 0 {
			continue
		}
		fmt.Fprintf(bw, "    text: %q\n", r.Text)
		for _, f := range r.Findings {
			fmt.Fprintf(bw, "    %-7s  %-*s  %s\n", f.Severity, ruleWidth, f.Rule, f.Detail)
		}
	}
	errs, warns, bad := 0, 0, 0
	for _, r := range reports {
		errs += r.Errors()
		warns += r.Warnings()
		if len(r.Findings) > 0 {
			bad++
		}
	}
	if len(shown) > 0 {
		fmt.Fprintln(bw)
	}
	fmt.Fprintf(bw, "%s: %d ok, %d with findings; %s, %s\n",
		plural(len(reports), "message"), len(reports)-bad, bad, plural(errs, "error"), plural(warns, "warning"))
	return bw.Flush()
}

func displayKey(r Report) string {
	if r.Key == "" {
		return "(text)"
	}
	return r.Key
}

func result(r Report) string {
	e, w := r.Errors(), r.Warnings()
	switch {
	case e == 0 && w == 0:
		return "ok"
	case e == 0:
		return plural(w, "warning")
	case w == 0:
		return plural(e, "error")
	}
	return plural(e, "error") + ", " + plural(w, "warning")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// String returns the report as a short readable block, as WriteTable shows
// one message.
func (r Report) String() string {
	var b strings.Builder
	_ = WriteTable(&b, []Report{r}, true)
	return b.String()
}
