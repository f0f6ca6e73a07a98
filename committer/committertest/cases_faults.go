package committertest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/faultstore"
)

func faultScenarios() []scenario {
	return []scenario{
		{name: "FailureAtNthCompletion", run: testFailureAtNthCompletion},
		{name: "KeepStateOnFailureThenResume", run: testKeepStateOnFailure},
		{name: "TransientFailuresRetried", run: testTransientFailuresRetried},
		{name: "InterruptedJobCommit", run: testInterruptedJobCommit},
		{name: "InterruptedTaskCommit", run: testInterruptedTaskCommit},
		{name: "InterruptedReplaceWhileDeleting", run: testInterruptedReplaceWhileDeleting},
		{name: "FailureWritingSuccessMarker", run: testFailureWritingSuccess},
		{name: "LostCompletionAnswer", run: testLostCompletionAnswer},
		{name: "LostSuccessAnswerThenAbort", run: testLostSuccessAnswerThenAbort},
	}
}

// failingCompletion is the completion (counting from 1) that fails or
// crashes in the fault scenarios; the jobs there complete six files.
const failingCompletion = 3

// sixFiles sets up two tasks that write three files each and commit, in
// partitions the scenarios' old data also uses.
func sixFiles(j *job) []*attempt {
	var attempts []*attempt
	for _, taskID := range []string{"task-0", "task-1"} {
		a := j.task(taskID, 0)
		a.write("root-"+taskID+".json", 50)
		a.writeFiles("p=1", 2)
		a.commit()
		attempts = append(attempts, a)
	}
	return attempts
}

// oldData writes the older objects a job in conflict mode cm finds: in a
// neighbouring destination (dest + "x") for every mode, and in its own
// destination, at the root and in a partition the job writes, for append
// and replace. It returns all of them, and those that remain after the
// job commits.
func (e *env) oldData(dest string, cm committer.ConflictMode) (old, after map[string][]byte) {
	neighbour := e.putOld(dest+"x", "root.json", "p=1/old.json")
	if cm == committer.ConflictFail {
		return neighbour, neighbour
	}
	inDest := e.putOld(dest, "root.json", "p=1/old.json")
	old = expect().with(neighbour, inDest).objects
	if cm == committer.ConflictReplace {
		return old, neighbour
	}
	return old, old
}

// testFailureAtNthCompletion: a permanent store error at one completion
// makes job commit fail and revert: nothing of the job stays visible, no
// upload remains, older data is intact, and AbortJob afterwards is a
// no-op.
func testFailureAtNthCompletion(t *testing.T, e *env) {
	for _, cm := range []committer.ConflictMode{committer.ConflictFail, committer.ConflictAppend, committer.ConflictReplace} {
		t.Run(string(cm), func(t *testing.T) {
			e := e.sub(t)
			dest := e.dest("out")
			old, _ := e.oldData(dest, cm)
			cfg := e.config(dest, cm)
			j := e.setupJob(cfg, "")
			sixFiles(j)

			cfg, fs := e.faulty(cfg, faultstore.FailNth(faultstore.OpCompleteUpload, failingCompletion, multipart.ErrAccessDenied))
			err := e.openJob(cfg, j.ID()).CommitJob(e.ctx)
			require.Error(t, err, "CommitJob with a permanent failure at completion %d", failingCompletion)
			require.ErrorIs(t, err, multipart.ErrAccessDenied, "the store's error is kept")
			require.GreaterOrEqual(t, fs.Calls(faultstore.OpCompleteUpload), failingCompletion)
			e.check(expect().with(old))

			require.NoError(t, j.AbortJob(e.ctx), "AbortJob after a reverted job commit")
			e.check(expect().with(old))
		})
	}
}

