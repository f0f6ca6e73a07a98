package staging

import (
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/pendingset"
)

// The decisions of CommitJob, AbortJob and InspectJob, as pure functions
// of a snapshot (and of what the store listed, where a decision needs it).
// Nothing here does I/O; table-driven tests cover it without a store.

// ClockSkewAllowance is the clock difference between this host and the
// store (or another host) that the committer allows for when it compares
// the store's timestamps with its own (an object's or an upload's time
// against a job's start, a lease's heartbeat). Clocks further apart can
// make it take another writer's object for the job's, or a live driver for
// a dead one; `s3commit doctor` measures the difference.
const ClockSkewAllowance = time.Minute

// timeSkew is ClockSkewAllowance, by its short name.
const timeSkew = ClockSkewAllowance

// phase is where a job stands in its commit, as the records (and, for a
// committed job whose journal missed it, the store's _SUCCESS) say.
type phase int

const (
	// phaseOpen: no job commit began; tasks may still commit.
	phaseOpen phase = iota
	// phaseCommitting: a job commit began and can still be rolled back.
	phaseCommitting
	// phaseRollForward: a replace commit began deleting the old objects:
	// a rollback would lose the old and the new data, so it can only be
	// finished (CommitJob).
	phaseRollForward
	// phaseReverting: a rollback began and did not finish: objects the
	// commit had completed may be deleted already, so the job can no
	// longer be committed; AbortJob finishes the rollback.
	phaseReverting
	// phaseCommitted: _SUCCESS of the job was written; only cleanup is
	// left.
	phaseCommitted
	// phaseReverted: the job was rolled back; only cleanup is left.
	phaseReverted
)

// phase derives the job's phase. successOwned says that the
// destination's _SUCCESS names this job (false when unknown).
func (s *snapshot) phase(successOwned bool) phase {
	st := s.journal
	switch {
	case st.reverted:
		return phaseReverted
	case st.succeeded || successOwned:
		return phaseCommitted
	case st.reverting:
		return phaseReverting
	case s.pastPointOfNoReturn():
		return phaseRollForward
	case st.began || st.unreadable:
		return phaseCommitting
	}
	return phaseOpen
}

// pastPointOfNoReturn reports whether a replace commit may have begun
// deleting old objects: the journal lists them, or it is damaged where it
// could have listed them (a rollback then risks losing data, so only a
// resume is allowed).
func (s *snapshot) pastPointOfNoReturn() bool {
	if s.rec.Conflict != committer.ConflictReplace {
		return false
	}
	st := s.journal
	if st.deleteListed && len(st.deleting) > 0 {
		return true
	}
	doubt := st.unreadable || len(st.problems) > 0
	return doubt && (st.began || st.unreadable) && !st.deleted
}

// abortAction is what AbortJob does with a job.
type abortAction int

const (
	// abortRollback: undo everything of the job.
	abortRollback abortAction = iota
	// abortFinishCleanup: the job is committed; finish its cleanup and
	// keep its output.
	abortFinishCleanup
	// abortRefuse: the commit is past its point of no return; only
	// CommitJob may finish it.
	abortRefuse
	// abortRemoveOnly: the job was rolled back already; remove its dirs.
	abortRemoveOnly
)

func (s *snapshot) abortAction(successOwned bool) abortAction {
	switch s.phase(successOwned) {
	case phaseCommitted:
		return abortFinishCleanup
	case phaseReverted:
		return abortRemoveOnly
	case phaseRollForward:
		return abortRefuse
	}
	return abortRollback
}

// commitAction is what CommitJob does with a job.
type commitAction int

const (
	// commitProceed: commit, or resume an interrupted commit.
	commitProceed commitAction = iota
	// commitFinishCleanup: committed already; finish the cleanup.
	commitFinishCleanup
	// commitRefuseReverted: the job was rolled back; it cannot commit.
	commitRefuseReverted
	// commitRefuseReverting: a rollback of the job began; only AbortJob
	// may finish it.
	commitRefuseReverting
)

