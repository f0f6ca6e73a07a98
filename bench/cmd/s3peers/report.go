package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// report is what a run measured; runs.json holds it.
type report struct {
	Started   time.Time         `json:"started"`
	Machine   string            `json:"machine"`
	Store     string            `json:"store"`
	Runs      int               `json:"runs"`
	Versions  map[string]string `json:"versions"`
	Tools     []toolReport      `json:"tools"`
	Workloads []workloadReport  `json:"workloads"`
}

type toolReport struct {
	Name    string `json:"name"`
	Command string `json:"command"`
	Version string `json:"version,omitempty"`
	Note    string `json:"note,omitempty"`
	// Missing says why the tool was not run.
	Missing string `json:"missing,omitempty"`
}

type workloadReport struct {
	Name         string       `json:"name"`
	Label        string       `json:"label"`
	Files        int          `json:"files"`
	BytesPerFile int64        `json:"bytes_per_file"`
	Results      []toolResult `json:"results"`
}

type toolResult struct {
	Tool    string   `json:"tool"`
	Samples []sample `json:"samples"`
	// Error is the first failure; a tool that failed has no figures.
	Error string `json:"error,omitempty"`
}

// summary is the medians of a tool's runs.
type summary struct {
	wall, wallMin, wallMax float64
	cpu, serverCPU         float64
	maxRSS                 int64
	runs                   int
}

// summarize returns the median wall time (with the lowest and highest),
// the median client and server CPU, each the median of its own, and the
// highest peak RSS. Of an even count the upper median is taken.
func summarize(samples []sample) summary {
	var s summary
	s.runs = len(samples)
	if s.runs == 0 {
		return s
	}
	med := func(f func(sample) float64) float64 {
		v := make([]float64, len(samples))
		for i, x := range samples {
			v[i] = f(x)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	s.wall = med(func(x sample) float64 { return x.Wall })
	s.cpu = med(func(x sample) float64 { return x.CPU })
	s.serverCPU = med(func(x sample) float64 { return x.ServerCPU })
	s.wallMin = slices.MinFunc(samples, func(a, b sample) int { return cmp.Compare(a.Wall, b.Wall) }).Wall
	s.wallMax = slices.MaxFunc(samples, func(a, b sample) int { return cmp.Compare(a.Wall, b.Wall) }).Wall
	for _, x := range samples {
		s.maxRSS = max(s.maxRSS, x.MaxRSS)
	}
	return s
}

// markdown is the report as Markdown: the tools, then a table per
// workload with the ratios to s3commit.
func markdown(r *report) string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	p("# s3commit and its peers — %s", r.Started.Format("2006-01-02 15:04 MST"))
	p("")
	store := r.Store
	if v := r.Versions["minio"]; v != "" {
		store += " (" + v + ")"
	}
	runs := fmt.Sprintf("Median of %d runs of each tool, the runs of the tools interleaved.", r.Runs)
	if r.Runs == 1 {
		runs = "One run of each tool."
	}
	p("Store: %s. Machine: %s. %s", store, r.Machine, runs)
	p("Wall time is the command's, from its start to its exit; client CPU the user + system time of its process tree;")
	p("MinIO CPU the local server's during the run (– for an endpoint). ÷ s3commit is the tool's median over s3commit's.")
	p("")
	p("| Tool | Version | Command |")
	p("|---|---|---|")
	for _, t := range r.Tools {
		v := t.Version
		if t.Missing != "" {
			v = "not run"
		}
		cmdline := "`" + t.Command + "`"
		if t.Note != "" {
			cmdline += " (" + t.Note + ")"
		}
		p("| %s | %s | %s |", t.Name, cell(v), cell(cmdline))
	}
	p("")
	for _, t := range r.Tools {
		if t.Missing != "" {
			p("- **%s** was not run: %s", t.Name, t.Missing)
		}
	}
	if slices.ContainsFunc(r.Tools, func(t toolReport) bool { return t.Missing != "" }) {
		p("")
	}
	for _, w := range r.Workloads {
		total := int64(w.Files) * w.BytesPerFile
		p("## %s (%s)", w.Label, formatBytes(total))
		p("")
		p("| Tool | Wall s, median (min–max) | ÷ s3commit | MiB/s | Client CPU s | ÷ s3commit | Client CPU ms/file | MinIO CPU s | Peak RSS MiB |")
		p("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
		var ref *summary
		for _, tr := range w.Results {
			if tr.Tool == toolS3commit && tr.Error == "" {
				s := summarize(tr.Samples)
				ref = &s
			}
		}
		for _, tr := range w.Results {
			if tr.Error != "" {
				p("| %s | failed: %s ||||||||", tr.Tool, cell(tr.Error))
				continue
			}
			s := summarize(tr.Samples)
			if s.runs == 0 {
				continue
			}
			wallRatio, cpuRatio := "–", "–"
			if ref != nil && ref.wall > 0 {
				wallRatio = fmt.Sprintf("%.2f", s.wall/ref.wall)
			}
			if ref != nil && ref.cpu > 0 {
				cpuRatio = fmt.Sprintf("%.2f", s.cpu/ref.cpu)
			}
			server := "–"
			if s.serverCPU > 0 {
				server = fmt.Sprintf("%.2f", s.serverCPU)
			}
			p("| %s | %.2f (%.2f–%.2f) | %s | %.0f | %.2f | %s | %.2f | %s | %.0f |",
				tr.Tool, s.wall, s.wallMin, s.wallMax, wallRatio, float64(total)/(1<<20)/s.wall,
				s.cpu, cpuRatio, 1000*s.cpu/float64(max(w.Files, 1)), server, float64(s.maxRSS)/(1<<20))
		}
		p("")
	}
	return b.String()
}

// cell escapes a table cell.
func cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}

// writeReport writes report.md and runs.json into dir.
func writeReport(dir string, r *report, md string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "runs.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "report.md"), []byte(md), 0o644)
}

// formatBytes writes n in the largest binary unit that keeps it ≥ 1.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return trimUnit(float64(n)/(1<<30), "GiB")
	case n >= 1<<20:
		return trimUnit(float64(n)/(1<<20), "MiB")
	case n >= 1<<10:
		return trimUnit(float64(n)/(1<<10), "KiB")
	}
	return fmt.Sprintf("%d B", n)
}

func trimUnit(v float64, unit string) string {
	s := strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.1f", v), "0"), ".")
	return s + " " + unit
}
