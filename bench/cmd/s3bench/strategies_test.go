package main

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/bench/internal/localminio"
	"github.com/s3commit/s3commit/bench/internal/results"
)

// TestStrategiesOnMinIO runs every strategy on small workloads against the
// pinned local MinIO and checks the measurements and the objects left.
func TestStrategiesOnMinIO(t *testing.T) {
	ctx := context.Background()
	tg := startLocalTarget(t)
	require.NotNil(t, tg.serverCPU, "the local MinIO's CPU time is measured")
	_, ok := tg.serverCPU()
	require.True(t, ok, "the local MinIO's CPU time is readable from /proc")
	ws := []workload{
		{name: results.WorkloadSmallFiles, files: 9, bytesPerFile: 100 << 10},
		{name: results.WorkloadPartitioned, files: 6, bytesPerFile: 10 << 10, partitions: 3},
		{name: results.WorkloadLargeFiles, files: 1, bytesPerFile: 12 << 20},
		{name: results.WorkloadPacedFiles, files: 3, bytesPerFile: 2 << 20, tasks: 1, paced: true, computeDelay: 100 * time.Millisecond},
	}
	// The large file takes the multipart copy path of rename.
	defer func(size, part int64) { maxCopyObjectSize, copyPartSize = size, part }(maxCopyObjectSize, copyPartSize)
	maxCopyObjectSize, copyPartSize = 10<<20, 5<<20
	var ps []params
	for _, w := range ws {
		for _, s := range strategyNames {
			if !measuredWith(w, s) {
				continue
			}
			p := params{strategy: s, workload: w, tasks: 2, uploadConcurrency: 4, commitConcurrency: 4, partSize: 5 << 20}
			if w.tasks > 0 {
				p.tasks = w.tasks
			}
			if s != results.StrategyStaging {
				ps = append(ps, p)
				continue
			}
			if w.paced {
				for _, a := range []bool{false, true} {
					p.home, p.checksums, p.uploadAtClose = results.StagingHomeFS, results.ChecksumsVerified, a
					ps = append(ps, p)
				}
				continue
			}
			for _, h := range stagingHomes {
				p.home, p.checksums = h, results.ChecksumsVerified
				ps = append(ps, p)
			}
			// The other checksum modes, with the fs home.
			for _, m := range []string{results.ChecksumsRecordOnly, results.ChecksumsOff} {
				p.home, p.checksums = results.StagingHomeFS, m
				ps = append(ps, p)
			}
			// Deferred PUTs, with each home, of every file but the large one.
			for _, h := range stagingHomes {
				p.home, p.checksums, p.deferredPutThreshold = h, results.ChecksumsVerified, 1<<20
				ps = append(ps, p)
			}
		}
	}
	for _, p := range ps {
		w, s := p.workload, p.strategy
		t.Run(w.name+"/"+p.label(), func(t *testing.T) {
			p.dest, p.work = fmt.Sprintf("test/%s-%s", w.name, p.label()), t.TempDir()
			res := measure(ctx, tg, p)
			require.Empty(t, res.Error)
			assert.Equal(t, p.home, res.Settings[results.SettingStagingHome])
			assert.Equal(t, p.checksums, res.Settings[results.SettingChecksums])
			deferred := s == results.StrategyStaging && w.bytesPerFile <= p.deferredPutThreshold
			if s == results.StrategyStaging {
				assert.Equal(t, fmt.Sprint(p.deferredPutThreshold), res.Settings[results.SettingDeferredPutThreshold])
				wantAtClose := results.UploadAtCloseOff
				if p.uploadAtClose {
					wantAtClose = results.UploadAtCloseOn
				}
				assert.Equal(t, wantAtClose, res.Settings[results.SettingUploadAtClose])
			} else {
				assert.NotContains(t, res.Settings, results.SettingDeferredPutThreshold)
				assert.NotContains(t, res.Settings, results.SettingUploadAtClose)
			}
			if w.paced {
				assert.Equal(t, "100ms", res.Settings[results.SettingComputeDelay])
				assert.Equal(t, "1", res.Settings[results.SettingTasks])
				require.Contains(t, res.Phases, results.PhaseCloseToCommitEnd)
				assert.GreaterOrEqual(t, res.Phases[results.PhaseCloseToCommitEnd], res.Phases[results.PhaseTaskCommit],
					"the task commit starts after the last close")
				assert.GreaterOrEqual(t, res.Phases[results.PhaseWrite], 0.2, "two compute delays of 100 ms")
			} else {
				assert.NotContains(t, res.Phases, results.PhaseCloseToCommitEnd)
				assert.NotContains(t, res.Settings, results.SettingComputeDelay)
			}
			phases := map[string]int64{}
			for _, m := range res.PhaseRequests {
				for op, n := range m {
					phases[op] += n
				}
			}
			assert.Equal(t, res.Requests, phases, "the phases' requests add up to the requests")
			if p.home == results.StagingHomeStore {
				// The records are objects, counted apart; the job's
				// removal leaves none.
				assert.NotEmpty(t, res.StagingDirRequests[results.PhaseTaskCommit])
				assert.NotEmpty(t, res.StagingDirRequests[results.PhaseJobCommit])
				assert.Positive(t, res.StagingDirRequests[results.PhaseTaskCommit]["PutObject"], "intents and pendingsets")
				assert.Empty(t, listKeys(t, tg, stagingPrefix(p.dest)), "records left in the staging dir")
			} else {
				assert.Nil(t, res.StagingDirRequests)
			}
			assert.Equal(t, w.totalBytes(), res.TotalBytes)
			for _, ph := range []string{results.PhaseWrite, results.PhaseTaskCommit, results.PhaseJobCommit, results.PhaseTotal} {
				assert.Contains(t, res.Phases, ph)
			}
			if deferred {
				assert.Zero(t, res.MiBPerSecond, "the task commit uploads nothing")
			} else {
				assert.Positive(t, res.MiBPerSecond)
			}
			assert.Positive(t, res.PeakHeapBytes)
			assert.NotEmpty(t, res.Requests)
			if s == results.StrategyRename && w.bytesPerFile > maxCopyObjectSize {
				assert.Equal(t, int64(3), res.Requests["UploadPartCopy"])
			}
			switch {
			case deferred:
				// One PutObject per file at job commit, nothing uploaded
				// at task commit.
				assert.Positive(t, res.CompletionsPerSecond)
				assert.Zero(t, res.Requests["CompleteMultipartUpload"])
				assert.Zero(t, res.PhaseRequests[results.PhaseTaskCommit]["UploadPart"])
				assert.GreaterOrEqual(t, res.PhaseRequests[results.PhaseJobCommit]["PutObject"], int64(w.files))
			case s == results.StrategyStaging:
				assert.Positive(t, res.CompletionsPerSecond)
				assert.Equal(t, int64(w.files), res.Requests["CompleteMultipartUpload"])
			}
			// Every strategy removed the local files it uploaded.
			assert.Empty(t, regularFiles(t, p.work), "local files left after the task commit")
			// The destination holds the files and _SUCCESS, nothing else.
			keys := listKeys(t, tg, p.dest)
			assert.Len(t, keys, w.files+1, "objects under %s: %v", p.dest, keys)
			if s == results.StrategyStaging {
				// The mode reached the library: only verified uploads
				// carry the store's full-object CRC64NVME.
				data := slices.IndexFunc(keys, func(k string) bool { return path.Base(k) != "_SUCCESS" })
				require.GreaterOrEqual(t, data, 0)
				head, err := tg.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(tg.bucket),
					Key: aws.String(keys[data]), ChecksumMode: types.ChecksumModeEnabled})
				require.NoError(t, err)
				if p.checksums == results.ChecksumsVerified {
					assert.NotEmpty(t, aws.ToString(head.ChecksumCRC64NVME), "the object's CRC64NVME")
					assert.Equal(t, types.ChecksumTypeFullObject, head.ChecksumType)
				} else {
					assert.Empty(t, aws.ToString(head.ChecksumCRC64NVME), "no checksum sent with %s", p.checksums)
				}
			}
			require.NoError(t, deletePrefix(ctx, tg, p.dest))
			assert.Empty(t, listKeys(t, tg, p.dest))
		})
	}
}

