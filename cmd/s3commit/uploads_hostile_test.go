package main

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/internal/testserver"
)

// TestUploadsAbortRefusesAgesThatSelectEverything runs "uploads abort
// --force" with --older-than values that once parsed to a duration of zero
// or less (NaN days, an overflowing sum, zero), which selected every
// upload, however young: each is a usage error (exit code 2) naming the
// value and the accepted form, and nothing is aborted.
func TestUploadsAbortRefusesAgesThatSelectEverything(t *testing.T) {
	f := newUploadsFixture(t, testserver.MinIO(t))
	all := f.all()
	for _, age := range []string{"NaNd", "nand", "36500d2562047h", "106752d", "0", "0d", "0.00000000000001d"} {
		t.Run(age, func(t *testing.T) {
			res := f.run(t, "uploads", "abort", f.url("dest"), "--older-than", age, "--force")
			oneLineError(t, res, exitUsage, "--older-than", `"`+age+`"`, "e.g. 90m, 36h, 2d or 1d12h")
			require.Equal(t, all, existing(t, f.store, all...), "nothing aborted")
		})
	}
	// A valid age still works: nothing is that old.
	res := f.run(t, "uploads", "abort", f.url("dest"), "--older-than", "1d", "--force")
	require.Equal(t, exitOK, res.Code, res.Stderr)
	assert.Equal(t, "no uploads under "+f.url("dest")+" selected; nothing to abort\n", res.Stdout)
	assert.Equal(t, all, existing(t, f.store, all...))
}

// longerIDEnv is a staging dir with job "job-20260101" (a committed task
// and a killed attempt whose uploads only its intents record) and job
// "backfill-job-20260101", whose ID ends in the first one's: --job
// job-20260101 matches the keys of both by name.
type longerIDEnv struct {
	*jobsEnv
	// job are the uploads of job-20260101 ("key uploadID"), other the one
	// of backfill-job-20260101.
	job   []string
	other string
}

const (
	shortJobID  = "job-20260101"
	longerJobID = "backfill-" + shortJobID
)

func newLongerIDEnv(t *testing.T, srv *testserver.Server, home string) *longerIDEnv {
	t.Helper()
	e := &longerIDEnv{jobsEnv: newHomeEnv(t, srv, home)}
	_, files := e.setupJob(t, shortJobID, map[string]map[string]string{"t0": {"part-0000.csv": "a\n"}})
	killed := e.killTask(t, shortJobID, "t1", map[string]string{"part-0001.csv": "b\n", "part-0002.csv": "c\n"})
	e.job = e.uploadsAt(t, append(keysOf(files), killed...)...)
	require.Greater(t, len(e.job), 1, "the committed task's upload and at least one of the killed attempt's")
	_, files = e.setupJob(t, longerJobID, map[string]map[string]string{"t0": {"part-0000.csv": "x\n"}})
	other := e.uploadsAt(t, keysOf(files)...)
	require.Len(t, other, 1)
	e.other = other[0]
	require.Equal(t, e.dest+"/part-0000-"+longerJobID+".csv", strings.Fields(e.other)[0])
	return e
}

// url is the s3:// URL of the jobs' destination.
func (e *longerIDEnv) url() string { return "s3://" + e.bucket + "/" + e.dest }

// TestUploadsJobLongerID checks --job against a job whose ID ends in the
// given one: the match by name says which selected uploads could be the
// longer ID's (a warning on stderr, a count and a flag per upload in
// --json), and --staging-dir keeps only the uploads that the job's records
// account for, so that abort leaves the other job's uploads alone; the
// same with a staging dir in the store (s3://BUCKET/_staging).
func TestUploadsJobLongerID(t *testing.T) {
	for _, s := range servers {
		for _, home := range stagingHomes {
			t.Run(s.name+"/"+home, func(t *testing.T) { testUploadsJobLongerID(t, newLongerIDEnv(t, s.get(t), home)) })
		}
	}
}

