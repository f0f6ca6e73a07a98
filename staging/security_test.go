package staging_test

// Tests of what a hostile neighbour can do with the staging dir and the
// buffer dir: planted symlinks, a pre-made default buffer dir, odd files
// among a task's output, a file rewritten during its upload, planted
// journal entries, another job's object at the same key.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/staging"
)

// A symlink planted in a job's staging directory is never followed: the
// journal, the lock and the intents are opened as regular files or not at
// all, so the link's target (outside the staging dir, or another record of
// the job) is neither created nor written.
func TestStagingDirSymlinksAreNotFollowed(t *testing.T) {
	for _, tt := range []struct {
		name, link string // link relative to the job's directory
		target     func(e *env) string
		run        func(t *testing.T, e *env, j committer.Job) error
	}{
		{"journal to a file outside", "commit/journal", func(e *env) string { return filepath.Join(filepath.Dir(e.stagingDir), "victim") },
			func(t *testing.T, e *env, j committer.Job) error { return j.CommitJob(context.Background()) }},
		{"journal to the job record", "commit/journal", func(e *env) string { return "../job.json" },
			func(t *testing.T, e *env, j committer.Job) error { return j.CommitJob(context.Background()) }},
		{"lock to a file outside", "lock", func(e *env) string { return filepath.Join(filepath.Dir(e.stagingDir), "victim") },
			func(t *testing.T, e *env, j committer.Job) error { return j.AbortJob(context.Background()) }},
		{"intents to a file outside", "attempts/u_0.intents", func(e *env) string { return filepath.Join(filepath.Dir(e.stagingDir), "victim") },
			func(t *testing.T, e *env, j committer.Job) error {
				a := writeTask(t, j, "u", 0, map[string]string{"u.json": "u"})
				return a.CommitTask(context.Background())
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			j, err := e.committer(t, nil).SetupJob(ctx, "job")
			require.NoError(t, err)
			sixFiles(t, e, j)
			jobDir := filepath.Join(e.stagingDir, "job")
			require.NoError(t, os.MkdirAll(filepath.Join(jobDir, "commit"), 0o755))
			target := tt.target(e)
			require.NoError(t, os.Symlink(target, filepath.Join(jobDir, tt.link)))
			record, err := os.ReadFile(filepath.Join(jobDir, "job.json"))
			require.NoError(t, err)

			err = tt.run(t, e, j)
			require.Error(t, err)
			assert.Contains(t, err.Error(), filepath.Base(tt.link))
			if filepath.IsAbs(target) {
				assert.NoFileExists(t, target, "the symlink's target was not created")
			}
			after, err := os.ReadFile(filepath.Join(jobDir, "job.json"))
			require.NoError(t, err)
			assert.Equal(t, string(record), string(after), "the job record is untouched")
			assert.Empty(t, e.objects(t, e.dest+"/"), "nothing committed")
		})
	}
}

// The default buffer dir is the user's own: created 0700 with files 0600,
// and refused when another user could have prepared it.
func TestDefaultBufferDirIsPrivate(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	def := filepath.Join(tmp, fmt.Sprintf("s3commit-buffer-%d", os.Getuid()))
	ctx := context.Background()
	e := newEnv(t)
	c, err := staging.New(e.fault, staging.Options{StagingDir: e.stagingDir, Destination: e.dest})
	require.NoError(t, err)
	j, err := c.SetupJob(ctx, "job")
	require.NoError(t, err)
	a, err := j.SetupTask(ctx, "t", 0)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(def, "job", "t_0"), a.Dir())
	f, err := a.Create("d/part.json")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	for path, want := range map[string]os.FileMode{def: 0o700, filepath.Join(def, "job"): 0o700, filepath.Join(a.Dir(), "d"): 0o700,
		filepath.Join(a.Dir(), "d", "part.json"): 0o600} {
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, want, fi.Mode().Perm(), path)
	}
	require.NoError(t, j.AbortJob(ctx))

	for name, prepare := range map[string]func(){
		"open to others": func() { require.NoError(t, os.Mkdir(def, 0o755)); require.NoError(t, os.Chmod(def, 0o755)) },
		"a symlink":      func() { require.NoError(t, os.Symlink(t.TempDir(), def)) },
		"a file":         func() { require.NoError(t, os.WriteFile(def, nil, 0o600)) },
	} {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, os.RemoveAll(def))
			prepare()
			j, err := c.SetupJob(ctx, "job-"+strings.ReplaceAll(name, " ", "-"))
			require.NoError(t, err)
			_, err = j.SetupTask(ctx, "t", 0)
			require.Error(t, err)
			assert.Contains(t, err.Error(), def)
			assert.Contains(t, err.Error(), "another local user")
		})
	}
	require.NoError(t, os.RemoveAll(def))

	// A given buffer dir with BufferPerm for a group of users.
	e2 := newEnv(t)
	c2, err := staging.New(e2.fault, e2.options(func(o *staging.Options) { o.BufferPerm = 0o640 }))
	require.NoError(t, err)
	j2, err := c2.SetupJob(ctx, "job")
	require.NoError(t, err)
	a2 := writeTask(t, j2, "t", 0, map[string]string{"x.json": "x"})
	fi, err := os.Stat(filepath.Join(a2.Dir(), "x.json"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm())
	_, err = staging.New(e2.fault, e2.options(func(o *staging.Options) { o.BufferPerm = 0o400 }))
	require.ErrorIs(t, err, staging.ErrInvalidOptions)
}

