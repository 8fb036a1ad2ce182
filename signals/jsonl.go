package signals

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strings"
)

// jsonLine is one output line of WriteJSONLines.
type jsonLine struct {
	Text     string   `json:"text"`
	Severity Severity `json:"severity"`
	Category Category `json:"category"`
	Matches  []Match  `json:"matches"`
	// Matched names the patterns that matched, worst first.
	Matched []string `json:"matched"`
	// Probability is the model's probability of a concern at least as
	// severe as Severity (for none: of any concern); absent without a model.
	Probability *float64    `json:"probability,omitempty"`
	Model       *ModelScore `json:"model,omitempty"`
	Fired       []string    `json:"fired"` // "rules", "model": which part gave the severity
	AskBack     bool        `json:"ask_back"`
	Lang        string      `json:"lang"`
}

// WriteJSONLines is the body of `waakvlam classify`: it reads one message per
// line from in and writes one JSON object per line to out:
//
//	{"text":"k wil dood","severity":"urgent","category":"suicide","matches":[{"category":"suicide","severity":"urgent","pattern":"wil-dood","text":"wil dood"}],
//	 "matched":["wil-dood"],"probability":0.97,"model":{"urgent":0.97,"high":0.99,"attention":1,"category":"suicide"},
//	 "fired":["rules","model"],"ask_back":false,"lang":"nl"}
//
// (one line per message; broken here for reading).
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
			jl := jsonLine{Text: line, Severity: res.Severity, Category: res.Category, Matches: m,
				Matched: []string{}, Model: res.Model, Fired: res.Fired, AskBack: res.AskBack, Lang: res.Lang}
			for _, x := range m {
				jl.Matched = append(jl.Matched, x.Pattern)
			}
			if jl.Fired == nil {
				jl.Fired = []string{}
			}
			if res.Model != nil {
				ms := *res.Model
				ms.Urgent, ms.High, ms.Attention = round3(ms.Urgent), round3(ms.High), round3(ms.Attention)
				p := ms.probability(res.Severity)
				jl.Model, jl.Probability = &ms, &p
			}
			if e := enc.Encode(jl); e != nil {
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

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }
