package storetest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
)

// testPutIfNoneMatch: If-None-Match: * on put.
func (s *suite) testPutIfNoneMatch(t *testing.T) {
	ctx := testContext(t)
	st, prefix := s.store(t)
	key := prefix + "_SUCCESS"
	_, err := putObject(ctx, t, st, key, []byte("first"), multipart.PutOptions{IfNoneMatch: true})
	require.NoError(t, err, "If-None-Match: * on a new key succeeds")
	_, err = putObject(ctx, t, st, key, []byte("second"), multipart.PutOptions{IfNoneMatch: true})
	if s.h.Behavior.IgnoresIfNoneMatchOnPut {
		require.NoError(t, err, "Behavior.IgnoresIfNoneMatchOnPut: the store overwrites")
		return
	}
	requireKind(t, err, multipart.ErrPreconditionFailed)
	requireContent(ctx, t, st, key, []byte("first"))
}

// testSmallObjects: put, get, head, overwrite, not found.
func (s *suite) testSmallObjects(t *testing.T) {
	ctx := testContext(t)
	st, prefix := s.store(t)
	key := prefix + "small.json"
	data := []byte(`{"hello":"world"}`)
	etag, err := putObject(ctx, t, st, key, data, multipart.PutOptions{ContentType: "application/json"})
	require.NoError(t, err)
	assert.Regexp(t, `^[0-9a-f]{32}$`, etag, "a single PUT's ETag is the hex MD5")
	requireContent(ctx, t, st, key, data)
	_, err = putObject(ctx, t, st, key, []byte("v2"), multipart.PutOptions{})
	require.NoError(t, err, "a plain put overwrites")
	requireContent(ctx, t, st, key, []byte("v2"))

	missing := prefix + "missing.json"
	requireObjectMissing(ctx, t, st, missing)
	_, _, err = st.GetObject(ctx, missing)
	requireKind(t, err, multipart.ErrNotFound, "GetObject of a missing key")
}

// testDeleteObjects: many keys, some missing, more than one batch is the
// backend's concern; the suite checks what remains.
func (s *suite) testDeleteObjects(t *testing.T) {
	ctx := testContext(t)
	st, prefix := s.store(t)
	var keys []string
	for i := range 5 {
		key := fmt.Sprintf("%sdel/%d", prefix, i)
		_, err := putObject(ctx, t, st, key, []byte{byte(i)}, multipart.PutOptions{})
		require.NoError(t, err)
		keys = append(keys, key)
	}
	keep := prefix + "del-keep"
	_, err := putObject(ctx, t, st, keep, []byte("keep"), multipart.PutOptions{})
	require.NoError(t, err)

	require.NoError(t, st.DeleteObjects(ctx, append(keys[:3:3], prefix+"del/never-existed")))
	for _, k := range keys[:3] {
		requireObjectMissing(ctx, t, st, k)
	}
	for _, k := range keys[3:] {
		requireContent(ctx, t, st, k, []byte{k[len(k)-1] - '0'})
	}
	requireContent(ctx, t, st, keep, []byte("keep"))
	require.NoError(t, st.DeleteObjects(ctx, nil), "deleting no keys is a no-op")
}

// testConcurrentUploads: many uploads in parallel on one Store.
func (s *suite) testConcurrentUploads(t *testing.T) {
	ctx := testContext(t)
	st, prefix := s.store(t)
	const n = 24
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			key := fmt.Sprintf("%sconcurrent/%02d", prefix, i)
			data := payload(uint64(200+i), int64(1000+i))
			id, err := st.CreateUpload(ctx, key, multipart.CreateOptions{})
			if err != nil {
				errs[i] = err
				return
			}
			part, err := st.UploadPart(ctx, key, id, 1, bytes.NewReader(data), int64(len(data)), multipart.PartOptions{})
			if err == nil {
				_, err = st.CompleteUpload(ctx, key, id, []multipart.Part{part}, multipart.CompleteOptions{})
			}
			if err != nil {
				errs[i] = err
				_ = st.AbortUpload(context.WithoutCancel(ctx), key, id)
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "upload %d", i)
	}
	count := 0
	for o, err := range st.ListObjects(ctx, prefix+"concurrent/") {
		require.NoError(t, err)
		assert.Equal(t, int64(1000+count), o.Size, o.Key)
		count++
	}
	assert.Equal(t, n, count)
	for i := range n {
		key := fmt.Sprintf("%sconcurrent/%02d", prefix, i)
		requireContent(ctx, t, st, key, payload(uint64(200+i), int64(1000+i)))
		assert.Empty(t, uploadIDs(ctx, t, st, key))
	}
}

