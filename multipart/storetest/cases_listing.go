package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
)

// testListUploads: by exact key (paged), by a shorter prefix (the server's
// real behaviour), and stopping early.
func (s *suite) testListUploads(t *testing.T) {
	ctx := testContext(t)
	st, prefix := s.store(t)
	x, y, z := prefix+"a/x.bin", prefix+"a/y.bin", prefix+"b/z.bin"
	var xIDs []string
	for range 3 {
		xIDs = append(xIDs, createUpload(ctx, t, st, x))
	}
	yID := createUpload(ctx, t, st, y)
	createUpload(ctx, t, st, z)

	// Exact key: every upload of that key, more than one page when the
	// harness sets a small page size.
	var listed []multipart.Upload
	for u, err := range st.ListUploads(ctx, x) {
		require.NoError(t, err)
		listed = append(listed, u)
	}
	require.Len(t, listed, 3, "ListUploads by exact key")
	var ids []string
	for _, u := range listed {
		assert.Equal(t, x, u.Key)
		assert.False(t, u.Initiated.IsZero(), "Initiated is set")
		ids = append(ids, u.UploadID)
	}
	assert.ElementsMatch(t, xIDs, ids)

	// Shorter prefix.
	var keys []string
	for u, err := range st.ListUploads(ctx, prefix+"a/") {
		require.NoError(t, err)
		keys = append(keys, u.Key)
	}
	if s.h.Behavior.ListUploadsExactKeyOnly {
		assert.Empty(t, keys, "Behavior.ListUploadsExactKeyOnly: a shorter prefix lists nothing")
	} else {
		assert.Equal(t, []string{x, x, x, y}, keys, "ListUploads by prefix, in key order, not beyond the prefix")
	}

	// The consumer may stop early.
	n := 0
	for _, err := range st.ListUploads(ctx, x) {
		require.NoError(t, err)
		n++
		break
	}
	assert.Equal(t, 1, n)

	// Aborting one upload removes exactly that one.
	require.NoError(t, st.AbortUpload(ctx, y, yID))
	assert.Empty(t, uploadIDs(ctx, t, st, y))
	assert.Len(t, uploadIDs(ctx, t, st, x), 3)
	assert.Len(t, uploadIDs(ctx, t, st, z), 1)
}

// testSpecialKeys: spaces, unicode, '=' (Hive partitions), URL escapes
// and control characters in keys. XML 1.0 cannot carry most control
// characters, so a store lists them as they are only when the listing asks
// for URL-encoded keys (encoding-type=url); without it MinIO lists ESC and
// BEL as U+FFFD, and an upload listed so cannot be aborted by its key.
func (s *suite) testSpecialKeys(t *testing.T) {
	ctx := testContext(t)
	st, prefix := s.store(t)
	keys := []string{
		prefix + "year=2026/month=11/part 0000.parquet",
		prefix + "städte/日本語/ünïcødé-🚀.json",
		prefix + "a+b&c%20d/q?x=1#frag",
		prefix + "ctl/\x1b]0;title\x07\x1b[2J\u009b-\u202e.json",
	}
	listed := func(key string) string {
		if !s.h.Behavior.ListsControlCharactersAsReplacement {
			return key
		}
		return strings.Map(func(r rune) rune {
			if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
				return utf8.RuneError
			}
			return r
		}, key)
	}
	for i, key := range keys {
		data := payload(uint64(100+i), 64)
		id := createUpload(ctx, t, st, key)
		var ids []string
		for u, err := range st.ListUploads(ctx, key) {
			require.NoError(t, err, "ListUploads %q", key)
			if u.Key == listed(key) {
				ids = append(ids, u.UploadID)
			}
		}
		assert.Equal(t, []string{id}, ids, "ListUploads by exact key %q lists the key as it is (or as Behavior says)", key)
		parts := uploadParts(ctx, t, st, key, id, data)
		_, err := st.CompleteUpload(ctx, key, id, parts, multipart.CompleteOptions{})
		require.NoError(t, err, "CompleteUpload %q", key)
		requireContent(ctx, t, st, key, data)

		small := key + ".meta"
		_, err = putObject(ctx, t, st, small, []byte(key), multipart.PutOptions{})
		require.NoError(t, err, "PutObject %q", small)
		requireContent(ctx, t, st, small, []byte(key))
	}
	var got []string
	for o, err := range st.ListObjects(ctx, prefix) {
		require.NoError(t, err)
		got = append(got, o.Key)
	}
	want := []string{}
	for _, k := range keys {
		want = append(want, listed(k), listed(k+".meta"))
	}
	slices.Sort(want)
	assert.Equal(t, want, got, "ListObjects returns the exact keys in order")
}

// testListObjectsPaging: more objects than a page, with sizes and ETags.
func (s *suite) testListObjectsPaging(t *testing.T) {
	ctx := testContext(t)
	st, prefix := s.store(t)
	const n = 7
	etags := map[string]string{}
	for i := range n {
		key := fmt.Sprintf("%sdir/obj-%02d", prefix, i)
		etag, err := putObject(ctx, t, st, key, payload(uint64(i), int64(i)), multipart.PutOptions{})
		require.NoError(t, err)
		etags[key] = etag
	}
	_, err := putObject(ctx, t, st, prefix+"dirx", []byte("outside"), multipart.PutOptions{})
	require.NoError(t, err)

	var got []multipart.ObjectInfo
	for o, err := range st.ListObjects(ctx, prefix+"dir/") {
		require.NoError(t, err)
		got = append(got, o)
	}
	require.Len(t, got, n)
	for i, o := range got {
		assert.Equal(t, fmt.Sprintf("%sdir/obj-%02d", prefix, i), o.Key)
		assert.Equal(t, int64(i), o.Size)
		assert.Equal(t, etags[o.Key], o.ETag)
		assert.False(t, o.LastModified.IsZero())
	}
	for range st.ListObjects(ctx, prefix+"nothing-here/") {
		t.Fatal("ListObjects of an empty prefix yields nothing")
	}
}