// testKeepStateOnFailure: with KeepStateOnFailure a failed job commit
// keeps its state, and a new committer resumes it to a complete commit.
func testKeepStateOnFailure(t *testing.T, e *env) {
	dest := e.dest("out")
	old, after := e.oldData(dest, committer.ConflictReplace)
	cfg := e.config(dest, committer.ConflictReplace)
	cfg.KeepStateOnFailure = true
	j := e.setupJob(cfg, "")
	attempts := sixFiles(j)

	faulty, _ := e.faulty(cfg, faultstore.FailNth(faultstore.OpCompleteUpload, failingCompletion, multipart.ErrAccessDenied))
	require.Error(t, e.openJob(faulty, j.ID()).CommitJob(e.ctx))
	e.requireAbsent(dest + "/" + successName)
	e.requirePresent(old)

	require.NoError(t, e.openJob(cfg, j.ID()).CommitJob(e.ctx), "CommitJob resuming a failed commit")
	e.check(expect().with(after).committed(j, attempts...))
}

// testTransientFailuresRetried: transient store errors during task and
// job commit are retried and the job commits.
func testTransientFailuresRetried(t *testing.T, e *env) {
	cfg, fs := e.faulty(e.config(e.dest("out"), committer.ConflictFail),
		faultstore.FailNth(faultstore.OpUploadPart, 2, multipart.ErrServer),
		faultstore.FailNth(faultstore.OpCreateUpload, 3, multipart.ErrThrottled),
		faultstore.FailNth(faultstore.OpCompleteUpload, 2, multipart.ErrServer),
		faultstore.FailNth(faultstore.OpCompleteUpload, 5, multipart.ErrThrottled),
	)
	j := e.setupJob(cfg, "")
	attempts := sixFiles(j)
	require.NoError(t, j.CommitJob(e.ctx))
	assert.Greater(t, fs.Calls(faultstore.OpCompleteUpload), 6, "failed completions were retried")
	e.check(expect().committed(j, attempts...))
}

// testInterruptedJobCommit: the driver dies at a completion in the middle
// of job commit (its context is cancelled and no call reaches the store
// any more, so nothing is cleaned up). A new committer instance then
// either resumes the commit or rolls it back.
func testInterruptedJobCommit(t *testing.T, e *env) {
	for _, cm := range []committer.ConflictMode{committer.ConflictFail, committer.ConflictReplace} {
		for _, then := range []string{"resume", "abort"} {
			t.Run(string(cm)+"-"+then, func(t *testing.T) {
				e := e.sub(t)
				dest := e.dest("out")
				old, after := e.oldData(dest, cm)
				cfg := e.config(dest, cm)
				j := e.setupJob(cfg, "")
				attempts := sixFiles(j)

				ctx, cancel := context.WithCancel(e.ctx)
				defer cancel()
				crashed, _ := e.faulty(cfg, crashAt(faultstore.OpCompleteUpload, failingCompletion, cancel)...)
				require.Error(t, e.openJob(crashed, j.ID()).CommitJob(ctx), "CommitJob interrupted")
				e.requireAbsent(dest + "/" + successName)
				e.requirePresent(old) // replace deletes old data only once every file is complete

				// A new process, with a store that works.
				if then == "resume" {
					require.NoError(t, e.openJob(cfg, j.ID()).CommitJob(e.ctx), "CommitJob resuming an interrupted commit")
					e.check(expect().with(after).committed(j, attempts...))
					return
				}
				require.NoError(t, e.openJob(cfg, j.ID()).AbortJob(e.ctx), "AbortJob after an interrupted commit")
				e.check(expect().with(old))
			})
		}
	}
}

