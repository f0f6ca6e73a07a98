package readme_test

// Every Go snippet of README.md appears in this file, whitespace aside
// (TestREADMESnippets checks it). The Examples run the snippets against
// memstore where they can and check their output; those that need a real
// S3 endpoint are compiled only.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/awsstore"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/multipart/memstore"
	"github.com/s3commit/s3commit/pendingset"
	"github.com/s3commit/s3commit/staging"
	"github.com/s3commit/s3commit/success"
)

// README: the first screen.

// writeReport is a whole job in one process: set up, one task, commit.
func writeReport(ctx context.Context, store multipart.Store, dir string) error {
	c, err := staging.New(store, staging.Options{
		StagingDir:  filepath.Join(dir, "staging"), // shared by the driver and every task
		BufferDir:   filepath.Join(dir, "buffer"),  // where task attempts write their files
		Destination: "reports/daily",               // key prefix in the store's bucket
	})
	if err != nil {
		return err
	}
	job, err := c.SetupJob(ctx, "report-20261122") // the driver; "" for a UUID
	if err != nil {
		return err
	}
	task, err := job.SetupTask(ctx, "task-0", 0) // task-0, attempt 0, in any process
	if err != nil {
		return err
	}
	f, err := task.Create("part-0000.csv")
	if err != nil {
		return err
	}
	fmt.Fprintln(f, "day,visits\n2026-11-22,1234")
	if err := f.Close(); err != nil {
		return err
	}
	if err := task.CommitTask(ctx); err != nil { // uploaded, nothing visible yet
		return err
	}
	return job.CommitJob(ctx) // the file becomes visible, then _SUCCESS
}

// The README's first snippet, run on memstore.
func Example() {
	ctx := context.Background()
	dir := tempDir()
	defer os.RemoveAll(dir)

	store := memstore.New("lake")
	if err := writeReport(ctx, store, dir); err != nil {
		log.Fatal(err)
	}
	for obj, err := range store.ListObjects(ctx, "reports/") {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(obj.Key)
	}
	// Output:
	// reports/daily/_SUCCESS
	// reports/daily/part-0000-report-20261122.csv
}

// README: "A job across processes".

// setupJob is the driver's first step. It records the job in the staging
// dir and returns its ID, which every task needs.
func setupJob(ctx context.Context, c *staging.Committer) (string, error) {
	job, err := c.SetupJob(ctx, "") // a new UUID
	if err != nil {
		return "", err
	}
	return job.ID(), nil
}

// runTask is one attempt of one task, in a process of its own (a pod) with
// a Committer on the same staging dir. A failed attempt is run again with
// the next attempt number.
func runTask(ctx context.Context, c *staging.Committer, jobID string, index, attempt int, lines []string) error {
	job, err := c.OpenJob(ctx, jobID) // the job record supplies destination, mode, conflict
	if err != nil {
		return err
	}
	task, err := job.SetupTask(ctx, fmt.Sprintf("task-%05d", index), attempt)
	if err != nil {
		return err
	}
	f, err := task.Create(fmt.Sprintf("dt=2026-11-22/part-%05d.jsonl", index))
	if err != nil {
		return err
	}
	for _, line := range lines {
		fmt.Fprintln(f, line)
	}
	if err := f.Close(); err != nil {
		return err
	}
	err = task.CommitTask(ctx) // uploads every file, publishes the pendingset
	if errors.Is(err, committer.ErrTaskCommitted) {
		return task.AbortTask(ctx) // an earlier attempt of this task won; drop this one
	}
	return err
}

// finishJob is the driver's last step, once every task has committed (or
// one has failed for good).
func finishJob(ctx context.Context, c *staging.Committer, jobID string, tasksOK bool) error {
	job, err := c.OpenJob(ctx, jobID)
	if err != nil {
		return err
	}
	if !tasksOK {
		return job.AbortJob(ctx) // nothing visible, no upload left
	}
	return job.CommitJob(ctx) // every file visible, _SUCCESS last; resumes if interrupted
}

