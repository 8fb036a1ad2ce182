package privacy

import (
	"bytes"
	"fmt"
	"html/template"
	"sort"
	"strings"
	"time"
)

// summaryView is what the summary page shows. Every sentence is easy Dutch
// for the client (a test runs the language lint over them).
type summaryView struct {
	Name, Date, File string
	Kept             []string
	Why              []string
	Periods          []string
	AccessIntro      string
	Access           []accessRow
	Good             []string
	Questions        string
}

type accessRow struct{ Who, Times, Last string }

var summaryPage = template.Must(template.New("summary").Parse(`<!doctype html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Wat Waakvlam over jou bewaart</title>
<style>
body { font-family: sans-serif; font-size: 1.2em; line-height: 1.5; max-width: 40em; margin: 1em auto; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { font-size: 1.3em; margin-top: 1.5em; }
table { border-collapse: collapse; } td, th { border: 1px solid #999; padding: 0.3em 0.6em; text-align: left; }
</style>
</head>
<body>
<h1>🔥 Wat Waakvlam over jou bewaart</h1>
<p>Hoi {{.Name}}. Je vroeg wat we over jou bewaren. Dat staat hier.</p>
<p>Dit overzicht is van {{.Date}}.</p>
<h2>📦 Wat we bewaren</h2>
<ul>{{range .Kept}}
<li>{{.}}</li>{{end}}
</ul>
<h2>💬 Waarom</h2>
<ul>{{range .Why}}
<li>{{.}}</li>{{end}}
</ul>
<h2>📅 Hoe lang</h2>
<ul>{{range .Periods}}
<li>{{.}}</li>{{end}}
</ul>
<h2>👀 Wie keek ernaar</h2>
<p>{{.AccessIntro}}</p>{{if .Access}}
<table>
<tr><th>Wie</th><th>Hoe vaak</th><th>Laatste keer</th></tr>{{range .Access}}
<tr><td>{{.Who}}</td><td>{{.Times}}</td><td>{{.Last}}</td></tr>{{end}}
</table>{{end}}
<h2>💡 Goed om te weten</h2>
<ul>{{range .Good}}
<li>{{.}}</li>{{end}}
</ul>
<h2>❓ Vragen</h2>
<p>{{.Questions}}</p>
</body>
</html>
`))

// periodWords name the classes of data for the client.
var periodWords = map[string]string{
	"in_flight":  "Berichten die nog onderweg zijn",
	"dialog":     "Waar je gesprek met de bot is",
	"moods":      "Hoe je je voelde",
	"events":     "Wanneer je de bot gebruikte",
	"alerts":     "Zorgen over jou",
	"verdicts":   "Wat je coach van de bot vond, met je woorden",
	"audit":      "Wie een zorg over jou oppakte",
	"access_log": "Wie je gegevens bekeek",
}

