package storetest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/pendingset"
)

// fastRetry keeps retry waits short in tests.
var fastRetry = multipart.RetryPolicy{MaxAttempts: 4, InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}

func writeFile(t *testing.T, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "part-0000.bin")
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

func newUploader(t *testing.T, st multipart.Store) *multipart.Uploader {
	t.Helper()
	u, err := multipart.NewUploader(st, multipart.UploaderOptions{
		PartSize: multipart.MinPartSize, Concurrency: 4, Retry: fastRetry,
	})
	require.NoError(t, err)
	return u
}

// completePending completes the upload a pending record describes, with
// the whole file's checksum and size the record carries.
func completePending(ctx context.Context, t *testing.T, st multipart.Store, p *pendingset.Upload) {
	t.Helper()
	require.False(t, p.Checksum.IsZero(), "the record of %s has the file's checksum", p.Key)
	_, err := st.CompleteUpload(ctx, p.Key, p.UploadID, p.Parts(), p.CompleteOptions())
	require.NoError(t, err, "completing %s from its pending record", p.Key)
}

// testUploader: a file of several parts and a zero-byte file become
// uncompleted uploads whose records complete to the exact bytes.
func (s *suite) testUploader(t *testing.T) {
	ctx := testContext(t)
	st, prefix := s.store(t)
	u := newUploader(t, st)
	for _, tc := range []struct {
		name  string
		data  []byte
		parts int
	}{
		{"three parts", payload(300, 2*multipart.MinPartSize+7), 3},
		{"zero bytes", []byte{}, 1},
	} {
		key := prefix + tc.name + ".bin"
		uploaded, err := u.UploadFile(ctx, writeFile(t, tc.data), key)
		require.NoError(t, err, tc.name)
		p := pendingset.UploadOf(uploaded)
		t.Cleanup(func() { _ = st.AbortUpload(context.Background(), key, p.UploadID) })
		require.NoError(t, p.Validate())
		assert.Equal(t, st.Bucket(), p.Bucket)
		assert.Equal(t, key, p.Key)
		assert.Equal(t, int64(len(tc.data)), p.Length)
		require.Len(t, p.ETags, tc.parts)

		requireObjectMissing(ctx, t, st, key)
		assert.Equal(t, []string{p.UploadID}, uploadIDs(ctx, t, st, key), "the upload is pending")
		listed, err := st.ListParts(ctx, key, p.UploadID)
		require.NoError(t, err)
		require.Len(t, listed, tc.parts)
		for i, part := range listed {
			assert.Equal(t, p.ETags[i], part.ETag, "part %d", i+1)
		}
		completePending(ctx, t, st, p)
		requireContent(ctx, t, st, key, tc.data)
		assert.Empty(t, uploadIDs(ctx, t, st, key))
	}
}

// testUploaderRetries: transient failures of create and of a part are
// retried, and the result is still exact.
func (s *suite) testUploaderRetries(t *testing.T) {
	ctx := testContext(t)
	inner, prefix := s.store(t)
	st := faultstore.New(inner,
		faultstore.FailNth(faultstore.OpCreateUpload, 1, multipart.ErrThrottled),
		faultstore.FailNth(faultstore.OpUploadPart, 2, multipart.ErrServer),
		faultstore.DropNth(faultstore.OpUploadPart, 3),
	)
	key := prefix + "retried.bin"
	data := payload(301, 2*multipart.MinPartSize+1)
	uploaded, err := newUploader(t, st).UploadFile(ctx, writeFile(t, data), key)
	require.NoError(t, err)
	p := pendingset.UploadOf(uploaded)
	t.Cleanup(func() { _ = inner.AbortUpload(context.Background(), key, p.UploadID) })
	assert.Equal(t, 2, st.Calls(faultstore.OpCreateUpload))
	assert.Equal(t, 5, st.Calls(faultstore.OpUploadPart), "3 parts, one failed and one lost answer")
	assert.Equal(t, []string{p.UploadID}, uploadIDs(ctx, t, inner, key), "exactly one upload, the retried create left none behind")
	completePending(ctx, t, inner, p)
	requireContent(ctx, t, inner, key, data)
}

// testUploaderAbortsOnFailure: a part that fails for good aborts the upload.
func (s *suite) testUploaderAbortsOnFailure(t *testing.T) {
	ctx := testContext(t)
	inner, prefix := s.store(t)
	st := faultstore.New(inner, faultstore.Rule{
		Op: faultstore.OpUploadPart, Err: multipart.ErrAccessDenied,
		Match: func(c faultstore.Call) bool { return c.Part == 2 },
	})
	key := prefix + "failed.bin"
	_, err := newUploader(t, st).UploadFile(ctx, writeFile(t, payload(302, 3*multipart.MinPartSize)), key)
	require.ErrorIs(t, err, multipart.ErrAccessDenied)
	require.ErrorIs(t, err, faultstore.ErrInjected)
	assert.Equal(t, 1, st.Calls(faultstore.OpAbortUpload), "the upload was aborted")
	assert.Empty(t, uploadIDs(ctx, t, inner, key), "no upload leaked")
	requireObjectMissing(ctx, t, inner, key)
}

// testUploaderAbortsOnCancel: cancelling the caller's context in the middle
// of an upload aborts it.
func (s *suite) testUploaderAbortsOnCancel(t *testing.T) {
	ctx := testContext(t)
	inner, prefix := s.store(t)
	uploadCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	st := faultstore.New(inner, faultstore.Rule{
		Op: faultstore.OpUploadPart,
		Match: func(c faultstore.Call) bool {
			if c.Part == 2 {
				cancel() // the job is cancelled while part 2 is on its way
			}
			return false
		},
	})
	key := prefix + "cancelled.bin"
	_, err := newUploader(t, st).UploadFile(uploadCtx, writeFile(t, payload(303, 3*multipart.MinPartSize)), key)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, st.Calls(faultstore.OpAbortUpload), "the upload was aborted")
	assert.Empty(t, uploadIDs(ctx, t, inner, key), "no upload leaked")
	requireObjectMissing(ctx, t, inner, key)
}

// testUploaderLostCreate: when the answer to CreateMultipartUpload is lost,
// the retry makes a second upload and the first is orphaned. The uploader
// cannot know its ID; the suite shows that listing the exact key finds it,
// which is how a committer's abort cleans up its job's keys.
func (s *suite) testUploaderLostCreate(t *testing.T) {
	ctx := testContext(t)
	inner, prefix := s.store(t)
	st := faultstore.New(inner, faultstore.DropNth(faultstore.OpCreateUpload, 1))
	key := prefix + "lost-create.bin"
	uploaded, err := newUploader(t, st).UploadFile(ctx, writeFile(t, []byte("data")), key)
	require.NoError(t, err)
	p := pendingset.UploadOf(uploaded)
	ids := uploadIDs(ctx, t, inner, key)
	require.Len(t, ids, 2, "the orphan and the pending upload are both listed by exact key")
	require.Contains(t, ids, p.UploadID)
	for _, id := range ids {
		require.NoError(t, inner.AbortUpload(ctx, key, id))
	}
	assert.Empty(t, uploadIDs(ctx, t, inner, key))
}
