package report

import (
	"fmt"
	"math"
	"slices"

	"github.com/s3commit/s3commit/bench/internal/results"
)

// Verdict says whether a target holds in a run.
type Verdict string

// Verdicts.
const (
	Holds       Verdict = "holds"
	DoesNotHold Verdict = "does not hold"
	NotMeasured Verdict = "not measured"
	// NoTarget marks a ratio the report shows without a bound.
	NoTarget Verdict = "no target"
)

// Targets of the benchmark (issue: Acceptance).
const (
	// MaxStagingOverDirect bounds staging's task+job commit time over
	// direct's on the small-file and large-file workloads.
	MaxStagingOverDirect = 1.10
	// MaxStagingJobCommitGrowth bounds staging's job-commit time at the
	// largest bytes per file over the smallest, at a fixed file count.
	MaxStagingJobCommitGrowth = 1.2
	// MinRenameOverStaging is how many times faster staging's job commit
	// must be than rename's at MinSpeedupBytes total or more.
	MinRenameOverStaging = 10
	// MinSpeedupBytes is the total size from which MinRenameOverStaging
	// applies.
	MinSpeedupBytes = 1 << 30
	// MaxTaskCommitHeapBytes bounds the client's peak heap during a task
	// commit of MinSpeedupBytes or more at default settings.
	MaxTaskCommitHeapBytes = 64 << 20
	// MinDefaultOverBest is how close to the best measured rate the
	// default concurrency must come to count as near-best.
	MinDefaultOverBest = 0.90
	// MaxStoreHomeOverFS bounds staging's task+job commit time with the
	// staging dir in the object store over its time with the staging dir
	// on the filesystem, on the small-file and large-file workloads.
	MaxStoreHomeOverFS = 1.05
	// MaxSmallFileRequests bounds the HTTP requests per file of a staging
	// commit (task + job) of small files, with either home: a small file
	// needs three (CreateMultipartUpload and UploadPart at task commit,
	// CompleteMultipartUpload at job commit); the records of the job and
	// its tasks may add 5 % to them.
	MaxSmallFileRequests = 3.15
	// MaxChecksumsOverNone bounds staging's task-commit time with the
	// default checksums (every part hashed with CRC64NVME just before it
	// is sent, and checked by the store) over its time without checksums,
	// on the large-file workload. On small-files the ratio is shown
	// without a bound.
	MaxChecksumsOverNone = 1.03
	// MaxAtCloseOverNone bounds, on the paced-file workload, the time
	// from the last file's Close to the end of the task commit with
	// uploads at close (staging.Options.UploadAtClose) over that time
	// without: with the earlier files uploaded while the task computed,
	// the task commit has about one file left to upload of eight.
	MaxAtCloseOverNone = 0.2
	// MaxTelemetryNoopOverNone bounds, on the small-file workload,
	// staging's task+job commit time with OpenTelemetry's no-op providers
	// over its time without providers: the instrumentation must cost
	// nothing measurable when nothing records. The SDK's providers are
	// shown without a bound.
	MaxTelemetryNoopOverNone = 1.05
)

// Ratio is one checked target.
type Ratio struct {
	// Name says what is compared.
	Name string
	// Target is the condition, such as "≤ 1.10".
	Target string
	// Value is the measured ratio (or bytes, for the heap target); NaN
	// when not measured.
	Value float64
	// Verdict says whether the target holds.
	Verdict Verdict
	// Detail gives the measurements behind Value, or why it is missing.
	Detail string
}

