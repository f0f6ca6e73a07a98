//go:build unix

package datajob

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
)

// TestRunWithFailingAndCrashingTasks runs the whole job the local way, with
// one task whose first attempt fails before its commit and one whose first
// attempt is killed in the middle of its commit, with the staging dir in a
// directory, in the output's bucket and in a bucket of its own, and reads
// the output back: every event exactly once, each file with the exact
// bytes its task wrote, _SUCCESS listing exactly the files, no upload
// pending, no record left in the staging dir.
func TestRunWithFailingAndCrashingTasks(t *testing.T) {
	t.Parallel()
	for _, home := range stagingHomes {
		for _, mode := range []string{"directory", "partitioned"} {
			t.Run(string(home)+"/"+mode, func(t *testing.T) {
				t.Parallel()
				e := newEnvIn(t, home)
				const events, days = 3000, 3
				r := e.command(t, nil, append([]string{"run", "--mode", mode, "--tasks", "4", "--parallel", "2",
					"--events", fmt.Sprint(events), "--days", fmt.Sprint(days), "--fail-task", "1", "--crash-task", "2"},
					e.flags("events")...)...)
				require.Zero(t, r.code, r.stderr)
				assert.Contains(t, r.stderr, "task 1 attempt 0: failed (exit status 1); retrying as attempt 1")
				assert.Contains(t, r.stderr, "task 2 attempt 0: killing itself with SIGKILL in the middle of its commit")
				assert.Contains(t, r.stderr, "task 2 attempt 0: crashed (signal: killed); retrying as attempt 1")
				assert.Contains(t, r.stderr, "task 2 attempt 1: committed 750 records in 3 files", "worker output goes to stderr")
				jobID := jobIDOf(t, r)
				assert.Contains(t, r.stdout, "committed job "+jobID+": 12 files")

				got := e.readBack(t, "events", jobID, nil)
				assertExactlyOnce(t, syntheticWant(1, events, days), got)
				e.assertObjects(t, "events", syntheticObjects(t, "events", jobID, 1, events, days, 4))

				v := e.command(t, nil, append([]string{"verify", "--job-id", jobID, "--mode", mode,
					"--events", fmt.Sprint(events), "--days", fmt.Sprint(days)}, e.flags("events")...)...)
				require.Zero(t, v.code, v.stderr)
				assert.Contains(t, v.stdout, "files: 12, records: 3000, expected: 3000")
				assert.Contains(t, v.stdout, "exactly once: ok")
			})
		}
	}
}

// TestStepByStep runs the job the way Kubernetes pods do, with the staging
// dir in a directory (a shared volume), in the output's bucket and in a
// bucket of its own: a setup step, one process per task that finds its
// index in JOB_COMPLETION_INDEX and picks its attempt number itself (a
// restarted pod runs a new attempt), and a commit step.
func TestStepByStep(t *testing.T) {
	t.Parallel()
	for _, home := range stagingHomes {
		t.Run(string(home), func(t *testing.T) {
			t.Parallel()
			testStepByStep(t, newEnvIn(t, home))
		})
	}
}

