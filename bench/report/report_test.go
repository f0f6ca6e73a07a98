package report

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/bench/internal/results"
)

func TestWriteFromResults(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("testdata", "results.json"))
	require.NoError(t, err)
	path := filepath.Join(dir, results.FileName)
	require.NoError(t, os.WriteFile(path, src, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cpu-large-files.pprof"), []byte("x"), 0o644))

	written, err := WriteFromResults(path)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{
		filepath.Join(dir, FileName), filepath.Join(dir, ThroughputChart), filepath.Join(dir, JobCommitChart),
	}, written)

	for _, chart := range []string{ThroughputChart, JobCommitChart} {
		t.Run(chart, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, chart))
			require.NoError(t, err)
			img, err := png.Decode(bytes.NewReader(b))
			require.NoError(t, err, "a valid PNG")
			assert.Greater(t, img.Bounds().Dx(), 100)
			assert.Greater(t, img.Bounds().Dy(), 100)
		})
	}

	md, err := os.ReadFile(filepath.Join(dir, FileName))
	require.NoError(t, err)
	text := string(md)
	for _, want := range []string{
		"# s3commit benchmark — full run of 2026-11-22 03:00 UTC",
		"| Cores | 2 |",
		"| Memory | 24 GiB |",
		"| minio | v0.0.0-20260212201848-7aac2a2c5b7c |",
		"### small-files", "### large-files", "### job-commit-series", "### partitioned",
		"failed: connection refused",
		"commit_concurrency=32, upload_concurrency=16",
		"| staging ÷ direct, task + job commit time, large-files | ≤ 1.10 | 1.30 | **does not hold** |",
		"| rename ÷ staging, job commit time at ≥ 1 GiB total | ≥ 10 | 40.00 | **holds** |",
		"| staging ÷ direct, client CPU per file, small-files | no bound | 2.50 | **no target** | staging 1.500 ms per file (3.00 s for 2000 files), direct 0.600 ms per file (1.20 s for 2000 files) |",
		"| 100 MiB | **does not hold** |",
		"![throughput](throughput.png)", "![job-commit](job-commit.png)",
		"2 target(s) do not hold",
		"[cpu-large-files.pprof](cpu-large-files.pprof)",
	} {
		assert.Contains(t, text, want)
	}
}

func TestWriteSkipsChartsWithoutData(t *testing.T) {
	dir := t.TempDir()
	run := &results.Run{Mode: results.ModeQuick, Results: []results.Result{
		{Workload: "small-files", Strategy: results.StrategyDirect, Error: "unreachable"},
	}}
	written, err := Write(dir, run)
	require.NoError(t, err)
	assert.Equal(t, []string{filepath.Join(dir, FileName)}, written)
	md, err := os.ReadFile(filepath.Join(dir, FileName))
	require.NoError(t, err)
	assert.Contains(t, string(md), "not measured")
	assert.Contains(t, string(md), "Every measured target holds")
}

