package staging

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart/memstore"
)

// TestJournalFsyncsDoNotGrowWithFiles: the job commit of the filesystem
// home journals every completion and deferred put, but fsyncs the journal
// only for the entries that must be durable before it goes on (the
// beginning, the end): a completion lost to a machine crash is found in
// the store by a resumed commit or a rollback, as the store home's batched
// journal already is. An fsync per file cost the commit of 5,000 small
// deferred files about a tenth of its time on a disk shared with the
// store.
func TestJournalFsyncsDoNotGrowWithFiles(t *testing.T) {
	for _, tc := range []struct {
		name      string
		threshold int64 // DeferredPutThreshold
	}{
		{"uploads", 0},
		{"deferred puts", 1 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsyncs := map[int]int{}
			for _, files := range []int{4, 40} {
				writes, syncs := journalWritesOfCommit(t, files, tc.threshold)
				assert.Equal(t, files+2, writes, "one write per file, and the beginning and the end")
				fsyncs[files] = syncs
			}
			assert.Equal(t, fsyncs[4], fsyncs[40], "the journal's fsyncs do not grow with the files")
			assert.LessOrEqual(t, fsyncs[40], 3)
		})
	}
}

// journalWritesOfCommit commits a job of files small files, one at a time,
// and counts the writes and fsyncs of its journal.
func journalWritesOfCommit(t *testing.T, files int, threshold int64) (writes, fsyncs int) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	c, err := New(memstore.New("bucket"), Options{
		StagingDir:           path.Join(dir, "staging"),
		BufferDir:            path.Join(dir, "buffer"),
		Destination:          "out",
		DeferredPutThreshold: threshold,
		CommitConcurrency:    1, // one completion at a time: no two share an fsync
	})
	require.NoError(t, err)
	journal := &fileOps{}
	c.wrapFS = func(f fsys) fsys { return &countingFS{fsys: f, suffix: "/" + journalName, ops: journal} }
	j, err := c.SetupJob(ctx, "")
	require.NoError(t, err)
	a, err := j.SetupTask(ctx, "t0", 0)
	require.NoError(t, err)
	for i := range files {
		f, err := a.Create(fmt.Sprintf("part-%03d.csv", i))
		require.NoError(t, err)
		_, err = f.WriteString("1,2,3\n")
		require.NoError(t, err)
		require.NoError(t, f.Close())
	}
	require.NoError(t, a.CommitTask(ctx))
	require.NoError(t, j.CommitJob(ctx))
	return int(journal.writes.Load()), int(journal.syncs.Load())
}

// fileOps counts writes and fsyncs.
type fileOps struct{ writes, syncs atomic.Int32 }

// countingFS counts the writes and fsyncs of the files whose names end
// in suffix.
type countingFS struct {
	fsys
	suffix string
	ops    *fileOps
}

func (c *countingFS) OpenFile(name string, flag int, perm fs.FileMode) (file, error) {
	f, err := c.fsys.OpenFile(name, flag, perm)
	if err != nil || !strings.HasSuffix(name, c.suffix) {
		return f, err
	}
	return &countingFile{file: f, ops: c.ops}, nil
}

type countingFile struct {
	file
	ops *fileOps
}

func (f *countingFile) Write(p []byte) (int, error) {
	f.ops.writes.Add(1)
	return f.file.Write(p)
}

func (f *countingFile) Sync() error {
	f.ops.syncs.Add(1)
	return f.file.Sync()
}
