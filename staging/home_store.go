package staging

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/pendingset"
	"github.com/s3commit/s3commit/staging/internal/storerecords"
)

// ErrConditionalWritesIgnored is returned by SetupJob with a staging dir in
// the store (s3://bucket/prefix) when the store accepts PutObject with
// If-None-Match: * over an existing object (some emulators and older Ceph
// releases ignore the header): on such a store the first attempt of a task
// would not win, the last one would, and nothing would say so.
var ErrConditionalWritesIgnored = errors.New("staging: the store ignores If-None-Match on PutObject")

// The store home's lease on a job's journal (see storeHome.lock).
const (
	defaultLease = 15 * time.Second
	// sealWait bounds how long a task commit that published while the
	// job commit was sealing waits for the job commit to say whether it
	// took the pendingset.
	sealWait = 30 * time.Second
	// removeBatch is how many records one DeleteObjects call removes.
	removeBatch = 1000
)

// Names of the store home's sealing records, in the job's commit dir.
const (
	sealingName = "sealing" // the job commit began sealing: tasks stop publishing
	sealedName  = "sealed"  // the pendingsets the job commit took, for good
)

// storeHome keeps the records as objects under a prefix of the store
// (StagingDir s3://bucket/prefix). A task publishes its pendingset with
// PutObject and If-None-Match: * (first attempt wins); the job commit
// seals the tasks with two records (sealing, then sealed naming the
// pendingsets it took); the journal is numbered chunk objects, each
// created with If-None-Match: *, whose numbering fences out a second
// driver, and the job's lock is a claim on it, kept alive by a heartbeat
// (a lease: the store cannot tell that a process died).
type storeHome struct {
	c     *Committer
	r     *storerecords.Records
	store multipart.Store
	url   *stagingURL
	log   *slog.Logger
}

var _ home = (*storeHome)(nil)

// storeHome opens the staging dir in the store.
func (c *Committer) storeHome(context.Context) (home, error) {
	// One retry layer: the store retries, so CreateExclusive sends each
	// put once and decides a lost answer by reading back.
	r, err := storerecords.New(c.stagingStore, c.stagingURL.prefix, storerecords.Options{CreateAttempts: 1})
	if err != nil {
		return nil, fmt.Errorf("open the staging dir %s: %w", c.stagingURL, err)
	}
	return &storeHome{c: c, r: r, store: c.stagingStore, url: c.stagingURL, log: c.opts.Logger}, nil
}

func (h *storeHome) where(name string) string { return h.url.String() + "/" + name }

func (h *storeHome) key(name string) string { return h.url.prefix + "/" + name }

func (l layout) sealingRecord() string { return path.Join(l.commitDir(), sealingName) }
func (l layout) sealedRecord() string  { return path.Join(l.commitDir(), sealedName) }
func (l layout) journalDir() string    { return path.Join(l.commitDir(), journalName) }

// exists reports whether the record name exists. It asks with a GET,
// not a HEAD: the records it looks for are usually missing, and a 404 to
// a HEAD has no body to say whether the key or the bucket is missing, so
// awsstore follows it with a HeadBucket; a GET's NoSuchKey says it in one
// request. The records are small; the body is not read.
func (h *storeHome) exists(ctx context.Context, name string) (bool, error) {
	rc, _, err := h.store.GetObject(ctx, h.key(name))
	switch {
	case err == nil:
		rc.Close()
		return true, nil
	case errors.Is(err, multipart.ErrNotFound):
		return false, nil
	}
	return false, fmt.Errorf("look up %s: %w", h.where(name), err)
}

// jobExists reports whether any record of the job is there: a job ID
// whose removal a crash cut short is not taken again before OpenJob of it
// sweeps what is left.
func (h *storeHome) jobExists(ctx context.Context, l layout) (bool, error) {
	for _, err := range h.store.ListObjects(ctx, h.key(l.jobDir)+"/") {
		if err != nil {
			return false, fmt.Errorf("look up %s: %w", h.where(l.jobDir), err)
		}
		return true, nil
	}
	return false, nil
}

