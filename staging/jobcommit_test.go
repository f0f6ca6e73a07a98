package staging_test

import (
	"bytes"
	"context"

	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/pendingset"
	"github.com/s3commit/s3commit/staging"
)

// sixFiles sets up a job and commits three tasks of two files each; it
// returns the destination keys with their content.
func sixFiles(t *testing.T, e *env, j committer.Job) map[string]string {
	t.Helper()
	want := make(map[string]string)
	for task := range 3 {
		files := map[string]string{}
		for f := range 2 {
			rel := fmt.Sprintf("p=%d/part-%d-%d.json", f, task, f)
			files[rel] = fmt.Sprintf("task %d file %d", task, f)
			want[e.key(j.ID(), rel)] = files[rel]
		}
		a := writeTask(t, j, fmt.Sprintf("task-%d", task), 0, files)
		require.NoError(t, a.CommitTask(context.Background()))
	}
	return want
}

func allCalls(fs *faultstore.Store) int {
	n := 0
	for _, op := range []faultstore.Op{faultstore.OpCreateUpload, faultstore.OpUploadPart, faultstore.OpCompleteUpload,
		faultstore.OpAbortUpload, faultstore.OpListUploads, faultstore.OpListParts, faultstore.OpPutObject,
		faultstore.OpGetObject, faultstore.OpHeadObject, faultstore.OpListObjects, faultstore.OpDeleteObjects} {
		n += fs.Calls(op)
	}
	return n
}

