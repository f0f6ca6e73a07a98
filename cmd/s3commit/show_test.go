package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/internal/testserver"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/memstore"
	"github.com/s3commit/s3commit/pendingset"
	"github.com/s3commit/s3commit/staging"
	"github.com/s3commit/s3commit/success"
)

// runJob runs a complete job with package staging on st: two tasks, one
// file each, and returns the staging dir (pendingsets are kept only until
// the job commit, so commit=false leaves them).
func runJob(t *testing.T, st multipart.Store, dest, jobID string, commit bool) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	c, err := staging.New(st, staging.Options{StagingDir: dir, BufferDir: t.TempDir(), Destination: dest})
	require.NoError(t, err)
	j, err := c.SetupJob(ctx, jobID)
	require.NoError(t, err)
	for i, name := range []string{"part-0000.json", "sub/part-0001.json"} {
		a, err := j.SetupTask(ctx, []string{"task-0000", "task-0001"}[i], 0)
		require.NoError(t, err)
		f, err := a.Create(name)
		require.NoError(t, err)
		_, err = f.WriteString(strings.Repeat("x", 100*(i+1)))
		require.NoError(t, err)
		require.NoError(t, f.Close())
		require.NoError(t, a.CommitTask(ctx))
	}
	if commit {
		require.NoError(t, j.CommitJob(ctx))
	}
	return dir
}

// oneLineError checks a failed run: the exit code, nothing on stdout and
// one line on stderr starting with "s3commit: " and containing want.
func oneLineError(t *testing.T, res cliResult, code int, want ...string) {
	t.Helper()
	assert.Equal(t, code, res.Code)
	assert.Empty(t, res.Stdout)
	assert.Equal(t, 1, strings.Count(res.Stderr, "\n"), "one line: %q", res.Stderr)
	assert.True(t, strings.HasPrefix(res.Stderr, "s3commit: "), res.Stderr)
	for _, w := range want {
		assert.Contains(t, res.Stderr, w)
	}
}