// README: "Reading a job's output".

// committedFiles returns the files of the job committed at dest, after
// checking that dest holds exactly those.
func committedFiles(ctx context.Context, store multipart.Store, dest string) ([]success.File, error) {
	manifest, err := success.Read(ctx, store, dest+"/"+staging.SuccessMarker)
	if err != nil {
		return nil, err // multipart.ErrNotFound: no job has committed there (yet)
	}
	if err := success.Verify(ctx, store, dest, manifest); err != nil {
		return nil, err // success.ErrMismatch: objects missing, changed or extra
	}
	return manifest.Files, nil
}

// A driver and two tasks, as separate processes would run them: task 1's
// first attempt commits, its second attempt (run as if the driver had
// missed the first one's answer) loses and drops its output.
func Example_jobAcrossProcesses() {
	ctx := context.Background()
	dir := tempDir()
	defer os.RemoveAll(dir)
	store := memstore.New("lake")
	newCommitter := func(buffer string) *staging.Committer {
		c, err := staging.New(store, staging.Options{
			StagingDir:  filepath.Join(dir, "staging"),
			BufferDir:   filepath.Join(dir, buffer),
			Destination: "warehouse/events",
			Mode:        committer.ModePartitioned,
		})
		if err != nil {
			log.Fatal(err)
		}
		return c
	}

	driver := newCommitter("driver")
	jobID, err := setupJob(ctx, driver)
	if err != nil {
		log.Fatal(err)
	}
	for _, run := range []struct{ index, attempt int }{{0, 0}, {1, 0}, {1, 1}} {
		worker := newCommitter(fmt.Sprintf("worker-%d-%d", run.index, run.attempt))
		line := fmt.Sprintf(`{"id":"e%d","attempt":%d}`, run.index, run.attempt)
		if err := runTask(ctx, worker, jobID, run.index, run.attempt, []string{line}); err != nil {
			log.Fatal(err)
		}
	}
	if err := finishJob(ctx, driver, jobID, true); err != nil {
		log.Fatal(err)
	}

	files, err := committedFiles(ctx, store, "warehouse/events")
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range files {
		r, _, err := store.GetObject(ctx, f.Key)
		if err != nil {
			log.Fatal(err)
		}
		body, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s %s", strings.ReplaceAll(f.Key, jobID, "JOBID"), body)
	}
	// Output:
	// warehouse/events/dt=2026-11-22/part-00000-JOBID.jsonl {"id":"e0","attempt":0}
	// warehouse/events/dt=2026-11-22/part-00001-JOBID.jsonl {"id":"e1","attempt":0}
}

// README: "Connecting to a store". Compiled only: it needs an endpoint.

// openStore connects to one bucket of an S3-compatible store. Credentials
// come from the standard AWS chain (AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity, instance roles).
func openStore(ctx context.Context) (*awsstore.Store, error) {
	return awsstore.New(ctx, awsstore.Options{
		Bucket:       "lake",
		EndpointURL:  "http://127.0.0.1:9000", // MinIO, FlashBlade, …; "" for AWS S3
		UsePathStyle: true,                    // MinIO, FlashBlade, versitygw
		// Checksums: awsstore.ChecksumWhenRequired is the default; AWS S3
		// also takes awsstore.ChecksumWhenSupported.
	})
}

