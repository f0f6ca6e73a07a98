//go:build !race

// The explorer runs without the race detector (make test runs it in a
// go test of its own): it runs tens of thousands of jobs, one call at a
// time, where -race would cost ten times as long and find nothing the
// other tests do not.

package staging

// The crash-point explorer: it runs a small job (three tasks, a retried
// attempt, an aborted attempt, a losing speculative attempt, one file of
// two parts, one empty file) and enumerates every point where the
// protocol does I/O — each store call and each write to the staging dir,
// in SetupJob, CommitTask, AbortTask, CommitJob and AbortJob. At each
// point it injects, one at a time, a permanent error, a lost answer, a
// crash before and a crash after the call, and at a write a torn write;
// after a crash it recovers in a fresh process, once by CommitJob and once
// by AbortJob. Then it checks the invariants of DESIGN.md 4.2 against the
// store itself.
//
//	go test ./staging -run TestExplore -explore.v
//	go test ./staging -run TestExplore -explore.config directory/fail/unique/minio -explore.point 17 -explore.fault crash -explore.recovery abort -explore.v
//
// A violation is reported with the command that replays it.

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/internal/testserver"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/memstore"
	"github.com/s3commit/s3commit/success"
)

var (
	exploreConfigFlag   = flag.String("explore.config", "", "explore only configurations whose name contains this (e.g. directory/replace/unique/minio)")
	explorePointFlag    = flag.Int("explore.point", 0, "explore only this point (with -explore.config, -explore.story)")
	exploreFaultFlag    = flag.String("explore.fault", "", "explore only this fault (error, lost, crash, crash-after, torn)")
	exploreRecoveryFlag = flag.String("explore.recovery", "", "explore only this recovery after a crash (commit, abort)")
	exploreStoryFlag    = flag.String("explore.story", "", "explore only this story (commit, abort)")
	exploreVerbose      = flag.Bool("explore.v", false, "print every run")
	exploreServersFlag  = flag.String("explore.servers", "", "explore on the real MinIO and versitygw too: \"sample\" (one configuration per conflict mode, a few points) or \"all\" (the whole matrix)")
)

// exploreConfig is one configuration of the matrix.
type exploreConfig struct {
	mode     committer.Mode
	conflict committer.ConflictMode
	unique   bool
	minio    bool // memstore with MinIO's semantics, else AWS's
	inStore  bool // the staging dir in the store (s3://…), else a directory
	// deferred defers the job's small files to the job commit
	// (Options.DeferredPutThreshold): its files of up to
	// exploreDeferUpTo bytes are PUT by the job commit, the others
	// uploaded by the task commits.
	deferred bool
	// atClose starts each file's upload when the task closes it
	// (Options.UploadAtClose).
	atClose bool
}

// exploreDeferUpTo is the DeferredPutThreshold of the configurations that
// defer files: every file but p=1/small.json (24 bytes) and big.bin.
const exploreDeferUpTo = 20

func (c exploreConfig) String() string {
	u, p := "unique", "aws"
	if !c.unique {
		u = "plain"
	}
	if c.minio {
		p = "minio"
	}
	name := fmt.Sprintf("%s/%s/%s/%s", c.mode, c.conflict, u, p)
	if c.inStore {
		name += "/store"
	}
	if c.deferred {
		name += "/deferred"
	}
	if c.atClose {
		name += "/atclose"
	}
	return name
}

// exploreConfigs is the matrix: directory and partitioned × fail, append,
// replace × unique filenames on and off × AWS's and MinIO's semantics ×
// the staging dir in a directory and in the store. Each mode, conflict
// mode and naming runs with the defaults (AWS's semantics, a directory),
// with deferred files and uploads at Close (MinIO's, a directory), with
// deferred files (AWS's, the store) and with uploads at Close (MinIO's,
// the store): both options on both semantics and both homes, without
// doubling the matrix.
func exploreConfigs() []exploreConfig {
	var out []exploreConfig
	for _, inStore := range []bool{false, true} {
		for _, mode := range []committer.Mode{committer.ModeDirectory, committer.ModePartitioned} {
			for _, cm := range []committer.ConflictMode{committer.ConflictFail, committer.ConflictAppend, committer.ConflictReplace} {
				for _, unique := range []bool{true, false} {
					for _, minio := range []bool{false, true} {
						out = append(out, exploreConfig{mode, cm, unique, minio, inStore, minio != inStore, minio})
					}
				}
			}
		}
	}
	return out
}

const exploreJob = "job"

// exploreTask is a task of the explored job and its files.
type exploreTask struct {
	id    string
	files []string
}

