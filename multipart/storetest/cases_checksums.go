package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
)

// checksummedUpload creates an upload with algorithm a (FULL_OBJECT),
// uploads one part per payload with its checksum, and returns the upload
// ID, the parts and the whole object's checksum.
func checksummedUpload(ctx context.Context, t *testing.T, st multipart.Store, key string, a multipart.ChecksumAlgorithm, payloads ...[]byte) (string, []multipart.Part, multipart.Checksum) {
	t.Helper()
	id, err := st.CreateUpload(ctx, key, multipart.CreateOptions{Checksum: a})
	require.NoError(t, err, "CreateUpload %s with %s", key, a)
	t.Cleanup(func() {
		if err := st.AbortUpload(context.Background(), key, id); err != nil && !errors.Is(err, multipart.ErrNoSuchUpload) {
			t.Logf("cleanup: abort %s %s: %v", key, id, err)
		}
	})
	parts := make([]multipart.Part, len(payloads))
	for i, p := range payloads {
		sum, _, err := multipart.ComputeChecksum(a, bytes.NewReader(p))
		require.NoError(t, err)
		parts[i], err = st.UploadPart(ctx, key, id, int32(i+1), bytes.NewReader(p), int64(len(p)), multipart.PartOptions{Checksum: sum})
		require.NoError(t, err, "UploadPart %d with its %s checksum", i+1, a)
		assert.Equal(t, sum, parts[i].Checksum, "UploadPart returns the part's checksum")
	}
	whole, _, err := multipart.ComputeChecksum(a, bytes.NewReader(bytes.Join(payloads, nil)))
	require.NoError(t, err)
	return id, parts, whole
}

// testFullObjectChecksums: an upload created with a full-object checksum
// algorithm completes with the parts' checksums and the whole object's,
// and HeadObject reports that checksum with type FULL_OBJECT.
func (s *suite) testFullObjectChecksums(t *testing.T) {
	for _, a := range []multipart.ChecksumAlgorithm{multipart.ChecksumCRC64NVME, multipart.ChecksumCRC32C} {
		t.Run(string(a), func(t *testing.T) {
			ctx := testContext(t)
			st, prefix := s.store(t)
			key := prefix + "checksummed.bin"
			payloads := [][]byte{payload(11, multipart.MinPartSize), payload(12, 4321)}
			id, parts, whole := checksummedUpload(ctx, t, st, key, a, payloads...)
			_, err := st.CompleteUpload(ctx, key, id, parts, multipart.CompleteOptions{
				Checksum: whole, ObjectSize: int64(len(payloads[0]) + len(payloads[1])),
			})
			require.NoError(t, err, "CompleteUpload with the whole object's %s", a)
			requireContent(ctx, t, st, key, bytes.Join(payloads, nil))
			head, err := st.HeadObject(ctx, key)
			require.NoError(t, err)
			if s.h.Behavior.IgnoresChecksums {
				assert.Zero(t, head.Checksum, "Behavior.IgnoresChecksums: HeadObject reports no checksum")
				return
			}
			assert.Equal(t, whole, head.Checksum, "HeadObject reports the full-object checksum")
			assert.Equal(t, multipart.ChecksumTypeFullObject, head.ChecksumType)
		})
	}
}

// testPartChecksumMismatch: a part whose bytes do not match the checksum
// sent with it is refused with ErrChecksumMismatch, and the upload stays
// usable.
func (s *suite) testPartChecksumMismatch(t *testing.T) {
	ctx := testContext(t)
	st, prefix := s.store(t)
	key := prefix + "bad-part.bin"
	data := payload(13, 1000)
	id, _, _ := checksummedUpload(ctx, t, st, key, multipart.ChecksumCRC64NVME)
	wrong, _, err := multipart.ComputeChecksum(multipart.ChecksumCRC64NVME, bytes.NewReader(append([]byte{1}, data[1:]...)))
	require.NoError(t, err)
	_, err = st.UploadPart(ctx, key, id, 1, bytes.NewReader(data), int64(len(data)), multipart.PartOptions{Checksum: wrong})
	if s.h.Behavior.IgnoresChecksums {
		require.NoError(t, err, "Behavior.IgnoresChecksums: a part with a wrong checksum is accepted")
		return
	}
	requireKind(t, err, multipart.ErrChecksumMismatch)
	assert.False(t, multipart.IsRetryable(err), "a checksum mismatch is not retried: %v", err)
	right, _, err := multipart.ComputeChecksum(multipart.ChecksumCRC64NVME, bytes.NewReader(data))
	require.NoError(t, err)
	part, err := st.UploadPart(ctx, key, id, 1, bytes.NewReader(data), int64(len(data)), multipart.PartOptions{Checksum: right})
	require.NoError(t, err, "the upload is still usable")
	_, err = st.CompleteUpload(ctx, key, id, []multipart.Part{part}, multipart.CompleteOptions{Checksum: right})
	require.NoError(t, err)
	requireContent(ctx, t, st, key, data)
}

