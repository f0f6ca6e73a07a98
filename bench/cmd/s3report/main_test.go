package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/bench/internal/results"
	"github.com/s3commit/s3commit/bench/report"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("..", "..", "report", "testdata", "results.json"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, results.FileName), src, 0o644))

	tests := []struct {
		name string
		arg  string
	}{
		{"results file", filepath.Join(dir, results.FileName)},
		{"run directory", dir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			require.NoError(t, run([]string{tt.arg}, &out, &errOut))
			assert.Contains(t, out.String(), filepath.Join(dir, report.FileName))
			assert.FileExists(t, filepath.Join(dir, report.ThroughputChart))
			assert.FileExists(t, filepath.Join(dir, report.JobCommitChart))
		})
	}
}

func TestRunErrors(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(nil, &out, &errOut)
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(errOut.String(), "usage:"))

	err = run([]string{filepath.Join(t.TempDir(), "none.json")}, &out, &errOut)
	assert.ErrorIs(t, err, os.ErrNotExist)
}
