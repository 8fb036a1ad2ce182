package scheduler

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ParseError is the error Parse returns: short, kind Dutch words for a
// coach, with an example that works.
type ParseError struct {
	Input   string // the text as typed, shortened
	Reason  string // optional, Dutch, without final period
	Example string // a phrasing that Parse accepts
}

func (e *ParseError) Error() string {
	msg := "ik snap \"" + e.Input + "\" niet"
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	return msg + ". Probeer: " + e.Example
}

const (
	exampleDaily  = "elke dag om 8:00"
	exampleCron   = "0 8 * * 1-5"
	maxSpecLength = 200
)

func parseErr(input, reason, example string) *ParseError {
	return &ParseError{Input: shorten(input), Reason: reason, Example: example}
}

// shorten keeps an input printable and short for an error message.
func shorten(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '"' {
			return '\''
		}
		if !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, strings.TrimSpace(s))
	if utf8.RuneCountInString(s) > 40 {
		r := []rune(s)
		s = string(r[:40]) + "…"
	}
	return s
}

// Parse reads a schedule as a coach types it, in Dutch, or as a raw
// 5-field cron expression (several joined by " | "), or in the canonical
// form of Spec.String. now is the moment of typing (for "morgen" and for
// dates without a year); loc is the time zone (nil means UTC).
//
// Accepted Dutch, for example: "elke dag om 8:00", "elke werkdag om 7.30",
// "elke maandag en donderdag om 19:00", "ma t/m vr om 8 uur",
// "elke dag om 8:00 en 20:00", "om 7 uur 's avonds", "half 9",
// "elke maand op de 1e om 9:00", "elk uur", "morgen om 10:00",
// "op 12 december om 14.30", "12-12-2026 14:30", "volgende dinsdag om 9:00".
// A time without days means every day.
func Parse(text string, now time.Time, loc *time.Location) (Spec, error) {
	if loc == nil {
		loc = time.UTC
	}
	now = now.In(loc)
	t := strings.TrimSpace(text)
	if t == "" {
		return Spec{}, &ParseError{Input: "", Reason: "er staat niets", Example: exampleDaily}
	}
	if len(t) > maxSpecLength {
		return Spec{}, parseErr(t, "dat is te lang", exampleDaily)
	}
	if at, ok := parseISO(t, loc); ok {
		return Spec{loc: loc, at: at, ref: now}, nil
	}
	if looksLikeCron(t) {
		s, err := newRecurring(strings.Split(t, "|"), now, loc)
		if err != nil {
			return Spec{}, parseErr(t, "dat is geen goed cron-schema (minuut uur dag maand weekdag)", exampleCron)
		}
		if s.Next(now).IsZero() {
			return Spec{}, parseErr(t, "die tijd komt nooit", exampleCron)
		}
		return s, nil
	}
	s, err := parseDutch(t, now, loc, true)
	if err != nil {
		return Spec{}, err
	}
	return s, nil
}

var (
	isoLocal  = []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02T15:04:05"}
	cronField = regexp.MustCompile(`^[0-9*/,?a-zA-Z-]+$`)
)

func parseISO(t string, loc *time.Location) (time.Time, bool) {
	if at, err := time.Parse(time.RFC3339, t); err == nil {
		return at.In(loc), true
	}
	for _, layout := range isoLocal {
		if w, err := time.Parse(layout, t); err == nil {
			return fromWall(w, loc), true
		}
	}
	return time.Time{}, false
}

// looksLikeCron says whether the text is meant as cron: a descriptor, or
// parts of exactly five cron-looking fields whose first field has a digit
// or a star.
func looksLikeCron(t string) bool {
	if strings.HasPrefix(t, "@") {
		return true
	}
	for _, part := range strings.Split(t, "|") {
		f := strings.Fields(part)
		if len(f) != 5 || !strings.ContainsAny(f[0], "0123456789*") || !strings.ContainsAny(f[1], "0123456789*") {
			return false
		}
		for _, x := range f {
			if !cronField.MatchString(x) {
				return false
			}
		}
	}
	return true
}

