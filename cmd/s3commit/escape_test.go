package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/internal/testserver"
	"github.com/s3commit/s3commit/pendingset"
	"github.com/s3commit/s3commit/staging"
)

// Strings that change a terminal's state when printed raw: an OSC that sets
// the window title (ended by BEL), a CSI that clears the screen, the same
// CSI as the one-character C1 control U+009B, and a right-to-left override
// that makes a key read backwards.
const (
	titleChange = "\x1b]0;pwned\x07"
	clearScreen = "\x1b[2J"
	c1Clear     = "\u009b2J"
	rtlOverride = "\u202e"
)

// assertTerminalSafe checks that out, printed on a terminal, cannot change
// its state: valid UTF-8, no control character but the newline, and no
// other non-printable character (unicode.IsPrint).
func assertTerminalSafe(t *testing.T, what, out string) {
	t.Helper()
	assert.NotContains(t, out, "\x1b", "%s: a raw ESC", what)
	assert.NotContains(t, out, "\x07", "%s: a raw BEL", what)
	assert.True(t, utf8.ValidString(out), "%s: not valid UTF-8", what)
	for i, r := range out {
		if r != '\n' && !unicode.IsPrint(r) {
			assert.Failf(t, "raw non-printable character", "%s: %U at byte %d of %q", what, r, i, out)
			return
		}
	}
}

// TestHumanOutputEscapesControlCharacters shows keys, upload IDs, job
// records and extraData that hold terminal escapes with the human-output
// commands: an upload created through the store API on MinIO (which
// accepts control characters in keys; listings ask for URL-encoded keys,
// so they come back as they are), a pendingset file, a staging dir whose pendingset carries
// them, and an error message. Nothing on stdout or stderr carries a raw
// control or other non-printable character; the table shows them escaped.
func TestHumanOutputEscapesControlCharacters(t *testing.T) {
	srv := testserver.MinIO(t)
	bucket := srv.CreateBucket(t)
	st := newServerStore(t, srv, bucket)
	hostileKey := "dest/part-0000" + titleChange + clearScreen + c1Clear + rtlOverride + "-job1.json"
	createUpload(t, st, hostileKey, "abc")
	// A key --job job1 flags as possibly a longer ID's, in a hostile directory.
	createUpload(t, st, "dest/x"+rtlOverride+c1Clear+"/part-0000-backfill-job1.json", "")
	run := func(t *testing.T, args ...string) cliResult {
		t.Helper()
		res := runCLI(t, cliRun{Args: args, Env: serverEnv(srv)})
		assertTerminalSafe(t, "stdout", res.Stdout)
		assertTerminalSafe(t, "stderr", res.Stderr)
		return res
	}

	t.Run("uploads", func(t *testing.T) {
		for _, args := range [][]string{
			{"uploads", "list", "s3://" + bucket + "/dest"},
			{"uploads", "list", "s3://" + bucket + "/dest", "--parts"},
			{"uploads", "list", "s3://" + bucket + "/dest", "--job", "job1"},
			{"uploads", "abort", "s3://" + bucket + "/dest"},
			{"uploads", "list", "s3://" + bucket + "/dest", "--json"},
		} {
			res := run(t, args...)
			require.Equal(t, exitOK, res.Code, res.Stderr)
			if !slices.Contains(args, "--json") {
				assert.Contains(t, res.Stdout, `\u009b2J\u202e-job1.json"`, "the key, quoted with escapes")
			}
		}
		res := run(t, "uploads", "list", "s3://"+bucket+"/dest", "--job", "job1")
		assert.Contains(t, res.Stderr, `"dest/x\u202e\u009b2J/part-0000-backfill-job1.json"`, "the warning's example key, escaped")
		res = run(t, "uploads", "abort", "s3://"+bucket+"/dest", "--force")
		require.Equal(t, exitOK, res.Code, res.Stderr)
	})

	t.Run("pending show", func(t *testing.T) {
		set := &pendingset.Set{
			Version: 2,
			JobID:   "job1",
			ExtraData: map[string]string{
				pendingset.TaskAttemptIDKey: "attempt" + titleChange,
				"note" + clearScreen:        "value" + titleChange + clearScreen + c1Clear + "\xff",
			},
			Commits: []pendingset.Upload{{
				Version: 2, Bucket: bucket, Key: hostileKey, UploadID: "upload" + clearScreen,
				JobID: "job1", TaskID: "task" + titleChange, ETags: []string{"0123456789abcdef0123456789abcdef"}, Length: 3,
			}},
		}
		var buf bytes.Buffer
		require.NoError(t, set.Encode(&buf))
		file := filepath.Join(t.TempDir(), "task-0000.pendingset")
		require.NoError(t, os.WriteFile(file, buf.Bytes(), 0o600))
		for _, args := range [][]string{{"pending", "show", file}, {"pending", "show", file, "--json"}} {
			res := run(t, args...)
			require.Equal(t, exitOK, res.Code, res.Stderr)
		}
		res := run(t, "pending", "show", file)
		assert.Contains(t, res.Stdout, strconv.Quote(hostileKey))
		assert.Contains(t, res.Stdout, strconv.Quote("attempt"+titleChange))
		assert.Contains(t, res.Stdout, strconv.Quote("task"+titleChange))
	})

	t.Run("jobs show", func(t *testing.T) {
		dir := runJob(t, st, "tables/events", "job-1", false)
		path := staging.PendingSetPath(dir, "job-1", "task-0000")
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		set, err := pendingset.DecodeSet(bytes.NewReader(data))
		require.NoError(t, err)
		set.ExtraData[pendingset.TaskAttemptIDKey] = "task-0000_0" + titleChange + clearScreen
		set.Commits[0].UploadID += clearScreen // not in the store: vanished
		var buf bytes.Buffer
		require.NoError(t, set.Encode(&buf))
		require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))

		for _, args := range [][]string{
			{"jobs", "show", dir, "job-1"},
			{"jobs", "show", "--local", dir, "job-1"},
			{"jobs", "list", dir},
		} {
			res := run(t, args...)
			if res.Code == exitOK && args[1] == "show" {
				assert.Contains(t, res.Stdout, strconv.Quote("task-0000_0"+titleChange+clearScreen), "the attempt, escaped")
				assert.Contains(t, res.Stdout, strconv.Quote(set.Commits[0].UploadID), "the upload ID, escaped")
			}
		}

		// A destination may hold printable-looking characters that are
		// not: the C1 control and the override pass the path checks.
		dest := "tables/ev" + rtlOverride + c1Clear + "ents"
		dir = runJob(t, st, dest, "job-2", false)
		for _, args := range [][]string{
			{"jobs", "show", dir, "job-2"},
			{"jobs", "show", "--local", dir, "job-2"},
			{"jobs", "list", dir},
		} {
			res := run(t, args...)
			require.Equal(t, exitOK, res.Code, res.Stderr)
			assert.Contains(t, res.Stdout, strconv.Quote("s3://"+bucket+"/"+dest), "the destination, escaped")
		}
	})

	t.Run("errors", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "missing"+titleChange+clearScreen+".pendingset")
		res := run(t, "pending", "show", missing)
		assert.Equal(t, exitError, res.Code)
		assert.Contains(t, res.Stderr, `\x1b]0;pwned\a\x1b[2J.pendingset`)
	})
}
