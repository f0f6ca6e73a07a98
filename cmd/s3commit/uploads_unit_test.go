package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/multipart/memstore"
)

// TestAbortUploadsResults checks the per-upload results of an abort on an
// in-memory store: aborted, gone (already aborted), failed (store error).
func TestAbortUploadsResults(t *testing.T) {
	ctx := context.Background()
	mem := memstore.New("lake")
	ok := createUpload(t, mem, "dest/a", "")
	gone := createUpload(t, mem, "dest/b", "")
	require.NoError(t, mem.AbortUpload(ctx, gone.Key, gone.UploadID))
	broken := createUpload(t, mem, "dest/c", "")
	st := faultstore.New(mem, faultstore.Rule{Op: faultstore.OpAbortUpload, Err: multipart.ErrAccessDenied,
		Match: func(c faultstore.Call) bool { return c.Key == broken.Key }})

	uploads := []abortedUpload{}
	for _, u := range []upload{ok, gone, broken} {
		uploads = append(uploads, abortedUpload{uploadInfo: uploadInfo{Key: u.Key, UploadID: u.UploadID}, Result: resultWouldAbort})
	}
	abortUploads(ctx, st, uploads, &bytes.Buffer{})
	assert.Equal(t, resultAborted, uploads[0].Result)
	assert.Equal(t, resultGone, uploads[1].Result)
	assert.Equal(t, resultFailed, uploads[2].Result)
	assert.Contains(t, uploads[2].Error, "abort s3://lake/dest/c")
	assert.Contains(t, uploads[2].Error, "access denied")
	assert.Empty(t, existing(t, mem, ok))
	assert.Equal(t, []upload{broken}, existing(t, mem, broken))
}

// TestSelectUploads checks the selection on an in-memory store, which lists
// prefixes like S3: sorting, --older-than against a fixed now, --job.
func TestSelectUploads(t *testing.T) {
	mem := memstore.New("lake")
	b := createUpload(t, mem, "dest/part-0001-"+jobB+".json", "")
	a1 := createUpload(t, mem, "dest/part-0000-"+jobA+".json", "")
	a2 := createUpload(t, mem, "dest/part-0000-"+jobA+".json", "")
	createUpload(t, mem, "dest2/part-0000-"+jobA+".json", "")

	now := time.Now().Add(time.Hour)
	sel, err := selectUploads(context.Background(), mem, "dest", selectOptions{}, now)
	require.NoError(t, err)
	got := sel.Uploads
	require.Len(t, got, 3)
	assert.Equal(t, []string{a1.Key, a1.Key, b.Key}, []string{got[0].Key, got[1].Key, got[2].Key})
	assert.ElementsMatch(t, []string{a1.UploadID, a2.UploadID}, []string{got[0].UploadID, got[1].UploadID})
	assert.False(t, got[1].Initiated.Before(got[0].Initiated), "same key: by initiated time")
	for _, u := range got {
		assert.InDelta(t, 3600, u.AgeSeconds, 5)
		assert.Equal(t, time.UTC, u.Initiated.Location())
	}

	sel, err = selectUploads(context.Background(), mem, "dest", selectOptions{OlderThan: 2 * time.Hour}, now)
	require.NoError(t, err)
	assert.Empty(t, sel.Uploads)
	sel, err = selectUploads(context.Background(), mem, "dest", selectOptions{OlderThan: 30 * time.Minute, Job: jobB}, now)
	require.NoError(t, err)
	require.Len(t, sel.Uploads, 1)
	assert.Equal(t, b.UploadID, sel.Uploads[0].UploadID)

	// Counting parts drops an upload that vanished meanwhile.
	sel, err = selectUploads(context.Background(), mem, "dest", selectOptions{}, now)
	require.NoError(t, err)
	got = sel.Uploads
	require.NoError(t, mem.AbortUpload(context.Background(), b.Key, b.UploadID))
	got, err = addPartCounts(context.Background(), mem, got, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Len(t, got, 2)
}
