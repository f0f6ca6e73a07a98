package datajob

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/internal/testserver"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/staging"
	"github.com/s3commit/s3commit/success"
)

// asCommandEnv makes the test binary run Main with its arguments instead
// of the tests: the tests start it as the datajob command, and the run
// subcommand re-executes it (os.Executable) for its worker processes,
// which inherit the variable. Workers thus run under the race detector
// too.
const asCommandEnv = "DATAJOB_TEST_AS_COMMAND"

func TestMain(m *testing.M) {
	if os.Getenv(asCommandEnv) == "1" {
		// As examples/datajob/main.go does.
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	testserver.Run(m)
}

// stagingHome is where a test job keeps its staging dir.
type stagingHome string

const (
	// homeDir is a local directory, which the processes of the job
	// share as pods share a volume.
	homeDir stagingHome = "dir"
	// homeBucket is s3://<the output's bucket>/_staging.
	homeBucket stagingHome = "bucket"
	// homeOtherBucket is s3://<a bucket of its own>/staging/jobs: the job
	// makes a second store for it.
	homeOtherBucket stagingHome = "other-bucket"
)

// stagingHomes are the homes the end-to-end tests run the job with.
var stagingHomes = []stagingHome{homeDir, homeBucket, homeOtherBucket}

// env is a job's environment in a test: a MinIO bucket, a staging dir
// (a directory, or a prefix of a bucket) and a buffer dir.
type env struct {
	srv        *testserver.Server
	bucket     string
	stagingDir string // a directory, or s3://BUCKET/PREFIX
	bufferDir  string
	store      multipart.Store
	// stagingStore and stagingPrefix are the bucket and prefix of a
	// staging dir in the store; nil and "" for a directory.
	stagingStore  multipart.Store
	stagingPrefix string
}

// newEnv returns an environment with the staging dir in a directory.
func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvIn(t, homeDir)
}

// newEnvIn returns an environment with the staging dir in home.
func newEnvIn(t *testing.T, home stagingHome) *env {
	t.Helper()
	srv := testserver.MinIO(t)
	bucket := srv.CreateBucket(t)
	e := &env{srv: srv, bucket: bucket, stagingDir: t.TempDir(), bufferDir: t.TempDir(), store: srv.Store(t, bucket)}
	switch home {
	case homeDir:
	case homeBucket:
		e.stagingStore, e.stagingPrefix = e.store, "_staging"
		e.stagingDir = "s3://" + bucket + "/_staging"
	case homeOtherBucket:
		sb := srv.CreateBucket(t)
		require.NotEqual(t, bucket, sb)
		e.stagingStore, e.stagingPrefix = srv.Store(t, sb), "staging/jobs"
		e.stagingDir = "s3://" + sb + "/staging/jobs/"
	default:
		t.Fatalf("unknown staging home %q", home)
	}
	return e
}

// assertNoRecords checks that nothing of job jobID is left in a staging
// dir on a filesystem and that nothing at all is left under the prefix of
// a staging dir in the store.
func (e *env) assertNoRecords(t *testing.T, jobID string) {
	t.Helper()
	if e.stagingStore == nil {
		assert.NoDirExists(t, filepath.Join(e.stagingDir, jobID), "the job's staging dir is removed")
		return
	}
	for obj, err := range e.stagingStore.ListObjects(context.Background(), e.stagingPrefix+"/") {
		require.NoError(t, err)
		t.Errorf("record s3://%s/%s left in the staging dir", e.stagingStore.Bucket(), obj.Key)
	}
}

// flags returns the common flags of a job writing to prefix, in gzip
// JSON lines, whose exact bytes the tests compute (parquet_job_test.go
// runs the job in Parquet).
func (e *env) flags(prefix string) []string {
	return []string{"--dest", "s3://" + e.bucket + "/" + prefix,
		"--endpoint-url", e.srv.Endpoint, "--region", e.srv.Region, "--path-style",
		"--staging-dir", e.stagingDir, "--buffer-dir", e.bufferDir, "--format", "jsonl"}
}