type clock struct{ h, m int }

func (c clock) String() string { return fmt.Sprintf("%d:%02d", c.h, c.m) }

var (
	dayWords = map[string]time.Weekday{
		"maandag": time.Monday, "ma": time.Monday, "maandags": time.Monday, "maandagen": time.Monday,
		"dinsdag": time.Tuesday, "di": time.Tuesday, "dinsdags": time.Tuesday, "dinsdagen": time.Tuesday,
		"woensdag": time.Wednesday, "wo": time.Wednesday, "woensdags": time.Wednesday, "woensdagen": time.Wednesday,
		"donderdag": time.Thursday, "do": time.Thursday, "donderdags": time.Thursday, "donderdagen": time.Thursday,
		"vrijdag": time.Friday, "vr": time.Friday, "vrij": time.Friday, "vrijdags": time.Friday, "vrijdagen": time.Friday,
		"zaterdag": time.Saturday, "za": time.Saturday, "zat": time.Saturday, "zaterdags": time.Saturday, "zaterdagen": time.Saturday,
		"zondag": time.Sunday, "zo": time.Sunday, "zon": time.Sunday, "zondags": time.Sunday, "zondagen": time.Sunday,
	}
	monthWords = map[string]time.Month{
		"januari": 1, "jan": 1, "februari": 2, "feb": 2, "maart": 3, "mrt": 3, "mar": 3, "april": 4, "apr": 4,
		"mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "augustus": 8, "aug": 8,
		"september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10, "oct": 10,
		"november": 11, "nov": 11, "december": 12, "dec": 12,
	}
	numberWords = map[string]int{
		"een": 1, "één": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6, "zeven": 7,
		"acht": 8, "negen": 9, "tien": 10, "elf": 11, "twaalf": 12,
	}
	everyWords  = map[string]bool{"elke": true, "iedere": true, "elk": true, "ieder": true, "alle": true}
	fillerWords = map[string]bool{
		"om": true, "op": true, "de": true, "het": true, "van": true, "in": true, "en": true, "te": true,
		"met": true, "per": true, "week": true, "weken": true, "wekelijks": true, "keer": true, "een": true,
		"rond": true, "uur": true, "tijd": true, "s": true, "'s": true, "vanaf": true, "ook": true,
	}
	modWords = map[string]string{
		"avonds": "pm", "savonds": "pm", "middags": "pm", "smiddags": "pm", "avond": "pm", "middag": "pm",
		"ochtends": "am", "sochtends": "am", "morgens": "am", "smorgens": "am", "ochtend": "am",
		"nachts": "night", "snachts": "night", "nacht": "night",
	}
	vocabulary = []string{
		"maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag",
		"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
		"oktober", "november", "december", "elke", "iedere", "dag", "werkdag", "weekend", "morgen",
		"overmorgen", "vandaag", "maand", "uur", "avonds", "ochtends", "middags", "volgende",
		"aanstaande", "half", "kwart", "over", "voor", "om", "op", "dagelijks", "middernacht",
	}

	reClock   = regexp.MustCompile(`^(\d{1,2})[:.uh](\d{2})$`)
	reHour    = regexp.MustCompile(`^(\d{1,2})[uh]$`)
	reDate    = regexp.MustCompile(`^(\d{1,2})[-/](\d{1,2})(?:[-/](\d{2}|\d{4}))?$`)
	reISODate = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})$`)
	reOrdinal = regexp.MustCompile(`^(\d{1,2})(?:e|ste|de)$`)
)

type dutch struct {
	input   string
	now     time.Time
	loc     *time.Location
	every   bool
	daily   bool
	hourly  bool
	monthly bool
	dow     uint8 // bit per time.Weekday
	doms    []int
	rel     int // -1 none, else days from today
	nextDay bool
	date    bool
	y, d    int
	mon     time.Month
	times   []clock
	modded  []bool
	pending string // modifier seen before its time

	lastDay   time.Weekday
	haveDay   bool
	rangeNext bool
}

func tokenize(t string) []string {
	t = strings.ToLower(t)
	t = strings.NewReplacer("’", "'", "‘", "'", "t/m", " tm ", ",", " en ", "&", " en ", ";", " en ").Replace(t)
	var out []string
	for _, f := range strings.Fields(t) {
		f = strings.TrimRight(f, ".!?:")
		f = strings.TrimLeft(f, "(")
		f = strings.TrimRight(f, ")")
		if f == "" {
			continue
		}
		// "'savonds" and "'s-avonds" written together.
		if strings.HasPrefix(f, "'s") && len(f) > 2 {
			f = strings.TrimPrefix(strings.TrimPrefix(f, "'s"), "-")
		}
		out = append(out, f)
	}
	return out
}

func num(tok string) (int, bool) {
	if n, ok := numberWords[tok]; ok {
		return n, true
	}
	if len(tok) == 0 || len(tok) > 4 {
		return 0, false
	}
	n, err := strconv.Atoi(tok)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// parseDutch parses Dutch words; suggest says whether an unknown word
// gets a corrected example (the check of that example does not suggest).
func parseDutch(text string, now time.Time, loc *time.Location, suggest bool) (Spec, error) {
	toks := tokenize(text)
	p := &dutch{input: text, now: now, loc: loc, rel: -1}
	var unknown []int
	for i := 0; i < len(toks); i++ {
		n, err := p.token(toks, i)
		if err != nil {
			return Spec{}, err
		}
		if n < 0 {
			unknown = append(unknown, i)
			continue
		}
		i += n
	}
	if len(unknown) > 0 {
		if !suggest {
			return Spec{}, parseErr(text, "", exampleDaily)
		}
		return Spec{}, p.unknownErr(toks, unknown)
	}
	return p.build()
}

// token handles toks[i]; it returns how many following tokens it used, or
// -1 when it does not know the token.
func (p *dutch) token(toks []string, i int) (int, error) {
	tok := toks[i]
	next := func(k int) string {
		if i+k < len(toks) {
			return toks[i+k]
		}
		return ""
	}
	prev := ""
	if i > 0 {
		prev = toks[i-1]
	}
	switch {
	case everyWords[tok]:
		p.every = true
		return 0, nil
	case tok == "dag" || tok == "dagen" || tok == "dagelijks" || tok == "daags":
		p.daily = true
		return 0, nil
	case tok == "werkdag" || tok == "werkdagen" || tok == "doordeweeks" || tok == "doordeweekse" || tok == "weekdag" || tok == "weekdagen":
		p.dow |= 1<<time.Monday | 1<<time.Tuesday | 1<<time.Wednesday | 1<<time.Thursday | 1<<time.Friday
		return 0, nil
	case tok == "weekend" || tok == "weekenden" || tok == "weekends" || tok == "weekeinde" || tok == "weekeindes":
		p.dow |= 1<<time.Saturday | 1<<time.Sunday
		return 0, nil
	case tok == "uur" && everyWords[prev]:
		p.hourly = true
		return 0, nil
	case tok == "maand" || tok == "maanden" || tok == "maandelijks":
		p.monthly = true
		return 0, nil
	case tok == "vandaag":
		p.rel = 0
		return 0, nil
	case tok == "morgen":
		p.rel = 1
		return 0, nil
	case tok == "overmorgen":
		p.rel = 2
		return 0, nil
	case tok == "volgende" || tok == "aanstaande" || tok == "a.s" || tok == "as" || tok == "komende":
		p.nextDay = true
		return 0, nil
	case tok == "tm" || (tok == "tot" && p.haveDay) || (tok == "-" && p.haveDay):
		p.rangeNext = true
		return 0, nil
	case tok == "middernacht":
		p.addTime(clock{0, 0})
		return 0, nil
	case tok == "half":
		if n, ok := num(next(1)); ok && n >= 1 && n <= 24 {
			p.addTime(clock{(n + 23) % 24, 30})
			return 1 + p.skipUur(next(2)), nil
		}
		return -1, nil
	case tok == "kwart":
		if n, ok := num(next(2)); ok && n <= 24 && (next(1) == "over" || next(1) == "voor") {
			if next(1) == "over" {
				p.addTime(clock{n % 24, 15})
			} else {
				p.addTime(clock{(n + 23) % 24, 45})
			}
			return 2 + p.skipUur(next(3)), nil
		}
		return -1, nil
	}
	if m, ok := modWords[tok]; ok {
		p.modifier(m)
		return 0, nil
	}
	if d, ok := dayWords[tok]; ok {
		p.addDay(d)
		return 0, nil
	}
	if a, b, ok := strings.Cut(tok, "-"); ok {
		da, oka := dayWords[a]
		db, okb := dayWords[b]
		if oka && okb {
			p.addDay(da)
			p.rangeNext = true
			p.addDay(db)
			return 0, nil
		}
	}
	if m := reClock.FindStringSubmatch(tok); m != nil {
		h, _ := strconv.Atoi(m[1])
		mi, _ := strconv.Atoi(m[2])
		if err := p.checkTime(h, mi); err != nil {
			return 0, err
		}
		p.addTime(clock{h, mi})
		return p.skipUur(next(1)), nil
	}
	if m := reHour.FindStringSubmatch(tok); m != nil {
		h, _ := strconv.Atoi(m[1])
		if err := p.checkTime(h, 0); err != nil {
			return 0, err
		}
		p.addTime(clock{h, 0})
		return 0, nil
	}
	if m := reISODate.FindStringSubmatch(tok); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		return 0, p.setDate(y, mo, d)
	}
	if m := reDate.FindStringSubmatch(tok); m != nil {
		d, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		y := 0
		if m[3] != "" {
			y, _ = strconv.Atoi(m[3])
			if y < 100 {
				y += 2000
			}
		}
		return 0, p.setDate(y, mo, d)
	}
	if m := reOrdinal.FindStringSubmatch(tok); m != nil {
		d, _ := strconv.Atoi(m[1])
		if mo, ok := monthWords[next(1)]; ok {
			return 1 + p.yearAfter(next(2)), p.setDate(0, int(mo), d)
		}
		if d < 1 || d > 31 {
			return 0, parseErr(p.input, "een maand heeft dag 1 tot en met 31", "elke maand op de 1e om 9:00")
		}
		p.doms = append(p.doms, d)
		p.monthly = true
		return 0, nil
	}
	if n, ok := num(tok); ok {
		switch {
		case next(1) == "uur":
			if err := p.checkTime(n, 0); err != nil {
				return 0, err
			}
			p.addTime(clock{n, 0})
			return 1, nil
		case monthWords[next(1)] != 0:
			return 1 + p.yearAfter(next(2)), p.setDate(0, int(monthWords[next(1)]), n)
		case prev == "om" || prev == "rond" || (prev == "en" && len(p.times) > 0 && !p.monthly):
			if err := p.checkTime(n, 0); err != nil {
				return 0, err
			}
			p.addTime(clock{n, 0})
			return 0, nil
		case p.monthly && n >= 1 && n <= 31:
			p.doms = append(p.doms, n)
			return 0, nil
		}
		if tok == "een" {
			return 0, nil
		}
		return -1, nil
	}
	if fillerWords[tok] || tok == "tot" || tok == "-" {
		return 0, nil
	}
	return -1, nil
}

func (p *dutch) skipUur(tok string) int {
	if tok == "uur" {
		return 1
	}
	return 0
}

func (p *dutch) yearAfter(tok string) int {
	if len(tok) == 4 {
		if y, err := strconv.Atoi(tok); err == nil && y >= 2000 && y < 2200 {
			p.y = y
			return 1
		}
	}
	return 0
}

func (p *dutch) checkTime(h, m int) error {
	if h > 23 || m > 59 {
		return parseErr(p.input, "een tijd gaat van 0:00 tot 23:59", exampleDaily)
	}
	return nil
}

func (p *dutch) addTime(c clock) {
	mod := false
	if p.pending != "" {
		c = applyMod(c, p.pending)
		p.pending = ""
		mod = true
	}
	p.times = append(p.times, c)
	p.modded = append(p.modded, mod)
}

func (p *dutch) modifier(m string) {
	if n := len(p.times); n > 0 && !p.modded[n-1] {
		p.times[n-1] = applyMod(p.times[n-1], m)
		p.modded[n-1] = true
		return
	}
	p.pending = m
}

func applyMod(c clock, m string) clock {
	switch m {
	case "pm":
		if c.h < 12 {
			c.h += 12
		}
	case "am", "night":
		if c.h == 12 {
			c.h = 0
		}
	}
	return c
}

func (p *dutch) addDay(d time.Weekday) {
	if p.rangeNext && p.haveDay {
		for x := p.lastDay; ; x = (x + 1) % 7 {
			p.dow |= 1 << x
			if x == d {
				break
			}
		}
	}
	p.rangeNext = false
	p.dow |= 1 << d
	p.lastDay, p.haveDay = d, true
}

func (p *dutch) setDate(y, mo, d int) error {
	if mo < 1 || mo > 12 || d < 1 || d > 31 {
		return parseErr(p.input, "die datum bestaat niet", "op 12 december om 14:30")
	}
	p.date, p.y, p.mon, p.d = true, y, time.Month(mo), d
	return nil
}

func (p *dutch) unknownErr(toks []string, unknown []int) error {
	fixed := append([]string(nil), toks...)
	ok := true
	for _, i := range unknown {
		w, found := closest(toks[i])
		if !found {
			ok = false
			break
		}
		fixed[i] = w
	}
	if ok {
		ex := strings.Join(fixed, " ")
		if len(p.times) == 0 && !p.hourly {
			ex += " om 9:00"
		}
		if _, err := parseDutch(ex, p.now, p.loc, false); err == nil {
			return parseErr(p.input, "", ex)
		}
	}
	ex := exampleDaily
	if p.dow != 0 {
		ex = "elke maandag om 9:00"
	} else if p.rel >= 0 || p.date {
		ex = "morgen om 10:00"
	}
	return parseErr(p.input, "", ex)
}

// closest finds a vocabulary word near a misspelt one.
func closest(w string) (string, bool) {
	best, bestD := "", 1<<30
	for _, v := range vocabulary {
		if d := editDistance(w, v); d < bestD {
			best, bestD = v, d
		}
	}
	limit := 2
	if utf8.RuneCountInString(w) <= 4 {
		limit = 1
	}
	return best, bestD <= limit
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 30 || len(rb) > 30 {
		return 1 << 20
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			c := prev[j-1]
			if ra[i-1] != rb[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func (p *dutch) build() (Spec, error) {
	once := p.rel >= 0 || p.date || p.nextDay
	if once {
		return p.buildOnce()
	}
	if p.hourly {
		if p.monthly {
			return Spec{}, parseErr(p.input, "kies elk uur of elke maand", "elk uur")
		}
		return newRecurring([]string{"0 * * * " + p.dowField()}, p.now, p.loc)
	}
	if len(p.times) == 0 {
		return Spec{}, parseErr(p.input, "zeg ook hoe laat", strings.TrimSpace(shorten(p.input))+" om 9:00")
	}
	domField := "*"
	if p.monthly {
		if len(p.doms) == 0 {
			return Spec{}, parseErr(p.input, "zeg ook welke dag van de maand", "elke maand op de 1e om 9:00")
		}
		if p.dow != 0 {
			return Spec{}, parseErr(p.input, "kies een dag van de week of een dag van de maand", "elke maand op de 1e om 9:00")
		}
		domField = joinInts(uniqueSorted(p.doms))
	}
	// One cron expression per minute value: "8:00 en 19:30" needs two.
	byMinute := map[int][]int{}
	for _, c := range p.times {
		byMinute[c.m] = append(byMinute[c.m], c.h)
	}
	minutes := make([]int, 0, len(byMinute))
	for m := range byMinute {
		minutes = append(minutes, m)
	}
	sort.Ints(minutes)
	var exprs []string
	for _, m := range minutes {
		exprs = append(exprs, fmt.Sprintf("%d %s %s * %s", m, joinInts(uniqueSorted(byMinute[m])), domField, p.dowField()))
	}
	s, err := newRecurring(exprs, p.now, p.loc)
	if err != nil {
		return Spec{}, parseErr(p.input, "", exampleDaily)
	}
	if s.Next(p.now).IsZero() {
		return Spec{}, parseErr(p.input, "die dag komt nooit", "elke maand op de 1e om 9:00")
	}
	return s, nil
}

func (p *dutch) dowField() string {
	if p.dow == 0 || p.dow == 0x7f {
		return "*"
	}
	var days []int
	for d := 0; d < 7; d++ {
		if p.dow&(1<<d) != 0 {
			days = append(days, d)
		}
	}
	return joinInts(days)
}

func (p *dutch) buildOnce() (Spec, error) {
	if p.every || p.daily || p.monthly || p.hourly {
		return Spec{}, parseErr(p.input, "kies één keer of elke keer", "morgen om 10:00")
	}
	if len(p.times) != 1 {
		if len(p.times) == 0 {
			return Spec{}, parseErr(p.input, "zeg ook hoe laat", strings.TrimSpace(shorten(p.input))+" om 10:00")
		}
		return Spec{}, parseErr(p.input, "noem één tijd", "morgen om 10:00")
	}
	c := p.times[0]
	today := p.now.In(p.loc)
	var y, d int
	var mo time.Month
	switch {
	case p.date:
		if p.rel >= 0 || p.dow != 0 {
			return Spec{}, parseErr(p.input, "noem één dag", "op 12 december om 14:30")
		}
		y, mo, d = p.y, p.mon, p.d
		if y == 0 {
			y = today.Year()
		}
		if !validDate(y, mo, d) {
			return Spec{}, parseErr(p.input, "die datum bestaat niet", "op 12 december om 14:30")
		}
		if p.y == 0 && !dateAt(y, mo, d, c.h, c.m, p.loc).After(p.now) {
			y++
			for !validDate(y, mo, d) { // 29 februari
				y++
			}
		}
	case p.rel >= 0:
		if p.dow != 0 {
			return Spec{}, parseErr(p.input, "noem één dag", "morgen om 10:00")
		}
		t := today.AddDate(0, 0, p.rel)
		y, mo, d = t.Date()
	default: // volgende <weekdag>
		if p.dow == 0 || p.dow&(p.dow-1) != 0 {
			return Spec{}, parseErr(p.input, "noem één dag", "volgende dinsdag om 9:00")
		}
		t := today
		for i := 0; i < 7; i++ {
			t = t.AddDate(0, 0, 1)
			if p.dow&(1<<t.Weekday()) != 0 {
				break
			}
		}
		y, mo, d = t.Date()
	}
	at := dateAt(y, mo, d, c.h, c.m, p.loc)
	if !at.After(p.now) {
		return Spec{}, parseErr(p.input, "die tijd is al voorbij", "morgen om "+c.String())
	}
	return Spec{loc: p.loc, at: at, ref: p.now}, nil
}

func validDate(y int, m time.Month, d int) bool {
	t := time.Date(y, m, d, 12, 0, 0, 0, time.UTC)
	return t.Month() == m && t.Day() == d
}

func uniqueSorted(xs []int) []int {
	sort.Ints(xs)
	out := xs[:0:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}
