package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/internal/testserver"
	"github.com/s3commit/s3commit/staging"
	"github.com/s3commit/s3commit/success"
)

// jobsServers are the real servers the jobs commands that talk to the
// store are tested on.
var jobsServers = []struct {
	name string
	get  func(testing.TB) *testserver.Server
}{
	{"minio", testserver.MinIO},
	{"versitygw", testserver.VersityGW},
}

// A job whose tasks committed and whose driver died (no CommitJob) is
// finished by "jobs commit": every file visible with its exact bytes,
// _SUCCESS written, no upload left at any of the job's keys (those of a
// killed attempt included), the staging dir of the job gone.
func TestJobsCommitFinishesJobOfDeadDriver(t *testing.T) {
	for _, s := range jobsServers {
		t.Run(s.name, func(t *testing.T) {
			e := newJobsEnv(t, s.get(t))
			const jobID = "job-dead-driver"
			_, want := e.setupJob(t, jobID, map[string]map[string]string{
				"t0": {"a.csv": "alpha\n", "dir/b.csv": "bravo bravo\n"},
				"t1": {"c.csv": "charlie\n", "empty.csv": ""},
			})
			killed := e.killTask(t, jobID, "t2", map[string]string{"x.csv": "x", "y.csv": "y", "z.csv": "z"})
			require.NotEmpty(t, e.uploadsAt(t, killed...), "the killed attempt left uploads")

			stdout, stderr, code := e.run(t, "jobs", "commit", "--json", e.stagingDir, jobID)
			require.Equal(t, exitOK, code, "stderr: %s", stderr)
			var out jobsCommitJSON
			require.NoError(t, json.Unmarshal([]byte(stdout), &out), stdout)
			successURL := "s3://" + e.bucket + "/" + e.dest + "/" + staging.SuccessMarker
			assert.Equal(t, jobsCommitJSON{
				ID:                   jobID,
				Destination:          "s3://" + e.bucket + "/" + e.dest,
				FilesCompleted:       len(want),
				Bytes:                int64(len("alpha\n") + len("bravo bravo\n") + len("charlie\n")),
				Success:              successURL,
				OrphanUploadsAborted: out.OrphanUploadsAborted,
			}, out)
			assert.NotZero(t, out.OrphanUploadsAborted, "the killed attempt's uploads")

			assert.Equal(t, want, e.objects(t), "objects under the destination")
			d, err := success.Read(context.Background(), e.store, e.dest+"/"+staging.SuccessMarker)
			require.NoError(t, err)
			assert.Equal(t, jobID, d.JobID)
			require.NoError(t, success.Verify(context.Background(), e.store, e.dest, d))
			assert.Empty(t, e.uploadsAt(t, append(keysOf(want), killed...)...), "uploads left")
			assert.NoDirExists(t, filepath.Join(e.stagingDir, jobID))

			// The job is gone now: a second commit names the problem.
			_, stderr, code = e.run(t, "jobs", "commit", e.stagingDir, jobID)
			assert.Equal(t, exitError, code)
			assert.Contains(t, stderr, "not found")
			assert.Equal(t, 1, countLines(stderr), stderr)
		})
	}
}

// An interrupted job commit (its driver died while completing uploads) is
// resumed by "jobs commit", and the human output says where _SUCCESS is.
func TestJobsCommitResumesInterruptedCommit(t *testing.T) {
	e := newJobsEnv(t, testserver.MinIO(t))
	const jobID = "job-interrupted"
	j, want := e.setupJob(t, jobID, map[string]map[string]string{
		"t0": {"a.csv": "a", "b.csv": "bb", "c.csv": "ccc"},
	})
	interruptCommit(t, e, j)
	stdout, _, code := e.run(t, "jobs", "list", "--json", e.stagingDir)
	require.Equal(t, exitOK, code)
	assert.Contains(t, stdout, `"state": "interrupted"`)

	stdout, stderr, code := e.run(t, "jobs", "commit", e.stagingDir, jobID)
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	assert.Contains(t, stdout, "3 files completed")
	assert.Contains(t, stdout, "s3://"+e.bucket+"/"+e.dest+"/_SUCCESS")
	assert.Equal(t, want, e.objects(t))
	assert.Empty(t, e.uploadsAt(t, keysOf(want)...))
}

// A job one of whose pending uploads vanished (aborted behind its back)
// cannot be committed: "jobs commit" fails with one line saying so and,
// like the library, reverts the job: nothing visible, no upload left.
func TestJobsCommitOfJobWithVanishedUpload(t *testing.T) {
	e := newJobsEnv(t, testserver.MinIO(t))
	const jobID = "job-vanished"
	_, want := e.setupJob(t, jobID, map[string]map[string]string{
		"t0": {"a.csv": "a", "b.csv": "bb"},
	})
	keys := keysOf(want)
	ups := e.uploadsAt(t, keys[0])
	require.Len(t, ups, 1)
	require.NoError(t, e.store.AbortUpload(context.Background(), keys[0], ups[0][len(keys[0])+1:]))

	_, stderr, code := e.run(t, "jobs", "commit", e.stagingDir, jobID)
	assert.Equal(t, exitError, code)
	assert.Equal(t, 1, countLines(stderr), stderr)
	assert.Contains(t, stderr, "missing")
	assert.Contains(t, stderr, "reverted")
	assert.Empty(t, e.objects(t))
	assert.Empty(t, e.uploadsAt(t, keys...))
}
