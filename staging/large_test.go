package staging_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/staging"
	"github.com/s3commit/s3commit/success"
)

// TestManyFilesThenReplace commits more files than _SUCCESS holds inline
// (the list goes to a sidecar), then replaces them with one file: the old
// files and the old sidecar are gone.
func TestManyFilesThenReplace(t *testing.T) {
	if testing.Short() {
		t.Skip("commits over a thousand files")
	}
	e := newEnv(t)
	ctx := context.Background()
	j, err := e.committer(t, nil).SetupJob(ctx, "big")
	require.NoError(t, err)
	want := map[string]string{}
	for task := range 3 {
		files := map[string]string{}
		for f := range success.MaxInlineFiles/3 + 1 {
			rel := fmt.Sprintf("part-%d-%04d.txt", task, f)
			files[rel] = rel
			want[e.key("big", rel)] = rel
		}
		require.NoError(t, writeTask(t, j, fmt.Sprintf("t%d", task), 0, files).CommitTask(ctx))
	}
	require.Greater(t, len(want), success.MaxInlineFiles)
	require.NoError(t, j.CommitJob(ctx))
	e.requireCommitted(t, "big", want, nil)

	c := e.committer(t, func(o *staging.Options) { o.Conflict = committer.ConflictReplace })
	j2, err := c.SetupJob(ctx, "small")
	require.NoError(t, err)
	require.NoError(t, writeTask(t, j2, "t", 0, map[string]string{"one.txt": "1"}).CommitTask(ctx))
	require.NoError(t, j2.CommitJob(ctx))
	e.requireCommitted(t, "small", map[string]string{e.key("small", "one.txt"): "1"}, nil)
	got := e.objects(t, e.dest+"/")
	assert.Len(t, got, 2, "the new file and _SUCCESS, no old sidecar: %v", keysOf(got))
}
