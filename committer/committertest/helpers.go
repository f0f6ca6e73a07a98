package committertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/success"
)

// scenarioTimeout bounds each scenario, so that a hanging committer or
// server fails the scenario instead of the whole test binary.
const scenarioTimeout = 5 * time.Minute

// successName is the name of the marker a job commit writes last.
const successName = "_SUCCESS"

// env is the world of one scenario: the shared store, a key prefix no other
// scenario uses, the staging and buffer dirs, and every task attempt set up,
// so that the invariant check knows every key the scenario could have
// written.
type env struct {
	t       *testing.T
	s       *suite
	ctx     context.Context
	mode    committer.Mode
	store   multipart.Store // the harness's store; checks read through it
	root    string          // every destination of the scenario lies below it
	staging string
	buffer  string

	mu       sync.Mutex
	attempts []*attempt
}

func (s *suite) newEnv(t *testing.T, mode committer.Mode) *env {
	ctx, cancel := context.WithTimeout(t.Context(), scenarioTimeout)
	t.Cleanup(cancel)
	return &env{
		t:       t,
		s:       s,
		ctx:     ctx,
		mode:    mode,
		store:   s.h.NewStore(t),
		root:    "committertest-" + randomHex(6),
		staging: t.TempDir(),
		buffer:  t.TempDir(),
	}
}

// dest returns the destination name below the scenario's root.
func (e *env) dest(name string) string { return e.root + "/" + name }

// config returns a configuration for dest on the scenario's store and dirs.
func (e *env) config(dest string, conflict committer.ConflictMode) Config {
	return Config{
		Store:       e.store,
		StagingDir:  e.staging,
		BufferDir:   e.buffer,
		Destination: dest,
		Mode:        e.mode,
		Conflict:    conflict,
	}
}

// faulty returns cfg with its store wrapped by a faultstore with the rules.
func (e *env) faulty(cfg Config, rules ...faultstore.Rule) (Config, *faultstore.Store) {
	fs := faultstore.New(cfg.Store, rules...)
	cfg.Store = fs
	return cfg, fs
}

// committer builds a committer (a process of the job) for cfg.
func (e *env) committer(cfg Config) committer.Committer {
	e.t.Helper()
	c, err := e.s.h.NewCommitter(e.t, cfg)
	require.NoError(e.t, err, "Harness.NewCommitter")
	require.NotNil(e.t, c, "Harness.NewCommitter")
	return c
}

// job is a committer.Job with the destination it writes to.
type job struct {
	committer.Job
	e    *env
	dest string
}

// setupJob sets up a new job with a fresh committer for cfg. An empty id
// lets the committer choose one.
func (e *env) setupJob(cfg Config, id string) *job {
	e.t.Helper()
	j, err := e.committer(cfg).SetupJob(e.ctx, id)
	require.NoError(e.t, err, "SetupJob %q", id)
	require.NotEmpty(e.t, j.ID(), "Job.ID")
	if id != "" {
		require.Equal(e.t, id, j.ID(), "Job.ID")
	}
	return &job{Job: j, e: e, dest: cfg.Destination}
}

// openJob opens a job with a fresh committer for cfg, as another process
// would.
func (e *env) openJob(cfg Config, id string) *job {
	e.t.Helper()
	j, err := e.committer(cfg).OpenJob(e.ctx, id)
	require.NoError(e.t, err, "OpenJob %q", id)
	require.Equal(e.t, id, j.ID(), "Job.ID")
	return &job{Job: j, e: e, dest: cfg.Destination}
}

// attempt is a committer.TaskAttempt that remembers the files it wrote.
type attempt struct {
	committer.TaskAttempt
	e      *env
	jobID  string
	dest   string
	mu     sync.Mutex
	files  map[string][]byte // relative path → bytes, files to be committed
	hidden []string          // relative paths of files the commit skips
}

// task sets up an attempt of a task and registers it with the scenario.
func (j *job) task(taskID string, n int) *attempt {
	j.e.t.Helper()
	a, err := j.trySetupTask(taskID, n)
	require.NoError(j.e.t, err, "SetupTask %s attempt %d", taskID, n)
	return a
}

// trySetupTask sets up an attempt; it is safe to call from goroutines.
func (j *job) trySetupTask(taskID string, n int) (*attempt, error) {
	ta, err := j.SetupTask(j.e.ctx, taskID, n)
	if err != nil {
		return nil, err
	}
	if ta.TaskID() != taskID || ta.Attempt() != n {
		return nil, fmt.Errorf("SetupTask(%q, %d) returned attempt %q/%d", taskID, n, ta.TaskID(), ta.Attempt())
	}
	a := &attempt{TaskAttempt: ta, e: j.e, jobID: j.ID(), dest: j.dest, files: map[string][]byte{}}
	j.e.mu.Lock()
	j.e.attempts = append(j.e.attempts, a)
	j.e.mu.Unlock()
	return a, nil
}

