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
	if run.WorkDir != "" {
		p("")
		p("Local files (buffer dir, fs staging home, direct's files): %s, apart from the local MinIO's drive", run.WorkDir)
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
				p("| %s | %s | %d | %s | %s | failed: %s ||||||||||||", strategyLabel(r), cell(formatMap(r.Settings)), r.Files,
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
				strategyLabel(r), cell(formatMap(r.Settings)), r.Files, formatBytes(r.BytesPerFile), formatBytes(r.TotalBytes),
				phase(r, results.PhaseWrite), phase(r, results.PhaseTaskCommit), phase(r, results.PhaseJobCommit),
				phase(r, results.PhaseTotal), r.MiBPerSecond, rate(r.CompletionsPerSecond), cell(formatMap(r.Requests)),
				perFile, r.CPUSeconds, seconds(r.ServerCPUSeconds), formatMiB(r.PeakHeapBytes), formatMiB(r.PeakRSSBytes))
		}
		p("")
	}

	homesSection(p, run)
	checksumsSection(p, run)
	deferredSection(p, run)
	atCloseSection(p, run)

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
	case strings.Contains(r.Name, "checksums ÷ none"), strings.Contains(r.Name, "last close"):
		return fmt.Sprintf("%.3f", r.Value) // bounds of 1.03 and 0.2 need the third digit
	default:
		return fmt.Sprintf("%.2f", r.Value)
	}
}

// homesSection writes the comparison of the staging homes: for each
// workload measured with both, the times and their ratio, then the
// requests per file by phase and operation, with those of the store home
// that went to its staging dir. Nothing when no workload has both.
func homesSection(p func(string, ...any), run *results.Run) {
	type pair struct {
		workload  string
		fs, store results.Result
	}
	var pairs []pair
	for _, w := range workloads(run) {
		fs, okF := pickHome(run, w, results.StagingHomeFS)
		st, okS := pickHome(run, w, results.StagingHomeStore)
		if okF && okS {
			pairs = append(pairs, pair{w, fs, st})
		}
	}
	if len(pairs) == 0 {
		return
	}
	p("## Staging homes")
	p("")
	p("The staging strategy with its staging dir on the filesystem (fs home, a local directory here) and in the object store (store home, `s3://<bucket>/<prefix>` beside the destination). Times in seconds; CPU s is the client's CPU time, server CPU s the local MinIO's, other CPU s that of every other process of the machine during the measurement (work that competed with it for the cores; – where not measured). Requests are per file, by phase and operation; \"to the staging dir\" counts the store home's requests whose key lies in the staging dir (its records); a `HeadBucket` follows each `HeadObject` answered 404 (the store tells a missing object from a missing bucket that way).")
	p("")
	p("| Workload | Files | Home | Task commit | Job commit | Total time | store ÷ fs | Requests/file | To the staging dir | CPU s | Server CPU s | Other CPU s |")
	p("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, pr := range pairs {
		for _, r := range []results.Result{pr.fs, pr.store} {
			ratio := "–"
			if r.Settings[results.SettingStagingHome] == results.StagingHomeStore && commitSeconds(pr.fs) > 0 {
				ratio = fmt.Sprintf("%.3f", commitSeconds(r)/commitSeconds(pr.fs))
			}
			var staged int64
			for _, m := range r.StagingDirRequests {
				staged += totalRequests(m)
			}
			p("| %s | %d | %s | %s | %s | %.3f | %s | %s | %s | %.2f | %s | %s |", pr.workload, r.Files, stagingHome(r),
				phase(r, results.PhaseTaskCommit), phase(r, results.PhaseJobCommit), commitSeconds(r), ratio,
				perFile(totalRequests(r.Requests), r.Files), perFile(staged, r.Files),
				r.CPUSeconds, seconds(r.ServerCPUSeconds), seconds(r.OtherCPUSeconds))
		}
	}
	p("")
	for _, pr := range pairs {
		p("### %s: requests per file by phase and operation", pr.workload)
		p("")
		p("| Phase | Operation | fs home | store home | of which to the staging dir | store home, count | fs home, count |")
		p("|---|---|---:|---:|---:|---:|---:|")
		for _, ph := range []string{results.PhaseTaskCommit, results.PhaseJobCommit} {
			fsOps, stOps := pr.fs.PhaseRequests[ph], pr.store.PhaseRequests[ph]
			staged := pr.store.StagingDirRequests[ph]
			ops := map[string]bool{}
			for _, m := range []map[string]int64{fsOps, stOps} {
				for op := range m {
					ops[op] = true
				}
			}
			for _, op := range sortedKeys(ops) {
				p("| %s | %s | %s | %s | %s | %d | %d |", ph, op, perFile(fsOps[op], pr.fs.Files), perFile(stOps[op], pr.store.Files),
					perFile(staged[op], pr.store.Files), stOps[op], fsOps[op])
			}
			p("| %s | **all** | %s | %s | %s | %d | %d |", ph, perFile(totalRequests(fsOps), pr.fs.Files),
				perFile(totalRequests(stOps), pr.store.Files), perFile(totalRequests(staged), pr.store.Files),
				totalRequests(stOps), totalRequests(fsOps))
		}
		p("")
		for _, r := range []results.Result{pr.fs, pr.store} {
			if r.Trace != "" {
				p("Every request of the %s home's measurement, with its start and duration: [%s](%s).", stagingHome(r), r.Trace, r.Trace)
				p("")
			}
		}
	}
}

