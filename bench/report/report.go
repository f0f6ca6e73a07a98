package report

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/s3commit/s3commit/bench/internal/results"
)

// FileName is the name of the Markdown report inside a run's directory.
const FileName = "report.md"

// Write writes report.md and the PNG charts of run into dir (the run's
// directory, next to its results.json) and returns the paths written.
// Profiles (*.pprof, *.prof) already in dir are linked from the report.
func Write(dir string, run *results.Run) ([]string, error) {
	if run == nil {
		return nil, fmt.Errorf("report: no run to report")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	charts, err := writeCharts(dir, run)
	if err != nil {
		return nil, err
	}
	profiles, err := findProfiles(dir)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, FileName)
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if err := markdown(f, run, charts, profiles); err != nil {
		f.Close()
		return nil, fmt.Errorf("report: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("report: write %s: %w", path, err)
	}
	written := []string{path}
	for _, c := range charts {
		written = append(written, filepath.Join(dir, c))
	}
	return written, nil
}

// WriteFromResults reads the results document at path and writes the
// report and charts next to it.
func WriteFromResults(path string) ([]string, error) {
	run, err := results.Read(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return Write(filepath.Dir(path), run)
}

// findProfiles returns the names of the profile files in dir, sorted.
func findProfiles(dir string) ([]string, error) {
	var names []string
	for _, pattern := range []string{"*.pprof", "*.prof"} {
		m, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		for _, p := range m {
			names = append(names, filepath.Base(p))
		}
	}
	slices.Sort(names)
	return names, nil
}