// createJob checks once per Committer that the store enforces conditional
// writes, then creates the job record with If-None-Match: *.
func (h *storeHome) createJob(ctx context.Context, l layout, data []byte) error {
	if err := h.checkConditions(ctx, l); err != nil {
		return err
	}
	err := h.r.CreateExclusive(ctx, l.record(), data)
	if errors.Is(err, storerecords.ErrExist) {
		return fmt.Errorf("%w: %w", errTargetExists, err)
	}
	return err
}

// checkConditions runs storerecords.CheckConditionalWrites on a probe key
// of its own under the job's prefix (a probe that a crash leaves is swept
// with the job's remnants), once it passes per Committer.
func (h *storeHome) checkConditions(ctx context.Context, l layout) error {
	c := h.c
	c.condMu.Lock()
	defer c.condMu.Unlock()
	if c.condChecked {
		return nil
	}
	probe := h.key(l.jobDir + "/.probe-" + randomSuffix())
	if err := storerecords.CheckConditionalWrites(ctx, h.store, probe); err != nil {
		// The check deletes its probe; a deletion that failed is tried
		// once more, so that a failed SetupJob leaves nothing.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		if derr := h.store.DeleteObjects(dctx, []string{probe}); derr == nil {
			err = fmt.Errorf("%w (the probe is deleted)", err)
		}
		cancel()
		if errors.Is(err, storerecords.ErrConditionsIgnored) {
			return fmt.Errorf("%w: %s (%s): %w; use a store that enforces conditional writes (AWS S3, MinIO and versitygw do) "+
				"for the staging dir, or a staging dir on a shared filesystem",
				ErrConditionalWritesIgnored, h.url, endpointOf(h.store), err)
		}
		return fmt.Errorf("check that %s enforces conditional writes: %w", h.url, err)
	}
	c.condChecked = true
	return nil
}

// endpointOf names the endpoint of a store that can say it.
func endpointOf(st multipart.Store) string {
	for {
		if e, ok := st.(interface{ Endpoint() string }); ok {
			return "endpoint " + e.Endpoint()
		}
		u, ok := st.(interface{ Unwrap() multipart.Store })
		if !ok {
			return "bucket " + st.Bucket()
		}
		st = u.Unwrap()
	}
}

func (h *storeHome) readJobRecord(ctx context.Context, l layout) (*jobRecord, error) {
	data, err := h.read(ctx, l.record(), maxJobRecordBytes)
	if err != nil {
		return nil, err
	}
	return decodeJobRecord(data, h.where(l.record()))
}

// removeJob deletes the job record first, so that what a crash leaves
// reads as no job (OpenJob of the job sweeps it), then every other record
// of the job. The lease ends before: its heartbeat must not write chunks
// that the removal misses.
func (h *storeHome) removeJob(ctx context.Context, l layout, lk *jobLock) {
	if lk != nil && lk.journal != nil {
		lk.journal.abandon()
	}
	lk.release()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	// Each step is tried twice.
	if err := h.r.Remove(ctx, l.record()); err != nil && h.r.Remove(ctx, l.record()) != nil {
		h.log.WarnContext(ctx, "could not remove the job's record; CommitJob or AbortJob of the job removes it", "record", h.where(l.record()), "error", err)
		return
	}
	if err := h.removeAll(ctx, l.jobDir); err != nil && h.removeAll(ctx, l.jobDir) != nil {
		h.log.WarnContext(ctx, "could not remove every record of the finished job; OpenJob of the job removes them", "dir", h.where(l.jobDir), "error", err)
	}
}