func TestPendingShow(t *testing.T) {
	sets, err := filepath.Glob("../../pendingset/testdata/*.pendingset")
	require.NoError(t, err)
	require.NotEmpty(t, sets)

	// An s3commit pendingset, as a task commit leaves it.
	jobDir := runJob(t, memstore.New("lake"), "tables/events", "job-1", false)
	ours := staging.PendingSetPath(jobDir, "job-1", "task-0001")
	require.FileExists(t, ours)

	for _, path := range append(sets, ours) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			want, err := pendingset.DecodeSet(bytes.NewReader(data))
			require.NoError(t, err)

			res := runCLI(t, cliRun{Args: []string{"pending", "show", path}})
			require.Equal(t, exitOK, res.Code, res.Stderr)
			assert.Empty(t, res.Stderr)
			assert.Contains(t, res.Stdout, want.JobID)
			if a := want.ExtraData[pendingset.TaskAttemptIDKey]; a != "" {
				assert.Regexp(t, `(?m)^  task attempt:\s+`+regexp.QuoteMeta(a)+`$`, res.Stdout)
			}
			assert.Regexp(t, `KEY\s+UPLOAD ID\s+PARTS\s+LENGTH\s+CREATED\s+TASK`, res.Stdout)
			for _, c := range want.Commits {
				assert.Contains(t, res.Stdout, c.Key)
				assert.Contains(t, res.Stdout, c.UploadID)
			}

			res = runCLI(t, cliRun{Args: []string{"pending", "show", "--json", path}})
			require.Equal(t, exitOK, res.Code, res.Stderr)
			got, err := pendingset.DecodeSet(strings.NewReader(res.Stdout))
			require.NoError(t, err, "--json output reads back")
			assert.Equal(t, want, got, "--json round-trips")

			res = runCLI(t, cliRun{Args: []string{"pending", "show", "--json", "-"}, Stdin: string(data)})
			require.Equal(t, exitOK, res.Code, res.Stderr)
			got, err = pendingset.DecodeSet(strings.NewReader(res.Stdout))
			require.NoError(t, err)
			assert.Equal(t, want, got, "from standard input")
		})
	}

	t.Run("s3commit pendingset content", func(t *testing.T) {
		res := runCLI(t, cliRun{Args: []string{"pending", "show", ours}})
		require.Equal(t, exitOK, res.Code, res.Stderr)
		assert.Regexp(t, `(?m)^  job ID:\s+job-1$`, res.Stdout)
		assert.Regexp(t, `(?m)^  task attempt:\s+task-0001_0$`, res.Stdout)
		assert.Contains(t, res.Stdout, committer.DestinationKey("tables/events", "sub/part-0001.json", "job-1", true))
		assert.Regexp(t, `(?m)^  commits:\s+1, 200 B \(200 bytes\)$`, res.Stdout)
	})

	pendings, err := filepath.Glob("../../pendingset/testdata/*.pending")
	require.NoError(t, err)
	require.NotEmpty(t, pendings)
	for _, path := range pendings {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			want, err := pendingset.DecodeUpload(bytes.NewReader(data))
			require.NoError(t, err)

			res := runCLI(t, cliRun{Args: []string{"pending", "show", path}})
			require.Equal(t, exitOK, res.Code, res.Stderr)
			assert.Contains(t, res.Stdout, "pending upload "+path)
			assert.Contains(t, res.Stdout, want.Key)
			assert.Contains(t, res.Stdout, want.UploadID)

			res = runCLI(t, cliRun{Args: []string{"pending", "show", "--json", path}})
			require.Equal(t, exitOK, res.Code, res.Stderr)
			got, err := pendingset.DecodeUpload(strings.NewReader(res.Stdout))
			require.NoError(t, err)
			assert.Equal(t, want, got, "--json round-trips")
		})
	}

	t.Run("bad input", func(t *testing.T) {
		dir := t.TempDir()
		corrupt := filepath.Join(dir, "corrupt.pendingset")
		require.NoError(t, os.WriteFile(corrupt, []byte(`{"version": 2, "commits": [`), 0o600))
		wrongVersion := filepath.Join(dir, "v9.pendingset")
		require.NoError(t, os.WriteFile(wrongVersion, []byte(`{"version": 9, "commits": []}`), 0o600))

		oneLineError(t, runCLI(t, cliRun{Args: []string{"pending", "show", corrupt}}), exitError,
			corrupt+": invalid pendingset", "check that it is a .pendingset file")
		oneLineError(t, runCLI(t, cliRun{Args: []string{"pending", "show", wrongVersion}}), exitError,
			`field "version" is 9`)
		oneLineError(t, runCLI(t, cliRun{Args: []string{"pending", "show", "../../success/testdata/s3commit.json"}}), exitError,
			"invalid pendingset")
		oneLineError(t, runCLI(t, cliRun{Args: []string{"pending", "show", filepath.Join(dir, "missing")}}), exitError,
			"no such file; check the path")
		oneLineError(t, runCLI(t, cliRun{Args: []string{"pending", "show", dir}}), exitError, "is a directory")
		oneLineError(t, runCLI(t, cliRun{Args: []string{"pending", "show"}}), exitUsage, "takes 1 argument")
		oneLineError(t, runCLI(t, cliRun{Args: []string{"pending", "show", "gs://bucket/x.pendingset"}}), exitUsage,
			`unknown URL scheme "gs"`)
	})
}

