package easytext

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"

	"gopkg.in/yaml.v3"
)

// Examples holds realistic example values for template placeholders, by
// field name: "{{.Name}}" is checked as "Sanne". Lookup ignores case. A
// placeholder that is not listed gets Fallback. Add entries in an init
// function or a test's setup, not while checks run.
var Examples = map[string]string{
	"Name": "Sanne", "FirstName": "Sanne", "Client": "Sanne", "ClientName": "Sanne", "User": "Sanne",
	"Coach": "Piet", "CoachName": "Piet", "Leader": "Piet",
	"Time": "9 uur", "Hour": "9", "Clock": "9:00", "At": "9 uur", "Until": "17 uur",
	"Date": "3 maart", "Day": "maandag", "Weekday": "maandag", "When": "morgen om 9 uur",
	"Deadline": "vrijdag", "Duration": "10 minuten", "Later": "over een uur",
	"Code": "K7M2Q9", "Invite": "K7M2Q9", "InviteCode": "K7M2Q9",
	"Count": "3", "N": "3", "Number": "3", "Num": "3", "Amount": "3", "Total": "5", "Left": "2",
	"Minutes": "10", "Hours": "2", "Days": "2", "Weeks": "2", "Streak": "4",
	"Phone": "0800-0113", "Crisis": "113", "CrisisLine": "113", "Emergency": "112",
	"Task": "je pillen", "Reminder": "je pillen", "What": "je pillen", "Title": "pillen",
	"Label": "pillen", "Item": "pillen", "Activity": "wandelen", "Medicine": "je pillen",
	"Place": "het station", "Location": "het station", "Where": "het station", "Address": "Dorpsstraat 3",
	"Link": "https://waakvlam.nl", "URL": "https://waakvlam.nl", "Url": "https://waakvlam.nl",
	"Text": "ik ben moe", "Message": "ik ben moe", "Msg": "ik ben moe", "Reply": "ik ben moe",
	"Answer": "ja", "Choice": "ja", "Mood": "moe", "Feeling": "moe",
	"Org": "de gemeente", "Organisation": "de gemeente", "Municipality": "de gemeente", "Sender": "de gemeente",
	"Letter": "de brief", "Document": "de brief", "File": "de foto",
	"Bot": "Waakvlam", "BotName": "Waakvlam", "Command": "/start", "Emoji": "💊", "Level": "2",
}

// Fallback is the example value of a placeholder that Examples does not list.
var Fallback = "iets"

// Example returns the example value for a placeholder name.
func Example(name string) string {
	if v, ok := Examples[name]; ok {
		return v
	}
	for k, v := range Examples {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return Fallback
}

// FillTemplate executes a go-i18n message template with example values for
// every field it uses. Templates that cannot run (unknown functions, range
// over a value) get each "{{ ... }}" action replaced by an example value or
// dropped, and a non-nil error tells why.
func FillTemplate(text string) (string, error) {
	return fillTemplate(text, "{{", "}}", "")
}

// formNumbers are the example numbers for the plural forms that name one:
// the "one" form of "Nog {{.Count}} taak" is checked as "Nog 1 taak".
var formNumbers = map[string]int{"zero": 0, "one": 1, "two": 2}

func fillTemplate(text, left, right, form string) (string, error) {
	if !strings.Contains(text, left) {
		return text, nil
	}
	t, err := template.New("msg").Delims(left, right).Option("missingkey=zero").Parse(text)
	if err == nil {
		data := map[string]any{}
		if t.Tree != nil {
			walkFields(t.Tree.Root, func(ident []string) { addExample(data, ident, form) })
		}
		var b bytes.Buffer
		if err = t.Execute(&b, data); err == nil {
			return b.String(), nil
		}
	}
	return replaceActions(text, left, right), err
}

// walkFields calls f for every field chain (".Coach", ".Client.Name") in a
// template parse tree.
func walkFields(n parse.Node, f func([]string)) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walkFields(c, f)
		}
	case *parse.ActionNode:
		walkFields(n.Pipe, f)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			walkFields(c, f)
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			walkFields(a, f)
		}
	case *parse.FieldNode:
		f(n.Ident)
	case *parse.ChainNode:
		walkFields(n.Node, f)
	case *parse.IfNode:
		walkBranch(&n.BranchNode, f)
	case *parse.RangeNode:
		walkBranch(&n.BranchNode, f)
	case *parse.WithNode:
		walkBranch(&n.BranchNode, f)
	case *parse.TemplateNode:
		walkFields(n.Pipe, f)
	}
}

func walkBranch(b *parse.BranchNode, f func([]string)) {
	walkFields(b.Pipe, f)
	walkFields(b.List, f)
	walkFields(b.ElseList, f)
}