// testBadCredentials: every kind of call fails with ErrAccessDenied.
func (s *suite) testBadCredentials(t *testing.T) {
	if s.h.Behavior.NoAuthentication {
		t.Log("Behavior.NoAuthentication: the store has no credentials; nothing to check")
		return
	}
	ctx := testContext(t)
	good, prefix := s.store(t)
	key := prefix + "secret.bin"
	_, err := putObject(ctx, t, good, key, []byte("s"), multipart.PutOptions{})
	require.NoError(t, err)

	bad := s.h.NewStoreBadCredentials(t)
	_, err = bad.CreateUpload(ctx, key, multipart.CreateOptions{})
	requireKind(t, err, multipart.ErrAccessDenied, "CreateUpload")
	_, err = bad.PutObject(ctx, key, bytes.NewReader([]byte("x")), 1, multipart.PutOptions{})
	requireKind(t, err, multipart.ErrAccessDenied, "PutObject")
	_, _, err = bad.GetObject(ctx, key)
	requireKind(t, err, multipart.ErrAccessDenied, "GetObject")
	_, err = bad.HeadObject(ctx, key)
	requireKind(t, err, multipart.ErrAccessDenied, "HeadObject")
	for _, err := range bad.ListUploads(ctx, key) {
		requireKind(t, err, multipart.ErrAccessDenied, "ListUploads")
	}
	for _, err := range bad.ListObjects(ctx, prefix) {
		requireKind(t, err, multipart.ErrAccessDenied, "ListObjects")
	}
	requireContent(ctx, t, good, key, []byte("s"))
}

// testMissingBucket: calls on a bucket that does not exist have their own
// kind.
func (s *suite) testMissingBucket(t *testing.T) {
	ctx := testContext(t)
	st := s.h.NewStoreMissingBucket(t)
	key := "storetest/missing-bucket.bin"
	_, err := st.CreateUpload(ctx, key, multipart.CreateOptions{})
	requireKind(t, err, multipart.ErrBucketNotFound, "CreateUpload")
	_, err = st.PutObject(ctx, key, bytes.NewReader([]byte("x")), 1, multipart.PutOptions{})
	requireKind(t, err, multipart.ErrBucketNotFound, "PutObject")
	_, _, err = st.GetObject(ctx, key)
	requireKind(t, err, multipart.ErrBucketNotFound, "GetObject")
	_, err = st.HeadObject(ctx, key)
	requireKind(t, err, multipart.ErrBucketNotFound, "HeadObject")
	for _, err := range st.ListUploads(ctx, key) {
		requireKind(t, err, multipart.ErrBucketNotFound, "ListUploads")
	}
	for _, err := range st.ListObjects(ctx, "storetest/") {
		requireKind(t, err, multipart.ErrBucketNotFound, "ListObjects")
	}
}

// testCancelledContext: a call on a cancelled context fails with the
// context's error and has no effect.
func (s *suite) testCancelledContext(t *testing.T) {
	ctx := testContext(t)
	st, prefix := s.store(t)
	key := prefix + "cancelled.bin"
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err := st.PutObject(cancelled, key, bytes.NewReader([]byte("x")), 1, multipart.PutOptions{})
	require.ErrorIs(t, err, context.Canceled)
	_, err = st.CreateUpload(cancelled, key, multipart.CreateOptions{})
	require.ErrorIs(t, err, context.Canceled)
	requireObjectMissing(ctx, t, st, key)
	assert.Empty(t, uploadIDs(ctx, t, st, key))
}
