package signals

import (
	"fmt"
	"strings"
)

// Severity says how fast a coach should look at a message. Severities are
// ordered: None < Attention < High < Urgent.
type Severity int

// The severities, from no concern to a crisis.
const (
	None Severity = iota
	Attention
	High
	Urgent
)

var severityNames = [...]string{"none", "attention", "high", "urgent"}

// String gives "none", "attention", "high" or "urgent".
func (s Severity) String() string {
	if s >= None && int(s) < len(severityNames) {
		return severityNames[s]
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// MarshalText encodes the severity by name.
func (s Severity) MarshalText() ([]byte, error) {
	if s < None || int(s) >= len(severityNames) {
		return nil, fmt.Errorf("signals: invalid severity %d", int(s))
	}
	return []byte(severityNames[s]), nil
}

// UnmarshalText parses a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSeverity parses "none", "attention", "high" or "urgent".
func ParseSeverity(name string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(strings.TrimSpace(name), n) {
			return Severity(i), nil
		}
	}
	return None, fmt.Errorf("signals: unknown severity %q", name)
}

// Category is the kind of concern. The empty category means no concern.
type Category string

// The categories, in the order used to break ties between equally severe matches.
const (
	Suicide      Category = "suicide"
	SelfHarm     Category = "selfharm"
	Danger       Category = "danger"
	Violence     Category = "violence"
	Exploitation Category = "exploitation"
	Housing      Category = "housing"
	Money        Category = "money"
	Police       Category = "police"
	Health       Category = "health"
	Mood         Category = "mood"
)

// Categories lists every category, most pressing first.
var Categories = []Category{Suicide, SelfHarm, Danger, Violence, Exploitation, Housing, Money, Police, Health, Mood}

func categoryRank(c Category) int {
	for i, k := range Categories {
		if k == c {
			return i
		}
	}
	return len(Categories)
}

// Match is one pattern found in a message.
type Match struct {
	Category Category `json:"category"`
	Severity Severity `json:"severity"`
	Pattern  string   `json:"pattern"` // pattern name from the data file
	Text     string   `json:"text"`    // the matched normalised words
}

// Result is the classification of one message. Severity and Category are
// those of the worst match; Matches is ordered worst first.
type Result struct {
	Severity Severity `json:"severity"`
	Category Category `json:"category"`
	Matches  []Match  `json:"matches"`
	// AskBack: the model finds the message possibly urgent but is not
	// sure; Severity is then High and Category the suspected concern.
	AskBack bool `json:"ask_back,omitempty"`
	// Lang is the language the message is written in: "nl", "en", or ""
	// when the words do not tell (then the client's own language counts).
	Lang string `json:"lang"`
	// Model is the model's score; nil when no model is loaded.
	Model *ModelScore `json:"model,omitempty"`
	// Fired names the parts that gave the severity: "rules", "model".
	Fired []string `json:"fired,omitempty"`
}
