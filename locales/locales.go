// Package locales owns every text a client reads: go-i18n message files,
// one per language, embedded in the binary. Adding a language is adding a
// file named <lang>.yaml with the same keys as nl.yaml.
package locales

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"gopkg.in/yaml.v3"
)

//go:embed *.yaml
var files embed.FS

// Default is the language for clients who chose none.
const Default = "nl"

// FS returns the embedded message files, for the language lint.
func FS() fs.FS { return files }

// Texts renders client texts. It is safe for concurrent use.
type Texts struct {
	bundle     *i18n.Bundle
	localizers map[string]*i18n.Localizer
	langs      []string
	keys       map[string]map[string]bool
}

// Load reads the embedded message files.
func Load() (*Texts, error) { return LoadFS(files) }

// LoadFS reads every <lang>.yaml in fsys.
func LoadFS(fsys fs.FS) (*Texts, error) {
	b := i18n.NewBundle(language.Dutch)
	b.RegisterUnmarshalFunc("yaml", yaml.Unmarshal)
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list locale files: %w", err)
	}
	t := &Texts{bundle: b, localizers: map[string]*i18n.Localizer{}, keys: map[string]map[string]bool{}}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read locale %s: %w", name, err)
		}
		mf, err := b.ParseMessageFileBytes(data, name)
		if err != nil {
			return nil, fmt.Errorf("parse locale %s: %w", name, err)
		}
		lang := strings.TrimSuffix(name, ".yaml")
		t.langs = append(t.langs, lang)
		t.keys[lang] = map[string]bool{}
		for _, m := range mf.Messages {
			t.keys[lang][m.ID] = true
		}
		// The default language comes last so that a missing key falls back to it.
		t.localizers[lang] = i18n.NewLocalizer(b, lang, Default)
	}
	if t.localizers[Default] == nil {
		return nil, fmt.Errorf("load locales: no %s.yaml", Default)
	}
	sort.Strings(t.langs)
	return t, nil
}

// Languages lists the loaded languages.
func (t *Texts) Languages() []string { return append([]string(nil), t.langs...) }

// Keys lists the message keys of one language, sorted.
func (t *Texts) Keys(lang string) []string {
	var out []string
	for k := range t.keys[lang] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Has reports whether lang's file has key.
func (t *Texts) Has(lang, key string) bool { return t.keys[lang][key] }

// Supported reports whether lang has a message file.
func (t *Texts) Supported(lang string) bool { return t.localizers[lang] != nil }

// Text renders key in lang with data. Unknown languages fall back to Dutch.
// A missing key renders as the key itself, which the locale tests catch.
func (t *Texts) Text(lang, key string, data map[string]any) string {
	l := t.localizers[lang]
	if l == nil {
		l = t.localizers[Default]
	}
	cfg := &i18n.LocalizeConfig{MessageID: key, TemplateData: data}
	s, err := l.Localize(cfg)
	if err != nil || !t.keys[lang][key] {
		// A key this language lacks comes in Dutch rather than not at all.
		if s, err = t.localizers[Default].Localize(cfg); err != nil {
			return key
		}
	}
	return s
}
