package memstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/memstore"
)

// TestClone: a clone holds the same objects and uploads, and the two
// servers change independently.
func TestClone(t *testing.T) {
	ctx := context.Background()
	srv := memstore.NewServer()
	require.NoError(t, srv.CreateBucket("lake"))
	st := srv.Store("lake", memstore.Options{})
	_, err := st.PutObject(ctx, "a", strings.NewReader("a"), 1, multipart.PutOptions{})
	require.NoError(t, err)
	id, err := st.CreateUpload(ctx, "b", multipart.CreateOptions{})
	require.NoError(t, err)
	p, err := st.UploadPart(ctx, "b", id, 1, strings.NewReader("bb"), 2, multipart.PartOptions{})
	require.NoError(t, err)

	clone := srv.Clone().Store("lake", memstore.Options{})
	_, err = clone.CompleteUpload(ctx, "b", id, []multipart.Part{p}, multipart.CompleteOptions{})
	require.NoError(t, err, "the clone has the upload with its part")
	require.NoError(t, clone.DeleteObjects(ctx, []string{"a"}))

	_, err = st.HeadObject(ctx, "a")
	require.NoError(t, err, "the original keeps its object")
	_, err = st.HeadObject(ctx, "b")
	require.ErrorIs(t, err, multipart.ErrNotFound, "the original's upload is not completed")
	require.NoError(t, st.AbortUpload(ctx, "b", id), "and still there")
	info, err := clone.HeadObject(ctx, "b")
	require.NoError(t, err)
	assert.Equal(t, int64(2), info.Size)
}