// Ratios computes every target of the benchmark from one run, in a fixed
// order; targets the run has no data for are [NotMeasured].
func Ratios(run *results.Run) []Ratio {
	var out []Ratio
	out = append(out, stagingOverDirect(run, results.WorkloadSmallFiles))
	out = append(out, stagingOverDirect(run, results.WorkloadLargeFiles))
	out = append(out, seriesGrowth(run, results.StrategyStaging))
	out = append(out, seriesGrowth(run, results.StrategyRename))
	out = append(out, renameOverStaging(run))
	out = append(out, taskCommitHeap(run))
	out = append(out, defaultNearBest(run, "task-commit MiB/s", results.SettingUploadConcurrency, uploadRate))
	out = append(out, defaultNearBest(run, "job-commit completions/s", results.SettingCommitConcurrency, completionRate))
	out = append(out, storeHomeOverFS(run, results.WorkloadSmallFiles))
	out = append(out, storeHomeOverFS(run, results.WorkloadLargeFiles))
	out = append(out, smallFileRequests(run, results.StagingHomeFS))
	out = append(out, smallFileRequests(run, results.StagingHomeStore))
	out = append(out, checksumsOverNone(run, results.WorkloadSmallFiles))
	out = append(out, checksumsOverNone(run, results.WorkloadLargeFiles))
	out = append(out, smallFileCPU(run, plain))
	out = append(out, smallFileCPU(run, deferredPlain))
	out = append(out, deferredOverDirect(run))
	out = append(out, deferredJobCommit(run, results.WorkloadSmallFiles))
	out = append(out, deferredJobCommit(run, results.WorkloadPartitioned))
	out = append(out, atCloseOverNone(run))
	out = append(out, telemetryOverNone(run, results.TelemetryNoop))
	out = append(out, telemetryOverNone(run, results.TelemetrySDK))
	return out
}

// telemetryOverNone compares, on small-files, staging's task+job commit
// time with the OpenTelemetry providers of setting (noop or sdk) against
// its time without providers, and says the client CPU per file of both.
// The no-op providers are bound by MaxTelemetryNoopOverNone; the SDK's
// are shown without a bound.
func telemetryOverNone(run *results.Run, setting string) Ratio {
	w := results.WorkloadSmallFiles
	name := fmt.Sprintf("staging, OpenTelemetry %s ÷ none, task + job commit time, %s", setting, w)
	target := "no bound"
	if setting == results.TelemetryNoop {
		target = fmt.Sprintf("≤ %.2f", MaxTelemetryNoopOverNone)
	}
	with, okWith := pickVariant(run, w, variant{home: results.StagingHomeFS, checksums: results.ChecksumsVerified, telemetry: setting})
	none, okNone := pickVariant(run, w, plain)
	if !okWith || !okNone || commitSeconds(none) <= 0 {
		return notMeasured(name, target, fmt.Sprintf("no %s results of staging both with OpenTelemetry %s and without (--telemetry none,%s)", w, setting, setting))
	}
	detail := fmt.Sprintf("%.3f s with (task %.3f, job %.3f), %.3f s without (task %.3f, job %.3f)",
		commitSeconds(with), with.Phases[results.PhaseTaskCommit], with.Phases[results.PhaseJobCommit],
		commitSeconds(none), none.Phases[results.PhaseTaskCommit], none.Phases[results.PhaseJobCommit])
	if with.Files > 0 && none.Files > 0 && with.CPUSeconds > 0 && none.CPUSeconds > 0 {
		perWith, perNone := with.CPUSeconds/float64(with.Files), none.CPUSeconds/float64(none.Files)
		detail += fmt.Sprintf("; client CPU %.3f ms per file with, %.3f without (× %.2f)", 1000*perWith, 1000*perNone, perWith/perNone)
	}
	v := commitSeconds(with) / commitSeconds(none)
	holds := NoTarget
	if setting == results.TelemetryNoop {
		holds = verdict(v <= MaxTelemetryNoopOverNone)
	}
	return Ratio{Name: name, Target: target, Value: v, Verdict: holds, Detail: detail}
}

// deferredPlain is the variant of the deferred-PUT comparisons: the fs
// home, checksums verified, PUTs deferred.
var deferredPlain = variant{home: results.StagingHomeFS, checksums: results.ChecksumsVerified, deferred: true}

// variantName names the staging strategy of a variant in the ratios'
// names: staging, staging-deferred.
func variantName(v variant) string {
	if v.deferred {
		return "staging-deferred"
	}
	return results.StrategyStaging
}

