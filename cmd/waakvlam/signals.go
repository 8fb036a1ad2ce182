package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/waakvlam/waakvlam/signals"
)

const signalsUsage = `usage: waakvlam signals <command>
  train   train the model from the labelled corpus and write it to the data folder
  export-verdicts [-since 720h]
          print the coaches' verdicts as labelled examples (severity, category, text; TSV)
`

// signalsCmd runs the recogniser's maintenance commands.
func signalsCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, signalsUsage)
		return usageError("signals: which command?")
	}
	switch args[0] {
	case "train":
		return signalsTrain(args[1:], stdout, stderr)
	case "export-verdicts":
		return exportVerdicts(ctx, args[1:], getenv, stdout, stderr)
	}
	fmt.Fprint(stderr, signalsUsage)
	return usageError(fmt.Sprintf("signals: unknown command %q", args[0]))
}

// signalsTrain is `waakvlam signals train`: run it from the repository
// root after the corpus or the pattern files changed, then commit the
// model file. The same corpus and seed give the same model.
func signalsTrain(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("signals train", flag.ContinueOnError)
	dataDir := fs.String("data", "signals/data", "data folder: the patterns to train beside, and where model.bin.gz goes")
	seed := fs.Uint64("seed", 1, "random seed")
	out := fs.String("out", "", "where to write the model (default: model.bin.gz in the data folder)")
	corpus := fs.String("corpus", "signals/testdata/corpus.tsv,signals/testdata/holdout.tsv,signals/testdata/train/*.tsv",
		"comma-separated files or globs of labelled messages (blind sets join only after they were measured)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := signals.Load(os.DirFS(*dataDir))
	if err != nil {
		return err
	}
	var files []string
	for _, g := range splitComma(*corpus) {
		m, err := filepath.Glob(g)
		if err != nil {
			return usageError(fmt.Sprintf("signals train: bad pattern %q", g))
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	var ex []signals.Example
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			return err
		}
		e, err := signals.ReadExamples(r, filepath.ToSlash(f))
		r.Close()
		if err != nil {
			return err
		}
		ex = append(ex, e...)
	}
	m, err := signals.Train(c, ex, signals.TrainOptions{Seed: *seed, Log: stderr})
	if err != nil {
		return err
	}
	if *out == "" {
		*out = filepath.Join(*dataDir, "model.bin.gz")
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	n, err := m.WriteTo(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	info, _ := json.MarshalIndent(m.Info(), "", "  ")
	fmt.Fprintf(stdout, "%s (%d bytes)\n%s\n", *out, n, info)
	return nil
}

func splitComma(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' })
}