// testObjectChecksumMismatch: a completion whose full-object checksum is
// not the parts' combined is refused with ErrChecksumMismatch; nothing
// becomes visible and the upload can still be completed or aborted.
func (s *suite) testObjectChecksumMismatch(t *testing.T) {
	ctx := testContext(t)
	st, prefix := s.store(t)
	key := prefix + "bad-whole.bin"
	payloads := [][]byte{payload(14, multipart.MinPartSize), payload(15, 99)}
	id, parts, whole := checksummedUpload(ctx, t, st, key, multipart.ChecksumCRC64NVME, payloads...)
	wrong, _, err := multipart.ComputeChecksum(multipart.ChecksumCRC64NVME, bytes.NewReader([]byte("other bytes")))
	require.NoError(t, err)
	_, err = st.CompleteUpload(ctx, key, id, parts, multipart.CompleteOptions{Checksum: wrong})
	if s.h.Behavior.IgnoresChecksums {
		require.NoError(t, err, "Behavior.IgnoresChecksums: a completion with a wrong checksum succeeds")
		return
	}
	requireKind(t, err, multipart.ErrChecksumMismatch)
	requireObjectMissing(ctx, t, st, key)
	_, err = st.CompleteUpload(ctx, key, id, parts, multipart.CompleteOptions{Checksum: whole})
	require.NoError(t, err, "the upload is still usable after a refused completion")
	requireContent(ctx, t, st, key, bytes.Join(payloads, nil))
}

// testObjectSizeMismatch: a completion whose x-amz-mp-object-size is not
// the parts' total is refused with ErrInvalidArgument (400 InvalidRequest:
// AWS S3, versitygw) or the header is ignored (Behavior.IgnoresMpObjectSize:
// MinIO).
func (s *suite) testObjectSizeMismatch(t *testing.T) {
	ctx := testContext(t)
	st, prefix := s.store(t)
	key := prefix + "bad-size.bin"
	data := payload(16, 777)
	id, parts, whole := checksummedUpload(ctx, t, st, key, multipart.ChecksumCRC64NVME, data)
	_, err := st.CompleteUpload(ctx, key, id, parts, multipart.CompleteOptions{Checksum: whole, ObjectSize: int64(len(data)) + 1})
	if s.h.Behavior.IgnoresMpObjectSize {
		require.NoError(t, err, "Behavior.IgnoresMpObjectSize: the store ignores x-amz-mp-object-size")
		requireContent(ctx, t, st, key, data)
		return
	}
	requireKind(t, err, multipart.ErrInvalidArgument)
	requireObjectMissing(ctx, t, st, key)
}

// testEmptyObjectChecksum: a zero-byte object made of one empty part with
// a full-object checksum completes with its checksum and reports it, or,
// with Behavior.EmptyObjectWithoutChecksum (MinIO), refuses that checksum,
// completes without it and reports none.
func (s *suite) testEmptyObjectChecksum(t *testing.T) {
	ctx := testContext(t)
	st, prefix := s.store(t)
	key := prefix + "empty.bin"
	id, parts, whole := checksummedUpload(ctx, t, st, key, multipart.ChecksumCRC64NVME, []byte{})
	_, err := st.CompleteUpload(ctx, key, id, parts, multipart.CompleteOptions{Checksum: whole})
	want := whole
	switch {
	case s.h.Behavior.IgnoresChecksums:
		require.NoError(t, err)
		want = multipart.Checksum{}
	case s.h.Behavior.EmptyObjectWithoutChecksum:
		requireKind(t, err, multipart.ErrChecksumMismatch)
		_, err = st.CompleteUpload(ctx, key, id, parts, multipart.CompleteOptions{})
		require.NoError(t, err, "completing the empty object without its checksum")
		want = multipart.Checksum{}
	default:
		require.NoError(t, err)
	}
	requireContent(ctx, t, st, key, []byte{})
	head, err := st.HeadObject(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, want, head.Checksum, "the empty object's checksum")
}

