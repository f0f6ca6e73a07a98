// Command s3bench measures s3commit's staging committer side by side with
// direct uploads and the classic rename protocol on the same store, and
// writes the measurements as results.json (see package results).
//
// By default it starts the pinned local MinIO from the repository's
// .tools/bin (`make tools`); --endpoint-url, --bucket, --region and
// --path-style with the standard AWS_* credential variables run it against
// any S3 endpoint.
//
//	go run ./cmd/s3bench --mode quick
//	go run ./cmd/s3bench --mode full --out results/full
//	go run ./cmd/s3bench --endpoint-url https://s3.example.com --bucket bench
package main

import (
	"cmp"
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/s3commit/s3commit/bench/internal/results"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/staging"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("s3bench: ")
	c, err := parseFlags(os.Args[1:])
	if err != nil {
		os.Exit(2)
	}
	// SIGTERM too, so that a killed run still stops its servers and
	// removes its temporary directories.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c); err != nil {
		log.Fatal(err)
	}
}

// run executes every selected measurement and writes the results.
func run(ctx context.Context, c *config) error {
	t, err := openTarget(ctx, c)
	if err != nil {
		return err
	}
	defer t.stop()
	work, err := os.MkdirTemp(c.workDir, "s3bench-work-")
	if err != nil {
		return fmt.Errorf("work directory: %w", err)
	}
	defer os.RemoveAll(work)

	stopProfiles := func() error { return nil }
	if c.profile {
		if stopProfiles, err = startProfiles(c.out); err != nil {
			return err
		}
	}
	r := &results.Run{
		Started:  time.Now().UTC(),
		Mode:     c.mode,
		Machine:  machine(),
		Versions: versions(t),
		Target:   t.name,
		Latency:  latencySetting(c),
		WorkDir:  c.workDir,
	}
	log.Printf("%s run on %s (bucket %s), %d cores", c.mode, t.name, t.bucket, runtime.NumCPU())
	// The plan is a list of groups: the measurements of one group are
	// compared with each other (the strategies of one workload, the
	// settings of one sweep), so their repetitions are interleaved.
	var plan [][]params
	seq := 0
	add := func(g *[]params, p params) {
		seq++
		p.tasks = c.tasks
		if p.workload.tasks > 0 {
			p.tasks = p.workload.tasks
		}
		p.partSize = multipart.DefaultPartSize
		if p.uploadConcurrency == 0 {
			p.uploadConcurrency = multipart.DefaultConcurrency
		}
		if p.commitConcurrency == 0 {
			p.commitConcurrency = staging.DefaultCommitConcurrency
		}
		if p.strategy == results.StrategyStaging && p.home == "" {
			p.home = results.StagingHomeFS
		}
		if p.strategy == results.StrategyStaging && p.checksums == "" {
			p.checksums = results.ChecksumsVerified
		}
		p.dest = fmt.Sprintf("s3bench/%s/%03d-%s-%s", r.Started.Format("20060102T150405Z"), seq, p.workload.name, p.label())
		p.work = filepath.Join(work, fmt.Sprintf("%03d", seq))
		if c.trace {
			p.traceDir = filepath.Join(c.out, "requests")
		}
		*g = append(*g, p)
	}
	for _, w := range workloads(c.mode) {
		if !selected(c.workloads, w.name) {
			continue
		}
		if w.paced {
			w.computeDelay = c.computeDelay
		}
		var g []params
		for _, s := range strategyNames {
			if !selected(c.strategies, s) || !measuredWith(w, s) {
				continue
			}
			if s != results.StrategyStaging {
				add(&g, params{strategy: s, workload: w})
				continue
			}
			for _, h := range homesOf(c, w) {
				for _, m := range checksumModesOf(c, w) {
					for _, d := range deferredPutsOf(c, w) {
						for _, a := range uploadAtCloseOf(c, w) {
							for _, tel := range telemetryOf(c, w) {
								add(&g, params{strategy: s, workload: w, home: h, checksums: m, deferredPutThreshold: d, uploadAtClose: a, telemetry: tel})
							}
						}
					}
				}
			}
		}
		if len(g) > 0 {
			plan = append(plan, g)
		}
	}
	if c.sweep && selected(c.strategies, "staging") {
		// sweeps lists the settings of one sweep one after the other; a
		// sweep's workload name is its own.
		for _, s := range sweeps(c.mode) {
			if last := len(plan) - 1; last < 0 || plan[last][0].workload.name != s.workload.name {
				plan = append(plan, nil)
			}
			add(&plan[len(plan)-1], params{strategy: "staging", workload: s.workload, uploadConcurrency: s.uploadConcurrency, commitConcurrency: s.commitConcurrency})
		}
	}
	total := 0
	for _, g := range plan {
		total += len(g)
	}
	// A fresh server answers its first requests slower: warm it up with a
	// measurement of every selected strategy that is not recorded.
	if len(plan) > 0 {
		var warm []params
		seen := map[string]bool{}
		for _, g := range plan {
			for _, q := range g {
				if seen[q.label()] {
					continue
				}
				seen[q.label()] = true
				p := plan[0][0]
				p.strategy, p.home, p.checksums = q.strategy, q.home, q.checksums
				p.deferredPutThreshold, p.uploadAtClose, p.telemetry = q.deferredPutThreshold, q.uploadAtClose, q.telemetry
				p.workload = workload{name: "warm-up", files: 200, bytesPerFile: 64 << 10}
				p.tasks = c.tasks
				p.dest += "-warm-up-" + q.label()
				p.work += "-warm-up-" + q.label()
				p.traceDir = ""
				warm = append(warm, p)
			}
		}
		measureGroup(ctx, t, warm, 1, false)
	}
	done := 0
	for _, g := range plan {
		if ctx.Err() != nil {
			break
		}
		for i, res := range measureGroup(ctx, t, g, c.repeat, c.keepObjects) {
			if res == nil {
				continue // interrupted before it ran
			}
			done++
			r.Results = append(r.Results, *res)
			log.Print(progressLine(done, total, g[i], *res))
		}
	}
	// The profiles are closed first, so that the report links them.
	if err := stopProfiles(); err != nil {
		return err
	}
	path, err := results.Write(c.out, r)
	if err != nil {
		return err
	}
	log.Printf("results: %s", path)
	return writeReport(path)
}

