package report

import (
	"math"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/bench/internal/results"
)

// readSample reads the synthetic run in testdata.
func readSample(t *testing.T) *results.Run {
	t.Helper()
	run, err := results.Read(filepath.Join("testdata", "results.json"))
	require.NoError(t, err)
	return run
}

func TestRatiosSample(t *testing.T) {
	ratios := Ratios(readSample(t))
	tests := []struct {
		name    string
		value   float64
		verdict Verdict
	}{
		{"staging ÷ direct, task + job commit time, small-files", 1.05, Holds},
		{"staging ÷ direct, task + job commit time, large-files", 1.30, DoesNotHold},
		{"staging job commit, largest ÷ smallest bytes per file", 1.10, Holds},
		{"rename job commit, largest ÷ smallest bytes per file", 20, Holds},
		{"rename ÷ staging, job commit time at ≥ 1 GiB total", 40, Holds},
		{"peak client heap, staging task commit of ≥ 1 GiB, default settings", 100 << 20, DoesNotHold},
		{"default ÷ best task-commit MiB/s over the upload_concurrency values tried", 62.5 / 64, Holds},
		{"default ÷ best job-commit completions/s over the commit_concurrency values tried", 800.0 / 850, Holds},
		{"staging, store home ÷ fs home, task + job commit time, small-files", math.NaN(), NotMeasured},
		{"staging, store home ÷ fs home, task + job commit time, large-files", math.NaN(), NotMeasured},
		{"staging requests per file, task + job commit, small-files, fs home", 3, Holds},
		{"staging requests per file, task + job commit, small-files, store home", math.NaN(), NotMeasured},
		{"staging, checksums ÷ none, task commit time, small-files", math.NaN(), NotMeasured},
		{"staging, checksums ÷ none, task commit time, large-files", math.NaN(), NotMeasured},
		{"staging ÷ direct, client CPU per file, small-files", 3.0 / 1.2, NoTarget},
		{"staging-deferred ÷ direct, client CPU per file, small-files", math.NaN(), NotMeasured},
		{"staging-deferred ÷ direct, task + job commit time, small-files", math.NaN(), NotMeasured},
		{"staging-deferred ÷ staging, job commit time, small-files", math.NaN(), NotMeasured},
		{"staging-deferred ÷ staging, job commit time, partitioned", math.NaN(), NotMeasured},
		{"staging, upload at close ÷ without, last close to task commit end, paced-files", math.NaN(), NotMeasured},
		{"staging, OpenTelemetry noop ÷ none, task + job commit time, small-files", math.NaN(), NotMeasured},
		{"staging, OpenTelemetry sdk ÷ none, task + job commit time, small-files", math.NaN(), NotMeasured},
	}
	require.Len(t, ratios, len(tests))
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ratios[i]
			assert.Equal(t, tt.name, r.Name)
			if math.IsNaN(tt.value) {
				assert.True(t, math.IsNaN(r.Value), "not measured: %v", r.Value)
			} else {
				assert.InDelta(t, tt.value, r.Value, 1e-9)
			}
			assert.Equal(t, tt.verdict, r.Verdict, r.Detail)
			assert.NotEmpty(t, r.Detail)
		})
	}
}

// result builds a result of a workload and strategy at default settings.
func result(workload, strategy string, files int, bytesPerFile int64, phases map[string]float64) results.Result {
	return results.Result{Workload: workload, Strategy: strategy, Files: files, BytesPerFile: bytesPerFile,
		TotalBytes: int64(files) * bytesPerFile, Phases: phases}
}

// checksums sets the checksum mode of a result.
func checksums(r results.Result, m string) results.Result {
	if r.Settings == nil {
		r.Settings = map[string]string{}
	}
	r.Settings[results.SettingChecksums] = m
	return r
}

// cpu sets the client and server CPU seconds of a result.
func cpu(r results.Result, client, server float64) results.Result {
	r.CPUSeconds, r.ServerCPUSeconds = client, server
	return r
}

