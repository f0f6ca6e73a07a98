package success_test

import (
	"context"
	"io"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/memstore"
	"github.com/s3commit/s3commit/success"
)

// generated is a reader of head, then entries made by entry (each
// appended to the buffer it is given), separated by commas, then tail: a
// large JSON document produced as it is read, without holding it, and
// counting the bytes read.
type generated struct {
	head, tail string
	entries    int
	entry      func(buf []byte, i int) []byte

	i     int    // the next entry
	store []byte // the buffer entries are produced in
	buf   []byte // what is produced and not read yet
	done  bool
	read  int64
}

func (g *generated) Read(p []byte) (int, error) {
	for len(g.buf) == 0 {
		switch {
		case g.done:
			return 0, io.EOF
		case g.head != "":
			g.store, g.head = append(g.store[:0], g.head...), ""
		case g.i < g.entries:
			g.store = g.store[:0]
			if g.i > 0 {
				g.store = append(g.store, ',')
			}
			g.store = g.entry(g.store, g.i)
			g.i++
		default:
			g.store, g.done = append(g.store[:0], g.tail...), true
		}
		g.buf = g.store
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	g.read += int64(n)
	return n, nil
}

// size returns the number of bytes g produces, by producing them.
func (g generated) size() int64 {
	n, _ := io.Copy(io.Discard, &g)
	return n
}

// fileEntry appends the i-th file of a large job as JSON, like
// {"key":"tables/events/date=2026-01-01/part-0000042-….parquet","size":42,"etag":"…",
// "checksumAlgorithm":"CRC64NVME","checksum":"…"}.
func fileEntry(buf []byte, i int) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, `{"key":"tables/events/date=2026-01-01/part-`...)
	var digits [8]byte
	buf = append(buf, strconv.AppendInt(digits[:0], int64(10000000+i), 10)[1:]...)
	buf = append(buf, `-c000.snappy.parquet","size":`...)
	buf = strconv.AppendInt(buf, int64(i)*1000, 10)
	buf = append(buf, `,"etag":"`...)
	for b := range 32 {
		buf = append(buf, hex[(i>>(b%8))&15])
	}
	buf = append(buf, `","checksumAlgorithm":"CRC64NVME","checksum":"`...)
	for b := range 11 {
		buf = append(buf, hex[(i>>(b%8))&15])
	}
	return append(buf, `="}`...)
}

// manifestHead is the beginning of a valid s3commit manifest of job-1
// whose files follow.
const manifestHead = `{"name":"` + success.Name + `","jobId":"job-1","s3commitFiles":[`

func TestDecodeRefusesOversizedManifest(t *testing.T) {
	// A manifest holds at most MaxInlineFiles files: one of 64 MiB is not
	// one s3commit or Hadoop writes.
	newManifest := func() *generated {
		return &generated{head: manifestHead, tail: `]}`, entries: 600_000, entry: fileEntry}
	}
	require.Greater(t, newManifest().size(), int64(64<<20))
	const maxRead = 16<<20 + 64<<10 // the bound, and a read buffer

	t.Run("Decode", func(t *testing.T) {
		g := newManifest()
		d, err := success.Decode(g)
		require.ErrorIs(t, err, success.ErrInvalidManifest)
		assert.Nil(t, d)
		assert.Contains(t, err.Error(), "invalid _SUCCESS manifest: is larger than 16 MiB")
		assert.LessOrEqual(t, g.read, int64(maxRead), "bytes read")
	})
	t.Run("Read", func(t *testing.T) {
		g := newManifest()
		st := &generatedStore{Store: memstore.New("lake"), objects: map[string]*generated{"out/_SUCCESS": g}}
		_, err := success.Read(context.Background(), st, "out/_SUCCESS")
		require.ErrorIs(t, err, success.ErrInvalidManifest)
		assert.Contains(t, err.Error(), "s3://lake/out/_SUCCESS: invalid _SUCCESS manifest: is larger than 16 MiB")
		assert.LessOrEqual(t, g.read, int64(maxRead), "bytes read")
	})
}

// generatedStore is a store whose objects named in objects are read from
// their generator.
type generatedStore struct {
	multipart.Store
	objects map[string]*generated
}

func (s *generatedStore) GetObject(ctx context.Context, key string) (io.ReadCloser, multipart.ObjectInfo, error) {
	if g, ok := s.objects[key]; ok {
		return io.NopCloser(g), multipart.ObjectInfo{Key: key}, nil
	}
	return s.Store.GetObject(ctx, key)
}

func TestReadLargeSidecarMemory(t *testing.T) {
	// The file list of a large job: 400,000 files, about 50 MB of JSON.
	const files = 400_000
	newSidecar := func() *generated {
		return &generated{head: `{"name":"s3commit.SuccessFiles/1","jobId":"job-1","files":[`, tail: `]}`, entries: files, entry: fileEntry}
	}
	size := newSidecar().size()
	require.Greater(t, size, int64(45<<20))

	mem := memstore.New("lake")
	manifest := `{"name":"` + success.Name + `","jobId":"job-1","s3commitFilesSidecar":"_SUCCESS.job-1.files.json"}`
	_, err := mem.PutObject(context.Background(), "out/_SUCCESS", strings.NewReader(manifest), int64(len(manifest)), multipart.PutOptions{})
	require.NoError(t, err)
	st := &generatedStore{Store: mem, objects: map[string]*generated{"out/_SUCCESS.job-1.files.json": newSidecar()}}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d, err := success.Read(context.Background(), st, "out/_SUCCESS")
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	require.Len(t, d.Files, files)
	assert.Equal(t, "tables/events/date=2026-01-01/part-0399999-c000.snappy.parquet", d.Files[files-1].Key)

	// Everything allocated while reading, the garbage included: the files
	// themselves take about as much as their JSON.
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("sidecar of %d bytes: %d bytes allocated (%.1f×)", size, allocated, float64(allocated)/float64(size))
	assert.Less(t, allocated, uint64(3*size), "bytes allocated reading a sidecar of %d bytes", size)
}
