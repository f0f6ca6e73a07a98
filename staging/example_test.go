package staging_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart/memstore"
	"github.com/s3commit/s3commit/staging"
	"github.com/s3commit/s3commit/success"
)

// A complete job: the driver sets it up, two tasks write and commit their
// files (here in the same process; normally each in its own, opening the
// job with OpenJob), the driver commits the job and reads _SUCCESS.
func Example() {
	ctx := context.Background()
	store := memstore.New("lake") // any multipart.Store: awsstore, miniostore, …
	dir, err := os.MkdirTemp("", "s3commit-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	c, err := staging.New(store, staging.Options{
		StagingDir:  dir + "/staging", // shared by the driver and every task
		BufferDir:   dir + "/buffer",  // local to each task
		Destination: "warehouse/events",
		Mode:        committer.ModePartitioned,
	})
	if err != nil {
		log.Fatal(err)
	}
	job, err := c.SetupJob(ctx, "job-2026-11-22") // "" for a UUID
	if err != nil {
		log.Fatal(err)
	}

	for i, day := range []string{"day=21", "day=22"} {
		task, err := job.SetupTask(ctx, fmt.Sprintf("task-%d", i), 0)
		if err != nil {
			log.Fatal(err)
		}
		f, err := task.Create(day + "/part-0000.jsonl")
		if err != nil {
			log.Fatal(err)
		}
		fmt.Fprintf(f, "{\"day\": %q}\n", day)
		if err := f.Close(); err != nil {
			log.Fatal(err)
		}
		if err := task.CommitTask(ctx); err != nil {
			log.Fatal(err)
		}
	}

	if err := job.CommitJob(ctx); err != nil {
		log.Fatal(err)
	}
	manifest, err := success.Read(ctx, store, "warehouse/events/"+staging.SuccessMarker)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("committer:", manifest.Committer, "job:", manifest.JobID)
	for _, f := range manifest.Files {
		fmt.Println(f.Key, f.Size)
	}
	fmt.Println("verified:", success.Verify(ctx, store, "warehouse/events", manifest) == nil)
	// Output:
	// committer: partitioned job: job-2026-11-22
	// warehouse/events/day=21/part-0000-job-2026-11-22.jsonl 18
	// warehouse/events/day=22/part-0000-job-2026-11-22.jsonl 18
	// verified: true
}

// A worker process opens a job that the driver set up, knowing only the
// staging dir, the job ID and a store: the job record supplies the
// destination, mode and conflict mode. A task that fails for good is
// aborted; the job's driver can abort the whole job, which leaves nothing.
func ExampleCommitter_OpenJob() {
	ctx := context.Background()
	store := memstore.New("lake")
	dir, err := os.MkdirTemp("", "s3commit-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// The driver.
	driver, err := staging.New(store, staging.Options{StagingDir: dir + "/staging", Destination: "out"})
	if err != nil {
		log.Fatal(err)
	}
	job, err := driver.SetupJob(ctx, "nightly-42")
	if err != nil {
		log.Fatal(err)
	}

	// A worker, in another process with its own options.
	worker, err := staging.New(store, staging.Options{StagingDir: dir + "/staging", BufferDir: dir + "/worker", Destination: "ignored"})
	if err != nil {
		log.Fatal(err)
	}
	wjob, err := worker.OpenJob(ctx, "nightly-42")
	if err != nil {
		log.Fatal(err)
	}
	task, err := wjob.SetupTask(ctx, "task-7", 0)
	if err != nil {
		log.Fatal(err)
	}
	// Writers that want a path use Dir.
	if err := os.WriteFile(task.Dir()+"/part-0007.csv", []byte("a,b\n"), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := task.CommitTask(ctx); err != nil {
		log.Fatal(err)
	}

	// The driver gives up: nothing of the job stays in the store.
	if err := job.AbortJob(ctx); err != nil {
		log.Fatal(err)
	}
	n := 0
	for range store.ListObjects(ctx, "out/") {
		n++
	}
	for range store.ListUploads(ctx, "out/part-0007-nightly-42.csv") {
		n++
	}
	fmt.Println("objects and uploads left:", n)
	// Output:
	// objects and uploads left: 0
}