// removeAll deletes every record under dir.
func (h *storeHome) removeAll(ctx context.Context, dir string) error {
	var batch []string
	for name, err := range h.r.List(ctx, dir) {
		if err != nil && name == "" {
			return err
		}
		if err != nil {
			continue // not a name s3commit writes: left alone
		}
		batch = append(batch, name)
		if len(batch) == removeBatch {
			if err := h.r.Remove(ctx, batch...); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	return h.r.Remove(ctx, batch...)
}

// sweepRemnants removes the records a crash left of removing job jobID:
// any record under its prefix once its job record is gone. A sweep of
// every job ("") would list the whole staging prefix: the store home
// leaves that to OpenJob of each job.
func (h *storeHome) sweepRemnants(ctx context.Context, jobID string) {
	if jobID == "" {
		return
	}
	l := newLayout("", jobID)
	if ok, err := h.exists(ctx, l.record()); err != nil || ok {
		return
	}
	_ = h.removeAll(ctx, l.jobDir)
}

func (h *storeHome) taskPendingSet(ctx context.Context, l layout, taskID string) (*pendingset.Set, error) {
	return readPendingSetFrom(ctx, h, l.pendingSet(taskID))
}

func (h *storeHome) sealing(ctx context.Context, l layout) (bool, error) {
	return h.exists(ctx, l.sealingRecord())
}

// publish creates the pendingset with If-None-Match: *, then looks for
// the job commit's sealing record. Absent while the job record is still
// there, the pendingset is the job's: a job commit writes sealing before
// it lists the pendingsets, and the listing, after this publish, shows
// it. Present, the job commit may have
// listed before this publish or after it: the task waits for the sealed
// record that names the pendingsets it took.
func (h *storeHome) publish(ctx context.Context, l layout, taskID string, data []byte) error {
	err := h.r.CreateExclusive(ctx, l.pendingSet(taskID), data)
	switch {
	case errors.Is(err, storerecords.ErrExist):
		return fmt.Errorf("%w: %w", errTargetExists, err)
	case err != nil:
		return err
	}
	deadline := time.Now().Add(sealWait)
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		sealing, err := h.sealing(ctx, l)
		if err != nil {
			return fmt.Errorf("%w: could not learn whether a job commit began: %w", errSealUndecided, err)
		}
		if !sealing {
			// No seal: none began, or the job was finished and its
			// records removed meanwhile (the removal deletes the job
			// record first, the sealing record after it), which the job
			// record, read after, tells.
			switch live, err := h.exists(ctx, l.record()); {
			case err != nil:
				return fmt.Errorf("%w: %w", errSealUndecided, err)
			case !live:
				return fmt.Errorf("%w: the job was committed or aborted while the pendingset was published", errSealed)
			}
			return nil
		}
		taken, ok, err := h.sealedSet(ctx, l)
		switch {
		case err != nil:
			return fmt.Errorf("%w: %w", errSealUndecided, err)
		case ok && slices.Contains(taken, l.pendingSet(taskID)):
			return nil
		case ok:
			// Not taken: the pendingset is left for the job's removal.
			return fmt.Errorf("%w: it was published after the job commit listed the tasks", errSealed)
		case time.Now().After(deadline):
			return fmt.Errorf("%w: a job commit began while it was published and did not say in %v whether it took it (no %s)", errSealUndecided, sealWait, h.where(l.sealedRecord()))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", errSealUndecided, ctx.Err())
		case <-time.After(wait):
		}
	}
}

// sealedRecord is the body of the sealed record.
type sealedRecord struct {
	// Writer is random, unique to the seal that wrote the record (its
	// bytes are its writer's identity).
	Writer string   `json:"writer"`
	Tasks  []string `json:"pendingsets"`
}

// sealedSet reads the pendingsets the job commit took; ok is false while
// there is no sealed record.
func (h *storeHome) sealedSet(ctx context.Context, l layout) (names []string, ok bool, err error) {
	data, err := h.read(ctx, l.sealedRecord(), maxPendingSetBytes)
	switch {
	case isNotExist(err):
		return nil, false, nil
	case err != nil:
		return nil, false, err
	}
	var rec sealedRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, false, fmt.Errorf("%s is not valid JSON: %w; it is damaged or not s3commit's: abort the job", h.where(l.sealedRecord()), err)
	}
	prefix := l.tasksDir() + "/"
	for _, n := range rec.Tasks {
		if !strings.HasPrefix(n, prefix) || strings.Contains(n[len(prefix):], "/") {
			return nil, false, fmt.Errorf("%s names %q, which is not a pendingset of the job; it is damaged or not s3commit's: abort the job", h.where(l.sealedRecord()), n)
		}
	}
	return rec.Tasks, true, nil
}

