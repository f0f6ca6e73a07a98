package staging_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/internal/testserver"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/pendingset"
	"github.com/s3commit/s3commit/staging"
	"github.com/s3commit/s3commit/success"
)

// deferredFiles are a task's files for the deferred tests: two small ones
// (deferred at a threshold of 16 bytes), an empty one and a larger one.
var deferredFiles = map[string]string{
	"a.csv":      "1,2,3\n",
	"p=1/b.json": `{"b":1}`,
	"empty.txt":  "",
	"large.bin":  strings.Repeat("L", 100),
}

func deferUpTo16(o *staging.Options) { o.DeferredPutThreshold = 16 }

func wantDeferred(e *env, jobID string) map[string]string {
	want := map[string]string{}
	for rel, body := range deferredFiles {
		want[e.key(jobID, rel)] = body
	}
	return want
}

// TestDeferredFilesAreWrittenByTheJobCommit: a task commit uploads only
// the file above the threshold, records the others in a version 4
// pendingset and leaves them in the buffer dir; the job commit writes them
// with one PutObject each, and the job's output and _SUCCESS are the same
// as without deferring.
func TestDeferredFilesAreWrittenByTheJobCommit(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	c := e.committer(t, deferUpTo16)
	j, err := c.SetupJob(ctx, "")
	require.NoError(t, err)
	jobID := j.ID()
	a := writeTask(t, j, "t0", 0, deferredFiles)
	require.NoError(t, a.CommitTask(ctx))

	assert.Equal(t, 1, e.fault.Calls(faultstore.OpCreateUpload), "only the large file is uploaded")
	assert.Equal(t, 0, e.fault.Calls(faultstore.OpPutObject), "nothing is written before the job commit")
	attemptDir := filepath.Join(e.bufferDir, jobID, "t0_0")
	for rel, body := range deferredFiles {
		got, err := os.ReadFile(filepath.Join(attemptDir, filepath.FromSlash(rel)))
		if rel == "large.bin" {
			assert.ErrorIs(t, err, os.ErrNotExist, "the uploaded file is removed")
			continue
		}
		require.NoError(t, err, "the deferred file %s stays for the job commit", rel)
		assert.Equal(t, body, string(got))
	}
	data, err := os.ReadFile(filepath.Join(e.stagingDir, jobID, "tasks", "t0.pendingset"))
	require.NoError(t, err)
	ps, err := pendingset.DecodeSet(bytes.NewReader(data))
	require.NoError(t, err)
	assert.Equal(t, pendingset.SetVersionDeferred, ps.Version)
	require.Len(t, ps.Commits, 1)
	assert.Equal(t, e.key(jobID, "large.bin"), ps.Commits[0].Key)
	require.Len(t, ps.Deferred, 3)
	for _, d := range ps.Deferred {
		assert.True(t, strings.HasPrefix(d.Path, "t0_0/"), d.Path)
		assert.Equal(t, multipart.ChecksumCRC64NVME, d.Checksum.Algorithm)
	}

	rep, err := staging.InspectJob(ctx, nil, e.stagingDir, jobID)
	require.NoError(t, err)
	require.Len(t, rep.Tasks, 1)
	assert.Equal(t, 4, rep.Files)
	var deferred int
	for _, f := range rep.Tasks[0].Files {
		if f.Deferred != "" {
			deferred++
		}
	}
	assert.Equal(t, 3, deferred)

	require.NoError(t, j.CommitJob(ctx))
	assert.Equal(t, 3, e.fault.Calls(faultstore.OpPutObject)-1, "one PutObject per deferred file, and _SUCCESS")
	e.requireCommitted(t, jobID, wantDeferred(e, jobID), nil)
	d, err := success.Read(ctx, e.mem, e.dest+"/"+staging.SuccessMarker)
	require.NoError(t, err)
	assert.Equal(t, int64(3), d.Metrics["deferred_files"])
	assert.Equal(t, int64(len("1,2,3\n")+len(`{"b":1}`)), d.Metrics["deferred_bytes"])
	for _, f := range d.Files {
		assert.Equal(t, string(multipart.ChecksumCRC64NVME), f.ChecksumAlgorithm, f.Key)
	}
	e.requireDirsGone(t, jobID)
}

