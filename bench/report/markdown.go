package report

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/s3commit/s3commit/bench/internal/results"
)

// markdown writes the report of run to w; charts are the chart file names
// to embed and profiles the profile files found next to the results.
func markdown(w io.Writer, run *results.Run, charts, profiles []string) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }

	p("# s3commit benchmark — %s run of %s", run.Mode, run.Started.UTC().Format("2006-01-02 15:04 MST"))
	p("")
	p("Target: %s", orNone(run.Target))
	if run.Latency != "" {
		p("Added latency: %s", run.Latency)
	}
	p("")
	p("## Machine and versions")
	p("")
	m := run.Machine
	p("| | |")
	p("|---|---|")
	p("| CPU | %s |", cell(orNone(m.CPU)))
	p("| Cores | %d |", m.Cores)
	p("| Memory | %s |", formatBytes(m.MemoryBytes))
	p("| OS/arch | %s/%s |", m.OS, m.Arch)
	for _, k := range sortedKeys(run.Versions) {
		p("| %s | %s |", cell(k), cell(run.Versions[k]))
	}
	p("")

	ratios := Ratios(run)
	p("## Targets")
	p("")
	p("| Target | Condition | Measured | Verdict | Details |")
	p("|---|---|---|---|---|")
	for _, r := range ratios {
		p("| %s | %s | %s | **%s** | %s |", cell(r.Name), cell(r.Target), formatValue(r), r.Verdict, cell(r.Detail))
	}
	p("")

	if len(charts) > 0 {
		p("## Charts")
		p("")
		for _, c := range charts {
			p("![%s](%s)", strings.TrimSuffix(c, ".png"), c)
			p("")
		}
	}

	p("## Results by workload")
	p("")
	p("Times in seconds; total time is task commit + job commit. MiB/s is task-commit (staging) or upload throughput; completions/s is staging's job-commit rate. Requests are HTTP requests by S3 operation; CPU s is the client's CPU time and server CPU s the local MinIO's (– for an endpoint); heap and RSS are the client's peaks in MiB.")
	p("")
	for _, w := range workloads(run) {
		p("### %s", w)
		p("")
		p("| Strategy | Settings | Files | Bytes/file | Total | Write | Task commit | Job commit | Total time | MiB/s | Completions/s | Requests | Requests/file | CPU s | Server CPU s | Heap MiB | RSS MiB |")
		p("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|")
		for _, r := range run.Results {
			if r.Workload != w {
				continue
			}
			if r.Error != "" {
				p("| %s | %s | %d | %s | %s | failed: %s ||||||||||||", r.Strategy, cell(formatMap(r.Settings)), r.Files,
					formatBytes(r.BytesPerFile), formatBytes(r.TotalBytes), cell(r.Error))
				continue
			}
			var reqs int64
			for _, n := range r.Requests {
				reqs += n
			}
			perFile := "–"
			if r.Files > 0 {
				perFile = fmt.Sprintf("%.2f", float64(reqs)/float64(r.Files))
			}
			p("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %.1f | %s | %s | %s | %.2f | %s | %s | %s |",
				r.Strategy, cell(formatMap(r.Settings)), r.Files, formatBytes(r.BytesPerFile), formatBytes(r.TotalBytes),
				phase(r, results.PhaseWrite), phase(r, results.PhaseTaskCommit), phase(r, results.PhaseJobCommit),
				phase(r, results.PhaseTotal), r.MiBPerSecond, rate(r.CompletionsPerSecond), cell(formatMap(r.Requests)),
				perFile, r.CPUSeconds, seconds(r.ServerCPUSeconds), formatMiB(r.PeakHeapBytes), formatMiB(r.PeakRSSBytes))
		}
		p("")
	}

	p("## Closing note")
	p("")
	var failed []Ratio
	for _, r := range ratios {
		p("- %s (%s): **%s**.", r.Name, r.Target, r.Verdict)
		if r.Verdict == DoesNotHold {
			failed = append(failed, r)
		}
	}
	p("")
	switch {
	case len(failed) == 0:
		p("Every measured target holds in this run.")
	case len(profiles) > 0:
		p("%d target(s) do not hold. Profiles of this run, for `go tool pprof`:", len(failed))
		p("")
		for _, f := range profiles {
			p("- [%s](%s)", f, f)
		}
	default:
		p("%d target(s) do not hold. No profiles were saved with this run; run s3bench with `--profile` to get CPU and heap profiles for `go tool pprof` (see bench/README.md).", len(failed))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orNone(s string) string {
	if s == "" {
		return "(not recorded)"
	}
	return s
}

func phase(r results.Result, name string) string {
	v, ok := r.Phases[name]
	if !ok {
		return "–"
	}
	return fmt.Sprintf("%.3f", v)
}

// seconds formats a CPU time, "–" when it was not measured.
func seconds(v float64) string {
	if v == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", v)
}

func rate(v float64) string {
	if v == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f", v)
}

func formatValue(r Ratio) string {
	switch {
	case math.IsNaN(r.Value):
		return "–"
	case strings.Contains(r.Name, "heap"):
		return formatBytes(int64(r.Value))
	default:
		return fmt.Sprintf("%.2f", r.Value)
	}
}