// summaryOf is the page's content for an export.
func summaryOf(e Export) summaryView {
	name := e.Client.FirstName
	if name == "" {
		name = "daar"
	}
	coach := e.Client.Coach
	if coach == "" {
		coach = "je coach"
	}
	v := summaryView{Name: name, Date: dutchDate(e.ExportedAt), File: "waakvlam-" + e.Client.ID + ".json"}
	v.Kept = append(v.Kept, "Je voornaam: "+name+".", "De naam van je coach: "+coach+".")
	if e.Client.Linked {
		v.Kept = append(v.Kept, "Met welke telefoon je de bot gebruikt.")
	}
	if e.DialogState != nil {
		v.Kept = append(v.Kept, "Waar je gesprek met de bot nu is.")
	}
	count := func(n int, text string) {
		if n > 0 {
			v.Kept = append(v.Kept, fmt.Sprintf(text, n))
		}
	}
	count(len(e.Moods), "Hoe je je voelde: %d keer.")
	count(len(e.Schedules), "Je herinneringen en afspraken: %d.")
	count(len(e.Queued), "Berichten die nog onderweg zijn: %d.")
	count(len(e.Alerts), "Zorgen over jou die de bot aan je coach liet zien: %d.")
	count(len(e.Events), "Wanneer je de bot gebruikte: %d keer. Niet wat je schreef.")
	count(len(e.Verdicts), "Je coach keek of de bot het goed deed: %d keer. Daarbij bewaren we je woorden.")
	v.Why = []string{
		"Zo kan je coach je goed helpen.",
		"Zo krijg je op tijd een herinnering.",
		"Zo ziet de bot het als het niet goed met je gaat.",
	}
	for _, p := range e.Retention {
		if p.Class == "stopped" {
			v.Periods = append(v.Periods, fmt.Sprintf("Stop je met de bot? Dan wissen we je gegevens na %s.", dutchPeriod(p.Days)))
			continue
		}
		if w, ok := periodWords[p.Class]; ok {
			v.Periods = append(v.Periods, fmt.Sprintf("%s: %s.", w, dutchPeriod(p.Days)))
		}
	}
	switch {
	case !e.AccessLog.Available:
		v.AccessIntro = "Dat houden we nog niet bij. Dat komt later."
	case len(e.AccessLog.Entries) == 0:
		v.AccessIntro = "Niemand bekeek je gegevens."
	default:
		v.AccessIntro = "Deze mensen bekeken je gegevens, of veranderden ze. De bot zelf staat er ook bij."
		v.Access = accessRows(e.AccessLog.Entries)
	}
	v.Good = []string{"Let op: Telegram kan je berichten lezen."}
	for _, r := range e.Recipients {
		if strings.HasPrefix(r, "Mattermost") {
			v.Good = append(v.Good, "Je coach leest je berichten in Mattermost. Dat is een chat voor coaches.")
		}
	}
	v.Good = append(v.Good, "Alles staat ook in het bestand "+v.File+". Dat bestand is voor de computer.")
	v.Questions = "Heb je een vraag? Stel die aan " + coach + "."
	return v
}

// accessRows groups access log entries by who, most recent first.
func accessRows(es []AccessEntry) []accessRow {
	type agg struct {
		n    int
		last time.Time
	}
	by := map[string]*agg{}
	for _, e := range es {
		who := actorWords(e.Actor)
		a := by[who]
		if a == nil {
			a = &agg{}
			by[who] = a
		}
		a.n++
		if e.Time.After(a.last) {
			a.last = e.Time
		}
	}
	var out []accessRow
	var whos []string
	for w := range by {
		whos = append(whos, w)
	}
	sort.Slice(whos, func(i, j int) bool { return by[whos[i]].last.After(by[whos[j]].last) })
	for _, w := range whos {
		out = append(out, accessRow{Who: w, Times: fmt.Sprint(by[w].n), Last: dutchDate(by[w].last)})
	}
	return out
}

// actorWords says who an access log actor is, in words for the client.
func actorWords(actor string) string {
	switch {
	case strings.HasPrefix(actor, "system:"):
		return "De bot zelf"
	case strings.HasPrefix(actor, "operator:"):
		return "Beheerder " + strings.TrimPrefix(actor, "operator:")
	case actor == "":
		return "Onbekend"
	}
	return "@" + actor
}

var months = []string{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"}

func dutchDate(t time.Time) string {
	if loc, err := time.LoadLocation("Europe/Amsterdam"); err == nil {
		t = t.In(loc)
	}
	return fmt.Sprintf("%d %s %d", t.Day(), months[t.Month()-1], t.Year())
}

// dutchPeriod says a number of days the way a person would.
func dutchPeriod(days int) string {
	switch {
	case days >= 365 && days%365 <= 5:
		if days/365 == 1 {
			return "1 jaar"
		}
		return fmt.Sprintf("%d jaar", days/365)
	case days == 1:
		return "1 dag"
	}
	return fmt.Sprintf("%d dagen", days)
}

// Summary is the export's summary page in easy Dutch: what we keep, why,
// for how long, and who looked at it.
func Summary(e Export) ([]byte, error) {
	var b bytes.Buffer
	if err := summaryPage.Execute(&b, summaryOf(e)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
