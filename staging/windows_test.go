package staging_test

// Regression tests of the failure windows a review of the protocol found:
// each test drives the public API into one window and checks the
// invariants of DESIGN.md 4.2 afterwards.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
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

// newMinIOEnv is newEnv on a memstore with MinIO's semantics: conditions
// are evaluated before the upload is looked up, and uploads are listed by
// exact key only.
func newMinIOEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	srv := memstore.NewServer()
	require.NoError(t, srv.CreateBucket(bucket))
	e.mem = srv.Store(bucket, memstore.MinIOOptions())
	e.fault = faultstore.New(e.mem)
	return e
}

// crashAfter makes the n-th call of op take effect in the store and then
// stops the process there: its answer is lost, cancel is called and no
// later call reaches the store.
func crashAfter(e *env, op faultstore.Op, n int, cancel context.CancelFunc) {
	var mu sync.Mutex
	crashed := false
	e.fault.Add(faultstore.Rule{Err: context.Canceled, Match: func(faultstore.Call) bool {
		mu.Lock()
		defer mu.Unlock()
		return crashed
	}})
	e.fault.Add(faultstore.Rule{Op: op, Drop: true, Times: 1,
		Match: func(c faultstore.Call) bool { return c.N == n },
		AfterDrop: func(faultstore.Call) {
			mu.Lock()
			crashed = true
			mu.Unlock()
			cancel()
		}})
}

// oldObjects writes the objects a replace job finds: at the root of the
// destination and in the partition p=0 the job writes.
func oldObjects(t *testing.T, e *env) map[string]string {
	old := map[string]string{e.dest + "/old.json": "old root", e.dest + "/p=0/old.json": "old partition"}
	for k, v := range old {
		e.put(t, k, v)
	}
	return old
}

// Window 1: once replace mode has begun deleting the old objects, a
// failure rolls forward: the new output stays, AbortJob refuses, and a
// later CommitJob finishes.
func TestReplacePastThePointOfNoReturnRollsForward(t *testing.T) {
	for _, mode := range []committer.Mode{committer.ModeDirectory, committer.ModePartitioned} {
		for _, fault := range []string{"success-denied", "crash-after-delete"} {
			t.Run(string(mode)+"/"+fault, func(t *testing.T) {
				e := newEnv(t)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				oldObjects(t, e)
				c := e.committer(t, func(o *staging.Options) { o.Mode = mode; o.Conflict = committer.ConflictReplace })
				j, err := c.SetupJob(context.Background(), "job")
				require.NoError(t, err)
				want := sixFiles(t, e, j)
				switch fault {
				case "success-denied":
					e.fault.Add(faultstore.Fail(faultstore.OpPutObject, multipart.ErrAccessDenied))
				case "crash-after-delete":
					crashAfter(e, faultstore.OpDeleteObjects, 1, cancel)
				}
				err = j.CommitJob(ctx)
				require.Error(t, err)
				assert.NotContains(t, err.Error(), "reverted")
				assert.Contains(t, err.Error(), "CommitJob")
				e.fault.Clear()

				// The new files are visible: they are the only copy of
				// the destination's data now.
				got := e.objects(t, e.dest+"/")
				for k, v := range want {
					assert.Equal(t, v, got[k], "new object %s kept", k)
				}
				// AbortJob refuses: a rollback would lose old and new data.
				j2, err := e.committer(t, nil).OpenJob(context.Background(), "job")
				require.NoError(t, err)
				err = j2.AbortJob(context.Background())
				require.ErrorIs(t, err, staging.ErrPastPointOfNoReturn)
				assert.Contains(t, err.Error(), "CommitJob")
				for k, v := range want {
					assert.Equal(t, v, e.objects(t, e.dest+"/")[k], "AbortJob left %s", k)
				}

				require.NoError(t, j2.CommitJob(context.Background()))
				var others map[string]string
				if mode == committer.ModePartitioned {
					// The job writes p=0 and p=1, not the root partition.
					others = map[string]string{e.dest + "/old.json": "old root"}
				}
				e.requireCommitted(t, "job", want, others)
				e.requireDirsGone(t, "job")
			})
		}
	}
}

