package success_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/memstore"
	"github.com/s3commit/s3commit/success"
)

// A job commit builds the manifest, encodes it, and a reader decodes and
// prints it.
func Example() {
	d := success.New("directory", "job-42")
	// Fixed values so that the output below stays the same.
	d.Timestamp, d.Date, d.Hostname = 1763779800000, "Sat Nov 22 02:50:00 UTC 2025", "driver-0"
	d.AddFile(success.File{Key: "events/part-0000-job-42.jsonl", Size: 2048, ETag: "5d41402abc4b2a76b9719d911017c592",
		ChecksumAlgorithm: "CRC64NVME", Checksum: "u5UAAsB1+QY="})
	d.AddFile(success.File{Key: "events/part-0001-job-42.jsonl", Size: 1024, ETag: "7d793037a0760186574b0282f2f435e7",
		ChecksumAlgorithm: "CRC64NVME", Checksum: "x2M3iwnXxSk="})
	d.Metrics["files"] = 2
	d.Metrics["bytes"] = 3072
	d.IOStatistics.Counters["upload_complete"] = 2
	d.IOStatistics.MeanStatistics["upload_complete.mean"] = success.MeanStatistic{Samples: 2, Sum: 50}

	var buf bytes.Buffer
	if err := d.Encode(&buf); err != nil {
		fmt.Println(err)
		return
	}
	read, err := success.Decode(&buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := success.Print(os.Stdout, read); err != nil {
		fmt.Println(err)
	}
	// Output:
	// _SUCCESS manifest written by s3commit
	//   name:         org.apache.hadoop.fs.s3a.commit.files.SuccessData/1
	//   committer:    directory
	//   job ID:       job-42 (source: s3commit)
	//   success:      true
	//   date:         Sat Nov 22 02:50:00 UTC 2025 (timestamp 1763779800000 = 2025-11-22T02:50:00.000Z)
	//   host:         driver-0
	//   description:  -
	//
	// metrics (2)
	//   bytes  3072
	//   files  2
	//
	// iostatistics
	//   counters (1)
	//     upload_complete  2
	//   gauges: none
	//   minimums: none
	//   maximums: none
	//   mean statistics (1)
	//     upload_complete.mean  mean 25.0000 = 50/2
	//
	// diagnostics: none
	//
	// files (2, 3072 bytes)
	//   events/part-0000-job-42.jsonl  2048  5d41402abc4b2a76b9719d911017c592  CRC64NVME:u5UAAsB1+QY=
	//   events/part-0001-job-42.jsonl  1024  7d793037a0760186574b0282f2f435e7  CRC64NVME:x2M3iwnXxSk=
}

// Write stores the manifest in the destination; Read loads it back and
// Verify checks the destination against it.
func ExampleVerify() {
	ctx := context.Background()
	store := memstore.New("lake")
	put := func(key, data string) success.File {
		etag, err := store.PutObject(ctx, key, strings.NewReader(data), int64(len(data)), multipart.PutOptions{})
		if err != nil {
			panic(err)
		}
		return success.File{Key: key, Size: int64(len(data)), ETag: etag}
	}

	d := success.New("directory", "job-42")
	d.AddFile(put("events/part-0000.jsonl", "{\"id\":1}\n"))
	d.AddFile(put("events/part-0001.jsonl", "{\"id\":2}\n"))
	if err := success.Write(ctx, store, "events/_SUCCESS", d); err != nil {
		fmt.Println(err)
		return
	}

	read, err := success.Read(ctx, store, "events/_SUCCESS")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("verify:", success.Verify(ctx, store, "events", read))

	// Someone adds a file and rewrites another.
	put("events/stray.jsonl", "{}\n")
	put("events/part-0001.jsonl", "{\"id\":3}\n")
	err = success.Verify(ctx, store, "events", read)
	var ve *success.VerifyError
	if errors.As(err, &ve) {
		for _, diff := range ve.Differences {
			fmt.Println(diff.Kind+":", diff.Key)
		}
	}
	// Output:
	// verify: <nil>
	// etag differs: events/part-0001.jsonl
	// extra: events/stray.jsonl
}