// content returns bytes that name the file and are otherwise random, so
// that every attempt's version of a file differs.
func content(a *attempt, rel string, size int) []byte {
	head := fmt.Sprintf("job %s task %s attempt %d file %s\n", a.jobID, a.TaskID(), a.Attempt(), rel)
	b := make([]byte, size)
	_, _ = rand.Read(b)
	return append([]byte(head), b...)
}

// tryWrite writes a file through Create; it is safe to call from
// goroutines.
func (a *attempt) tryWrite(rel string, data []byte) error {
	f, err := a.Create(rel)
	if err != nil {
		return fmt.Errorf("create %q: %w", rel, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %q: %w", rel, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %q: %w", rel, err)
	}
	a.record(rel, data)
	return nil
}

func (a *attempt) record(rel string, data []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if committer.IsHidden(path.Base(rel)) {
		a.hidden = append(a.hidden, rel)
		return
	}
	a.files[rel] = data
}

// write writes a file of the given size (plus a header) through Create and
// returns its bytes.
func (a *attempt) write(rel string, size int) []byte {
	a.e.t.Helper()
	data := content(a, rel, size)
	require.NoError(a.e.t, a.tryWrite(rel, data))
	return data
}

// writeDirect writes a file into Dir() without Create, as a writer that
// wants a path does.
func (a *attempt) writeDirect(rel string, size int) {
	a.e.t.Helper()
	data := content(a, rel, size)
	p := filepath.Join(a.Dir(), filepath.FromSlash(rel))
	require.NoError(a.e.t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(a.e.t, os.WriteFile(p, data, 0o644))
	a.record(rel, data)
}

// writeFiles writes n small files named part-<taskID>-NNNN.json below dir
// ("" for the attempt's root): names are unique per task, as in real jobs,
// and the same for every attempt of a task.
func (a *attempt) writeFiles(dir string, n int) {
	a.e.t.Helper()
	for i := range n {
		a.write(path.Join(dir, fmt.Sprintf("part-%s-%04d.json", a.TaskID(), i)), 100+i*37)
	}
}

// commit commits the attempt and requires success.
func (a *attempt) commit() {
	a.e.t.Helper()
	require.NoError(a.e.t, a.CommitTask(a.e.ctx), "CommitTask %s attempt %d", a.TaskID(), a.Attempt())
}

// objects returns the objects the attempt's files become once committed:
// key → bytes.
func (a *attempt) objects() map[string][]byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	m := make(map[string][]byte, len(a.files))
	for rel, data := range a.files {
		m[committer.DestinationKey(a.dest, rel, a.jobID, true)] = data
	}
	return m
}

// keys returns every key the attempt could have created an upload for,
// hidden files included.
func (a *attempt) keys() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	keys := make([]string, 0, len(a.files)+len(a.hidden))
	for rel := range a.files {
		keys = append(keys, committer.DestinationKey(a.dest, rel, a.jobID, true))
	}
	for _, rel := range a.hidden {
		keys = append(keys, committer.DestinationKey(a.dest, rel, a.jobID, true))
	}
	return keys
}

// put writes an object that is not any job's (older data, another writer)
// and returns it as an expectation entry.
func (e *env) put(key string, data []byte) map[string][]byte {
	e.t.Helper()
	_, err := e.store.PutObject(e.ctx, key, bytes.NewReader(data), int64(len(data)), multipart.PutOptions{})
	require.NoError(e.t, err, "PutObject %s", key)
	return map[string][]byte{key: data}
}

// putOld writes one object per relative path below dest, as data that
// existed before the scenario's jobs.
func (e *env) putOld(dest string, rels ...string) map[string][]byte {
	e.t.Helper()
	m := map[string][]byte{}
	for _, rel := range rels {
		key := dest + "/" + rel
		maps.Copy(m, e.put(key, []byte("old data of "+key+"\n")))
	}
	return m
}

// expectation is the state the store must be in: the objects below the
// scenario's root and which job's _SUCCESS each destination holds.
type expectation struct {
	objects map[string][]byte
	success map[string]successWant // destination → its _SUCCESS
}

type successWant struct {
	jobID string
	files map[string][]byte
}

func expect() *expectation {
	return &expectation{objects: map[string][]byte{}, success: map[string]successWant{}}
}

// with adds objects that must exist with these bytes.
func (x *expectation) with(objs ...map[string][]byte) *expectation {
	for _, m := range objs {
		maps.Copy(x.objects, m)
	}
	return x
}

// without removes objects that must be gone.
func (x *expectation) without(objs ...map[string][]byte) *expectation {
	for _, m := range objs {
		for k := range m {
			delete(x.objects, k)
		}
	}
	return x
}