// Window 2: in fail mode a completion whose answer was lost and which is
// sent again gets 412 from a store that checks If-None-Match before it
// looks the upload up (MinIO); the job still commits, whether the repeat
// comes from the retry inside the commit or from a resume after a crash
// right after the completion.
func TestFailModeLostCompletionAnswerOnMinIOOrder(t *testing.T) {
	for _, how := range []string{"retry", "resume"} {
		t.Run(how, func(t *testing.T) {
			e := newMinIOEnv(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			j, err := e.committer(t, nil).SetupJob(context.Background(), "job")
			require.NoError(t, err)
			want := sixFiles(t, e, j)
			if how == "retry" {
				e.fault.Add(faultstore.DropNth(faultstore.OpCompleteUpload, 2))
				require.NoError(t, j.CommitJob(ctx))
			} else {
				crashAfter(e, faultstore.OpCompleteUpload, 2, cancel)
				require.Error(t, j.CommitJob(ctx))
				e.fault.Clear()
				j2, err := e.committer(t, nil).OpenJob(context.Background(), "job")
				require.NoError(t, err)
				require.NoError(t, j2.CommitJob(context.Background()))
			}
			e.requireCommitted(t, "job", want, nil)
		})
	}
}

// appendBytes appends raw bytes to a file, as a torn write leaves them.
func appendBytes(t *testing.T, path, data string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.WriteString(data)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// Window 3: a record torn by a machine crash is cut back on open, so that
// the next append does not make it a damaged middle line: the job can
// still be resumed, committed or aborted.
func TestTornJournalIsRepaired(t *testing.T) {
	for _, then := range []string{"commit", "abort"} {
		t.Run(then, func(t *testing.T) {
			e := newEnv(t)
			j, err := e.committer(t, func(o *staging.Options) { o.CommitConcurrency = 1 }).SetupJob(context.Background(), "job")
			require.NoError(t, err)
			want := sixFiles(t, e, j)
			journal := filepath.Join(e.stagingDir, "job", "commit", "journal")
			for run := 1; run <= 2; run++ {
				ctx, cancel := context.WithCancel(context.Background())
				crashAfter(e, faultstore.OpCompleteUpload, 2*run, cancel)
				jr, err := e.committer(t, func(o *staging.Options) { o.CommitConcurrency = 1 }).OpenJob(context.Background(), "job")
				require.NoError(t, err)
				require.Error(t, jr.CommitJob(ctx), "run %d is interrupted", run)
				cancel()
				e.fault.Clear()
				appendBytes(t, journal, `{"op":"completed","key":"torn`)
			}
			j3, err := e.committer(t, nil).OpenJob(context.Background(), "job")
			require.NoError(t, err)
			if then == "commit" {
				require.NoError(t, j3.CommitJob(context.Background()))
				e.requireCommitted(t, "job", want, nil)
			} else {
				require.NoError(t, j3.AbortJob(context.Background()))
				e.requireNothing(t, "job", keysOf(want)...)
				assert.Empty(t, e.objects(t, e.dest+"/"))
			}
			e.requireDirsGone(t, "job")
		})
	}
}

// Window 3, intents: an attempt whose intents file was torn and which is
// run again appends after the torn bytes; the job still aborts cleanly.
func TestTornIntentsAreRepaired(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	j, err := e.committer(t, nil).SetupJob(ctx, "job")
	require.NoError(t, err)
	a := writeTask(t, j, "t", 0, map[string]string{"a.json": "a"})
	e.fault.Add(faultstore.Fail(faultstore.OpUploadPart, multipart.ErrAccessDenied))
	require.Error(t, a.CommitTask(ctx))
	e.fault.Clear()
	intents := filepath.Join(e.stagingDir, "job", "attempts", "t_0.intents")
	appendBytes(t, intents, `{"key":"warehouse/ev`)
	again, err := e.committer(t, nil).OpenJob(ctx, "job")
	require.NoError(t, err)
	a2 := writeTask(t, again, "t", 0, map[string]string{"a.json": "a"})
	e.fault.Add(faultstore.Fail(faultstore.OpUploadPart, multipart.ErrAccessDenied))
	require.Error(t, a2.CommitTask(ctx))
	e.fault.Clear()
	require.NoError(t, again.AbortJob(ctx))
	e.requireNothing(t, "job", e.key("job", "a.json"))
	e.requireDirsGone(t, "job")
}

// Window 4: AbortTask keeps what AbortJob needs to find an upload whose
// creation answer was lost.
func TestAbortTaskKeepsTheRecordOfALostCreation(t *testing.T) {
	for _, then := range []string{"abort-job", "commit-job"} {
		t.Run(then, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			j, err := e.committer(t, nil).SetupJob(ctx, "job")
			require.NoError(t, err)
			a := writeTask(t, j, "t", 0, map[string]string{"a.json": "a"})
			e.fault.Add(faultstore.DropNth(faultstore.OpCreateUpload, 1))
			e.fault.Add(faultstore.Fail(faultstore.OpUploadPart, multipart.ErrAccessDenied))
			require.Error(t, a.CommitTask(ctx))
			e.fault.Clear()
			require.NotEmpty(t, e.uploadsLeft(t), "the lost creation left an upload")
			require.NoError(t, a.AbortTask(ctx))
			if then == "abort-job" {
				require.NoError(t, j.AbortJob(ctx))
				e.requireNothing(t, "job", e.key("job", "a.json"))
			} else {
				b := writeTask(t, j, "u", 0, map[string]string{"b.json": "b"})
				require.NoError(t, b.CommitTask(ctx))
				require.NoError(t, j.CommitJob(ctx))
				e.requireCommitted(t, "job", map[string]string{e.key("job", "b.json"): "b"}, nil)
			}
			assert.Empty(t, e.uploadsLeft(t))
			e.requireDirsGone(t, "job")
		})
	}
}

// Window 5: a job whose _SUCCESS naming it reached the store is committed,
// even if the journal never recorded it: AbortJob finishes its cleanup and
// keeps its output.
func TestAbortJobDoesNotRollBackACommittedJob(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	j, err := e.committer(t, nil).SetupJob(context.Background(), "job")
	require.NoError(t, err)
	want := sixFiles(t, e, j)
	crashAfter(e, faultstore.OpPutObject, 1, cancel)
	require.Error(t, j.CommitJob(ctx))
	e.fault.Clear()

	j2, err := e.committer(t, nil).OpenJob(context.Background(), "job")
	require.NoError(t, err)
	err = j2.AbortJob(context.Background())
	require.ErrorIs(t, err, committer.ErrJobFinished)
	assert.Contains(t, err.Error(), "committed")
	e.requireCommitted(t, "job", want, nil)
	e.requireDirsGone(t, "job")
}

// Window 6: when the cleanup after a commit cannot abort a losing
// attempt's uploads, AbortJob on the committed job redoes the cleanup
// before it removes the last record of those uploads.
func TestAbortJobRedoesAFailedCleanup(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	j, err := e.committer(t, nil).SetupJob(ctx, "job")
	require.NoError(t, err)
	// The winner runs in another process (its store calls do not pass
	// through the faults) and publishes while the loser uploads; the loser
	// then cannot abort its uploads.
	other, err := staging.New(e.mem, e.options(nil))
	require.NoError(t, err)
	oj, err := other.OpenJob(ctx, "job")
	require.NoError(t, err)
	winner := writeTask(t, oj, "t", 1, map[string]string{"a.json": "winner"})
	loser := writeTask(t, j, "t", 2, map[string]string{"a.json": "loser", "b.json": "loser"})
	var (
		winnerErr error
		once      sync.Once
	)
	e.fault.Add(faultstore.Rule{Op: faultstore.OpUploadPart, Match: func(faultstore.Call) bool {
		once.Do(func() { winnerErr = winner.CommitTask(ctx) })
		return false
	}})
	e.fault.Add(faultstore.Fail(faultstore.OpAbortUpload, multipart.ErrAccessDenied))
	require.ErrorIs(t, loser.CommitTask(ctx), committer.ErrTaskCommitted)
	require.NoError(t, winnerErr)
	require.NoError(t, j.CommitJob(ctx), "the job commits; its cleanup fails")
	require.NotEmpty(t, e.uploadsLeft(t), "the loser's uploads are left")
	e.fault.Clear()

	j2, err := e.committer(t, nil).OpenJob(ctx, "job")
	require.NoError(t, err)
	require.ErrorIs(t, j2.AbortJob(ctx), committer.ErrJobFinished)
	e.requireCommitted(t, "job", map[string]string{e.key("job", "a.json"): "winner"}, nil)
	assert.Empty(t, e.uploadsLeft(t), "AbortJob finished the cleanup")
	e.requireDirsGone(t, "job")
}

// Window 7: a process dies while it waits for a CreateMultipartUpload
// answer (the upload was created, nothing recorded it); the restarted
// process sets up the same attempt again and wins. The first run's upload
// is swept.
func TestRerunAttemptDoesNotLeak(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	j, err := e.committer(t, nil).SetupJob(ctx, "job")
	require.NoError(t, err)
	a := writeTask(t, j, "t", 0, map[string]string{"a.json": "a"})
	intents := filepath.Join(e.stagingDir, "job", "attempts", "t_0.intents")
	e.fault.Add(faultstore.DropNth(faultstore.OpCreateUpload, 1))
	e.fault.Add(faultstore.Fail(faultstore.OpCreateUpload, multipart.ErrAccessDenied))
	require.Error(t, a.CommitTask(ctx))
	e.fault.Clear()
	// The process died waiting: only the planned key was recorded.
	data, err := os.ReadFile(intents)
	require.NoError(t, err)
	first, _, _ := strings.Cut(string(data), "\n")
	require.NoError(t, os.WriteFile(intents, []byte(first+"\n"), 0o644))
	require.Len(t, e.uploadsLeft(t), 1, "the first run's upload")

	restarted, err := e.committer(t, nil).OpenJob(ctx, "job")
	require.NoError(t, err)
	a2 := writeTask(t, restarted, "t", 0, map[string]string{"a.json": "a"})
	require.NoError(t, a2.CommitTask(ctx))
	require.NoError(t, restarted.CommitJob(ctx))
	e.requireCommitted(t, "job", map[string]string{e.key("job", "a.json"): "a"}, nil)
	assert.Empty(t, e.uploadsLeft(t))
}

// manyFiles commits one task of n tiny files and returns them.
func manyFiles(t *testing.T, e *env, j committer.Job, n int) map[string]string {
	t.Helper()
	files := map[string]string{}
	want := map[string]string{}
	for i := range n {
		rel := fmt.Sprintf("part-%05d.json", i)
		files[rel] = rel
		want[e.key(j.ID(), rel)] = rel
	}
	a := writeTask(t, j, "t", 0, files)
	require.NoError(t, a.CommitTask(context.Background()))
	return want
}

// Window 8: each job's _SUCCESS sidecar has a name of its own, so that a
// job whose manifest cannot be written does not overwrite the previous
// job's sidecar, and its revert deletes its own.
func TestSuccessSidecarOfAFailedJobIsRemoved(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.committer(t, func(o *staging.Options) { o.Conflict = committer.ConflictAppend })
	first, err := c.SetupJob(ctx, "first")
	require.NoError(t, err)
	firstFiles := manyFiles(t, e, first, success.MaxInlineFiles+1)
	require.NoError(t, first.CommitJob(ctx))

	second, err := c.SetupJob(ctx, "second")
	require.NoError(t, err)
	manyFiles(t, e, second, success.MaxInlineFiles+1)
	// The sidecar is written, the manifest is refused.
	e.fault.Add(faultstore.Rule{Op: faultstore.OpPutObject, Err: multipart.ErrAccessDenied, Match: func(c faultstore.Call) bool {
		return strings.HasSuffix(c.Key, "/"+staging.SuccessMarker)
	}})
	require.ErrorIs(t, second.CommitJob(ctx), multipart.ErrAccessDenied)
	e.fault.Clear()

	d, err := success.Read(ctx, e.mem, e.dest+"/"+staging.SuccessMarker)
	require.NoError(t, err, "the first job's manifest still reads")
	assert.Equal(t, "first", d.JobID)
	assert.Len(t, d.Files, len(firstFiles))
	var hidden []string
	for k := range e.objects(t, e.dest+"/") {
		if strings.HasPrefix(k, e.dest+"/_") {
			hidden = append(hidden, k)
		}
	}
	assert.Len(t, hidden, 2, "the first job's manifest and sidecar, nothing of the second: %v", hidden)
}

// Window 9: a task commit that overlaps the job commit is refused, and its
// uploads do not leak.
func TestTaskCommitDuringJobCommitIsRefused(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	j, err := e.committer(t, nil).SetupJob(ctx, "job")
	require.NoError(t, err)
	want := sixFiles(t, e, j)

	// Another process's task, ready to commit while the job commits.
	late, err := staging.New(e.mem, e.options(nil))
	require.NoError(t, err)
	lj, err := late.OpenJob(ctx, "job")
	require.NoError(t, err)
	la := writeTask(t, lj, "late", 0, map[string]string{"late.json": "late"})
	var (
		lateErr error
		once    sync.Once
	)
	e.fault.Add(faultstore.Rule{Op: faultstore.OpCompleteUpload, Match: func(faultstore.Call) bool {
		once.Do(func() { lateErr = la.CommitTask(ctx) })
		return false
	}})
	require.NoError(t, j.CommitJob(ctx))
	require.Error(t, lateErr, "the late task commit must not report success")
	require.ErrorIs(t, lateErr, committer.ErrJobCommitting)
	e.requireCommitted(t, "job", want, nil)
	assert.Empty(t, e.uploadsLeft(t, e.key("job", "late.json")))
}

// Window 10: intents are validated like pendingsets: a key outside the
// destination is never touched.
func TestAbortJobIgnoresIntentsOutsideTheDestination(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	j, err := e.committer(t, nil).SetupJob(ctx, "job")
	require.NoError(t, err)
	victim := "finance/ledger-job.csv"
	id, err := e.mem.CreateUpload(ctx, victim, multipart.CreateOptions{})
	require.NoError(t, err)
	planted := fmt.Sprintf("{\"key\":%q,\"uploadId\":%q}\n{\"key\":%q,\"uncertain\":true}\n", victim, id, victim)
	require.NoError(t, os.WriteFile(filepath.Join(e.stagingDir, "job", "attempts", "t_0.intents"), []byte(planted), 0o644))
	err = j.AbortJob(ctx)
	if err != nil {
		assert.Contains(t, err.Error(), victim, "the problem names the bad key")
	}
	require.NoError(t, e.mem.AbortUpload(ctx, victim, id), "the upload outside the destination is untouched")
}

// Window 11: replace mode without unique filenames is refused: its
// completions would overwrite old objects of the same name, which a
// revert could not bring back.
func TestReplaceWithoutUniqueFilenamesIsRefused(t *testing.T) {
	e := newEnv(t)
	_, err := staging.New(e.mem, e.options(func(o *staging.Options) {
		o.Conflict = committer.ConflictReplace
		o.DisableUniqueFilenames = true
	}))
	require.ErrorIs(t, err, staging.ErrInvalidOptions)
	assert.Contains(t, err.Error(), "DisableUniqueFilenames")
}

// Window 13: a huge record in the staging dir is refused with a clear
// error instead of being read into memory.
func TestHugeRecordsAreRefused(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	j, err := e.committer(t, nil).SetupJob(ctx, "job")
	require.NoError(t, err)
	sixFiles(t, e, j)
	huge := staging.PendingSetPath(e.stagingDir, "job", "huge")
	f, err := os.Create(huge)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(2<<30)) // sparse: costs no disk
	require.NoError(t, f.Close())
	err = j.CommitJob(ctx)
	require.ErrorIs(t, err, staging.ErrRecordTooLarge)
	assert.Contains(t, err.Error(), "huge.pendingset")
	require.NoError(t, os.Remove(huge))
	require.NoError(t, j.CommitJob(ctx))
}