// Only regular files are uploaded: a symlink (to a private file outside
// the buffer dir, or to a directory) and a FIFO are refused by name, the
// FIFO without blocking the commit, and nothing is uploaded.
func TestBufferDirHoldsRegularFilesOnly(t *testing.T) {
	for _, tt := range []struct {
		name string
		make func(t *testing.T, dir string)
		kind string
	}{
		{"symlink to a private file", func(t *testing.T, dir string) {
			secret := filepath.Join(t.TempDir(), "secret")
			require.NoError(t, os.WriteFile(secret, []byte("secret"), 0o600))
			require.NoError(t, os.Symlink(secret, filepath.Join(dir, "leak.json")))
		}, "a symlink"},
		{"symlink to a directory", func(t *testing.T, dir string) {
			require.NoError(t, os.Symlink(t.TempDir(), filepath.Join(dir, "sub")))
		}, "a symlink"},
		{"FIFO", func(t *testing.T, dir string) {
			require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "pipe.json"), 0o600))
		}, "a FIFO"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			j, err := e.committer(t, nil).SetupJob(ctx, "job")
			require.NoError(t, err)
			a := writeTask(t, j, "t", 0, map[string]string{"ok.json": "ok"})
			tt.make(t, a.Dir())
			err = a.CommitTask(ctx)
			require.ErrorIs(t, err, staging.ErrUnsupportedFile)
			assert.Contains(t, err.Error(), tt.kind)
			assert.Contains(t, err.Error(), a.Dir())
			assert.Zero(t, e.fault.Calls(faultstore.OpCreateUpload), "nothing uploaded")
			assert.FileExists(t, filepath.Join(a.Dir(), "ok.json"), "the local files are kept")
		})
	}
}

// A file rewritten at the same size while its parts are read is not
// committed as a mix of old and new bytes: the upload is aborted.
func TestFileChangedDuringUploadIsRefused(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	j, err := e.committer(t, nil).SetupJob(ctx, "job")
	require.NoError(t, err)
	a := writeTask(t, j, "t", 0, map[string]string{"a.json": "old bytes"})
	var once sync.Once
	e.fault.Add(faultstore.Rule{Op: faultstore.OpUploadPart, Match: func(faultstore.Call) bool {
		once.Do(func() {
			p := filepath.Join(a.Dir(), "a.json")
			require.NoError(t, os.WriteFile(p, []byte("new bytes"), 0o600))
			fi, err := os.Stat(p)
			require.NoError(t, err)
			// A rewrite within the file system's timestamp granularity
			// still shows in the ctime; make the mtime differ as well.
			require.NoError(t, os.Chtimes(p, fi.ModTime(), fi.ModTime().Add(1)))
		})
		return false
	}})
	err = a.CommitTask(ctx)
	require.ErrorIs(t, err, staging.ErrFileChanged)
	assert.Contains(t, err.Error(), "a.json")
	assert.Empty(t, e.uploadsLeft(t, e.key("job", "a.json")), "the upload is aborted")
	assert.NoFileExists(t, staging.PendingSetPath(e.stagingDir, "job", "t"))
}

