package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/internal/testserver"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/pendingset"
	"github.com/s3commit/s3commit/staging"
)

// The two homes of a staging dir the jobs commands are tested in: a
// directory, and a prefix of the job's bucket (StagingDir
// s3://BUCKET/_staging), whose records are objects read through the store.
const (
	homeDir   = "directory"
	homeStore = "store"
)

var stagingHomes = []string{homeDir, homeStore}

// stagingPrefix is the prefix of a staging dir in the store.
const stagingPrefix = "_staging"

// newHomeEnv returns a jobsEnv whose staging dir is in home.
func newHomeEnv(t *testing.T, srv *testserver.Server, home string) *jobsEnv {
	t.Helper()
	e := newJobsEnv(t, srv)
	if home == homeStore {
		e.stagingDir = "s3://" + e.bucket + "/" + stagingPrefix
	}
	return e
}

// inStore reports whether the env's staging dir is in the store.
func (e *jobsEnv) inStore() bool { return strings.HasPrefix(e.stagingDir, "s3://") }

// stagingLeft lists what is left in the env's staging dir: the keys under
// the staging prefix, or the paths under the directory.
func (e *jobsEnv) stagingLeft(t *testing.T) []string {
	t.Helper()
	out := []string{}
	if e.inStore() {
		for o, err := range e.store.ListObjects(context.Background(), stagingPrefix+"/") {
			require.NoError(t, err)
			out = append(out, o.Key)
		}
		return out
	}
	require.NoError(t, filepath.WalkDir(e.stagingDir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != e.stagingDir {
			out = append(out, p)
		}
		return nil
	}))
	return out
}

// pendingSetRef names the pendingset of a committed task as the CLI
// prints it: its file, or the s3:// URL of its object.
func (e *jobsEnv) pendingSetRef(jobID, taskID string) string {
	if e.inStore() {
		return e.stagingDir + "/" + jobID + "/tasks/" + taskID + ".pendingset"
	}
	return staging.PendingSetPath(e.stagingDir, jobID, taskID)
}

// agePendingSet rewrites the pendingset of a committed task as if its
// uploads had been created age ago.
func (e *jobsEnv) agePendingSet(t *testing.T, jobID, taskID string, age time.Duration) {
	t.Helper()
	if !e.inStore() {
		ageUploads(t, staging.PendingSetPath(e.stagingDir, jobID, taskID), age)
		return
	}
	ctx := context.Background()
	key := stagingPrefix + "/" + jobID + "/tasks/" + taskID + ".pendingset"
	rc, _, err := e.store.GetObject(ctx, key)
	require.NoError(t, err)
	data, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	ps, err := pendingset.DecodeSet(bytes.NewReader(data))
	require.NoError(t, err)
	for i := range ps.Commits {
		ps.Commits[i].Created = time.Now().Add(-age).UnixMilli()
	}
	var buf bytes.Buffer
	require.NoError(t, ps.Encode(&buf))
	_, err = e.store.PutObject(ctx, key, bytes.NewReader(buf.Bytes()), int64(buf.Len()), multipart.PutOptions{})
	require.NoError(t, err)
}

// giveUpCommit runs CommitJob of job jobID, completing one upload at a
// time, through a store that fails the second completion and cancels the
// commit's context, as a driver that gives up in its job commit: one
// object is complete, the journal stays, and the job's lock is released.
func giveUpCommit(t *testing.T, e *jobsEnv, jobID string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fst := faultstore.New(e.store)
	fst.Add(faultstore.Rule{Op: faultstore.OpCompleteUpload, Err: context.Canceled, Match: func(c faultstore.Call) bool {
		if c.N < 2 {
			return false
		}
		cancel()
		return true
	}})
	c, err := staging.New(fst, staging.Options{
		StagingDir:        e.stagingDir,
		BufferDir:         e.bufferDir,
		Destination:       e.dest,
		CommitConcurrency: 1,
		Retry:             multipart.RetryPolicy{MaxAttempts: 2, InitialBackoff: 1, MaxBackoff: 1},
	})
	require.NoError(t, err)
	j, err := c.OpenJob(ctx, jobID)
	require.NoError(t, err)
	require.Error(t, j.CommitJob(ctx), "the job commit given up")
}

