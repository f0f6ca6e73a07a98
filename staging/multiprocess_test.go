//go:build unix

package staging_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/internal/testserver"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/awsstore"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/staging"
	"github.com/s3commit/s3commit/success"
)

// workerEnv is the environment variable that makes the test binary a
// worker process of TestMultiProcess: its value is the worker's settings.
const workerEnv = "S3COMMIT_STAGING_TEST_WORKER"

// workerConfig is what a worker process is told, through workerEnv.
type workerConfig struct {
	Endpoint, Region, AccessKeyID, SecretAccessKey, Bucket string
	StagingDir, BufferDir, JobID, TaskID                   string
	Attempt, Files, Size                                   int
	SlowParts                                              time.Duration
}

func (w workerConfig) encode() string {
	return strings.Join([]string{w.Endpoint, w.Region, w.AccessKeyID, w.SecretAccessKey, w.Bucket,
		w.StagingDir, w.BufferDir, w.JobID, w.TaskID,
		strconv.Itoa(w.Attempt), strconv.Itoa(w.Files), strconv.Itoa(w.Size), w.SlowParts.String()}, "\n")
}

func decodeWorker(s string) (workerConfig, error) {
	f := strings.Split(s, "\n")
	if len(f) != 13 {
		return workerConfig{}, fmt.Errorf("worker settings have %d fields, want 13", len(f))
	}
	w := workerConfig{Endpoint: f[0], Region: f[1], AccessKeyID: f[2], SecretAccessKey: f[3], Bucket: f[4],
		StagingDir: f[5], BufferDir: f[6], JobID: f[7], TaskID: f[8]}
	var err [4]error
	w.Attempt, err[0] = strconv.Atoi(f[9])
	w.Files, err[1] = strconv.Atoi(f[10])
	w.Size, err[2] = strconv.Atoi(f[11])
	w.SlowParts, err[3] = time.ParseDuration(f[12])
	for _, e := range err {
		if e != nil {
			return w, e
		}
	}
	return w, nil
}

// workerContent is the content of a file a worker writes.
func workerContent(task string, attempt, file, size int) []byte {
	line := fmt.Sprintf("task %s attempt %d file %d\n", task, attempt, file)
	return bytes.Repeat([]byte(line), size/len(line)+1)[:size]
}

func workerRel(task string, file int) string {
	return fmt.Sprintf("%s/part-%04d.txt", task, file)
}

func minioStore(t testing.TB, endpoint, region, ak, sk, bucket string) multipart.Store {
	t.Helper()
	st, err := awsstore.New(context.Background(), awsstore.Options{
		Bucket:       bucket,
		EndpointURL:  endpoint,
		Region:       region,
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(ak, sk, ""),
	})
	require.NoError(t, err)
	return st
}

// TestWorkerProcess is a task attempt in a process of its own, run by
// TestMultiProcess; it is skipped otherwise.
func TestWorkerProcess(t *testing.T) {
	settings := os.Getenv(workerEnv)
	if settings == "" {
		t.Skip("runs only as a worker process of TestMultiProcess")
	}
	w, err := decodeWorker(settings)
	require.NoError(t, err)
	var store multipart.Store = minioStore(t, w.Endpoint, w.Region, w.AccessKeyID, w.SecretAccessKey, w.Bucket)
	if w.SlowParts > 0 {
		store = faultstore.New(store, faultstore.Slow(faultstore.OpUploadPart, w.SlowParts))
	}
	c, err := staging.New(store, staging.Options{StagingDir: w.StagingDir, BufferDir: w.BufferDir, Destination: "set-by-the-job-record"})
	require.NoError(t, err)
	ctx := context.Background()
	j, err := c.OpenJob(ctx, w.JobID)
	require.NoError(t, err)
	a, err := j.SetupTask(ctx, w.TaskID, w.Attempt)
	require.NoError(t, err)
	for i := range w.Files {
		f, err := a.Create(workerRel(w.TaskID, i))
		require.NoError(t, err)
		_, err = f.Write(workerContent(w.TaskID, w.Attempt, i, w.Size))
		require.NoError(t, err)
		require.NoError(t, f.Close())
	}
	require.NoError(t, a.CommitTask(ctx))
}

// TestMultiProcess runs task attempts in separate processes against
// MinIO, with the staging dir in a directory they share, and with no
// shared directory at all (the staging dir in the bucket; every process
// has a buffer dir of its own). One worker is killed with SIGKILL in the
// middle of its task commit, after it created uploads; its task is retried
// as a new attempt. The driver commits, and the invariants hold: exactly
// the committed attempts' files with their bytes, no upload left, a
// _SUCCESS that lists exactly the files, no record left.
func TestMultiProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes and MinIO")
	}
	t.Run("shared directory", func(t *testing.T) { testMultiProcess(t, false) })
	t.Run("no shared directory", func(t *testing.T) { testMultiProcess(t, true) })
}

