package success_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/multipart/memstore"
	"github.com/s3commit/s3commit/success"
)

// uploadFile stores data at key as a task commit does: a multipart upload
// created with algorithm a (type FULL_OBJECT), its part and the whole
// object sent with their checksums. It returns the file as the manifest
// lists it, with the checksum computed here.
func uploadFile(t *testing.T, st multipart.Store, a multipart.ChecksumAlgorithm, key, data string) success.File {
	t.Helper()
	ctx := context.Background()
	sum, _, err := multipart.ComputeChecksum(a, strings.NewReader(data))
	require.NoError(t, err)
	id, err := st.CreateUpload(ctx, key, multipart.CreateOptions{Checksum: a})
	require.NoError(t, err)
	part, err := st.UploadPart(ctx, key, id, 1, strings.NewReader(data), int64(len(data)), multipart.PartOptions{Checksum: sum})
	require.NoError(t, err)
	etag, err := st.CompleteUpload(ctx, key, id, []multipart.Part{part}, multipart.CompleteOptions{Checksum: sum})
	require.NoError(t, err)
	return success.File{Key: key, Size: int64(len(data)), ETag: etag, ChecksumAlgorithm: string(sum.Algorithm), Checksum: sum.Value}
}

// checksumOf returns the CRC64NVME checksum of data.
func checksumOf(t *testing.T, data string) multipart.Checksum {
	t.Helper()
	c, _, err := multipart.ComputeChecksum(multipart.ChecksumCRC64NVME, strings.NewReader(data))
	require.NoError(t, err)
	return c
}

// countingStore counts the HeadObject and GetObject requests made to the
// store it wraps, and can change what HeadObject reports.
type countingStore struct {
	multipart.Store
	heads, gets atomic.Int64
	// head, when set, changes HeadObject's answer.
	head func(multipart.ObjectInfo, error) (multipart.ObjectInfo, error)
}

func (s *countingStore) HeadObject(ctx context.Context, key string) (multipart.ObjectInfo, error) {
	s.heads.Add(1)
	info, err := s.Store.HeadObject(ctx, key)
	if s.head != nil {
		return s.head(info, err)
	}
	return info, err
}

func (s *countingStore) GetObject(ctx context.Context, key string) (io.ReadCloser, multipart.ObjectInfo, error) {
	s.gets.Add(1)
	return s.Store.GetObject(ctx, key)
}

// verifyCase is one destination and manifest to verify, and what each
// mode finds.
type verifyCase struct {
	name string
	// opts are the options of the store.
	opts memstore.Options
	// setup writes the destination "out" and returns its manifest.
	setup func(t *testing.T, st multipart.Store) *success.Data
	// head, when set, changes what HeadObject reports.
	head func(multipart.ObjectInfo, error) (multipart.ObjectInfo, error)
	// want is the outcome of each mode.
	want map[success.VerifyMode]verifyWant
}

type verifyWant struct {
	// byStored, byData and bySizeETag are the report's counts.
	byStored, byData, bySizeETag int
	// diffs are the differences as "kind key", in order.
	diffs []string
	// readBack is the ReadBack of each checksum difference.
	readBack bool
	// heads and gets are the numbers of requests made.
	heads, gets int64
}

// threeFiles uploads three files with CRC64NVME checksums under out.
func threeFiles(t *testing.T, st multipart.Store) *success.Data {
	d := success.New("directory", "job-1")
	for i := range 3 {
		d.AddFile(uploadFile(t, st, multipart.ChecksumCRC64NVME, fmt.Sprintf("out/part-%05d.csv", i), fmt.Sprintf("row %d\n", i)))
	}
	return d
}