// testInterruptedTaskCommit: a task attempt dies during its commit after
// creating uploads and before publishing its pendingset (its aborts fail,
// as in a killed process, so its uploads stay in the store). AbortJob then
// leaves no upload; or a new attempt of the task commits and job commit
// leaves none either.
func testInterruptedTaskCommit(t *testing.T, e *env) {
	for _, then := range []string{"abort-job", "retry-and-commit"} {
		t.Run(then, func(t *testing.T) {
			e := e.sub(t)
			cfg := e.config(e.dest("out"), committer.ConflictFail)
			j := e.setupJob(cfg, "")
			other := j.task("task-1", 0)
			other.writeFiles("", 2)
			other.commit()

			ctx, cancel := context.WithCancel(e.ctx)
			defer cancel()
			crashed, _ := e.faulty(cfg, crashAt(faultstore.OpUploadPart, 2, cancel)...)
			killed := e.openJob(crashed, j.ID()).task("task-0", 0)
			killed.writeFiles("", 3)
			require.Error(t, killed.CommitTask(ctx), "CommitTask interrupted")
			require.NotZero(t, e.uploadsOf(killed), "the killed attempt left uploads behind")
			e.checkObjects(expect())

			if then == "abort-job" {
				require.NoError(t, e.openJob(cfg, j.ID()).AbortJob(e.ctx))
				e.check(expect())
				return
			}
			retry := e.openJob(cfg, j.ID()).task("task-0", 1)
			retry.writeFiles("", 3) // the same names, so the same keys
			retry.commit()
			require.NoError(t, j.CommitJob(e.ctx))
			e.check(expect().committed(j, other, retry))
		})
	}
}

// testInterruptedReplaceWhileDeleting: in replace mode the driver dies
// when it starts deleting the old objects, after every new file is
// complete; a new committer instance resumes the commit to the end.
func testInterruptedReplaceWhileDeleting(t *testing.T, e *env) {
	dest := e.dest("out")
	_, after := e.oldData(dest, committer.ConflictReplace)
	cfg := e.config(dest, committer.ConflictReplace)
	j := e.setupJob(cfg, "")
	attempts := sixFiles(j)

	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	crashed, fs := e.faulty(cfg, crashAt(faultstore.OpDeleteObjects, 1, cancel)...)
	require.Error(t, e.openJob(crashed, j.ID()).CommitJob(ctx), "CommitJob interrupted")
	require.Equal(t, 1, fs.Calls(faultstore.OpDeleteObjects), "the commit reached the deletion of the old objects")
	e.requireAbsent(dest + "/" + successName)

	require.NoError(t, e.openJob(cfg, j.ID()).CommitJob(e.ctx), "CommitJob resuming an interrupted replace")
	e.check(expect().with(after).committed(j, attempts...))
}

// testFailureWritingSuccess: a permanent failure writing _SUCCESS, after
// every file is complete, fails job commit and reverts it in fail and
// append mode: nothing of the job stays visible and older data is intact.
// In replace mode the old objects are deleted by then: the commit is past
// its point of no return and rolls forward instead (testReplaceRollsForward).
func testFailureWritingSuccess(t *testing.T, e *env) {
	t.Run(string(committer.ConflictReplace), func(t *testing.T) { testReplaceRollsForward(t, e.sub(t)) })
	for _, cm := range []committer.ConflictMode{committer.ConflictFail, committer.ConflictAppend} {
		t.Run(string(cm), func(t *testing.T) {
			e := e.sub(t)
			dest := e.dest("out")
			old, _ := e.oldData(dest, cm)
			cfg := e.config(dest, cm)
			j := e.setupJob(cfg, "")
			sixFiles(j)

			cfg, fs := e.faulty(cfg, faultstore.Fail(faultstore.OpPutObject, multipart.ErrAccessDenied))
			err := e.openJob(cfg, j.ID()).CommitJob(e.ctx)
			require.ErrorIs(t, err, multipart.ErrAccessDenied, "CommitJob when _SUCCESS cannot be written")
			require.GreaterOrEqual(t, fs.Calls(faultstore.OpCompleteUpload), 6, "every file was completed first")
			e.check(expect().with(old))
		})
	}
}

