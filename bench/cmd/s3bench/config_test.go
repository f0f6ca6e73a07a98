package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

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
		{name: "deferred puts", args: []string{"--deferred-puts", "0,256KiB, 1MiB"}},
		{name: "bad deferred put", args: []string{"--deferred-puts", "0,1.5MiB"}, wantErr: `--deferred-puts: size "1.5MiB"`},
		{name: "deferred put above a PutObject", args: []string{"--deferred-puts", "6GiB"}, wantErr: "the largest PutObject"},
		{name: "no deferred put", args: []string{"--deferred-puts", " "}, wantErr: "--deferred-puts is empty"},
		{name: "upload at close", args: []string{"--upload-at-close", "on,off"}},
		{name: "unknown upload at close", args: []string{"--upload-at-close", "yes"}, wantErr: `unknown setting "yes"`},
		{name: "no upload at close", args: []string{"--upload-at-close", ""}, wantErr: "--upload-at-close is empty"},
		{name: "compute delay", args: []string{"--compute-delay", "250ms"}},
		{name: "telemetry", args: []string{"--telemetry", "none, noop,sdk"}},
		{name: "unknown telemetry", args: []string{"--telemetry", "none,otlp"}, wantErr: `unknown setting "otlp"`},
		{name: "no telemetry", args: []string{"--telemetry", ""}, wantErr: "--telemetry is empty"},
		{name: "negative compute delay", args: []string{"--compute-delay", "-1s"}, wantErr: "want 0 or more"},
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

func TestParseDeferredAndAtClose(t *testing.T) {
	tests := []struct {
		name         string
		args         []string
		wantDeferred []int64
		wantAtClose  []bool
		wantDelay    time.Duration
	}{
		{name: "defaults change nothing", wantDeferred: []int64{0}, wantAtClose: []bool{false}, wantDelay: time.Second},
		{
			name:         "sizes in the order given, each once",
			args:         []string{"--deferred-puts", "0,1MiB,256KiB,1048576"},
			wantDeferred: []int64{0, 1 << 20, 256 << 10}, wantAtClose: []bool{false}, wantDelay: time.Second,
		},
		{
			name:         "upload at close in run order, off first",
			args:         []string{"--upload-at-close", "on,off", "--compute-delay", "2s"},
			wantDeferred: []int64{0}, wantAtClose: []bool{false, true}, wantDelay: 2 * time.Second,
		},
		{
			name:         "on alone",
			args:         []string{"--upload-at-close", "on", "--deferred-puts", "1MiB"},
			wantDeferred: []int64{1 << 20}, wantAtClose: []bool{true}, wantDelay: time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseFlags(tt.args)
			require.NoError(t, err)
			assert.Equal(t, tt.wantDeferred, c.deferred)
			assert.Equal(t, tt.wantAtClose, c.atClose)
			assert.Equal(t, tt.wantDelay, c.computeDelay)
		})
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{in: "0", want: 0},
		{in: "1048576", want: 1 << 20},
		{in: "512B", want: 512},
		{in: "256KiB", want: 256 << 10},
		{in: "1MiB", want: 1 << 20},
		{in: "1 MiB", want: 1 << 20},
		{in: "5GiB", want: 5 << 30},
		{in: "1.5MiB", wantErr: true},
		{in: "-1", wantErr: true},
		{in: "+1", wantErr: true},
		{in: "MiB", wantErr: true},
		{in: "1MB", wantErr: true},
		{in: "1mib", wantErr: true},
		{in: "99999999999GiB", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			n, err := parseSize(tt.in)
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, n)
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
			var paced []workload
			for _, w := range workloads(mode) {
				if w.paced {
					paced = append(paced, w)
				}
			}
			require.Len(t, paced, 1)
			assert.Equal(t, results.WorkloadPacedFiles, paced[0].name)
			assert.Equal(t, 1, paced[0].tasks, "one task writes the paced files")
			assert.Equal(t, 8, paced[0].files)
			assert.Equal(t, defaultComputeDelay, paced[0].computeDelay)
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

func TestDeferredPutsAndUploadAtCloseOf(t *testing.T) {
	def, err := parseFlags(nil)
	require.NoError(t, err)
	both, err := parseFlags([]string{"--deferred-puts", "0,1MiB", "--upload-at-close", "off,on"})
	require.NoError(t, err)
	for _, w := range workloads(results.ModeQuick) {
		assert.Equal(t, []int64{0}, deferredPutsOf(def, w), "by default %s defers nothing", w.name)
		assert.Equal(t, []bool{false}, uploadAtCloseOf(def, w), "by default %s uploads at task commit", w.name)
		switch w.name {
		case results.WorkloadSmallFiles, results.WorkloadPartitioned:
			assert.Equal(t, []int64{0, 1 << 20}, deferredPutsOf(both, w), w.name)
		default:
			assert.Equal(t, []int64{0}, deferredPutsOf(both, w), "%s defers nothing", w.name)
		}
		if w.name == results.WorkloadPacedFiles {
			assert.Equal(t, []bool{false, true}, uploadAtCloseOf(both, w))
			assert.True(t, measuredWith(w, results.StrategyDirect), "direct is the reference")
			assert.False(t, measuredWith(w, results.StrategyRename))
		} else {
			assert.Equal(t, []bool{false}, uploadAtCloseOf(both, w), "%s uploads at task commit", w.name)
			assert.True(t, measuredWith(w, results.StrategyRename), w.name)
		}
		assert.True(t, measuredWith(w, results.StrategyStaging), w.name)
	}
}

func TestWriteTasks(t *testing.T) {
	const delay = 40 * time.Millisecond
	tests := []struct {
		name     string
		w        workload
		tasks    int
		minTotal time.Duration
	}{
		{name: "paced: a delay after each file but the last", w: workload{files: 3, bytesPerFile: 10 << 10, paced: true, computeDelay: delay}, tasks: 1, minTotal: 2 * delay},
		{name: "paced tasks wait in parallel", w: workload{files: 4, bytesPerFile: 10 << 10, paced: true, computeDelay: delay}, tasks: 2, minTotal: delay},
		{name: "unpaced: no delay", w: workload{files: 3, bytesPerFile: 10 << 10, computeDelay: time.Hour}, tasks: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			start := time.Now()
			var mu sync.Mutex
			var created []time.Time
			last, err := writeTasks(context.Background(), tt.w, taskFiles(tt.w, tt.tasks), func(i, n int) (io.WriteCloser, string, error) {
				mu.Lock()
				created = append(created, time.Now())
				mu.Unlock()
				f, err := createLocal(filepath.Join(dir, fmt.Sprint(i)), tt.w.relPath(n))
				return f, tt.w.relPath(n), err
			})
			require.NoError(t, err)
			assert.Len(t, regularFiles(t, dir), tt.w.files)
			assert.False(t, last.Before(start), "the last close is after the start")
			assert.False(t, time.Now().Before(last))
			assert.GreaterOrEqual(t, last.Sub(start), tt.minTotal)
			if !tt.w.paced {
				assert.Less(t, last.Sub(start), time.Minute, "no compute delay")
			}
			for _, c := range created {
				assert.False(t, c.After(last), "every file is created before the last close: the task commit follows it")
			}
		})
	}
}

func TestWriteTasksStopsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	w := workload{files: 2, bytesPerFile: 1, paced: true, computeDelay: time.Hour}
	dir := t.TempDir()
	_, err := writeTasks(ctx, w, taskFiles(w, 1), func(i, n int) (io.WriteCloser, string, error) {
		cancel() // during the first file: the compute delay after it ends at once
		f, err := createLocal(dir, w.relPath(n))
		return f, w.relPath(n), err
	})
	assert.ErrorIs(t, err, context.Canceled)
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
	labels := []struct {
		p    params
		want string
	}{
		{params{strategy: results.StrategyStaging, home: results.StagingHomeFS, checksums: results.ChecksumsVerified}, "staging"},
		{params{strategy: results.StrategyStaging, home: results.StagingHomeFS, checksums: results.ChecksumsVerified, deferredPutThreshold: 1 << 20}, "staging-deferred"},
		{params{strategy: results.StrategyStaging, home: results.StagingHomeStore, checksums: results.ChecksumsOff, deferredPutThreshold: 1}, "staging-store-nochecksum-deferred"},
		{params{strategy: results.StrategyStaging, home: results.StagingHomeFS, checksums: results.ChecksumsVerified, uploadAtClose: true}, "staging-atclose"},
		{params{strategy: results.StrategyStaging, home: results.StagingHomeFS, deferredPutThreshold: 1 << 20, uploadAtClose: true}, "staging-deferred-atclose"},
		{params{strategy: results.StrategyStaging, home: results.StagingHomeFS, telemetry: results.TelemetryNone}, "staging"},
		{params{strategy: results.StrategyStaging, home: results.StagingHomeFS, telemetry: results.TelemetryNoop}, "staging-otel-noop"},
		{params{strategy: results.StrategyStaging, home: results.StagingHomeFS, telemetry: results.TelemetrySDK}, "staging-otel-sdk"},
	}
	for _, l := range labels {
		assert.Equal(t, l.want, l.p.label())
	}
	dest := "s3bench/x/002-small-files-staging-store"
	assert.False(t, strings.HasPrefix(stagingPrefix(dest)+"/", dest+"/"), "the staging dir lies beside the destination, not in it")
}