// Window 12: a driver told which tasks to expect refuses to commit, before
// it changes anything, while one of them has not committed (failed, or its
// pendingset is not yet visible on a shared filesystem), and when a task
// it does not expect has.
func TestCommitJobExpectsTasks(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.committer(t, nil)
	j, err := c.SetupJob(ctx, "job")
	require.NoError(t, err)
	a := writeTask(t, j, "task-0", 0, map[string]string{"a.json": "a"})
	require.NoError(t, a.CommitTask(ctx))

	for _, opts := range []staging.CommitOptions{
		{ExpectedTasks: []string{"task-0", "task-1"}},
		{ExpectedTaskCount: 2},
	} {
		_, err = c.CommitJob(ctx, "job", opts)
		require.ErrorIs(t, err, staging.ErrMissingTasks, "%+v", opts)
		assert.NoDirExists(t, filepath.Join(e.stagingDir, "job", "commit"), "no commit began")
	}
	_, err = c.CommitJob(ctx, "job", staging.CommitOptions{ExpectedTasks: []string{"task-1"}})
	require.ErrorIs(t, err, staging.ErrMissingTasks)
	assert.Contains(t, err.Error(), "task-1")
	_, err = c.CommitJob(ctx, "job", staging.CommitOptions{ExpectedTaskCount: 2, ExpectedTasks: []string{"x"}})
	require.ErrorIs(t, err, staging.ErrInvalidOptions)

	// The missing task can still commit; then the job commits.
	b := writeTask(t, j, "task-1", 0, map[string]string{"b.json": "b"})
	require.NoError(t, b.CommitTask(ctx))
	_, err = c.CommitJob(ctx, "job", staging.CommitOptions{ExpectedTasks: []string{"task-0"}})
	require.ErrorIs(t, err, staging.ErrUnexpectedTasks)
	assert.Contains(t, err.Error(), "task-1")
	_, err = c.CommitJob(ctx, "job", staging.CommitOptions{ExpectedTaskCount: 1})
	require.ErrorIs(t, err, staging.ErrUnexpectedTasks)

	_, err = c.CommitJob(ctx, "job", staging.CommitOptions{ExpectedTasks: []string{"task-1", "task-0"}})
	require.NoError(t, err)
	e.requireCommitted(t, "job", map[string]string{e.key("job", "a.json"): "a", e.key("job", "b.json"): "b"}, nil)
}

