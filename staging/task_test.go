package staging_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/staging"
)

func TestFirstAttemptWins(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	j, err := e.committer(t, nil).SetupJob(ctx, "job")
	require.NoError(t, err)
	a1 := writeTask(t, j, "t", 1, map[string]string{"part-0.json": "from attempt 1"})
	a2 := writeTask(t, j, "t", 2, map[string]string{"part-0.json": "from attempt 2", "extra.json": "2"})

	require.NoError(t, a2.CommitTask(ctx))
	err = a1.CommitTask(ctx)
	require.ErrorIs(t, err, committer.ErrTaskCommitted)
	assert.Contains(t, err.Error(), "attempt t_2 won")
	assert.FileExists(t, filepath.Join(a1.Dir(), "part-0.json"), "the loser's local files are kept")

	require.NoError(t, j.CommitJob(ctx))
	e.requireCommitted(t, "job", map[string]string{
		e.key("job", "part-0.json"): "from attempt 2",
		e.key("job", "extra.json"):  "2",
	}, nil)
}

func TestFailedTaskCommitKeepsFilesAndUploads(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.committer(t, func(o *staging.Options) { o.PartSize = multipart.MinPartSize })
	j, err := c.SetupJob(ctx, "job")
	require.NoError(t, err)
	big := string(make([]byte, 2*multipart.MinPartSize+10))
	a := writeTask(t, j, "t", 0, map[string]string{"a.bin": big, "b.json": "b", "c.json": "c"})

	e.fault.Add(faultstore.FailNth(faultstore.OpUploadPart, 3, multipart.ErrAccessDenied))
	err = a.CommitTask(ctx)
	require.ErrorIs(t, err, multipart.ErrAccessDenied)
	assert.Contains(t, err.Error(), "local files are kept")
	for _, f := range []string{"a.bin", "b.json", "c.json"} {
		assert.FileExists(t, filepath.Join(a.Dir(), f))
	}
	assert.Empty(t, e.uploadsLeft(t), "a failed task commit leaves no upload")
	assert.NoFileExists(t, staging.PendingSetPath(e.stagingDir, "job", "t"))

	// The same attempt retries and commits.
	e.fault.Clear()
	require.NoError(t, a.CommitTask(ctx))
	require.NoError(t, j.CommitJob(ctx))
	e.requireCommitted(t, "job", map[string]string{
		e.key("job", "a.bin"): big, e.key("job", "b.json"): "b", e.key("job", "c.json"): "c",
	}, nil)
}

func TestCommitTaskTwiceAndAfterAbort(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.committer(t, nil)
	j, err := c.SetupJob(ctx, "job")
	require.NoError(t, err)
	a := writeTask(t, j, "t", 0, map[string]string{"x.json": "x"})
	require.NoError(t, a.CommitTask(ctx))
	require.ErrorIs(t, a.CommitTask(ctx), committer.ErrAttemptFinished)

	// The same attempt set up again (a restarted process) sees its commit.
	again, err := j.SetupTask(ctx, "t", 0)
	require.NoError(t, err)
	require.ErrorIs(t, again.CommitTask(ctx), committer.ErrAttemptFinished)
	_, err = a.Create("y.json")
	require.ErrorIs(t, err, committer.ErrAttemptFinished)

	// An aborted attempt cannot commit; AbortTask is idempotent.
	b := writeTask(t, j, "u", 0, map[string]string{"u.json": "u"})
	require.NoError(t, b.AbortTask(ctx))
	require.NoError(t, b.AbortTask(ctx))
	assert.NoDirExists(t, b.Dir())
	require.ErrorIs(t, b.CommitTask(ctx), committer.ErrAttemptFinished)

	// AbortTask of a committed attempt keeps the job's uploads.
	require.NoError(t, a.AbortTask(ctx))
	require.NoError(t, j.CommitJob(ctx))
	e.requireCommitted(t, "job", map[string]string{e.key("job", "x.json"): "x"}, nil)
}

func TestCreateRefusesEscapes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	j, err := e.committer(t, nil).SetupJob(ctx, "job")
	require.NoError(t, err)
	a, err := j.SetupTask(ctx, "t", 0)
	require.NoError(t, err)
	for _, rel := range []string{"", "../x", "/etc/passwd", "a//b", "a/../../x", "a\\b"} {
		_, err := a.Create(rel)
		require.ErrorIs(t, err, committer.ErrInvalidPath, "%q", rel)
	}
	for _, id := range []string{"", "..", "a/b", "_t"} {
		_, err := j.SetupTask(ctx, id, 0)
		require.ErrorIs(t, err, committer.ErrInvalidID, "%q", id)
	}
	_, err = j.SetupTask(ctx, "t", -1)
	require.ErrorIs(t, err, committer.ErrInvalidID)
	entries, err := os.ReadDir(e.bufferDir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "only the job's buffer dir")
}

func TestPartitionedFailMode(t *testing.T) {
	tests := []struct {
		name     string
		existing string // key relative to the destination
		files    []string
		wantErr  bool
	}{
		{"other partition", "day=1/old.json", []string{"day=2/new.json"}, false},
		{"same partition", "day=1/old.json", []string{"day=1/new.json"}, true},
		{"root file vs root partition", "old.json", []string{"new.json"}, true},
		{"partition object does not fill the root", "day=1/old.json", []string{"new.json"}, false},
		{"root object does not fill a partition", "old.json", []string{"day=1/new.json"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			e.put(t, e.dest+"/"+tt.existing, "old")
			j, err := e.committer(t, func(o *staging.Options) { o.Mode = committer.ModePartitioned }).SetupJob(ctx, "job")
			require.NoError(t, err, "the partitioned committer checks partitions at task commit")
			files := map[string]string{}
			for _, f := range tt.files {
				files[f] = "new"
			}
			a := writeTask(t, j, "t", 0, files)
			err = a.CommitTask(ctx)
			if tt.wantErr {
				require.ErrorIs(t, err, committer.ErrDestinationExists)
				assert.Zero(t, e.fault.Calls(faultstore.OpCreateUpload), "refused before any upload")
				require.NoError(t, j.AbortJob(ctx))
				return
			}
			require.NoError(t, err)
			require.NoError(t, j.CommitJob(ctx))
		})
	}
}

func TestHiddenFilesAreSkipped(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	j, err := e.committer(t, nil).SetupJob(ctx, "job")
	require.NoError(t, err)
	a := writeTask(t, j, "t", 0, map[string]string{
		"_SUCCESS": "x", ".crc": "x", "d/_tmp": "x", "d/.part.crc": "x",
		"d/part.json": "kept", ".dir/part.json": "descended",
	})
	require.NoError(t, a.CommitTask(ctx))
	require.NoError(t, j.CommitJob(ctx))
	e.requireCommitted(t, "job", map[string]string{
		e.key("job", "d/part.json"): "kept", e.key("job", ".dir/part.json"): "descended",
	}, nil)
}