// tasks are the tasks of the explored job. A file of two parts (5 MiB and
// a byte) costs most of a run's time, so one configuration writes one
// (directory replace with unique filenames and MinIO's semantics, where
// most can go wrong); the others write a small file in its place.
func (c exploreConfig) tasks() []exploreTask {
	second := "p=1/small.json"
	if c.unique && c.minio && c.mode == committer.ModeDirectory && c.conflict == committer.ConflictReplace {
		second = "p=1/big.bin"
	}
	return []exploreTask{
		{"t0", []string{"p=0/a.json", second}},
		{"t1", []string{"p=0/b.json"}},
		{"t2", []string{"root.json", "p=1/empty.json"}},
	}
}

func (c exploreConfig) taskIDs() []string {
	var ids []string
	for _, t := range c.tasks() {
		ids = append(ids, t.id)
	}
	return ids
}

var bigContent sync.Map // head → bytes

// content is the bytes attempt of task writes at rel: naming them, so that
// every attempt's version differs; big.bin spans two parts.
func content(task string, attempt int, rel string) []byte {
	head := fmt.Sprintf("%s %s/%d %s\n", exploreJob, task, attempt, rel)
	switch {
	case strings.HasSuffix(rel, "empty.json"):
		return nil
	case strings.HasSuffix(rel, "big.bin"):
		if b, ok := bigContent.Load(head); ok {
			return b.([]byte)
		}
		b := make([]byte, multipart.MinPartSize+1)
		copy(b, head)
		bigContent.Store(head, b)
		return b
	}
	return []byte(head)
}

// world is the store and directories of one explored run.
type world struct {
	// unrecordable, when set, says whether the run's fault may have kept
	// the creation of an upload at key from being recorded; leftByDesign
	// counts such uploads left in a configuration without unique
	// filenames.
	unrecordable func(key string) bool
	leftByDesign int

	cfg     exploreConfig
	be      *backend
	srv     *memstore.Server // the memstore's server; nil on a real server
	store   multipart.Store  // the processes' store, before faults
	checks  multipart.Store  // for the checks: no faults, retried
	staging string
	buffer  string
	root    string // every key of the run starts with it ("" on memstore)
	// records is the staging dir in the store, s3://bucket/<root>_staging
	// (cfg.inStore), else "".
	records string
	dest    string
	old     map[string][]byte // objects that existed before the job
}

// backend is where the explorer's worlds keep their objects: a memstore of
// its own per run, or a bucket of a real server shared by the runs, each
// under a prefix of its own.
type backend struct {
	name   string
	server *testserver.Server // nil: memstore
	bucket string
	cli    string // the s3commit binary, for the CLI recoveries on a real server
}

var memstoreBackend = &backend{name: "memstore"}

func newWorld(t testing.TB, be *backend, cfg exploreConfig) *world {
	w := &world{cfg: cfg, be: be, staging: fastTempDir(t), buffer: fastTempDir(t), old: map[string][]byte{}}
	if be.server == nil {
		w.srv = memstore.NewServer()
		if err := w.srv.CreateBucket("explore"); err != nil {
			t.Fatal(err)
		}
	} else {
		w.root = "explore-" + randomSuffix() + "/"
	}
	w.store = w.rawStore(t)
	w.checks = checkStore(w.store)
	w.dest = w.root + "out"
	if cfg.inStore {
		w.records = "s3://" + w.store.Bucket() + "/" + w.root + "_staging"
	}
	// Older data: a neighbouring destination always; in the destination
	// (at the root, in a partition the job writes, in one it does not) for
	// append and replace, and for the partitioned fail mode in a partition
	// the job does not write.
	w.put(t, w.root+"outx/neighbour.json")
	switch {
	case cfg.conflict != committer.ConflictFail:
		w.put(t, w.dest+"/old-root.json")
		w.put(t, w.dest+"/p=1/old.json")
		w.put(t, w.dest+"/p=9/old.json")
	case cfg.mode == committer.ModePartitioned:
		w.put(t, w.dest+"/p=9/old.json")
	}
	return w
}

// rawStore returns a store on the world's bucket, without faults.
func (w *world) rawStore(t testing.TB) multipart.Store {
	if w.srv == nil {
		return w.be.server.Store(t, w.be.bucket)
	}
	opts := memstore.Options{}
	if w.cfg.minio {
		opts = memstore.MinIOOptions()
	}
	return w.srv.Store("explore", opts)
}

// checkStore wraps the store the checks read with retries: a check must
// not fail because the server hiccuped (versitygw answers 500 at times to
// a ListMultipartUploads of the whole bucket while other configurations
// complete and abort uploads in it).
func checkStore(s multipart.Store) multipart.Store {
	return multipart.NewRetryingStore(s, multipart.RetryPolicy{MaxAttempts: 5, InitialBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}, nil)
}

