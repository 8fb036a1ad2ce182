package main

import (
	"flag"
	"io"

	"github.com/waakvlam/waakvlam/easytext"
	"github.com/waakvlam/waakvlam/locales"
	"github.com/waakvlam/waakvlam/signals"
)

func classify(stdin io.Reader, stdout io.Writer) error {
	c, err := signals.Default()
	if err != nil {
		return err
	}
	return signals.WriteJSONLines(c, stdin, stdout)
}

func lintTexts(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("lint-texts", flag.ContinueOnError)
	all := fs.Bool("all", false, "show every message, not only those with findings")
	if err := fs.Parse(args); err != nil {
		return err
	}
	reports, err := easytext.LintLocaleFS(locales.FS(), locales.Default+".yaml")
	if err != nil {
		return err
	}
	if err := easytext.WriteTable(stdout, reports, *all); err != nil {
		return err
	}
	if easytext.Errors(reports) > 0 {
		return errFindings
	}
	return nil
}