// result is how a datajob process ended.
type result struct {
	code           int
	stdout, stderr string
}

// command runs the test binary as the datajob command with args, the
// server's credentials and the extra environment variables.
func (e *env) command(t *testing.T, extraEnv []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), asCommandEnv+"=1",
		"AWS_ACCESS_KEY_ID="+e.srv.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+e.srv.SecretAccessKey,
		"AWS_SESSION_TOKEN=", "AWS_PROFILE=", envTaskIndex+"=")
	cmd.Env = append(cmd.Env, extraEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		require.True(t, ok, "datajob %s: %v\n%s", args[0], err, stderr.String())
		r.code = ee.ExitCode()
	}
	t.Logf("datajob %s → exit %d\nstdout:\n%sstderr:\n%s", args[0], r.code, r.stdout, r.stderr)
	return r
}

// jobIDOf returns the job ID that a run printed.
func jobIDOf(t *testing.T, r result) string {
	t.Helper()
	for line := range strings.Lines(r.stdout) {
		if rest, ok := strings.CutPrefix(line, "committed job "); ok {
			id, _, _ := strings.Cut(rest, ":")
			return id
		}
	}
	t.Fatalf("no job ID in the output:\n%s", r.stdout)
	return ""
}

// outputRecord is a record as the test reads it back.
type outputRecord struct {
	Key  string
	Line string
	ID   string `json:"id"`
	TS   string `json:"ts"`
}

// readBack reads the committed output of job jobID under prefix through
// the store, independently of the verify subcommand, and checks it: the
// _SUCCESS manifest is the job's and lists exactly the objects under the
// prefix other than those in keep (objects of other jobs that must stay),
// no upload is pending at any key of the job nor under the prefix, and
// nothing of the job is left in the staging dir (nothing at all under the
// prefix of a staging dir in the store). It returns every record of the
// listed files.
func (e *env) readBack(t *testing.T, prefix, jobID string, keep map[string]bool) []outputRecord {
	t.Helper()
	ctx := context.Background()
	d, err := success.Read(ctx, e.store, prefix+"/"+staging.SuccessMarker)
	require.NoError(t, err)
	require.Equal(t, jobID, d.JobID)

	listed := map[string]bool{}
	for _, f := range d.Files {
		assert.False(t, listed[f.Key], "%s listed twice in _SUCCESS", f.Key)
		listed[f.Key] = true
		assert.Contains(t, f.Key, jobID, "unique file names")
	}
	stored := map[string]bool{}
	for obj, err := range e.store.ListObjects(ctx, prefix+"/") {
		require.NoError(t, err)
		if !strings.HasPrefix(path.Base(obj.Key), "_") && !keep[obj.Key] {
			stored[obj.Key] = true
		}
	}
	assert.Equal(t, listed, stored, "_SUCCESS lists exactly the objects under the prefix")

	for key := range listed {
		for up, err := range e.store.ListUploads(ctx, key) {
			require.NoError(t, err)
			assert.NotEqual(t, key, up.Key, "upload %s pending at %s", up.UploadID, key)
		}
	}
	for up, err := range e.store.ListUploads(ctx, prefix+"/") {
		require.NoError(t, err)
		t.Errorf("upload %s pending at %s", up.UploadID, up.Key)
	}
	e.assertNoRecords(t, jobID)

	var out []outputRecord
	for _, f := range d.Files {
		rc, _, err := e.store.GetObject(ctx, f.Key)
		require.NoError(t, err)
		if strings.HasSuffix(f.Key, ".parquet") {
			out = append(out, parquetRecords(t, f.Key, rc)...)
			require.NoError(t, rc.Close())
			continue
		}
		zr, err := gzip.NewReader(rc)
		require.NoError(t, err, f.Key)
		sc := bufio.NewScanner(zr)
		for sc.Scan() {
			rec := outputRecord{Key: f.Key, Line: sc.Text()}
			require.NoError(t, json.Unmarshal(sc.Bytes(), &rec), "%s: %s", f.Key, sc.Text())
			out = append(out, rec)
		}
		require.NoError(t, sc.Err())
		require.NoError(t, rc.Close())
	}
	return out
}

