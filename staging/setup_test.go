package staging_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/memstore"
	"github.com/s3commit/s3commit/staging"
)

func TestNewValidatesOptions(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*staging.Options)
		want string
	}{
		{"no staging dir", func(o *staging.Options) { o.StagingDir = "" }, "StagingDir is empty"},
		{"staging dir on another bucket", func(o *staging.Options) { o.StagingDir = "s3://bucket/_staging" }, `give a StagingStore on "bucket"`},
		{"staging dir without prefix", func(o *staging.Options) { o.StagingDir = "s3://lake" }, "has no prefix"},
		{"staging dir in the destination", func(o *staging.Options) { o.StagingDir = "s3://lake/" + o.Destination + "/_staging" }, "contain one another"},
		{"staging dir above the destination", func(o *staging.Options) { o.StagingDir = "s3://lake/" + strings.SplitN(o.Destination, "/", 2)[0] }, "contain one another"},
		{"staging store without URL", func(o *staging.Options) { o.StagingStore = memstore.New("lake") }, "StagingStore is given"},
		{"staging dir as a file URL", func(o *staging.Options) { o.StagingDir = "file:///mnt/staging" }, "is a file:// URL"},
		{"buffer dir in the store", func(o *staging.Options) { o.BufferDir = "s3://bucket/buffer" }, "BufferDir"},
		{"only slashes", func(o *staging.Options) { o.Destination = "//" }, "is empty"},
		{"leading slash", func(o *staging.Options) { o.Destination = "/events" }, "starts with '/'"},
		{"dot dot", func(o *staging.Options) { o.Destination = "a/../b" }, "segment"},
		{"mode", func(o *staging.Options) { o.Mode = "magic" }, "Mode"},
		{"conflict", func(o *staging.Options) { o.Conflict = "overwrite" }, "Conflict"},
		{"part size", func(o *staging.Options) { o.PartSize = 1024 }, "PartSize"},
		{"negative", func(o *staging.Options) { o.CommitConcurrency = -1 }, "must not be negative"},
	}
	e := newEnv(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := staging.New(e.mem, e.options(tt.mod))
			require.ErrorIs(t, err, staging.ErrInvalidOptions)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	_, err := staging.New(nil, e.options(nil))
	require.ErrorIs(t, err, staging.ErrInvalidOptions)
	_, err = staging.New(badBucket{e.mem}, e.options(nil))
	require.ErrorIs(t, err, staging.ErrInvalidOptions, "a bucket name S3 refuses, which the job record could not be read back with")
	_, err = staging.New(e.mem, e.options(func(o *staging.Options) { o.Destination = "events/" }))
	require.NoError(t, err, "a trailing slash is trimmed")
}

// A process that only opens jobs (a task worker, a tool) needs no
// Destination: it works with the job record's. SetupJob needs one.
func TestNewWithoutDestination(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	worker := e.committer(t, func(o *staging.Options) { o.Destination = "" })
	_, err := worker.SetupJob(ctx, "job")
	require.ErrorIs(t, err, staging.ErrInvalidOptions)
	assert.Contains(t, err.Error(), "Destination is empty")

	driver := e.committer(t, nil)
	_, err = driver.SetupJob(ctx, "job")
	require.NoError(t, err)
	j, err := worker.OpenJob(ctx, "job")
	require.NoError(t, err)
	require.NoError(t, writeTask(t, j, "t0", 0, map[string]string{"a.csv": "a"}).CommitTask(ctx))
	res, err := worker.CommitJob(ctx, "job", staging.CommitOptions{})
	require.NoError(t, err)
	assert.Equal(t, e.dest, res.Destination, "the job record's destination")
	e.requireCommitted(t, "job", map[string]string{e.key("job", "a.csv"): "a"}, nil)
}

func TestSetupJob(t *testing.T) {
	ctx := context.Background()
	t.Run("job ID reuse", func(t *testing.T) {
		e := newEnv(t)
		c := e.committer(t, func(o *staging.Options) { o.Conflict = committer.ConflictAppend })
		_, err := c.SetupJob(ctx, "job")
		require.NoError(t, err)
		_, err = c.SetupJob(ctx, "job")
		require.ErrorIs(t, err, committer.ErrJobExists)
		assert.Contains(t, err.Error(), "must be unique")
	})
	t.Run("invalid IDs", func(t *testing.T) {
		e := newEnv(t)
		c := e.committer(t, nil)
		for _, id := range []string{"..", "a/b", "../../x", ".hidden", "a b"} {
			_, err := c.SetupJob(ctx, id)
			require.ErrorIs(t, err, committer.ErrInvalidID, "%q", id)
		}
		entries, err := os.ReadDir(e.stagingDir)
		require.NoError(t, err)
		assert.Empty(t, entries)
	})
	t.Run("missing bucket", func(t *testing.T) {
		e := newEnv(t)
		st := memstore.NewServer().Store("no-such-bucket", memstore.Options{})
		c, err := staging.New(st, e.options(nil))
		require.NoError(t, err)
		_, err = c.SetupJob(ctx, "job")
		require.ErrorIs(t, err, multipart.ErrBucketNotFound)
		assert.NoDirExists(t, filepath.Join(e.stagingDir, "job"), "nothing left behind")
	})
	t.Run("wrong credentials", func(t *testing.T) {
		e := newEnv(t)
		srv := memstore.NewServer()
		require.NoError(t, srv.CreateBucket(bucket))
		srv.RequireCredentials("key", "secret")
		c, err := staging.New(srv.Store(bucket, memstore.Options{AccessKeyID: "key", SecretAccessKey: "wrong"}), e.options(nil))
		require.NoError(t, err)
		_, err = c.SetupJob(ctx, "job")
		require.ErrorIs(t, err, multipart.ErrAccessDenied)
		assert.NoDirExists(t, filepath.Join(e.stagingDir, "job"))
	})
	t.Run("staging dir not writable", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root writes to any directory")
		}
		e := newEnv(t)
		require.NoError(t, os.Chmod(e.stagingDir, 0o500))
		t.Cleanup(func() { _ = os.Chmod(e.stagingDir, 0o700) })
		_, err := e.committer(t, nil).SetupJob(ctx, "job")
		require.ErrorIs(t, err, os.ErrPermission)
		assert.Contains(t, err.Error(), "StagingDir")
	})
	t.Run("staging dir is a file", func(t *testing.T) {
		e := newEnv(t)
		file := filepath.Join(e.stagingDir, "file")
		require.NoError(t, os.WriteFile(file, nil, 0o644))
		_, err := e.committer(t, func(o *staging.Options) { o.StagingDir = file }).SetupJob(ctx, "job")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "StagingDir")
	})
	t.Run("open with a store on another bucket", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.committer(t, nil).SetupJob(ctx, "job")
		require.NoError(t, err)
		c, err := staging.New(memstore.New("other"), e.options(nil))
		require.NoError(t, err)
		_, err = c.OpenJob(ctx, "job")
		require.Error(t, err)
		assert.Contains(t, err.Error(), `bucket "lake"`)
	})
}

// badBucket is a store on a bucket whose name S3's rules refuse (a store
// made from a client the caller configured may carry one).
type badBucket struct{ multipart.Store }

func (badBucket) Bucket() string { return "Bad_Bucket" }
