package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/staging"
)

// A job whose tasks committed and whose driver died is rolled back by "jobs
// abort": nothing visible, no upload left at any of its keys (a killed
// attempt's included), no _SUCCESS, its staging dir gone; another job's
// upload under the same destination survives.
func TestJobsAbortRollsBackJobOfDeadDriver(t *testing.T) {
	for _, s := range jobsServers {
		t.Run(s.name, func(t *testing.T) {
			e := newJobsEnv(t, s.get(t))
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

			assert.Empty(t, e.objects(t), "objects under the destination")
			_, _, err = e.store.GetObject(ctx, e.dest+"/"+staging.SuccessMarker)
			assert.ErrorIs(t, err, multipart.ErrNotFound, "no _SUCCESS")
			assert.Empty(t, e.uploadsAt(t, append(keysOf(want), killed...)...), "uploads left")
			assert.Equal(t, []string{otherKey + " " + otherID}, e.uploadsAt(t, otherKey), "another job's upload survives")
			assert.NoDirExists(t, filepath.Join(e.stagingDir, jobID))
		})
	}
}

// "jobs abort" of an interrupted job commit deletes what the commit had
// completed; the human output counts it.
func TestJobsAbortRevertsInterruptedCommit(t *testing.T) {
	e := newJobsEnv(t, jobsServers[0].get(t))
	const jobID = "job-interrupted-abort"
	j, want := e.setupJob(t, jobID, map[string]map[string]string{
		"t0": {"a.csv": "a", "b.csv": "bb", "c.csv": "ccc"},
	})
	interruptCommit(t, e, j)

	stdout, stderr, code := e.run(t, "jobs", "abort", e.stagingDir, jobID)
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	assert.Contains(t, stdout, "Aborted job "+jobID)
	assert.Empty(t, e.objects(t))
	assert.Empty(t, e.uploadsAt(t, keysOf(want)...))

	_, stderr, code = e.run(t, "jobs", "abort", e.stagingDir, "no-such-job")
	assert.Equal(t, exitError, code)
	assert.Contains(t, stderr, `job "no-such-job" not found`)
	assert.Equal(t, 1, countLines(stderr), stderr)
}
