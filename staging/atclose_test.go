package staging_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/staging"
)

func uploadAtClose(o *staging.Options) { o.UploadAtClose = true }

// writeClosed creates rel in the attempt, writes body and closes it.
func writeClosed(t *testing.T, a committer.TaskAttempt, rel, body string) {
	t.Helper()
	f, err := a.Create(rel)
	require.NoError(t, err)
	_, err = f.WriteString(body)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// waitUploads waits until the store holds an upload at each key: the
// uploads started at Close, in the background.
func (e *env) waitUploads(t *testing.T, keys ...string) {
	t.Helper()
	require.Eventually(t, func() bool {
		for _, k := range keys {
			found := false
			for up, err := range e.mem.ListUploads(context.Background(), k) {
				if err == nil && up.Key == k {
					found = true
				}
			}
			if !found {
				return false
			}
		}
		return true
	}, 10*time.Second, time.Millisecond, "uploads started at Close")
}

// TestUploadsStartAtClose: with UploadAtClose each file's upload starts
// when the task closes it; the task commit keeps them, creates no upload
// of its own and the job's output is the same as without.
func TestUploadsStartAtClose(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	c := e.committer(t, uploadAtClose)
	j, err := c.SetupJob(ctx, "")
	require.NoError(t, err)
	a, err := j.SetupTask(ctx, "t0", 0)
	require.NoError(t, err)
	files := map[string]string{"a.csv": "a,b\n", "p=1/b.json": `{"b":1}`, "empty.txt": ""}
	for rel, body := range files {
		writeClosed(t, a, rel, body)
	}
	writeClosed(t, a, "_temporary.txt", "not committed") // hidden: never uploaded
	want := map[string]string{}
	var keys []string
	for rel, body := range files {
		want[e.key(j.ID(), rel)] = body
		keys = append(keys, e.key(j.ID(), rel))
	}
	e.waitUploads(t, keys...)

	creates := e.fault.Calls(faultstore.OpCreateUpload)
	assert.Equal(t, len(files), creates, "one upload per committed file, none for the hidden one")
	require.NoError(t, a.CommitTask(ctx))
	assert.Equal(t, creates, e.fault.Calls(faultstore.OpCreateUpload), "the task commit kept the uploads started at Close")
	require.NoError(t, j.CommitJob(ctx))
	e.requireCommitted(t, j.ID(), want, nil)
	e.requireDirsGone(t, j.ID())
}

// TestUploadsAtCloseOfChangedFiles: files changed, rewritten, removed or
// written through Dir after their Close are committed as they are at
// task commit; the uploads started at Close for what they were are
// aborted.
func TestUploadsAtCloseOfChangedFiles(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	c := e.committer(t, uploadAtClose)
	j, err := c.SetupJob(ctx, "")
	require.NoError(t, err)
	a, err := j.SetupTask(ctx, "t0", 0)
	require.NoError(t, err)
	writeClosed(t, a, "kept.txt", "kept\n")
	writeClosed(t, a, "appended.txt", "first\n")
	writeClosed(t, a, "twice.txt", "first version\n")
	writeClosed(t, a, "removed.txt", "gone soon\n")
	writeClosed(t, a, "twice.txt", "second version\n")
	e.waitUploads(t, e.key(j.ID(), "kept.txt"), e.key(j.ID(), "appended.txt"), e.key(j.ID(), "removed.txt"))

	f, err := os.OpenFile(filepath.Join(a.Dir(), "appended.txt"), os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.WriteString("second\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.NoError(t, os.Remove(filepath.Join(a.Dir(), "removed.txt")))
	require.NoError(t, os.WriteFile(filepath.Join(a.Dir(), "viadir.txt"), []byte("through Dir\n"), 0o600))

	require.NoError(t, a.CommitTask(ctx))
	require.NoError(t, j.CommitJob(ctx))
	e.requireCommitted(t, j.ID(), map[string]string{
		e.key(j.ID(), "kept.txt"):     "kept\n",
		e.key(j.ID(), "appended.txt"): "first\nsecond\n",
		e.key(j.ID(), "twice.txt"):    "second version\n",
		e.key(j.ID(), "viadir.txt"):   "through Dir\n",
	}, nil)
	assert.Empty(t, e.uploadsLeft(t, e.key(j.ID(), "removed.txt")), "the upload of the removed file is aborted")
	e.requireDirsGone(t, j.ID())
}

// TestUploadsAtCloseEndWithTheAttempt: AbortTask, a failed task commit and
// a losing attempt abort the uploads their files started at Close; a
// process that stops without either leaves them to AbortJob, which finds
// them in the attempt's intents, in both homes.
func TestUploadsAtCloseEndWithTheAttempt(t *testing.T) {
	files := map[string]string{"a.csv": strings.Repeat("a", 100), "b.csv": strings.Repeat("b", 200)}
	for _, home := range []string{"dir", "store"} {
		t.Run(home, func(t *testing.T) {
			opts := func(o *staging.Options) {
				o.UploadAtClose = true
				if home == "store" {
					o.StagingDir = "s3://" + bucket + "/staging"
				}
			}
			start := func(t *testing.T, e *env, task string, attempt int) (committer.Job, committer.TaskAttempt, []string) {
				c := e.committer(t, opts)
				j, err := c.SetupJob(context.Background(), "job-"+task)
				if err != nil { // set up by an earlier call of the test
					j, err = c.OpenJob(context.Background(), "job-"+task)
				}
				require.NoError(t, err)
				a, err := j.SetupTask(context.Background(), task, attempt)
				require.NoError(t, err)
				var keys []string
				for rel, body := range files {
					writeClosed(t, a, rel, body)
					keys = append(keys, e.key(j.ID(), rel))
				}
				e.waitUploads(t, keys...)
				return j, a, keys
			}
			ctx := context.Background()
			t.Run("abort task", func(t *testing.T) {
				e := newEnv(t)
				_, a, keys := start(t, e, "t0", 0)
				require.NoError(t, a.AbortTask(ctx))
				assert.Empty(t, e.uploadsLeft(t, keys...))
			})
			t.Run("failed task commit", func(t *testing.T) {
				e := newEnv(t)
				_, a, keys := start(t, e, "t0", 0)
				// A file written through Dir: its upload at task commit is refused.
				require.NoError(t, os.WriteFile(filepath.Join(a.Dir(), "c.csv"), []byte("c"), 0o600))
				e.fault.Add(faultstore.Fail(faultstore.OpCreateUpload, multipart.ErrAccessDenied))
				err := a.CommitTask(ctx)
				require.Error(t, err)
				require.ErrorIs(t, err, multipart.ErrAccessDenied)
				e.fault.Clear()
				assert.Empty(t, e.uploadsLeft(t, keys...), "the uploads started at Close are aborted")
				assert.FileExists(t, filepath.Join(a.Dir(), "a.csv"), "the local files are kept for a retry")
			})
			t.Run("losing attempt", func(t *testing.T) {
				e := newEnv(t)
				j, first, _ := start(t, e, "t0", 0)
				_, second, _ := start(t, e, "t0", 1)
				require.NoError(t, first.CommitTask(ctx))
				require.ErrorIs(t, second.CommitTask(ctx), committer.ErrTaskCommitted)
				require.NoError(t, j.CommitJob(ctx))
				want := map[string]string{}
				for rel, body := range files {
					want[e.key(j.ID(), rel)] = body
				}
				e.requireCommitted(t, j.ID(), want, nil)
			})
			t.Run("process gone", func(t *testing.T) {
				e := newEnv(t)
				j, _, keys := start(t, e, "t0", 0)
				// The task's process is gone: another one aborts the job.
				other, err := e.committer(t, opts).OpenJob(ctx, j.ID())
				require.NoError(t, err)
				require.NoError(t, other.AbortJob(ctx))
				assert.Empty(t, e.uploadsLeft(t, keys...))
				assert.Empty(t, e.objects(t, e.dest+"/"))
			})
		})
	}
}

// TestCommittedFilesAreRemovedInTheBackground: CommitTask does not wait
// for its local files to be unlinked: the attempt's directory is gone
// when it returns (renamed into a hidden trash directory of the job),
// and the trash goes in the background or, at the latest, with the job.
func TestCommittedFilesAreRemovedInTheBackground(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	c := e.committer(t, nil)
	j, err := c.SetupJob(ctx, "")
	require.NoError(t, err)
	a := writeTask(t, j, "t0", 0, map[string]string{"a.csv": "a", "p=1/b.csv": "b"})
	require.NoError(t, a.CommitTask(ctx))
	assert.NoDirExists(t, a.Dir(), "the attempt's directory is gone when CommitTask returns")
	require.Eventually(t, func() bool {
		entries, err := os.ReadDir(filepath.Join(e.bufferDir, j.ID()))
		return err == nil && len(entries) == 0
	}, 10*time.Second, time.Millisecond, "the trash is removed in the background")
	require.NoError(t, j.CommitJob(ctx))
	e.requireDirsGone(t, j.ID())
}
