package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
)

// callTimeout bounds each case, so a hanging server fails the case instead
// of the whole test binary.
const callTimeout = 5 * time.Minute

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
	t.Cleanup(cancel)
	return ctx
}

// payload returns n deterministic pseudo-random bytes for seed.
func payload(seed uint64, n int64) []byte {
	var key [32]byte
	key[0] = byte(seed)
	key[1] = byte(seed >> 8)
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(key).Read(b)
	return b
}

// uploadParts uploads one part per payload to an upload and returns the
// parts in order.
func uploadParts(ctx context.Context, t *testing.T, st multipart.Store, key, uploadID string, payloads ...[]byte) []multipart.Part {
	t.Helper()
	parts := make([]multipart.Part, len(payloads))
	for i, p := range payloads {
		part, err := st.UploadPart(ctx, key, uploadID, int32(i+1), bytes.NewReader(p), int64(len(p)), multipart.PartOptions{})
		require.NoError(t, err, "UploadPart %d of %s", i+1, key)
		require.Equal(t, int32(i+1), part.Number)
		require.NotEmpty(t, part.ETag, "UploadPart returns the part's ETag")
		require.NotContains(t, part.ETag, `"`, "ETags are normalized (no quotes)")
		parts[i] = part
	}
	return parts
}

// createUpload starts an upload and registers its abort at the end of the
// test (an upload already gone is fine).
func createUpload(ctx context.Context, t *testing.T, st multipart.Store, key string) string {
	t.Helper()
	id, err := st.CreateUpload(ctx, key, multipart.CreateOptions{})
	require.NoError(t, err, "CreateUpload %s", key)
	require.NotEmpty(t, id)
	t.Cleanup(func() {
		err := st.AbortUpload(context.Background(), key, id)
		if err != nil && !errors.Is(err, multipart.ErrNoSuchUpload) {
			t.Logf("cleanup: abort %s %s: %v", key, id, err)
		}
	})
	return id
}

func putObject(ctx context.Context, t *testing.T, st multipart.Store, key string, data []byte, opts multipart.PutOptions) (string, error) {
	t.Helper()
	return st.PutObject(ctx, key, bytes.NewReader(data), int64(len(data)), opts)
}

// readObject returns an object's bytes and info.
func readObject(ctx context.Context, t *testing.T, st multipart.Store, key string) ([]byte, multipart.ObjectInfo) {
	t.Helper()
	rc, info, err := st.GetObject(ctx, key)
	require.NoError(t, err, "GetObject %s", key)
	defer rc.Close()
	data, err := io.ReadAll(rc)
	require.NoError(t, err, "reading %s", key)
	return data, info
}

// requireContent asserts that key holds exactly want, comparing SHA-256
// digests so large objects do not flood the output.
func requireContent(ctx context.Context, t *testing.T, st multipart.Store, key string, want []byte) {
	t.Helper()
	got, info := readObject(ctx, t, st, key)
	require.Equal(t, sha256.Sum256(want), sha256.Sum256(got), "bytes of %s (got %d bytes, want %d)", key, len(got), len(want))
	require.Equal(t, int64(len(want)), info.Size, "GetObject size of %s", key)
	head, err := st.HeadObject(ctx, key)
	require.NoError(t, err, "HeadObject %s", key)
	require.Equal(t, int64(len(want)), head.Size, "HeadObject size of %s", key)
	require.Equal(t, key, head.Key)
	require.NotEmpty(t, head.ETag)
}

// uploadIDs lists the uploads whose key is exactly key. Listing by the exact
// key works on every server (MinIO matches only exact keys).
func uploadIDs(ctx context.Context, t *testing.T, st multipart.Store, key string) []string {
	t.Helper()
	var ids []string
	for u, err := range st.ListUploads(ctx, key) {
		require.NoError(t, err, "ListUploads %s", key)
		if u.Key == key {
			ids = append(ids, u.UploadID)
		}
	}
	return ids
}

func requireKind(t *testing.T, err, kind error, msgAndArgs ...any) {
	t.Helper()
	require.Error(t, err, msgAndArgs...)
	require.ErrorIs(t, err, kind, msgAndArgs...)
	var storeErr *multipart.Error
	require.ErrorAs(t, err, &storeErr, "store errors are *multipart.Error")
}

func requireObjectMissing(ctx context.Context, t *testing.T, st multipart.Store, key string) {
	t.Helper()
	_, err := st.HeadObject(ctx, key)
	requireKind(t, err, multipart.ErrNotFound, "HeadObject %s", key)
}
