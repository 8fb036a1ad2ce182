package easytext

import (
	"bufio"
	"embed"
	"fmt"
	"slices"
	"strings"
	"sync"
)

//go:embed data/hardwords.tsv data/abbreviations.tsv
var dataFS embed.FS

// HardWords returns the hard words and phrases of the embedded data file
// data/hardwords.tsv, each with its easy alternative: "indien" → "als",
// "zo spoedig mogelijk" → "zo snel als je kunt". The map is a copy.
func HardWords() map[string]string {
	return copyMap(hardWords())
}

// Abbreviations returns the abbreviations of the embedded data file
// data/abbreviations.tsv, each with what to write instead. The map is a copy.
func Abbreviations() map[string]string {
	return copyMap(abbreviations())
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

var (
	hardWords     = sync.OnceValue(func() map[string]string { return mustTable("data/hardwords.tsv") })
	abbreviations = sync.OnceValue(func() map[string]string { return mustTable("data/abbreviations.tsv") })
	// hardPhrases indexes the hard words by their first word, longest first.
	hardPhrases = sync.OnceValue(func() map[string][][]string {
		idx := map[string][][]string{}
		for k := range hardWords() {
			ws := strings.Fields(k)
			idx[ws[0]] = append(idx[ws[0]], ws)
		}
		for _, list := range idx {
			sortLongestFirst(list)
		}
		return idx
	})
)

func sortLongestFirst(list [][]string) {
	slices.SortFunc(list, func(a, b []string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(strings.Join(a, " "), strings.Join(b, " "))
	})
}

func mustTable(name string) map[string]string {
	m, err := readTable(name)
	if err != nil {
		panic(err) // the files are embedded; TestDataFiles keeps them well formed
	}
	return m
}

// readTable reads a two-column tab separated file with # comments.
func readTable(name string) (map[string]string, error) {
	f, err := dataFS.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), " \r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "\t")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" || strings.Contains(v, "\t") {
			return nil, fmt.Errorf("%s:%d: want \"word<TAB>alternative\", got %q", name, n, line)
		}
		if k != strings.ToLower(k) {
			return nil, fmt.Errorf("%s:%d: %q is not lower case", name, n, k)
		}
		k = strings.Join(strings.Fields(k), " ")
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("%s:%d: %q twice", name, n, k)
		}
		m[k] = v
	}
	return m, sc.Err()
}