// TestDeferredFileCheckedBeforeAnyWrite: a deferred file that the driver
// does not find as recorded (missing: its buffer dir is not the tasks';
// changed since its task commit) stops the job commit before it writes
// anything, with an error naming the option; with the file back, the job
// commits.
func TestDeferredFileCheckedBeforeAnyWrite(t *testing.T) {
	tests := []struct {
		name   string
		spoil  func(t *testing.T, e *env, jobID string) (restore func())
		reason string
	}{
		{"driver with another buffer dir", func(t *testing.T, e *env, jobID string) func() {
			own := e.bufferDir
			e.bufferDir = t.TempDir()
			return func() { e.bufferDir = own }
		}, "cannot be opened"},
		{"file removed", func(t *testing.T, e *env, jobID string) func() {
			p := filepath.Join(e.bufferDir, jobID, "t0_0", "a.csv")
			require.NoError(t, os.Rename(p, p+".away"))
			return func() { require.NoError(t, os.Rename(p+".away", p)) }
		}, "cannot be opened"},
		{"file rewritten at the same size", func(t *testing.T, e *env, jobID string) func() {
			p := filepath.Join(e.bufferDir, jobID, "t0_0", "a.csv")
			require.NoError(t, os.WriteFile(p, []byte("9,9,9\n"), 0o600))
			return func() { require.NoError(t, os.WriteFile(p, []byte(deferredFiles["a.csv"]), 0o600)) }
		}, "has checksum"},
		{"file grown", func(t *testing.T, e *env, jobID string) func() {
			p := filepath.Join(e.bufferDir, jobID, "t0_0", "a.csv")
			require.NoError(t, os.WriteFile(p, []byte("1,2,3,4\n"), 0o600))
			return func() { require.NoError(t, os.WriteFile(p, []byte(deferredFiles["a.csv"]), 0o600)) }
		}, "is 8 bytes, but its task commit recorded 6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			c := e.committer(t, deferUpTo16)
			j, err := c.SetupJob(ctx, "")
			require.NoError(t, err)
			jobID := j.ID()
			require.NoError(t, writeTask(t, j, "t0", 0, deferredFiles).CommitTask(ctx))

			restore := tt.spoil(t, e, jobID)
			driver := e.committer(t, nil) // a driver needs no threshold to write deferred files
			puts, completes := e.fault.Calls(faultstore.OpPutObject), e.fault.Calls(faultstore.OpCompleteUpload)
			_, err = driver.CommitJob(ctx, jobID, staging.CommitOptions{})
			require.ErrorIs(t, err, staging.ErrDeferredFile)
			assert.Contains(t, err.Error(), tt.reason)
			assert.Contains(t, err.Error(), "DeferredPutThreshold")
			assert.Equal(t, puts, e.fault.Calls(faultstore.OpPutObject), "nothing written")
			assert.Equal(t, completes, e.fault.Calls(faultstore.OpCompleteUpload), "nothing completed")
			assert.Empty(t, e.objects(t, e.dest+"/"), "nothing visible (the task's upload stays pending)")

			restore()
			_, err = e.committer(t, nil).CommitJob(ctx, jobID, staging.CommitOptions{})
			require.NoError(t, err, "the job was left committable")
			e.requireCommitted(t, jobID, wantDeferred(e, jobID), nil)
			e.requireDirsGone(t, jobID)
		})
	}
}

