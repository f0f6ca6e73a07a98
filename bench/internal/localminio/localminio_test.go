package localminio

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseProcStatCPU(t *testing.T) {
	tests := []struct {
		name string
		stat string
		want float64
		ok   bool
	}{
		{"plain", "4242 (minio) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 566 0 0 20 0 12 0 100 0 0", 18.00, true},
		{"name with spaces and parens", "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 50 25 0 0 20 0", 0.75, true},
		{"truncated", "7 (x) R 1 2", 0, false},
		{"no name", "garbage", 0, false},
		{"not a number", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 x 25", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseProcStatCPU(tt.stat)
			assert.Equal(t, tt.ok, ok)
			assert.InDelta(t, tt.want, got, 1e-9)
		})
	}
}

func TestProcessCPUSecondsOfThisProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system: server CPU is not measured here")
	}
	v, ok := ProcessCPUSeconds(os.Getpid())
	require.True(t, ok)
	assert.GreaterOrEqual(t, v, 0.0)
	_, ok = ProcessCPUSeconds(1 << 30)
	assert.False(t, ok, "a process that does not exist")
}

func TestReclaimWithoutDataDir(t *testing.T) {
	assert.NoError(t, Reclaim(""), "a store the caller cannot see is left alone")
}

func TestStartAndReclaim(t *testing.T) {
	if testing.Short() {
		t.Skip("starts MinIO")
	}
	_, err := FindTool("minio")
	require.NoError(t, err, "the benchmark's tests need the pinned MinIO")
	srv, err := Start(context.Background())
	require.NoError(t, err)
	dataDir := srv.DataDir
	resp, err := http.Get(srv.Endpoint + "/minio/health/live")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	if _, err := os.Stat("/proc/self/stat"); err == nil {
		_, ok := srv.CPUSeconds()
		assert.True(t, ok)
	}
	junk := filepath.Join(dataDir, Trash, "deleted-object")
	require.NoError(t, os.MkdirAll(junk, 0o755))
	require.NoError(t, Reclaim(dataDir))
	entries, err := os.ReadDir(filepath.Join(dataDir, Trash))
	require.NoError(t, err)
	assert.Empty(t, entries)
	srv.Stop()
	_, err = os.Stat(dataDir)
	assert.True(t, os.IsNotExist(err), "the data directory is removed: %v", err)
}