// deferredFiles says how much of a result with deferred PUTs its
// threshold deferred: every file, or none when the files are larger
// (every file of a workload has one size).
func deferredFiles(r results.Result) string {
	t := stagingDeferred(r)
	if r.BytesPerFile <= t {
		return fmt.Sprintf("threshold %s: all %d files of %s deferred", formatBytes(t), r.Files, formatBytes(r.BytesPerFile))
	}
	return fmt.Sprintf("threshold %s: no file deferred, the files have %s", formatBytes(t), formatBytes(r.BytesPerFile))
}

// deferredBytes is what a result with deferred PUTs wrote at job commit.
func deferredBytes(r results.Result) int64 {
	if t := stagingDeferred(r); t > 0 && r.BytesPerFile <= t {
		return r.TotalBytes
	}
	return 0
}

// deferredOverDirect compares the commit time of staging with deferred
// PUTs (the highest threshold measured) and direct's on small-files,
// against the bound of staging ÷ direct: a deferred file costs one
// request, as direct's does.
func deferredOverDirect(run *results.Run) Ratio {
	w := results.WorkloadSmallFiles
	name := fmt.Sprintf("staging-deferred ÷ direct, task + job commit time, %s", w)
	target := fmt.Sprintf("≤ %.2f", MaxStagingOverDirect)
	s, okS := pickVariant(run, w, deferredPlain)
	d, okD := pick(run, w, results.StrategyDirect, -1)
	if !okS || !okD || commitSeconds(d) <= 0 {
		return notMeasured(name, target, fmt.Sprintf("no %s results of both staging with deferred PUTs (--deferred-puts) and direct", w))
	}
	v := commitSeconds(s) / commitSeconds(d)
	detail := fmt.Sprintf("staging-deferred %.2f s (task %.3f, job %.3f; %s), direct %.2f s",
		commitSeconds(s), s.Phases[results.PhaseTaskCommit], s.Phases[results.PhaseJobCommit], deferredFiles(s), commitSeconds(d))
	if st, found := pickVariant(run, w, plain); found {
		detail += fmt.Sprintf("; staging %.2f s", commitSeconds(st))
	}
	return Ratio{Name: name, Target: target, Value: v, Verdict: verdict(v <= MaxStagingOverDirect), Detail: detail}
}

// deferredJobCommit compares the job-commit time of staging with deferred
// PUTs (the highest threshold measured) and without, on a workload,
// without a bound: the job commit PUTs every deferred byte, so its window
// grows with them while the task commit shrinks.
func deferredJobCommit(run *results.Run, workload string) Ratio {
	name := fmt.Sprintf("staging-deferred ÷ staging, job commit time, %s", workload)
	target := "no bound"
	s, okS := pickVariant(run, workload, deferredPlain)
	p, okP := pickVariant(run, workload, plain)
	if !okS || !okP || p.Phases[results.PhaseJobCommit] <= 0 {
		return notMeasured(name, target, fmt.Sprintf("no %s results of staging both with deferred PUTs (--deferred-puts) and without", workload))
	}
	sj, pj := s.Phases[results.PhaseJobCommit], p.Phases[results.PhaseJobCommit]
	detail := fmt.Sprintf("job commit %.3f s with deferred PUTs (%s", sj, deferredFiles(s))
	if b := deferredBytes(s); b > 0 && sj > 0 {
		detail += fmt.Sprintf(", %s PUT at %.1f MiB/s", formatBytes(b), float64(b)/(1<<20)/sj)
	}
	detail += fmt.Sprintf("), %.3f s without; task commit %.3f s and %.3f s; task + job %.3f s and %.3f s",
		pj, s.Phases[results.PhaseTaskCommit], p.Phases[results.PhaseTaskCommit], commitSeconds(s), commitSeconds(p))
	return Ratio{Name: name, Target: target, Value: sj / pj, Verdict: NoTarget, Detail: detail}
}

