package success_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/memstore"
	"github.com/s3commit/s3commit/pendingset"
	"github.com/s3commit/s3commit/success"
)

// A job uploads its files with their CRC64NVME checksums and lists them in
// the manifest; VerifyWith then checks the destination by the checksums
// the store keeps, without reading the data, and notices a file that was
// rewritten behind the job's back.
func ExampleVerifyWith() {
	ctx := context.Background()
	store := memstore.New("lake")
	uploader, err := multipart.NewUploader(store, multipart.UploaderOptions{})
	if err != nil {
		panic(err)
	}
	upload := func(key, data string) success.File {
		uploaded, err := uploader.Upload(ctx, strings.NewReader(data), int64(len(data)), key)
		if err != nil {
			panic(err)
		}
		p := pendingset.UploadOf(uploaded)
		etag, err := store.CompleteUpload(ctx, p.Key, p.UploadID, p.Parts(), p.CompleteOptions())
		if err != nil {
			panic(err)
		}
		return success.File{Key: key, Size: p.Length, ETag: etag,
			ChecksumAlgorithm: string(p.Checksum.Algorithm), Checksum: p.Checksum.Value}
	}

	d := success.New("directory", "job-42")
	d.AddFile(upload("events/part-0000.jsonl", "{\"id\":1}\n"))
	d.AddFile(upload("events/part-0001.jsonl", "{\"id\":2}\n"))
	if err := success.Write(ctx, store, "events/_SUCCESS", d); err != nil {
		panic(err)
	}

	opts := success.VerifyOptions{Mode: success.VerifyChecksums}
	report, err := success.VerifyWith(ctx, store, "events", d, opts)
	fmt.Printf("%d files: %d by the store's checksum, %d by reading the data, %d by size and ETag; err %v\n",
		report.Files, report.ByStoredChecksum, report.ByData, report.BySizeETag, err)

	// Someone rewrites a file with other bytes of the same size. The
	// store keeps no checksum of a plain PutObject: the file is read back.
	if _, err := store.PutObject(ctx, "events/part-0001.jsonl", strings.NewReader("{\"id\":3}\n"), 9, multipart.PutOptions{}); err != nil {
		panic(err)
	}
	report, err = success.VerifyWith(ctx, store, "events", d, opts)
	fmt.Printf("%d by the store's checksum, %d by reading the data; mismatch: %v\n",
		report.ByStoredChecksum, report.ByData, errors.Is(err, success.ErrMismatch))
	for _, diff := range report.Differences {
		fmt.Println(diff)
	}
	// Output:
	// 2 files: 2 by the store's checksum, 0 by reading the data, 0 by size and ETag; err <nil>
	// 1 by the store's checksum, 1 by reading the data; mismatch: true
	// checksum differs: events/part-0001.jsonl (manifest CRC64NVME:8TXGq5gr5G0=, computed from the data read back CRC64NVME:DluItNZr3NM=)
	// etag differs: events/part-0001.jsonl (manifest 6e5e8ff9e6172e989513e4a2f980e643-1, store ed08912feee496874a8d8c3e2db59cb4)
}
