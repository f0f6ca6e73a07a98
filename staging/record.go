package staging

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/s3commit/s3commit/committer"
)

// jobRecordVersion is the version of the job record this package writes
// and reads.
const jobRecordVersion = 1

// jobRecord is job.json: the settings every process of the job uses.
type jobRecord struct {
	Version         int                    `json:"version"`
	JobID           string                 `json:"jobId"`
	Bucket          string                 `json:"bucket"`
	Destination     string                 `json:"destination"`
	Mode            committer.Mode         `json:"mode"`
	Conflict        committer.ConflictMode `json:"conflictMode"`
	UniqueFilenames bool                   `json:"uniqueFilenames"`
	PartSize        int64                  `json:"partSize"`
	Created         int64                  `json:"created"` // ms since the epoch
	Date            string                 `json:"date"`
}

func (r *jobRecord) createdTime() time.Time { return time.UnixMilli(r.Created) }

func (r *jobRecord) validate() error {
	if r.Version != jobRecordVersion {
		return fmt.Errorf("version is %d, want %d (written by another release of s3commit?)", r.Version, jobRecordVersion)
	}
	if err := committer.ValidateID("job ID", r.JobID); err != nil {
		return err
	}
	if r.Bucket == "" {
		return errors.New("bucket is empty")
	}
	if err := validateDestination(r.Destination); err != nil {
		return err
	}
	if _, err := committer.ParseMode(string(r.Mode)); err != nil {
		return err
	}
	if _, err := committer.ParseConflictMode(string(r.Conflict)); err != nil {
		return err
	}
	return nil
}

func writeJobRecord(path string, r *jobRecord) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(data, '\n'))
}

// readJobRecord reads job.json; a missing file is fs.ErrNotExist.
func readJobRecord(path string) (*jobRecord, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r jobRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("job record %s is not valid JSON: %w", path, err)
	}
	if err := r.validate(); err != nil {
		return nil, fmt.Errorf("job record %s: %w", path, err)
	}
	return &r, nil
}

// readLines reads a file of JSON records, one per line, into values made
// by decode. A last line without its newline is a record torn by a crash
// and is ignored; any other bad line is an error. A missing file yields no
// records and fs.ErrNotExist.
func readLines(path string, decode func(line []byte) error) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	lines := bytes.Split(data, []byte("\n"))
	for n, line := range lines {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if err := decode(line); err != nil {
			if n == len(lines)-1 {
				return nil // the last record, torn by a crash: it never took effect
			}
			return fmt.Errorf("%s line %d: %w", path, n+1, err)
		}
	}
	return nil
}

// isNotExist reports whether err says a file does not exist.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