// committed says that job j committed exactly the given attempts: their
// files exist, and j's _SUCCESS at its destination lists exactly them.
func (x *expectation) committed(j *job, attempts ...*attempt) *expectation {
	files := map[string][]byte{}
	for _, a := range attempts {
		maps.Copy(files, a.objects())
	}
	x.with(files)
	x.success[j.dest] = successWant{jobID: j.ID(), files: files}
	return x
}

// check asserts every invariant: the objects below the root, the _SUCCESS
// markers, and that no upload of any attempt of the scenario remains.
func (e *env) check(x *expectation) {
	e.t.Helper()
	e.checkObjects(x)
	e.checkNoUploads()
}

// checkObjects asserts that the objects below the scenario's root are
// exactly x's objects plus the _SUCCESS markers x names, with exact bytes,
// and that every marker names its job and lists exactly its files.
func (e *env) checkObjects(x *expectation) {
	e.t.Helper()
	listed := map[string]multipart.ObjectInfo{}
	for info, err := range e.store.ListObjects(e.ctx, e.root+"/") {
		require.NoError(e.t, err, "ListObjects %s/", e.root)
		listed[info.Key] = info
	}
	want := slices.Collect(maps.Keys(x.objects))
	for dest := range x.success {
		want = append(want, dest+"/"+successName)
	}
	slices.Sort(want)
	got := slices.Sorted(maps.Keys(listed))
	require.Equal(e.t, want, got, "objects under %s/ (expected vs listed)", e.root)

	for key, data := range x.objects {
		got := e.read(key)
		require.Equal(e.t, sha256.Sum256(data), sha256.Sum256(got),
			"bytes of %s (got %d bytes: %.60q…, want %d bytes: %.60q…)", key, len(got), got, len(data), data)
	}
	for dest, sw := range x.success {
		e.checkSuccess(dest, sw, listed)
	}
}

// checkSuccess asserts that dest's _SUCCESS parses, names the job and lists
// exactly the job's files with their sizes and ETags.
func (e *env) checkSuccess(dest string, sw successWant, listed map[string]multipart.ObjectInfo) {
	e.t.Helper()
	data, err := success.Read(e.ctx, e.store, dest+"/"+successName)
	require.NoError(e.t, err, "success.Read %s/%s", dest, successName)
	assert.Equal(e.t, success.Name, data.Name, "_SUCCESS name")
	assert.True(e.t, data.Success, "_SUCCESS success")
	assert.Equal(e.t, sw.jobID, data.JobID, "_SUCCESS of %s names the job that committed last", dest)

	files := map[string]success.File{}
	for _, f := range data.Files {
		files[f.Key] = f
	}
	require.Equal(e.t, slices.Sorted(maps.Keys(sw.files)), slices.Sorted(maps.Keys(files)),
		"files listed by %s/%s (expected vs listed)", dest, successName)
	for key, f := range files {
		assert.Equal(e.t, int64(len(sw.files[key])), f.Size, "size of %s in _SUCCESS", key)
		assert.Equal(e.t, listed[key].ETag, f.ETag, "ETag of %s in _SUCCESS", key)
	}

	// success.Verify compares the manifest with everything under the
	// destination; it can pass only where nothing else lives there.
	only := true
	for key := range listed {
		if strings.HasPrefix(key, dest+"/") && !committer.IsHidden(path.Base(key)) {
			if _, ok := sw.files[key]; !ok {
				only = false
			}
		}
	}
	if only {
		require.NoError(e.t, success.Verify(e.ctx, e.store, dest, data), "success.Verify %s", dest)
	}
}

// checkNoUploads asserts that no multipart upload remains for any key any
// attempt of the scenario could have written (listed by exact key, which
// works on MinIO), nor anywhere below the root where the store lists by
// prefix.
func (e *env) checkNoUploads() {
	e.t.Helper()
	e.mu.Lock()
	attempts := slices.Clone(e.attempts)
	e.mu.Unlock()
	var left []string
	seen := map[string]bool{}
	for _, a := range attempts {
		for _, key := range a.keys() {
			if seen[key] {
				continue
			}
			seen[key] = true
			for _, id := range e.uploads(key) {
				left = append(left, fmt.Sprintf("%s (attempt %s/%d, upload %s)", key, a.TaskID(), a.Attempt(), id))
			}
		}
	}
	for u, err := range e.store.ListUploads(e.ctx, e.root+"/") {
		require.NoError(e.t, err, "ListUploads %s/", e.root)
		if !seen[u.Key] && strings.HasPrefix(u.Key, e.root+"/") {
			left = append(left, fmt.Sprintf("%s (upload %s)", u.Key, u.UploadID))
		}
	}
	require.Empty(e.t, left, "multipart uploads left in the store")
}

