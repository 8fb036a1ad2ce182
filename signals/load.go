package signals

import (
	"bufio"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"unicode/utf8"
)

//go:embed data
var embedded embed.FS

// Default builds a classifier from the data files embedded in the binary
// (the folder signals/data).
func Default() (*Classifier, error) {
	sub, err := fs.Sub(embedded, "data")
	if err != nil {
		return nil, err
	}
	return Load(sub)
}

const (
	defaultGap  = 4 // "..." skips at most this many words
	negWindow   = 3 // a negation counts this many words before a match
	maxVariants = 64
	minFuzzy    = 7 // words this long (skeleton) may have one typing error
)

type elemKind uint8

const (
	ekWord elemKind = iota
	ekGap
	ekEnd
	ekNumber
)

type elem struct {
	kind elemKind
	ids  []int32 // accepted word ids (ekWord)
	max  int     // ekGap
}

type pattern struct {
	name  string
	cat   Category
	sev   Severity
	elems []elem
	src   string // file:line, for errors
}

type prefixWord struct {
	base string
	id   int32
}

// chatEntry is what a chat spelling stands for: one or more words, the
// first of which may have alternative meanings.
type chatEntry struct {
	words []string
	alts  []string // alternative meanings of a one-word entry
}

// lineReader yields the non-empty, non-comment lines of a data file.
func readLines(fsys fs.FS, name string, fn func(lineNo int, line string) error) error {
	f, err := fsys.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if n == 1 {
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := fn(n, line); err != nil {
			return fmt.Errorf("signals: %s:%d: %w", name, n, err)
		}
	}
	return sc.Err()
}

