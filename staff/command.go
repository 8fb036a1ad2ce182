package staff

import (
	"fmt"
	"strings"
	"unicode"
)

// Verb is a staff command.
type Verb string

// Verbs.
const (
	VerbHelp     Verb = "help"
	VerbNew      Verb = "nieuw"
	VerbList     Verb = "lijst"
	VerbTransfer Verb = "overdragen"
	VerbStop     Verb = "stop"
	VerbCode     Verb = "code"
	VerbAck      Verb = "oppakken"
	VerbDelete   Verb = "wissen"
)

// Command is a parsed staff command.
type Command struct {
	Verb   Verb
	Name   string // first name for nieuw
	Client string // client reference (id or first name)
	Coach  string // coach for nieuw (project leaders) and overdragen
	Lang   string // language for nieuw
	Alert  string // alert id for oppakken
}

// Usage is the short help coaches see.
const Usage = "Zo gebruik je /waakvlam:\n" +
	"- `client nieuw <voornaam>`: nieuwe cliënt, met code, link en QR-code\n" +
	"- `client lijst`: jouw cliënten\n" +
	"- `client code <cliënt>`: nieuwe code voor een cliënt\n" +
	"- `client overdragen <cliënt> <coach>`: andere coach\n" +
	"- `client stop <cliënt>`: bot stoppen voor een cliënt\n" +
	"- `client wissen <cliënt>`: alle gegevens en het kanaal van een gestopte cliënt wissen\n" +
	"- `groep <cliënt> <groep>`: niveau en vaste herinneringen van een groep\n" +
	"- `oppakken <signaal-id>`: een zorgsignaal oppakken (of typ `oppakken` in het kanaal van de cliënt)"

// ParseCommand reads a staff command such as `client nieuw Sanne`. The leading
// "/waakvlam" is optional, so the same text works as a slash command and
// in a direct message to the bot.
func ParseCommand(text string) (Command, error) {
	f := fields(text)
	if len(f) > 0 && strings.EqualFold(f[0], "/waakvlam") {
		f = f[1:]
	}
	if len(f) == 0 || strings.EqualFold(f[0], "help") || strings.EqualFold(f[0], "hulp") {
		return Command{Verb: VerbHelp}, nil
	}
	if strings.EqualFold(f[0], string(VerbAck)) {
		if len(f) != 2 {
			return Command{}, fmt.Errorf("gebruik: oppakken <signaal-id>")
		}
		return Command{Verb: VerbAck, Alert: f[1]}, nil
	}
	if !strings.EqualFold(f[0], "client") && !strings.EqualFold(f[0], "cliënt") {
		return Command{}, fmt.Errorf("ik ken %q niet", f[0])
	}
	if len(f) < 2 {
		return Command{}, fmt.Errorf("wat wil je met client doen?")
	}
	args := f[2:]
	switch v := Verb(strings.ToLower(f[1])); v {
	case VerbNew:
		if len(args) < 1 || len(args) > 3 {
			return Command{}, fmt.Errorf("gebruik: client nieuw <voornaam> [coach] [taal]")
		}
		c := Command{Verb: v, Name: args[0]}
		for _, a := range args[1:] {
			if a == "nl" || a == "en" {
				c.Lang = a
			} else {
				c.Coach = a
			}
		}
		if !validName(c.Name) {
			return Command{}, fmt.Errorf("een voornaam heeft 1 tot 40 letters")
		}
		return c, nil
	case VerbList:
		return Command{Verb: v}, nil
	case VerbStop, VerbCode, VerbDelete:
		if len(args) != 1 {
			return Command{}, fmt.Errorf("gebruik: client %s <cliënt>", v)
		}
		return Command{Verb: v, Client: args[0]}, nil
	case VerbTransfer:
		if len(args) != 2 {
			return Command{}, fmt.Errorf("gebruik: client overdragen <cliënt> <coach>")
		}
		return Command{Verb: v, Client: args[0], Coach: args[1]}, nil
	default:
		return Command{}, fmt.Errorf("ik ken client %q niet", f[1])
	}
}

func validName(s string) bool {
	r := []rune(s)
	if len(r) == 0 || len(r) > 40 {
		return false
	}
	for _, c := range r {
		if !unicode.IsLetter(c) && c != '-' && c != '\'' {
			return false
		}
	}
	return true
}

// fields splits on spaces but keeps "quoted text" together.
func fields(s string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r == '"' || r == '“' || r == '”':
			if quoted {
				out = append(out, cur.String())
				cur.Reset()
			} else {
				flush()
			}
			quoted = !quoted
		case unicode.IsSpace(r) && !quoted:
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return out
}