func testStepByStep(t *testing.T, e *env) {
	const jobID = "nightly-7"
	common := append([]string{"--job-id", jobID, "--tasks", "3", "--events", "900", "--days", "2",
		"--fail-task", "1", "--crash-task", "2"}, e.flags("pods")...)
	step := func(sub string, index int) result {
		var extra []string
		if index >= 0 {
			extra = []string{fmt.Sprintf("%s=%d", envTaskIndex, index)}
		}
		return e.command(t, extra, append([]string{sub}, common...)...)
	}

	r := step("setup", -1)
	require.Zero(t, r.code, r.stderr)
	assert.Contains(t, r.stdout, "set up job nightly-7")

	tests := []struct {
		index    int
		code     int
		contains string
	}{
		{0, 0, "task 0 attempt 0: committed 300 records in 2 files"},
		{1, 1, "task 1 attempt 0: failing on purpose"},
		{1, 0, "task 1 attempt 1: committed"},
		{2, -1, "task 2 attempt 0: killing itself with SIGKILL"},
		{2, 0, "task 2 attempt 1: committed"},
		{2, 0, "task 2 attempt 2: another attempt committed the task first"},
	}
	for i, tt := range tests {
		r := step("task", tt.index)
		assert.Equal(t, tt.code, r.code, "task %d: %s", tt.index, r.stderr)
		assert.Contains(t, r.stdout+r.stderr, tt.contains)
		if i == 1 {
			// A commit step run after a task failed for good refuses
			// to commit a part of the output.
			r := step("commit", -1)
			assert.Equal(t, 1, r.code)
			assert.Contains(t, r.stderr, "job nightly-7: staging: expected tasks have not committed: 2 of 3 tasks have not committed: task-00001, task-00002")
			assert.Contains(t, r.stderr, "run the missing tasks (datajob task --task-index I)")
		}
	}
	if e.stagingStore != nil {
		// The attempts' claims are objects next to the job's records.
		for n := range 3 {
			_, err := e.stagingStore.HeadObject(context.Background(), attemptClaimKey(e.stagingPrefix, jobID, taskID(2), n))
			assert.NoError(t, err, "the claim of task 2 attempt %d", n)
		}
	}

	r = e.command(t, nil, append(append([]string{"commit"}, common...), "--tasks", "2", "--crash-task", "-1")...)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "job nightly-7: staging: tasks committed that were not expected: task-00002; give CommitJob every task of the job, or abort it; give commit the --tasks the tasks ran with")

	r = step("commit", -1)
	require.Zero(t, r.code, r.stderr)
	assert.Contains(t, r.stdout, "committed job nightly-7: 6 files")
	got := e.readBack(t, "pods", jobID, nil)
	assertExactlyOnce(t, syntheticWant(1, 900, 2), got)
	e.assertObjects(t, "pods", syntheticObjects(t, "pods", jobID, 1, 900, 2, 3))

	r = step("verify", -1)
	require.Zero(t, r.code, r.stderr)
	assert.Contains(t, r.stdout, "exactly once: ok")

	r = step("abort", -1)
	assert.Zero(t, r.code, r.stderr)
	assert.Contains(t, r.stdout, "nothing to abort")

	// A task pod started after the commit finds the job gone and leaves
	// nothing behind.
	r = step("task", 0)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "job nightly-7 is not in staging dir")
	e.assertNoRecords(t, jobID)
}

// TestRunOutOfAttempts: a task that fails on every attempt makes the run
// abort the job, which leaves nothing in the store, nor in the staging
// dir, wherever it is.
func TestRunOutOfAttempts(t *testing.T) {
	t.Parallel()
	for _, home := range stagingHomes {
		t.Run(string(home), func(t *testing.T) {
			t.Parallel()
			e := newEnvIn(t, home)
			r := e.command(t, nil, append([]string{"run", "--job-id", "doomed", "--tasks", "2", "--events", "100",
				"--fail-task", "0", "--max-attempts", "1"}, e.flags("doomed")...)...)
			assert.Equal(t, 1, r.code)
			assert.Contains(t, r.stderr, "task 0 attempt 0: failed (exit status 1); no attempts left (--max-attempts 1)")
			assert.Contains(t, r.stderr, "job doomed failed")
			assert.Contains(t, r.stderr, "it was aborted")
			for obj, err := range e.store.ListObjects(context.Background(), "") {
				require.NoError(t, err)
				if e.stagingStore == nil || obj.Key != e.stagingPrefix && !strings.HasPrefix(obj.Key, e.stagingPrefix+"/") {
					t.Errorf("object %s left by an aborted job", obj.Key)
				}
			}
			for up, err := range e.store.ListUploads(context.Background(), "") {
				require.NoError(t, err)
				t.Errorf("upload %s at %s left by an aborted job", up.UploadID, up.Key)
			}
			e.assertNoRecords(t, "doomed")
		})
	}
}