func TestVerifyWith(t *testing.T) {
	allByStored := map[success.VerifyMode]verifyWant{
		success.VerifyListing:   {bySizeETag: 3},
		success.VerifyChecksums: {byStored: 3, heads: 3},
		success.VerifyData:      {byData: 3, gets: 3},
	}
	// byReading is what every mode finds when the store keeps no usable
	// checksum of the three files: the checksum mode reads them back.
	byReading := map[success.VerifyMode]verifyWant{
		success.VerifyListing:   {bySizeETag: 3},
		success.VerifyChecksums: {byData: 3, heads: 3, gets: 3},
		success.VerifyData:      {byData: 3, gets: 3},
	}
	cases := []verifyCase{
		{
			name:  "matching",
			setup: threeFiles,
			want:  allByStored,
		},
		{
			name:  "store keeps no checksums",
			opts:  memstore.Options{IgnoreChecksums: true},
			setup: threeFiles,
			want:  byReading,
		},
		{
			name:  "store keeps a composite checksum",
			setup: threeFiles,
			head: func(info multipart.ObjectInfo, err error) (multipart.ObjectInfo, error) {
				info.ChecksumType = "COMPOSITE"
				return info, err
			},
			want: byReading,
		},
		{
			name: "store keeps a checksum of another algorithm",
			setup: func(t *testing.T, st multipart.Store) *success.Data {
				d := success.New("directory", "job-1")
				for i := range 3 {
					key, data := fmt.Sprintf("out/part-%05d.csv", i), fmt.Sprintf("row %d\n", i)
					f := uploadFile(t, st, multipart.ChecksumCRC32C, key, data)
					c := checksumOf(t, data)
					f.ChecksumAlgorithm, f.Checksum = string(c.Algorithm), c.Value
					d.AddFile(f)
				}
				return d
			},
			want: byReading,
		},
		{
			name: "manifest without checksums",
			setup: func(t *testing.T, st multipart.Store) *success.Data {
				d := threeFiles(t, st)
				for i := range d.Files {
					d.Files[i].ChecksumAlgorithm, d.Files[i].Checksum = "", ""
				}
				return d
			},
			want: map[success.VerifyMode]verifyWant{
				success.VerifyListing:   {bySizeETag: 3},
				success.VerifyChecksums: {bySizeETag: 3},
				success.VerifyData:      {bySizeETag: 3},
			},
		},
		{
			name: "some files without a checksum",
			setup: func(t *testing.T, st multipart.Store) *success.Data {
				d := threeFiles(t, st)
				d.Files[1].ChecksumAlgorithm, d.Files[1].Checksum = "", ""
				return d
			},
			want: map[success.VerifyMode]verifyWant{
				success.VerifyListing:   {bySizeETag: 3},
				success.VerifyChecksums: {byStored: 2, bySizeETag: 1, heads: 2},
				success.VerifyData:      {byData: 2, bySizeETag: 1, gets: 2},
			},
		},
		{
			// Other bytes of the same size, put over a listed file: the
			// ETag differs, and the checksum of the bytes read back (a
			// PutObject without a checksum leaves the store none).
			name: "object overwritten with other bytes",
			setup: func(t *testing.T, st multipart.Store) *success.Data {
				d := threeFiles(t, st)
				putFile(t, st, "out/part-00001.csv", "row 9\n")
				return d
			},
			want: map[success.VerifyMode]verifyWant{
				success.VerifyListing: {bySizeETag: 3, diffs: []string{"etag differs out/part-00001.csv"}},
				success.VerifyChecksums: {byStored: 2, byData: 1, heads: 3, gets: 1, readBack: true,
					diffs: []string{"checksum differs out/part-00001.csv", "etag differs out/part-00001.csv"}},
				success.VerifyData: {byData: 3, gets: 3, readBack: true,
					diffs: []string{"checksum differs out/part-00001.csv", "etag differs out/part-00001.csv"}},
			},
		},
		{
			// Only the checksums can tell: the ETag and size are right.
			name: "manifest checksum wrong",
			setup: func(t *testing.T, st multipart.Store) *success.Data {
				d := threeFiles(t, st)
				c := checksumOf(t, "something else")
				d.Files[2].Checksum = c.Value
				return d
			},
			want: map[success.VerifyMode]verifyWant{
				success.VerifyListing: {bySizeETag: 3},
				success.VerifyChecksums: {byStored: 3, heads: 3,
					diffs: []string{"checksum differs out/part-00002.csv"}},
				success.VerifyData: {byData: 3, gets: 3, readBack: true,
					diffs: []string{"checksum differs out/part-00002.csv"}},
			},
		},
		{
			name: "missing, extra and resized files",
			setup: func(t *testing.T, st multipart.Store) *success.Data {
				d := threeFiles(t, st)
				putFile(t, st, "out/extra.csv", "x")
				putFile(t, st, "out/part-00000.csv", "a longer row\n")
				require.NoError(t, st.DeleteObjects(context.Background(), []string{"out/part-00002.csv"}))
				return d
			},
			want: map[success.VerifyMode]verifyWant{
				success.VerifyListing: {bySizeETag: 1,
					diffs: []string{"extra out/extra.csv", "size differs out/part-00000.csv", "missing out/part-00002.csv"}},
				success.VerifyChecksums: {byStored: 1, heads: 1,
					diffs: []string{"extra out/extra.csv", "size differs out/part-00000.csv", "missing out/part-00002.csv"}},
				success.VerifyData: {byData: 1, gets: 1,
					diffs: []string{"extra out/extra.csv", "size differs out/part-00000.csv", "missing out/part-00002.csv"}},
			},
		},
		{
			name:  "file deleted between the listing and its check",
			setup: threeFiles,
			head: func(info multipart.ObjectInfo, err error) (multipart.ObjectInfo, error) {
				if info.Key == "out/part-00001.csv" {
					return multipart.ObjectInfo{}, &multipart.Error{Op: "HeadObject", Key: info.Key, Kind: multipart.ErrNotFound}
				}
				return info, err
			},
			want: map[success.VerifyMode]verifyWant{
				success.VerifyListing:   {bySizeETag: 3},
				success.VerifyChecksums: {byStored: 2, heads: 3, diffs: []string{"missing out/part-00001.csv"}},
				success.VerifyData:      {byData: 3, gets: 3},
			},
		},
	}
	for _, tc := range cases {
		for _, mode := range []success.VerifyMode{success.VerifyListing, success.VerifyChecksums, success.VerifyData} {
			t.Run(tc.name+"/"+mode.String(), func(t *testing.T) {
				ctx := context.Background()
				srv := memstore.NewServer()
				require.NoError(t, srv.CreateBucket("lake"))
				mem := srv.Store("lake", tc.opts)
				d := tc.setup(t, mem)
				require.NoError(t, success.Write(ctx, mem, "out/_SUCCESS", d))
				st := &countingStore{Store: mem, head: tc.head}
				want := tc.want[mode]

				report, err := success.VerifyWith(ctx, st, "out", d, success.VerifyOptions{Mode: mode, Concurrency: 2})
				require.NotNil(t, report, "err: %v", err)
				if len(want.diffs) == 0 {
					require.NoError(t, err)
				} else {
					require.ErrorIs(t, err, success.ErrMismatch)
					var ve *success.VerifyError
					require.ErrorAs(t, err, &ve)
					assert.Equal(t, report.Differences, ve.Differences)
				}
				assert.Equal(t, "s3://lake/out", report.Location)
				assert.Equal(t, mode, report.Mode)
				assert.Equal(t, len(d.Files), report.Files)
				assert.Equal(t, want.byStored, report.ByStoredChecksum, "by stored checksum")
				assert.Equal(t, want.byData, report.ByData, "by data")
				assert.Equal(t, want.bySizeETag, report.BySizeETag, "by size and ETag")
				assert.Equal(t, want.byStored+want.byData+want.bySizeETag, report.Checked())
				var diffs []string
				for _, diff := range report.Differences {
					diffs = append(diffs, string(diff.Kind)+" "+diff.Key)
					if diff.Kind == success.DiffChecksum {
						assert.Equal(t, want.readBack, diff.ReadBack, "ReadBack")
						assert.NotEqual(t, diff.Manifest.FileChecksum(), diff.Store.Checksum)
						assert.Equal(t, diff.Manifest.ChecksumAlgorithm, string(diff.Store.Checksum.Algorithm))
					}
				}
				assert.Equal(t, want.diffs, diffs)
				assert.Equal(t, want.heads, st.heads.Load(), "HeadObject requests")
				assert.Equal(t, want.gets, st.gets.Load(), "GetObject requests")

				if mode == success.VerifyListing {
					assert.Equal(t, err, success.Verify(ctx, mem, "out", d), "Verify is the listing mode")
				}
			})
		}
	}
}

