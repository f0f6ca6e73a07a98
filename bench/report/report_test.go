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
