package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// "jobs show" reconciles a job with the store: it reports the uploads a
// killed task attempt left (recorded only in its intents) as orphans, and
// a pending upload aborted behind the job's back as vanished.
func TestJobsShowReportsOrphanAndVanishedUploads(t *testing.T) {
	for _, s := range jobsServers {
		t.Run(s.name, func(t *testing.T) {
			e := newJobsEnv(t, s.get(t))
			const jobID = "job-show"
			_, want := e.setupJob(t, jobID, map[string]map[string]string{
				"t0": {"a.csv": "alpha\n", "b.csv": "bravo\n"},
			})
			killed := e.killTask(t, jobID, "t1", map[string]string{"x.csv": "x", "y.csv": "y", "z.csv": "z"})
			orphans := e.uploadsAt(t, killed...)
			require.NotEmpty(t, orphans)

			// Abort one recorded upload directly through the store.
			keys := keysOf(want)
			pending := e.uploadsAt(t, keys[0])
			require.Len(t, pending, 1)
			goneKey, goneID := keys[0], pending[0][len(keys[0])+1:]
			require.NoError(t, e.store.AbortUpload(context.Background(), goneKey, goneID))

			stdout, stderr, code := e.run(t, "jobs", "show", "--json", e.stagingDir, jobID)
			require.Equal(t, exitOK, code, "stderr: %s", stderr)
			assert.Contains(t, stderr, "vanished", "a warning about the vanished upload")
			var out jobsShowJSON
			require.NoError(t, json.Unmarshal([]byte(stdout), &out), stdout)
			assert.True(t, out.Reconciled)
			assert.Equal(t, "tasks_committed", out.State)
			assert.Equal(t, 1, out.Pending)
			assert.Equal(t, 1, out.Vanished)
			require.Len(t, out.Tasks, 1)
			status := make(map[string]string)
			for _, f := range out.Tasks[0].Files {
				status[f.Key] = f.Status
			}
			assert.Equal(t, map[string]string{keys[0]: "vanished", keys[1]: "pending"}, status)
			var got []string
			for _, o := range out.Orphans {
				got = append(got, o.Key+" "+o.UploadID)
				// An upload whose creation answer the kill lost is
				// attributed through the attempt's uncertain intent.
				assert.Equal(t, "t1_0", o.Attempt, o.Key)
			}
			assert.ElementsMatch(t, orphans, got, "orphans")
			require.Len(t, out.Attempts, 1)
			assert.Equal(t, "t1", out.Attempts[0].TaskID)
			assert.ElementsMatch(t, killed, out.Attempts[0].Keys)

			// The JSON round-trips.
			again, err := json.MarshalIndent(out, "", "  ")
			require.NoError(t, err)
			assert.JSONEq(t, stdout, string(again))

			// The table says the same.
			stdout, _, code = e.run(t, "jobs", "show", e.stagingDir, jobID)
			require.Equal(t, exitOK, code)
			assert.Contains(t, stdout, "1 pending, 1 vanished, 0 completed")
			assert.Contains(t, stdout, "Orphan uploads")
			for _, o := range orphans {
				assert.Contains(t, stdout, o[strings.IndexByte(o, ' ')+1:], "orphan upload ID")
			}
			assert.Contains(t, stdout, goneID)

			// --local reads the staging dir only.
			stdout, _, code = e.run(t, "jobs", "show", "--local", "--json", e.stagingDir, jobID)
			require.Equal(t, exitOK, code)
			var local jobsShowJSON
			require.NoError(t, json.Unmarshal([]byte(stdout), &local))
			assert.False(t, local.Reconciled)
			assert.Empty(t, local.Orphans)
		})
	}
}