// commitAction decides from the snapshot and whether the destination's
// _SUCCESS names the job: an earlier run may have written it and failed
// to journal it, then cleaned up (its deferred files gone, it cannot run
// again).
func (s *snapshot) commitAction(successOwned bool) commitAction {
	switch s.phase(successOwned) {
	case phaseCommitted:
		return commitFinishCleanup
	case phaseReverted:
		return commitRefuseReverted
	case phaseReverting:
		return commitRefuseReverting
	}
	return commitProceed
}

// failureAction is what a job commit that failed does.
type failureAction int

const (
	// failRevert: roll the job back.
	failRevert failureAction = iota
	// failKeep: keep the state for a later CommitJob or AbortJob
	// (KeepStateOnFailure, or an interrupted run).
	failKeep
	// failRollForward: keep the state; only a later CommitJob may go on.
	failRollForward
)

// failureAction decides after a failed commit run: interrupted says the
// caller's context ended (a crash: nothing is undone), transient that the
// store did not answer (network errors, 5xx, throttling, until the
// retries ran out): the calls may have taken effect and a later CommitJob
// finds out, so nothing is undone either; keep is
// Options.KeepStateOnFailure.
func (s *snapshot) failureAction(interrupted, transient, keep bool) failureAction {
	switch {
	case s.pastPointOfNoReturn():
		return failRollForward
	case interrupted || transient || keep:
		return failKeep
	}
	return failRevert
}

// state is the JobState tools show: a running CommitJob or AbortJob
// (lockHeld) first, then the phase.
func (s *snapshot) state(lockHeld, successOwned bool) JobState {
	if lockHeld {
		return StateCommitting
	}
	switch s.phase(successOwned) {
	case phaseCommitted:
		return StateCommitted
	case phaseReverted:
		return StateReverted
	case phaseReverting:
		return StateReverting
	case phaseRollForward:
		return StateMustResume
	case phaseCommitting:
		return StateInterrupted
	}
	if len(s.sets) > 0 {
		return StateTasksCommitted
	}
	return StateSetUp
}

// ownership says whose an upload listed at a key of the job is.
type ownership int

const (
	// foreign: not this job's (older than the job, or, without unique
	// filenames, at a key other writers may use): never touched.
	foreign ownership = iota
	// ownPending: an upload of a committed task (in a pendingset).
	ownPending
	// ownRecorded: an upload an attempt of the job created and recorded.
	ownRecorded
	// ownUnrecorded: an upload nobody recorded, at a key that carries the
	// job ID (unique filenames) and where an attempt's records say such an
	// upload may exist, initiated after the job was set up: a creation of
	// the job whose answer was lost.
	ownUnrecorded
)

// uploadIndex maps the uploads the records name to their owners.
type uploadIndex struct {
	pending  map[UploadRef]bool
	recorded map[UploadRef]string // → attempt name
	// uncertain maps a key to the attempts that recorded a creation
	// there whose answer was lost or that planned it more often than they
	// recorded an upload.
	uncertain map[string][]string
}

func (s *snapshot) index() *uploadIndex {
	x := &uploadIndex{pending: map[UploadRef]bool{}, recorded: map[UploadRef]string{}, uncertain: map[string][]string{}}
	for _, p := range s.uploads() {
		x.pending[UploadRef{Key: p.Key, UploadID: p.UploadID}] = true
	}
	for _, name := range s.attemptNames() {
		a := s.attempts[name]
		for _, ref := range a.uploads {
			x.recorded[ref] = name
		}
		for _, key := range a.keys {
			if a.unrecorded(key) {
				x.uncertain[key] = append(x.uncertain[key], name)
			}
		}
	}
	return x
}

// unrecorded reports whether an upload of the attempt that no record
// names may exist at key: a creation had an unknown outcome, or the key
// was planned by more runs than recorded an upload there (a run died
// between a creation and its record).
func (a *attemptIntents) unrecorded(key string) bool {
	return a.uncertain[key] > 0 || a.planned[key] > a.created[key]
}

// classify says whose the listed upload up is, and which attempt it is
// attributed to ("" if none).
func (s *snapshot) classify(x *uploadIndex, up multipart.Upload) (ownership, string) {
	ref := UploadRef{Key: up.Key, UploadID: up.UploadID}
	if x.pending[ref] {
		return ownPending, ""
	}
	if name, ok := x.recorded[ref]; ok {
		return ownRecorded, name
	}
	names, suspect := x.uncertain[up.Key]
	if !suspect || !s.rec.UniqueFilenames || s.rec.checkOutputKey(up.Key) != nil {
		return foreign, ""
	}
	if !up.Initiated.IsZero() && up.Initiated.Before(s.rec.createdTime().Add(-timeSkew)) {
		return foreign, "" // older than the job
	}
	attempt := ""
	if len(names) == 1 {
		attempt = names[0]
	}
	return ownUnrecorded, attempt
}