// homesOf returns the staging homes the staging strategy is measured with
// on workload w: those of --staging-homes on small-files and large-files,
// the filesystem elsewhere.
func homesOf(c *config, w workload) []string {
	if w.name != workloadSmall && w.name != workloadLarge {
		return []string{results.StagingHomeFS}
	}
	var out []string
	for _, h := range stagingHomes {
		if selected(c.homes, h) {
			out = append(out, h)
		}
	}
	return out
}

// telemetryOf returns the OpenTelemetry settings the staging strategy is
// measured with on workload w: those of --telemetry on small-files, none
// elsewhere.
func telemetryOf(c *config, w workload) []string {
	if w.name != workloadSmall {
		return []string{results.TelemetryNone}
	}
	var out []string
	for _, t := range telemetryNames {
		if selected(c.telemetry, t) {
			out = append(out, t)
		}
	}
	return out
}

// checksumModesOf returns the checksum modes the staging strategy is
// measured with on workload w: those of --checksum-modes on small-files
// and large-files, the default (verified) elsewhere.
func checksumModesOf(c *config, w workload) []string {
	if w.name != workloadSmall && w.name != workloadLarge {
		return []string{results.ChecksumsVerified}
	}
	var out []string
	for _, m := range checksumModeNames {
		if selected(c.checksums, m) {
			out = append(out, m)
		}
	}
	return out
}

// deferredPutsOf returns the deferred-PUT thresholds the staging strategy
// is measured with on workload w: those of --deferred-puts on small-files
// and partitioned, whose files are small enough to defer, 0 (none)
// elsewhere.
func deferredPutsOf(c *config, w workload) []int64 {
	if w.name != workloadSmall && w.name != workloadPartitioned {
		return []int64{0}
	}
	return c.deferred
}