// deferred sets the deferred-PUT threshold of a result.
func deferred(r results.Result, threshold int64) results.Result {
	if r.Settings == nil {
		r.Settings = map[string]string{}
	}
	r.Settings[results.SettingDeferredPutThreshold] = strconv.FormatInt(threshold, 10)
	return r
}

// paced builds a paced-files result of a strategy whose last close came
// closeToEnd seconds before the end of its task commit, with uploads at
// close for staging when atClose.
func paced(strategy string, atClose bool, closeToEnd, task float64) results.Result {
	r := result(results.WorkloadPacedFiles, strategy, 8, 128<<20, map[string]float64{
		results.PhaseCloseToCommitEnd: closeToEnd, results.PhaseTaskCommit: task, results.PhaseJobCommit: 0.1})
	r.Settings = map[string]string{results.SettingComputeDelay: "1s"}
	if strategy == results.StrategyStaging {
		r.Settings[results.SettingUploadAtClose] = results.UploadAtCloseOff
		if atClose {
			r.Settings[results.SettingUploadAtClose] = results.UploadAtCloseOn
		}
	}
	return r
}

// home sets the staging home of a result.
// otel sets the OpenTelemetry setting of a staging result.
func otel(r results.Result, setting string) results.Result {
	if r.Settings == nil {
		r.Settings = map[string]string{}
	}
	r.Settings[results.SettingTelemetry] = setting
	return r
}

func home(r results.Result, h string) results.Result {
	if r.Settings == nil {
		r.Settings = map[string]string{}
	}
	r.Settings[results.SettingStagingHome] = h
	return r
}