// Load builds a classifier from a folder of data files laid out like
// signals/data: patterns/*.txt, concepts.txt, rules.txt, exceptions.txt,
// negation.txt, clause.txt, chat.txt, emoji.txt and words.txt (and the
// model, model.bin.gz). Only patterns/ is required.
func Load(fsys fs.FS) (*Classifier, error) {
	c := &Classifier{
		vocab:  map[string]int32{},
		known:  map[string]bool{},
		chat:   map[string]*chatEntry{},
		emoji:  map[rune]string{},
		first:  map[int32][]int32{},
		xfirst: map[int32][]int32{},
		fz:     map[string]int32{},
		fzDel:  map[string]int32{},
	}
	optional := func(name string, fn func(int, string) error) error {
		if _, err := fs.Stat(fsys, name); err != nil {
			return nil
		}
		return readLines(fsys, name, fn)
	}
	// emoji.txt: "😭 = huil"
	if err := optional("emoji.txt", func(_ int, line string) error {
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return fmt.Errorf("want: emoji = name")
		}
		r, _ := utf8.DecodeRuneInString(k)
		if !isEmoji(r) {
			return fmt.Errorf("%q is not an emoji", k)
		}
		c.emoji[r] = foldWord(v)
		return nil
	}); err != nil {
		return nil, err
	}
	// chat.txt: "k = ik", "der = er | haar", "kwil = ik wil"
	if err := optional("chat.txt", func(_ int, line string) error {
		k, v, ok := strings.Cut(line, "=")
		k = foldWord(strings.TrimSpace(k))
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return fmt.Errorf("want: word = meaning")
		}
		var e chatEntry
		for i, alt := range strings.Split(v, "|") {
			ws := strings.Fields(foldWord(alt))
			if len(ws) == 0 {
				return fmt.Errorf("empty meaning")
			}
			if i == 0 {
				e.words = ws
			} else {
				if len(ws) != 1 || len(e.words) != 1 {
					return fmt.Errorf("alternatives (|) only for one word")
				}
				e.alts = append(e.alts, ws[0])
			}
		}
		if _, dup := c.chat[k]; dup {
			return fmt.Errorf("%q listed twice", k)
		}
		c.chat[k] = &e
		return nil
	}); err != nil {
		return nil, err
	}
	// negation.txt and clause.txt: one word a line
	var negWords, clauseWords []string
	if err := optional("negation.txt", func(_ int, line string) error {
		negWords = append(negWords, strings.Fields(foldWord(line))...)
		return nil
	}); err != nil {
		return nil, err
	}
	if err := optional("clause.txt", func(_ int, line string) error {
		clauseWords = append(clauseWords, strings.Fields(foldWord(line))...)
		return nil
	}); err != nil {
		return nil, err
	}
	c.negSkel, c.breakSkel = map[string]bool{}, map[string]bool{}
	for _, w := range negWords {
		id := c.wordID(w)
		c.setFlag(id, &c.isNeg)
		c.negSkel[skeleton(baseForm(w))] = true
	}
	for _, w := range clauseWords {
		id := c.wordID(w)
		c.setFlag(id, &c.isBreak)
		c.breakSkel[skeleton(baseForm(w))] = true
	}
	// words.txt: ordinary words, several a line
	var ordinary []string
	if err := optional("words.txt", func(_ int, line string) error {
		ordinary = append(ordinary, strings.Fields(foldWord(line))...)
		return nil
	}); err != nil {
		return nil, err
	}
	// patterns/*.txt
	files, err := fs.Glob(fsys, "patterns/*.txt")
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("signals: no pattern files in patterns/")
	}
	sort.Strings(files)
	names := map[string]string{} // pattern name -> "category/severity"
	patternCat := map[string]Category{}
	for _, file := range files {
		cat := Category(strings.TrimSuffix(path.Base(file), ".txt"))
		if categoryRank(cat) == len(Categories) {
			return nil, fmt.Errorf("signals: %s: unknown category %q (file name must be one of %v)", file, cat, Categories)
		}
		if err := readLines(fsys, file, func(n int, line string) error {
			f := strings.Fields(line)
			if len(f) < 3 {
				return fmt.Errorf("want: severity name words")
			}
			sev, err := ParseSeverity(f[0])
			if err != nil || sev == None {
				return fmt.Errorf("severity must be urgent, high or attention, not %q", f[0])
			}
			key := string(cat) + "/" + sev.String()
			if prev, ok := names[f[1]]; ok && prev != key {
				return fmt.Errorf("name %q is already used for %s", f[1], prev)
			}
			names[f[1]] = key
			patternCat[f[1]] = cat
			variants, err := c.compile(f[2:])
			if err != nil {
				return err
			}
			for _, v := range variants {
				c.patterns = append(c.patterns, pattern{name: f[1], cat: cat, sev: sev, elems: v, src: fmt.Sprintf("%s:%d", file, n)})
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	if err := optional("exceptions.txt", func(n int, line string) error {
		variants, err := c.compile(strings.Fields(line))
		if err != nil {
			return err
		}
		for _, v := range variants {
			c.exceptions = append(c.exceptions, pattern{name: "exception", elems: v, src: fmt.Sprintf("exceptions.txt:%d", n)})
		}
		return nil
	}); err != nil {
		return nil, err
	}
	// words of concepts.txt (often short or English) are not used to cut
	// glued words apart
	glueWords := len(c.words)
	if err := c.loadConcepts(fsys, patternCat); err != nil {
		return nil, err
	}
	// index patterns by their first word
	index := func(ps []pattern, m map[int32][]int32, num *[]int32) {
		for i, p := range ps {
			e := p.elems[0]
			if e.kind == ekNumber {
				*num = append(*num, int32(i))
				continue
			}
			for _, id := range e.ids {
				m[id] = append(m[id], int32(i))
			}
		}
	}
	index(c.patterns, c.first, &c.firstNum)
	index(c.exceptions, c.xfirst, &c.xfirstNum)

	// ordinary words: known, never fuzzed or split
	for _, w := range ordinary {
		c.known[skeleton(baseForm(w))] = true
	}
	for k := range c.chat {
		c.known[skeleton(baseForm(k))] = true
	}
	// fuzzy matching over long pattern words
	for s, id := range c.vocab {
		if strings.HasPrefix(s, "*") || strings.HasPrefix(s, ":") || len(s) < minFuzzy || !isASCIIWord(s) {
			continue
		}
		c.fz[s] = id
		for i := range len(s) {
			d := s[:i] + s[i+1:]
			if _, ok := c.fzDel[d]; !ok {
				c.fzDel[d] = id
			}
		}
	}
	// the dictionary for cutting glued words: the words as written, so a
	// piece must be spelled out in the glued word ("ikwildood"), not only
	// sound alike ("gingen" is no "gin geen", "zondag" no "zoon dag")
	c.trie.add("k", "k")
	addTrie := func(w string) {
		if len(w) >= 2 && isASCIIWord(w) {
			c.trie.add(w, w)
		}
	}
	for _, w := range c.words[:glueWords] {
		if !strings.HasPrefix(w, ":") {
			addTrie(w)
		}
	}
	for _, w := range ordinary {
		addTrie(w)
	}
	for k, e := range c.chat {
		if len(k) >= 3 { // "dr", "ma", "zn" would cut ordinary words ("dreigen", "magazijn")
			addTrie(k)
		}
		for _, w := range e.words {
			addTrie(w)
		}
	}
	// the trained model, when there is one
	if _, err := fs.Stat(fsys, modelFile); err == nil {
		f, err := fsys.Open(modelFile)
		if err != nil {
			return nil, fmt.Errorf("signals: open %s: %w", modelFile, err)
		}
		defer f.Close()
		if c.model, err = ReadModel(f); err != nil {
			return nil, fmt.Errorf("signals: %s: %w", modelFile, err)
		}
	}
	return c, nil
}

// modelFile is where Load finds the trained model in a data folder.
const modelFile = "model.bin.gz"

func isASCIIWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isASCIILetter(s[i]) {
			return false
		}
	}
	return s != ""
}

func (c *Classifier) setFlag(id int32, flags *[]bool) {
	for int(id) >= len(*flags) {
		*flags = append(*flags, false)
	}
	(*flags)[id] = true
}

// wordID returns the id of a folded word, adding it to the vocabulary.
func (c *Classifier) wordID(w string) int32 {
	key := skeleton(baseForm(w))
	if strings.HasPrefix(w, ":") {
		key = w
	}
	if id, ok := c.vocab[key]; ok {
		return id
	}
	id := int32(len(c.words))
	c.vocab[key] = id
	c.words = append(c.words, w)
	return id
}

// prefixID returns the id of a prefix (a pattern word ending in *).
func (c *Classifier) prefixID(w string) int32 {
	b := baseForm(w)
	key := "*" + b
	if id, ok := c.vocab[key]; ok {
		return id
	}
	id := int32(len(c.words))
	c.vocab[key] = id
	c.words = append(c.words, w+"*")
	c.prefixes = append(c.prefixes, prefixWord{base: b, id: id})
	return id
}

// compile turns the words of one pattern line into one or more element
// lists (optional words give several variants).
func (c *Classifier) compile(fields []string) ([][]elem, error) {
	variants := [][]elem{nil}
	for _, f := range fields {
		opt := false
		if strings.HasPrefix(f, "(") && strings.HasSuffix(f, ")") {
			opt = true
			f = f[1 : len(f)-1]
		}
		var e elem
		switch f {
		case "...":
			e = elem{kind: ekGap, max: defaultGap}
		case "$":
			e = elem{kind: ekEnd}
		case "#":
			e = elem{kind: ekNumber}
		default:
			e = elem{kind: ekWord}
			for _, alt := range strings.Split(f, "/") {
				if alt == "" {
					return nil, fmt.Errorf("empty word in %q", f)
				}
				if strings.HasPrefix(alt, ":") {
					name := foldWord(alt[1:])
					if !isASCIIWord(name) {
						return nil, fmt.Errorf("bad emoji name %q", alt)
					}
					e.ids = append(e.ids, c.wordID(":"+name))
					continue
				}
				prefix := strings.HasSuffix(alt, "*")
				w := foldWord(strings.TrimSuffix(alt, "*"))
				for _, r := range w {
					if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
						return nil, fmt.Errorf("word %q: use only letters and digits", alt)
					}
				}
				if ce, ok := c.chat[w]; ok && !ce.means(w) {
					return nil, fmt.Errorf("word %q is chat spelling (chat.txt); write %q", w, strings.Join(ce.words, " "))
				}
				e.ids = append(e.ids, c.wordID(w))
				if prefix {
					e.ids = append(e.ids, c.prefixID(w))
				}
			}
		}
		if opt && e.kind != ekWord {
			return nil, fmt.Errorf("only words can be optional: %q", f)
		}
		n := len(variants)
		for i := range n {
			if opt {
				variants = append(variants, variants[i]) // without the word
			}
			v := append([]elem(nil), variants[i]...)
			variants[i] = append(v, e)
		}
		if len(variants) > maxVariants {
			return nil, fmt.Errorf("too many optional words")
		}
	}
	out := variants[:0]
	for _, v := range variants {
		if len(v) == 0 {
			continue
		}
		if v[0].kind == ekGap || v[0].kind == ekEnd {
			return nil, fmt.Errorf("a pattern cannot start with ... or $")
		}
		if v[len(v)-1].kind == ekGap {
			return nil, fmt.Errorf("a pattern cannot end with ...")
		}
		for i := 1; i < len(v); i++ {
			if v[i].kind == ekGap && v[i-1].kind == ekGap {
				return nil, fmt.Errorf("two ... in a row")
			}
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("pattern has no words")
	}
	return out, nil
}

// means reports whether a chat spelling can stand for the single word w.
func (e *chatEntry) means(w string) bool {
	if len(e.words) != 1 {
		return false
	}
	if e.words[0] == w {
		return true
	}
	for _, a := range e.alts {
		if a == w {
			return true
		}
	}
	return false
}
