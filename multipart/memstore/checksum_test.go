package memstore_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/memstore"
)

func checksumOf(t *testing.T, a multipart.ChecksumAlgorithm, data []byte) multipart.Checksum {
	t.Helper()
	c, _, err := multipart.ComputeChecksum(a, bytes.NewReader(data))
	require.NoError(t, err)
	return c
}

// TestPutObjectChecksum covers what the conformance suite does not: the
// error codes, an algorithm the store does not compute, GetObject's info
// and the options that change the checks.
func TestPutObjectChecksum(t *testing.T) {
	data := []byte("checksummed object")
	right := checksumOf(t, multipart.ChecksumCRC32, data)
	wrong := checksumOf(t, multipart.ChecksumCRC32, []byte("other bytes"))
	for _, c := range []struct {
		name     string
		opts     memstore.Options
		sent     multipart.Checksum
		wantKind error  // nil: the put succeeds
		wantCode string // the APIError code of a failure
		wantKept multipart.Checksum
	}{
		{name: "Right", sent: right, wantKept: right},
		{name: "None", sent: multipart.Checksum{}},
		{name: "Wrong", sent: wrong, wantKind: multipart.ErrChecksumMismatch, wantCode: "BadDigest"},
		{name: "UnsupportedAlgorithm", sent: multipart.Checksum{Algorithm: "SHA256", Value: "x"},
			wantKind: multipart.ErrInvalidArgument, wantCode: "InvalidRequest"},
		{name: "MinIORight", opts: memstore.MinIOOptions(), sent: right, wantKept: right},
		{name: "IgnoredWrong", opts: memstore.Options{IgnoreChecksums: true}, sent: wrong},
		{name: "IgnoredUnsupported", opts: memstore.Options{IgnoreChecksums: true}, sent: multipart.Checksum{Algorithm: "SHA256", Value: "x"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := newStore(t, c.opts)
			ctx := t.Context()
			_, err := st.PutObject(ctx, "k", bytes.NewReader(data), int64(len(data)), multipart.PutOptions{Checksum: c.sent})
			if c.wantKind != nil {
				require.ErrorIs(t, err, c.wantKind)
				var apiErr *memstore.APIError
				require.True(t, errors.As(err, &apiErr), "%v", err)
				assert.Equal(t, c.wantCode, apiErr.Code)
				_, err = st.HeadObject(ctx, "k")
				require.ErrorIs(t, err, multipart.ErrNotFound, "a refused put writes nothing")
				return
			}
			require.NoError(t, err)
			head, err := st.HeadObject(ctx, "k")
			require.NoError(t, err)
			assert.Equal(t, c.wantKept, head.Checksum)
			wantType := ""
			if !c.wantKept.IsZero() {
				wantType = multipart.ChecksumTypeFullObject
			}
			assert.Equal(t, wantType, head.ChecksumType)
			rc, info, err := st.GetObject(ctx, "k")
			require.NoError(t, err)
			got, err := io.ReadAll(rc)
			require.NoError(t, err)
			require.NoError(t, rc.Close())
			assert.Equal(t, data, got)
			assert.Equal(t, head, info, "GetObject reports what HeadObject does")
		})
	}
}

// TestPutObjectChecksumReplaced: a put without a checksum over an object
// put with one leaves an object without checksum, as on MinIO.
func TestPutObjectChecksumReplaced(t *testing.T) {
	st := newStore(t, memstore.Options{})
	ctx := t.Context()
	first := []byte("first")
	_, err := st.PutObject(ctx, "k", bytes.NewReader(first), int64(len(first)),
		multipart.PutOptions{Checksum: checksumOf(t, multipart.ChecksumCRC64NVME, first)})
	require.NoError(t, err)
	_, err = st.PutObject(ctx, "k", bytes.NewReader([]byte("second")), 6, multipart.PutOptions{})
	require.NoError(t, err)
	head, err := st.HeadObject(ctx, "k")
	require.NoError(t, err)
	assert.Zero(t, head.Checksum)
	assert.Empty(t, head.ChecksumType)
}
