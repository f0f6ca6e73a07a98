package staging

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/pendingset"
)

// snapshot is everything the staging dir says about one job, read once
// and validated: the job record, the pendingsets of the committed tasks,
// the intents of every attempt, the job-commit journal, and what could not
// be read. CommitJob, AbortJob and InspectJob decide from a snapshot with
// the pure functions of decide.go; the I/O that loads it is here, the I/O
// that acts on the decisions is in commitjob.go, cleanup.go and
// rollback.go.
type snapshot struct {
	rec *jobRecord
	// dir is the staging dir, for the paths tools show; "" where unknown.
	dir string
	// where names a record for people (a path or an s3:// URL); set by
	// the tools' reads, nil in a committer.
	where func(name string) string
	// sealed says that a job commit or abort has begun: the tasks
	// directory was renamed, no task commit can publish any more.
	sealed bool
	// sets are the committed tasks' pendingsets, holding only their
	// valid commits; setProblems are what is wrong with them (each
	// matching committer.ErrInvalidPendingSet or ErrRecordTooLarge).
	// CommitJob refuses a job with setProblems; AbortJob rolls it back.
	sets        []taskSet
	setProblems []error
	// attempts are the valid intents of every attempt, by attempt name.
	attempts map[string]*attemptIntents
	journal  *journalState
	// recordProblems are the intents and journal records that could not
	// be read or were invalid, and were left out. They do not stop a
	// commit or an abort; uploads they named may be left, and the
	// operation reports them.
	recordProblems []error
}

// attemptIntents is what one attempt's intents file records.
type attemptIntents struct {
	name    string
	taskID  string
	attempt int
	// keys lists every key the attempt planned or recorded, sorted.
	keys []string
	// planned counts how often each key was planned (once per run of the
	// attempt), created how many uploads were recorded at it, uncertain
	// how many creations had an unknown outcome.
	planned, created, uncertain map[string]int
	// uploads are the uploads the attempt created, in record order.
	uploads []UploadRef
}

func newAttemptIntents(name string) *attemptIntents {
	taskID, attempt := splitAttemptName(name)
	return &attemptIntents{name: name, taskID: taskID, attempt: attempt,
		planned: map[string]int{}, created: map[string]int{}, uncertain: map[string]int{}}
}

// loadSnapshot reads job rec's records in layout l. Damaged records are
// problems of the snapshot, not errors: the error is only for a tasks
// directory that cannot be listed, without which nothing can be decided.
func loadSnapshot(ctx context.Context, h home, l layout, rec *jobRecord) (*snapshot, error) {
	s := &snapshot{rec: rec, attempts: make(map[string]*attemptIntents)}
	sealed, names, err := h.pendingSets(ctx, l)
	if err != nil {
		return nil, err
	}
	s.sealed = sealed
	if s.sets, s.setProblems, err = readPendingSets(ctx, h, rec, names); err != nil {
		return nil, err
	}
	byAttempt, problems := h.intents(ctx, l)
	s.recordProblems = append(s.recordProblems, problems...)
	for name, ins := range byAttempt {
		s.addIntents(name, ins)
	}
	s.journal = h.readJournal(ctx, l)
	s.recordProblems = append(s.recordProblems, s.journal.problems...)
	s.validateJournal()
	return s, nil
}

// addIntents validates an attempt's intents and adds the valid ones.
func (s *snapshot) addIntents(name string, ins []intent) {
	if err := validAttemptName(name); err != nil {
		s.recordProblems = append(s.recordProblems, fmt.Errorf("intents %s%s: %w: left out", name, intentsSuffix, err))
		return
	}
	a := newAttemptIntents(name)
	keys := make(map[string]bool)
	seen := make(map[UploadRef]bool)
	for _, in := range ins {
		if err := s.rec.checkOutputKey(in.Key); err != nil {
			s.recordProblems = append(s.recordProblems, fmt.Errorf("intents of attempt %s: %w: the record is left out, nothing at that key is touched", name, err))
			continue
		}
		keys[in.Key] = true
		switch {
		case in.UploadID != "":
			ref := UploadRef{Key: in.Key, UploadID: in.UploadID}
			if !seen[ref] {
				seen[ref] = true
				a.created[in.Key]++
				a.uploads = append(a.uploads, ref)
			}
		case in.Uncertain:
			a.uncertain[in.Key]++
		default:
			a.planned[in.Key]++
		}
	}
	a.keys = slices.Sorted(maps.Keys(keys))
	s.attempts[name] = a
}

