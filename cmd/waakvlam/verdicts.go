package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/waakvlam/waakvlam/accesslog"
	"github.com/waakvlam/waakvlam/config"
	"github.com/waakvlam/waakvlam/store"
)

// exportVerdicts is `waakvlam signals export-verdicts`: the coaches'
// verdicts on client posts as labelled examples in the corpus format
// (severity<TAB>category<TAB>text), for the next training run. Review the
// lines before they join signals/testdata: they are real clients' words.
//
// The label is what the coach said, not what the recogniser said:
//   - right (👍, terecht): the recogniser's severity and category;
//   - wrong (👎, onterecht): none and "-";
//   - under (🚩 on a "let op" post) and missed (🚩 on an unflagged post):
//     high, or urgent when the coach said so (`zorgelijk urgent`), with the
//     category the coach named. A coach's 🚩 says "this worries me", not
//     how much; high is the level at which a coach is told at once, so it
//     teaches recall without claiming a crisis nobody saw.
//
// A worrying post without a category cannot be a corpus line (severity and
// category go together), so it is printed as a comment "#? high<TAB>?<TAB>text"
// for a person to finish; loaders skip it until then.
func exportVerdicts(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("signals export-verdicts", flag.ContinueOnError)
	fs.SetOutput(stderr)
	since := fs.Duration("since", 720*time.Hour, "verdicts given in this last period")
	redisURL := fs.String("redis-url", "", "Redis URL (default WAAKVLAM_REDIS_URL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *since <= 0 {
		return usageError("usage: waakvlam signals export-verdicts [-since 720h] [-redis-url redis://...]")
	}
	env := getenv
	if *redisURL != "" {
		env = func(k string) string {
			if k == "WAAKVLAM_REDIS_URL" {
				return *redisURL
			}
			return getenv(k)
		}
	}
	cfg, _, err := config.Load("signals export-verdicts", env, nil, config.Need{Redis: true, Keys: true})
	if err != nil {
		return err
	}
	rdb, err := config.NewRedis(cfg.RedisURL)
	if err != nil {
		return &config.Error{Var: "WAAKVLAM_REDIS_URL", Problem: err.Error()}
	}
	defer rdb.Close()
	// The same codec as serve: the words open the way they were sealed.
	from := time.Now().Add(-*since)
	vs, err := sealedStore(cfg, rdb).Verdicts(ctx, from)
	if err != nil {
		return err
	}
	if err := logAccess(ctx, cfg, rdb, "verdict.export", accesslog.Disclose, verdictClients(vs)...); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "# Coaches' verdicts since %s: severity<TAB>category<TAB>text. Real clients' words: review before use.\n",
		from.UTC().Format("2006-01-02 15:04 MST"))
	n, open := writeVerdicts(stdout, vs)
	counts := map[string]int{}
	for _, v := range vs {
		counts[v.Kind]++
	}
	fmt.Fprintf(stderr, "%d verdicts (%d right, %d wrong, %d under, %d missed): %d lines, %d need a category (#?)\n",
		len(vs), counts[store.VerdictRight], counts[store.VerdictWrong], counts[store.VerdictUnder], counts[store.VerdictMissed], n, open)
	return nil
}

// writeVerdicts prints one line per distinct example and returns how many
// lines it wrote and how many of them wait for a category.
func writeVerdicts(w io.Writer, vs []store.Verdict) (lines, open int) {
	seen := map[string]bool{}
	for _, v := range vs {
		text := oneLine(v.Text)
		if text == "" {
			continue
		}
		sev, cat := v.LabelSeverity, v.LabelCategory
		if sev == "" {
			sev = "none"
		}
		line := sev + "\t" + cat + "\t" + text
		switch {
		case sev == "none":
			line = "none\t-\t" + text
		case cat == "":
			line = "#? " + sev + "\t?\t" + text
		}
		if seen[line] {
			continue
		}
		seen[line] = true
		fmt.Fprintln(w, line)
		lines++
		if strings.HasPrefix(line, "#?") {
			open++
		}
	}
	return lines, open
}

// verdictClients lists the clients whose words are in vs, once each.
func verdictClients(vs []store.Verdict) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range vs {
		if !seen[v.ClientID] {
			seen[v.ClientID] = true
			out = append(out, v.ClientID)
		}
	}
	return out
}

// oneLine keeps a message on one TSV line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