// atCloseOverNone compares, on paced-files, the time from the last
// file's Close to the end of the task commit of staging with uploads at
// close and without.
func atCloseOverNone(run *results.Run) Ratio {
	w := results.WorkloadPacedFiles
	name := fmt.Sprintf("staging, upload at close ÷ without, last close to task commit end, %s", w)
	target := fmt.Sprintf("≤ %.2f", MaxAtCloseOverNone)
	on, okOn := pickVariant(run, w, variant{home: results.StagingHomeFS, checksums: results.ChecksumsVerified, atClose: true})
	off, okOff := pickVariant(run, w, plain)
	von, hasOn := on.Phases[results.PhaseCloseToCommitEnd]
	voff, hasOff := off.Phases[results.PhaseCloseToCommitEnd]
	if !okOn || !okOff || !hasOn || !hasOff || voff <= 0 {
		return notMeasured(name, target, fmt.Sprintf("no %s results of staging both with uploads at close and without (--upload-at-close off,on)", w))
	}
	detail := fmt.Sprintf("%d files of %s, compute delay %s: %.3f s with uploads at close (task commit %.3f s), %.3f s without (task commit %.3f s)",
		on.Files, formatBytes(on.BytesPerFile), orNone(on.Settings[results.SettingComputeDelay]),
		von, on.Phases[results.PhaseTaskCommit], voff, off.Phases[results.PhaseTaskCommit])
	if d, found := pick(run, w, results.StrategyDirect, -1); found {
		if v, has := d.Phases[results.PhaseCloseToCommitEnd]; has {
			detail += fmt.Sprintf("; direct %.3f s", v)
		}
	}
	v := von / voff
	return Ratio{Name: name, Target: target, Value: v, Verdict: verdict(v <= MaxAtCloseOverNone), Detail: detail}
}

// smallFileCPU compares the client CPU time per file of staging (in the
// variant v: plain, or with deferred PUTs) and direct on small-files,
// without a bound: what staging's extra requests (three per file against
// one; one, as direct's, for a deferred file) and its records cost the
// client, as against the time target, which on a machine where client and
// store share the cores mixes in the store's CPU. A result without a CPU
// time (0: not recorded) is not compared.
func smallFileCPU(run *results.Run, v variant) Ratio {
	label := variantName(v)
	name := fmt.Sprintf("%s ÷ direct, client CPU per file, %s", label, results.WorkloadSmallFiles)
	target := "no bound"
	s, okS := pickVariant(run, results.WorkloadSmallFiles, v)
	d, okD := pick(run, results.WorkloadSmallFiles, results.StrategyDirect, -1)
	if !okS || !okD {
		return notMeasured(name, target, fmt.Sprintf("no %s results of both %s and direct", results.WorkloadSmallFiles, label))
	}
	if s.Files <= 0 || d.Files <= 0 || s.CPUSeconds <= 0 || d.CPUSeconds <= 0 {
		return notMeasured(name, target, fmt.Sprintf("the %s results of %s and direct lack a client CPU time or a file count", results.WorkloadSmallFiles, label))
	}
	perS, perD := s.CPUSeconds/float64(s.Files), d.CPUSeconds/float64(d.Files)
	detail := fmt.Sprintf("%s %.3f ms per file (%.2f s for %d files), direct %.3f ms per file (%.2f s for %d files)",
		label, 1000*perS, s.CPUSeconds, s.Files, 1000*perD, d.CPUSeconds, d.Files)
	if s.ServerCPUSeconds > 0 && d.ServerCPUSeconds > 0 {
		detail += fmt.Sprintf("; MinIO %.3f and %.3f ms per file",
			1000*s.ServerCPUSeconds/float64(s.Files), 1000*d.ServerCPUSeconds/float64(d.Files))
	}
	if v.deferred {
		detail += "; " + deferredFiles(s)
	}
	return Ratio{Name: name, Target: target, Value: perS / perD, Verdict: NoTarget, Detail: detail}
}

