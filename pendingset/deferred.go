package pendingset

import (
	"encoding/json"
	"github.com/s3commit/s3commit/multipart"
	"path"
	"strings"
	"unicode/utf8"
)

// SetVersionDeferred is the version of a pendingset that lists
// deferred files ([Set.Deferred]). Hadoop accepts version 3 only,
// and readers of this package before deferred files versions 1 to 3, so
// both refuse such a pendingset instead of committing the job without the
// files it defers. A pendingset without deferred files keeps
// [SetVersion].
const SetVersionDeferred = 4

// recordDeferred names a deferred file in errors.
const recordDeferred = "deferred file"

// DeferredPut is a file that a task commit did not upload: the job commit
// writes it with one PutObject, reading it from the buffer dir the driver
// shares with the tasks. It is this package's own record, kept apart from
// the uploads of a pendingset (JSON "s3commitDeferred") so that nothing
// takes it for a multipart upload.
type DeferredPut struct {
	// Bucket and Key name the object the file becomes ("bucket",
	// "destinationKey").
	Bucket string `json:"bucket"`
	Key    string `json:"destinationKey"`
	// Path is the file, slash-separated and relative to the job's
	// directory in the buffer dir: "<taskID>_<attempt>/<file>" ("path").
	Path string `json:"path"`
	// Length is the file's size in bytes ("length").
	Length int64 `json:"length"`
	// Checksum is the checksum of the file's bytes, which the job commit
	// checks before it writes anything and sends with the PutObject
	// ("checksumAlgorithm", "checksum").
	Checksum multipart.Checksum `json:"-"`
	// JobID and TaskID are the job and task that wrote the file ("jobId",
	// "taskId").
	JobID  string `json:"jobId,omitempty"`
	TaskID string `json:"taskId,omitempty"`
}

// deferredPutJSON is the wire form of DeferredPut.
type deferredPutJSON struct {
	Bucket            string                      `json:"bucket"`
	Key               string                      `json:"destinationKey"`
	Path              string                      `json:"path"`
	Length            int64                       `json:"length"`
	ChecksumAlgorithm multipart.ChecksumAlgorithm `json:"checksumAlgorithm"`
	Checksum          string                      `json:"checksum"`
	JobID             string                      `json:"jobId,omitempty"`
	TaskID            string                      `json:"taskId,omitempty"`
}

// MarshalJSON encodes the record without validating it.
func (d DeferredPut) MarshalJSON() ([]byte, error) {
	return marshalPlain(deferredPutJSON{Bucket: d.Bucket, Key: d.Key, Path: d.Path, Length: d.Length,
		ChecksumAlgorithm: d.Checksum.Algorithm, Checksum: d.Checksum.Value, JobID: d.JobID, TaskID: d.TaskID})
}

// UnmarshalJSON decodes the record without validating it.
func (d *DeferredPut) UnmarshalJSON(data []byte) error {
	var w deferredPutJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*d = DeferredPut{Bucket: w.Bucket, Key: w.Key, Path: w.Path, Length: w.Length,
		Checksum: multipart.Checksum{Algorithm: w.ChecksumAlgorithm, Value: w.Checksum}, JobID: w.JobID, TaskID: w.TaskID}
	return nil
}

// Validate reports whether the record names an object and a file: bucket,
// key and path set and valid UTF-8, the path a clean relative one, a
// length ≥ 0 and a checksum of an algorithm this package computes. The
// error is a [*RecordError] matching [ErrInvalidRecord].
func (d *DeferredPut) Validate() error {
	if err := d.validate(); err != nil {
		return err
	}
	return nil
}

func (d *DeferredPut) validate() *RecordError {
	const r = recordDeferred
	switch {
	case d.Bucket == "":
		return fieldError(r, "bucket", "is empty")
	case d.Key == "":
		return fieldError(r, "destinationKey", "is empty")
	case d.Path == "":
		return fieldError(r, "path", "is empty")
	case !utf8.ValidString(d.Bucket):
		return fieldError(r, "bucket", "is not valid UTF-8")
	case !utf8.ValidString(d.Key):
		return fieldError(r, "destinationKey", "is not valid UTF-8")
	case !utf8.ValidString(d.Path) || strings.ContainsRune(d.Path, 0) || strings.Contains(d.Path, `\`):
		return fieldError(r, "path", "is not a valid slash-separated path")
	case path.IsAbs(d.Path) || path.Clean(d.Path) != d.Path || d.Path == ".." || strings.HasPrefix(d.Path, "../"):
		return fieldError(r, "path", "is %q, want a clean path relative to the job's buffer directory", d.Path)
	case d.Length < 0:
		return fieldError(r, "length", "is %d, want ≥ 0", d.Length)
	case d.Checksum.Value == "" || !utf8.ValidString(d.Checksum.Value):
		return fieldError(r, "checksum", "is empty or not valid UTF-8, want the file's checksum")
	}
	if _, err := d.Checksum.Algorithm.NewHash(); err != nil {
		return fieldError(r, "checksumAlgorithm", "%v", err)
	}
	return nil
}
