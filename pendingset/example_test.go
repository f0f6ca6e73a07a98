package pendingset_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/s3commit/s3commit/pendingset"
)

func ExampleDecodeSet() {
	// A pendingset as Hadoop 3.4's staging committer writes it: quoted
	// ETags, plus fields (filename, partCount, iostatistics) that readers
	// ignore.
	const data = `{
  "version" : 3,
  "jobId" : "c0ffee00-1234-4abc-8def-000000000042",
  "commits" : [ {
    "version" : 2,
    "filename" : null,
    "uri" : "s3a://warehouse/sales/part-00000.csv",
    "uploadId" : "upload-1",
    "bucket" : "warehouse",
    "destinationKey" : "sales/part-00000.csv",
    "created" : 1730840973777,
    "saved" : 1730840973777,
    "date" : "Tue Nov 05 21:09:33 UTC 2024",
    "jobId" : "c0ffee00-1234-4abc-8def-000000000042",
    "taskId" : "attempt_202411052109_0007_r_000000_1",
    "text" : "",
    "etags" : [ "\"9b2cf535f27731c974343645a3985328\"", "\"c4ca4238a0b923820dcc509a6f75849b\"" ],
    "extraData" : { },
    "iostatistics" : { "counters" : { }, "gauges" : { }, "minimums" : { }, "maximums" : { }, "meanstatistics" : { } },
    "length" : 73400320,
    "partCount" : 2
  } ],
  "extraData" : {
    "task.attempt.id" : "attempt_202411052109_0007_r_000000_1"
  }
}`
	set, err := pendingset.DecodeSet(strings.NewReader(data))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("job:", set.JobID)
	fmt.Println("attempt:", set.ExtraData[pendingset.TaskAttemptIDKey])
	for _, c := range set.Commits {
		fmt.Printf("s3://%s/%s upload %s, %d bytes, created %s\n",
			c.Bucket, c.Key, c.UploadID, c.Length, c.CreatedTime().Format(time.RFC3339))
		for _, part := range c.Parts() {
			fmt.Printf("  part %d: %s\n", part.Number, part.ETag)
		}
	}
	// Output:
	// job: c0ffee00-1234-4abc-8def-000000000042
	// attempt: attempt_202411052109_0007_r_000000_1
	// s3://warehouse/sales/part-00000.csv upload upload-1, 73400320 bytes, created 2024-11-05T21:09:33Z
	//   part 1: 9b2cf535f27731c974343645a3985328
	//   part 2: c4ca4238a0b923820dcc509a6f75849b
}

func ExampleSet_Encode() {
	created := time.Date(2024, 5, 1, 10, 15, 42, 0, time.UTC)
	upload := pendingset.NewUpload("lake", "events/part-00000.json", "upload-1",
		[]string{`"5d41402abc4b2a76b9719d911017c592"`}, 1024, created)
	set := pendingset.NewSet("job-1", []pendingset.Upload{*upload})
	set.ExtraData = map[string]string{pendingset.TaskAttemptIDKey: "attempt_1"}
	if err := set.Encode(os.Stdout); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {
	//   "version": 3,
	//   "jobId": "job-1",
	//   "commits": [
	//     {
	//       "version": 2,
	//       "uri": "s3a://lake/events/part-00000.json",
	//       "uploadId": "upload-1",
	//       "bucket": "lake",
	//       "destinationKey": "events/part-00000.json",
	//       "created": 1714558542000,
	//       "saved": 1714558542000,
	//       "date": "Wed May 01 10:15:42 UTC 2024",
	//       "jobId": "",
	//       "taskId": "",
	//       "text": "",
	//       "etags": [
	//         "5d41402abc4b2a76b9719d911017c592"
	//       ],
	//       "extraData": {},
	//       "length": 1024
	//     }
	//   ],
	//   "extraData": {
	//     "task.attempt.id": "attempt_1"
	//   }
	// }
}