// testUploadsJobLongerID runs TestUploadsJobLongerID on one env.
func testUploadsJobLongerID(t *testing.T, e *longerIDEnv) {
	otherKey := strings.Fields(e.other)[0]
	byName := append(slices.Clone(e.job), e.other)

	t.Run("warning", func(t *testing.T) {
		stdout, stderr, code := e.run(t, "uploads", "list", e.url(), "--job", shortJobID, "--json")
		require.Equal(t, exitOK, code, stderr)
		doc, got := uploadsOf(t, stdout)
		assert.ElementsMatch(t, byName, uploadLines(got), "by name, --job matches both jobs' uploads")
		assert.EqualValues(t, 1, doc["ambiguous_job_matches"])
		for _, u := range doc["uploads"].([]any) {
			u := u.(map[string]any)
			if u["key"] == otherKey {
				assert.Equal(t, true, u["ambiguous_job_match"], "the longer ID's upload is flagged")
			} else {
				assert.NotContains(t, u, "ambiguous_job_match", "%s", u["key"])
			}
		}
		assert.Equal(t, 1, countLines(stderr), "one warning line: %q", stderr)
		assert.Contains(t, stderr, "s3commit: warning: 1 of "+strconv.Itoa(len(byName))+" uploads")
		assert.Contains(t, stderr, otherKey, "an example key")
		assert.Contains(t, stderr, "--staging-dir")

		// The table warns the same way, before the table.
		stdout, stderr, code = e.run(t, "uploads", "list", e.url(), "--job", shortJobID)
		require.Equal(t, exitOK, code, stderr)
		assert.Contains(t, stdout, otherKey)
		assert.Equal(t, 1, countLines(stderr), "one warning line: %q", stderr)
		assert.Contains(t, stderr, "s3commit: warning: 1 of ")
		assert.Contains(t, stderr, otherKey)

		// The longer ID itself matches no shorter one's keys.
		stdout, stderr, code = e.run(t, "uploads", "list", e.url(), "--job", longerJobID, "--json")
		require.Equal(t, exitOK, code, stderr)
		doc, got = uploadsOf(t, stdout)
		assert.Equal(t, []string{e.other}, uploadLines(got))
		assert.EqualValues(t, 0, doc["ambiguous_job_matches"])
		assert.Empty(t, stderr)

		// Without --job there is nothing to say.
		stdout, stderr, code = e.run(t, "uploads", "list", e.url(), "--json")
		require.Equal(t, exitOK, code, stderr)
		doc, _ = uploadsOf(t, stdout)
		assert.NotContains(t, doc, "ambiguous_job_matches")
		assert.Empty(t, stderr)
	})

	t.Run("staging dir cross-check", func(t *testing.T) {
		stdout, stderr, code := e.run(t, "uploads", "list", e.url(), "--job", shortJobID, "--staging-dir", e.stagingDir, "--json")
		require.Equal(t, exitOK, code, stderr)
		doc, got := uploadsOf(t, stdout)
		assert.ElementsMatch(t, e.job, uploadLines(got), "only the uploads the job's records account for")
		assert.EqualValues(t, 0, doc["ambiguous_job_matches"])
		assert.Equal(t, e.stagingDir, doc["staging_dir"])
		assert.EqualValues(t, 1, doc["not_in_job_records"])
		assert.Equal(t, 1, countLines(stderr), "one note: %q", stderr)
		assert.Contains(t, stderr, "1 upload")
		assert.Contains(t, stderr, otherKey, "names what was left out")
		assert.NotContains(t, stderr, "warning")

		stdout, stderr, code = e.run(t, "uploads", "list", e.url(), "--job", shortJobID, "--staging-dir", e.stagingDir)
		require.Equal(t, exitOK, code, stderr)
		assert.NotContains(t, stdout, otherKey)
		assert.Contains(t, stdout, strconv.Itoa(len(e.job))+" uploads under "+e.url())
		assert.Contains(t, stderr, otherKey)

		// The longer ID's job is in the same staging dir: its records
		// account for its own upload.
		stdout, stderr, code = e.run(t, "uploads", "list", e.url(), "--job", longerJobID, "--staging-dir", e.stagingDir, "--json")
		require.Equal(t, exitOK, code, stderr)
		_, got = uploadsOf(t, stdout)
		assert.Equal(t, []string{e.other}, uploadLines(got))
		assert.Empty(t, stderr)
	})

	t.Run("staging dir mistakes", func(t *testing.T) {
		res := runCLI(t, cliRun{Args: []string{"uploads", "abort", e.url(), "--staging-dir", e.stagingDir, "--force"}, Env: serverEnv(e.srv)})
		oneLineError(t, res, exitUsage, "--staging-dir needs --job")
		res = runCLI(t, cliRun{Args: []string{"uploads", "abort", e.url(), "--job", "job-20260102", "--staging-dir", e.stagingDir, "--force"}, Env: serverEnv(e.srv)})
		oneLineError(t, res, exitError, `"job-20260102" not found in staging dir `+e.stagingDir)
		otherBucket := "s3://" + e.srv.CreateBucket(t) + "/" + e.dest
		if e.inStore() {
			missing := "s3://" + e.bucket + "/missing"
			res = runCLI(t, cliRun{Args: []string{"uploads", "abort", e.url(), "--job", shortJobID, "--staging-dir", missing, "--force"}, Env: serverEnv(e.srv)})
			oneLineError(t, res, exitError, `"`+shortJobID+`" not found in staging dir `+missing)
			res = runCLI(t, cliRun{Args: []string{"uploads", "abort", otherBucket, "--job", shortJobID, "--staging-dir", e.stagingDir, "--force"}, Env: serverEnv(e.srv)})
			oneLineError(t, res, exitUsage, "--staging-dir "+e.stagingDir+" is in bucket \""+e.bucket+"\", not in bucket")
		} else {
			missing := filepath.Join(t.TempDir(), "missing")
			res = runCLI(t, cliRun{Args: []string{"uploads", "abort", e.url(), "--job", shortJobID, "--staging-dir", missing, "--force"}, Env: serverEnv(e.srv)})
			oneLineError(t, res, exitError, "staging dir "+missing+" does not exist")
			res = runCLI(t, cliRun{Args: []string{"uploads", "abort", otherBucket, "--job", shortJobID, "--staging-dir", e.stagingDir, "--force"}, Env: serverEnv(e.srv)})
			oneLineError(t, res, exitUsage, "writes to s3://"+e.bucket+"/"+e.dest)
		}
		assert.ElementsMatch(t, byName, e.uploadsAt(t, keysOfLines(byName)...), "nothing aborted")
	})

	t.Run("abort with the cross-check", func(t *testing.T) {
		stdout, stderr, code := e.run(t, "uploads", "abort", e.url(), "--job", shortJobID, "--staging-dir", e.stagingDir,
			"--expect", strconv.Itoa(len(e.job)), "--force", "--json")
		require.Equal(t, exitOK, code, stderr)
		doc, got := uploadsOf(t, stdout)
		assert.ElementsMatch(t, e.job, uploadLines(got))
		assert.EqualValues(t, len(e.job), doc["aborted"])
		assert.Empty(t, e.uploadsAt(t, keysOfLines(e.job)...), "the job's uploads are aborted")
		assert.Equal(t, []string{e.other}, e.uploadsAt(t, otherKey), "the longer ID's upload is left alone")
	})
}

// uploadLines formats uploads as "key uploadID", as jobsEnv.uploadsAt does.
func uploadLines(uploads []upload) []string {
	out := []string{}
	for _, u := range uploads {
		out = append(out, u.Key+" "+u.UploadID)
	}
	return out
}

// keysOfLines returns the distinct keys of "key uploadID" lines.
func keysOfLines(lines []string) []string {
	var keys []string
	for _, l := range lines {
		if k := strings.Fields(l)[0]; !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}