// addExample sets data[a][b]...[z] to the example for z.
func addExample(data map[string]any, ident []string, form string) {
	m := data
	for i, name := range ident {
		if i == len(ident)-1 {
			if _, isMap := m[name].(map[string]any); !isMap {
				v := Example(name)
				if n, err := strconv.Atoi(v); err == nil && !strings.HasPrefix(v, "0") {
					if fn, ok := formNumbers[form]; ok {
						n = fn
					}
					m[name] = n // so that {{if gt .Count 1}} works
				} else {
					m[name] = v
				}
			}
			return
		}
		next, ok := m[name].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[name] = next
		}
		m = next
	}
}

var controlAction = regexp.MustCompile(`^-?\s*(if|else|end|range|with|define|block|template|break|continue)\b`)

// replaceActions is the fallback for templates that do not run: a field
// action becomes its example, control actions vanish, anything else becomes
// Fallback.
func replaceActions(text, left, right string) string {
	var b strings.Builder
	for {
		i := strings.Index(text, left)
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		j := strings.Index(text[i+len(left):], right)
		if j < 0 {
			b.WriteString(text)
			return b.String()
		}
		b.WriteString(text[:i])
		inner := strings.TrimSpace(strings.Trim(strings.TrimSpace(text[i+len(left):i+len(left)+j]), "-"))
		switch {
		case controlAction.MatchString(inner):
		case strings.HasPrefix(inner, "."):
			f := strings.Fields(inner)[0]
			b.WriteString(Example(f[strings.LastIndex(f, ".")+1:]))
		default:
			b.WriteString(Fallback)
		}
		text = text[i+len(left)+j+len(right):]
	}
}

// LintLocaleFile reads a go-i18n YAML message file, fills the templates with
// example values and checks every message. See LintLocaleFS.
func LintLocaleFile(name string) ([]Report, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return lintLocale(filepath.Base(name), data)
}

// LintLocaleFS reads a go-i18n YAML message file from fsys, fills the
// templates with example values and checks every message, in file order.
//
// The language comes from the file name as go-i18n reads it ("nl.yaml",
// "active.nl.yaml", "nl-NL.yml"). Dutch files ("nl", and names without a
// language) get all rules; other languages get only the structural rules:
// sentence length, sentences and questions per message, and the button rule.
//
// A message is the value of a key ("welcome: Hoi!"), or a map with the
// go-i18n fields (other, one, zero, two, few, many, description, leftDelim,
// rightDelim); every plural form is checked, reported as "key[one]". Other
// maps nest: "menu: {title: ...}" is the message "menu.title". A list of
// maps with "id" is read too.
//
// A comment on or above a key steers the lint:
//
//	# easytext:skip                    not a client text: not checked
//	# easytext:ignore passive,acronym  these rules do not apply
//
// A "description" field holding the same words works as well.
func LintLocaleFS(fsys fs.FS, name string) ([]Report, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	return lintLocale(path.Base(name), data)
}

// LangOf returns the language of a go-i18n message file from its name:
// "active.nl.yaml" → "nl", "en-GB.yaml" → "en". It is "" when the name holds
// no language tag.
func LangOf(name string) string {
	base := path.Base(filepath.ToSlash(name))
	base = strings.TrimSuffix(base, path.Ext(base))
	parts := strings.Split(base, ".")
	tag := strings.ToLower(parts[len(parts)-1])
	tag, _, _ = strings.Cut(strings.ReplaceAll(tag, "_", "-"), "-")
	if len(tag) < 2 || len(tag) > 3 {
		return ""
	}
	for _, r := range tag {
		if r < 'a' || r > 'z' {
			return ""
		}
	}
	return tag
}

// message is one text of a locale file before it is checked.
type message struct {
	key         string
	text        string
	left, right string
	form        string // plural form: "one", "other", ...; "" for a plain text
	ignore      map[string]bool
}

func lintLocale(name string, data []byte) ([]Report, error) {
	switch strings.ToLower(path.Ext(name)) {
	case ".yaml", ".yml":
	default:
		return nil, fmt.Errorf("easytext: %s: only YAML message files are supported", name)
	}
	lang := LangOf(name)
	if lang == "" {
		lang = "nl"
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("easytext: %s: %w", name, err)
	}
	var msgs []message
	if len(doc.Content) > 0 {
		root := doc.Content[0]
		switch root.Kind {
		case yaml.MappingNode:
			if err := collectMap(root, "", nil, &msgs); err != nil {
				return nil, fmt.Errorf("easytext: %s: %w", name, err)
			}
		case yaml.SequenceNode:
			if err := collectList(root, &msgs); err != nil {
				return nil, fmt.Errorf("easytext: %s: %w", name, err)
			}
		default:
			return nil, fmt.Errorf("easytext: %s: line %d: want a map of messages", name, root.Line)
		}
	}
	reports := make([]Report, 0, len(msgs))
	for _, m := range msgs {
		if m.ignore["*"] {
			continue
		}
		filled, terr := fillTemplate(m.text, m.left, m.right, m.form)
		r := check(m.key, filled, KindOf(m.key), lang)
		if terr != nil {
			r.Findings = append([]Finding{{Rule: RuleTemplate, Severity: Warning,
				Detail: fmt.Sprintf("template does not run with example values, checked with placeholders replaced: %v", terr)}}, r.Findings...)
		}
		if len(m.ignore) > 0 {
			kept := r.Findings[:0]
			for _, f := range r.Findings {
				if !m.ignore[f.Rule] {
					kept = append(kept, f)
				}
			}
			r.Findings = kept
		}
		reports = append(reports, r)
	}
	return reports, nil
}

