package multipart_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/memstore"
	"github.com/s3commit/s3commit/pendingset"
)

// sinkStore accepts parts without keeping them, and records how many part
// uploads were in flight at most.
type sinkStore struct {
	multipart.Store
	delay             time.Duration
	inFlight, maxSeen atomic.Int64
}

func (s *sinkStore) UploadPart(ctx context.Context, key, uploadID string, n int32, body io.ReadSeeker, size int64, opts multipart.PartOptions) (multipart.Part, error) {
	cur := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		seen := s.maxSeen.Load()
		if cur <= seen || s.maxSeen.CompareAndSwap(seen, cur) {
			break
		}
	}
	time.Sleep(s.delay)
	h := md5.New()
	got, err := io.Copy(h, body)
	if err != nil {
		return multipart.Part{}, err
	}
	if got != size {
		return multipart.Part{}, io.ErrUnexpectedEOF
	}
	return multipart.Part{Number: n, ETag: hex.EncodeToString(h.Sum(nil)), Size: size}, nil
}

func sparseFile(t *testing.T, size int64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "big.bin")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(size))
	require.NoError(t, f.Close())
	return path
}

// TestUploaderBoundsConcurrency: the bound is shared by all uploads of one
// Uploader.
func TestUploaderBoundsConcurrency(t *testing.T) {
	sink := &sinkStore{Store: memstore.New("bucket"), delay: 5 * time.Millisecond}
	u, err := multipart.NewUploader(sink, multipart.UploaderOptions{PartSize: multipart.MinPartSize, Concurrency: 3})
	require.NoError(t, err)
	path := sparseFile(t, 8*multipart.MinPartSize)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			uploaded, err := u.UploadFile(t.Context(), path, "k"+string(rune('0'+i)))
			assert.NoError(t, err)
			p := pendingset.UploadOf(uploaded)
			assert.Len(t, p.ETags, 8)
		})
	}
	wg.Wait()
	assert.Equal(t, int64(3), sink.maxSeen.Load(), "at most Concurrency parts in flight, and the bound is reached")
}

// TestUploaderStreamsFromDisk: uploading 512 MiB with 64 MiB parts
// allocates far less than one part: parts are read from the file as they
// are sent.
func TestUploaderStreamsFromDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 512 MiB")
	}
	sink := &sinkStore{Store: memstore.New("bucket")}
	u, err := multipart.NewUploader(sink, multipart.UploaderOptions{PartSize: 64 << 20, Concurrency: 4})
	require.NoError(t, err)
	path := sparseFile(t, 512<<20)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	uploaded, err := u.UploadFile(t.Context(), path, "big.bin")
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	p := pendingset.UploadOf(uploaded)
	require.Len(t, p.ETags, 8)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("uploading 512 MiB in 64 MiB parts allocated %d KiB", allocated>>10)
	assert.Less(t, allocated, uint64(16<<20), "allocated %d bytes to upload 512 MiB", allocated)
}

func TestNewUploaderRejectsBadOptions(t *testing.T) {
	st := memstore.New("bucket")
	tests := []struct {
		name string
		opts multipart.UploaderOptions
		want error
	}{
		{"part size below 5 MiB", multipart.UploaderOptions{PartSize: 1 << 20}, multipart.ErrInvalidPartSize},
		{"part size above 5 GiB", multipart.UploaderOptions{PartSize: 6 << 30}, multipart.ErrInvalidPartSize},
		{"negative concurrency", multipart.UploaderOptions{Concurrency: -1}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := multipart.NewUploader(st, tt.opts)
			require.Error(t, err)
			if tt.want != nil {
				require.ErrorIs(t, err, tt.want)
			}
		})
	}
	_, err := multipart.NewUploader(nil, multipart.UploaderOptions{})
	require.Error(t, err)
}

func TestUploadFileRejectsWhatIsNotAFile(t *testing.T) {
	st := memstore.New("bucket")
	u, err := multipart.NewUploader(st, multipart.UploaderOptions{})
	require.NoError(t, err)
	_, err = u.UploadFile(t.Context(), filepath.Join(t.TempDir(), "missing"), "k")
	require.ErrorIs(t, err, os.ErrNotExist)
	_, err = u.UploadFile(t.Context(), t.TempDir(), "k")
	require.ErrorContains(t, err, "not a regular file")
	assert.Zero(t, st.Server().UploadCount("bucket"), "nothing was started")
}