// seal writes the sealing record (task commits stop publishing), lists
// the pendingsets and creates the sealed record naming them. A sealed
// record there already (an earlier run's) stays: its list is the job's.
func (h *storeHome) seal(ctx context.Context, l layout) error {
	if _, ok, err := h.sealedSet(ctx, l); err != nil || ok {
		return err
	}
	if err := h.r.Put(ctx, l.sealingRecord(), []byte("sealing\n")); err != nil {
		return err
	}
	names, err := h.listPendingSets(ctx, l)
	if err != nil {
		return err
	}
	data, err := json.Marshal(sealedRecord{Writer: randomSuffix(), Tasks: names})
	if err != nil {
		return err
	}
	if err := h.r.CreateExclusive(ctx, l.sealedRecord(), data); err != nil && !errors.Is(err, storerecords.ErrExist) {
		return err
	}
	return nil
}

func (h *storeHome) unseal(ctx context.Context, l layout) error {
	if err := h.r.Remove(ctx, l.sealedRecord()); err != nil {
		return err
	}
	return h.r.Remove(ctx, l.sealingRecord())
}

func (h *storeHome) listPendingSets(ctx context.Context, l layout) ([]string, error) {
	names := []string{}
	for name, err := range h.r.List(ctx, l.tasksDir()) {
		if err != nil && name == "" {
			return nil, fmt.Errorf("list the committed tasks in %s: %w", h.where(l.tasksDir()), err)
		}
		if err == nil && strings.HasSuffix(name, pendingSetSuffix) {
			names = append(names, name)
		}
	}
	return names, nil
}

func (h *storeHome) pendingSets(ctx context.Context, l layout) (bool, []string, error) {
	taken, ok, err := h.sealedSet(ctx, l)
	if err != nil || ok {
		return ok, taken, err
	}
	names, err := h.listPendingSets(ctx, l)
	return false, names, err
}

func (h *storeHome) published(ctx context.Context, l layout, taskID string) bool {
	ok, err := h.exists(ctx, l.pendingSet(taskID))
	return err == nil && ok
}

func (h *storeHome) read(ctx context.Context, name string, limit int64) ([]byte, error) {
	data, err := h.r.Read(ctx, name, limit)
	if errors.Is(err, storerecords.ErrTooLarge) {
		return nil, fmt.Errorf("%w: %w; it is damaged or not s3commit's: remove it from the staging dir", ErrRecordTooLarge, err)
	}
	return data, err
}

// storeIntents is an attempt's intent record in the store: one object,
// written when the attempt plans its uploads (before the first is
// created) and again, with the upload IDs, once they are all created.
// Between the two, the planned keys are what the job's cleanup lists to
// find an upload whose creation answer was lost.
type storeIntents struct {
	h    *storeHome
	name string

	mu      sync.Mutex
	lines   []intent // what the record holds and will hold
	pending bool     // lines holds creations not yet written
}

func (h *storeHome) openIntents(ctx context.Context, l layout, taskID string, attempt int) (intentWriter, error) {
	w := &storeIntents{h: h, name: l.intents(taskID, attempt)}
	// An earlier CommitTask of the attempt planned keys too: kept.
	in, _, err := h.readIntentsRecord(ctx, w.name)
	if err != nil && !isNotExist(err) {
		return nil, fmt.Errorf("open intent record: %w", err)
	}
	w.lines = in
	return w, nil
}