// checksumsOverNone compares staging's task-commit time with the default
// checksums (verified) and without (off), on a workload, with the fs home
// or, when the run has no pair with it, the store home. The bound,
// MaxChecksumsOverNone, is on large-files only.
func checksumsOverNone(run *results.Run, workload string) Ratio {
	name := fmt.Sprintf("staging, checksums ÷ none, task commit time, %s", workload)
	target := fmt.Sprintf("≤ %.2f", MaxChecksumsOverNone)
	if workload != results.WorkloadLargeFiles {
		target = fmt.Sprintf("no bound; ≤ %.2f on %s", MaxChecksumsOverNone, results.WorkloadLargeFiles)
	}
	for _, home := range []string{results.StagingHomeFS, results.StagingHomeStore} {
		on, okOn := pickStaging(run, workload, home, results.ChecksumsVerified)
		off, okOff := pickStaging(run, workload, home, results.ChecksumsOff)
		if !okOn || !okOff || off.Phases[results.PhaseTaskCommit] <= 0 {
			continue
		}
		v := on.Phases[results.PhaseTaskCommit] / off.Phases[results.PhaseTaskCommit]
		verdict := verdict(v <= MaxChecksumsOverNone)
		if workload != results.WorkloadLargeFiles {
			verdict = NoTarget
		}
		return Ratio{Name: name, Target: target, Value: v, Verdict: verdict,
			Detail: fmt.Sprintf("%s home: task commit %.3f s with checksums (verified), %.3f s without (off); "+
				"job commit %.3f s and %.3f s; client CPU %.2f s and %.2f s",
				home, on.Phases[results.PhaseTaskCommit], off.Phases[results.PhaseTaskCommit],
				on.Phases[results.PhaseJobCommit], off.Phases[results.PhaseJobCommit], on.CPUSeconds, off.CPUSeconds)}
	}
	return notMeasured(name, target, fmt.Sprintf("no %s results of staging both with checksums (verified) and without (off), with one home", workload))
}

// storeHomeOverFS compares staging's commit time with the staging dir in
// the store and on the filesystem, on a workload.
func storeHomeOverFS(run *results.Run, workload string) Ratio {
	name := fmt.Sprintf("staging, store home ÷ fs home, task + job commit time, %s", workload)
	target := fmt.Sprintf("≤ %.2f", MaxStoreHomeOverFS)
	st, okS := pickHome(run, workload, results.StagingHomeStore)
	fs, okF := pickHome(run, workload, results.StagingHomeFS)
	if !okS || !okF || commitSeconds(fs) <= 0 {
		return notMeasured(name, target, fmt.Sprintf("no %s results of staging with both homes", workload))
	}
	v := commitSeconds(st) / commitSeconds(fs)
	return Ratio{Name: name, Target: target, Value: v, Verdict: verdict(v <= MaxStoreHomeOverFS),
		Detail: fmt.Sprintf("store home %.3f s (task %.3f, job %.3f), fs home %.3f s (task %.3f, job %.3f)",
			commitSeconds(st), st.Phases[results.PhaseTaskCommit], st.Phases[results.PhaseJobCommit],
			commitSeconds(fs), fs.Phases[results.PhaseTaskCommit], fs.Phases[results.PhaseJobCommit])}
}

// smallFileRequests is the HTTP requests per file of a staging commit of
// the small-file workload with a staging home.
func smallFileRequests(run *results.Run, home string) Ratio {
	name := fmt.Sprintf("staging requests per file, task + job commit, small-files, %s home", home)
	target := fmt.Sprintf("≤ %.2f", MaxSmallFileRequests)
	r, found := pickHome(run, results.WorkloadSmallFiles, home)
	if !found || r.Files == 0 || len(r.Requests) == 0 {
		return notMeasured(name, target, fmt.Sprintf("no small-files result of staging with the %s home", home))
	}
	n := totalRequests(r.Requests)
	v := float64(n) / float64(r.Files)
	detail := fmt.Sprintf("%d requests for %d files", n, r.Files)
	if len(r.PhaseRequests) > 0 {
		detail += fmt.Sprintf(": task commit %d, job commit %d",
			totalRequests(r.PhaseRequests[results.PhaseTaskCommit]), totalRequests(r.PhaseRequests[results.PhaseJobCommit]))
	}
	var staged int64
	for _, m := range r.StagingDirRequests {
		staged += totalRequests(m)
	}
	if staged > 0 {
		detail += fmt.Sprintf("; %d of them to the staging dir", staged)
	}
	return Ratio{Name: name, Target: target, Value: v, Verdict: verdict(v <= MaxSmallFileRequests), Detail: detail}
}