// uploads returns the IDs of the uploads whose key is exactly key.
func (e *env) uploads(key string) []string {
	e.t.Helper()
	var ids []string
	for u, err := range e.store.ListUploads(e.ctx, key) {
		require.NoError(e.t, err, "ListUploads %s", key)
		if u.Key == key {
			ids = append(ids, u.UploadID)
		}
	}
	return ids
}

// uploadsOf returns how many uploads remain for the attempts' keys.
func (e *env) uploadsOf(attempts ...*attempt) int {
	e.t.Helper()
	n := 0
	for _, a := range attempts {
		for _, key := range a.keys() {
			n += len(e.uploads(key))
		}
	}
	return n
}

// read returns an object's bytes.
func (e *env) read(key string) []byte {
	e.t.Helper()
	rc, _, err := e.store.GetObject(e.ctx, key)
	require.NoError(e.t, err, "GetObject %s", key)
	defer rc.Close()
	data, err := io.ReadAll(rc)
	require.NoError(e.t, err, "reading %s", key)
	return data
}

// requireStagingFree asserts that nothing in the staging dir mentions the
// job: a refused or finished job leaves no state behind.
func (e *env) requireStagingFree(jobID string) {
	e.t.Helper()
	var found []string
	err := filepath.WalkDir(e.staging, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.Contains(d.Name(), jobID) {
			found = append(found, p)
		}
		return nil
	})
	require.NoError(e.t, err)
	require.Empty(e.t, found, "state of job %s left in the staging dir", jobID)
}

// crashAt returns rules that simulate the process dying at the n-th call
// of op: that call and every later call through the faultstore fail with
// context.Canceled, and cancel is called so that work in flight stops, as
// it would in a killed process. Nothing the process does afterwards
// reaches the store.
func crashAt(op faultstore.Op, n int, cancel context.CancelFunc) []faultstore.Rule {
	var mu sync.Mutex
	crashed := false
	return []faultstore.Rule{
		{Err: context.Canceled, Match: func(faultstore.Call) bool {
			mu.Lock()
			defer mu.Unlock()
			return crashed
		}},
		{Op: op, Err: context.Canceled, Match: func(c faultstore.Call) bool {
			if c.N < n {
				return false
			}
			mu.Lock()
			crashed = true
			mu.Unlock()
			cancel()
			return true
		}},
	}
}

// crashAfter returns rules that simulate the process dying while it
// waits for the answer of the n-th call of op: that call takes effect in
// the store, its answer is lost, cancel is called, and every later call
// through the faultstore fails with context.Canceled.
func crashAfter(op faultstore.Op, n int, cancel context.CancelFunc) []faultstore.Rule {
	var mu sync.Mutex
	crashed := false
	return []faultstore.Rule{
		{Err: context.Canceled, Match: func(faultstore.Call) bool {
			mu.Lock()
			defer mu.Unlock()
			return crashed
		}},
		{Op: op, Drop: true, Times: 1,
			Match: func(c faultstore.Call) bool { return c.N == n },
			AfterDrop: func(faultstore.Call) {
				mu.Lock()
				crashed = true
				mu.Unlock()
				cancel()
			}},
	}
}

// errorIsAny reports whether err matches any of the targets.
func errorIsAny(err error, targets ...error) bool {
	for _, target := range targets {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// sub returns a fresh scenario world for a subtest: its own root prefix,
// staging and buffer dirs, on the same store.
func (e *env) sub(t *testing.T) *env {
	return e.s.newEnv(t, e.mode)
}

// requirePresent asserts that the objects exist with exactly these bytes.
func (e *env) requirePresent(objs map[string][]byte) {
	e.t.Helper()
	for key, data := range objs {
		got := e.read(key)
		require.Equal(e.t, sha256.Sum256(data), sha256.Sum256(got), "bytes of %s", key)
	}
}

// requireAbsent asserts that no object exists at key.
func (e *env) requireAbsent(key string) {
	e.t.Helper()
	_, err := e.store.HeadObject(e.ctx, key)
	require.ErrorIs(e.t, err, multipart.ErrNotFound, "HeadObject %s", key)
}

// readPendingSet reads the pendingset of a committed task.
func (e *env) readPendingSet(jobID, taskID string) ([]byte, error) {
	if h := e.s.h; h.ReadPendingSet != nil {
		return h.ReadPendingSet(e.t, e.staging, jobID, taskID)
	}
	return os.ReadFile(e.s.h.PendingSetPath(e.staging, jobID, taskID))
}

// writePendingSet writes (plants) the pendingset of a task.
func (e *env) writePendingSet(jobID, taskID string, data []byte) error {
	if h := e.s.h; h.WritePendingSet != nil {
		return h.WritePendingSet(e.t, e.staging, jobID, taskID, data)
	}
	target := e.s.h.PendingSetPath(e.staging, jobID, taskID)
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	return os.WriteFile(target, data, 0o644)
}
