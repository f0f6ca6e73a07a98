package storetest

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
)

// testMultipartRoundTrip: several parts, one of 64 MiB, complete to an
// object whose bytes hash like the source.
func (s *suite) testMultipartRoundTrip(t *testing.T) {
	ctx := testContext(t)
	st, prefix := s.store(t)
	key := prefix + "data/part-0000.bin"
	payloads := [][]byte{
		payload(1, 64<<20),
		payload(2, multipart.MinPartSize),
		payload(3, 1234),
	}
	id := createUpload(ctx, t, st, key)
	requireObjectMissing(ctx, t, st, key) // an uncompleted upload is not visible
	parts := uploadParts(ctx, t, st, key, id, payloads...)
	requireObjectMissing(ctx, t, st, key)
	etag, err := st.CompleteUpload(ctx, key, id, parts, multipart.CompleteOptions{})
	require.NoError(t, err)
	assert.NotEmpty(t, etag)
	assert.NotContains(t, etag, `"`)
	s.requireMultipartETag(t, parts, etag)
	requireContent(ctx, t, st, key, bytes.Join(payloads, nil))
	head, err := st.HeadObject(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, etag, head.ETag, "HeadObject reports the ETag CompleteUpload returned")
	assert.Empty(t, uploadIDs(ctx, t, st, key), "no upload remains after complete")
}

// testZeroByteUpload: a zero-byte file is one empty part.
func (s *suite) testZeroByteUpload(t *testing.T) {
	ctx := testContext(t)
	st, prefix := s.store(t)
	key := prefix + "empty.json"
	id := createUpload(ctx, t, st, key)
	parts := uploadParts(ctx, t, st, key, id, []byte{})
	etag, err := st.CompleteUpload(ctx, key, id, parts, multipart.CompleteOptions{})
	require.NoError(t, err)
	s.requireMultipartETag(t, parts, etag)
	requireCompleted(ctx, t, st, key, etag, []byte{})
}

// testCompleteRejectsBadParts: wrong, missing and unknown parts fail with
// ErrInvalidPart and leave the upload usable.
func (s *suite) testCompleteRejectsBadParts(t *testing.T) {
	ctx := testContext(t)
	st, prefix := s.store(t)
	key := prefix + "bad-parts.bin"
	data := payload(4, 100)
	id := createUpload(ctx, t, st, key)
	parts := uploadParts(ctx, t, st, key, id, data)
	good := parts[0]

	cases := []struct {
		name  string
		parts []multipart.Part
		kind  error
	}{
		{"wrong ETag", []multipart.Part{{Number: 1, ETag: "0123456789abcdef0123456789abcdef"}}, multipart.ErrInvalidPart},
		{"missing ETag", []multipart.Part{{Number: 1, ETag: ""}}, multipart.ErrInvalidPart},
		{"part never uploaded", []multipart.Part{good, {Number: 2, ETag: good.ETag}}, multipart.ErrInvalidPart},
		{"parts out of order", []multipart.Part{{Number: 2, ETag: good.ETag}, good}, multipart.ErrInvalidPart},
	}
	for _, c := range cases {
		_, err := st.CompleteUpload(ctx, key, id, c.parts, multipart.CompleteOptions{})
		requireKind(t, err, c.kind, c.name)
		requireObjectMissing(ctx, t, st, key)
	}
	assert.Equal(t, []string{id}, uploadIDs(ctx, t, st, key), "a rejected completion keeps the upload")

	// The upload still completes with the right parts.
	_, err := st.CompleteUpload(ctx, key, id, parts, multipart.CompleteOptions{})
	require.NoError(t, err)
	requireContent(ctx, t, st, key, data)
}

// testCompleteRejectsSmallPart: a part other than the last below 5 MiB.
func (s *suite) testCompleteRejectsSmallPart(t *testing.T) {
	ctx := testContext(t)
	st, prefix := s.store(t)
	key := prefix + "small-part.bin"
	id := createUpload(ctx, t, st, key)
	parts := uploadParts(ctx, t, st, key, id, payload(5, multipart.MinPartSize-1), payload(6, 10))
	_, err := st.CompleteUpload(ctx, key, id, parts, multipart.CompleteOptions{})
	requireKind(t, err, multipart.ErrInvalidPart)
	requireObjectMissing(ctx, t, st, key)
}

