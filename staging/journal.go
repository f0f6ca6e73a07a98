package staging

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"
)

// The operations of the job-commit journal, in the order a commit writes
// them.
const (
	opBegin      = "begin"       // the commit started: uploads are being completed
	opCompleted  = "completed"   // one upload was completed (key, uploadId, etag)
	opPut        = "put"         // one deferred file was written (key, etag)
	opDeleteKeys = "delete-keys" // replace mode: a batch of the old objects to delete (keys)
	opDelete     = "delete"      // replace mode: the list of old objects is whole; deleting begins
	opDeleted    = "deleted"     // replace mode: the old objects are deleted
	opSuccess    = "success"     // _SUCCESS is written: the job is committed
	opReverting  = "reverting"   // a rollback began: the job can no longer be committed
	opReverted   = "reverted"    // the job was rolled back
	opHeartbeat  = "heartbeat"   // store home: the journal's holder is alive
	opReleased   = "released"    // store home: the holder let the journal go
)

// deleteBatch is how many keys one delete-keys entry holds, so that no
// journal line gets long however many old objects replace mode deletes.
const deleteBatch = 100

// journalEntry is one line of the job-commit journal.
type journalEntry struct {
	Op       string   `json:"op"`
	Time     int64    `json:"time"` // ms since the epoch
	Key      string   `json:"key,omitempty"`
	UploadID string   `json:"uploadId,omitempty"`
	ETag     string   `json:"etag,omitempty"`
	Keys     []string `json:"keys,omitempty"`
}

// completion is a journaled completed upload.
type completion struct {
	UploadID string
	ETag     string
}

// journalState is what a journal says about the commit runs so far. It is
// parsed as written; package staging validates it against the job (keys
// under the destination, completions of the job's uploads) when it builds
// a snapshot.
type journalState struct {
	began     bool
	beganAt   time.Time
	completed map[string]completion // by key
	put       map[string]string     // key → ETag of the deferred files written
	// deleting is the list of old objects replace mode deletes; it counts
	// only once deleteListed: from then on deletions may have begun.
	deleting     []string
	deleteListed bool
	deleted      bool
	succeeded    bool
	reverting    bool
	reverted     bool
	// unreadable is set when the journal exists but could not be read at
	// all (too large, not a regular file, an I/O error): nothing of it is
	// known.
	unreadable bool
	// claimed says, in the store home, that the journal is claimed and
	// not released; lastWrite is the time of its last entry since the
	// claim (zero when none).
	claimed   bool
	lastWrite time.Time
	// problems are the journal's damaged lines, left out.
	problems []error
}

func newJournalState() *journalState {
	return &journalState{completed: make(map[string]completion), put: make(map[string]string)}
}

// readJournal reads the job-commit journal; a missing journal is a commit
// that never started. A journal that cannot be read at all is returned
// with unreadable set and the reason as its only problem.
func readJournal(fsys fsys, path string) *journalState {
	st := newJournalState()
	lines, problems, err := readLines(fsys, path, maxJournalBytes)
	switch {
	case isNotExist(err):
		return st
	case err != nil:
		st.unreadable = true
		st.problems = []error{fmt.Errorf("the job-commit journal: %w", err)}
		return st
	}
	st.problems = problems
	for _, l := range lines {
		if err := st.apply(l.data); err != nil {
			st.problems = append(st.problems, fmt.Errorf("%s line %d: %w: the entry is left out", fsys.Path(path), l.n, err))
		}
	}
	return st
}

// apply adds one journal line to the state.
func (st *journalState) apply(data []byte) error {
	var e journalEntry
	if err := json.Unmarshal(data, &e); err != nil {
		return err
	}
	switch e.Op {
	case opBegin:
		if !st.began {
			st.began, st.beganAt = true, time.UnixMilli(e.Time)
		}
	case opCompleted:
		if e.Key == "" || e.UploadID == "" {
			return fmt.Errorf("a completed entry without key or upload ID")
		}
		st.completed[e.Key] = completion{UploadID: e.UploadID, ETag: e.ETag}
	case opPut:
		if e.Key == "" || e.ETag == "" {
			return fmt.Errorf("a put entry without key or ETag")
		}
		st.put[e.Key] = e.ETag
	case opDeleteKeys:
		if !st.deleteListed {
			st.deleting = append(st.deleting, e.Keys...)
		}
	case opDelete:
		// Releases before batches wrote the whole list in this entry.
		if !st.deleteListed {
			st.deleting = append(st.deleting, e.Keys...)
			st.deleteListed = true
		}
	case opDeleted:
		st.deleted = true
	case opSuccess:
		st.succeeded = true
	case opReverting:
		st.reverting = true
	case opReverted:
		st.reverted = true
	case opHeartbeat, opReleased:
		// the store home's lease: no state of the job
	default:
		return fmt.Errorf("unknown journal operation %q", e.Op)
	}
	return nil
}

// journal appends entries to the job-commit journal. add fsyncs what it
// appends; addCompleted only writes its line, which the next add's fsync
// makes durable. An fsync per completion held up every completion behind
// the disk the store often shares (and cost the client CPU: 0.32 of the
// 7.0 s of a commit of 5,000 small deferred files), for an entry whose
// loss the commit survives: a machine
// crash may lose completions not fsynced yet, and a resumed commit or a
// rollback learns them from the store, as with the store home's batches.
type journal struct {
	f *appendFile
}

func openJournal(fsys fsys, l layout) (*journal, error) {
	if err := fsys.Mkdir(l.commitDir(), 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("open the job-commit journal: %w", err)
	}
	f, err := openAppend(fsys, l.journal())
	if err != nil {
		return nil, fmt.Errorf("open the job-commit journal: %w", err)
	}
	return &journal{f: f}, nil
}

// add appends entries and returns once they are durable.
func (j *journal) add(_ context.Context, entries ...journalEntry) error {
	now := time.Now().UnixMilli()
	var buf []byte
	for _, e := range entries {
		e.Time = now
		line, err := json.Marshal(e)
		if err != nil {
			return err
		}
		buf = append(append(buf, line...), '\n')
	}
	if err := j.f.append(buf); err != nil {
		return fmt.Errorf("write the job-commit journal: %w", err)
	}
	return nil
}

// addDeleteList journals the old objects replace mode is about to delete:
// batches of keys, then the entry that says the list is whole, in one
// write and one fsync. A crash that tears it leaves no opDelete entry, and
// no deletion has begun.
func addDeleteList(ctx context.Context, jl journalWriter, keys []string) error {
	var entries []journalEntry
	for len(keys) > 0 {
		n := min(len(keys), deleteBatch)
		entries = append(entries, journalEntry{Op: opDeleteKeys, Keys: keys[:n]})
		keys = keys[n:]
	}
	return jl.add(ctx, append(entries, journalEntry{Op: opDelete})...)
}

// addCompleted appends a completion without an fsync of its own.
func (j *journal) addCompleted(_ context.Context, e journalEntry) error {
	e.Time = time.Now().UnixMilli()
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := j.f.write(append(line, '\n')); err != nil {
		return fmt.Errorf("write the job-commit journal: %w", err)
	}
	return nil
}

// flush makes the completions appended so far durable.
func (j *journal) flush(context.Context) error {
	if err := j.f.append(nil); err != nil {
		return fmt.Errorf("write the job-commit journal: %w", err)
	}
	return nil
}

func (j *journal) Close() error { return j.f.Close() }