// pluralForms are the go-i18n plural forms, in the order they are reported.
var pluralForms = []string{"zero", "one", "two", "few", "many", "other"}

// messageFields are the keys that make a map a go-i18n message.
var messageFields = set("id", "description", "hash", "leftdelim", "rightdelim", "translation",
	"zero", "one", "two", "few", "many", "other")

func isMessageMap(n *yaml.Node) bool {
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !messageFields[strings.ToLower(k.Value)] || v.Kind != yaml.ScalarNode {
			return false
		}
	}
	return true
}

func collectMap(n *yaml.Node, prefix string, inherited map[string]bool, out *[]message) error {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := prefix + k.Value
		ignore := mergeIgnore(inherited, directives(k.HeadComment, k.LineComment, v.LineComment, v.HeadComment))
		switch {
		case v.Kind == yaml.ScalarNode:
			*out = append(*out, message{key: key, text: v.Value, left: "{{", right: "}}", ignore: ignore})
		case isMessageMap(v):
			collectMessage(v, key, ignore, out)
		case v.Kind == yaml.MappingNode:
			if err := collectMap(v, key+".", ignore, out); err != nil {
				return err
			}
		default:
			return fmt.Errorf("line %d: %s: want a text or a map", v.Line, key)
		}
	}
	return nil
}

func collectList(n *yaml.Node, out *[]message) error {
	for _, item := range n.Content {
		if !isMessageMap(item) {
			return fmt.Errorf("line %d: want a message with an id", item.Line)
		}
		id := field(item, "id")
		if id == "" {
			return fmt.Errorf("line %d: message without an id", item.Line)
		}
		collectMessage(item, id, directives(item.HeadComment, item.LineComment), out)
	}
	return nil
}

func field(n *yaml.Node, name string) string {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if strings.EqualFold(n.Content[i].Value, name) {
			return n.Content[i+1].Value
		}
	}
	return ""
}

func collectMessage(v *yaml.Node, key string, ignore map[string]bool, out *[]message) {
	ignore = mergeIgnore(ignore, directives(field(v, "description")))
	for i := 0; i+1 < len(v.Content); i += 2 {
		ignore = mergeIgnore(ignore, directives(v.Content[i].HeadComment, v.Content[i].LineComment, v.Content[i+1].LineComment))
	}
	left, right := field(v, "leftDelim"), field(v, "rightDelim")
	if left == "" {
		left = "{{"
	}
	if right == "" {
		right = "}}"
	}
	if t := field(v, "translation"); t != "" {
		*out = append(*out, message{key: key, text: t, left: left, right: right, ignore: ignore})
	}
	for _, form := range pluralForms {
		t := field(v, form)
		if t == "" {
			continue
		}
		k := key
		if form != "other" {
			k = key + "[" + form + "]"
		}
		*out = append(*out, message{key: k, text: t, left: left, right: right, form: form, ignore: ignore})
	}
}

var directiveRE = regexp.MustCompile(`easytext:(skip|ignore)\b[ =:]*([a-z0-9, -]*)`)

// directives reads "easytext:skip" and "easytext:ignore rule,rule" from
// comments or a description. Skip is the rule "*".
func directives(texts ...string) map[string]bool {
	var m map[string]bool
	for _, t := range texts {
		for _, match := range directiveRE.FindAllStringSubmatch(t, -1) {
			if m == nil {
				m = map[string]bool{}
			}
			rules := strings.FieldsFunc(match[2], func(r rune) bool { return r == ',' || r == ' ' })
			if match[1] == "skip" || len(rules) == 0 {
				m["*"] = true
				continue
			}
			for _, r := range rules {
				m[r] = true
			}
		}
	}
	return m
}

func mergeIgnore(a, b map[string]bool) map[string]bool {
	if len(a) == 0 {
		return b
	}
	if len(b) == 0 {
		return a
	}
	m := make(map[string]bool, len(a)+len(b))
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}
