package committertest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/pendingset"
)

func validationScenarios() []scenario {
	return []scenario{
		{name: "InvalidPendingSets", run: testInvalidPendingSets},
		{name: "EscapingNamesAndIDs", run: testEscapingNamesAndIDs},
	}
}

// testInvalidPendingSets: job commit validates every pendingset before it
// touches the store. A corrupt pendingset, one naming another bucket, one
// naming a key outside the destination (also a neighbouring one, "outx"
// next to "out"), or a key committed by two tasks makes CommitJob fail
// with ErrInvalidPendingSet without a single completion, put or delete;
// AbortJob then leaves no upload.
func testInvalidPendingSets(t *testing.T, e *env) {
	cases := []struct {
		name string
		// tamper changes the pendingset of task-0 (given) or adds the
		// pendingset of another task: it returns the task ID to write
		// and the bytes.
		tamper func(e *env, dest string, set *pendingset.Set, raw []byte) (taskID string, data []byte)
	}{
		{"corrupt", func(_ *env, _ string, _ *pendingset.Set, raw []byte) (string, []byte) {
			return "task-0", raw[:len(raw)/2]
		}},
		{"not-a-pendingset", func(*env, string, *pendingset.Set, []byte) (string, []byte) {
			return "task-0", []byte(`{"version": 2, "commits": [{"version": 2}]}`)
		}},
		{"other-bucket", func(_ *env, _ string, set *pendingset.Set, _ []byte) (string, []byte) {
			c := &set.Commits[0]
			c.Bucket, c.URI = "another-bucket-"+randomHex(3), ""
			return "task-0", encodeSet(set)
		}},
		{"key-outside-destination", func(e *env, _ string, set *pendingset.Set, _ []byte) (string, []byte) {
			c := &set.Commits[0]
			c.Key, c.URI = e.dest("elsewhere/part-0000.json"), ""
			return "task-0", encodeSet(set)
		}},
		{"key-in-neighbour-destination", func(_ *env, dest string, set *pendingset.Set, _ []byte) (string, []byte) {
			c := &set.Commits[0]
			c.Key, c.URI = dest+"x/part-0000.json", ""
			return "task-0", encodeSet(set)
		}},
		{"added-task-outside-destination", func(e *env, _ string, set *pendingset.Set, _ []byte) (string, []byte) {
			c := &set.Commits[0]
			c.Key, c.URI = e.root+"-other/part-0000.json", ""
			set.Commits = set.Commits[:1]
			return "task-added", encodeSet(set)
		}},
		{"added-task-same-key", func(_ *env, _ string, set *pendingset.Set, raw []byte) (string, []byte) {
			return "task-added", raw
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := e.sub(t)
			dest := e.dest("out")
			cfg := e.config(dest, committer.ConflictFail)
			j := e.setupJob(cfg, "")
			a := j.task("task-0", 0)
			a.writeFiles("", 2)
			a.commit()

			raw, err := e.readPendingSet(j.ID(), "task-0")
			require.NoError(t, err, "reading the pendingset of a committed task")
			set, err := pendingset.DecodeSet(bytes.NewReader(raw))
			require.NoError(t, err, "the committed pendingset decodes")
			require.Len(t, set.Commits, 2)
			taskID, data := tc.tamper(e, dest, set, raw)
			require.NoError(t, e.writePendingSet(j.ID(), taskID, data))

			faulty, fs := e.faulty(cfg)
			err = e.openJob(faulty, j.ID()).CommitJob(e.ctx)
			require.ErrorIs(t, err, committer.ErrInvalidPendingSet, "CommitJob with a %s pendingset", tc.name)
			for _, op := range []faultstore.Op{faultstore.OpCompleteUpload, faultstore.OpPutObject, faultstore.OpDeleteObjects} {
				assert.Zero(t, fs.Calls(op), "%s calls before refusing the pendingsets", op)
			}
			e.checkObjects(expect())

			require.NoError(t, j.AbortJob(e.ctx))
			e.check(expect())
		})
	}
}

func encodeSet(set *pendingset.Set) []byte {
	var b bytes.Buffer
	if err := set.Encode(&b); err != nil {
		panic("committertest: encoding a tampered pendingset: " + err.Error())
	}
	return b.Bytes()
}

// testEscapingNamesAndIDs: job and task IDs and file names that would
// escape their directory are refused with ErrInvalidID and ErrInvalidPath,
// and nothing is written outside the staging and buffer dirs.
func testEscapingNamesAndIDs(t *testing.T, e *env) {
	cfg := e.config(e.dest("out"), committer.ConflictFail)
	c := e.committer(cfg)
	for _, id := range []string{"../escaped", "a/b", "/abs", "..", ".", "a\\b", "job/../../escaped"} {
		_, err := c.SetupJob(e.ctx, id)
		require.ErrorIs(t, err, committer.ErrInvalidID, "SetupJob(%q)", id)
		_, err = c.OpenJob(e.ctx, id)
		require.Error(t, err, "OpenJob(%q)", id)
		assert.True(t, errorIsAny(err, committer.ErrInvalidID, committer.ErrJobNotFound),
			"OpenJob(%q): %v; want ErrInvalidID or ErrJobNotFound", id, err)
	}

	j := e.setupJob(cfg, "")
	for _, id := range []string{"../escaped", "a/b", "/abs", "", "..", "a\\b"} {
		_, err := j.SetupTask(e.ctx, id, 0)
		require.ErrorIs(t, err, committer.ErrInvalidID, "SetupTask(%q)", id)
	}
	_, err := j.SetupTask(e.ctx, "task-0", -1)
	require.ErrorIs(t, err, committer.ErrInvalidID, "SetupTask with attempt -1")

	a := j.task("task-0", 0)
	abs := filepath.Join(t.TempDir(), "escaped-absolute.json")
	for _, rel := range []string{"../escaped.json", "../../escaped.json", "a/../../escaped.json", abs, "/escaped.json",
		"a//b.json", "", "./a.json", "a/", "a\\b.json"} {
		f, err := a.Create(rel)
		if f != nil {
			f.Close()
		}
		require.ErrorIs(t, err, committer.ErrInvalidPath, "Create(%q)", rel)
	}
	_, err = os.Stat(abs)
	require.ErrorIs(t, err, os.ErrNotExist, "Create of an absolute path wrote the file")
	for _, dir := range []string{e.staging, e.buffer, filepath.Dir(e.staging), filepath.Dir(e.buffer)} {
		requireNoName(t, dir, "escaped")
	}

	a.write("ok.json", 10)
	a.commit()
	require.NoError(t, j.CommitJob(e.ctx))
	e.check(expect().committed(j, a))
}

// requireNoName asserts that no file below dir has a name containing s.
func requireNoName(t *testing.T, dir, s string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable neighbours of the temp dirs are not ours
		}
		if strings.Contains(d.Name(), s) {
			t.Errorf("found %s", p)
		}
		return nil
	})
	require.NoError(t, err)
}