func notMeasured(name, target, why string) Ratio {
	return Ratio{Name: name, Target: target, Value: math.NaN(), Verdict: NotMeasured, Detail: why}
}

func verdict(holds bool) Verdict {
	if holds {
		return Holds
	}
	return DoesNotHold
}

// stagingOverDirect compares staging's and direct's commit time on a
// workload.
func stagingOverDirect(run *results.Run, workload string) Ratio {
	name := fmt.Sprintf("staging ÷ direct, task + job commit time, %s", workload)
	target := fmt.Sprintf("≤ %.2f", MaxStagingOverDirect)
	s, okS := pick(run, workload, results.StrategyStaging, -1)
	d, okD := pick(run, workload, results.StrategyDirect, -1)
	if !okS || !okD || commitSeconds(d) <= 0 {
		return notMeasured(name, target, fmt.Sprintf("no %s results of both staging and direct", workload))
	}
	v := commitSeconds(s) / commitSeconds(d)
	return Ratio{Name: name, Target: target, Value: v, Verdict: verdict(v <= MaxStagingOverDirect),
		Detail: fmt.Sprintf("staging %.2f s, direct %.2f s", commitSeconds(s), commitSeconds(d))}
}

// seriesPoints returns the job-commit series results of a strategy at
// default settings, by growing bytes per file.
func seriesPoints(run *results.Run, strategy string) []results.Result {
	var pts []results.Result
	for _, r := range run.Results {
		if r.Workload == results.WorkloadJobCommitSeries && r.Strategy == strategy && ok(r) && isDefault(r) {
			if _, has := r.Phases[results.PhaseJobCommit]; has {
				pts = append(pts, r)
			}
		}
	}
	slices.SortStableFunc(pts, func(a, b results.Result) int { return cmpInt64(a.BytesPerFile, b.BytesPerFile) })
	return pts
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// seriesGrowth is job-commit time at the largest bytes per file over the
// smallest. For staging it must stay within MaxStagingJobCommitGrowth; for
// rename it is expected to exceed that bound (it copies every byte).
func seriesGrowth(run *results.Run, strategy string) Ratio {
	name := fmt.Sprintf("%s job commit, largest ÷ smallest bytes per file", strategy)
	target := fmt.Sprintf("≤ %.1f", MaxStagingJobCommitGrowth)
	if strategy != results.StrategyStaging {
		target = fmt.Sprintf("> %.1f (grows with bytes)", MaxStagingJobCommitGrowth)
	}
	pts := seriesPoints(run, strategy)
	if len(pts) < 2 || pts[0].BytesPerFile == pts[len(pts)-1].BytesPerFile {
		return notMeasured(name, target, "the job-commit series needs two sizes or more")
	}
	lo, hi := pts[0], pts[len(pts)-1]
	a, b := lo.Phases[results.PhaseJobCommit], hi.Phases[results.PhaseJobCommit]
	if a <= 0 {
		return notMeasured(name, target, "job commit at the smallest size took no measurable time")
	}
	v := b / a
	holds := v <= MaxStagingJobCommitGrowth
	if strategy != results.StrategyStaging {
		holds = v > MaxStagingJobCommitGrowth
	}
	return Ratio{Name: name, Target: target, Value: v, Verdict: verdict(holds),
		Detail: fmt.Sprintf("%d files: %.3f s at %s, %.3f s at %s (%.0f× the bytes)",
			hi.Files, a, formatBytes(lo.BytesPerFile), b, formatBytes(hi.BytesPerFile),
			float64(hi.BytesPerFile)/float64(max(lo.BytesPerFile, 1)))}
}

// renameOverStaging is rename's job-commit time over staging's at the
// largest total size of at least MinSpeedupBytes measured with both.
func renameOverStaging(run *results.Run) Ratio {
	name := "rename ÷ staging, job commit time at ≥ 1 GiB total"
	target := fmt.Sprintf("≥ %d", MinRenameOverStaging)
	var best *Ratio
	var bestTotal int64
	for _, s := range run.Results {
		if s.Strategy != results.StrategyStaging || !ok(s) || !isDefault(s) || s.TotalBytes < MinSpeedupBytes {
			continue
		}
		r, found := pick(run, s.Workload, results.StrategyRename, s.BytesPerFile)
		sj := s.Phases[results.PhaseJobCommit]
		if !found || sj <= 0 || s.TotalBytes <= bestTotal {
			continue
		}
		v := r.Phases[results.PhaseJobCommit] / sj
		bestTotal = s.TotalBytes
		best = &Ratio{Name: name, Target: target, Value: v, Verdict: verdict(v >= MinRenameOverStaging),
			Detail: fmt.Sprintf("%s, %s total: rename %.3f s, staging %.3f s",
				s.Workload, formatBytes(s.TotalBytes), r.Phases[results.PhaseJobCommit], sj)}
	}
	if best == nil {
		return notMeasured(name, target, "no workload of ≥ 1 GiB total with both staging and rename results (quick runs stay below)")
	}
	return *best
}

// taskCommitHeap is the largest peak heap of a staging run of at least
// MinSpeedupBytes at default settings.
func taskCommitHeap(run *results.Run) Ratio {
	name := "peak client heap, staging task commit of ≥ 1 GiB, default settings"
	target := "< " + formatBytes(MaxTaskCommitHeapBytes)
	var worst *results.Result
	for i, r := range run.Results {
		if r.Strategy == results.StrategyStaging && ok(r) && isDefault(r) && r.TotalBytes >= MinSpeedupBytes &&
			(worst == nil || r.PeakHeapBytes > worst.PeakHeapBytes) {
			worst = &run.Results[i]
		}
	}
	if worst == nil {
		return notMeasured(name, target, "no staging run of ≥ 1 GiB at default settings")
	}
	return Ratio{Name: name, Target: target, Value: float64(worst.PeakHeapBytes),
		Verdict: verdict(worst.PeakHeapBytes < MaxTaskCommitHeapBytes),
		Detail:  fmt.Sprintf("%s, %s total: peak heap %s", worst.Workload, formatBytes(worst.TotalBytes), formatBytes(worst.PeakHeapBytes))}
}

func uploadRate(r results.Result) float64     { return r.MiBPerSecond }
func completionRate(r results.Result) float64 { return r.CompletionsPerSecond }

// defaultNearBest compares, per workload, the rate at the default value of
// a concurrency setting with the best rate of the values tried, and
// reports the worst workload.
func defaultNearBest(run *results.Run, label, key string, rate func(results.Result) float64) Ratio {
	name := fmt.Sprintf("default ÷ best %s over the %s values tried", label, key)
	target := fmt.Sprintf("≥ %.2f", MinDefaultOverBest)
	var worst *Ratio
	for _, w := range workloads(run) {
		var best, def float64
		var bestAt int
		values, hasDefault := map[int]bool{}, false
		for _, r := range run.Results {
			n, set := settingInt(r, key)
			if r.Workload != w || r.Strategy != results.StrategyStaging || !ok(r) || !set {
				continue
			}
			values[n] = true
			if v := rate(r); v > best {
				best, bestAt = v, n
			}
			if isDefault(r) {
				def, hasDefault = rate(r), true
			}
		}
		if len(values) < 2 || !hasDefault || best <= 0 {
			continue
		}
		v := def / best
		if worst == nil || v < worst.Value {
			worst = &Ratio{Name: name, Target: target, Value: v, Verdict: verdict(v >= MinDefaultOverBest),
				Detail: fmt.Sprintf("%s: %.1f at the default, best %.1f at %s=%d", w, def, best, key, bestAt)}
		}
	}
	if worst == nil {
		return notMeasured(name, target, fmt.Sprintf("no workload swept over %s including the default", key))
	}
	return *worst
}