func testMultiProcess(t *testing.T, inStore bool) {
	srv := testserver.MinIO(t)
	bucket := srv.CreateBucket(t)
	store := minioStore(t, srv.Endpoint, srv.Region, srv.AccessKeyID, srv.SecretAccessKey, bucket)
	ctx := context.Background()
	stagingDir := t.TempDir()
	if inStore {
		stagingDir = "s3://" + bucket + "/_staging"
	}
	const dest = "multiprocess/out"
	c, err := staging.New(store, staging.Options{
		StagingDir: stagingDir, BufferDir: t.TempDir(), Destination: dest,
		Mode: committer.ModePartitioned, PartSize: multipart.MinPartSize,
	})
	require.NoError(t, err)
	j, err := c.SetupJob(ctx, "")
	require.NoError(t, err)

	base := workerConfig{Endpoint: srv.Endpoint, Region: srv.Region, AccessKeyID: srv.AccessKeyID,
		SecretAccessKey: srv.SecretAccessKey, Bucket: bucket, StagingDir: stagingDir, JobID: j.ID()}
	start := func(task string, attempt, files, size int, slow time.Duration) (*exec.Cmd, *bytes.Buffer) {
		w := base
		w.BufferDir = t.TempDir() // each worker on a machine of its own
		w.TaskID, w.Attempt, w.Files, w.Size, w.SlowParts = task, attempt, files, size, slow
		cmd := exec.Command(os.Args[0], "-test.run=^TestWorkerProcess$", "-test.v")
		cmd.Env = append(os.Environ(), workerEnv+"="+w.encode())
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		require.NoError(t, cmd.Start())
		return cmd, &out
	}

	const bigSize = int(multipart.MinPartSize) + 1<<20 // two parts
	type worker struct {
		cmd *exec.Cmd
		out *bytes.Buffer
	}
	var workers []worker
	for i := range 3 {
		cmd, out := start(fmt.Sprintf("task-%d", i), 0, 2, 1000*(i+1), 0)
		workers = append(workers, worker{cmd, out})
	}
	victim, victimOut := start("task-3", 0, 3, bigSize, 2*time.Second)

	// Kill the victim once it has created an upload (its intent record
	// names an upload ID; in the store, the upload is listed at its key)
	// and before it could publish its pendingset.
	intents := filepath.Join(stagingDir, j.ID(), "attempts", "task-3_0.intents")
	require.Eventually(t, func() bool {
		if inStore {
			return len(uploadsAt(t, store, dest, j.ID(), "task-3", 3)) > 0
		}
		data, err := os.ReadFile(intents)
		return err == nil && bytes.Contains(data, []byte(`"uploadId"`))
	}, 60*time.Second, 10*time.Millisecond, "the victim creates uploads; its output:\n%s", victimOut)
	require.NoError(t, victim.Process.Signal(syscall.SIGKILL))
	err = victim.Wait()
	require.Error(t, err, "the victim was killed")
	if inStore {
		_, err := store.HeadObject(ctx, "_staging/"+j.ID()+"/tasks/task-3.pendingset")
		require.ErrorIs(t, err, multipart.ErrNotFound, "killed before publishing")
		_, err = store.HeadObject(ctx, "_staging/"+j.ID()+"/attempts/task-3_0.intents")
		require.NoError(t, err, "the planned keys were recorded before the first upload")
	} else {
		assert.NoFileExists(t, staging.PendingSetPath(stagingDir, j.ID(), "task-3"), "killed before publishing")
	}
	leaked := uploadsAt(t, store, dest, j.ID(), "task-3", 3)
	require.NotEmpty(t, leaked, "the killed attempt left uploads")

	for _, w := range workers {
		require.NoError(t, w.cmd.Wait(), "worker output:\n%s", w.out)
	}
	retry, retryOut := start("task-3", 1, 3, bigSize, 0)
	require.NoError(t, retry.Wait(), "retried attempt output:\n%s", retryOut)

	require.NoError(t, j.CommitJob(ctx))

	// Invariant 2: exactly the committed attempts' files, exact bytes.
	want := map[string][]byte{}
	for i := range 3 {
		task := fmt.Sprintf("task-%d", i)
		for f := range 2 {
			want[committer.DestinationKey(dest, workerRel(task, f), j.ID(), true)] = workerContent(task, 0, f, 1000*(i+1))
		}
	}
	for f := range 3 {
		want[committer.DestinationKey(dest, workerRel("task-3", f), j.ID(), true)] = workerContent("task-3", 1, f, bigSize)
	}
	got := map[string][]byte{}
	for obj, err := range store.ListObjects(ctx, dest+"/") {
		require.NoError(t, err)
		if strings.HasSuffix(obj.Key, "/"+staging.SuccessMarker) {
			continue
		}
		rc, _, err := store.GetObject(ctx, obj.Key)
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		got[obj.Key] = b
	}
	require.Equal(t, len(want), len(got), "objects under the destination")
	for k, v := range want {
		assert.True(t, bytes.Equal(v, got[k]), "content of %s", k)
	}
	assert.Empty(t, uploadsAt(t, store, dest, j.ID(), "task-3", 3), "the killed attempt's uploads are aborted")
	for i := range 3 {
		assert.Empty(t, uploadsAt(t, store, dest, j.ID(), fmt.Sprintf("task-%d", i), 2))
	}
	d, err := success.Read(ctx, store, dest+"/"+staging.SuccessMarker)
	require.NoError(t, err)
	require.NoError(t, success.Verify(ctx, store, dest, d))
	assert.Len(t, d.Files, len(want))
	if inStore {
		var left []string
		for obj, err := range store.ListObjects(ctx, "_staging/") {
			require.NoError(t, err)
			left = append(left, obj.Key)
		}
		assert.Empty(t, left, "no record is left in the store")
	} else {
		assert.NoDirExists(t, filepath.Join(stagingDir, j.ID()))
	}
}

// uploadsAt lists the uploads at the exact keys of a task's files (MinIO
// lists uploads by exact key only).
func uploadsAt(t *testing.T, store multipart.Store, dest, jobID, task string, files int) []string {
	t.Helper()
	var out []string
	for f := range files {
		key := committer.DestinationKey(dest, workerRel(task, f), jobID, true)
		for up, err := range store.ListUploads(context.Background(), key) {
			require.NoError(t, err)
			if up.Key == key {
				out = append(out, key+" "+up.UploadID)
			}
		}
	}
	return out
}
