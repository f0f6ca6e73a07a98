package staging_test

import (
	"context"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/multipart/memstore"
	"github.com/s3commit/s3commit/staging"
	"github.com/s3commit/s3commit/success"
)

const bucket = "lake"

// env is a memstore behind a faultstore, with staging and buffer dirs.
type env struct {
	mem        *memstore.Store
	fault      *faultstore.Store
	stagingDir string
	bufferDir  string
	dest       string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	mem := memstore.New(bucket)
	return &env{
		mem:        mem,
		fault:      faultstore.New(mem),
		stagingDir: t.TempDir(),
		bufferDir:  t.TempDir(),
		dest:       "warehouse/events",
	}
}

// options returns the options of a committer on the env, changed by mod.
func (e *env) options(mod func(*staging.Options)) staging.Options {
	o := staging.Options{
		StagingDir:  e.stagingDir,
		BufferDir:   e.bufferDir,
		Destination: e.dest,
		Retry:       multipart.RetryPolicy{MaxAttempts: 3, InitialBackoff: 1, MaxBackoff: 1},
	}
	if mod != nil {
		mod(&o)
	}
	return o
}

func (e *env) committer(t *testing.T, mod func(*staging.Options)) *staging.Committer {
	t.Helper()
	c, err := staging.New(e.fault, e.options(mod))
	require.NoError(t, err)
	return c
}

// put writes an object directly, as an earlier job or another writer would.
func (e *env) put(t *testing.T, key, body string) {
	t.Helper()
	_, err := e.mem.PutObject(context.Background(), key, strings.NewReader(body), int64(len(body)), multipart.PutOptions{})
	require.NoError(t, err)
}

// writeTask sets up an attempt and writes files (relative path → content).
func writeTask(t *testing.T, j committer.Job, taskID string, attempt int, files map[string]string) committer.TaskAttempt {
	t.Helper()
	a, err := j.SetupTask(context.Background(), taskID, attempt)
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

// objects returns every visible object under prefix with its content.
func (e *env) objects(t *testing.T, prefix string) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := make(map[string]string)
	for obj, err := range e.mem.ListObjects(ctx, prefix) {
		require.NoError(t, err)
		rc, _, err := e.mem.GetObject(ctx, obj.Key)
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		out[obj.Key] = string(b)
	}
	return out
}

// uploadsLeft lists the uncompleted uploads at the given exact keys (as a
// check must on MinIO) and in the whole bucket.
func (e *env) uploadsLeft(t *testing.T, keys ...string) []string {
	t.Helper()
	var left []string
	for _, k := range keys {
		for up, err := range e.mem.ListUploads(context.Background(), k) {
			require.NoError(t, err)
			if up.Key == k {
				left = append(left, up.Key+" "+up.UploadID)
			}
		}
	}
	for up, err := range e.mem.ListUploads(context.Background(), "") {
		require.NoError(t, err)
		left = append(left, "bucket: "+up.Key)
	}
	return left
}

// key is the destination key of rel for the job, with unique filenames.
func (e *env) key(jobID, rel string) string {
	return committer.DestinationKey(e.dest, rel, jobID, true)
}

// requireCommitted checks invariant 2: the destination holds exactly
// want (destination key → content) plus others (keys of other writers,
// content given), _SUCCESS is the job's and lists exactly want, and no
// upload remains.
func (e *env) requireCommitted(t *testing.T, jobID string, want, others map[string]string) {
	t.Helper()
	all := make(map[string]string)
	for k, v := range want {
		all[k] = v
	}
	for k, v := range others {
		all[k] = v
	}
	got := e.objects(t, e.dest+"/")
	for k := range got {
		if strings.HasPrefix(k, e.dest+"/"+staging.SuccessMarker) { // _SUCCESS and its sidecar
			delete(got, k)
		}
	}
	assert.Equal(t, all, got, "objects under the destination")
	keys := slices.Sorted(maps.Keys(want))
	assert.Empty(t, e.uploadsLeft(t, keys...), "uploads left")

	d, err := success.Read(context.Background(), e.mem, e.dest+"/"+staging.SuccessMarker)
	require.NoError(t, err)
	assert.Equal(t, jobID, d.JobID)
	assert.True(t, d.Success)
	var listed []string
	for _, f := range d.Files {
		listed = append(listed, f.Key)
		assert.Equal(t, int64(len(want[f.Key])), f.Size, f.Key)
		assert.NotEmpty(t, f.ETag, f.Key)
	}
	assert.ElementsMatch(t, keys, listed, "_SUCCESS lists exactly the job's files")
	if len(others) == 0 {
		require.NoError(t, success.Verify(context.Background(), e.mem, e.dest, d))
	}
	assert.Equal(t, int64(len(want)), d.Metrics["files"])
}

// requireNothing checks invariant 3 for a job: none of keys is visible, no
// upload remains, and no _SUCCESS of the job exists.
func (e *env) requireNothing(t *testing.T, jobID string, keys ...string) {
	t.Helper()
	got := e.objects(t, e.dest+"/")
	for _, k := range keys {
		assert.NotContains(t, got, k)
	}
	assert.Empty(t, e.uploadsLeft(t, keys...), "uploads left")
	if d, err := success.Read(context.Background(), e.mem, e.dest+"/"+staging.SuccessMarker); err == nil {
		assert.NotEqual(t, jobID, d.JobID, "_SUCCESS of the rolled-back job")
	}
}

// requireDirsGone checks that a job's staging and buffer dirs are removed.
func (e *env) requireDirsGone(t *testing.T, jobID string) {
	t.Helper()
	assert.NoDirExists(t, filepath.Join(e.stagingDir, jobID))
	assert.NoDirExists(t, filepath.Join(e.bufferDir, jobID))
}