// TestDeferredPutFaults: the job commit's PutObject of a deferred file
// fails: a lost answer is found to have taken effect (fail mode: the
// retry's 412 is the job's own object), a conflict reverts the job
// leaving the other writer's object, a permanent error reverts it, an
// abort after an interrupted commit deletes what it wrote.
func TestDeferredPutFaults(t *testing.T) {
	t.Run("lost answer", func(t *testing.T) {
		ctx := context.Background()
		e := newEnv(t)
		c := e.committer(t, deferUpTo16)
		jobID, j := setupDeferredJob(t, e, c)
		e.fault.Add(faultstore.DropNth(faultstore.OpPutObject, 1))
		require.NoError(t, j.CommitJob(ctx))
		e.requireCommitted(t, jobID, wantDeferred(e, jobID), nil)
	})
	t.Run("conflict", func(t *testing.T) {
		ctx := context.Background()
		e := newEnv(t)
		c := e.committer(t, deferUpTo16)
		jobID, j := setupDeferredJob(t, e, c)
		other := e.key(jobID, "p=1/b.json")
		e.put(t, other, "another writer")
		err := j.CommitJob(ctx)
		require.ErrorIs(t, err, committer.ErrDestinationExists)
		assert.Contains(t, err.Error(), "reverted")
		assert.Equal(t, map[string]string{other: "another writer"}, e.objects(t, e.dest+"/"), "only the other writer's object")
		e.requireDirsGone(t, jobID)
	})
	t.Run("permanent error", func(t *testing.T) {
		ctx := context.Background()
		e := newEnv(t)
		c := e.committer(t, deferUpTo16)
		jobID, j := setupDeferredJob(t, e, c)
		e.fault.Add(faultstore.FailNth(faultstore.OpPutObject, 2, multipart.ErrAccessDenied))
		err := j.CommitJob(ctx)
		require.ErrorIs(t, err, multipart.ErrAccessDenied)
		e.requireNothing(t, jobID, e.key(jobID, "a.csv"), e.key(jobID, "p=1/b.json"), e.key(jobID, "empty.txt"), e.key(jobID, "large.bin"))
		assert.Empty(t, e.objects(t, e.dest+"/"))
		e.requireDirsGone(t, jobID)
	})
	t.Run("abort after an interrupted commit", func(t *testing.T) {
		e := newEnv(t)
		c := e.committer(t, deferUpTo16)
		jobID, j := setupDeferredJob(t, e, c)
		ctx, cancel := context.WithCancel(context.Background())
		e.fault.Add(faultstore.Rule{Op: faultstore.OpPutObject, Match: func(c faultstore.Call) bool { return c.N == 2 },
			Drop: true, Times: 1, AfterDrop: func(faultstore.Call) { cancel() }})
		require.Error(t, j.CommitJob(ctx))
		assert.NotEmpty(t, e.objects(t, e.dest+"/"), "the interrupted commit wrote something")
		j2, err := e.committer(t, nil).OpenJob(context.Background(), jobID)
		require.NoError(t, err)
		require.NoError(t, j2.AbortJob(context.Background()))
		assert.Empty(t, e.objects(t, e.dest+"/"))
		assert.Empty(t, e.uploadsLeft(t, e.key(jobID, "large.bin")))
		e.requireDirsGone(t, jobID)
	})
}

func setupDeferredJob(t *testing.T, e *env, c *staging.Committer) (string, committer.Job) {
	t.Helper()
	ctx := context.Background()
	j, err := c.SetupJob(ctx, "")
	require.NoError(t, err)
	jobID := j.ID()
	require.NoError(t, writeTask(t, j, "t0", 0, deferredFiles).CommitTask(ctx))
	return jobID, j
}

// TestDeferredPendingSetCannotNameOtherFiles: a pendingset whose deferred
// file lies outside its task's attempt directories (another task's file,
// a path out of the job's buffer directory) is refused before the job
// reads anything.
func TestDeferredPendingSetCannotNameOtherFiles(t *testing.T) {
	tests := []struct{ name, path, reason string }{
		{"another task's file", "t1_0/a.csv", `directory of task "t1"`},
		{"out of the job", "../other-job/t0_0/a.csv", "clean path"},
		{"no attempt dir", "a.csv", "attempt's directory"},
		{"not an attempt", "t0/a.csv", "attempt's directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			c := e.committer(t, deferUpTo16)
			jobID, j := setupDeferredJob(t, e, c)
			p := filepath.Join(e.stagingDir, jobID, "tasks", "t0.pendingset")
			data, err := os.ReadFile(p)
			require.NoError(t, err)
			data = bytes.Replace(data, []byte(`"t0_0/a.csv"`), []byte(`"`+tt.path+`"`), 1)
			require.NoError(t, os.WriteFile(p, data, 0o600))
			err = j.CommitJob(ctx)
			require.ErrorIs(t, err, committer.ErrInvalidPendingSet)
			assert.Contains(t, err.Error(), tt.reason)
			assert.Equal(t, 0, e.fault.Calls(faultstore.OpPutObject))
			require.NoError(t, j.AbortJob(ctx))
			assert.Empty(t, e.objects(t, e.dest+"/"))
		})
	}
}