// assertExactlyOnce checks that got holds each record of want exactly
// once, with its content, in the file of its day's partition, and nothing
// else.
func assertExactlyOnce(t *testing.T, want map[string]string, got []outputRecord) {
	t.Helper()
	seen := map[string]int{}
	for _, r := range got {
		seen[r.ID]++
		line, ok := want[r.ID]
		if !assert.True(t, ok, "unexpected record %s in %s", r.ID, r.Key) {
			continue
		}
		assert.JSONEq(t, line, r.Line, "content of %s", r.ID)
		ts, err := time.Parse(time.RFC3339, r.TS)
		require.NoError(t, err)
		assert.Equal(t, "dt="+ts.UTC().Format("2006-01-02"), path.Base(path.Dir(r.Key)), "partition of %s", r.ID)
	}
	missing, dup := 0, 0
	for id := range want {
		switch seen[id] {
		case 0:
			missing++
		case 1:
		default:
			dup++
		}
	}
	assert.Zero(t, missing, "records missing")
	assert.Zero(t, dup, "records duplicated")
	assert.Len(t, got, len(want), "records in the output")
}

// syntheticWant returns the expected records of synthetic events.
func syntheticWant(seed int64, events, days int) map[string]string {
	want := map[string]string{}
	for n := range events {
		r := synthetic(seed, n, days)
		want[r.ID] = string(r.Line)
	}
	return want
}

// syntheticObjects returns the exact objects a job of synthetic events
// commits under prefix, by key, as the test computes them on its own: task
// i of tasks writes the events i, i+tasks, … as JSON lines, one
// gzip-compressed file per day (default compression, no header fields),
// named dt=DAY/part-<i>-<jobID>.jsonl.gz.
func syntheticObjects(t *testing.T, prefix, jobID string, seed int64, events, days, tasks int) map[string][]byte {
	t.Helper()
	lines := map[string]*bytes.Buffer{}
	for i := range tasks {
		for n := i; n < events; n += tasks {
			r := synthetic(seed, n, days)
			key := fmt.Sprintf("%s/dt=%s/part-%05d-%s.jsonl.gz", prefix, r.TS.UTC().Format("2006-01-02"), i, jobID)
			if lines[key] == nil {
				lines[key] = &bytes.Buffer{}
			}
			lines[key].Write(r.Line)
			lines[key].WriteByte('\n')
		}
	}
	out := map[string][]byte{}
	for key, b := range lines {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		_, err := zw.Write(b.Bytes())
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		out[key] = z.Bytes()
	}
	return out
}

// assertObjects checks that the objects under prefix, other than those
// whose name starts with '_' (_SUCCESS), are exactly want, byte for byte.
func (e *env) assertObjects(t *testing.T, prefix string, want map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	got := map[string]bool{}
	for obj, err := range e.store.ListObjects(ctx, prefix+"/") {
		require.NoError(t, err)
		if strings.HasPrefix(path.Base(obj.Key), "_") {
			continue
		}
		got[obj.Key] = true
		w, ok := want[obj.Key]
		if !assert.True(t, ok, "object %s is not one the job writes", obj.Key) {
			continue
		}
		rc, _, err := e.store.GetObject(ctx, obj.Key)
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		assert.True(t, bytes.Equal(w, b), "%s: %d bytes, want the %d bytes the task wrote", obj.Key, len(b), len(w))
	}
	for key := range want {
		assert.True(t, got[key], "object %s is missing", key)
	}
}