// checksumsSection writes the comparison of the staging strategy's
// checksum modes: for each workload and staging home measured both with
// checksums (verified) and without (off), the times of every mode measured
// and their task-commit time over that without checksums. Nothing when no
// workload has both.
func checksumsSection(p func(string, ...any), run *results.Run) {
	type row struct {
		workload, home string
		modes          []results.Result
		off            results.Result
	}
	var rows []row
	for _, w := range workloads(run) {
		for _, h := range []string{results.StagingHomeFS, results.StagingHomeStore} {
			off, okOff := pickStaging(run, w, h, results.ChecksumsOff)
			if _, okOn := pickStaging(run, w, h, results.ChecksumsVerified); !okOff || !okOn {
				continue
			}
			rw := row{workload: w, home: h, off: off}
			for _, m := range []string{results.ChecksumsVerified, results.ChecksumsRecordOnly, results.ChecksumsOff} {
				if r, found := pickStaging(run, w, h, m); found {
					rw.modes = append(rw.modes, r)
				}
			}
			rows = append(rows, rw)
		}
	}
	if len(rows) == 0 {
		return
	}
	p("## Checksums")
	p("")
	p("The staging strategy with each checksum mode of its task commit (`staging.Options.Checksums`): verified, the default, hashes every part with CRC64NVME just before it is sent and has the store check each part and, at job commit, the whole object; record-only computes and records the checksums without sending them; off computes none. Times in seconds; ÷ off is the task-commit time over that without checksums (≤ %.2f on large-files). CPU s is the client's CPU time, server CPU s the local MinIO's, other CPU s that of every other process of the machine (– where not measured).", MaxChecksumsOverNone)
	p("")
	p("| Workload | Files | Home | Checksums | Task commit | Job commit | Total time | Task commit ÷ off | MiB/s | CPU s | Server CPU s | Other CPU s | Requests/file |")
	p("|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, rw := range rows {
		for _, r := range rw.modes {
			ratio := "–"
			if off := rw.off.Phases[results.PhaseTaskCommit]; off > 0 {
				ratio = fmt.Sprintf("%.3f", r.Phases[results.PhaseTaskCommit]/off)
			}
			p("| %s | %d | %s | %s | %s | %s | %.3f | %s | %.1f | %.2f | %s | %s | %s |", rw.workload, r.Files, rw.home,
				stagingChecksums(r), phase(r, results.PhaseTaskCommit), phase(r, results.PhaseJobCommit), commitSeconds(r),
				ratio, r.MiBPerSecond, r.CPUSeconds, seconds(r.ServerCPUSeconds), seconds(r.OtherCPUSeconds),
				perFile(totalRequests(r.Requests), r.Files))
		}
	}
	p("")
}

// perFile formats n requests per file.
func perFile(n int64, files int) string {
	if files <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.3f", float64(n)/float64(files))
}

