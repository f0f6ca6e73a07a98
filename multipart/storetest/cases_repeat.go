package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
)

// otherETag is an MD5-shaped ETag that no object of the suite has.
const otherETag = "0123456789abcdef0123456789abcdef"

// testRepeatedCompletion: a completion sent again after it took effect, as
// a client does when the first answer was lost. What the store answers
// decides how the committer tells such a repeat from a conflict: S3's
// NoSuchUpload, MinIO's PreconditionFailed when the repeated condition no
// longer holds, or versitygw's success. Whatever it answers, the object
// stays the one the first completion made and no upload remains.
func (s *suite) testRepeatedCompletion(t *testing.T) {
	ctx := testContext(t)
	st, prefix := s.store(t)
	b := s.h.Behavior

	// If-None-Match: how the committer completes a new file.
	key := prefix + "exclusive.bin"
	data := payload(10, 1000)
	id := createUpload(ctx, t, st, key)
	parts := uploadParts(ctx, t, st, key, id, data)
	etag, err := st.CompleteUpload(ctx, key, id, parts, multipart.CompleteOptions{IfNoneMatch: true})
	require.NoError(t, err)
	s.requireMultipartETag(t, parts, etag)
	s.requireUnknownUploadAnswer(ctx, t, st, key, id, parts, multipart.CompleteOptions{IfNoneMatch: true},
		!b.IgnoresIfNoneMatchOnComplete, "repeated with If-None-Match: * (the object exists now)")
	s.requireUnknownUploadAnswer(ctx, t, st, key, id, parts, multipart.CompleteOptions{},
		false, "repeated without conditions")
	requireCompleted(ctx, t, st, key, etag, data)

	// If-Match: how the committer replaces a version it knows.
	key = prefix + "replace.bin"
	old, err := putObject(ctx, t, st, key, []byte("v1"), multipart.PutOptions{})
	require.NoError(t, err)
	data = payload(11, 1000)
	id = createUpload(ctx, t, st, key)
	parts = uploadParts(ctx, t, st, key, id, data)
	etag, err = st.CompleteUpload(ctx, key, id, parts, multipart.CompleteOptions{IfMatch: old})
	require.NoError(t, err)
	s.requireMultipartETag(t, parts, etag)
	s.requireUnknownUploadAnswer(ctx, t, st, key, id, parts, multipart.CompleteOptions{IfMatch: old},
		!b.IgnoresIfMatchOnComplete, "repeated with If-Match of the replaced version")
	s.requireUnknownUploadAnswer(ctx, t, st, key, id, parts, multipart.CompleteOptions{IfMatch: etag},
		false, "repeated with If-Match of the completed object (the condition holds)")
	s.requireUnknownUploadAnswer(ctx, t, st, key, id, parts, multipart.CompleteOptions{},
		false, "repeated without conditions")
	requireCompleted(ctx, t, st, key, etag, data)
}

