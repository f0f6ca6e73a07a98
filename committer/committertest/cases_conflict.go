package committertest

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/faultstore"
)

func conflictScenarios() []scenario {
	return []scenario{
		{name: "DirectoryFail", modes: directoryOnly, run: testDirectoryFail},
		{name: "DirectoryAppend", modes: directoryOnly, run: testDirectoryAppend},
		{name: "DirectoryReplace", modes: directoryOnly, run: testDirectoryReplace},
		{name: "PartitionedFail", modes: partitionedOnly, run: testPartitionedFail},
		{name: "PartitionedAppend", modes: partitionedOnly, run: testPartitionedAppend},
		{name: "PartitionedReplace", modes: partitionedOnly, run: testPartitionedReplace},
		{name: "FailModeRacingWriter", run: testFailModeRacingWriter},
	}
}

// testDirectoryFail: in fail mode SetupJob refuses a destination holding
// objects and leaves nothing behind; objects of a neighbouring destination
// ("outx" next to "out") do not count.
func testDirectoryFail(t *testing.T, e *env) {
	old := e.putOld(e.dest("out"), "part-0000.json", "year=2026/part-0001.json")
	neighbour := e.putOld(e.dest("cleanx"), "part-0000.json")

	id := "job-refused-" + randomHex(4)
	_, err := e.committer(e.config(e.dest("out"), committer.ConflictFail)).SetupJob(e.ctx, id)
	require.ErrorIs(t, err, committer.ErrDestinationExists, "SetupJob in fail mode on a destination with objects")
	e.requireStagingFree(id)

	j := e.setupJob(e.config(e.dest("clean"), committer.ConflictFail), "")
	a := j.task("task-0", 0)
	a.writeFiles("", 2)
	a.commit()
	require.NoError(t, j.CommitJob(e.ctx))
	e.check(expect().with(old, neighbour).committed(j, a))
}

// testDirectoryAppend: append adds the job's files to older ones, with
// unique filenames even where the names are the same.
func testDirectoryAppend(t *testing.T, e *env) {
	old := e.putOld(e.dest("out"), "part-0000.json", "year=2026/part-0000.json")
	j := e.setupJob(e.config(e.dest("out"), committer.ConflictAppend), "")
	a := j.task("task-0", 0)
	a.write("part-0000.json", 40)
	a.write("year=2026/part-0000.json", 40)
	a.write("year=2027/part-0000.json", 40)
	a.commit()
	e.checkObjects(expect().with(old))
	require.NoError(t, j.CommitJob(e.ctx))
	e.check(expect().with(old).committed(j, a))
}

// testDirectoryReplace: replace leaves exactly the job's files under the
// destination, removes every older object there (nested ones too), keeps
// the older data until job commit, and leaves a neighbouring destination
// alone.
func testDirectoryReplace(t *testing.T, e *env) {
	old := e.putOld(e.dest("out"), "part-0000.json", "year=2026/part-0001.json", "year=2025/month=1/part-0002.json")
	neighbour := e.putOld(e.dest("outx"), "part-0000.json")
	j := e.setupJob(e.config(e.dest("out"), committer.ConflictReplace), "")
	a := j.task("task-0", 0)
	a.write("part-0000.json", 40)
	a.write("year=2026/part-0000.json", 40)
	a.commit()
	b := j.task("task-1", 0)
	b.writeFiles("year=2027", 2)
	b.commit()
	e.checkObjects(expect().with(old, neighbour)) // old data stays until job commit
	require.NoError(t, j.CommitJob(e.ctx))
	e.check(expect().with(neighbour).committed(j, a, b))
}

// testPartitionedFail: in fail mode CommitTask refuses a task that writes
// into a partition holding objects, keeps its local files and leaves no
// upload; tasks writing other partitions commit.
func testPartitionedFail(t *testing.T, e *env) {
	dest := e.dest("out")
	old := e.putOld(dest, "p=1/old.json", "p=2/old.json")
	j := e.setupJob(e.config(dest, committer.ConflictFail), "")

	clash := j.task("task-clash", 0)
	clash.write("p=1/new.json", 40)
	clash.write("p=3/new.json", 40)
	err := clash.CommitTask(e.ctx)
	require.ErrorIs(t, err, committer.ErrDestinationExists, "CommitTask into a partition with objects")
	assert.Zero(t, e.uploadsOf(clash), "a refused task commit leaves no upload")
	for rel := range clash.files {
		_, err := os.Stat(filepath.Join(clash.Dir(), filepath.FromSlash(rel)))
		require.NoError(t, err, "a failed CommitTask keeps the attempt's file %s", rel)
	}
	require.NoError(t, clash.AbortTask(e.ctx))

	ok := j.task("task-ok", 0)
	ok.write("root.json", 30)        // the root partition holds no object
	ok.write("p=3/new.json", 30)     // a partition without objects
	ok.write("p=2/sub/new.json", 30) // p=2/sub is a partition of its own
	ok.commit()
	require.NoError(t, j.CommitJob(e.ctx))
	e.check(expect().with(old).committed(j, ok))
}

