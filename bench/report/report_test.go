package report

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
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