func TestVerifyChecksumDifferenceText(t *testing.T) {
	ctx := context.Background()
	st := memstore.New("lake")
	d := threeFiles(t, st)
	stored := d.Files[1].FileChecksum()
	d.Files[1].Checksum = checksumOf(t, "other").Value
	putFile(t, st, "out/part-00002.csv", "row 7\n")
	overwritten := checksumOf(t, "row 7\n")

	_, err := success.VerifyWith(ctx, st, "out", d, success.VerifyOptions{Mode: success.VerifyChecksums})
	require.ErrorIs(t, err, success.ErrMismatch)
	var ve *success.VerifyError
	require.ErrorAs(t, err, &ve)
	require.Len(t, ve.Differences, 3)
	assert.Equal(t, "success: s3://lake/out: destination does not match the _SUCCESS manifest: "+
		"0 missing, 0 extra, 0 with another size, 1 with another etag, 2 with another checksum\n"+
		"  checksum differs: out/part-00001.csv (manifest CRC64NVME:"+d.Files[1].Checksum+", the store's checksum CRC64NVME:"+stored.Value+")\n"+
		"  checksum differs: out/part-00002.csv (manifest CRC64NVME:"+d.Files[2].Checksum+", computed from the data read back CRC64NVME:"+overwritten.Value+")\n"+
		"  etag differs: out/part-00002.csv (manifest "+d.Files[2].ETag+", store "+ve.Differences[2].Store.ETag+")", err.Error())
}

