package committer_test

import (
	"fmt"

	"github.com/s3commit/s3commit/committer"
)

// CutJobID takes back out the job ID that unique filenames put into a key.
func ExampleCutJobID() {
	key := committer.DestinationKey("out", "dt=2026-11-01/part-0000.snappy.parquet", "job-1", true)
	fmt.Println(key)
	fmt.Println(committer.CutJobID(key, "job-1"))
	fmt.Println(committer.CutJobID(key, "job-2"))
	// Output:
	// out/dt=2026-11-01/part-0000-job-1.snappy.parquet
	// out/dt=2026-11-01/part-0000.snappy.parquet true
	// out/dt=2026-11-01/part-0000-job-1.snappy.parquet false
}

// Task commit leaves out files whose own name is hidden.
func ExampleIsHidden() {
	for _, name := range []string{"part-0000.csv", "_SUCCESS", ".part-0000.csv.crc"} {
		fmt.Println(name, committer.IsHidden(name))
	}
	// Output:
	// part-0000.csv false
	// _SUCCESS true
	// .part-0000.csv.crc true
}
