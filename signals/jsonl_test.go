package signals

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

func TestWriteJSONLinesGolden(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.ReadFile("testdata/classify.in")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteJSONLines(c, bytes.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	// one valid JSON object per input line
	inLines := strings.Split(strings.TrimSuffix(string(in), "\n"), "\n")
	outLines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(inLines) != len(outLines) {
		t.Fatalf("%d input lines, %d output lines", len(inLines), len(outLines))
	}
	for i, l := range outLines {
		var v struct {
			Text     string
			Severity string
			Category string
			Matches  []Match
		}
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if want := strings.TrimRight(inLines[i], "\r"); v.Text != want {
			t.Errorf("line %d: text %q, want %q", i+1, v.Text, want)
		}
	}
	golden := "testdata/classify.golden"
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("output differs from %s (run go test ./signals -run Golden -update after checking the change)\ngot:\n%s", golden, out.String())
	}
}

func TestWriteJSONLinesEmpty(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteJSONLines(c, strings.NewReader(""), &out); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Errorf("empty input gave %q", out.String())
	}
}