func TestRatiosEdgeCases(t *testing.T) {
	tc := func(task, job float64) map[string]float64 {
		return map[string]float64{results.PhaseTaskCommit: task, results.PhaseJobCommit: job}
	}
	tests := []struct {
		name    string
		results []results.Result
		index   int
		value   float64
		verdict Verdict
	}{
		{
			name:    "empty run measures nothing",
			index:   0,
			verdict: NotMeasured,
		},
		{
			name: "staging exactly at the bound holds",
			results: []results.Result{
				result("small-files", "staging", 10, 1, tc(10, 1)),
				result("small-files", "direct", 10, 1, tc(10, 0)),
			},
			index: 0, value: 1.10, verdict: Holds,
		},
		{
			name: "a failed staging result is not compared",
			results: []results.Result{
				{Workload: "small-files", Strategy: "staging", Error: "boom", Phases: tc(1, 1)},
				result("small-files", "direct", 10, 1, tc(10, 0)),
			},
			index: 0, verdict: NotMeasured,
		},
		{
			name: "direct without job commit counts its task commit only",
			results: []results.Result{
				result("large-files", "staging", 2, 1<<30, tc(20, 2)),
				result("large-files", "direct", 2, 1<<30, map[string]float64{results.PhaseTaskCommit: 10}),
			},
			index: 1, value: 2.2, verdict: DoesNotHold,
		},
		{
			name: "totals are used when no commit phase is recorded",
			results: []results.Result{
				result("large-files", "staging", 2, 1<<30, map[string]float64{results.PhaseTotal: 21}),
				result("large-files", "direct", 2, 1<<30, map[string]float64{results.PhaseTotal: 20}),
			},
			index: 1, value: 1.05, verdict: Holds,
		},
		{
			name: "a series of one size is not a growth",
			results: []results.Result{
				result("job-commit-series", "staging", 16, 64<<10, tc(1, 1)),
			},
			index: 2, verdict: NotMeasured,
		},
		{
			name: "staging job commit that grows with bytes does not hold",
			results: []results.Result{
				result("job-commit-series", "staging", 16, 64<<20, tc(1, 3)),
				result("job-commit-series", "staging", 16, 64<<10, tc(1, 1)),
			},
			index: 2, value: 3, verdict: DoesNotHold,
		},
		{
			name: "rename that does not grow does not hold",
			results: []results.Result{
				result("job-commit-series", "rename", 16, 64<<10, tc(1, 1)),
				result("job-commit-series", "rename", 16, 64<<20, tc(1, 1.1)),
			},
			index: 3, value: 1.1, verdict: DoesNotHold,
		},
		{
			name: "below 1 GiB total the speed-up is not measured",
			results: []results.Result{
				result("job-commit-series", "staging", 16, 1<<20, tc(1, 1)),
				result("job-commit-series", "rename", 16, 1<<20, tc(1, 50)),
			},
			index: 4, verdict: NotMeasured,
		},
		{
			name: "speed-up under 10x does not hold",
			results: []results.Result{
				result("job-commit-series", "staging", 16, 64<<20, tc(1, 1)),
				result("job-commit-series", "rename", 16, 64<<20, tc(1, 9)),
			},
			index: 4, value: 9, verdict: DoesNotHold,
		},
		{
			name: "heap under the bound holds",
			results: []results.Result{
				{Workload: "large-files", Strategy: "staging", TotalBytes: 4 << 30, PeakHeapBytes: 30 << 20},
			},
			index: 5, value: 30 << 20, verdict: Holds,
		},
		{
			name: "heap of a non-default setting is not considered",
			results: []results.Result{
				{Workload: "large-files", Strategy: "staging", TotalBytes: 4 << 30, PeakHeapBytes: 300 << 20,
					Settings: map[string]string{results.SettingUploadConcurrency: "64"}},
			},
			index: 5, verdict: NotMeasured,
		},
		{
			name: "default far below the best concurrency does not hold",
			results: []results.Result{
				{Workload: "small-files", Strategy: "staging", MiBPerSecond: 50, Settings: map[string]string{results.SettingUploadConcurrency: "16"}},
				{Workload: "small-files", Strategy: "staging", MiBPerSecond: 100, Settings: map[string]string{results.SettingUploadConcurrency: "64"}},
			},
			index: 6, value: 0.5, verdict: DoesNotHold,
		},
		{
			name: "a setting of 0 is the default",
			results: []results.Result{
				{Workload: "large-files", Strategy: "staging", TotalBytes: 4 << 30, PeakHeapBytes: 30 << 20,
					Settings: map[string]string{results.SettingUploadConcurrency: "0", results.SettingCommitConcurrency: "32"}},
			},
			index: 5, value: 30 << 20, verdict: Holds,
		},
		{
			name: "a setting held at one value is not a sweep",
			results: []results.Result{
				{Workload: "concurrency-upload", Strategy: "staging", CompletionsPerSecond: 50, Settings: map[string]string{results.SettingCommitConcurrency: "32", results.SettingUploadConcurrency: "4"}},
				{Workload: "concurrency-upload", Strategy: "staging", CompletionsPerSecond: 100, Settings: map[string]string{results.SettingCommitConcurrency: "32", results.SettingUploadConcurrency: "16"}},
			},
			index: 7, verdict: NotMeasured,
		},
		{
			name: "a sweep without the default is not measured",
			results: []results.Result{
				{Workload: "small-files", Strategy: "staging", CompletionsPerSecond: 50, Settings: map[string]string{results.SettingCommitConcurrency: "8"}},
				{Workload: "small-files", Strategy: "staging", CompletionsPerSecond: 100, Settings: map[string]string{results.SettingCommitConcurrency: "128"}},
			},
			index: 7, verdict: NotMeasured,
		},
		{
			name: "store home exactly at the bound holds",
			results: []results.Result{
				home(result("small-files", "staging", 10, 1, tc(8, 2)), results.StagingHomeFS),
				home(result("small-files", "staging", 10, 1, tc(8, 2.5)), results.StagingHomeStore),
			},
			index: 8, value: 1.05, verdict: Holds,
		},
		{
			name: "a staging result without a home is of the filesystem home",
			results: []results.Result{
				result("large-files", "staging", 2, 1<<30, tc(10, 0)),
				home(result("large-files", "staging", 2, 1<<30, tc(11, 0)), results.StagingHomeStore),
			},
			index: 9, value: 1.1, verdict: DoesNotHold,
		},
		{
			name: "the store home is not staging's result against direct",
			results: []results.Result{
				home(result("small-files", "staging", 10, 1, tc(30, 0)), results.StagingHomeStore),
				home(result("small-files", "staging", 10, 1, tc(10, 1)), results.StagingHomeFS),
				result("small-files", "direct", 10, 1, tc(10, 0)),
			},
			index: 0, value: 1.10, verdict: Holds,
		},
		{
			name: "a store home at a non-default concurrency is not compared",
			results: []results.Result{
				home(result("small-files", "staging", 10, 1, tc(8, 2)), results.StagingHomeFS),
				func() results.Result {
					r := home(result("small-files", "staging", 10, 1, tc(8, 2)), results.StagingHomeStore)
					r.Settings[results.SettingCommitConcurrency] = "128"
					return r
				}(),
			},
			index: 8, verdict: NotMeasured,
		},
		{
			name: "requests of the store home above three per file and the records' 5 % do not hold",
			results: []results.Result{
				func() results.Result {
					r := home(result("small-files", "staging", 100, 1, tc(1, 1)), results.StagingHomeStore)
					r.Requests = map[string]int64{"CreateMultipartUpload": 100, "UploadPart": 100, "CompleteMultipartUpload": 100, "GetObject": 16}
					return r
				}(),
			},
			index: 11, value: 3.16, verdict: DoesNotHold,
		},
		{
			name: "checksums exactly at the bound on large-files hold",
			results: []results.Result{
				checksums(home(result("large-files", "staging", 2, 1<<30, tc(10.3, 1)), results.StagingHomeFS), results.ChecksumsVerified),
				checksums(home(result("large-files", "staging", 2, 1<<30, tc(10, 2)), results.StagingHomeFS), results.ChecksumsOff),
			},
			index: 13, value: 1.03, verdict: Holds,
		},
		{
			name: "checksums above the bound on large-files do not hold; the job commit does not count",
			results: []results.Result{
				checksums(home(result("large-files", "staging", 2, 1<<30, tc(10.4, 0)), results.StagingHomeFS), results.ChecksumsVerified),
				checksums(home(result("large-files", "staging", 2, 1<<30, tc(10, 5)), results.StagingHomeFS), results.ChecksumsOff),
			},
			index: 13, value: 1.04, verdict: DoesNotHold,
		},
		{
			name: "on small-files the checksums' ratio has no target",
			results: []results.Result{
				checksums(result("small-files", "staging", 10, 1, tc(12, 1)), results.ChecksumsOff),
				checksums(result("small-files", "staging", 10, 1, tc(6, 1)), results.ChecksumsRecordOnly),
				result("small-files", "staging", 10, 1, tc(15, 1)),
			},
			index: 12, value: 1.25, verdict: NoTarget,
		},
		{
			name: "checksums are compared within one home, the store home when the fs home lacks a pair",
			results: []results.Result{
				checksums(home(result("large-files", "staging", 2, 1<<30, tc(10, 0)), results.StagingHomeFS), results.ChecksumsVerified),
				checksums(home(result("large-files", "staging", 2, 1<<30, tc(11, 0)), results.StagingHomeStore), results.ChecksumsVerified),
				checksums(home(result("large-files", "staging", 2, 1<<30, tc(10, 0)), results.StagingHomeStore), results.ChecksumsOff),
			},
			index: 13, value: 1.1, verdict: DoesNotHold,
		},
		{
			name: "without checksums off the ratio is not measured",
			results: []results.Result{
				checksums(result("large-files", "staging", 2, 1<<30, tc(10, 0)), results.ChecksumsVerified),
				checksums(result("large-files", "staging", 2, 1<<30, tc(10, 0)), results.ChecksumsRecordOnly),
			},
			index: 13, verdict: NotMeasured,
		},
		{
			name: "staging without checksums is not staging's result against direct",
			results: []results.Result{
				checksums(home(result("small-files", "staging", 10, 1, tc(5, 0)), results.StagingHomeFS), results.ChecksumsOff),
				checksums(home(result("small-files", "staging", 10, 1, tc(10, 1)), results.StagingHomeFS), results.ChecksumsVerified),
				result("small-files", "direct", 10, 1, tc(10, 0)),
			},
			index: 0, value: 1.10, verdict: Holds,
		},
		{
			name: "staging homes are compared with checksums verified",
			results: []results.Result{
				checksums(home(result("small-files", "staging", 10, 1, tc(1, 1)), results.StagingHomeStore), results.ChecksumsOff),
				checksums(home(result("small-files", "staging", 10, 1, tc(8, 2)), results.StagingHomeFS), results.ChecksumsOff),
				checksums(home(result("small-files", "staging", 10, 1, tc(8, 2)), results.StagingHomeFS), results.ChecksumsVerified),
				home(result("small-files", "staging", 10, 1, tc(8, 3)), results.StagingHomeStore),
			},
			index: 8, value: 1.1, verdict: DoesNotHold,
		},
		{
			name: "client CPU per small file, staging ÷ direct, has no bound",
			results: []results.Result{
				cpu(result("small-files", "staging", 100, 1, tc(1, 1)), 6, 9),
				cpu(result("small-files", "direct", 50, 1, tc(1, 0)), 1, 4),
			},
			index: 14, value: (6.0 / 100) / (1.0 / 50), verdict: NoTarget,
		},
		{
			name: "client CPU per small file compares the fs home with checksums verified",
			results: []results.Result{
				cpu(checksums(home(result("small-files", "staging", 10, 1, tc(1, 1)), results.StagingHomeFS), results.ChecksumsOff), 1, 0),
				cpu(home(result("small-files", "staging", 10, 1, tc(1, 1)), results.StagingHomeStore), 9, 0),
				cpu(home(result("small-files", "staging", 10, 1, tc(1, 1)), results.StagingHomeFS), 3, 0),
				cpu(result("small-files", "direct", 10, 1, tc(1, 0)), 2, 0),
			},
			index: 14, value: 1.5, verdict: NoTarget,
		},
		{
			name: "a result without client CPU, from an older run, is not compared",
			results: []results.Result{
				result("small-files", "staging", 100, 1, tc(1, 1)),
				cpu(result("small-files", "direct", 100, 1, tc(1, 0)), 1, 0),
			},
			index: 14, verdict: NotMeasured,
		},
		{
			name: "client CPU per small file needs direct",
			results: []results.Result{
				cpu(result("small-files", "staging", 100, 1, tc(1, 1)), 1, 0),
				cpu(result("large-files", "direct", 100, 1, tc(1, 0)), 1, 0),
			},
			index: 14, verdict: NotMeasured,
		},
		{
			name: "client CPU per small file, staging-deferred ÷ direct, has no bound",
			results: []results.Result{
				cpu(result("small-files", "staging", 100, 1, tc(1, 1)), 6, 0),
				cpu(deferred(result("small-files", "staging", 100, 1, tc(1, 1)), 1<<20), 2, 0),
				cpu(result("small-files", "direct", 50, 1, tc(1, 0)), 1, 0),
			},
			index: 15, value: (2.0 / 100) / (1.0 / 50), verdict: NoTarget,
		},
		{
			name: "staging ÷ direct client CPU leaves deferred PUTs out",
			results: []results.Result{
				cpu(deferred(result("small-files", "staging", 100, 1, tc(1, 1)), 1<<20), 2, 0),
				cpu(deferred(result("small-files", "staging", 100, 1, tc(1, 1)), 0), 6, 0),
				cpu(result("small-files", "direct", 100, 1, tc(1, 0)), 2, 0),
			},
			index: 14, value: 3, verdict: NoTarget,
		},
		{
			name: "client CPU of deferred PUTs needs a deferred result",
			results: []results.Result{
				cpu(deferred(result("small-files", "staging", 100, 1, tc(1, 1)), 0), 6, 0),
				cpu(result("small-files", "direct", 100, 1, tc(1, 0)), 2, 0),
			},
			index: 15, verdict: NotMeasured,
		},
		{
			name: "staging-deferred exactly at the bound holds",
			results: []results.Result{
				deferred(result("small-files", "staging", 10, 256<<10, tc(2, 9)), 1<<20),
				result("small-files", "direct", 10, 256<<10, tc(10, 0)),
			},
			index: 16, value: 1.10, verdict: Holds,
		},
		{
			name: "the highest threshold is compared with direct",
			results: []results.Result{
				deferred(result("small-files", "staging", 10, 256<<10, tc(10, 3)), 128<<10),
				deferred(result("small-files", "staging", 10, 256<<10, tc(5, 7)), 1<<20),
				result("small-files", "staging", 10, 256<<10, tc(10, 1)),
				result("small-files", "direct", 10, 256<<10, tc(10, 0)),
			},
			index: 16, value: 1.2, verdict: DoesNotHold,
		},
		{
			name: "deferred PUTs are not staging's result against direct",
			results: []results.Result{
				deferred(result("small-files", "staging", 10, 1, tc(1, 1)), 1<<20),
				deferred(result("small-files", "staging", 10, 1, tc(10, 1)), 0),
				result("small-files", "direct", 10, 1, tc(10, 0)),
			},
			index: 0, value: 1.10, verdict: Holds,
		},
		{
			name: "deferred PUTs with the store home are not compared with direct",
			results: []results.Result{
				home(deferred(result("small-files", "staging", 10, 1, tc(1, 1)), 1<<20), results.StagingHomeStore),
				result("small-files", "direct", 10, 1, tc(10, 0)),
			},
			index: 16, verdict: NotMeasured,
		},
		{
			name: "deferred PUTs at a non-default concurrency are not compared",
			results: []results.Result{
				func() results.Result {
					r := deferred(result("small-files", "staging", 10, 1, tc(1, 1)), 1<<20)
					r.Settings[results.SettingCommitConcurrency] = "128"
					return r
				}(),
				result("small-files", "direct", 10, 1, tc(10, 0)),
			},
			index: 16, verdict: NotMeasured,
		},
		{
			name: "the job commit window of deferred PUTs, small-files",
			results: []results.Result{
				result("small-files", "staging", 10, 256<<10, tc(3, 1)),
				deferred(result("small-files", "staging", 10, 256<<10, tc(1, 4)), 1<<20),
			},
			index: 17, value: 4, verdict: NoTarget,
		},
		{
			name: "the job commit window of deferred PUTs, partitioned",
			results: []results.Result{
				deferred(result("partitioned", "staging", 10, 256<<10, tc(1, 3)), 1<<20),
				deferred(result("partitioned", "staging", 10, 256<<10, tc(3, 2)), 0),
				deferred(result("small-files", "staging", 10, 256<<10, tc(1, 9)), 1<<20),
			},
			index: 18, value: 1.5, verdict: NoTarget,
		},
		{
			name: "the job commit window needs staging without deferred PUTs",
			results: []results.Result{
				deferred(result("small-files", "staging", 10, 256<<10, tc(1, 4)), 1<<20),
				result("small-files", "direct", 10, 256<<10, tc(3, 0)),
			},
			index: 17, verdict: NotMeasured,
		},
		{
			name: "upload at close exactly at the bound holds",
			results: []results.Result{
				paced("staging", false, 2, 2),
				paced("staging", true, 0.4, 0.3),
				paced("direct", false, 1.9, 1.9),
			},
			index: 19, value: 0.2, verdict: Holds,
		},
		{
			name: "upload at close above the bound does not hold",
			results: []results.Result{
				paced("staging", true, 1.9, 1.8),
				paced("staging", false, 2, 2),
			},
			index: 19, value: 0.95, verdict: DoesNotHold,
		},
		{
			name: "upload at close is compared with staging, not direct",
			results: []results.Result{
				paced("staging", true, 0.1, 0.1),
				paced("direct", false, 2, 2),
			},
			index: 19, verdict: NotMeasured,
		},
		{
			name: "a result without the close-to-end phase is not compared",
			results: []results.Result{
				paced("staging", true, 0.1, 0.1),
				result(results.WorkloadPacedFiles, "staging", 8, 128<<20, tc(2, 0.1)),
			},
			index: 19, verdict: NotMeasured,
		},
		{
			name: "upload at close is not staging's result against direct",
			results: []results.Result{
				func() results.Result {
					r := result("small-files", "staging", 10, 1, tc(1, 1))
					r.Settings = map[string]string{results.SettingUploadAtClose: results.UploadAtCloseOn}
					return r
				}(),
				result("small-files", "direct", 10, 1, tc(10, 0)),
			},
			index: 0, verdict: NotMeasured,
		},
		{
			name: "OpenTelemetry no-op providers within the bound hold",
			results: []results.Result{
				otel(result("small-files", "staging", 100, 1, tc(1, 1)), results.TelemetryNone),
				otel(result("small-files", "staging", 100, 1, tc(1.05, 1)), results.TelemetryNoop),
				otel(result("small-files", "staging", 100, 1, tc(1.5, 1.5)), results.TelemetrySDK),
			},
			index: 20, value: 1.025, verdict: Holds,
		},
		{
			name: "OpenTelemetry no-op providers above the bound do not hold",
			results: []results.Result{
				otel(result("small-files", "staging", 100, 1, tc(1, 1)), results.TelemetryNone),
				otel(result("small-files", "staging", 100, 1, tc(1.2, 1)), results.TelemetryNoop),
			},
			index: 20, value: 1.1, verdict: DoesNotHold,
		},
		{
			name: "OpenTelemetry SDK providers are shown without a bound",
			results: []results.Result{
				result("small-files", "staging", 100, 1, tc(1, 1)), // a run from before the setting: none
				otel(result("small-files", "staging", 100, 1, tc(1.5, 1.5)), results.TelemetrySDK),
			},
			index: 21, value: 1.5, verdict: NoTarget,
		},
		{
			name: "OpenTelemetry SDK providers are not staging's result against direct",
			results: []results.Result{
				otel(result("small-files", "staging", 100, 1, tc(1, 1)), results.TelemetrySDK),
				result("small-files", "direct", 100, 1, tc(2, 0)),
			},
			index: 0, verdict: NotMeasured,
		},
		{
			name: "requests are not measured without counts",
			results: []results.Result{
				home(result("small-files", "staging", 100, 1, tc(1, 1)), results.StagingHomeFS),
			},
			index: 10, verdict: NotMeasured,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Ratios(&results.Run{Results: tt.results})[tt.index]
			assert.Equal(t, tt.verdict, r.Verdict, r.Detail)
			if tt.verdict == NotMeasured {
				assert.True(t, math.IsNaN(r.Value))
				assert.NotEmpty(t, r.Detail, "a target not measured says why")
				return
			}
			assert.InDelta(t, tt.value, r.Value, 1e-9)
		})
	}
}

func TestFormatBytes(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{64 << 10, "64 KiB"},
		{1536 << 20, "1.5 GiB"},
		{4 << 30, "4 GiB"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, formatBytes(tt.in))
	}
}