// testPartitionedAppend: append adds the job's files to every partition,
// the root included.
func testPartitionedAppend(t *testing.T, e *env) {
	dest := e.dest("out")
	old := e.putOld(dest, "root.json", "p=1/part-0000.json", "p=2/part-0000.json")
	j := e.setupJob(e.config(dest, committer.ConflictAppend), "")
	a := j.task("task-0", 0)
	a.write("root.json", 30)
	a.write("p=1/part-0000.json", 30)
	a.write("p=3/part-0000.json", 30)
	a.commit()
	require.NoError(t, j.CommitJob(e.ctx))
	e.check(expect().with(old).committed(j, a))
}

// testPartitionedReplace: replace empties only the partitions the job
// writes. Replacing the root partition removes the objects directly at the
// root, not the other partitions; a job without root files keeps the
// root's objects.
func testPartitionedReplace(t *testing.T, e *env) {
	dest := e.dest("out")
	replaced := e.putOld(dest, "root-old.json", "p=1/old.json", "p=1/old-2.json")
	kept := e.putOld(dest, "p=2/old.json", "p=2/sub/old.json")
	neighbour := e.putOld(e.dest("outx"), "p=1/old.json")
	j := e.setupJob(e.config(dest, committer.ConflictReplace), "")
	a := j.task("task-0", 0)
	a.write("root-new.json", 30)
	a.write("p=1/old.json", 30) // same name as an old file: a new key
	a.commit()
	b := j.task("task-1", 0)
	b.writeFiles("p=3", 2)
	b.commit()
	e.checkObjects(expect().with(replaced, kept, neighbour))

	// A second destination whose job writes no root file.
	dest2 := e.dest("out2")
	rootKept := e.putOld(dest2, "root-old.json")
	replaced2 := e.putOld(dest2, "p=1/old.json")
	j2 := e.setupJob(e.config(dest2, committer.ConflictReplace), "")
	c := j2.task("task-0", 0)
	c.writeFiles("p=1", 1)
	c.commit()

	require.NoError(t, j.CommitJob(e.ctx))
	require.NoError(t, j2.CommitJob(e.ctx))
	x := expect().with(replaced, kept, neighbour, rootKept, replaced2).without(replaced, replaced2)
	e.check(x.committed(j, a, b).committed(j2, c))
}

// testFailModeRacingWriter: in fail mode, another writer creates an object
// at one of the job's keys during job commit, after any check the
// committer made before completing. Where the store enforces
// If-None-Match, job commit fails with ErrDestinationExists and reverts
// without touching the other writer's object; where the store ignores it
// (Behavior.IgnoresIfNoneMatch), the job's file replaces it.
func testFailModeRacingWriter(t *testing.T, e *env) {
	cfg := e.config(e.dest("out"), committer.ConflictFail)
	j := e.setupJob(cfg, "")
	a := j.task("task-0", 0)
	a.writeFiles("p=1", 3)
	a.commit()

	racer := map[string][]byte{}
	var once sync.Once
	cfg, _ = e.faulty(cfg, faultstore.Rule{Op: faultstore.OpCompleteUpload, Times: 1, Match: func(c faultstore.Call) bool {
		once.Do(func() {
			data := []byte("written by another writer at " + c.Key + "\n")
			_, err := e.store.PutObject(e.ctx, c.Key, bytes.NewReader(data), int64(len(data)), multipart.PutOptions{})
			if err == nil {
				racer[c.Key] = data
			}
		})
		return false
	}})
	err := e.openJob(cfg, j.ID()).CommitJob(e.ctx)
	require.Len(t, racer, 1, "the racing writer's object was written")

	if e.s.h.Behavior.IgnoresIfNoneMatch {
		require.NoError(t, err, "CommitJob (the store ignores If-None-Match)")
		e.check(expect().committed(j, a))
		return
	}
	require.ErrorIs(t, err, committer.ErrDestinationExists, "CommitJob when another writer created one of the job's keys")
	e.check(expect().with(racer))
	require.NoError(t, j.AbortJob(e.ctx))
	e.check(expect().with(racer))
}