// comparableList is a "jobs list --json" document without what differs
// between two envs by design: the staging dir, the bucket, the times and
// the ages (the warning is checked, then left out).
func comparableList(t *testing.T, e *jobsEnv, doc jobsListJSON) jobsListJSON {
	t.Helper()
	doc.StagingDir = ""
	for i := range doc.Jobs {
		j := &doc.Jobs[i]
		j.Destination = strings.Replace(j.Destination, "s3://"+e.bucket+"/", "s3://BUCKET/", 1)
		j.Bucket = "BUCKET"
		j.Created = ""
		if j.OldestUpload != nil {
			j.OldestUpload, j.OldestUploadAge = new(string), new(int64)
		}
		if j.Warning != "" {
			assert.Contains(t, j.Warning, "MINIO_API_STALE_UPLOADS_EXPIRY")
			j.Warning = "near expiry"
		}
	}
	return doc
}

// "jobs list" of a staging dir in the store shows the same jobs, states
// and fields as of a directory holding the same jobs: set up, tasks
// committed, a commit given up, one near MinIO's expiry, one with a
// killed attempt. A staging dir in the store is listed with the store
// settings; without them the error says what to set.
func TestJobsListStoreHome(t *testing.T) {
	srv := testserver.MinIO(t)
	docs := make(map[string]jobsListJSON)
	for _, home := range stagingHomes {
		t.Run(home, func(t *testing.T) {
			e := newHomeEnv(t, srv, home)
			e.dest = "tables/setup"
			e.setupJob(t, "job-a-setup", nil)
			e.dest = "tables/tasks"
			e.setupJob(t, "job-b-tasks", map[string]map[string]string{
				"t0": {"a.csv": "aaa", "b.csv": "bb"},
				"t1": {"c.csv": "c"},
			})
			e.dest = "tables/interrupted"
			e.setupJob(t, "job-c-interrupted", map[string]map[string]string{"t0": {"a.csv": "a", "b.csv": "b"}})
			giveUpCommit(t, e, "job-c-interrupted")
			e.dest = "tables/old"
			e.setupJob(t, "job-d-old", map[string]map[string]string{"t0": {"a.csv": "a"}})
			e.agePendingSet(t, "job-d-old", "t0", 21*time.Hour)
			e.dest = "tables/killed"
			e.setupJob(t, "job-e-killed-task", map[string]map[string]string{"t0": {"a.csv": "a"}})
			e.killTask(t, "job-e-killed-task", "t1", map[string]string{"x.csv": "x", "y.csv": "y"})

			stdout, stderr, code := e.run(t, "jobs", "list", "--json", e.stagingDir)
			require.Equal(t, exitOK, code, "stderr: %s", stderr)
			assert.Equal(t, 1, countLines(stderr), stderr)
			assert.Contains(t, stderr, "s3commit: warning: the oldest pending upload of job job-d-old is 21h")

			var doc jobsListJSON
			require.NoError(t, json.Unmarshal([]byte(stdout), &doc), stdout)
			assert.Equal(t, e.stagingDir, doc.StagingDir)
			states := make(map[string]string)
			for _, j := range doc.Jobs {
				states[j.ID] = j.State
			}
			assert.Equal(t, map[string]string{
				"job-a-setup":       "set_up",
				"job-b-tasks":       "tasks_committed",
				"job-c-interrupted": "interrupted",
				"job-d-old":         "tasks_committed",
				"job-e-killed-task": "tasks_committed",
			}, states)
			require.Len(t, doc.Jobs, 5)
			tasks, interrupted, killed := doc.Jobs[1], doc.Jobs[2], doc.Jobs[4]
			assert.Equal(t, "s3://"+e.bucket+"/tables/tasks", tasks.Destination)
			assert.Equal(t, []any{2, 3, int64(6)}, []any{tasks.CommittedTasks, tasks.Files, tasks.Bytes})
			assert.Equal(t, 1, interrupted.CompletedByJob, "the commit given up completed one upload")
			assert.Equal(t, 1, killed.OpenAttempts, "the killed attempt")
			docs[home] = comparableList(t, e, doc)

			stdout, _, code = e.run(t, "jobs", "list", e.stagingDir)
			require.Equal(t, exitOK, code)
			for _, want := range []string{"set up", "tasks committed", "interrupted", "21h", "s3://" + e.bucket + "/tables/tasks"} {
				assert.Contains(t, stdout, want)
			}

			if home == homeStore {
				// Without store settings a directory is listed, a staging
				// dir in the store is not: the error says what to set.
				res := runCLI(t, cliRun{Args: []string{"jobs", "list", e.stagingDir}, Env: []string{"AWS_ENDPOINT_URL=" + srv.Endpoint, "AWS_REGION=" + srv.Region, envPathStyle + "=true"}})
				oneLineError(t, res, exitError, "list the jobs of "+e.stagingDir, "a staging dir in the store is read with the store settings",
					"no credentials could be obtained; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
				// An empty staging prefix has no jobs.
				empty := "s3://" + srv.CreateBucket(t) + "/" + stagingPrefix
				res = runCLI(t, cliRun{Args: []string{"jobs", "list", "--json", empty}, Env: serverEnv(srv)})
				require.Equal(t, exitOK, res.Code, res.Stderr)
				assert.JSONEq(t, `{"staging_dir": "`+empty+`", "jobs": []}`, res.Stdout)
			}
		})
	}
	if len(docs) == len(stagingHomes) {
		assert.Equal(t, docs[homeDir], docs[homeStore], "the same jobs list the same way in both homes")
	}
}

// "jobs show" of a staging dir in the store reconciles the job with the
// store as for a directory: a killed attempt's uploads are orphans, a
// pending upload aborted behind the job's back is vanished; --local reads
// the records only. A pendingset in the store is named by its s3:// URL,
// which 'pending show' reads.
func TestJobsShowStoreHome(t *testing.T) {
	for _, s := range jobsServers {
		for _, home := range stagingHomes {
			t.Run(s.name+"/"+home, func(t *testing.T) {
				e := newHomeEnv(t, s.get(t), home)
				const jobID = "job-show"
				_, want := e.setupJob(t, jobID, map[string]map[string]string{
					"t0": {"a.csv": "alpha\n", "b.csv": "bravo\n"},
				})
				killed := e.killTask(t, jobID, "t1", map[string]string{"x.csv": "x", "y.csv": "y", "z.csv": "z"})
				orphans := e.uploadsAt(t, killed...)
				require.NotEmpty(t, orphans)
				keys := keysOf(want)
				pending := e.uploadsAt(t, keys[0])
				require.Len(t, pending, 1)
				goneID := strings.Fields(pending[0])[1]
				require.NoError(t, e.store.AbortUpload(context.Background(), keys[0], goneID))

				stdout, stderr, code := e.run(t, "jobs", "show", "--json", e.stagingDir, jobID)
				require.Equal(t, exitOK, code, "stderr: %s", stderr)
				assert.Contains(t, stderr, "1 pending upload of job job-show vanished")
				var out jobsShowJSON
				require.NoError(t, json.Unmarshal([]byte(stdout), &out), stdout)
				assert.True(t, out.Reconciled)
				assert.Equal(t, "tasks_committed", out.State)
				assert.Equal(t, []int{1, 1, 0}, []int{out.Pending, out.Vanished, out.Completed})
				require.Len(t, out.Tasks, 1)
				assert.Equal(t, e.pendingSetRef(jobID, "t0"), out.Tasks[0].PendingSet)
				status := make(map[string]string)
				for _, f := range out.Tasks[0].Files {
					status[f.Key] = f.Status
				}
				assert.Equal(t, map[string]string{keys[0]: "vanished", keys[1]: "pending"}, status)
				var got []string
				for _, o := range out.Orphans {
					got = append(got, o.Key+" "+o.UploadID)
					assert.Equal(t, "t1_0", o.Attempt, o.Key)
				}
				assert.ElementsMatch(t, orphans, got, "orphans")
				require.Len(t, out.Attempts, 1)
				assert.ElementsMatch(t, killed, out.Attempts[0].Keys)

				stdout, _, code = e.run(t, "jobs", "show", e.stagingDir, jobID)
				require.Equal(t, exitOK, code)
				assert.Contains(t, stdout, "1 pending, 1 vanished, 0 completed, "+count(len(orphans), "orphan upload"))
				assert.Contains(t, stdout, goneID)

				// The pendingset the output names is readable as it is.
				stdout, stderr, code = e.run(t, "pending", "show", "--json", out.Tasks[0].PendingSet)
				require.Equal(t, exitOK, code, "stderr: %s", stderr)
				assert.Contains(t, stdout, keys[1])

				stdout, _, code = e.run(t, "jobs", "show", "--local", "--json", e.stagingDir, jobID)
				require.Equal(t, exitOK, code)
				var local jobsShowJSON
				require.NoError(t, json.Unmarshal([]byte(stdout), &local))
				assert.False(t, local.Reconciled)
				assert.Equal(t, "tasks_committed", local.State)
				assert.Empty(t, local.Orphans)
				require.Len(t, local.Tasks, 1)
				assert.Len(t, local.Tasks[0].Files, 2)
				assert.Equal(t, e.pendingSetRef(jobID, "t0"), local.Tasks[0].PendingSet)
				assert.Equal(t, out.jobJSON.ID, local.jobJSON.ID)

				for _, args := range [][]string{
					{"jobs", "show", e.stagingDir, "nope"},
					{"jobs", "show", "--local", e.stagingDir, "nope"},
					{"jobs", "commit", e.stagingDir, "nope"},
					{"jobs", "abort", e.stagingDir, "nope"},
				} {
					res := runCLI(t, cliRun{Args: args, Env: serverEnv(e.srv)})
					oneLineError(t, res, exitError, `job "nope" not found in staging dir `+e.stagingDir)
				}
				res := runCLI(t, cliRun{Args: []string{"jobs", "abort", e.stagingDir, "../job-show"}, Env: serverEnv(e.srv)})
				oneLineError(t, res, exitUsage, "job ID")
			})
		}
	}
}

// "jobs commit" of a staging dir in the store finishes a job whose driver
// died as for a directory: every file visible with its exact bytes,
// _SUCCESS written, no upload left at the job's keys (a killed attempt's
// included) and no record left in the staging dir.
func TestJobsCommitStoreHome(t *testing.T) {
	for _, s := range jobsServers {
		for _, home := range stagingHomes {
			t.Run(s.name+"/"+home, func(t *testing.T) {
				e := newHomeEnv(t, s.get(t), home)
				const jobID = "job-dead-driver"
				_, want := e.setupJob(t, jobID, map[string]map[string]string{
					"t0": {"a.csv": "alpha\n", "dir/b.csv": "bravo bravo\n"},
					"t1": {"c.csv": "charlie\n", "empty.csv": ""},
				})
				killed := e.killTask(t, jobID, "t2", map[string]string{"x.csv": "x", "y.csv": "y", "z.csv": "z"})
				orphans := e.uploadsAt(t, killed...)
				require.NotEmpty(t, orphans, "the killed attempt left uploads")
				require.NotEmpty(t, e.stagingLeft(t))

				stdout, stderr, code := e.run(t, "jobs", "commit", "--json", e.stagingDir, jobID)
				require.Equal(t, exitOK, code, "stderr: %s", stderr)
				var out jobsCommitJSON
				require.NoError(t, json.Unmarshal([]byte(stdout), &out), stdout)
				assert.Equal(t, jobsCommitJSON{
					ID:                   jobID,
					Destination:          "s3://" + e.bucket + "/" + e.dest,
					FilesCompleted:       len(want),
					Bytes:                int64(len("alpha\n") + len("bravo bravo\n") + len("charlie\n")),
					Success:              "s3://" + e.bucket + "/" + e.dest + "/" + staging.SuccessMarker,
					OrphanUploadsAborted: len(orphans),
				}, out)

				assert.Equal(t, want, e.objects(t), "objects under the destination")
				assert.Equal(t, []string{e.dest + "/" + staging.SuccessMarker}, e.keysUnder(t, e.dest+"/_"), "_SUCCESS")
				assert.Empty(t, e.uploadsAt(t, append(keysOf(want), killed...)...), "uploads left")
				assert.Empty(t, e.allUploads(t), "no upload left in the bucket")
				assert.Empty(t, e.stagingLeft(t), "records left in the staging dir")

				_, stderr, code = e.run(t, "jobs", "commit", e.stagingDir, jobID)
				assert.Equal(t, exitError, code)
				assert.Contains(t, stderr, "not found")
			})
		}
	}
}

// A job commit given up by its driver is resumed by "jobs commit" and
// rolled back by "jobs abort", in both homes; the JSON of the abort
// counts the object the given-up commit had completed.
func TestJobsFinishGivenUpCommitStoreHome(t *testing.T) {
	srv := testserver.MinIO(t)
	for _, home := range stagingHomes {
		for _, op := range []string{"commit", "abort"} {
			t.Run(home+"/"+op, func(t *testing.T) {
				e := newHomeEnv(t, srv, home)
				const jobID = "job-given-up"
				_, want := e.setupJob(t, jobID, map[string]map[string]string{
					"t0": {"a.csv": "a", "b.csv": "bb", "c.csv": "ccc"},
				})
				giveUpCommit(t, e, jobID)
				require.Len(t, e.objects(t), 1, "the given-up commit completed one object")

				stdout, stderr, code := e.run(t, "jobs", "show", "--json", e.stagingDir, jobID)
				require.Equal(t, exitOK, code, "stderr: %s", stderr)
				var show jobsShowJSON
				require.NoError(t, json.Unmarshal([]byte(stdout), &show), stdout)
				assert.Equal(t, "interrupted", show.State)
				assert.Equal(t, []int{2, 0, 1}, []int{show.Pending, show.Vanished, show.Completed})

				stdout, stderr, code = e.run(t, "jobs", op, "--json", e.stagingDir, jobID)
				require.Equal(t, exitOK, code, "stderr: %s", stderr)
				switch op {
				case "commit":
					var out jobsCommitJSON
					require.NoError(t, json.Unmarshal([]byte(stdout), &out), stdout)
					assert.Equal(t, 3, out.FilesCompleted)
					assert.Equal(t, want, e.objects(t))
				case "abort":
					var out jobsAbortJSON
					require.NoError(t, json.Unmarshal([]byte(stdout), &out), stdout)
					assert.Equal(t, jobsAbortJSON{ID: jobID, Destination: "s3://" + e.bucket + "/" + e.dest, UploadsAborted: 2, ObjectsDeleted: 1}, out)
					assert.Empty(t, e.keysUnder(t, e.dest+"/"), "nothing under the destination")
				}
				assert.Empty(t, e.allUploads(t), "no upload left")
				assert.Empty(t, e.stagingLeft(t), "records left in the staging dir")
			})
		}
	}
}

// A driver killed in its job commit leaves the journal of a staging dir
// in the store claimed (the store cannot tell a dead driver from a live
// one), so the job shows as committing; "jobs commit" watches the journal
// for a lease, takes the job over and finishes it.
func TestJobsCommitTakesOverKilledDriverStoreHome(t *testing.T) {
	e := newHomeEnv(t, testserver.MinIO(t), homeStore)
	const jobID = "job-killed-driver"
	j, want := e.setupJob(t, jobID, map[string]map[string]string{
		"t0": {"a.csv": "a", "b.csv": "bb", "c.csv": "ccc"},
	})
	interruptCommit(t, e, j)

	stdout, stderr, code := e.run(t, "jobs", "list", "--json", e.stagingDir)
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	var list jobsListJSON
	require.NoError(t, json.Unmarshal([]byte(stdout), &list), stdout)
	require.Len(t, list.Jobs, 1)
	assert.Equal(t, "committing", list.Jobs[0].State)

	stdout, stderr, code = e.run(t, "jobs", "commit", e.stagingDir, jobID)
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	assert.Contains(t, stdout, "Committed job "+jobID+": 3 files completed")
	assert.Equal(t, want, e.objects(t))
	assert.Empty(t, e.allUploads(t))
	assert.Empty(t, e.stagingLeft(t))
}

// "jobs abort" of a staging dir in the store rolls a job back as for a
// directory: nothing under the destination, no upload of the job left (a
// killed attempt's included), no record left in the staging dir, and
// another job's upload under the same destination untouched.
func TestJobsAbortStoreHome(t *testing.T) {
	for _, s := range jobsServers {
		for _, home := range stagingHomes {
			t.Run(s.name+"/"+home, func(t *testing.T) {
				e := newHomeEnv(t, s.get(t), home)
				const jobID = "job-rolled-back"
				_, want := e.setupJob(t, jobID, map[string]map[string]string{
					"t0": {"a.csv": "alpha\n", "dir/b.csv": "bravo\n"},
					"t1": {"c.csv": "charlie\n"},
				})
				killed := e.killTask(t, jobID, "t2", map[string]string{"x.csv": "x", "y.csv": "y", "z.csv": "z"})
				orphans := e.uploadsAt(t, killed...)
				require.NotEmpty(t, orphans)
				ctx := context.Background()
				otherKey := e.dest + "/part-0-other-job.csv"
				otherID, err := e.store.CreateUpload(ctx, otherKey, multipart.CreateOptions{})
				require.NoError(t, err)

				stdout, stderr, code := e.run(t, "jobs", "abort", "--json", e.stagingDir, jobID)
				require.Equal(t, exitOK, code, "stderr: %s", stderr)
				var out jobsAbortJSON
				require.NoError(t, json.Unmarshal([]byte(stdout), &out), stdout)
				assert.Equal(t, jobsAbortJSON{
					ID:             jobID,
					Destination:    "s3://" + e.bucket + "/" + e.dest,
					UploadsAborted: len(want) + len(orphans),
				}, out)

				assert.Empty(t, e.keysUnder(t, e.dest+"/"), "nothing under the destination")
				assert.Equal(t, []string{otherKey + " " + otherID}, e.allUploads(t), "only another job's upload is left")
				assert.Empty(t, e.stagingLeft(t), "records left in the staging dir")

				_, stderr, code = e.run(t, "jobs", "abort", e.stagingDir, jobID)
				assert.Equal(t, exitError, code)
				assert.Contains(t, stderr, "not found")
			})
		}
	}
}

// A job whose staging dir is in another bucket than its output
// (Options.StagingStore) is listed, shown, committed and aborted: its
// records are read through a store on their bucket and the job is
// reconciled with one on the output's. uploads --staging-dir, which lists
// the uploads of one bucket, refuses a staging dir in another.
func TestJobsStagingInOtherBucket(t *testing.T) {
	srv := testserver.MinIO(t)
	e := newJobsEnv(t, srv)
	stagingBucket := srv.CreateBucket(t)
	e.stagingDir = "s3://" + stagingBucket + "/" + stagingPrefix
	const jobID = "job-elsewhere"
	ctx := context.Background()
	c, err := staging.New(e.store, staging.Options{
		StagingDir:   e.stagingDir,
		StagingStore: srv.Store(t, stagingBucket),
		BufferDir:    e.bufferDir,
		Destination:  e.dest,
	})
	require.NoError(t, err)
	j, err := c.SetupJob(ctx, jobID)
	require.NoError(t, err)
	a := writeAttempt(t, j, "t0", map[string]string{"a.csv": "a"})
	require.NoError(t, a.CommitTask(ctx))
	key := committer.DestinationKey(e.dest, "a.csv", jobID, true)
	before := e.uploadsAt(t, key)
	require.Len(t, before, 1)

	stdout, stderr, code := e.run(t, "jobs", "list", "--json", e.stagingDir)
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	var list jobsListJSON
	require.NoError(t, json.Unmarshal([]byte(stdout), &list), stdout)
	require.Len(t, list.Jobs, 1)
	assert.Equal(t, "s3://"+e.bucket+"/"+e.dest, list.Jobs[0].Destination)
	assert.Equal(t, "tasks_committed", list.Jobs[0].State)

	stdout, stderr, code = e.run(t, "jobs", "show", "--local", "--json", e.stagingDir, jobID)
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	var local jobsShowJSON
	require.NoError(t, json.Unmarshal([]byte(stdout), &local), stdout)
	assert.False(t, local.Reconciled)
	require.Len(t, local.Tasks, 1)
	assert.Equal(t, e.stagingDir+"/"+jobID+"/tasks/t0.pendingset", local.Tasks[0].PendingSet)

	stdout, stderr, code = e.run(t, "jobs", "show", "--json", e.stagingDir, jobID)
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	var shown jobsShowJSON
	require.NoError(t, json.Unmarshal([]byte(stdout), &shown), stdout)
	assert.True(t, shown.Reconciled, "reconciled with a store on the output's bucket")
	res := runCLI(t, cliRun{Args: []string{"uploads", "list", "s3://" + e.bucket + "/" + e.dest, "--job", jobID, "--staging-dir", e.stagingDir}, Env: serverEnv(srv)})
	oneLineError(t, res, exitUsage, "--staging-dir "+e.stagingDir+" is in bucket")
	assert.Equal(t, before, e.uploadsAt(t, key), "nothing changed")
	assert.Empty(t, e.objects(t))

	// commit: the output in its bucket, no upload, no record in the other.
	_, stderr, code = e.run(t, "jobs", "commit", e.stagingDir, jobID)
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	assert.Equal(t, map[string]string{key: "a"}, e.objects(t))
	assert.Empty(t, e.uploadsAt(t, key))
	records := srv.Store(t, stagingBucket)
	for o, err := range records.ListObjects(ctx, "") {
		require.NoError(t, err)
		t.Errorf("record left in the staging bucket: %s", o.Key)
	}

	// abort of a second job (append mode: the destination holds the
	// first one's output): nothing of it anywhere.
	c2, err := staging.New(e.store, staging.Options{
		StagingDir:   e.stagingDir,
		StagingStore: srv.Store(t, stagingBucket),
		BufferDir:    e.bufferDir,
		Destination:  e.dest,
		Conflict:     committer.ConflictAppend,
	})
	require.NoError(t, err)
	j2, err := c2.SetupJob(ctx, "job-elsewhere-2")
	require.NoError(t, err)
	a2 := writeAttempt(t, j2, "t0", map[string]string{"b.csv": "b"})
	require.NoError(t, a2.CommitTask(ctx))
	_, stderr, code = e.run(t, "jobs", "abort", e.stagingDir, j2.ID())
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	assert.Empty(t, e.uploadsAt(t, committer.DestinationKey(e.dest, "b.csv", j2.ID(), true)))
	assert.Equal(t, map[string]string{key: "a"}, e.objects(t))
	for o, err := range records.ListObjects(ctx, "") {
		require.NoError(t, err)
		t.Errorf("record left in the staging bucket: %s", o.Key)
	}
}

// A staging dir given as a URL of another scheme, or an s3:// URL without
// a prefix, is refused as a usage error before anything is touched, by
// every jobs command and by --staging-dir.
func TestJobsRefuseStagingDirURLs(t *testing.T) {
	tests := []struct {
		dir  string
		want string
	}{
		{"file:///shared/staging", "staging dir file:///shared/staging is a file:// URL; give the staging dir the job was set up with: a directory"},
		{"gs://bucket/_staging", "staging dir gs://bucket/_staging is a gs:// URL"},
		{"https://host/bucket/_staging", "is a https:// URL"},
		{"s3://bucket", "staging dir s3://bucket has no prefix; give s3://bucket/PREFIX"},
		{"s3://bucket/", "has no prefix"},
		{"s3://Bad_Bucket/_staging", "staging dir: "},
		{"s3:///_staging", "no bucket"},
	}
	for _, tt := range tests {
		for _, args := range [][]string{
			{"jobs", "list", tt.dir},
			{"jobs", "show", tt.dir, "job"},
			{"jobs", "commit", tt.dir, "job"},
			{"jobs", "abort", tt.dir, "job"},
			{"uploads", "list", "s3://bucket/dest", "--job", "job", "--staging-dir", tt.dir},
		} {
			t.Run(tt.dir+"/"+args[0]+"_"+args[1], func(t *testing.T) {
				wd := t.TempDir()
				res := runCLI(t, cliRun{Args: args, Dir: wd})
				oneLineError(t, res, exitUsage, tt.want)
				entries, err := os.ReadDir(wd)
				require.NoError(t, err)
				assert.Empty(t, entries, "nothing created in the working directory")
			})
		}
	}
}

// parseStagingDir tells directories from staging dirs in the store.
func TestParseStagingDir(t *testing.T) {
	tests := []struct {
		arg     string
		inStore bool
		path    string
	}{
		{"/shared/staging", false, "/shared/staging"},
		{"relative/staging", false, "relative/staging"},
		{"s3://bucket/_staging", true, "s3://bucket/_staging"},
		{"s3://bucket/_staging/", true, "s3://bucket/_staging"},
		{"s3://bucket/a/b", true, "s3://bucket/a/b"},
		{"s3a://bucket/_staging", true, "s3://bucket/_staging"},
		{"S3://bucket/_staging", true, "s3://bucket/_staging"},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			d, err := parseStagingDir(tt.arg)
			require.NoError(t, err)
			assert.Equal(t, tt.inStore, d.inStore())
			assert.Equal(t, tt.path, d.path())
			assert.Equal(t, tt.arg, d.String())
		})
	}
}