// uploadAtCloseOf returns the settings of uploads at close the staging
// strategy is measured with on workload w: those of --upload-at-close on
// paced-files, off elsewhere (on the other workloads every file is
// written before the task commit starts, so that the write phase and the
// task commit measure what they say).
func uploadAtCloseOf(c *config, w workload) []bool {
	if !w.paced {
		return []bool{false}
	}
	return c.atClose
}

// measuredWith reports whether workload w is measured with strategy s:
// paced-files is not measured with rename, whose task commit is direct's
// uploads (direct is the reference there) and whose copies at job commit
// have nothing to do with when files are closed.
func measuredWith(w workload, s string) bool {
	return !w.paced || s != results.StrategyRename
}

// progressLine describes measurement n of total when it is done.
func progressLine(n, total int, p params, res results.Result) string {
	line := fmt.Sprintf("[%d/%d] %-20s %-24s %5d × %-9s task %.2fs job %.2fs total %.2fs %.1f MiB/s heap %s",
		n, total, p.workload.name, p.label(), p.workload.files, size(p.workload.bytesPerFile),
		res.Phases[results.PhaseTaskCommit], res.Phases[results.PhaseJobCommit], res.Phases[results.PhaseTotal],
		res.MiBPerSecond, size(res.PeakHeapBytes))
	if p.workload.name == workloadSweepUpload || p.workload.name == workloadSweepCommit {
		line += fmt.Sprintf(" (upload %d, commit %d)", p.uploadConcurrency, p.commitConcurrency)
	}
	if v, ok := res.Phases[results.PhaseCloseToCommitEnd]; ok {
		line += fmt.Sprintf(" last close → task commit end %.2fs", v)
	}
	if res.Error != "" {
		line += " ERROR: " + res.Error
	}
	return line
}

// measureOnce is how measureGroup measures one repetition; tests replace it.
var measureOnce = measure

// measureGroup measures each entry of g n times, each repetition in a
// destination and work directory of its own. The repetitions are
// interleaved (every entry once, then every entry again, …) so that a
// change of the machine's or the server's state during the group weighs on
// every entry alike, not on whichever was measured last; and each round
// starts one entry further (a, b, c; b, c, a; c, a, b), so that no entry
// always follows the same one and inherits what it left behind (a server
// still busy with its deletes, a disk still discarding its blocks).
//
// For each entry it returns the repetition with the median total time,
// with the highest peak heap and RSS of all its repetitions; the first
// failed repetition of an entry is its result, and its later repetitions
// are skipped. An entry the context's end kept from being measured at all
// is nil. The objects of each repetition are deleted after it unless keep;
// the local files always are.
func measureGroup(ctx context.Context, t *target, g []params, n int, keep bool) []*results.Result {
	runs := make([][]results.Result, len(g))
	out := make([]*results.Result, len(g))
	for rep := range n {
		for k := range g {
			i := (k + rep) % len(g)
			p := g[i]
			if out[i] != nil || ctx.Err() != nil {
				continue
			}
			q := p
			if n > 1 {
				q.dest = fmt.Sprintf("%s-r%d", p.dest, rep+1)
				q.work = filepath.Join(p.work, fmt.Sprintf("r%d", rep+1))
			}
			res := measureOnce(ctx, t, q)
			if !keep {
				prefixes := []string{q.dest}
				if q.home == results.StagingHomeStore {
					// Empty after a commit; what a failed one left.
					prefixes = append(prefixes, stagingPrefix(q.dest))
				}
				for _, prefix := range prefixes {
					if err := deletePrefix(context.WithoutCancel(ctx), t, prefix); err != nil {
						log.Printf("cleanup: %v", err)
					}
				}
				if err := t.reclaim(); err != nil {
					log.Printf("cleanup: %v", err)
				}
				t.counter.take()
			}
			os.RemoveAll(q.work)
			if res.Error != "" || ctx.Err() != nil {
				out[i] = &res
				continue
			}
			runs[i] = append(runs[i], res)
		}
	}
	for i := range g {
		os.RemoveAll(g[i].work)
		if out[i] != nil || len(runs[i]) == 0 {
			continue
		}
		med := median(runs[i])
		med.Settings[results.SettingRepeats] = itoa(n)
		out[i] = &med
		// The trace of the repetition kept stays.
		for _, r := range runs[i] {
			if r.Trace != "" && r.Trace != med.Trace {
				os.Remove(filepath.Join(g[i].traceDir, path.Base(r.Trace)))
			}
		}
	}
	return out
}