// validAttemptName checks "<taskID>_<attempt>".
func validAttemptName(name string) error {
	taskID, attempt := splitAttemptName(name)
	if err := committer.ValidateID("task ID", taskID); err != nil {
		return err
	}
	if attemptName(taskID, attempt) != name {
		return fmt.Errorf("%q is not an attempt name (<taskID>_<attempt>)", name)
	}
	return nil
}

// validateJournal drops journal entries that do not fit the job: a
// completion of an upload no pendingset records, an old object to delete
// that is not in the job's destination (or partitions) or is one of the
// job's own new files.
func (s *snapshot) validateJournal() {
	st := s.journal
	ours := make(map[string]string) // key → upload ID
	for _, p := range s.uploads() {
		ours[p.Key] = p.UploadID
	}
	for key, c := range st.completed {
		if ours[key] != c.UploadID {
			delete(st.completed, key)
			s.recordProblems = append(s.recordProblems, fmt.Errorf("the job-commit journal records a completion of upload %s of %q, which no pendingset of the job records: left out", c.UploadID, key))
		}
	}
	deferred := make(map[string]bool)
	for _, d := range s.deferred() {
		deferred[d.Key] = true
		ours[d.Key] = ""
	}
	for key := range st.put {
		if !deferred[key] {
			delete(st.put, key)
			s.recordProblems = append(s.recordProblems, fmt.Errorf("the job-commit journal records a put of %q, which no pendingset of the job defers: left out", key))
		}
	}
	if len(st.deleting) == 0 {
		return
	}
	valid := st.deleting[:0]
	parts := s.partitions()
	for _, key := range st.deleting {
		if err := s.checkOldObject(key, ours, parts); err != nil {
			s.recordProblems = append(s.recordProblems, fmt.Errorf("the job-commit journal lists %q among the old objects to delete: %w: left out", key, err))
			continue
		}
		valid = append(valid, key)
	}
	st.deleting = valid
}

// checkOldObject checks that replace mode may delete key: it lies under
// the destination (in partitioned mode, in a partition the job writes)
// and is not a file of the job's new output. parts are the snapshot's
// partitions.
func (s *snapshot) checkOldObject(key string, ours map[string]string, parts map[string]bool) error {
	prefix := s.rec.prefix()
	if len(key) <= len(prefix) || key[:len(prefix)] != prefix {
		return fmt.Errorf("it is not under the destination %q", prefix)
	}
	if _, ok := ours[key]; ok {
		return fmt.Errorf("it is a file of the job's own output")
	}
	if s.rec.Mode == committer.ModePartitioned && !parts[partitionOf(key[len(prefix):])] {
		return fmt.Errorf("it is not in a partition the job writes")
	}
	return nil
}

// uploads returns the uploads of the committed tasks, in key order.
func (s *snapshot) uploads() []*pendingset.Upload { return uploads(s.sets) }

// partitions returns the partitions the job's output falls in.
func (s *snapshot) partitions() map[string]bool {
	out := make(map[string]bool)
	prefix := s.rec.prefix()
	for _, p := range s.uploads() {
		out[partitionOf(p.Key[len(prefix):])] = true
	}
	for _, d := range s.deferred() {
		out[partitionOf(d.Key[len(prefix):])] = true
	}
	return out
}

// winners maps each committed task to the attempt that published its
// pendingset ("" where the pendingset does not say).
func (s *snapshot) winners() map[string]string {
	out := make(map[string]string, len(s.sets))
	for _, t := range s.sets {
		out[t.taskID()] = t.attempt()
	}
	return out
}

// attemptNames returns the names of the attempts with intents, sorted.
func (s *snapshot) attemptNames() []string {
	return slices.Sorted(maps.Keys(s.attempts))
}

// recordPath names the record name of the snapshot's staging dir.
func (s *snapshot) recordPath(name string) string {
	if s.where != nil {
		return s.where(name)
	}
	return filepath.Join(s.dir, filepath.FromSlash(name))
}
