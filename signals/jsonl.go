package signals

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// jsonLine is one output line of WriteJSONLines.
type jsonLine struct {
	Text     string   `json:"text"`
	Severity Severity `json:"severity"`
	Category Category `json:"category"`
	Matches  []Match  `json:"matches"`
}

// WriteJSONLines is the body of `waakvlam classify`: it reads one message per
// line from in and writes one JSON object per line to out:
//
//	{"text":"k wil dood","severity":"urgent","category":"suicide","matches":[{"category":"suicide","severity":"urgent","pattern":"wil-dood","text":"wil dood"}]}
//
// Every input line gives an output line, empty lines included.
func WriteJSONLines(c *Classifier, in io.Reader, out io.Writer) error {
	r := bufio.NewReader(in)
	w := bufio.NewWriter(out)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for {
		line, err := r.ReadString('\n')
		if len(line) > 0 {
			line = strings.TrimRight(line, "\r\n")
			res := c.Classify(line)
			m := res.Matches
			if m == nil {
				m = []Match{}
			}
			if e := enc.Encode(jsonLine{Text: line, Severity: res.Severity, Category: res.Category, Matches: m}); e != nil {
				return e
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
	}
	return w.Flush()
}