// keysUnder lists the keys of the env's bucket under prefix.
func (e *jobsEnv) keysUnder(t *testing.T, prefix string) []string {
	t.Helper()
	out := []string{}
	for o, err := range e.store.ListObjects(context.Background(), prefix) {
		require.NoError(t, err)
		out = append(out, o.Key)
	}
	return out
}

// allUploads lists every upload in the env's bucket ("key uploadID"),
// sorted.
func (e *jobsEnv) allUploads(t *testing.T) []string {
	t.Helper()
	out := []string{}
	for up, err := range e.store.ListUploads(context.Background(), "") {
		require.NoError(t, err)
		out = append(out, up.Key+" "+up.UploadID)
	}
	sort.Strings(out)
	return out
}

// A job with a corrupt pendingset in a staging dir in the store is
// refused by "jobs show" and "jobs commit" with one line naming the
// record, and rolled back by "jobs abort", as in a directory.
func TestJobsBadInputStoreHome(t *testing.T) {
	e := newHomeEnv(t, testserver.MinIO(t), homeStore)
	const jobID = "job-bad"
	_, want := e.setupJob(t, jobID, map[string]map[string]string{"t0": {"a.csv": "a"}})
	corrupt := stagingPrefix + "/" + jobID + "/tasks/t9.pendingset"
	body := []byte(`{"version": 2, "commits": [{"destinationKey": `)
	_, err := e.store.PutObject(context.Background(), corrupt, bytes.NewReader(body), int64(len(body)), multipart.PutOptions{})
	require.NoError(t, err)
	corruptURL := "s3://" + e.bucket + "/" + corrupt

	for _, args := range [][]string{
		{"jobs", "list", e.stagingDir},
		{"jobs", "show", e.stagingDir, jobID},
		{"jobs", "show", "--local", e.stagingDir, jobID},
		{"jobs", "commit", e.stagingDir, jobID},
	} {
		res := runCLI(t, cliRun{Args: args, Env: serverEnv(e.srv)})
		oneLineError(t, res, exitError, corruptURL)
	}
	assert.Len(t, e.uploadsAt(t, keysOf(want)...), 1, "the job's upload is untouched")
	assert.Empty(t, e.objects(t))

	_, stderr, code := e.run(t, "jobs", "abort", e.stagingDir, jobID)
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	assert.Contains(t, stderr, "warning")
	assert.Empty(t, e.allUploads(t))
	assert.Empty(t, e.stagingLeft(t))
}