// testReplaceRollsForward: in replace mode, once the old objects are
// deleted, a permanent failure writing _SUCCESS must not revert (that
// would leave the destination empty): the new objects stay, AbortJob
// refuses and leaves them, and a new committer finishes the commit.
func testReplaceRollsForward(t *testing.T, e *env) {
	dest := e.dest("out")
	_, after := e.oldData(dest, committer.ConflictReplace)
	cfg := e.config(dest, committer.ConflictReplace)
	j := e.setupJob(cfg, "")
	attempts := sixFiles(j)

	faulty, _ := e.faulty(cfg, faultstore.Fail(faultstore.OpPutObject, multipart.ErrAccessDenied))
	require.ErrorIs(t, e.openJob(faulty, j.ID()).CommitJob(e.ctx), multipart.ErrAccessDenied)
	e.requireAbsent(dest + "/" + successName)
	for _, a := range attempts {
		e.requirePresent(a.objects()) // the only copy of the destination's data now
	}

	require.Error(t, e.openJob(cfg, j.ID()).AbortJob(e.ctx), "AbortJob of a replace commit past its point of no return")
	for _, a := range attempts {
		e.requirePresent(a.objects())
	}
	require.NoError(t, e.openJob(cfg, j.ID()).CommitJob(e.ctx), "CommitJob finishing the replace")
	e.check(expect().with(after).committed(j, attempts...))
	e.requireStagingFree(j.ID())
}

// testLostCompletionAnswer: in fail mode (completions with If-None-Match)
// a completion takes effect but its answer is lost. Sent again, it fails
// (MinIO answers 412, checking the condition before the upload; others
// NoSuchUpload); the committer must find out from the store that the
// completion had taken effect, and commit. Once through the retry inside
// the commit, once through a resume after a crash right after the
// completion.
func testLostCompletionAnswer(t *testing.T, e *env) {
	for _, how := range []string{"retry", "resume"} {
		t.Run(how, func(t *testing.T) {
			e := e.sub(t)
			cfg := e.config(e.dest("out"), committer.ConflictFail)
			j := e.setupJob(cfg, "")
			attempts := sixFiles(j)
			if how == "retry" {
				faulty, fs := e.faulty(cfg, faultstore.DropNth(faultstore.OpCompleteUpload, failingCompletion))
				require.NoError(t, e.openJob(faulty, j.ID()).CommitJob(e.ctx), "CommitJob with a lost completion answer")
				assert.Greater(t, fs.Calls(faultstore.OpCompleteUpload), 6, "the completion was sent again")
			} else {
				ctx, cancel := context.WithCancel(e.ctx)
				defer cancel()
				crashed, _ := e.faulty(cfg, crashAfter(faultstore.OpCompleteUpload, failingCompletion, cancel)...)
				require.Error(t, e.openJob(crashed, j.ID()).CommitJob(ctx), "CommitJob killed right after a completion")
				require.NoError(t, e.openJob(cfg, j.ID()).CommitJob(e.ctx), "CommitJob resuming")
			}
			e.check(expect().committed(j, attempts...))
			e.requireStagingFree(j.ID())
		})
	}
}

// testLostSuccessAnswerThenAbort: the driver dies after _SUCCESS reached
// the store, before it learnt so. The job is committed: AbortJob keeps its
// output, cleans up and says the job is finished.
func testLostSuccessAnswerThenAbort(t *testing.T, e *env) {
	cfg := e.config(e.dest("out"), committer.ConflictFail)
	j := e.setupJob(cfg, "")
	attempts := sixFiles(j)
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	crashed, _ := e.faulty(cfg, crashAfter(faultstore.OpPutObject, 1, cancel)...)
	require.Error(t, e.openJob(crashed, j.ID()).CommitJob(ctx), "CommitJob killed while writing _SUCCESS")
	require.ErrorIs(t, e.openJob(cfg, j.ID()).AbortJob(e.ctx), committer.ErrJobFinished, "AbortJob of a committed job")
	e.check(expect().committed(j, attempts...))
	e.requireStagingFree(j.ID())
}
