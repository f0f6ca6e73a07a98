package staging

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
)

// The records of the staging dir are read back as untrusted input: another
// process, a damaged disk or a person may have written them. Each kind has
// a size limit, so that a huge or hostile file costs a clear error instead
// of the driver's memory. The limits leave room for jobs of millions of
// files.
const (
	maxJobRecordBytes  = 1 << 20   // job.json
	maxPendingSetBytes = 256 << 20 // one task's pendingset
	maxIntentsBytes    = 128 << 20 // one attempt's intents
	maxJournalBytes    = 1 << 30   // the job-commit journal
	maxRecordLineBytes = 1 << 20   // one line of an intents file or of the journal
)

// ErrRecordTooLarge is matched by the error about a record of the staging
// dir that is larger than s3commit ever writes one: it is damaged, or not
// s3commit's.
var ErrRecordTooLarge = errors.New("staging: record too large")

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
	// Setup is random, unique to the SetupJob that wrote the record: in
	// the store home, the record's bytes are its writer's identity (see
	// storerecords.Records.CreateExclusive).
	Setup string `json:"setup,omitempty"`
}

func (r *jobRecord) createdTime() time.Time { return time.UnixMilli(r.Created) }

// prefix is the destination prefix with its trailing '/'.
func (r *jobRecord) prefix() string { return r.Destination + "/" }

func (r *jobRecord) validate() error {
	if r.Version != jobRecordVersion {
		return fmt.Errorf("version is %d, want %d (written by another release of s3commit?)", r.Version, jobRecordVersion)
	}
	if err := committer.ValidateID("job ID", r.JobID); err != nil {
		return err
	}
	if err := multipart.ValidateBucketName(r.Bucket); err != nil {
		return err
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

// encodeJobRecord returns the bytes of job.json for r.
func encodeJobRecord(r *jobRecord) ([]byte, error) {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// readJobRecord reads job.json; a missing file is fs.ErrNotExist.
func readJobRecord(fsys fsys, path string) (*jobRecord, error) {
	data, err := readFileFS(fsys, path, maxJobRecordBytes)
	if err != nil {
		return nil, err
	}
	return decodeJobRecord(data, fsys.Path(path))
}

// decodeJobRecord parses and validates a job record read from where.
func decodeJobRecord(data []byte, where string) (*jobRecord, error) {
	var r jobRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("job record %s is not valid JSON: %w", where, err)
	}
	if err := r.validate(); err != nil {
		return nil, fmt.Errorf("job record %s: %w", where, err)
	}
	return &r, nil
}

// openRecord opens a record file for reading and checks that it is a
// regular file of at most limit bytes.
func openRecord(fsys fsys, path string, limit int64) (file, error) {
	f, err := fsys.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if fi.Size() > limit {
		f.Close()
		return nil, tooLarge(fsys.Path(path), fi.Size(), limit)
	}
	return f, nil
}

func tooLarge(path string, size, limit int64) error {
	return fmt.Errorf("%w: %s is %d bytes, more than the %d bytes s3commit ever writes in such a record; it is damaged or not s3commit's: move it out of the staging dir",
		ErrRecordTooLarge, path, size, limit)
}

// line is one complete line of a record file, without its '\n'.
type line struct {
	n    int // 1-based line number
	data []byte
}

// readLines reads a file of records, one per line, of at most limit bytes.
// A last line without its '\n' is a record torn by a crash: it never took
// effect (its writer had not fsynced it) and is left out. A line longer
// than maxRecordLineBytes is damage, reported in problems and left out.
// err is an error reading the file (fs.ErrNotExist for a missing one,
// ErrRecordTooLarge for one over the limit).
func readLines(fsys fsys, path string, limit int64) (lines []line, problems []error, err error) {
	f, err := openRecord(fsys, path, limit)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(io.LimitReader(f, limit+1), 64<<10)
	var (
		buf  []byte
		n    int
		long bool
		read int64
	)
	for {
		chunk, err := r.ReadSlice('\n')
		read += int64(len(chunk))
		if read > limit {
			return nil, nil, tooLarge(fsys.Path(path), read, limit)
		}
		if !long {
			if len(buf)+len(chunk) > maxRecordLineBytes {
				long, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			return lines, problems, nil // a last line without '\n' is torn
		case err != nil:
			return nil, nil, fmt.Errorf("read %s: %w", fsys.Path(path), err)
		}
		n++
		if long {
			problems = append(problems, fmt.Errorf("%s line %d is longer than %d bytes: damaged", fsys.Path(path), n, maxRecordLineBytes))
		} else if l := bytes.TrimSpace(buf); len(l) > 0 {
			lines = append(lines, line{n: n, data: bytes.Clone(l)})
		}
		buf, long = buf[:0], false
	}
}

// isNotExist reports whether err says a file does not exist.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