// TestDeferredFilesOnRealServers runs a job with deferred files on MinIO
// and versitygw in the fail conflict mode: the PutObjects carry the
// files' checksums and If-None-Match, and the store keeps the checksum.
func TestDeferredFilesOnRealServers(t *testing.T) {
	servers := map[string]func(t testing.TB) *testserver.Server{"minio": testserver.MinIO, "versitygw": testserver.VersityGW}
	for name, start := range servers {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			srv := start(t)
			st := srv.Store(t, srv.CreateBucket(t))
			dest := "deferred/" + name
			c, err := staging.New(st, staging.Options{StagingDir: t.TempDir(), BufferDir: t.TempDir(), Destination: dest, DeferredPutThreshold: 16})
			require.NoError(t, err)
			j, err := c.SetupJob(ctx, "")
			require.NoError(t, err)
			jobID := j.ID()
			require.NoError(t, writeTask(t, j, "t0", 0, deferredFiles).CommitTask(ctx))
			require.NoError(t, j.CommitJob(ctx))
			d, err := success.Read(ctx, st, dest+"/"+staging.SuccessMarker)
			require.NoError(t, err)
			rep, err := success.VerifyWith(ctx, st, dest, d, success.VerifyOptions{})
			require.NoError(t, err)
			assert.Equal(t, 4, rep.Files)
			for rel, body := range deferredFiles {
				key := committer.DestinationKey(dest, rel, jobID, true)
				info, err := st.HeadObject(ctx, key)
				require.NoError(t, err, key)
				assert.Equal(t, int64(len(body)), info.Size, key)
				assert.Equal(t, multipart.ChecksumCRC64NVME, info.Checksum.Algorithm, key)
			}
		})
	}
}

// changingStore rewrites a deferred file in the buffer dir (same size,
// other bytes) right before the job commit's PutObject of its key reads
// it: after the job commit checked it.
type changingStore struct {
	multipart.Store
	key, file string
}

func (s changingStore) PutObject(ctx context.Context, key string, body io.ReadSeeker, size int64, opts multipart.PutOptions) (string, error) {
	if key == s.key {
		if err := os.WriteFile(s.file, []byte("9,9,9\n"), 0o600); err != nil {
			return "", err
		}
	}
	return s.Store.PutObject(ctx, key, body, size, opts)
}

// TestDeferredFileChangedAfterTheCheck: a deferred file rewritten between
// the job commit's check and its PutObject is refused, whether the store
// checks the checksum (store-verified) or not (record-only, where the
// put's own pass over the bytes tells), and the job is reverted.
func TestDeferredFileChangedAfterTheCheck(t *testing.T) {
	for _, mode := range []multipart.ChecksumMode{multipart.ChecksumStoreVerified, multipart.ChecksumRecordOnly} {
		t.Run(mode.String(), func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			c := e.committer(t, deferUpTo16)
			j, err := c.SetupJob(ctx, "")
			require.NoError(t, err)
			require.NoError(t, writeTask(t, j, "t0", 0, deferredFiles).CommitTask(ctx))
			driver, err := staging.New(changingStore{Store: e.fault, key: e.key(j.ID(), "a.csv"),
				file: filepath.Join(e.bufferDir, j.ID(), "t0_0", "a.csv")}, e.options(func(o *staging.Options) { o.Checksums = mode }))
			require.NoError(t, err)
			_, err = driver.CommitJob(ctx, j.ID(), staging.CommitOptions{})
			require.Error(t, err)
			if mode == multipart.ChecksumRecordOnly {
				require.ErrorIs(t, err, staging.ErrFileChanged)
			} else {
				require.ErrorIs(t, err, multipart.ErrChecksumMismatch)
			}
			assert.Contains(t, err.Error(), "reverted")
			assert.Empty(t, e.objects(t, e.dest+"/"), "nothing of the job is visible")
			assert.Empty(t, e.uploadsLeft(t, e.key(j.ID(), "large.bin")))
		})
	}
}
