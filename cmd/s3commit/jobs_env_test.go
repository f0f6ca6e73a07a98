package main

import (
	"context"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/internal/testserver"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/staging"
)

// jobsEnv is a bucket on a real server, a store on it, and a staging dir in
// which tests set up jobs with package staging, as a driver and its tasks
// would, before running the binary on them.
type jobsEnv struct {
	srv        *testserver.Server
	bucket     string
	store      multipart.Store
	stagingDir string
	bufferDir  string
	dest       string
}

func newJobsEnv(t *testing.T, srv *testserver.Server) *jobsEnv {
	t.Helper()
	bucket := srv.CreateBucket(t)
	st := srv.Store(t, bucket)
	return &jobsEnv{srv: srv, bucket: bucket, store: st, stagingDir: t.TempDir(), bufferDir: t.TempDir(), dest: "tables/events"}
}

// run runs the binary against the env's server.
func (e *jobsEnv) run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runS3commit(t, e.srv, args...)
}

// committer returns a staging committer on st (the env's store if nil).
func (e *jobsEnv) committer(t *testing.T, st multipart.Store) *staging.Committer {
	t.Helper()
	if st == nil {
		st = e.store
	}
	c, err := staging.New(st, staging.Options{
		StagingDir:  e.stagingDir,
		BufferDir:   e.bufferDir,
		Destination: e.dest,
		Retry:       multipart.RetryPolicy{MaxAttempts: 2, InitialBackoff: 1, MaxBackoff: 1},
	})
	require.NoError(t, err)
	return c
}

// setupJob sets up a job and commits its tasks (task ID → relative path →
// content), as a driver that then died would leave it. It returns the job
// and its files by destination key.
func (e *jobsEnv) setupJob(t *testing.T, jobID string, tasks map[string]map[string]string) (committer.Job, map[string]string) {
	t.Helper()
	ctx := context.Background()
	j, err := e.committer(t, nil).SetupJob(ctx, jobID)
	require.NoError(t, err)
	want := make(map[string]string)
	for taskID, files := range tasks {
		a := writeAttempt(t, j, taskID, files)
		require.NoError(t, a.CommitTask(ctx))
		for rel, body := range files {
			want[committer.DestinationKey(e.dest, rel, jobID, true)] = body
		}
	}
	return j, want
}

// killTask runs a task attempt whose commit dies after its first part
// upload, its aborts failing too, as in a killed process: its uploads stay
// in the store, recorded only in its intents. It returns the keys it
// planned.
func (e *jobsEnv) killTask(t *testing.T, jobID, taskID string, files map[string]string) []string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fs := faultstore.New(e.store, faultstore.Kill(faultstore.OpUploadPart, 2, cancel)...)
	j, err := e.committer(t, fs).OpenJob(ctx, jobID)
	require.NoError(t, err)
	a := writeAttempt(t, j, taskID, files)
	require.Error(t, a.CommitTask(ctx), "the killed task commit")
	var keys []string
	for rel := range files {
		keys = append(keys, committer.DestinationKey(e.dest, rel, jobID, true))
	}
	sort.Strings(keys)
	return keys
}

// writeAttempt sets up attempt 0 of a task and writes its files.
func writeAttempt(t *testing.T, j committer.Job, taskID string, files map[string]string) committer.TaskAttempt {
	t.Helper()
	a, err := j.SetupTask(context.Background(), taskID, 0)
	require.NoError(t, err)
	for rel, body := range files {
		f, err := a.Create(rel)
		require.NoError(t, err)
		_, err = f.WriteString(body)
		require.NoError(t, err)
		require.NoError(t, f.Close())
	}
	return a
}

// uploadsAt lists the uploads at the given exact keys ("key uploadID").
func (e *jobsEnv) uploadsAt(t *testing.T, keys ...string) []string {
	t.Helper()
	var out []string
	for _, k := range keys {
		for up, err := range e.store.ListUploads(context.Background(), k) {
			require.NoError(t, err)
			if up.Key == k {
				out = append(out, up.Key+" "+up.UploadID)
			}
		}
	}
	return out
}

// objects returns the visible objects under the destination with their
// content; names starting with '_' (the _SUCCESS manifest) are left out.
func (e *jobsEnv) objects(t *testing.T) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := make(map[string]string)
	for obj, err := range e.store.ListObjects(ctx, e.dest+"/") {
		require.NoError(t, err)
		if strings.HasPrefix(obj.Key[strings.LastIndexByte(obj.Key, '/')+1:], "_") {
			continue
		}
		rc, _, err := e.store.GetObject(ctx, obj.Key)
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		out[obj.Key] = string(b)
	}
	return out
}

// keysOf returns the keys of m, sorted.
func keysOf(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}

// interruptCommit runs CommitJob of j through a store that dies at the
// second upload completion, as a driver killed in its job commit: the
// journal stays, one object may be complete.
func interruptCommit(t *testing.T, e *jobsEnv, j committer.Job) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	crashed := false
	fs := faultstore.New(e.store)
	fs.Add(faultstore.Rule{Err: context.Canceled, Match: func(faultstore.Call) bool {
		mu.Lock()
		defer mu.Unlock()
		return crashed
	}})
	fs.Add(faultstore.Rule{Op: faultstore.OpCompleteUpload, Err: context.Canceled, Match: func(c faultstore.Call) bool {
		if c.N < 2 {
			return false
		}
		mu.Lock()
		crashed = true
		mu.Unlock()
		cancel()
		return true
	}})
	crashed2, err := e.committer(t, fs).OpenJob(ctx, j.ID())
	require.NoError(t, err)
	require.Error(t, crashed2.CommitJob(ctx), "the interrupted job commit")
}

// countLines counts the lines of s.
func countLines(s string) int {
	return strings.Count(strings.TrimRight(s, "\n"), "\n") + 1
}