// staleUploads are the uploads attempts recorded that no pendingset
// holds: of attempts that failed, lost or were aborted. Every cleanup and
// rollback aborts them by ID.
func (s *snapshot) staleUploads(x *uploadIndex) []UploadRef {
	var out []UploadRef
	for _, name := range s.attemptNames() {
		for _, ref := range s.attempts[name].uploads {
			if !x.pending[ref] {
				out = append(out, ref)
			}
		}
	}
	return out
}

// sweepKeys are the keys whose uploads a cleanup or rollback lists, by
// exact key, to find uploads nobody knows the ID of: where an attempt had
// a creation with an unknown outcome or planned more uploads than it
// recorded. A job where nothing went wrong has none, so its commit lists
// nothing. Without unique filenames nothing is swept: such an upload
// could be another job's.
func (s *snapshot) sweepKeys(x *uploadIndex) []string {
	if !s.rec.UniqueFilenames {
		return nil
	}
	return slices.Sorted(maps.Keys(x.uncertain))
}

// allKeys are every key the job's records name: those of its pendingsets
// and of its attempts' intents. InspectJob lists them all.
func (s *snapshot) allKeys() []string {
	keys := make(map[string]bool)
	for _, p := range s.uploads() {
		keys[p.Key] = true
	}
	for _, a := range s.attempts {
		for _, k := range a.keys {
			keys[k] = true
		}
	}
	return slices.Sorted(maps.Keys(keys))
}

// orphans picks, among the uploads listed at the job's keys, those that
// belong to the job but to no committed task: what a cleanup or a
// rollback aborts after a sweep and what InspectJob reports as orphans.
func (s *snapshot) orphans(x *uploadIndex, listed []multipart.Upload) []OrphanUpload {
	var out []OrphanUpload
	seen := make(map[UploadRef]bool)
	for _, up := range listed {
		ref := UploadRef{Key: up.Key, UploadID: up.UploadID}
		if seen[ref] {
			continue
		}
		seen[ref] = true
		own, attempt := s.classify(x, up)
		switch own {
		case ownRecorded:
			out = append(out, OrphanUpload{Key: up.Key, UploadID: up.UploadID, Initiated: up.Initiated, Attempt: attempt})
		case ownUnrecorded:
			out = append(out, OrphanUpload{Key: up.Key, UploadID: up.UploadID, Initiated: up.Initiated, Attempt: attempt, Uncertain: true})
		}
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Key != out[b].Key {
			return out[a].Key < out[b].Key
		}
		return out[a].UploadID < out[b].UploadID
	})
	return out
}

// objectMadeBy reports whether the object described by info is the one
// that completing upload p made: its size is the upload's, its full-object
// checksum, where the store reports one, is the file's, and its ETag is
// the one the completion returned (etag, when the journal recorded it) or
// the multipart ETag computed from the part ETags. Where neither is known
// (a store whose ETags are not MD5-based), an object of the right size
// written after notBefore (less the clock skew) is taken as the upload's;
// with a zero notBefore it is not.
func objectMadeBy(info multipart.ObjectInfo, p *pendingset.Upload, etag string, notBefore time.Time) bool {
	if info.Size != p.Length {
		return false
	}
	if info.ChecksumType == multipart.ChecksumTypeFullObject && !p.Checksum.IsZero() &&
		info.Checksum.Algorithm == p.Checksum.Algorithm && info.Checksum != p.Checksum {
		return false // the store's checksum of the object is not the file's
	}
	got := multipart.NormalizeETag(info.ETag)
	if etag != "" {
		return got == multipart.NormalizeETag(etag)
	}
	if want, ok := multipart.MultipartETag(p.ETags); ok {
		return got == want
	}
	return !notBefore.IsZero() && !info.LastModified.Before(notBefore.Add(-timeSkew))
}