func TestWriteErrors(t *testing.T) {
	_, err := Write(t.TempDir(), nil)
	assert.Error(t, err)
	_, err = WriteFromResults(filepath.Join(t.TempDir(), "missing.json"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestWriteStagingHomes(t *testing.T) {
	dir := t.TempDir()
	staged := func(h string, task, job float64, reqs map[string]map[string]int64, dirReqs map[string]map[string]int64) results.Result {
		r := results.Result{Workload: results.WorkloadSmallFiles, Strategy: results.StrategyStaging, Files: 100, BytesPerFile: 1 << 10,
			TotalBytes: 100 << 10, Settings: map[string]string{results.SettingStagingHome: h},
			Phases:        map[string]float64{results.PhaseTaskCommit: task, results.PhaseJobCommit: job, results.PhaseTotal: task + job},
			PhaseRequests: reqs, StagingDirRequests: dirReqs, Requests: map[string]int64{}, OtherCPUSeconds: 0.25,
			Trace: "requests/001-small-files-staging-" + h + ".csv.gz"}
		for _, m := range reqs {
			for op, n := range m {
				r.Requests[op] += n
			}
		}
		return r
	}
	fs := staged(results.StagingHomeFS, 2, 1, map[string]map[string]int64{
		results.PhaseTaskCommit: {"CreateMultipartUpload": 100, "UploadPart": 100},
		results.PhaseJobCommit:  {"CompleteMultipartUpload": 100, "PutObject": 1},
	}, nil)
	st := staged(results.StagingHomeStore, 2, 1.2, map[string]map[string]int64{
		results.PhaseTaskCommit: {"CreateMultipartUpload": 100, "UploadPart": 100, "GetObject": 4, "HeadObject": 2, "HeadBucket": 2},
		results.PhaseJobCommit:  {"CompleteMultipartUpload": 100, "PutObject": 5, "GetObject": 10},
	}, map[string]map[string]int64{
		results.PhaseTaskCommit: {"GetObject": 4, "HeadObject": 2},
		results.PhaseJobCommit:  {"PutObject": 4, "GetObject": 10},
	})
	_, err := Write(dir, &results.Run{Mode: results.ModeQuick, Results: []results.Result{fs, st}})
	require.NoError(t, err)
	md, err := os.ReadFile(filepath.Join(dir, FileName))
	require.NoError(t, err)
	text := string(md)
	for _, want := range []string{
		"| staging, store home ÷ fs home, task + job commit time, small-files | ≤ 1.05 | 1.07 | **does not hold** |",
		"| staging requests per file, task + job commit, small-files, fs home | ≤ 3.15 | 3.01 | **holds** |",
		"| staging requests per file, task + job commit, small-files, store home | ≤ 3.15 | 3.23 | **does not hold** | 323 requests for 100 files: task commit 208, job commit 115; 20 of them to the staging dir |",
		"## Staging homes",
		"| small-files | 100 | fs | 2.000 | 1.000 | 3.000 | – | 3.010 | 0.000 | 0.00 | – | 0.25 |",
		"| small-files | 100 | store | 2.000 | 1.200 | 3.200 | 1.067 | 3.230 | 0.200 | 0.00 | – | 0.25 |",
		"### small-files: requests per file by phase and operation",
		"| task_commit | HeadBucket | 0.000 | 0.020 | 0.000 | 2 | 0 |",
		"| job_commit | GetObject | 0.000 | 0.100 | 0.100 | 10 | 0 |",
		"| job_commit | **all** | 1.010 | 1.150 | 0.140 | 115 | 101 |",
		"[requests/001-small-files-staging-store.csv.gz](requests/001-small-files-staging-store.csv.gz)",
		"| staging (store home) | ",
	} {
		assert.Contains(t, text, want)
	}
}

func TestWriteChecksums(t *testing.T) {
	dir := t.TempDir()
	staged := func(w string, files int, m string, task, job float64) results.Result {
		return results.Result{Workload: w, Strategy: results.StrategyStaging, Files: files, BytesPerFile: 1 << 20,
			TotalBytes: int64(files) << 20, CPUSeconds: task / 2, MiBPerSecond: float64(files) / task,
			Settings: map[string]string{results.SettingStagingHome: results.StagingHomeFS, results.SettingChecksums: m},
			Phases:   map[string]float64{results.PhaseTaskCommit: task, results.PhaseJobCommit: job, results.PhaseTotal: task + job},
			Requests: map[string]int64{"CreateMultipartUpload": int64(files), "UploadPart": int64(files), "CompleteMultipartUpload": int64(files)}}
	}
	run := &results.Run{Mode: results.ModeQuick, Results: []results.Result{
		staged(results.WorkloadLargeFiles, 4, results.ChecksumsVerified, 10.2, 0.1),
		staged(results.WorkloadLargeFiles, 4, results.ChecksumsOff, 10, 0.1),
		staged(results.WorkloadSmallFiles, 100, results.ChecksumsVerified, 4, 1),
		staged(results.WorkloadSmallFiles, 100, results.ChecksumsRecordOnly, 4.4, 1),
		staged(results.WorkloadSmallFiles, 100, results.ChecksumsOff, 5, 1),
	}}
	_, err := Write(dir, run)
	require.NoError(t, err)
	md, err := os.ReadFile(filepath.Join(dir, FileName))
	require.NoError(t, err)
	text := string(md)
	for _, want := range []string{
		"| staging, checksums ÷ none, task commit time, large-files | ≤ 1.03 | 1.020 | **holds** | fs home: task commit 10.200 s with checksums (verified), 10.000 s without (off); job commit 0.100 s and 0.100 s; client CPU 5.10 s and 5.00 s |",
		"| staging, checksums ÷ none, task commit time, small-files | no bound; ≤ 1.03 on large-files | 0.800 | **no target** |",
		"## Checksums",
		"| large-files | 4 | fs | verified | 10.200 | 0.100 | 10.300 | 1.020 | 0.4 | 5.10 | – | – | 3.000 |",
		"| large-files | 4 | fs | off | 10.000 | 0.100 | 10.100 | 1.000 | 0.4 | 5.00 | – | – | 3.000 |",
		"| small-files | 100 | fs | record-only | 4.400 | 1.000 | 5.400 | 0.880 | 22.7 | 2.20 | – | – | 3.000 |",
		"| staging (fs home, checksums off) | ",
		"| staging (fs home) | ",
		"Every measured target holds",
	} {
		assert.Contains(t, text, want)
	}
}

func TestWriteDeferredAndAtClose(t *testing.T) {
	small := func(strategy string, threshold int64, task, job, cpu float64, reqs map[string]map[string]int64) results.Result {
		r := results.Result{Workload: results.WorkloadSmallFiles, Strategy: strategy, Files: 100, BytesPerFile: 256 << 10,
			TotalBytes: 100 << 18, CPUSeconds: cpu, Settings: map[string]string{},
			Phases:        map[string]float64{results.PhaseTaskCommit: task, results.PhaseJobCommit: job, results.PhaseTotal: task + job},
			PhaseRequests: reqs, Requests: map[string]int64{}}
		if strategy == results.StrategyStaging {
			r.Settings[results.SettingStagingHome] = results.StagingHomeFS
			r.Settings[results.SettingDeferredPutThreshold] = strconv.FormatInt(threshold, 10)
		}
		for _, m := range reqs {
			for op, n := range m {
				r.Requests[op] += n
			}
		}
		return r
	}
	paced := func(strategy, atClose string, closeToEnd, task float64) results.Result {
		r := results.Result{Workload: results.WorkloadPacedFiles, Strategy: strategy, Files: 8, BytesPerFile: 32 << 20,
			TotalBytes: 256 << 20, CPUSeconds: 0.5, Settings: map[string]string{results.SettingComputeDelay: "1s"},
			Phases: map[string]float64{results.PhaseWrite: 8.2, results.PhaseCloseToCommitEnd: closeToEnd,
				results.PhaseTaskCommit: task, results.PhaseJobCommit: 0.05, results.PhaseTotal: task + 0.05},
			Requests: map[string]int64{"UploadPart": 8, "CreateMultipartUpload": 8, "CompleteMultipartUpload": 8}}
		if atClose != "" {
			r.Settings[results.SettingUploadAtClose] = atClose
		}
		return r
	}
	run := &results.Run{Mode: results.ModeQuick, Results: []results.Result{
		small(results.StrategyStaging, 0, 3, 1, 0.6, map[string]map[string]int64{
			results.PhaseTaskCommit: {"CreateMultipartUpload": 100, "UploadPart": 100},
			results.PhaseJobCommit:  {"CompleteMultipartUpload": 100, "PutObject": 1},
		}),
		small(results.StrategyStaging, 1<<20, 0.2, 2.1, 0.3, map[string]map[string]int64{
			results.PhaseJobCommit: {"PutObject": 101},
		}),
		small(results.StrategyDirect, 0, 2, 0.1, 0.2, map[string]map[string]int64{
			results.PhaseTaskCommit: {"PutObject": 100},
			results.PhaseJobCommit:  {"PutObject": 1},
		}),
		paced(results.StrategyStaging, results.UploadAtCloseOff, 1.6, 1.6),
		paced(results.StrategyStaging, results.UploadAtCloseOn, 0.24, 0.2),
		paced(results.StrategyDirect, "", 1.5, 1.5),
	}}
	dir := t.TempDir()
	_, err := Write(dir, run)
	require.NoError(t, err)
	md, err := os.ReadFile(filepath.Join(dir, FileName))
	require.NoError(t, err)
	text := string(md)
	for _, want := range []string{
		"| staging ÷ direct, task + job commit time, small-files | ≤ 1.10 | 1.90 | **does not hold** | staging 4.00 s, direct 2.10 s |",
		"| staging-deferred ÷ direct, task + job commit time, small-files | ≤ 1.10 | 1.10 | **holds** | staging-deferred 2.30 s (task 0.200, job 2.100; threshold 1 MiB: all 100 files of 256 KiB deferred), direct 2.10 s; staging 4.00 s |",
		"| staging-deferred ÷ staging, job commit time, small-files | no bound | 2.10 | **no target** | job commit 2.100 s with deferred PUTs (threshold 1 MiB: all 100 files of 256 KiB deferred, 25 MiB PUT at 11.9 MiB/s), 1.000 s without; task commit 0.200 s and 3.000 s; task + job 2.300 s and 4.000 s |",
		"| staging ÷ direct, client CPU per file, small-files | no bound | 3.00 | **no target** |",
		"| staging-deferred ÷ direct, client CPU per file, small-files | no bound | 1.50 | **no target** | staging-deferred 3.000 ms per file (0.30 s for 100 files), direct 2.000 ms per file (0.20 s for 100 files); threshold 1 MiB: all 100 files of 256 KiB deferred |",
		"| staging, upload at close ÷ without, last close to task commit end, paced-files | ≤ 0.20 | 0.150 | **holds** | 8 files of 32 MiB, compute delay 1s: 0.240 s with uploads at close (task commit 0.200 s), 1.600 s without (task commit 1.600 s); direct 1.500 s |",
		"## Deferred PUTs",
		"| small-files | 100 | staging (fs home) | 0 B | 3.000 | 1.000 | 4.000 | 1.905 | 3.010 | 2.000 | 1.010 | 6.000 | – |",
		"| small-files | 100 | staging (fs home, deferred PUTs ≤ 1 MiB) | 25 MiB | 0.200 | 2.100 | 2.300 | 1.095 | 1.010 | 0.000 | 1.010 | 3.000 | – |",
		"| small-files | 100 | direct | – | 2.000 | 0.100 | 2.100 | 1.000 | 1.010 | 1.000 | 0.010 | 2.000 | – |",
		"## Uploads at close",
		"| paced-files | 8 | 32 MiB | staging (upload at close) | 1s | 8.200 | 0.240 | 0.150 | 0.200 | 0.050 | 0.250 | 3.000 | 0.50 |",
		"| paced-files | 8 | 32 MiB | staging | 1s | 8.200 | 1.600 | – | 1.600 | 0.050 | 1.650 | 3.000 | 0.50 |",
		"| paced-files | 8 | 32 MiB | direct | 1s | 8.200 | 1.500 | – | 1.500 | 0.050 | 1.550 | 3.000 | 0.50 |",
		"### paced-files",
	} {
		assert.Contains(t, text, want)
	}
}