// fastTempDir is a temporary directory in memory (tmpfs) where there is
// one: the explorer's thousands of jobs fsync their records, which costs
// milliseconds each on a disk. The caller removes it (world.close): the
// runs of a configuration would otherwise keep gigabytes in memory until
// the test ends. The test's end removes it too, for the worlds a failed
// run left unclosed: /dev/shm outlives the test process.
func fastTempDir(t testing.TB) string {
	base := ""
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		base = "/dev/shm"
	}
	dir, err := os.MkdirTemp(base, "s3commit-explore-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// close removes the world's directories.
func (w *world) close() {
	os.RemoveAll(w.staging)
	os.RemoveAll(w.buffer)
}

// fork returns a copy of the world in its current state: the store's
// buckets and both directories, so that two recoveries from one crash
// start from the same state without running the story twice. Only a
// memstore can be forked: nil on a real server.
func (w *world) fork(t testing.TB) (*world, error) {
	if w.srv == nil {
		return nil, nil
	}
	f := *w
	f.srv = w.srv.Clone()
	f.store = f.rawStore(t)
	f.checks = checkStore(f.store)
	f.staging, f.buffer = fastTempDir(t), fastTempDir(t)
	f.leftByDesign = 0
	for _, d := range [][2]string{{w.staging, f.staging}, {w.buffer, f.buffer}} {
		if err := os.CopyFS(d[1], os.DirFS(d[0])); err != nil {
			return nil, err
		}
	}
	return &f, nil
}

func (w *world) put(t testing.TB, key string) {
	data := []byte("old " + key + "\n")
	if _, err := w.store.PutObject(context.Background(), key, bytes.NewReader(data), int64(len(data)), multipart.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	w.old[key] = data
}

// process returns a committer for one process of the job: its store
// calls and staging-dir writes go through in (nil: no faults).
func (w *world) process(in *injector) (*Committer, error) {
	st := w.store
	if in != nil {
		st = faultyStore(st, in)
	}
	c, err := New(st, Options{
		StagingDir:             w.stagingDir(),
		BufferDir:              w.buffer,
		LockLease:              time.Hour, // no heartbeat within a run: the points stay numbered alike
		Destination:            w.dest,
		Mode:                   w.cfg.mode,
		Conflict:               w.cfg.conflict,
		DisableUniqueFilenames: !w.cfg.unique,
		DeferredPutThreshold:   w.deferUpTo(),
		UploadAtClose:          w.cfg.atClose,
		UploadConcurrency:      1, // one call at a time: the points are numbered the same in every run
		CommitConcurrency:      1,
		Retry:                  multipart.RetryPolicy{MaxAttempts: 2, InitialBackoff: time.Nanosecond, MaxBackoff: time.Nanosecond},
	})
	if err != nil {
		return nil, err
	}
	if in != nil {
		c.wrapFS = func(f fsys) fsys { return &faultFS{inner: f, in: in} }
	}
	// A process that finds the journal claimed by a crashed one takes it
	// over at once: the crashed one's calls all fail.
	c.leaseWatch = func(context.Context, time.Duration) error { return nil }
	c.abortLetsUploadsFinish = true
	c.removeInForeground = true
	return c, nil
}

// deferUpTo is the DeferredPutThreshold of the world's processes.
func (w *world) deferUpTo() int64 {
	if w.cfg.deferred {
		return exploreDeferUpTo
	}
	return 0
}

// stagingDir is the StagingDir of the world's processes.
func (w *world) stagingDir() string {
	if w.records != "" {
		return w.records
	}
	return w.staging
}

// story is what the job's program does: set up, run the tasks, then
// commit (story "commit") or abort (story "abort"), handling errors the
// way a driver does (retry a task with a new attempt, abort a job whose
// commit failed, resume one past its point of no return).
func (w *world) story(ctx context.Context, c *Committer, story string) {
	if _, err := c.SetupJob(ctx, exploreJob); err != nil {
		return // a failed SetupJob leaves nothing to commit or abort
	}
	j, err := c.OpenJob(ctx, exploreJob)
	if err != nil && ctx.Err() == nil {
		j, err = c.OpenJob(ctx, exploreJob) // a driver tries again: the fault hits once
	}
	if err != nil {
		return
	}
	failed := false
	for _, task := range w.cfg.tasks() {
		if !w.runTask(ctx, j, task.id, task.files) {
			failed = true
		}
		if ctx.Err() != nil {
			return
		}
	}
	w.finish(ctx, c, story == "commit" && !failed)
}

// runTask runs a task to its commit, with up to three attempts. Task t1
// has an attempt that is aborted first; task t2 a speculative second
// attempt that loses.
func (w *world) runTask(ctx context.Context, j committer.Job, task string, files []string) bool {
	for attempt := 0; attempt < 3; attempt++ {
		a, err := w.writeAttempt(ctx, j, task, attempt, files)
		if err != nil {
			return false
		}
		if task == "t1" && attempt == 0 {
			_ = a.AbortTask(ctx) // an attempt given up on
			continue
		}
		err = a.CommitTask(ctx)
		switch {
		case err == nil, errors.Is(err, committer.ErrTaskCommitted):
			if task == "t2" && err == nil {
				if s, serr := w.writeAttempt(ctx, j, task, attempt+1, files); serr == nil {
					if s.CommitTask(ctx) != nil {
						_ = s.AbortTask(ctx)
					}
				}
			}
			return true
		case ctx.Err() != nil:
			return false
		}
		_ = a.AbortTask(ctx)
	}
	return false
}

func (w *world) writeAttempt(ctx context.Context, j committer.Job, task string, attempt int, files []string) (committer.TaskAttempt, error) {
	a, err := j.SetupTask(ctx, task, attempt)
	if err != nil {
		return nil, err
	}
	for _, rel := range files {
		f, err := a.Create(rel)
		if err != nil {
			return nil, err
		}
		_, err = f.Write(content(task, attempt, rel))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
	}
	return a, nil
}

// finish ends the job as a driver (or an operator) does: commit it, told
// which tasks to expect, or abort it; a commit that fails is aborted, an
// abort refused past the point of no return is resumed as a commit. Each
// step is tried twice: the injected fault hits once.
func (w *world) finish(ctx context.Context, c *Committer, commit bool) {
	for range 4 {
		if ctx.Err() != nil {
			return
		}
		if commit {
			_, err := c.CommitJob(ctx, exploreJob, CommitOptions{ExpectedTasks: w.cfg.taskIDs()})
			switch {
			case err == nil, errors.Is(err, committer.ErrJobNotFound):
				return
			case errors.Is(err, ErrPastPointOfNoReturn), errors.Is(err, ErrJobBusy):
				continue
			}
			commit = false
			continue
		}
		j, err := c.OpenJob(ctx, exploreJob)
		if errors.Is(err, committer.ErrJobNotFound) {
			return
		}
		if err != nil {
			continue
		}
		err = j.AbortJob(ctx)
		switch {
		case err == nil, errors.Is(err, committer.ErrJobFinished), errors.Is(err, ErrDamagedRecords):
			return
		case errors.Is(err, ErrPastPointOfNoReturn):
			commit = true
		}
	}
}

// recoverJob runs the recovery after a crash, in a new process: "commit"
// resumes the job as a driver told its tasks does (and aborts it when it
// cannot be committed), "abort" rolls it back (and resumes it when it is
// past its point of no return); "cli-commit" and "cli-abort" do the same
// as an operator does with the s3commit binary (real servers only).
func (w *world) recoverJob(ctx context.Context, how string) error {
	if strings.HasPrefix(how, "cli-") {
		return w.cliFinish(ctx, how == "cli-commit")
	}
	c, err := w.process(nil)
	if err != nil {
		return err
	}
	w.finish(ctx, c, how == "commit")
	return nil
}

// cliFinish ends the job with the s3commit binary, as an operator does
// after reading what jobs show says: jobs commit, told the job's tasks,
// or jobs abort; a commit that cannot finish the job is followed by an
// abort, an abort refused past the point of no return by a commit.
func (w *world) cliFinish(ctx context.Context, commit bool) error {
	args := []string{"--buffer-dir", w.buffer} // the operator knows the buffer dir the tasks used
	for _, id := range w.cfg.taskIDs() {
		args = append(args, "--expect-task", id)
	}
	s := w.be.server
	env := append(os.Environ(), "AWS_ACCESS_KEY_ID="+s.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+s.SecretAccessKey,
		"AWS_REGION="+s.Region, "AWS_ENDPOINT_URL="+s.Endpoint, "S3COMMIT_PATH_STYLE=true")
	run := func(cmdArgs ...string) (string, error) {
		cmd := exec.CommandContext(ctx, w.be.cli, cmdArgs...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run("jobs", "show", w.stagingDir(), exploreJob); err != nil && !strings.Contains(out, "not found") {
		return fmt.Errorf("s3commit jobs show: %v: %s", err, out)
	}
	for range 4 {
		if commit {
			out, err := run(append(append([]string{"jobs", "commit"}, args...), w.stagingDir(), exploreJob)...)
			switch {
			case err == nil, strings.Contains(out, "not found"):
				return nil
			case strings.Contains(out, "point of no return"), strings.Contains(out, "another CommitJob or AbortJob"):
				continue
			}
			commit = false
			continue
		}
		out, err := run("jobs", "abort", "--buffer-dir", w.buffer, w.stagingDir(), exploreJob)
		switch {
		case err == nil, strings.Contains(out, "not found"), strings.Contains(out, "output stays"):
			return nil
		case strings.Contains(out, "s3commit jobs commit"):
			commit = true
		}
	}
	return nil
}

// check returns the invariants of DESIGN.md 4.2 that the store and the
// directories break.
func (w *world) check(ctx context.Context) []string {
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }

	objects := map[string][]byte{}
	for _, prefix := range []string{w.dest + "/", w.root + "outx/"} {
		for o, err := range w.checks.ListObjects(ctx, prefix) {
			if err != nil {
				return append(bad, "list: "+err.Error())
			}
			objects[o.Key] = w.read(ctx, o.Key)
		}
	}
	d, err := success.Read(ctx, w.checks, w.dest+"/_SUCCESS")
	committed := err == nil && d.JobID == exploreJob
	if err != nil && !errors.Is(err, multipart.ErrNotFound) {
		fail("_SUCCESS cannot be read: %v", err)
	}

	// Which attempt's files of each task are visible, whole.
	jobKeys := map[string]bool{}
	for _, task := range w.cfg.tasks() {
		for attempt := 0; attempt < 4; attempt++ {
			for _, rel := range task.files {
				jobKeys[committer.DestinationKey(w.dest, rel, exploreJob, w.cfg.unique)] = true
			}
		}
	}
	var visible []string
	for key := range objects {
		if jobKeys[key] {
			visible = append(visible, key)
		}
	}
	sort.Strings(visible)
	if committed {
		want := map[string][]byte{}
		for _, task := range w.cfg.tasks() {
			winner := -1
			for attempt := 0; attempt < 4 && winner < 0; attempt++ {
				whole := true
				for _, rel := range task.files {
					got, ok := objects[committer.DestinationKey(w.dest, rel, exploreJob, w.cfg.unique)]
					whole = whole && ok && bytes.Equal(got, content(task.id, attempt, rel))
				}
				if whole {
					winner = attempt
				}
			}
			if winner < 0 {
				fail("committed, but no attempt of task %s is visible whole", task.id)
				continue
			}
			for _, rel := range task.files {
				want[committer.DestinationKey(w.dest, rel, exploreJob, w.cfg.unique)] = content(task.id, winner, rel)
			}
		}
		if got := slices.Sorted(maps.Keys(want)); !slices.Equal(got, visible) {
			fail("committed: the job's visible files are %v, want %v", visible, got)
		}
		var listed []string
		for _, f := range d.Files {
			listed = append(listed, f.Key)
			if data, ok := objects[f.Key]; !ok || int64(len(data)) != f.Size {
				fail("_SUCCESS lists %s (%d bytes), which is not visible with that size", f.Key, f.Size)
			}
		}
		sort.Strings(listed)
		if !slices.Equal(listed, visible) {
			fail("_SUCCESS lists %v, the visible files are %v", listed, visible)
		}
	} else if len(visible) > 0 {
		fail("not committed, but files of the job are visible: %v", visible)
	}

	// Older data: kept, or deleted by a committed replace.
	for key, data := range w.old {
		if got, ok := objects[key]; ok {
			if !bytes.Equal(got, data) {
				fail("old object %s was changed", key)
			}
			if committed && w.replaced(key) {
				fail("replace committed, but the old object %s is still there", key)
			}
		} else if !committed || !w.replaced(key) {
			fail("old object %s is gone (committed %v)", key, committed)
		}
	}
	for key := range objects {
		_, isOld := w.old[key]
		base := key[strings.LastIndexByte(key, '/')+1:]
		if !isOld && !jobKeys[key] && !(strings.HasPrefix(key, w.dest+"/_SUCCESS") && committed) {
			fail("unexpected object %s", key)
		}
		if strings.HasPrefix(base, "_SUCCESS") && !committed && key != w.dest+"/_SUCCESS" {
			fail("a sidecar %s of a job that did not commit", key)
		}
	}

	// No upload left at any key of any attempt, nor anywhere in the bucket
	// — but for one case that Options.DisableUniqueFilenames documents:
	// without the job ID in the key, an upload whose creation was not
	// recorded (its answer lost, or the process stopped before its record
	// was written) could be another job's, and is left alone.
	left := map[multipart.Upload]bool{}
	for up, err := range w.checks.ListUploads(ctx, "") { // the whole bucket, on MinIO too
		if err != nil {
			return append(bad, "list uploads: "+err.Error())
		}
		if strings.HasPrefix(up.Key, w.root) {
			left[multipart.Upload{Key: up.Key, UploadID: up.UploadID}] = true
		}
	}
	for key := range jobKeys {
		for up, err := range w.checks.ListUploads(ctx, key) {
			if err == nil && up.Key == key {
				left[multipart.Upload{Key: up.Key, UploadID: up.UploadID}] = true
			}
		}
	}
	for up := range left {
		if !w.cfg.unique && jobKeys[up.Key] && w.unrecordable != nil && w.unrecordable(up.Key) {
			w.leftByDesign++
			continue
		}
		fail("an upload is left at %s (%s)", up.Key, up.UploadID)
	}

	// The staging dir holds nothing of the job, the buffer dir neither. A
	// job whose cleanup failed may be left, recorded as finished: one
	// more AbortJob (an operator's s3commit jobs abort) must then remove
	// it without changing the store.
	if jobs, err := ListJobsContext(ctx, w.checks, w.stagingDir()); err == nil && len(jobs) == 1 {
		state := jobs[0].State
		if state != StateCommitted && state != StateReverted {
			fail("the job is left in state %s", state)
		} else if c, err := w.process(nil); err == nil {
			if j, err := c.OpenJob(ctx, exploreJob); err == nil {
				err := j.AbortJob(ctx)
				if state == StateCommitted && !errors.Is(err, committer.ErrJobFinished) || state == StateReverted && err != nil {
					fail("AbortJob of the job left %s: %v", state, err)
				}
				if _, err := success.ReadManifest(ctx, w.checks, w.dest+"/_SUCCESS"); (err == nil) != committed {
					fail("the final AbortJob changed whether the job is committed")
				}
			}
		}
	}
	if entries, err := os.ReadDir(w.staging); err == nil {
		for _, e := range entries {
			fail("the staging dir still holds %s", describeTree(filepath.Join(w.staging, e.Name())))
		}
	}
	if w.records != "" {
		for o, err := range w.checks.ListObjects(ctx, w.root+"_staging/") {
			if err != nil {
				return append(bad, "list the records: "+err.Error())
			}
			fail("the staging dir in the store still holds %s", o.Key)
		}
	}
	if _, err := os.Lstat(filepath.Join(w.buffer, exploreJob)); err == nil {
		fail("the buffer dir still holds the job's directory %s", describeTree(filepath.Join(w.buffer, exploreJob)))
	}
	return bad
}

// committed reports whether the destination's _SUCCESS names the job.
func (w *world) committed(ctx context.Context) bool {
	d, err := success.ReadManifest(ctx, w.checks, w.dest+"/_SUCCESS")
	return err == nil && d.JobID == exploreJob
}

// replaced reports whether a committed job replaces the old object key.
func (w *world) replaced(key string) bool {
	if w.cfg.conflict != committer.ConflictReplace || !strings.HasPrefix(key, w.dest+"/") {
		return false
	}
	if w.cfg.mode == committer.ModeDirectory {
		return true
	}
	p := partitionOf(key[len(w.dest)+1:])
	return p == "" || p == "p=0" || p == "p=1"
}

func (w *world) read(ctx context.Context, key string) []byte {
	rc, _, err := w.checks.GetObject(ctx, key)
	if err != nil {
		return nil
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return b
}

// describeTree lists the files below dir, for a report.
func describeTree(dir string) string {
	var files []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(filepath.Dir(dir), p)
			files = append(files, rel)
		}
		return nil
	})
	if len(files) == 0 {
		return filepath.Base(dir) + " (empty directories)"
	}
	return strings.Join(files, ", ")
}

// exploreRun is one run: a story with a fault at a point and, after a
// crash, a recovery.
type exploreRun struct {
	cfg      exploreConfig
	story    string
	target   int
	fault    fault
	recovery string // after a crash: "commit" or "abort"; "" otherwise
}

// recoveries returns the recoveries tried after a crash: by the library's
// CommitJob and AbortJob, and on a real server by the CLI's jobs commit
// and jobs abort too.
func (be *backend) recoveries() []string {
	if be.server == nil {
		return []string{"commit", "abort"}
	}
	return []string{"commit", "abort", "cli-commit", "cli-abort"}
}

func (r exploreRun) String() string {
	s := fmt.Sprintf("%s story=%s point=%d fault=%s", r.cfg, r.story, r.target, r.fault)
	if r.recovery != "" {
		s += " recovery=" + r.recovery
	}
	return s
}

func (r exploreRun) replay() string {
	cmd := fmt.Sprintf("go test ./staging -run TestExplore -explore.config %s -explore.story %s -explore.point %d -explore.fault %s", r.cfg, r.story, r.target, r.fault)
	if r.recovery != "" {
		cmd += " -explore.recovery " + r.recovery
	}
	return cmd + " -explore.v"
}

// result is what one run found.
type result struct {
	recovery     string
	points       []point
	fired        *point
	crashed      bool
	violations   []string
	leftByDesign int // uploads left without unique filenames, as documented
}

// do runs r in a fresh world of be and returns its result; after a crash,
// one result per recovery in recs, in the order of recs: each from a fork
// of the crashed world on memstore, from a run of its own on a real
// server.
func (r exploreRun) do(t testing.TB, be *backend, recs []string) []result {
	w, base := r.runStory(t, be)
	defer w.close()
	if !base.crashed {
		base.violations = w.check(context.Background())
		// Ambiguity is not failure: a lost answer alone must not cost a
		// job its commit. The call took effect; the committer finds out.
		if r.story == "commit" && r.fault == faultLost && base.fired != nil &&
			(base.fired.kind == "store" || retransmitted(base.fired.op) != syscall.EIO) && !w.committed(context.Background()) {
			base.violations = append(base.violations, "a lost answer made the job fail: it was not committed")
		}
		base.leftByDesign = w.leftByDesign
		return []result{base}
	}
	var out []result
	for i, rec := range recs {
		rw := w
		if i < len(recs)-1 {
			f, err := w.fork(t)
			if err != nil {
				t.Fatal(err)
			}
			if f == nil { // a real server: crash again in a world of its own
				f, _ = r.runStory(t, be)
			}
			rw = f
			defer rw.close()
		}
		res := base
		res.recovery = rec
		// A job whose _SUCCESS was visible is committed: readers may have
		// read its output. No recovery may take it back.
		visible := rw.committed(context.Background())
		if err := rw.recoverJob(context.Background(), rec); err != nil {
			res.violations = append(res.violations, "recovery: "+err.Error())
		}
		res.violations = append(res.violations, rw.check(context.Background())...)
		if visible && !rw.committed(context.Background()) {
			res.violations = append(res.violations, "the job's _SUCCESS was visible after the crash, and the recovery took the job back")
		}
		res.leftByDesign = rw.leftByDesign
		out = append(out, res)
	}
	return out
}

// runStory runs r's story, with its fault, in a fresh world.
func (r exploreRun) runStory(t testing.TB, be *backend) (*world, result) {
	w := newWorld(t, be, r.cfg)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in := newInjector(r.target, r.fault, cancel)
	c, err := w.process(in)
	if err != nil {
		return w, result{violations: []string{"New: " + err.Error()}}
	}
	w.unrecordable = func(key string) bool { return unrecordable(in.points, r.target, r.fault, key, r.cfg.inStore) }
	w.story(ctx, c, r.story)
	return w, result{points: in.points, fired: in.fired, crashed: in.hasCrashed()}
}

// unrecordable reports whether the fault at point target may have kept a
// creation of an upload at key from being recorded: the CreateUpload of
// key took effect without its answer (lost, or a crash after it), or the
// write of the intents that follows such a creation failed; in the store
// home (inStore), a crash before the attempt wrote its upload IDs.
func unrecordable(points []point, target int, f fault, key string, inStore bool) bool {
	if target < 1 || target > len(points) {
		return false
	}
	p := points[target-1]
	switch {
	case inStore && p.kind == "store" && (f == faultCrash || f == faultCrashAfter):
		// The store home records an attempt's upload IDs once, after its
		// last creation: a crash in between leaves every creation since
		// the last write of its intents unrecorded.
		last := target - 1 // the points that took effect: before target, and target itself after a crash-after
		if f == faultCrashAfter {
			last = target
		}
		created := false
		for _, q := range points[:last] {
			switch {
			case q.kind == "store" && q.op == "CreateUpload" && q.name == key:
				created = true
			case q.kind == "store" && q.op == "PutObject" && strings.HasSuffix(q.name, intentsSuffix):
				created = false
			}
		}
		return created
	case p.kind == "store" && p.op == "CreateUpload":
		return p.name == key && (f == faultLost || f == faultCrashAfter)
	case p.kind == "fs" && strings.HasSuffix(p.name, intentsSuffix):
		// The record of the last creation before the write.
		for i := target - 2; i >= 0; i-- {
			if q := points[i]; q.kind == "store" && q.op == "CreateUpload" {
				return q.name == key
			}
		}
	}
	return false
}

// exploreTotals counts what an exploration covered.
type exploreTotals struct {
	configs, refused, points, runs, violations, leftByDesign atomic.Int64
	byFault                                                  sync.Map // fault → *atomic.Int64
}

func (x *exploreTotals) countFault(f fault) {
	v, _ := x.byFault.LoadOrStore(f, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

// explore runs the points of cfg's stories on be (every point, or, with
// sample > 0, that many spread over each story) with every fault and,
// after a crash, every recovery; it reports each violation with its replay
// command.
func explore(t *testing.T, be *backend, cfg exploreConfig, sample int, totals *exploreTotals) {
	probe := newWorld(t, be, cfg)
	probe.close()
	if _, err := probe.process(nil); err != nil {
		// New refuses the configuration (replace without unique
		// filenames): that refusal is the behaviour to check.
		if !errors.Is(err, ErrInvalidOptions) || cfg.conflict != committer.ConflictReplace || cfg.unique {
			t.Errorf("%s: New: %v", cfg, err)
		}
		totals.refused.Add(1)
		return
	}
	totals.configs.Add(1)
	for _, story := range []string{"commit", "abort"} {
		if *exploreStoryFlag != "" && story != *exploreStoryFlag {
			continue
		}
		// The points of the story, from a run without faults; it must
		// keep every invariant itself.
		base := exploreRun{cfg: cfg, story: story}.do(t, be, nil)[0]
		for _, v := range base.violations {
			t.Errorf("%s story=%s without faults: %s", cfg, story, v)
		}
		points := base.points
		if sample > 0 && len(points) > sample {
			var some []point
			for i := range sample {
				some = append(some, points[i*len(points)/sample])
			}
			points = some
		}
		totals.points.Add(int64(len(points)))
		for _, p := range points {
			if *explorePointFlag != 0 && p.n != *explorePointFlag {
				continue
			}
			for _, f := range faultsFor(p) {
				if *exploreFaultFlag != "" && string(f) != *exploreFaultFlag {
					continue
				}
				recs := be.recoveries()
				if *exploreRecoveryFlag != "" {
					recs = []string{*exploreRecoveryFlag}
				}
				for _, res := range (exploreRun{cfg: cfg, story: story, target: p.n, fault: f}).do(t, be, recs) {
					run := exploreRun{cfg: cfg, story: story, target: p.n, fault: f, recovery: res.recovery}
					totals.runs.Add(1)
					totals.leftByDesign.Add(int64(res.leftByDesign))
					totals.countFault(f)
					if res.fired == nil || res.fired.op != p.op || res.fired.kind != p.kind {
						t.Errorf("%s: the point moved: counted %s, fired at %v (the runs are not deterministic)", run, p, res.fired)
					}
					if *exploreVerbose {
						t.Logf("%s at %s: %d violations", run, p, len(res.violations))
					}
					for _, v := range res.violations {
						totals.violations.Add(1)
						t.Errorf("VIOLATION %s\n  at %s\n  %s\n  replay: %s", run, p, v, run.replay())
					}
				}
			}
		}
	}
}

// exploreSample is how many points of each story the sample on the real
// servers explores (-explore.servers sample, in make test).
const exploreSample = 3

// exploreServers explores on the real MinIO and versitygw: with
// -explore.servers sample one configuration per conflict mode (unique
// filenames, the directory committer for fail and replace, the
// partitioned one for append) at a few points of each story, with every
// fault and every recovery, the CLI's included; with all, the whole
// matrix at every point.
func exploreServers(t *testing.T, totals *exploreTotals) {
	cli := buildCLI(t)
	for _, s := range []struct {
		name  string
		get   func(testing.TB) *testserver.Server
		minio bool
	}{{"minio", testserver.MinIO, true}, {"versitygw", testserver.VersityGW, false}} {
		t.Run(s.name, func(t *testing.T) {
			srv := s.get(t)
			be := &backend{name: s.name, server: srv, bucket: srv.CreateBucket(t), cli: cli}
			for _, cfg := range exploreConfigs() {
				sample := 0
				if cfg.minio != s.minio {
					continue // a real server has one behaviour
				}
				if *exploreServersFlag == "sample" {
					sample = exploreSample
					inSample := cfg.unique && (cfg.mode == committer.ModePartitioned) == (cfg.conflict == committer.ConflictAppend)
					if !inSample {
						continue
					}
				}
				if *exploreConfigFlag != "" && !strings.Contains(cfg.String(), *exploreConfigFlag) {
					continue
				}
				t.Run(strings.ReplaceAll(cfg.String(), "/", "-"), func(t *testing.T) {
					t.Parallel()
					explore(t, be, cfg, sample, totals)
				})
			}
		})
	}
}

// buildCLI builds the s3commit binary for the CLI recoveries.
func buildCLI(t *testing.T) string {
	out := filepath.Join(t.TempDir(), "s3commit")
	cmd := exec.Command("go", "build", "-o", out, "github.com/s3commit/s3commit/cmd/s3commit")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the s3commit binary: %v\n%s", err, b)
	}
	return out
}

func TestExplore(t *testing.T) {
	if testing.Short() {
		t.Skip("the explorer runs thousands of jobs; it runs in make test without -short")
	}
	totals := &exploreTotals{}
	t.Run("memstore", func(t *testing.T) {
		for _, cfg := range exploreConfigs() {
			if *exploreConfigFlag != "" && !strings.Contains(cfg.String(), *exploreConfigFlag) {
				continue
			}
			t.Run(strings.ReplaceAll(cfg.String(), "/", "-"), func(t *testing.T) {
				t.Parallel()
				explore(t, memstoreBackend, cfg, 0, totals)
			})
		}
	})
	if *exploreServersFlag != "" {
		exploreServers(t, totals)
	}
	var faults []string
	totals.byFault.Range(func(k, v any) bool {
		faults = append(faults, fmt.Sprintf("%s %d", k, v.(*atomic.Int64).Load()))
		return true
	})
	sort.Strings(faults)
	t.Logf("explored %d points in %d configurations (%d refused at New: replace without unique filenames); %d runs (%s); "+
		"%d invariant violations; %d uploads left without unique filenames where a creation was not recorded, as documented",
		totals.points.Load(), totals.configs.Load(), totals.refused.Load(), totals.runs.Load(), strings.Join(faults, ", "),
		totals.violations.Load(), totals.leftByDesign.Load())
}