// openStore needs a server, so this Example has no output and does not
// run; it keeps the README's snippet compiling.
func Example_openStore() {
	store, err := openStore(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(store.Bucket())
}

// README: "Options".

// Every staging.Options field the README's table lists, set.
func Example_options() {
	opts := staging.Options{
		StagingDir:        "/shared/staging",  // required; shared by the driver and every task
		BufferDir:         "/local/buffer",    // default: $TMPDIR/s3commit-buffer-<uid>, private
		Destination:       "warehouse/events", // required; key prefix in the bucket
		Mode:              committer.ModePartitioned,
		Conflict:          committer.ConflictReplace,
		PartSize:          128 << 20, // default 64 MiB
		UploadConcurrency: 32,        // default 16
		CommitConcurrency: 64,        // default 32
		Retry:             multipart.RetryPolicy{MaxAttempts: 8},
		Logger:            slog.Default(),
		Progress: func(p staging.Progress) {
			log.Printf("%s: %d of %d", p.Phase, p.Done, p.Total)
		},
	}
	_, err := staging.New(memstore.New("lake"), opts)
	fmt.Println("valid:", err == nil)
	// Output:
	// valid: true
}

// README: "Small files: deferred PUTs" and "Uploads at Close".
func Example_deferredPutsAndUploadsAtClose() {
	opts := staging.Options{StagingDir: "/shared/staging", Destination: "warehouse/events"}
	opts.BufferDir = "/shared/buffer"   // the same path in the driver and every task
	opts.DeferredPutThreshold = 1 << 20 // files of up to 1 MiB
	opts.UploadAtClose = true
	_, err := staging.New(memstore.New("lake"), opts)
	fmt.Println("valid:", err == nil)
	// Output:
	// valid: true
}

// README: "Uploading a file as a pending upload".

// uploadPending uploads a local file as an uncompleted multipart upload.
func uploadPending(ctx context.Context, store multipart.Store, path string) (*pendingset.Upload, error) {
	uploader, err := multipart.NewUploader(store, multipart.UploaderOptions{})
	if err != nil {
		return nil, err
	}
	// Nothing is visible after this. The record (Hadoop's SinglePendingCommit)
	// holds the upload ID and part ETags that complete or abort the upload
	// later, from any process.
	uploaded, err := uploader.UploadFile(ctx, path, "events/part-0000.jsonl")
	if err != nil {
		return nil, err
	}
	return pendingset.UploadOf(uploaded), nil
}

// uploadPending on memstore: the upload exists, the object does not.
func Example_uploadPending() {
	ctx := context.Background()
	dir := tempDir()
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "part-0000.jsonl")
	if err := os.WriteFile(path, []byte(`{"id":"e1"}`+"\n"), 0o644); err != nil {
		log.Fatal(err)
	}

	store := memstore.New("lake")
	pending, err := uploadPending(ctx, store, path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(pending.Key, "parts:", len(pending.ETags), "bytes:", pending.Length)
	_, err = store.HeadObject(ctx, pending.Key)
	fmt.Println("visible:", !errors.Is(err, multipart.ErrNotFound))
	// Output:
	// events/part-0000.jsonl parts: 1 bytes: 12
	// visible: false
}

// README: "Testing your own code".

// A store that fails the second completion with a permanent error: the job
// commit fails and reverts, leaving nothing of the job in the store.
func Example_faultstore() {
	ctx := context.Background()
	dir := tempDir()
	defer os.RemoveAll(dir)

	store := faultstore.New(memstore.New("lake"),
		faultstore.FailNth(faultstore.OpCompleteUpload, 2, multipart.ErrAccessDenied))

	c, err := staging.New(store, staging.Options{StagingDir: dir + "/staging", BufferDir: dir + "/buffer", Destination: "out"})
	if err != nil {
		log.Fatal(err)
	}
	jobID, err := setupJob(ctx, c)
	if err != nil {
		log.Fatal(err)
	}
	for i := range 3 {
		if err := runTask(ctx, c, jobID, i, 0, []string{"x"}); err != nil {
			log.Fatal(err)
		}
	}
	err = finishJob(ctx, c, jobID, true)
	fmt.Println("access denied:", errors.Is(err, multipart.ErrAccessDenied))
	left := 0
	for range store.ListObjects(ctx, "out/") {
		left++
	}
	for range store.ListUploads(ctx, "") {
		left++
	}
	fmt.Println("objects and uploads left:", left)
	// Output:
	// access denied: true
	// objects and uploads left: 0
}

// tempDir makes a fresh directory for an Example's staging and buffer dirs.
func tempDir() string {
	dir, err := os.MkdirTemp("", "s3commit-readme-")
	if err != nil {
		log.Fatal(err)
	}
	return dir
}