// deferredSection writes the comparison of deferred PUTs: for each
// workload measured with staging both with deferred PUTs and without
// (the fs home, checksums verified), every such result and direct's, with
// their times, the total over direct's, the requests per file and the
// client CPU per file. Nothing when no workload has both.
func deferredSection(p func(string, ...any), run *results.Run) {
	type block struct {
		workload string
		rows     []results.Result
		direct   results.Result
		okDirect bool
	}
	var blocks []block
	for _, w := range workloads(run) {
		if _, found := pickVariant(run, w, deferredPlain); !found {
			continue
		}
		plainRes, found := pickVariant(run, w, plain)
		if !found {
			continue
		}
		b := block{workload: w, rows: []results.Result{plainRes}}
		for _, r := range run.Results {
			if r.Workload == w && r.Strategy == results.StrategyStaging && ok(r) && variantOf(r) == deferredPlain && defaultConcurrency(r) {
				b.rows = append(b.rows, r)
			}
		}
		b.direct, b.okDirect = pick(run, w, results.StrategyDirect, -1)
		if b.okDirect {
			b.rows = append(b.rows, b.direct)
		}
		blocks = append(blocks, b)
	}
	if len(blocks) == 0 {
		return
	}
	p("## Deferred PUTs")
	p("")
	p("The staging strategy with deferred PUTs (`staging.Options.DeferredPutThreshold`): a file of at most the threshold is not uploaded at task commit; the job commit writes it with one PutObject from the buffer dir, so its window grows with the deferred bytes while the task commit shrinks. The fs home, checksums verified; direct for reference. Times in seconds; ÷ direct is the total time over direct's (≤ %.2f on small-files); deferred is what the threshold left to the job commit; CPU ms/file is the client's CPU time per file, server CPU s the local MinIO's (– where not measured).", MaxStagingOverDirect)
	p("")
	p("| Workload | Files | Strategy | Deferred | Task commit | Job commit | Total time | ÷ direct | Requests/file | Task commit requests/file | Job commit requests/file | CPU ms/file | Server CPU s |")
	p("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, b := range blocks {
		for _, r := range b.rows {
			ratio := "–"
			if b.okDirect && commitSeconds(b.direct) > 0 {
				ratio = fmt.Sprintf("%.3f", commitSeconds(r)/commitSeconds(b.direct))
			}
			deferred := "–"
			if r.Strategy == results.StrategyStaging {
				deferred = formatBytes(deferredBytes(r))
			}
			cpu := "–"
			if r.Files > 0 && r.CPUSeconds > 0 {
				cpu = fmt.Sprintf("%.3f", 1000*r.CPUSeconds/float64(r.Files))
			}
			p("| %s | %d | %s | %s | %s | %s | %.3f | %s | %s | %s | %s | %s | %s |", b.workload, r.Files, strategyLabel(r), deferred,
				phase(r, results.PhaseTaskCommit), phase(r, results.PhaseJobCommit), commitSeconds(r), ratio,
				perFile(totalRequests(r.Requests), r.Files), perFile(totalRequests(r.PhaseRequests[results.PhaseTaskCommit]), r.Files),
				perFile(totalRequests(r.PhaseRequests[results.PhaseJobCommit]), r.Files), cpu, seconds(r.ServerCPUSeconds))
		}
	}
	p("")
}

// atCloseSection writes the measurements of the workloads that recorded
// the time from the last file's Close to the end of the task commit
// (paced-files): every result at the default concurrency, with the
// at-close ones over staging without. Nothing when there is none.
func atCloseSection(p func(string, ...any), run *results.Run) {
	var rows []results.Result
	for _, r := range run.Results {
		if _, has := r.Phases[results.PhaseCloseToCommitEnd]; has && ok(r) && defaultConcurrency(r) {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return
	}
	p("## Uploads at close")
	p("")
	p("One task writes its files one after the other, computing (sleeping) for the compute delay after each but the last; with uploads at close (`staging.Options.UploadAtClose`) each file starts uploading when it is closed, and the task commit waits for those uploads and uploads the rest. Last close → task commit end is the time from the Close of the last file to the end of the task commit (the harness's few milliseconds between them included); ÷ without is it over that of staging without uploads at close (≤ %.2f). Times in seconds. With uploads at close the write phase uploads too: the requests count its own, but CPU s (the client's, task and job commit) does not.", MaxAtCloseOverNone)
	p("")
	p("| Workload | Files | Bytes/file | Strategy | Compute delay | Write | Last close → task commit end | ÷ without | Task commit | Job commit | Total time | Requests/file | CPU s |")
	p("|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		ratio := "–"
		if stagingAtClose(r) {
			v := variantOf(r)
			v.atClose = false
			if off, found := pickVariant(run, r.Workload, v); found && off.Phases[results.PhaseCloseToCommitEnd] > 0 {
				ratio = fmt.Sprintf("%.3f", r.Phases[results.PhaseCloseToCommitEnd]/off.Phases[results.PhaseCloseToCommitEnd])
			}
		}
		p("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %.3f | %s | %.2f |", r.Workload, r.Files, formatBytes(r.BytesPerFile),
			strategyLabel(r), orNone(r.Settings[results.SettingComputeDelay]), phase(r, results.PhaseWrite),
			phase(r, results.PhaseCloseToCommitEnd), ratio, phase(r, results.PhaseTaskCommit), phase(r, results.PhaseJobCommit),
			commitSeconds(r), perFile(totalRequests(r.Requests), r.Files), r.CPUSeconds)
	}
	p("")
}
