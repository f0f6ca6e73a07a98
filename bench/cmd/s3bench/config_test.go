package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/bench/internal/results"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "defaults"},
		{name: "full", args: []string{"--mode", "full"}},
		{name: "endpoint", args: []string{"--endpoint-url", "http://127.0.0.1:7070", "--bucket", "b"}},
		{name: "latency", args: []string{"--latency", "20ms", "--bandwidth", "1024"}},
		{name: "bad mode", args: []string{"--mode", "fast"}, wantErr: "want quick or full"},
		{name: "endpoint without bucket", args: []string{"--endpoint-url", "http://x"}, wantErr: "needs --bucket"},
		{name: "bucket without endpoint", args: []string{"--bucket", "b"}, wantErr: "needs --endpoint-url"},
		{name: "latency with endpoint", args: []string{"--endpoint-url", "http://x", "--bucket", "b", "--latency", "5ms"}, wantErr: "local MinIO only"},
		{name: "bad latency", args: []string{"--latency", "soon"}, wantErr: "--latency"},
		{name: "bandwidth alone", args: []string{"--bandwidth", "10"}, wantErr: "--bandwidth needs --latency"},
		{name: "no repeats", args: []string{"--repeat", "0"}, wantErr: "at least 1"},
		{name: "no tasks", args: []string{"--tasks", "0"}, wantErr: "at least 1"},
		{name: "arguments", args: []string{"extra"}, wantErr: "flags only"},
		{name: "store home alone", args: []string{"--staging-homes", "store"}},
		{name: "unknown home", args: []string{"--staging-homes", "fs,nfs"}, wantErr: `unknown home "nfs"`},
		{name: "no home", args: []string{"--staging-homes", " , "}, wantErr: "--staging-homes is empty"},
		{name: "checksum modes", args: []string{"--checksum-modes", "verified, record-only,off"}},
		{name: "unknown checksum mode", args: []string{"--checksum-modes", "verified,none"}, wantErr: `unknown checksum mode "none"`},
		{name: "no checksum mode", args: []string{"--checksum-modes", ""}, wantErr: "--checksum-modes is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseFlags(tt.args)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.True(t, strings.HasSuffix(c.out, "-"+c.mode), "default out %q ends with the mode", c.out)
		})
	}
}

func TestWorkloads(t *testing.T) {
	for _, mode := range []string{results.ModeQuick, results.ModeFull} {
		t.Run(mode, func(t *testing.T) {
			var series []workload
			for _, w := range workloads(mode) {
				assert.Positive(t, w.files)
				assert.Positive(t, w.bytesPerFile)
				if w.name == results.WorkloadJobCommitSeries {
					series = append(series, w)
				}
			}
			require.NotEmpty(t, series)
			first, last := series[0], series[len(series)-1]
			assert.Equal(t, first.files, last.files, "the series keeps the file count")
			assert.Equal(t, int64(1024), last.bytesPerFile/first.bytesPerFile, "bytes per file grow 1,024×")
			assert.GreaterOrEqual(t, last.totalBytes(), int64(1<<30), "the largest step writes at least 1 GiB")
		})
	}
}

func TestSelected(t *testing.T) {
	assert.True(t, selected("", "small-files"))
	assert.True(t, selected("large-files, small-files", "small-files"))
	assert.False(t, selected("large-files", "small-files"))
}

func TestTaskFiles(t *testing.T) {
	split := taskFiles(workload{files: 10}, 4)
	require.Len(t, split, 4)
	n := 0
	for _, s := range split {
		n += len(s)
	}
	assert.Equal(t, 10, n)
	assert.Equal(t, "p=0003/part-00007.bin", workload{partitions: 4}.relPath(7))
}

func TestHomesOf(t *testing.T) {
	both, err := parseFlags(nil)
	require.NoError(t, err)
	store, err := parseFlags([]string{"--staging-homes", "store"})
	require.NoError(t, err)
	for _, w := range workloads(results.ModeQuick) {
		switch w.name {
		case results.WorkloadSmallFiles, results.WorkloadLargeFiles:
			assert.Equal(t, []string{results.StagingHomeFS, results.StagingHomeStore}, homesOf(both, w), w.name)
			assert.Equal(t, []string{results.StagingHomeStore}, homesOf(store, w), w.name)
		default:
			assert.Equal(t, []string{results.StagingHomeFS}, homesOf(both, w), w.name)
			assert.Equal(t, []string{results.StagingHomeFS}, homesOf(store, w), "%s keeps the filesystem home", w.name)
		}
	}
}

func TestChecksumModesOf(t *testing.T) {
	def, err := parseFlags(nil)
	require.NoError(t, err)
	both, err := parseFlags([]string{"--checksum-modes", "off,verified"})
	require.NoError(t, err)
	for _, w := range workloads(results.ModeQuick) {
		assert.Equal(t, []string{results.ChecksumsVerified}, checksumModesOf(def, w), "by default %s is measured with the default mode only", w.name)
		switch w.name {
		case results.WorkloadSmallFiles, results.WorkloadLargeFiles:
			assert.Equal(t, []string{results.ChecksumsVerified, results.ChecksumsOff}, checksumModesOf(both, w), w.name)
		default:
			assert.Equal(t, []string{results.ChecksumsVerified}, checksumModesOf(both, w), "%s keeps the default mode", w.name)
		}
	}
}

func TestLabelAndStagingPrefix(t *testing.T) {
	assert.Equal(t, "staging", params{strategy: results.StrategyStaging, home: results.StagingHomeFS}.label())
	assert.Equal(t, "staging-store", params{strategy: results.StrategyStaging, home: results.StagingHomeStore}.label())
	assert.Equal(t, "direct", params{strategy: results.StrategyDirect}.label())
	staging := params{strategy: results.StrategyStaging, home: results.StagingHomeFS, checksums: results.ChecksumsVerified}
	assert.Equal(t, "staging", staging.label(), "the default checksum mode leaves the label unchanged")
	staging.checksums = results.ChecksumsOff
	assert.Equal(t, "staging-nochecksum", staging.label())
	staging.checksums = results.ChecksumsRecordOnly
	assert.Equal(t, "staging-checksum-record-only", staging.label())
	staging.home, staging.checksums = results.StagingHomeStore, results.ChecksumsOff
	assert.Equal(t, "staging-store-nochecksum", staging.label())
	dest := "s3bench/x/002-small-files-staging-store"
	assert.False(t, strings.HasPrefix(stagingPrefix(dest)+"/", dest+"/"), "the staging dir lies beside the destination, not in it")
}
