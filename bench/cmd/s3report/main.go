// Command s3report writes the Markdown report and PNG charts of a benchmark
// run next to its results document:
//
//	go run ./cmd/s3report results/20261122T030000Z-full/results.json
//
// A directory argument means the results.json inside it. s3bench writes
// the report itself at the end of a run; s3report regenerates it, for
// example after the report's format changed.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/s3commit/s3commit/bench/internal/results"
	"github.com/s3commit/s3commit/bench/report"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "s3report:", err)
		os.Exit(1)
	}
}

// run parses args, writes the report and names the files written on out.
func run(args []string, out, errOut io.Writer) error {
	fs := flag.NewFlagSet("s3report", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.Usage = func() {
		fmt.Fprintln(errOut, "usage: s3report RESULTS.json|RUN-DIR ...")
		fmt.Fprintln(errOut, "Writes report.md and PNG charts next to each results document.")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("name a results.json or the run directory holding it")
	}
	for _, arg := range fs.Args() {
		path := arg
		if fi, err := os.Stat(arg); err == nil && fi.IsDir() {
			path = filepath.Join(arg, results.FileName)
		}
		written, err := report.WriteFromResults(path)
		if err != nil {
			return err
		}
		for _, w := range written {
			fmt.Fprintln(out, w)
		}
	}
	return nil
}