func TestSuccessShowFiles(t *testing.T) {
	samples, err := filepath.Glob("../../success/testdata/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, samples)
	for _, path := range samples {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			want, err := success.Decode(bytes.NewReader(data))
			require.NoError(t, err)

			res := runCLI(t, cliRun{Args: []string{"success", "show", path}})
			require.Equal(t, exitOK, res.Code, res.Stderr)
			assert.Empty(t, res.Stderr)
			var printed bytes.Buffer
			require.NoError(t, success.Print(&printed, want))
			assert.Equal(t, printed.String(), res.Stdout, "success.Print's text")
			golden := filepath.Join("../../success/testdata/print", strings.TrimSuffix(filepath.Base(path), ".json")+".txt")
			if g, err := os.ReadFile(golden); err == nil {
				assert.Equal(t, string(g), res.Stdout)
			}
			assert.Contains(t, res.Stdout, "iostatistics")

			res = runCLI(t, cliRun{Args: []string{"success", "show", "--json", path}})
			require.Equal(t, exitOK, res.Code, res.Stderr)
			got, err := success.Decode(strings.NewReader(res.Stdout))
			require.NoError(t, err, "--json output reads back")
			assert.Equal(t, want, got, "--json round-trips")
		})
	}

	for _, name := range []string{"classic-empty", "classic-whitespace"} {
		t.Run(name, func(t *testing.T) {
			path := "../../success/testdata/" + name
			res := runCLI(t, cliRun{Args: []string{"success", "show", path}})
			require.Equal(t, exitOK, res.Code, res.Stderr)
			assert.Equal(t, path+" is empty: the marker of a classic rename committer (Hadoop's FileOutputCommitter); it carries no manifest\n", res.Stdout)
			assert.Empty(t, res.Stderr)

			res = runCLI(t, cliRun{Args: []string{"success", "show", "--json", path}})
			require.Equal(t, exitOK, res.Code, res.Stderr)
			assert.Empty(t, res.Stdout, "the manifest is empty")
			assert.Contains(t, res.Stderr, "classic rename committer")
		})
	}

	t.Run("bad input", func(t *testing.T) {
		dir := t.TempDir()
		corrupt := filepath.Join(dir, "_SUCCESS")
		require.NoError(t, os.WriteFile(corrupt, []byte(`{"name": "org.apache.hadoop.fs.s3a.commit.files.SuccessData/1", "jobId": `), 0o600))
		noJob := filepath.Join(dir, "nojob")
		require.NoError(t, os.WriteFile(noJob, []byte(`{"name": "org.apache.hadoop.fs.s3a.commit.files.SuccessData/1"}`), 0o600))

		oneLineError(t, runCLI(t, cliRun{Args: []string{"success", "show", corrupt}}), exitError,
			corrupt+": invalid _SUCCESS manifest", "check that it is a _SUCCESS file")
		// Hadoop 3.1 and 3.2 wrote no jobId: read, with the absent fields said.
		res := runCLI(t, cliRun{Args: []string{"success", "show", noJob}})
		require.Equal(t, exitOK, res.Code, "stderr: %s", res.Stderr)
		assert.Contains(t, res.Stdout, "absent:")
		assert.Contains(t, res.Stdout, "jobId, jobIdSource, iostatistics")
		oneLineError(t, runCLI(t, cliRun{Args: []string{"success", "show", "../../pendingset/testdata/hadoop-3.1-v1.pendingset"}}), exitError,
			"invalid _SUCCESS manifest")
		oneLineError(t, runCLI(t, cliRun{Args: []string{"success", "show", filepath.Join(dir, "missing")}}), exitError,
			"no such file")
		oneLineError(t, runCLI(t, cliRun{Args: []string{"success", "show", "--verify", corrupt}}), exitUsage,
			"--verify needs an s3:// manifest")
		oneLineError(t, runCLI(t, cliRun{Args: []string{"success", "show", "http://example.com/_SUCCESS"}}), exitUsage,
			`unknown URL scheme "http"`)
	})
}