// median returns the run with the median total time (the upper one of an
// even count), with the highest peak heap and RSS of all runs.
func median(runs []results.Result) results.Result {
	sorted := slices.Clone(runs)
	slices.SortStableFunc(sorted, func(a, b results.Result) int {
		return cmp.Compare(a.Phases[results.PhaseTotal], b.Phases[results.PhaseTotal])
	})
	med := sorted[len(sorted)/2]
	for _, r := range runs {
		med.PeakHeapBytes = max(med.PeakHeapBytes, r.PeakHeapBytes)
		med.PeakRSSBytes = max(med.PeakRSSBytes, r.PeakRSSBytes)
	}
	return med
}

// measure runs one execution and returns its measurements; a failure is
// recorded in the result's Error.
func measure(ctx context.Context, t *target, p params) results.Result {
	w := p.workload
	res := results.Result{
		Workload:     w.name,
		Strategy:     p.strategy,
		Files:        w.files,
		BytesPerFile: w.bytesPerFile,
		TotalBytes:   w.totalBytes(),
		Settings: map[string]string{
			results.SettingTasks:             itoa(p.tasks),
			results.SettingUploadConcurrency: itoa(p.uploadConcurrency),
			results.SettingCommitConcurrency: itoa(p.commitConcurrency),
			results.SettingPartSize:          itoa(int(p.partSize)),
		},
		Phases: map[string]float64{},
	}
	if w.partitions > 0 {
		res.Settings[results.SettingPartitions] = itoa(w.partitions)
	}
	if p.home != "" {
		res.Settings[results.SettingStagingHome] = p.home
	}
	if p.checksums != "" {
		res.Settings[results.SettingChecksums] = p.checksums
	}
	if p.strategy == results.StrategyStaging {
		res.Settings[results.SettingDeferredPutThreshold] = strconv.FormatInt(p.deferredPutThreshold, 10)
		res.Settings[results.SettingUploadAtClose] = results.UploadAtCloseOff
		if p.uploadAtClose {
			res.Settings[results.SettingUploadAtClose] = results.UploadAtCloseOn
		}
		res.Settings[results.SettingTelemetry] = p.telemetryOrNone()
	}
	if w.paced {
		res.Settings[results.SettingComputeDelay] = w.computeDelay.String()
	}
	if p.home == results.StagingHomeStore {
		t.counter.watchPrefix(stagingPrefix(p.dest))
		defer t.counter.watchPrefix("")
	}
	fail := func(err error) results.Result {
		res.Error = err.Error()
		return res
	}
	e, err := newExecution(t, p)
	if err != nil {
		return fail(err)
	}
	start := time.Now()
	if err := e.write(ctx); err != nil {
		return fail(err)
	}
	res.Phases[results.PhaseWrite] = time.Since(start).Seconds()
	if !w.paced {
		// A paced task commits right after its last file's Close: a flush
		// in between would give uploads at close a head start, and
		// writeTasks flushed during the compute delays.
		flushDirtyPages()
	}

	// With uploads at close the write phase uploads too: its requests
	// count. Elsewhere it makes none but the setup's (and, with the store
	// home, the records' of the job's setup), which are left out.
	phaseRequests := map[string]requestCounts{}
	if writeReqs := t.counter.take(); p.uploadAtClose {
		phaseRequests[results.PhaseWrite] = writeReqs
	}
	heap := startHeapSampler(5 * time.Millisecond)
	resetPeakRSS()
	cpu0 := cpuSeconds()
	var other otherCPU
	var serverCPU0 float64
	serverCPUKnown := false
	if t.serverCPU != nil {
		serverCPU0, serverCPUKnown = t.serverCPU()
	}
	if p.traceDir != "" {
		t.counter.setTracing(true)
		defer t.counter.setTracing(false)
	}
	var trace []tracePhase
	other.begin(t)
	start = time.Now()
	err = e.taskCommit(ctx)
	taskEnd := time.Now()
	taskTime := taskEnd.Sub(start)
	other.end(t)
	res.Phases[results.PhaseTaskCommit] = taskTime.Seconds()
	if w.paced && !e.lastClose().IsZero() {
		res.Phases[results.PhaseCloseToCommitEnd] = taskEnd.Sub(e.lastClose()).Seconds()
	}
	phaseRequests[results.PhaseTaskCommit] = t.counter.take()
	trace = append(trace, tracePhase{name: results.PhaseTaskCommit, start: start, reqs: t.counter.takeTrace()})
	var jobTime time.Duration
	if err == nil {
		flushDirtyPages()
		other.begin(t)
		start = time.Now()
		err = e.jobCommit(ctx)
		jobTime = time.Since(start)
		other.end(t)
		res.Phases[results.PhaseJobCommit] = jobTime.Seconds()
		phaseRequests[results.PhaseJobCommit] = t.counter.take()
		trace = append(trace, tracePhase{name: results.PhaseJobCommit, start: start, reqs: t.counter.takeTrace()})
	}
	res.Phases[results.PhaseTotal] = (taskTime + jobTime).Seconds()
	res.CPUSeconds = cpuSeconds() - cpu0
	if serverCPUKnown {
		if v, ok := t.serverCPU(); ok {
			res.ServerCPUSeconds = v - serverCPU0
		}
	}
	res.OtherCPUSeconds = other.seconds()
	res.PeakHeapBytes = heap.stop()
	res.PeakRSSBytes = peakRSS()
	res.Requests = map[string]int64{}
	res.PhaseRequests = map[string]map[string]int64{}
	for phase, n := range phaseRequests {
		ops := n.byOperation()
		res.PhaseRequests[phase] = ops
		for op, v := range ops {
			res.Requests[op] += v
		}
		if w := n.watched(); w != nil {
			if res.StagingDirRequests == nil {
				res.StagingDirRequests = map[string]map[string]int64{}
			}
			res.StagingDirRequests[phase] = w
		}
	}
	if p.traceDir != "" {
		dir := ""
		if p.home == results.StagingHomeStore {
			dir = stagingPrefix(p.dest)
		}
		name := path.Base(p.dest) + ".csv.gz"
		if terr := writeTrace(filepath.Join(p.traceDir, name), p.dest, dir, trace); terr != nil && err == nil {
			err = terr
		}
		res.Trace = path.Join(filepath.Base(p.traceDir), name)
	}
	if err != nil {
		return fail(err)
	}
	// Deferred files are written at job commit, not uploaded at task
	// commit: with every file deferred (the files of a workload have one
	// size) the task commit uploads nothing, and has no throughput.
	uploaded := res.TotalBytes
	if p.strategy == results.StrategyStaging && w.bytesPerFile <= p.deferredPutThreshold {
		uploaded = 0
	}
	mib := float64(uploaded) / (1 << 20)
	if s := res.Phases[results.PhaseTaskCommit]; s > 0 && uploaded > 0 {
		res.MiBPerSecond = mib / s
	}
	if s := res.Phases[results.PhaseJobCommit]; s > 0 && p.strategy == results.StrategyStaging {
		res.CompletionsPerSecond = float64(w.files) / s
	}
	return res
}

// flushDirtyPages writes every dirty page of the machine to disk, between
// the measured phases and outside their times. Without it the kernel's
// write-back of the files of the write phase (gigabytes, far below
// vm.dirty_ratio on a machine with much memory) runs during the task commit
// that follows, and the write-back of what a local server stored during the
// task commit runs during the job commit, so each phase would be charged
// with a varying share of the one before. In a real job a task writes its
// files over minutes and tasks commit long before the job does.
func flushDirtyPages() { syscall.Sync() }

// size formats a byte count.
func size(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%.0fMiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%dKiB", n>>10)
	}
}

// latencySetting describes the latency proxy of the run, empty without one.
func latencySetting(c *config) string {
	if c.latency == "" {
		return ""
	}
	if c.bandwidth > 0 {
		return fmt.Sprintf("%s round trip, %d KiB/s per direction and connection", c.latency, c.bandwidth)
	}
	return c.latency + " round trip"
}