func TestCommitJobRefusesBadPendingSets(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(e *env, set *pendingset.Set, raw []byte) (taskID string, data []byte)
		want   string
	}{
		{"corrupt", func(_ *env, _ *pendingset.Set, raw []byte) (string, []byte) {
			return "task-0", raw[:len(raw)/2]
		}, "task-0.pendingset"},
		{"other bucket", func(_ *env, set *pendingset.Set, _ []byte) (string, []byte) {
			set.Commits[0].Bucket, set.Commits[0].URI = "other", ""
			return "task-0", encode(t, set)
		}, `names bucket "other"`},
		{"outside the destination", func(e *env, set *pendingset.Set, _ []byte) (string, []byte) {
			set.Commits[0].Key, set.Commits[0].URI = e.dest+"x/part.json", ""
			return "task-0", encode(t, set)
		}, "not under the destination"},
		{"_SUCCESS", func(e *env, set *pendingset.Set, _ []byte) (string, []byte) {
			set.Commits[0].Key, set.Commits[0].URI = e.dest+"/"+staging.SuccessMarker, ""
			return "task-0", encode(t, set)
		}, "starts with '_' or '.'"},
		{"job ID not where a unique filename has it", func(e *env, set *pendingset.Set, _ []byte) (string, []byte) {
			set.Commits[0].Key, set.Commits[0].URI = e.dest+"/part-job-other.json", ""
			return "task-0", encode(t, set)
		}, "does not carry the job ID"},
		{"key twice", func(_ *env, _ *pendingset.Set, raw []byte) (string, []byte) {
			return "task-9", raw
		}, "two tasks wrote the same file"},
		{"another job", func(_ *env, set *pendingset.Set, _ []byte) (string, []byte) {
			set.JobID = "other-job"
			for i := range set.Commits {
				set.Commits[i].JobID = "other-job"
			}
			return "task-0", encode(t, set)
		}, `belongs to job "other-job"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			j, err := e.committer(t, nil).SetupJob(ctx, "job")
			require.NoError(t, err)
			want := sixFiles(t, e, j)
			path := staging.PendingSetPath(e.stagingDir, "job", "task-0")
			raw, err := os.ReadFile(path)
			require.NoError(t, err)
			set, err := pendingset.DecodeSet(bytes.NewReader(raw))
			require.NoError(t, err)
			task, data := tt.tamper(e, set, raw)
			require.NoError(t, os.WriteFile(staging.PendingSetPath(e.stagingDir, "job", task), data, 0o644))

			before := allCalls(e.fault)
			err = j.CommitJob(ctx)
			require.ErrorIs(t, err, committer.ErrInvalidPendingSet)
			assert.Contains(t, err.Error(), tt.want)
			assert.Equal(t, before, allCalls(e.fault), "no store call before the pendingsets are valid")

			require.NoError(t, j.AbortJob(ctx))
			keys := make([]string, 0, len(want))
			for k := range want {
				keys = append(keys, k)
			}
			e.requireNothing(t, "job", keys...)
			e.requireDirsGone(t, "job")
		})
	}
}

func encode(t *testing.T, set *pendingset.Set) []byte {
	var b bytes.Buffer
	require.NoError(t, set.Encode(&b))
	return b.Bytes()
}

func TestRevertAtNthCompletion(t *testing.T) {
	for _, cm := range []committer.ConflictMode{committer.ConflictFail, committer.ConflictAppend, committer.ConflictReplace} {
		for _, keep := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/keep=%v", cm, keep), func(t *testing.T) {
				e := newEnv(t)
				ctx := context.Background()
				old := map[string]string{}
				if cm != committer.ConflictFail {
					old[e.dest+"/old.json"] = "old"
					e.put(t, e.dest+"/old.json", "old")
				}
				c := e.committer(t, func(o *staging.Options) { o.Conflict = cm; o.KeepStateOnFailure = keep; o.CommitConcurrency = 2 })
				j, err := c.SetupJob(ctx, "job")
				require.NoError(t, err)
				want := sixFiles(t, e, j)
				e.fault.Add(faultstore.FailNth(faultstore.OpCompleteUpload, 4, multipart.ErrAccessDenied))
				err = j.CommitJob(ctx)
				require.ErrorIs(t, err, multipart.ErrAccessDenied)
				got := e.objects(t, e.dest+"/")
				assert.NotContains(t, got, e.dest+"/"+staging.SuccessMarker)
				for k, v := range old {
					assert.Equal(t, v, got[k], "old data intact")
				}
				if !keep {
					assert.Equal(t, old, got, "reverted")
					assert.Contains(t, err.Error(), "reverted")
					e.requireNothing(t, "job", keysOf(want)...)
					e.requireDirsGone(t, "job")
					require.NoError(t, j.AbortJob(ctx))
					return
				}
				assert.Contains(t, err.Error(), "KeepStateOnFailure")
				// Resume with a new committer: the job commits.
				e.fault.Clear()
				j2, err := e.committer(t, nil).OpenJob(ctx, "job")
				require.NoError(t, err)
				require.NoError(t, j2.CommitJob(ctx))
				if cm == committer.ConflictReplace {
					old = nil
				}
				e.requireCommitted(t, "job", want, old)
			})
		}
	}
}

func keysOf(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// crash cancels ctx at the n-th completion, as a driver killed then would
// stop: the completion under way finishes, nothing else reaches the store.
func crash(e *env, n int, cancel context.CancelFunc) {
	e.fault.Add(faultstore.Rule{Op: faultstore.OpCompleteUpload, Match: func(c faultstore.Call) bool {
		if c.N == n {
			cancel()
		}
		return false
	}})
}

func TestCrashThenResumeOrAbort(t *testing.T) {
	for _, cm := range []committer.ConflictMode{committer.ConflictFail, committer.ConflictReplace} {
		for _, then := range []string{"resume", "abort"} {
			t.Run(string(cm)+"/"+then, func(t *testing.T) {
				e := newEnv(t)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				old := map[string]string{}
				if cm == committer.ConflictReplace {
					old[e.dest+"/old.json"] = "old"
					e.put(t, e.dest+"/old.json", "old")
				}
				c := e.committer(t, func(o *staging.Options) { o.Conflict = cm; o.CommitConcurrency = 1 })
				j, err := c.SetupJob(context.Background(), "job")
				require.NoError(t, err)
				want := sixFiles(t, e, j)
				crash(e, 3, cancel)
				err = j.CommitJob(ctx)
				require.ErrorIs(t, err, context.Canceled)
				assert.Contains(t, err.Error(), "CommitJob resumes it")
				got := e.objects(t, e.dest+"/")
				assert.NotContains(t, got, e.dest+"/"+staging.SuccessMarker)
				assert.Len(t, got, len(old)+3, "three completions, old data intact")

				// A new process.
				e.fault.Clear()
				j2, err := e.committer(t, nil).OpenJob(context.Background(), "job")
				require.NoError(t, err)
				if then == "resume" {
					require.NoError(t, j2.CommitJob(context.Background()))
					if cm == committer.ConflictReplace {
						old = nil
					}
					e.requireCommitted(t, "job", want, old)
					e.requireDirsGone(t, "job")
					return
				}
				require.NoError(t, j2.AbortJob(context.Background()))
				assert.Equal(t, old, e.objects(t, e.dest+"/"))
				e.requireNothing(t, "job", keysOf(want)...)
				e.requireDirsGone(t, "job")
				require.NoError(t, j2.AbortJob(context.Background()), "AbortJob twice")
			})
		}
	}
}

func TestLostCompletionAnswerResumes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	j, err := e.committer(t, nil).SetupJob(ctx, "job")
	require.NoError(t, err)
	want := sixFiles(t, e, j)
	// The second completion takes effect but its answer is lost: the retry
	// gets NoSuchUpload and finds the object.
	e.fault.Add(faultstore.DropNth(faultstore.OpCompleteUpload, 2))
	require.NoError(t, j.CommitJob(ctx))
	e.requireCommitted(t, "job", want, nil)
}

func TestReplace(t *testing.T) {
	tests := []struct {
		mode committer.Mode
		old  []string // relative to the destination
		kept []string // old objects that stay
	}{
		{committer.ModeDirectory, []string{"a.json", "p=0/old.json", "p=9/deep/old.json", "_SUCCESS"}, nil},
		{committer.ModePartitioned, []string{"a.json", "p=0/old.json", "p=9/deep/old.json", "_SUCCESS"}, []string{"p=9/deep/old.json"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			e.put(t, e.dest+"x/neighbour.json", "n")
			for _, k := range tt.old {
				e.put(t, e.dest+"/"+k, "old")
			}
			c := e.committer(t, func(o *staging.Options) { o.Mode = tt.mode; o.Conflict = committer.ConflictReplace })
			j, err := c.SetupJob(ctx, "job")
			require.NoError(t, err)
			a := writeTask(t, j, "t", 0, map[string]string{"p=0/new.json": "new", "root.json": "root"})
			require.NoError(t, a.CommitTask(ctx))
			require.NoError(t, j.CommitJob(ctx))
			others := map[string]string{}
			for _, k := range tt.kept {
				others[e.dest+"/"+k] = "old"
			}
			e.requireCommitted(t, "job", map[string]string{
				e.key("job", "p=0/new.json"): "new", e.key("job", "root.json"): "root",
			}, others)
			assert.Equal(t, map[string]string{e.dest + "x/neighbour.json": "n"}, e.objects(t, e.dest+"x/"), "the neighbour is untouched")
		})
	}
}

func TestDirectoryFailModeRefusesAtSetup(t *testing.T) {
	e := newEnv(t)
	e.put(t, e.dest+"/old.json", "old")
	_, err := e.committer(t, nil).SetupJob(context.Background(), "job")
	require.ErrorIs(t, err, committer.ErrDestinationExists)
	assert.Contains(t, err.Error(), "old.json")
	assert.NoDirExists(t, e.stagingDir+"/job", "nothing left behind")
}

func TestFailModeCatchesARacingWriter(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	j, err := e.committer(t, nil).SetupJob(ctx, "job")
	require.NoError(t, err)
	want := sixFiles(t, e, j)
	racer := keysOf(want)[0]
	e.put(t, racer, "racer")
	err = j.CommitJob(ctx)
	require.ErrorIs(t, err, committer.ErrDestinationExists)
	require.ErrorIs(t, err, multipart.ErrPreconditionFailed)
	assert.Equal(t, map[string]string{racer: "racer"}, e.objects(t, e.dest+"/"), "the racer's object stays, the job is reverted")
	assert.Empty(t, e.uploadsLeft(t))
}

func TestUncommittedAttemptsDoNotLeak(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	j, err := e.committer(t, nil).SetupJob(ctx, "job")
	require.NoError(t, err)
	a := writeTask(t, j, "t", 0, map[string]string{"a.json": "a"})
	require.NoError(t, a.CommitTask(ctx))

	// An attempt whose commit lost a CreateMultipartUpload answer and then
	// failed: the lost upload is in the store, recorded only by its key.
	b := writeTask(t, j, "u", 0, map[string]string{"b.json": "b"})
	e.fault.Add(faultstore.DropNth(faultstore.OpCreateUpload, 2))
	e.fault.Add(faultstore.Fail(faultstore.OpUploadPart, multipart.ErrAccessDenied))
	require.Error(t, b.CommitTask(ctx))
	require.Len(t, e.uploadsLeft(t), 2, "a's pending upload and the orphan of the lost answer")
	e.fault.Clear()

	require.NoError(t, j.CommitJob(ctx))
	e.requireCommitted(t, "job", map[string]string{e.key("job", "a.json"): "a"}, nil)
}

func TestAbortJobFindsOrphans(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	j, err := e.committer(t, nil).SetupJob(ctx, "job")
	require.NoError(t, err)
	want := sixFiles(t, e, j)
	b := writeTask(t, j, "u", 0, map[string]string{"b.json": "b"})
	e.fault.Add(faultstore.DropNth(faultstore.OpCreateUpload, 7))
	e.fault.Add(faultstore.Fail(faultstore.OpUploadPart, multipart.ErrAccessDenied))
	require.Error(t, b.CommitTask(ctx))
	e.fault.Clear()
	// Another job's upload at a neighbouring key is not touched.
	other, err := e.mem.CreateUpload(ctx, e.key("other", "b.json"), multipart.CreateOptions{})
	require.NoError(t, err)

	require.NoError(t, j.AbortJob(ctx))
	require.NoError(t, e.mem.AbortUpload(ctx, e.key("other", "b.json"), other), "the other job's upload is still there")
	e.requireNothing(t, "job", append(keysOf(want), e.key("job", "b.json"))...)
	require.NoError(t, j.AbortJob(ctx), "idempotent")
	require.ErrorIs(t, j.CommitJob(ctx), committer.ErrJobFinished)
}

func TestOrphanOfAWinningAttemptIsSwept(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	j, err := e.committer(t, nil).SetupJob(ctx, "job")
	require.NoError(t, err)
	a := writeTask(t, j, "t", 0, map[string]string{"a.json": "a", "b.json": "b"})
	// The first creation takes effect but its answer is lost; the uploader
	// retries and the attempt commits, leaving an orphan nobody knows the
	// ID of.
	e.fault.Add(faultstore.DropNth(faultstore.OpCreateUpload, 1))
	require.NoError(t, a.CommitTask(ctx))
	require.Len(t, e.uploadsLeft(t), 3, "two pending uploads and the orphan")
	e.fault.Clear()
	require.NoError(t, j.CommitJob(ctx))
	e.requireCommitted(t, "job", map[string]string{e.key("job", "a.json"): "a", e.key("job", "b.json"): "b"}, nil)
}

func TestCleanCommitListsNoUploads(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	j, err := e.committer(t, nil).SetupJob(ctx, "job")
	require.NoError(t, err)
	want := sixFiles(t, e, j)
	before := e.fault.Calls(faultstore.OpListUploads)
	require.NoError(t, j.CommitJob(ctx))
	assert.Equal(t, before, e.fault.Calls(faultstore.OpListUploads), "a clean job commit costs no upload listing")
	assert.Equal(t, len(want), e.fault.Calls(faultstore.OpCompleteUpload), "one completion per file")
	e.requireCommitted(t, "job", want, nil)
}

func TestCommitAndAbortExcludeEachOther(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	j, err := e.committer(t, nil).SetupJob(ctx, "job")
	require.NoError(t, err)
	want := sixFiles(t, e, j)
	started := make(chan struct{}, 1)
	e.fault.Add(faultstore.Rule{Op: faultstore.OpCompleteUpload, Delay: 50 * time.Millisecond, Match: func(faultstore.Call) bool {
		select {
		case started <- struct{}{}:
		default:
		}
		return true
	}})
	done := make(chan error, 1)
	go func() { done <- j.CommitJob(ctx) }()
	<-started

	// Another process opens the job and tries to abort it meanwhile.
	other, err := e.committer(t, nil).OpenJob(ctx, "job")
	require.NoError(t, err)
	require.ErrorIs(t, other.AbortJob(ctx), staging.ErrJobBusy)
	require.ErrorIs(t, other.CommitJob(ctx), staging.ErrJobBusy)

	require.NoError(t, <-done)
	e.requireCommitted(t, "job", want, nil)
	require.NoError(t, other.AbortJob(ctx), "the job is gone: nothing to do")
	e.requireCommitted(t, "job", want, nil)
}