func (w *storeIntents) record(ctx context.Context, in ...intent) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	plan := true
	for _, i := range in {
		if i.UploadID != "" || i.Uncertain {
			plan = false
		}
	}
	w.lines = append(w.lines, in...)
	if !plan {
		w.pending = true // written by flush, once per attempt
		return nil
	}
	return w.writeLocked(ctx)
}

func (w *storeIntents) flush(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.pending {
		return nil
	}
	return w.writeLocked(ctx)
}

func (w *storeIntents) writeLocked(ctx context.Context) error {
	data, err := encodeIntents(w.lines)
	if err != nil {
		return err
	}
	if err := w.h.r.Put(ctx, w.name, data); err != nil {
		return fmt.Errorf("write the intent record %s: %w", w.h.where(w.name), err)
	}
	w.pending = false
	return nil
}

func (w *storeIntents) Close() error { return nil }

// readIntentsRecord reads and decodes one intent record.
func (h *storeHome) readIntentsRecord(ctx context.Context, name string) ([]intent, []error, error) {
	data, err := h.read(ctx, name, maxIntentsBytes)
	if err != nil {
		return nil, nil, err
	}
	lines, problems := splitLines(data, h.where(name))
	in, bad := decodeIntents(lines, h.where(name))
	return in, append(problems, bad...), nil
}

// splitLines splits a record of lines; an object is whole, so a last
// line without '\n' is taken too.
func splitLines(data []byte, where string) (lines []line, problems []error) {
	for n := 1; len(data) > 0; n++ {
		l, rest, _ := bytes.Cut(data, []byte{'\n'})
		data = rest
		switch {
		case len(l) > maxRecordLineBytes:
			problems = append(problems, fmt.Errorf("%s line %d is longer than %d bytes: damaged", where, n, maxRecordLineBytes))
		case len(bytes.TrimSpace(l)) > 0:
			lines = append(lines, line{n: n, data: bytes.TrimSpace(l)})
		}
	}
	return lines, problems
}

func (h *storeHome) intents(ctx context.Context, l layout) (map[string][]intent, []error) {
	out := make(map[string][]intent)
	var problems []error
	for name, err := range h.r.List(ctx, l.attemptsDir()) {
		if err != nil && name == "" {
			return out, append(problems, fmt.Errorf("list the attempts' intents in %s: %w", h.where(l.attemptsDir()), err))
		}
		base := name[strings.LastIndexByte(name, '/')+1:]
		if err != nil || !strings.HasSuffix(base, intentsSuffix) || strings.HasPrefix(base, ".") {
			continue
		}
		in, bad, err := h.readIntentsRecord(ctx, name)
		problems = append(problems, bad...)
		if err != nil {
			if !isNotExist(err) {
				problems = append(problems, fmt.Errorf("read intents %s: %w", h.where(name), err))
			}
			continue
		}
		attempt := strings.TrimSuffix(base, intentsSuffix)
		out[attempt] = append(out[attempt], in...)
	}
	return out, problems
}

func (h *storeHome) attemptIntents(ctx context.Context, l layout, taskID string, attempt int) ([]intent, []error, error) {
	return h.readIntentsRecord(ctx, l.intents(taskID, attempt))
}

func (h *storeHome) readJournal(ctx context.Context, l layout) *journalState {
	st := newJournalState()
	rep, err := storerecords.ReadJournal(ctx, h.r, l.journalDir(), storerecords.JournalOptions{MaxJournalBytes: maxJournalBytes})
	if err != nil {
		st.unreadable = true
		st.problems = []error{fmt.Errorf("the job-commit journal: %w", err)}
		return st
	}
	noteClaim(st, rep)
	st.problems = append(st.problems, rep.Damage...)
	if len(rep.Damage) > 0 {
		st.unreadable = true
	}
	for i, e := range rep.Entries {
		if err := st.apply(e); err != nil {
			st.problems = append(st.problems, fmt.Errorf("%s entry %d: %w: the entry is left out", h.where(l.journalDir()), i+1, err))
		}
	}
	return st
}