// TestTraceKeepsTheMedianRepetition measures the store home twice with
// requests traced and checks that the trace of the repetition kept is
// there, lists the records' requests as such, and is the only one.
func TestTraceKeepsTheMedianRepetition(t *testing.T) {
	ctx := context.Background()
	tg := startLocalTarget(t)
	out := t.TempDir()
	p := params{
		strategy: results.StrategyStaging, home: results.StagingHomeStore,
		workload: workload{name: results.WorkloadSmallFiles, files: 5, bytesPerFile: 10 << 10},
		tasks:    2, uploadConcurrency: 4, commitConcurrency: 4, partSize: 5 << 20,
		dest: "trace/001-small-files-staging-store", work: filepath.Join(t.TempDir(), "work"),
		traceDir: filepath.Join(out, "requests"),
	}
	res := measureGroup(ctx, tg, []params{p}, 2, false)
	require.Len(t, res, 1)
	require.NotNil(t, res[0])
	require.Empty(t, res[0].Error)
	require.NotEmpty(t, res[0].Trace)
	entries, err := os.ReadDir(p.traceDir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "only the kept repetition's trace stays")
	assert.Equal(t, path.Base(res[0].Trace), entries[0].Name())

	f, err := os.Open(filepath.Join(out, filepath.FromSlash(res[0].Trace)))
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	rows, err := csv.NewReader(zr).ReadAll()
	require.NoError(t, err)
	var total int64
	for _, n := range res[0].Requests {
		total += n
	}
	assert.Len(t, rows, int(total)+1, "a line per request, and the header")
	records := 0
	for _, row := range rows[1:] {
		if row[5] == "true" {
			records++
			assert.NotContains(t, row[6], "staging-dir", "keys in the staging dir are relative to it")
		}
	}
	var staged int64
	for _, m := range res[0].StagingDirRequests {
		for _, n := range m {
			staged += n
		}
	}
	assert.Equal(t, int(staged), records)
}