// TestPartitionedReplace: a second job in partitioned mode with the
// replace conflict mode replaces the partitions it writes and keeps the
// others.
func TestPartitionedReplace(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	first := e.command(t, nil, append([]string{"run", "--mode", "partitioned", "--tasks", "2",
		"--events", "300", "--days", "3"}, e.flags("lake")...)...)
	require.Zero(t, first.code, first.stderr)
	firstID := jobIDOf(t, first)

	second := e.command(t, nil, append([]string{"run", "--mode", "partitioned", "--conflict", "replace",
		"--tasks", "3", "--events", "200", "--days", "2", "--seed", "2", "--crash-task", "0"}, e.flags("lake")...)...)
	require.Zero(t, second.code, second.stderr)
	secondID := jobIDOf(t, second)

	// The first job's third day (dt=2026-11-03) is kept; its other
	// partitions are replaced.
	keep := map[string]bool{}
	for obj, err := range e.store.ListObjects(ctx, "lake/") {
		require.NoError(t, err)
		if strings.Contains(obj.Key, firstID) {
			assert.Contains(t, obj.Key, "lake/dt=2026-11-03/", "a replaced partition still holds %s", obj.Key)
			keep[obj.Key] = true
		}
	}
	assert.Len(t, keep, 2, "the first job's files of the partition the second did not write")
	got := e.readBack(t, "lake", secondID, keep)
	assertExactlyOnce(t, syntheticWant(2, 200, 2), got)

	v := e.command(t, nil, append([]string{"verify", "--job-id", secondID, "--mode", "partitioned", "--conflict", "replace",
		"--events", "200", "--days", "2", "--seed", "2"}, e.flags("lake")...)...)
	require.Zero(t, v.code, v.stderr)
	assert.Contains(t, v.stdout, "other objects under the prefix: 2")
	assert.Contains(t, v.stdout, "exactly once: ok")
}

// TestInputFiles: input files go to tasks round-robin; every line of every
// file is in the output once, in the partition of its "ts".
func TestInputFiles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := t.TempDir()
	want := map[string]string{}
	var inputs []string
	for f := range 3 {
		var b bytes.Buffer
		for i := range 40 {
			line := fmt.Sprintf(`{"id":"f%d-%d","ts":"2026-10-%02dT12:00:00+02:00","n":%d}`, f, i, 1+i%4, i)
			want[fmt.Sprintf("f%d-%d", f, i)] = line
			b.WriteString(line + "\n\n")
		}
		p := filepath.Join(dir, fmt.Sprintf("in-%d.jsonl", f))
		require.NoError(t, os.WriteFile(p, b.Bytes(), 0o644))
		inputs = append(inputs, p)
	}
	args := append(append([]string{"run", "--tasks", "2", "--crash-task", "1"}, e.flags("input")...), inputs...)
	r := e.command(t, nil, args...)
	require.Zero(t, r.code, r.stderr)
	assert.Contains(t, r.stderr, "task 0 attempt 0: committed 80 records in 4 files", "files 0 and 2")
	assert.Contains(t, r.stderr, "task 1 attempt 1: committed 40 records in 4 files", "file 1")
	jobID := jobIDOf(t, r)
	assertExactlyOnce(t, want, e.readBack(t, "input", jobID, nil))

	v := e.command(t, nil, append(append([]string{"verify", "--job-id", jobID}, e.flags("input")...), inputs...)...)
	require.Zero(t, v.code, v.stderr)
	assert.Contains(t, v.stdout, "files: 8, records: 120, expected: 120")

	// A bad line fails the task that reads it, on every attempt.
	require.NoError(t, os.WriteFile(inputs[1], []byte(`{"id":"x","ts":"yesterday"}`+"\n"), 0o644))
	r = e.command(t, nil, append(append([]string{"run", "--tasks", "2", "--max-attempts", "2"}, e.flags("input-bad")...), inputs...)...)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `in-1.jsonl:1: "ts" "yesterday" is not an RFC 3339 time`)
}