// A buffer dir the committer did not get explicitly is never emptied: a
// job's directory in the default buffer dir is removed only when it is
// empty, and a symlink there is removed as a link, not followed.
func TestJobEndRemovesOnlyWhatIsItsOwn(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	def := filepath.Join(tmp, fmt.Sprintf("s3commit-buffer-%d", os.Getuid()))
	require.NoError(t, os.Mkdir(def, 0o700))
	victim := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(victim, "keep.txt"), []byte("keep"), 0o600))
	require.NoError(t, os.Symlink(victim, filepath.Join(def, "job-a")))
	require.NoError(t, os.MkdirAll(filepath.Join(def, "job-b", "other_0"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(def, "job-b", "other_0", "f"), []byte("x"), 0o600))

	ctx := context.Background()
	e := newEnv(t)
	c, err := staging.New(e.fault, staging.Options{StagingDir: e.stagingDir, Destination: e.dest, Conflict: committer.ConflictAppend})
	require.NoError(t, err)
	for _, id := range []string{"job-a", "job-b"} {
		j, err := c.SetupJob(ctx, id)
		require.NoError(t, err)
		require.NoError(t, j.AbortJob(ctx))
	}
	assert.FileExists(t, filepath.Join(victim, "keep.txt"), "the symlink's target is untouched")
	assert.FileExists(t, filepath.Join(def, "job-b", "other_0", "f"), "files left in the default buffer dir are their owner's")

	// The default buffer dir itself replaced by a symlink to a victim
	// directory that holds a directory named like the job.
	require.NoError(t, os.RemoveAll(def))
	require.NoError(t, os.MkdirAll(filepath.Join(victim, "job-c"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(victim, "job-c", "keep.txt"), []byte("keep"), 0o600))
	require.NoError(t, os.Symlink(victim, def))
	j, err := c.SetupJob(ctx, "job-c")
	require.NoError(t, err)
	require.NoError(t, j.AbortJob(ctx))
	assert.FileExists(t, filepath.Join(victim, "job-c", "keep.txt"), "nothing is removed through a symlinked default buffer dir")
}

// Every key a journal entry names is checked: a planted "delete" of an
// object outside the destination is left out by a resumed replace commit.
func TestPlantedJournalDeleteOutsideTheDestination(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.put(t, "finance/ledger.csv", "ledger")
	e.put(t, e.dest+"x/neighbour.csv", "neighbour")
	c := e.committer(t, func(o *staging.Options) { o.Conflict = committer.ConflictReplace; o.CommitConcurrency = 1 })
	j, err := c.SetupJob(context.Background(), "job")
	require.NoError(t, err)
	want := sixFiles(t, e, j)
	crashAfter(e, faultstore.OpCompleteUpload, 2, cancel)
	require.Error(t, j.CommitJob(ctx))
	e.fault.Clear()
	journal := filepath.Join(e.stagingDir, "job", "commit", "journal")
	appendBytes(t, journal, `{"op":"delete","keys":["finance/ledger.csv","`+e.dest+`x/neighbour.csv"]}`+"\n")

	j2, err := e.committer(t, nil).OpenJob(context.Background(), "job")
	require.NoError(t, err)
	require.NoError(t, j2.CommitJob(context.Background()))
	e.requireCommitted(t, "job", want, nil)
	assert.Equal(t, map[string]string{"finance/ledger.csv": "ledger"}, e.objects(t, "finance/"))
	assert.Equal(t, map[string]string{e.dest + "x/neighbour.csv": "neighbour"}, e.objects(t, e.dest+"x/"))
}

// Without unique filenames, two jobs in append mode can write the same
// key: rolling back one of them never deletes what the other wrote there,
// even with the same size.
func TestAbortJobKeepsAnotherJobsObjectAtTheSameKey(t *testing.T) {
	for _, how := range []string{"journaled", "not journaled"} {
		t.Run(how, func(t *testing.T) {
			e := newEnv(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			opts := func(o *staging.Options) {
				o.Conflict = committer.ConflictAppend
				o.DisableUniqueFilenames = true
				o.CommitConcurrency = 1
			}
			a, err := e.committer(t, opts).SetupJob(context.Background(), "job-a")
			require.NoError(t, err)
			ta := writeTask(t, a, "t", 0, map[string]string{"part.json": "from job a"})
			require.NoError(t, ta.CommitTask(context.Background()))
			if how == "journaled" {
				// Killed when it writes _SUCCESS, after it journaled the
				// completion.
				e.fault.Add(faultstore.Rule{Op: faultstore.OpPutObject, Err: context.Canceled,
					Match: func(faultstore.Call) bool { cancel(); return true }})
			} else {
				crashAfter(e, faultstore.OpCompleteUpload, 1, cancel)
			}
			require.Error(t, a.CommitJob(ctx))
			e.fault.Clear()

			b, err := e.committer(t, opts).SetupJob(context.Background(), "job-b")
			require.NoError(t, err)
			tb := writeTask(t, b, "t", 0, map[string]string{"part.json": "from job b"})
			require.NoError(t, tb.CommitTask(context.Background()))
			require.NoError(t, b.CommitJob(context.Background()))

			a2, err := e.committer(t, opts).OpenJob(context.Background(), "job-a")
			require.NoError(t, err)
			require.NoError(t, a2.AbortJob(context.Background()))
			assert.Equal(t, "from job b", e.objects(t, e.dest+"/")[e.dest+"/part.json"], "job b's object survives job a's rollback")
		})
	}
}