func TestSuccessShowStore(t *testing.T) {
	srv := testserver.MinIO(t)
	bucket := srv.CreateBucket(t)
	st := newServerStore(t, srv, bucket)
	runJob(t, st, "tables/events", "job-20260101", true)
	want, err := success.Read(context.Background(), st, "tables/events/_SUCCESS")
	require.NoError(t, err)
	run := func(args ...string) cliResult { return runCLI(t, cliRun{Args: args, Env: serverEnv(srv)}) }
	url := "s3://" + bucket + "/tables/events/_SUCCESS"

	for _, arg := range []string{url, "s3://" + bucket + "/tables/events/"} {
		res := run("success", "show", arg)
		require.Equal(t, exitOK, res.Code, res.Stderr)
		assert.Contains(t, res.Stdout, "_SUCCESS manifest written by s3commit")
		assert.Contains(t, res.Stdout, "job-20260101")
		for _, f := range want.Files {
			assert.Contains(t, res.Stdout, f.Key)
		}

		res = run("success", "show", "--json", arg)
		require.Equal(t, exitOK, res.Code, res.Stderr)
		got, err := success.Decode(strings.NewReader(res.Stdout))
		require.NoError(t, err)
		assert.Equal(t, want, got, "--json round-trips")
	}

	res := run("success", "show", "--verify", url)
	require.Equal(t, exitOK, res.Code, res.Stderr)
	assert.Contains(t, res.Stdout, "verified: s3://"+bucket+"/tables/events holds exactly the 2 files of the manifest")

	// An empty _SUCCESS, as a classic committer writes it.
	_, err = st.PutObject(context.Background(), "classic/_SUCCESS", strings.NewReader(""), 0, multipart.PutOptions{})
	require.NoError(t, err)
	res = run("success", "show", "s3://"+bucket+"/classic/_SUCCESS")
	require.Equal(t, exitOK, res.Code, res.Stderr)
	assert.Contains(t, res.Stdout, "classic rename committer")

	// A deleted file makes --verify fail.
	require.NoError(t, st.DeleteObjects(context.Background(), []string{want.Files[0].Key}))
	res = run("success", "show", "--verify", url)
	assert.Equal(t, exitError, res.Code)
	assert.Contains(t, res.Stdout, "missing: "+want.Files[0].Key)
	assert.Contains(t, res.Stdout, "checked 1 of 2 files: 1 by the store's checksum, 0 by reading the data, 0 by size and ETag only")
	assert.Equal(t, 1, strings.Count(res.Stderr, "\n"), res.Stderr)
	assert.Contains(t, res.Stderr, "1 missing, 0 extra")

	// A manifest whose file list is in a sidecar object.
	big := success.New("s3commit", "job-big")
	for i := range success.MaxInlineFiles + 1 {
		big.AddFile(success.File{Key: fmt.Sprintf("big/part-%05d-job-big.json", i), Size: int64(i), ETag: fmt.Sprintf("%032x", i)})
	}
	require.NoError(t, success.Write(context.Background(), st, "big/_SUCCESS", big))
	wantBig, err := success.Read(context.Background(), st, "big/_SUCCESS")
	require.NoError(t, err)
	require.NotEmpty(t, wantBig.FilesSidecar)
	res = run("success", "show", "s3://"+bucket+"/big/_SUCCESS")
	require.Equal(t, exitOK, res.Code, res.Stderr)
	assert.Contains(t, res.Stdout, fmt.Sprintf("big/part-%05d-job-big.json", success.MaxInlineFiles))
	res = run("success", "show", "--json", "s3://"+bucket+"/big/_SUCCESS")
	require.Equal(t, exitOK, res.Code, res.Stderr)
	got, err := success.Decode(strings.NewReader(res.Stdout))
	require.NoError(t, err)
	assert.Equal(t, wantBig, got, "--json round-trips, with the sidecar's files inline")

	oneLineError(t, run("success", "show", "s3://"+bucket+"/tables/nothing"), exitError,
		"no such object; give the _SUCCESS key, e.g. s3://"+bucket+"/tables/nothing/_SUCCESS")
	oneLineError(t, run("success", "show", "s3://"+bucket+"/tables/nothing/_SUCCESS"), exitError,
		"no such object; check the path")
}