// startLocalTarget starts the pinned local MinIO as a run's target, stopped
// when the test ends. A missing MinIO fails the test with the way to
// install it.
func startLocalTarget(t *testing.T) *target {
	t.Helper()
	if testing.Short() {
		t.Skip("starts MinIO")
	}
	_, err := localminio.FindTool("minio")
	require.NoError(t, err, "the benchmark harness's tests need the pinned MinIO")
	tg, err := openTarget(context.Background(), &config{pathStyle: true})
	require.NoError(t, err)
	t.Cleanup(tg.stop)
	return tg
}

// regularFiles lists the regular files under dir.
func regularFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	}))
	return out
}

func listKeys(t *testing.T, tg *target, prefix string) []string {
	t.Helper()
	var keys []string
	out, err := tg.client.ListObjectsV2(context.Background(), listInput(tg, prefix))
	require.NoError(t, err)
	for _, o := range out.Contents {
		keys = append(keys, *o.Key)
	}
	return keys
}

func TestRunWritesResults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts MinIO")
	}
	_, err := localminio.FindTool("minio")
	require.NoError(t, err, "the benchmark harness's tests need the pinned MinIO")
	out := filepath.Join(t.TempDir(), "run")
	c, err := parseFlags([]string{"--out", out, "--workloads", results.WorkloadSmallFiles, "--strategies", "direct", "--sweep=false", "--repeat", "2"})
	require.NoError(t, err)
	require.NoError(t, run(context.Background(), c))
	r, err := results.Read(filepath.Join(out, results.FileName))
	require.NoError(t, err)
	require.Len(t, r.Results, 1)
	assert.Equal(t, results.StrategyDirect, r.Results[0].Strategy)
	assert.Empty(t, r.Results[0].Error)
	assert.Equal(t, "2", r.Results[0].Settings[results.SettingRepeats])
	assert.Equal(t, "local-minio", r.Target)
	assert.Positive(t, r.Machine.Cores)
	_, err = os.Stat(filepath.Join(out, "report.md"))
	assert.NoError(t, err)
}

// TestMeasureReclaimsDeletedSpace checks that the objects of a measurement
// are deleted after it and their space given back at once: MinIO's trash
// is empty, where MinIO alone would keep the bytes for minutes.
func TestMeasureReclaimsDeletedSpace(t *testing.T) {
	ctx := context.Background()
	tg := startLocalTarget(t)
	require.NotEmpty(t, tg.dataDir)
	trash := filepath.Join(tg.dataDir, localminio.Trash)
	for _, s := range strategyNames {
		t.Run(s, func(t *testing.T) {
			p := params{
				strategy: s, workload: workload{name: results.WorkloadSmallFiles, files: 6, bytesPerFile: 300 << 10},
				tasks: 2, uploadConcurrency: 4, commitConcurrency: 4, partSize: 5 << 20,
				dest: "reclaim/" + s, work: filepath.Join(t.TempDir(), "work"),
			}
			out := measureGroup(ctx, tg, []params{p}, 2, false)
			require.Len(t, out, 1)
			require.NotNil(t, out[0])
			require.Empty(t, out[0].Error)
			for i := 1; i <= 2; i++ {
				assert.Empty(t, listKeys(t, tg, fmt.Sprintf("%s-r%d", p.dest, i)), "repetition %d's objects are deleted", i)
			}
			entries, err := os.ReadDir(trash)
			require.NoError(t, err)
			assert.Empty(t, entries, "MinIO's trash after the measurement")
			_, err = os.Stat(p.work)
			assert.True(t, os.IsNotExist(err), "the local files are removed: %v", err)
		})
	}
}

// TestReclaimEndpoint checks that reclaim leaves a store it cannot see alone.
func TestReclaimEndpoint(t *testing.T) {
	assert.NoError(t, (&target{}).reclaim())
}