// testPutObjectChecksums: a PutObject sent with the whole object's
// checksum (PutOptions.Checksum) is checked: with the right checksum the
// object is written and HeadObject reports that checksum with type
// FULL_OBJECT, also for an object of zero bytes (MinIO and versitygw
// alike, whatever Behavior.EmptyObjectWithoutChecksum says of multipart
// objects); with a wrong one the put is refused with ErrChecksumMismatch
// and the key keeps what it had: no object, or the previous one.
func (s *suite) testPutObjectChecksums(t *testing.T) {
	for _, c := range []struct {
		name string
		a    multipart.ChecksumAlgorithm
		data []byte
	}{
		{"CRC64NVME", multipart.ChecksumCRC64NVME, payload(21, 3001)},
		{"CRC32C", multipart.ChecksumCRC32C, payload(22, 3002)},
		{"EmptyCRC64NVME", multipart.ChecksumCRC64NVME, []byte{}},
		{"EmptyCRC32C", multipart.ChecksumCRC32C, []byte{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testContext(t)
			st, prefix := s.store(t)
			key := prefix + "put-checksummed.bin"
			sum, _, err := multipart.ComputeChecksum(c.a, bytes.NewReader(c.data))
			require.NoError(t, err)
			_, err = putObject(ctx, t, st, key, c.data, multipart.PutOptions{Checksum: sum})
			require.NoError(t, err, "PutObject with its %s checksum", c.a)
			requireContent(ctx, t, st, key, c.data)
			head, err := st.HeadObject(ctx, key)
			require.NoError(t, err)
			if s.h.Behavior.IgnoresChecksums {
				assert.Zero(t, head.Checksum, "Behavior.IgnoresChecksums: HeadObject reports no checksum")
				return
			}
			assert.Equal(t, sum, head.Checksum, "HeadObject reports the checksum sent with the put")
			assert.Equal(t, multipart.ChecksumTypeFullObject, head.ChecksumType)
		})
	}
	for _, c := range []struct {
		name     string
		data     []byte
		previous []byte // the key's object before the put; nil: none
	}{
		{"MismatchNewKey", payload(23, 2048), nil},
		{"MismatchEmpty", []byte{}, nil},
		{"MismatchOverObject", payload(24, 2048), []byte("previous object")},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testContext(t)
			st, prefix := s.store(t)
			key := prefix + "put-bad-checksum.bin"
			var before multipart.ObjectInfo
			if c.previous != nil {
				prev, _, err := multipart.ComputeChecksum(multipart.ChecksumCRC32C, bytes.NewReader(c.previous))
				require.NoError(t, err)
				_, err = putObject(ctx, t, st, key, c.previous, multipart.PutOptions{Checksum: prev})
				require.NoError(t, err)
				before, err = st.HeadObject(ctx, key)
				require.NoError(t, err)
			}
			wrong, _, err := multipart.ComputeChecksum(multipart.ChecksumCRC64NVME, bytes.NewReader([]byte("other bytes")))
			require.NoError(t, err)
			_, err = putObject(ctx, t, st, key, c.data, multipart.PutOptions{Checksum: wrong})
			if s.h.Behavior.IgnoresChecksums {
				require.NoError(t, err, "Behavior.IgnoresChecksums: a put with a wrong checksum succeeds")
				requireContent(ctx, t, st, key, c.data)
				return
			}
			requireKind(t, err, multipart.ErrChecksumMismatch)
			assert.False(t, multipart.IsRetryable(err), "a checksum mismatch is not retried: %v", err)
			if c.previous == nil {
				requireObjectMissing(ctx, t, st, key)
				return
			}
			requireContent(ctx, t, st, key, c.previous)
			after, err := st.HeadObject(ctx, key)
			require.NoError(t, err)
			assert.Equal(t, before.ETag, after.ETag, "the refused put leaves the previous object")
			assert.Equal(t, before.Checksum, after.Checksum, "the refused put leaves the previous object's checksum")
		})
	}
}