// TestVerifyFindsDifferences: verify fails, listing the differences, when
// events are missing or an object the job did not write is in the
// destination.
func TestVerifyFindsDifferences(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.command(t, nil, append([]string{"run", "--job-id", "v1", "--tasks", "2", "--events", "50", "--days", "1"}, e.flags("v")...)...)
	require.Zero(t, r.code, r.stderr)

	v := e.command(t, nil, append([]string{"verify", "--job-id", "v1", "--events", "52", "--days", "1"}, e.flags("v")...)...)
	assert.Equal(t, 1, v.code)
	assert.Contains(t, v.stdout, "2 records missing: ev-000000050 (0 of 1), ev-000000051 (0 of 1)")
	assert.Contains(t, v.stdout, "exactly once: FAILED")

	_, err := e.store.PutObject(context.Background(), "v/dt=2026-11-01/stray.jsonl.gz", bytes.NewReader([]byte("x")), 1, multipart.PutOptions{})
	require.NoError(t, err)
	v = e.command(t, nil, append([]string{"verify", "--job-id", "v1", "--events", "50", "--days", "1"}, e.flags("v")...)...)
	assert.Equal(t, 1, v.code)
	assert.Contains(t, v.stdout, "stray.jsonl.gz")

	v = e.command(t, nil, append([]string{"verify", "--job-id", "other", "--events", "50", "--days", "1"}, e.flags("v")...)...)
	assert.Equal(t, 1, v.code)
	assert.Contains(t, v.stderr, "is of job v1, not of --job-id other")
}

// TestBadInputProcess: a usage error ends the process with exit code 2
// and one line on stderr.
func TestBadInputProcess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.command(t, nil, "run", "--dest", "events", "--staging-dir", t.TempDir())
	assert.Equal(t, 2, r.code)
	assert.Equal(t, `datajob: --dest "events" is not an s3:// URL; write s3://BUCKET/PREFIX (set the endpoint with --endpoint-url)`+"\n", r.stderr)
	assert.Empty(t, r.stdout)
}

// TestRunInterrupted: a driver interrupted while its tasks run kills them
// and aborts the job, which leaves nothing in the store nor in the
// staging dir, a directory or a prefix of the bucket.
func TestRunInterrupted(t *testing.T) {
	t.Parallel()
	for _, home := range []stagingHome{homeDir, homeBucket} {
		t.Run(string(home), func(t *testing.T) {
			t.Parallel()
			testRunInterrupted(t, newEnvIn(t, home))
		})
	}
}

func testRunInterrupted(t *testing.T, e *env) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], append([]string{"run", "--job-id", "stopped", "--tasks", "4",
		"--parallel", "1", "--events", "400000"}, e.flags("stopped")...)...)
	cmd.Env = append(os.Environ(), asCommandEnv+"=1",
		"AWS_ACCESS_KEY_ID="+e.srv.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+e.srv.SecretAccessKey)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var out strings.Builder
	sc := bufio.NewScanner(stderr)
	signalled := false
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if !signalled && strings.HasPrefix(sc.Text(), "task 0 attempt 0: wrote") {
			// Task 0 is committing; tasks 1 to 3 have not started (they
			// start in index order, one at a time).
			require.NoError(t, cmd.Process.Signal(os.Interrupt))
			signalled = true
		}
	}
	err = cmd.Wait()
	t.Logf("stderr:\n%s", out.String())
	require.True(t, signalled, "task 0 wrote its files")
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 1, ee.ExitCode())
	assert.Contains(t, out.String(), "job stopped failed (interrupted); it was aborted")
	assert.NotContains(t, out.String(), "task 3 attempt 0")
	for obj, err := range e.store.ListObjects(context.Background(), "stopped/") {
		require.NoError(t, err)
		t.Errorf("object %s left by an interrupted job", obj.Key)
	}
	for task := range 4 {
		for day := range 7 {
			key := fmt.Sprintf("stopped/dt=2026-11-%02d/part-%05d-stopped.jsonl.gz", day+1, task)
			for up, err := range e.store.ListUploads(context.Background(), key) {
				require.NoError(t, err)
				assert.NotEqual(t, key, up.Key, "upload %s left by an interrupted job", up.UploadID)
			}
		}
	}
	e.assertNoRecords(t, "stopped")
}