func TestVerifyWithManyFiles(t *testing.T) {
	ctx := context.Background()
	st := memstore.New("lake")
	d := success.New("directory", "job-1")
	for i := range 300 {
		d.AddFile(uploadFile(t, st, multipart.ChecksumCRC64NVME, fmt.Sprintf("out/%03d", i), strings.Repeat("x", i)))
	}
	putFile(t, st, "out/150", strings.Repeat("y", 150))
	for _, n := range []int{0, 1, 7, 1000} {
		for _, mode := range []success.VerifyMode{success.VerifyChecksums, success.VerifyData} {
			report, err := success.VerifyWith(ctx, st, "out", d, success.VerifyOptions{Mode: mode, Concurrency: n})
			require.ErrorIs(t, err, success.ErrMismatch)
			assert.Equal(t, 300, report.Checked(), "concurrency %d, %v", n, mode)
			require.Len(t, report.Differences, 2)
			assert.Equal(t, success.DiffChecksum, report.Differences[0].Kind)
			assert.Equal(t, "out/150", report.Differences[0].Key)
		}
	}
}

// concurrencyStore records the most HeadObject requests in flight at once.
type concurrencyStore struct {
	multipart.Store
	mu            sync.Mutex
	inFlight, max int
}

func (s *concurrencyStore) HeadObject(ctx context.Context, key string) (multipart.ObjectInfo, error) {
	s.mu.Lock()
	s.inFlight++
	s.max = max(s.max, s.inFlight)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	return s.Store.HeadObject(ctx, key)
}

func TestVerifyWithConcurrency(t *testing.T) {
	ctx := context.Background()
	mem := memstore.New("lake")
	d := success.New("directory", "job-1")
	for i := range 100 {
		d.AddFile(uploadFile(t, mem, multipart.ChecksumCRC64NVME, fmt.Sprintf("out/%03d", i), "x"))
	}
	for _, n := range []int{1, 4} {
		st := &concurrencyStore{Store: faultstore.New(mem, faultstore.Slow(faultstore.OpHeadObject, 2e6))}
		report, err := success.VerifyWith(ctx, st, "out", d, success.VerifyOptions{Mode: success.VerifyChecksums, Concurrency: n})
		require.NoError(t, err)
		assert.Equal(t, 100, report.ByStoredChecksum)
		assert.LessOrEqual(t, st.max, n)
		if n > 1 {
			assert.Greater(t, st.max, 1, "requests overlap")
		}
	}
}

