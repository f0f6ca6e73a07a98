package success_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/s3commit/s3commit/success"
)

// Micro-benchmarks of the _SUCCESS manifest codec, which job commit runs
// once per job with every committed file listed. Compare runs with
// benchstat; see bench/README.md.

// manifestSizes are file counts of a manifest; the largest is what
// [success.Write] keeps inline before moving the list to a sidecar.
var manifestSizes = []int{1, 100, success.MaxInlineFiles}

// benchManifest returns a valid manifest listing n files.
func benchManifest(n int) *success.Data {
	d := success.New("staging", "job-20261122")
	d.Metrics["committer_commits_completed"] = int64(n)
	for i := range n {
		d.AddFile(success.File{
			Key:  fmt.Sprintf("warehouse/events/date=2026-11-22/part-%05d-3f2a.parquet", i),
			Size: 256 << 20,
			ETag: fmt.Sprintf("%032x-4", i),
		})
	}
	return d
}

func BenchmarkEncode(b *testing.B) {
	for _, n := range manifestSizes {
		d := benchManifest(n)
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			var buf bytes.Buffer
			if err := d.Encode(&buf); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(buf.Len()))
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				if err := d.Encode(&buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, n := range manifestSizes {
		var buf bytes.Buffer
		if err := benchManifest(n).Encode(&buf); err != nil {
			b.Fatal(err)
		}
		data := buf.Bytes()
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := success.Decode(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