// testCompleteUnknownUpload: completing an upload the store does not know
// (aborted, never created, or created for another key) at a key that holds
// an object never changes that object, whatever the store answers; at a
// key without an object it fails with NoSuchUpload (or, for If-Match where
// the store evaluates conditions first, PreconditionFailed).
func (s *suite) testCompleteUnknownUpload(t *testing.T) {
	ctx := testContext(t)
	st, prefix := s.store(t)
	b := s.h.Behavior

	key := prefix + "occupied.bin"
	occupant := []byte("occupant")
	objETag, err := putObject(ctx, t, st, key, occupant, multipart.PutOptions{})
	require.NoError(t, err)

	aborted := createUpload(ctx, t, st, key)
	parts := uploadParts(ctx, t, st, key, aborted, []byte("intruder"))
	require.NoError(t, st.AbortUpload(ctx, key, aborted))

	other := prefix + "other.bin"
	otherID := createUpload(ctx, t, st, other)
	otherParts := uploadParts(ctx, t, st, other, otherID, []byte("elsewhere"))

	const neverCreated = "bm9uZXhpc3RlbnQtdXBsb2FkLWlk"
	uploads := []struct {
		name  string
		id    string
		parts []multipart.Part
	}{
		{"aborted upload", aborted, parts},
		{"upload never created", neverCreated, parts},
		{"upload of another key", otherID, otherParts},
	}
	conditions := []struct {
		name  string
		opts  multipart.CompleteOptions
		fails bool // the condition does not hold for the object at key
	}{
		{"no condition", multipart.CompleteOptions{}, false},
		{"If-None-Match", multipart.CompleteOptions{IfNoneMatch: true}, !b.IgnoresIfNoneMatchOnComplete},
		{"If-Match another ETag", multipart.CompleteOptions{IfMatch: otherETag}, !b.IgnoresIfMatchOnComplete},
		{"If-Match the object's ETag", multipart.CompleteOptions{IfMatch: objETag}, false},
	}
	for _, u := range uploads {
		for _, c := range conditions {
			s.requireUnknownUploadAnswer(ctx, t, st, key, u.id, u.parts, c.opts, c.fails, u.name+", "+c.name)
		}
	}
	requireContent(ctx, t, st, key, occupant)
	head, err := st.HeadObject(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, objETag, head.ETag, "the object at the key is unchanged")
	assert.Empty(t, uploadIDs(ctx, t, st, key), "no upload appears at the key")
	assert.Equal(t, []string{otherID}, uploadIDs(ctx, t, st, other), "the other key's upload is untouched")
	requireObjectMissing(ctx, t, st, other)

	// At a key without an object no store succeeds.
	missing := prefix + "vacant.bin"
	for _, c := range []struct {
		name  string
		opts  multipart.CompleteOptions
		fails bool
	}{
		{"no condition", multipart.CompleteOptions{}, false},
		{"If-None-Match", multipart.CompleteOptions{IfNoneMatch: true}, false},
		{"If-Match", multipart.CompleteOptions{IfMatch: otherETag}, !b.IgnoresIfMatchOnComplete},
	} {
		_, err := st.CompleteUpload(ctx, missing, neverCreated, parts, c.opts)
		if b.PreconditionBeforeUploadLookup && c.fails {
			requireKind(t, err, multipart.ErrPreconditionFailed,
				"Behavior.PreconditionBeforeUploadLookup: unknown upload at a vacant key, %s", c.name)
		} else {
			requireKind(t, err, multipart.ErrNoSuchUpload, "unknown upload at a vacant key, %s", c.name)
		}
		requireObjectMissing(ctx, t, st, missing)
	}
}

// requireUnknownUploadAnswer completes an upload the store no longer knows
// under key, at a key that holds an object, and asserts the answer the
// Behavior predicts. conditionFails says whether opts do not hold for the
// object at key (and the store enforces them).
func (s *suite) requireUnknownUploadAnswer(ctx context.Context, t *testing.T, st multipart.Store, key, uploadID string,
	parts []multipart.Part, opts multipart.CompleteOptions, conditionFails bool, what string) {
	t.Helper()
	b := s.h.Behavior
	etag, err := st.CompleteUpload(ctx, key, uploadID, parts, opts)
	switch {
	case b.CompleteUnknownUploadSucceedsIfObjectExists:
		require.NoError(t, err, "Behavior.CompleteUnknownUploadSucceedsIfObjectExists: %s", what)
		if !b.UnpredictableMultipartETag {
			want, ok := multipart.MultipartETag(partETags(parts))
			require.True(t, ok)
			assert.Equal(t, want, etag, "%s: the ETag computed from the request's parts", what)
		}
	case b.PreconditionBeforeUploadLookup && conditionFails:
		requireKind(t, err, multipart.ErrPreconditionFailed, "Behavior.PreconditionBeforeUploadLookup: %s", what)
	default:
		requireKind(t, err, multipart.ErrNoSuchUpload, what)
	}
}

// requireCompleted asserts that key holds data with the given ETag and
// that no upload remains at key.
func requireCompleted(ctx context.Context, t *testing.T, st multipart.Store, key, etag string, data []byte) {
	t.Helper()
	requireContent(ctx, t, st, key, data)
	head, err := st.HeadObject(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, etag, head.ETag, "the object is the one the first completion made")
	assert.Empty(t, uploadIDs(ctx, t, st, key), "no upload remains at the key")
}

// requireMultipartETag asserts that etag, returned by CompleteUpload for
// parts, is multipart.MultipartETag of their ETags, or, with
// Behavior.UnpredictableMultipartETag, that it is not.
func (s *suite) requireMultipartETag(t *testing.T, parts []multipart.Part, etag string) {
	t.Helper()
	want, ok := multipart.MultipartETag(partETags(parts))
	if s.h.Behavior.UnpredictableMultipartETag {
		assert.False(t, ok && want == etag,
			"Behavior.UnpredictableMultipartETag: the ETag %s is MultipartETag of the parts %v", etag, partETags(parts))
		return
	}
	require.True(t, ok, "part ETags %v are hex MD5s", partETags(parts))
	assert.Equal(t, want, etag, "the completed object's ETag is MultipartETag of the part ETags %v", partETags(parts))
}

func partETags(parts []multipart.Part) []string {
	etags := make([]string, len(parts))
	for i, p := range parts {
		etags[i] = p.ETag
	}
	return etags
}