func TestVerifyWithErrors(t *testing.T) {
	ctx := context.Background()
	mem := memstore.New("lake")
	d := threeFiles(t, mem)

	t.Run("store error", func(t *testing.T) {
		for _, c := range []struct {
			mode success.VerifyMode
			op   faultstore.Op
			nth  int
		}{{success.VerifyChecksums, faultstore.OpHeadObject, 2}, {success.VerifyData, faultstore.OpGetObject, 2}, {success.VerifyData, faultstore.OpListObjects, 1}} {
			st := faultstore.New(mem, faultstore.FailNth(c.op, c.nth, multipart.ErrServer))
			report, err := success.VerifyWith(ctx, st, "out", d, success.VerifyOptions{Mode: c.mode})
			require.ErrorIs(t, err, multipart.ErrServer, "%v", c)
			assert.NotErrorIs(t, err, success.ErrMismatch)
			assert.Contains(t, err.Error(), "success: verify s3://lake/out: ")
			assert.Nil(t, report)
		}
	})
	t.Run("half a checksum", func(t *testing.T) {
		bad := *d
		bad.Files = append([]success.File(nil), d.Files...)
		bad.Files[1].ChecksumAlgorithm = ""
		_, err := success.VerifyWith(ctx, mem, "out", &bad, success.VerifyOptions{Mode: success.VerifyChecksums})
		require.ErrorIs(t, err, success.ErrInvalidManifest)
		assert.Contains(t, err.Error(), `field "s3commitFiles[1].checksumAlgorithm" is empty, but the file (out/part-00001.csv) has a checksum`)
		bad.Files[1] = d.Files[1]
		bad.Files[2].Checksum = ""
		_, err = success.VerifyWith(ctx, mem, "out", &bad, success.VerifyOptions{Mode: success.VerifyData})
		require.ErrorIs(t, err, success.ErrInvalidManifest)
		assert.Contains(t, err.Error(), `field "s3commitFiles[2].checksum" is empty`)
		_, err = success.VerifyWith(ctx, mem, "out", &bad, success.VerifyOptions{})
		require.NoError(t, err, "the listing mode reads no checksums")
	})
	t.Run("unknown algorithm", func(t *testing.T) {
		bad := *d
		bad.Files = append([]success.File(nil), d.Files...)
		bad.Files[0].ChecksumAlgorithm = "SHA256"
		_, err := success.VerifyWith(ctx, mem, "out", &bad, success.VerifyOptions{Mode: success.VerifyChecksums})
		require.ErrorIs(t, err, multipart.ErrUnsupportedChecksum)
		assert.Contains(t, err.Error(), "file out/part-00000.csv")
	})
	t.Run("unknown mode", func(t *testing.T) {
		_, err := success.VerifyWith(ctx, mem, "out", d, success.VerifyOptions{Mode: 7})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "unknown mode VerifyMode(7)")
	})
	t.Run("no file list", func(t *testing.T) {
		h, err := success.Decode(bytes.NewReader(readTestdata(t, "hadoop-s3a-directory.json")))
		require.NoError(t, err)
		report, err := success.VerifyWith(ctx, mem, "events", h, success.VerifyOptions{Mode: success.VerifyData})
		require.ErrorIs(t, err, success.ErrNoFileList)
		assert.Nil(t, report)
	})
	t.Run("cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := success.VerifyWith(cctx, mem, "out", d, success.VerifyOptions{Mode: success.VerifyData})
		require.ErrorIs(t, err, context.Canceled)
	})
}

func TestVerifyModeString(t *testing.T) {
	assert.Equal(t, "listing", success.VerifyListing.String())
	assert.Equal(t, "checksum", success.VerifyChecksums.String())
	assert.Equal(t, "data", success.VerifyData.String())
	assert.Equal(t, "VerifyMode(-1)", success.VerifyMode(-1).String())
}
