package multipart_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/memstore"
	"github.com/s3commit/s3commit/pendingset"
)

// Micro-benchmarks of the per-file work of a task commit: planning parts,
// encoding and decoding pendingsets, and uploading through an Uploader.
// Compare runs with benchstat; see bench/README.md.

const (
	kib = 1 << 10
	mib = 1 << 20
	gib = 1 << 30
)

func BenchmarkPlanParts(b *testing.B) {
	sizes := []struct {
		name string
		size int64
	}{
		{"0B", 0},
		{"1MiB", mib},
		{"1GiB", gib},
		{"1TiB", 1 << 40}, // grows the part size past 10,000 parts
	}
	for _, s := range sizes {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := multipart.PlanParts(s.size, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchPendingSet returns a valid pendingset of n commits of 16 parts each,
// as a task writing n large files would record.
func benchPendingSet(n int) *pendingset.Set {
	created := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	commits := make([]pendingset.Upload, n)
	for i := range commits {
		etags := make([]string, 16)
		for j := range etags {
			etags[j] = fmt.Sprintf("%032x", i*16+j)
		}
		key := fmt.Sprintf("warehouse/events/date=2026-11-22/part-%05d-3f2a.parquet", i)
		p := pendingset.NewUpload("lake", key, fmt.Sprintf("upload-%d", i), etags, 16*multipart.DefaultPartSize, created)
		commits[i] = *p
	}
	return pendingset.NewSet("job-20261122", commits)
}

var pendingSetSizes = []int{1, 100, 1000}

func BenchmarkPendingSetEncode(b *testing.B) {
	for _, n := range pendingSetSizes {
		set := benchPendingSet(n)
		b.Run(fmt.Sprintf("commits=%d", n), func(b *testing.B) {
			var buf bytes.Buffer
			if err := set.Encode(&buf); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(buf.Len()))
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				if err := set.Encode(&buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkPendingSetDecode(b *testing.B) {
	for _, n := range pendingSetSizes {
		var buf bytes.Buffer
		if err := benchPendingSet(n).Encode(&buf); err != nil {
			b.Fatal(err)
		}
		data := buf.Bytes()
		b.Run(fmt.Sprintf("commits=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := pendingset.DecodeSet(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// discardStore is a memstore whose UploadPart reads and discards the part
// body, so that a benchmark measures the Uploader rather than the copy of
// every part into memory (and its checksum: the memstore ignores them).
type discardStore struct {
	*memstore.Store
}

// UploadPart consumes size bytes of body and records an empty part in the
// memstore, which keeps part numbers, ETags and upload IDs checked.
func (s discardStore) UploadPart(ctx context.Context, key, uploadID string, number int32, body io.ReadSeeker, size int64, opts multipart.PartOptions) (multipart.Part, error) {
	if _, err := io.CopyN(io.Discard, body, size); err != nil {
		return multipart.Part{}, fmt.Errorf("discard: part %d: %w", number, err)
	}
	return s.Store.UploadPart(ctx, key, uploadID, number, bytes.NewReader(nil), 0, opts)
}

func ignoringChecksums() *memstore.Store {
	srv := memstore.NewServer()
	if err := srv.CreateBucket("bench"); err != nil {
		panic(err)
	}
	return srv.Store("bench", memstore.Options{IgnoreChecksums: true})
}

// BenchmarkUploader uploads one file per iteration as an uncompleted
// multipart upload, then aborts it so memory stays flat. "memstore" copies
// the parts into an in-memory store; "discard" reads and drops them.
func BenchmarkUploader(b *testing.B) {
	ctx := context.Background()
	sizes := []struct {
		name string
		size int64
	}{
		{"256KiB", 256 * kib},
		{"64MiB", 64 * mib},
		{"256MiB", 256 * mib},
	}
	stores := []struct {
		name string
		new  func() multipart.Store
	}{
		{"memstore", func() multipart.Store { return memstore.New("bench") }},
		{"discard", func() multipart.Store { return discardStore{ignoringChecksums()} }},
	}
	dir := b.TempDir()
	for _, sz := range sizes {
		path := filepath.Join(dir, sz.name)
		if err := os.WriteFile(path, bytes.Repeat([]byte{'x'}, int(sz.size)), 0o600); err != nil {
			b.Fatal(err)
		}
		for _, st := range stores {
			for _, mode := range []multipart.ChecksumMode{multipart.ChecksumStoreVerified, multipart.ChecksumOff} {
				b.Run(fmt.Sprintf("store=%s/size=%s/checksums=%v", st.name, sz.name, mode), func(b *testing.B) {
					store := st.new()
					// 8 MiB parts give the larger files several parts in flight.
					uploader, err := multipart.NewUploader(store, multipart.UploaderOptions{PartSize: 8 * mib, Checksums: mode})
					if err != nil {
						b.Fatal(err)
					}
					b.SetBytes(sz.size)
					b.ReportAllocs()
					for b.Loop() {
						uploaded, err := uploader.UploadFile(ctx, path, "bench/"+sz.name)
						if err != nil {
							b.Fatal(err)
						}
						p := pendingset.UploadOf(uploaded)
						if err := store.AbortUpload(ctx, p.Key, p.UploadID); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}