// Window 14: a file whose name holds a control character cannot become an
// object key that every listing returns intact: the task commit refuses it
// and names it, before any upload.
func TestControlCharactersInFileNamesAreRefused(t *testing.T) {
	for _, name := range []string{"a\nb.json", "a\rb.json", "esc\x1b[2J.json", "dir\x07/x.json"} {
		t.Run(fmt.Sprintf("%q", name), func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			j, err := e.committer(t, nil).SetupJob(ctx, "job")
			require.NoError(t, err)
			a, err := j.SetupTask(ctx, "t", 0)
			require.NoError(t, err)
			_, err = a.Create(name)
			require.ErrorIs(t, err, committer.ErrInvalidPath)
			p := filepath.Join(a.Dir(), filepath.FromSlash(name))
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
			require.NoError(t, os.WriteFile(p, []byte("x"), 0o644))
			err = a.CommitTask(ctx)
			require.ErrorIs(t, err, committer.ErrInvalidPath)
			assert.Contains(t, err.Error(), "control character")
			assert.Zero(t, e.fault.Calls(faultstore.OpCreateUpload))
		})
	}
}

// versitygw answers 200 to the completion of an upload it does not know
// whenever an object exists at the key. Without unique filenames that
// object may be another writer's: the commit must not count it as its own.
func TestCompletionOfAVanishedUploadOverAnotherObject(t *testing.T) {
	e := newEnv(t)
	srv := memstore.NewServer()
	require.NoError(t, srv.CreateBucket(bucket))
	e.mem = srv.Store(bucket, memstore.VersityGWOptions())
	e.fault = faultstore.New(e.mem)
	ctx := context.Background()
	c := e.committer(t, func(o *staging.Options) { o.Conflict = committer.ConflictAppend; o.DisableUniqueFilenames = true })
	j, err := c.SetupJob(ctx, "job")
	require.NoError(t, err)
	a := writeTask(t, j, "t", 0, map[string]string{"a.json": "ours"})
	require.NoError(t, a.CommitTask(ctx))
	key := e.dest + "/a.json"
	var ids []string
	for up, err := range e.mem.ListUploads(ctx, key) {
		require.NoError(t, err)
		ids = append(ids, up.UploadID)
	}
	require.Len(t, ids, 1)
	require.NoError(t, e.mem.AbortUpload(ctx, key, ids[0]), "the upload vanishes (expired, or aborted by an operator)")
	e.put(t, key, "another writer's")

	err = j.CommitJob(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not the upload's")
	assert.Equal(t, map[string]string{key: "another writer's"}, e.objects(t, e.dest+"/"), "no _SUCCESS claims the other writer's object")
}

// Found by the chaos run: a job commit that failed because the store did
// not answer (network errors until the retries ran out) reverted at once,
// during the outage; the revert failed half-way, and a later CommitJob
// resumed and wrote a _SUCCESS listing objects the revert had deleted.
// Now a store that does not answer undoes nothing: the state is kept and
// a later CommitJob commits.
func TestCommitJobKeepsItsStateWhenTheStoreDoesNotAnswer(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	j, err := e.committer(t, func(o *staging.Options) { o.CommitConcurrency = 1 }).SetupJob(ctx, "job")
	require.NoError(t, err)
	want := sixFiles(t, e, j)
	// The network goes down after two completions, for every call.
	var n int
	var mu sync.Mutex
	e.fault.Add(faultstore.Rule{Err: multipart.ErrNetwork, Match: func(c faultstore.Call) bool {
		mu.Lock()
		defer mu.Unlock()
		if c.Op == faultstore.OpCompleteUpload {
			n++
		}
		return n > 2
	}})
	err = j.CommitJob(ctx)
	require.ErrorIs(t, err, multipart.ErrNetwork)
	assert.Contains(t, err.Error(), "nothing is undone")
	e.fault.Clear()
	assert.Len(t, e.objects(t, e.dest+"/"), 2, "the two completed objects stay")

	j2, err := e.committer(t, nil).OpenJob(ctx, "job")
	require.NoError(t, err)
	require.NoError(t, j2.CommitJob(ctx))
	e.requireCommitted(t, "job", want, nil)
}

// Found by the chaos run: a revert that deleted some of the completed
// objects and then failed left a job that a later CommitJob resumed,
// writing a _SUCCESS that listed the deleted objects. A rollback is now
// journaled before it begins: CommitJob refuses such a job and AbortJob
// finishes the rollback. A resumed commit also checks that every object
// its journal says it completed is still there.
func TestHalfRevertedJobIsNotResumed(t *testing.T) {
	for _, how := range []string{"revert", "deleted-behind-its-back"} {
		t.Run(how, func(t *testing.T) {
			e := newEnv(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			j, err := e.committer(t, func(o *staging.Options) { o.CommitConcurrency = 1 }).SetupJob(context.Background(), "job")
			require.NoError(t, err)
			want := sixFiles(t, e, j)
			if how == "revert" {
				// A permanent error at the fourth completion; the revert
				// deletes the three completed objects, then fails.
				e.fault.Add(faultstore.FailNth(faultstore.OpCompleteUpload, 4, multipart.ErrAccessDenied))
				e.fault.Add(faultstore.Rule{Op: faultstore.OpAbortUpload, Err: multipart.ErrAccessDenied})
				err = j.CommitJob(context.Background())
				require.ErrorIs(t, err, multipart.ErrAccessDenied)
				assert.Contains(t, err.Error(), "reverting failed too")
			} else {
				crash(e, 4, cancel)
				require.Error(t, j.CommitJob(ctx))
				for k := range e.objects(t, e.dest+"/") {
					require.NoError(t, e.mem.DeleteObjects(context.Background(), []string{k}))
				}
			}
			e.fault.Clear()

			j2, err := e.committer(t, nil).OpenJob(context.Background(), "job")
			require.NoError(t, err)
			err = j2.CommitJob(context.Background())
			require.Error(t, err, "a job whose completed objects are gone is not committed")
			_, serr := e.mem.HeadObject(context.Background(), e.dest+"/"+staging.SuccessMarker)
			require.ErrorIs(t, serr, multipart.ErrNotFound, "no _SUCCESS lists the missing objects")
			j3, err := e.committer(t, nil).OpenJob(context.Background(), "job")
			if err == nil {
				require.NoError(t, j3.AbortJob(context.Background()))
			}
			e.requireNothing(t, "job", keysOf(want)...)
			assert.Empty(t, e.objects(t, e.dest+"/"))
			e.requireDirsGone(t, "job")
		})
	}
}

// abortTrustingStore answers AbortUpload of an upload it does not know
// with success, as MinIO's AbortMultipartUpload does when the backend's
// ListParts check before it lost its answer.
type abortTrustingStore struct{ multipart.Store }

func (s abortTrustingStore) AbortUpload(ctx context.Context, key, uploadID string) error {
	if err := s.Store.AbortUpload(ctx, key, uploadID); !errors.Is(err, multipart.ErrNoSuchUpload) {
		return err
	}
	return nil
}

// Found by the chaos run (seed 4242, job 246 on MinIO): a completion that
// took effect while every answer to it was lost is not journaled; the
// rollback aborted its upload, MinIO answered 204 to the abort of an
// upload it no longer knew, and the object of a "rolled back" job stayed
// visible. Once a commit had begun, a rollback now checks the object after
// a successful abort too.
func TestRollbackChecksTheObjectOfASuccessfulAbort(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	j, err := e.committer(t, func(o *staging.Options) { o.CommitConcurrency = 1 }).SetupJob(ctx, "job")
	require.NoError(t, err)
	want := sixFiles(t, e, j)
	// The second completion takes effect, but neither its answer nor any
	// answer to its retries comes back.
	var lost string
	e.fault.Add(faultstore.Rule{Op: faultstore.OpCompleteUpload, Drop: true, Match: func(c faultstore.Call) bool {
		if c.N == 2 {
			lost = c.Key
		}
		return c.N == 2
	}})
	e.fault.Add(faultstore.Rule{Op: faultstore.OpCompleteUpload, Err: multipart.ErrNetwork, Match: func(c faultstore.Call) bool {
		return c.N > 2 && c.Key == lost
	}})
	err = j.CommitJob(ctx)
	require.ErrorIs(t, err, multipart.ErrNetwork)
	e.fault.Clear()
	require.Contains(t, e.objects(t, e.dest+"/"), lost, "the lost completion took effect")

	c, err := staging.New(abortTrustingStore{e.fault}, e.options(nil))
	require.NoError(t, err)
	j2, err := c.OpenJob(ctx, "job")
	require.NoError(t, err)
	require.NoError(t, j2.AbortJob(ctx))
	e.requireRolledBack(t, "job", want)
}