// testCompleteAndAbortEndUpload: after complete or abort the upload ID is
// unknown.
func (s *suite) testCompleteAndAbortEndUpload(t *testing.T) {
	ctx := testContext(t)
	st, prefix := s.store(t)

	completed := prefix + "completed.bin"
	id := createUpload(ctx, t, st, completed)
	parts := uploadParts(ctx, t, st, completed, id, []byte("x"))
	_, err := st.CompleteUpload(ctx, completed, id, parts, multipart.CompleteOptions{})
	require.NoError(t, err)
	_, err = st.ListParts(ctx, completed, id)
	requireKind(t, err, multipart.ErrNoSuchUpload, "ListParts after complete")
	_, err = st.UploadPart(ctx, completed, id, 2, bytes.NewReader([]byte("y")), 1, multipart.PartOptions{})
	requireKind(t, err, multipart.ErrNoSuchUpload, "UploadPart after complete")
	requireKind(t, st.AbortUpload(ctx, completed, id), multipart.ErrNoSuchUpload, "AbortUpload after complete")
	requireContent(ctx, t, st, completed, []byte("x"))

	aborted := prefix + "aborted.bin"
	id = createUpload(ctx, t, st, aborted)
	parts = uploadParts(ctx, t, st, aborted, id, []byte("z"))
	require.NoError(t, st.AbortUpload(ctx, aborted, id))
	assert.Empty(t, uploadIDs(ctx, t, st, aborted))
	_, err = st.CompleteUpload(ctx, aborted, id, parts, multipart.CompleteOptions{})
	requireKind(t, err, multipart.ErrNoSuchUpload, "CompleteUpload after abort")
	_, err = st.ListParts(ctx, aborted, id)
	requireKind(t, err, multipart.ErrNoSuchUpload, "ListParts after abort")
	requireKind(t, st.AbortUpload(ctx, aborted, id), multipart.ErrNoSuchUpload, "AbortUpload after abort")
	requireObjectMissing(ctx, t, st, aborted)

	_, err = st.ListParts(ctx, aborted, "bm9uZXhpc3RlbnQtdXBsb2FkLWlk")
	requireKind(t, err, multipart.ErrNoSuchUpload, "ListParts of an upload never created")
}

// testCompleteIfNoneMatch: If-None-Match: * on complete fails when the key
// exists (where the store enforces it) and succeeds when it does not.
func (s *suite) testCompleteIfNoneMatch(t *testing.T) {
	ctx := testContext(t)
	st, prefix := s.store(t)
	key := prefix + "exclusive.bin"
	cond := multipart.CompleteOptions{IfNoneMatch: true}

	id := createUpload(ctx, t, st, key)
	parts := uploadParts(ctx, t, st, key, id, []byte("first"))
	_, err := st.CompleteUpload(ctx, key, id, parts, cond)
	require.NoError(t, err, "If-None-Match: * on a new key succeeds")

	id = createUpload(ctx, t, st, key)
	parts = uploadParts(ctx, t, st, key, id, []byte("second"))
	_, err = st.CompleteUpload(ctx, key, id, parts, cond)
	if s.h.Behavior.IgnoresIfNoneMatchOnComplete {
		require.NoError(t, err, "Behavior.IgnoresIfNoneMatchOnComplete: the store overwrites")
		requireContent(ctx, t, st, key, []byte("second"))
		return
	}
	requireKind(t, err, multipart.ErrPreconditionFailed)
	requireContent(ctx, t, st, key, []byte("first"))
	// The losing upload remains until aborted, so that the caller can abort it.
	require.Equal(t, []string{id}, uploadIDs(ctx, t, st, key))
	require.NoError(t, st.AbortUpload(ctx, key, id))
}

// testCompleteIfMatch: If-Match on complete replaces only the expected
// version.
func (s *suite) testCompleteIfMatch(t *testing.T) {
	ctx := testContext(t)
	st, prefix := s.store(t)
	key := prefix + "replace.bin"
	etag, err := putObject(ctx, t, st, key, []byte("v1"), multipart.PutOptions{})
	require.NoError(t, err)

	id := createUpload(ctx, t, st, key)
	parts := uploadParts(ctx, t, st, key, id, []byte("v2-wrong"))
	_, err = st.CompleteUpload(ctx, key, id, parts, multipart.CompleteOptions{IfMatch: "0123456789abcdef0123456789abcdef"})
	if s.h.Behavior.IgnoresIfMatchOnComplete {
		require.NoError(t, err, "Behavior.IgnoresIfMatchOnComplete: the store overwrites")
		return
	}
	requireKind(t, err, multipart.ErrPreconditionFailed)
	requireContent(ctx, t, st, key, []byte("v1"))
	require.NoError(t, st.AbortUpload(ctx, key, id))

	id = createUpload(ctx, t, st, key)
	parts = uploadParts(ctx, t, st, key, id, []byte("v2"))
	_, err = st.CompleteUpload(ctx, key, id, parts, multipart.CompleteOptions{IfMatch: etag})
	require.NoError(t, err, "If-Match with the current ETag succeeds")
	requireContent(ctx, t, st, key, []byte("v2"))

	missing := prefix + "never-written.bin"
	id = createUpload(ctx, t, st, missing)
	parts = uploadParts(ctx, t, st, missing, id, []byte("v1"))
	_, err = st.CompleteUpload(ctx, missing, id, parts, multipart.CompleteOptions{IfMatch: etag})
	requireKind(t, err, multipart.ErrPreconditionFailed, "If-Match on a key without an object")
	requireObjectMissing(ctx, t, st, missing)
}

// testListParts: ListParts reports every uploaded part with its size and ETag.
func (s *suite) testListParts(t *testing.T) {
	ctx := testContext(t)
	st, prefix := s.store(t)
	key := prefix + "parts.bin"
	id := createUpload(ctx, t, st, key)
	payloads := [][]byte{payload(7, multipart.MinPartSize), payload(8, 10), {}}
	uploaded := uploadParts(ctx, t, st, key, id, payloads...)
	listed, err := st.ListParts(ctx, key, id)
	require.NoError(t, err)
	require.Len(t, listed, len(uploaded))
	for i, p := range listed {
		assert.Equal(t, uploaded[i].Number, p.Number)
		assert.Equal(t, uploaded[i].ETag, p.ETag, "part %d", p.Number)
		assert.Equal(t, int64(len(payloads[i])), p.Size, "part %d", p.Number)
	}
}
