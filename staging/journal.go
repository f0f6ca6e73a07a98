package staging

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// The operations of the job-commit journal, in the order a commit writes
// them.
const (
	opBegin     = "begin"     // the commit started: uploads are being completed
	opCompleted = "completed" // one upload was completed (key, uploadId, etag)
	opDelete    = "delete"    // replace mode: the old objects about to be deleted (keys)
	opDeleted   = "deleted"   // replace mode: the old objects are deleted
	opSuccess   = "success"   // _SUCCESS is written: the job is committed
	opReverted  = "reverted"  // the job was rolled back
)

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

// journalState is what a journal says about an earlier commit run.
type journalState struct {
	began     bool
	beganAt   time.Time
	completed map[string]completion // by key
	deleting  []string              // old objects to delete; nil if not decided
	deleted   bool
	succeeded bool
	reverted  bool
}

// readJournal reads the job-commit journal; a missing journal is a
// commit that never started.
func readJournal(path string) (*journalState, error) {
	st := &journalState{completed: make(map[string]completion)}
	err := readLines(path, func(line []byte) error {
		var e journalEntry
		if err := json.Unmarshal(line, &e); err != nil {
			return err
		}
		switch e.Op {
		case opBegin:
			if !st.began {
				st.began, st.beganAt = true, time.UnixMilli(e.Time)
			}
		case opCompleted:
			st.completed[e.Key] = completion{UploadID: e.UploadID, ETag: e.ETag}
		case opDelete:
			st.deleting = append([]string{}, e.Keys...)
		case opDeleted:
			st.deleted = true
		case opSuccess:
			st.succeeded = true
		case opReverted:
			st.reverted = true
		default:
			return fmt.Errorf("unknown journal operation %q", e.Op)
		}
		return nil
	})
	if err != nil && !isNotExist(err) {
		return nil, fmt.Errorf("read the job-commit journal: %w", err)
	}
	return st, nil
}

// journal appends entries to the job-commit journal, fsyncing each.
type journal struct {
	f *appendFile
}

func openJournal(l layout) (*journal, error) {
	if err := os.MkdirAll(l.commitDir(), 0o755); err != nil {
		return nil, fmt.Errorf("open the job-commit journal: %w", err)
	}
	f, err := openAppend(l.journal())
	if err != nil {
		return nil, fmt.Errorf("open the job-commit journal: %w", err)
	}
	return &journal{f: f}, nil
}

func (j *journal) add(e journalEntry) error {
	e.Time = time.Now().UnixMilli()
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := j.f.append(append(line, '\n')); err != nil {
		return fmt.Errorf("write the job-commit journal: %w", err)
	}
	return nil
}

func (j *journal) Close() error { return j.f.Close() }
