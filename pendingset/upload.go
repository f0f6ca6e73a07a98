package pendingset

// Pending-upload records in Hadoop's JSON formats.
//
// The shapes follow Hadoop's S3A committer files (hadoop-aws, package
// org.apache.hadoop.fs.s3a.commit.files), as read in apache/hadoop's
// sources at the commits named below. Release numbers are those the
// commits shipped in, as far as the history tells; the commits are the
// evidence.
//
//   - SinglePendingCommit takes its version from
//     PersistentCommitData.VERSION: 1 in the first committer (commit
//     ee91492f, HADOOP-13786, Hadoop 3.1), 2 from HADOOP-17318 (commit
//     1553cf65; Hadoop 3.3.1) through the newest sources: the generic
//     PersistentCommitData<T> of Hadoop 3.4 and of trunk (3.5.0-SNAPSHOT),
//     and SinglePendingCommit at commits 0989784d and ae1e9f46 (trunk).
//   - PendingSet has a VERSION of its own: 1 at ee91492f (fields version,
//     commits, extraData); 2 at 0e88cecd, which added jobId
//     (HADOOP-17318); 3 at e38f6882, which added "iostatistics"
//     (IOStatistics, Hadoop 3.3.1) and is still the PendingSet of trunk.
//   - Both validate() methods accept only the version they write:
//     verify(version == VERSION, "Wrong version: %s"). Hadoop 3.3.1 to 3.4
//     and trunk therefore read pendingset version 3 holding commits of
//     version 2, and nothing else. Hadoop 3.1 to 3.3.0 read only version 1
//     of both and reject what this package writes. Both changes shipped
//     in 3.3.1, as far as the history tells, so no release is known here
//     to accept pendingset version 2, which this package wrote before.
//   - SinglePendingCommit.validate() requires a non-empty bucket,
//     destinationKey and uploadId, length >= 0, a non-empty uri that
//     java.net.URI parses (new Path(new URI(uri)): an unencoded space
//     fails, so keys are percent-encoded in uri, as Hadoop's own
//     Path.toUri() gives them), an etags list (it may be empty), no null
//     or empty ETag, and no null extraData value. PendingSet.validate()
//     validates every commit and refuses a destinationKey that two commits
//     share. Internal package hadoopvalidate ports these rules.
//   - etags is Hadoop's List<String> up to Hadoop 3.4; since the move to
//     the AWS SDK v2 (Hadoop 3.4.0) the strings keep the ETag's quotes.
//     Trunk (commit 0989784d, class Etag, HADOOP-15224; renamed UploadEtag
//     at ae1e9f46) stores a list of objects with the properties "etag",
//     "checksumAlgorithm" and "checksum"; the last two are null unless the
//     part was uploaded with a checksum. Jackson maps neither form onto
//     the other (a JSON object is not a String; UploadEtag has no
//     String-argument creator), so a reader of one form rejects the other.
//     Which 3.4.x release, if any, took the object form is not known here.
//   - Hadoop also writes "filename", "partCount" and "iostatistics" in a
//     commit, and "iostatistics" in a pendingset; the readers here ignore
//     them. PendingSet has no getter for extraData, so Jackson neither
//     writes nor reads a pendingset's "extraData": Hadoop's staging
//     committer keeps the task attempt ID there ("task.attempt.id") only
//     in memory.
//   - Hadoop's mapper ignores unknown properties: every class is read
//     through new JsonSerialization<>(cls, false, ...), whose second
//     argument sets DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES
//     (org.apache.hadoop.util.JsonSerialization). The whole file's
//     checksum this package adds as "checksumAlgorithm" and "checksum"
//     (trunk's SinglePendingCommit defines neither) is thus ignored by
//     Hadoop, as is a pendingset's "extraData".
//
// This package reads every version listed above and writes pendingset
// version 3 with commits of version 2, which Hadoop 3.3.1 to 3.4 and trunk
// accept (Hadoop 3.3.0 and older reject it, as they rejected version 2
// before). No one form of "etags" is read by both Hadoop 3.4 and trunk, so
// a record says which it is written in ([Upload.ETagObjects]): by
// default the list of strings of the Hadoop releases, the parts'
// checksums then going into "s3commitPartChecksums", which Hadoop ignores;
// with ETagObjects, trunk's objects, which carry them.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/s3commit/s3commit/internal/fielderr"
	"github.com/s3commit/s3commit/internal/javadate"
	"github.com/s3commit/s3commit/multipart"
)

const (
	// UploadVersion is the version [NewUpload] gives
	// records: Hadoop's PersistentCommitData.VERSION, the only
	// SinglePendingCommit version Hadoop 3.3.1 to 3.4 and trunk accept.
	// Versions 1 (Hadoop 3.1 to 3.3.0) and 2 are read.
	UploadVersion = 2
	// SetVersion is the version [NewSet] gives pendingsets:
	// Hadoop's PendingSet.VERSION, the only one Hadoop 3.3.1 to 3.4 and
	// trunk accept. Versions 1 (Hadoop 3.1 to 3.3.0), 2 (written by
	// earlier releases of this package) and 3 are read.
	SetVersion = 3
	// TaskAttemptIDKey is the [Set.ExtraData] key under which Hadoop
	// records the task attempt that committed the pendingset.
	TaskAttemptIDKey = "task.attempt.id"
)

// ErrInvalidRecord is the error kind of every pending-upload record that
// cannot be decoded or fails validation; test with [errors.Is]. The error
// itself is a [*RecordError] naming the field at fault.
var ErrInvalidRecord = errors.New("invalid pending-upload record")

// RecordError describes why a pending-upload record or pendingset is
// invalid. It matches [ErrInvalidRecord] with [errors.Is].
type RecordError struct {
	// Record is "pending upload" or "pendingset".
	Record string
	// Commit is the index in [Set.Commits] of the commit at fault,
	// or -1 when the fault is not inside one commit.
	Commit int
	// Key is the destination key of that commit, when known.
	Key string
	// Field is the JSON name of the field at fault (e.g. "uploadId");
	// empty when the record is not valid JSON.
	Field string
	// Reason says what is wrong, e.g. "is empty".
	Reason string
	// Err is the JSON decoding error behind the fault, if any.
	Err error
}

// Error formats the record, the commit, the field and the reason, e.g.
// `invalid pending upload: field "uploadId" is empty`.
func (e *RecordError) Error() string {
	var b strings.Builder
	b.WriteString("invalid ")
	b.WriteString(e.Record)
	b.WriteString(": ")
	if e.Commit >= 0 {
		fmt.Fprintf(&b, "commits[%d]", e.Commit)
		if e.Key != "" {
			fmt.Fprintf(&b, " (destinationKey %q)", e.Key)
		}
		b.WriteString(": ")
	}
	b.WriteString(fielderr.Describe(e.Field, e.Reason, e.Err))
	return b.String()
}

// Unwrap returns [ErrInvalidRecord] and the decoding error, if any.
func (e *RecordError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrInvalidRecord, e.Err}
	}
	return []error{ErrInvalidRecord}
}

const (
	recordUpload = "pending upload"
	recordSet    = "pendingset"
)

func fieldError(record, field, format string, args ...any) *RecordError {
	return &RecordError{Record: record, Commit: -1, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// PartChecksum is the checksum of one part as Hadoop trunk's UploadEtag
// records it next to the part's ETag ("checksumAlgorithm", "checksum"):
// the algorithm as S3 names it (Hadoop writes CRC32, CRC32C, SHA1 or
// SHA256; this package CRC64NVME) and the base64 value. Completing an
// upload that was created with a checksum algorithm requires these
// values.
type PartChecksum = multipart.Checksum

// Upload is one uncompleted multipart upload: the object it will
// become and the ETags of its parts. It is Hadoop's SinglePendingCommit;
// its JSON form (see [Upload.MarshalJSON]) uses Hadoop's field
// names, given below for each field.
//
// Build one with [NewUpload], read one with [DecodeUpload]
// and write one with [Upload.Encode].
type Upload struct {
	// Version is the record's format version ("version"): 1 or 2.
	Version int
	// URI is "s3a://<Bucket>/<Key>" ("uri"), the key percent-encoded
	// where URI syntax requires it (see [Upload.Validate]). It may
	// be empty, which Hadoop does not accept.
	URI string
	// Bucket is the destination bucket ("bucket").
	Bucket string
	// Key is the destination object key ("destinationKey").
	Key string
	// UploadID is the multipart upload ID ("uploadId").
	UploadID string
	// Created is when the upload was created, in milliseconds since the
	// Unix epoch ("created"); see [Upload.CreatedTime].
	Created int64
	// Saved is when the record was saved, in milliseconds since the Unix
	// epoch ("saved"); see [Upload.SavedTime].
	Saved int64
	// Date is Created in human-readable form ("date"), in the format of
	// Java's Date.toString(); nothing parses it.
	Date string
	// JobID is the ID of the job that created the upload, if known ("jobId").
	JobID string
	// TaskID is the ID of the task that created the upload, if known
	// ("taskId").
	TaskID string
	// Text is a free-form note ("text"); Hadoop's partitioned committer
	// stores "partition: <dir>" there.
	Text string
	// ETags are the ETags of the parts in part order, part 1 first
	// ("etags"), without quotes (see [NormalizeETag]).
	ETags []string
	// PartChecksums, when not nil, holds one checksum per part, in the
	// order of ETags; a part without a checksum has a zero one. Completing
	// an upload created with a checksum algorithm needs them. They are
	// written inside "etags" when ETagObjects is set, and otherwise as the
	// list "s3commitPartChecksums" of {"checksumAlgorithm", "checksum"}
	// objects, which Hadoop ignores.
	PartChecksums []PartChecksum
	// ETagObjects writes "etags" as Hadoop trunk's {"etag",
	// "checksumAlgorithm", "checksum"} objects (UploadEtag), which only
	// Hadoop trunk (3.5.0-SNAPSHOT) reads, instead of the list of strings
	// Hadoop 3.3.1 to 3.4 read. Decoding sets it when "etags" held objects,
	// so that a record keeps its form.
	ETagObjects bool
	// Checksum is the full-object checksum of the whole file (type
	// FULL_OBJECT: for CRC64NVME, the CRC of the object's bytes, whatever
	// the parts), when the writer computed one; zero otherwise. It is
	// written as the top-level properties "checksumAlgorithm" and
	// "checksum", which Hadoop's SinglePendingCommit does not define and
	// ignores.
	Checksum multipart.Checksum
	// Length is the size of the object once completed, in bytes ("length").
	Length int64
	// ExtraData holds custom string values ("extraData"); nil when empty.
	ExtraData map[string]string
}

// NewUpload returns the record of an uncompleted upload of bucket and
// key with the given part ETags (in part order; quotes are removed) and
// object length. Version and URI are set (the key percent-encoded in the
// URI, as Hadoop writes it); Created and Saved are set to created, in
// milliseconds, and Date to created in Hadoop's human-readable form, in
// created's location. A zero created means now.
func NewUpload(bucket, key, uploadID string, etags []string, length int64, created time.Time) *Upload {
	if created.IsZero() {
		created = time.Now()
	}
	tags := make([]string, len(etags))
	for i, e := range etags {
		tags[i] = multipart.NormalizeETag(e)
	}
	ms := created.UnixMilli()
	return &Upload{
		Version:  UploadVersion,
		URI:      (&url.URL{Scheme: "s3a", Host: bucket, Path: "/" + key}).String(),
		Bucket:   bucket,
		Key:      key,
		UploadID: uploadID,
		Created:  ms,
		Saved:    ms,
		Date:     javadate.Format(created),
		ETags:    tags,
		Length:   length,
	}
}

// CreatedTime returns Created as a time, in UTC.
func (p *Upload) CreatedTime() time.Time { return time.UnixMilli(p.Created).UTC() }

// SavedTime returns Saved as a time, in UTC.
func (p *Upload) SavedTime() time.Time { return time.UnixMilli(p.Saved).UTC() }

// Parts returns the parts to give [Store.CompleteUpload]: part numbers from
// 1 with the recorded ETags and part checksums, if any. Their Size is
// zero: the record keeps no part sizes.
func (p *Upload) Parts() []multipart.Part {
	parts := make([]multipart.Part, len(p.ETags))
	for i, e := range p.ETags {
		parts[i] = multipart.Part{Number: int32(i + 1), ETag: e}
		if i < len(p.PartChecksums) {
			parts[i].Checksum = p.PartChecksums[i]
		}
	}
	return parts
}

// Validate reports whether the record can be completed: a supported
// version; non-empty bucket, destinationKey and uploadId, in valid UTF-8
// (JSON cannot carry other bytes, so they would name another object once
// written); a length ≥ 0; a
// uri, if any, equal to "s3a://<bucket>/<destinationKey>", plain or with the
// key percent-encoded; at least one ETag, none empty or still quoted; part
// checksums, if any, one per part; and each checksum, the whole file's
// and the parts', with both an algorithm and a value or neither. The
// error is a [*RecordError] naming the field and matches
// [ErrInvalidRecord].
func (p *Upload) Validate() error {
	if err := p.validate(); err != nil {
		return err
	}
	return nil
}

func (p *Upload) validate() *RecordError {
	const r = recordUpload
	switch {
	case p.Version != 1 && p.Version != 2:
		return fieldError(r, "version", "is %d, want 1 or 2", p.Version)
	case p.Bucket == "":
		return fieldError(r, "bucket", "is empty")
	case p.Key == "":
		return fieldError(r, "destinationKey", "is empty")
	case p.UploadID == "":
		return fieldError(r, "uploadId", "is empty")
	case !utf8.ValidString(p.Bucket):
		return fieldError(r, "bucket", "is not valid UTF-8")
	case !utf8.ValidString(p.Key):
		return fieldError(r, "destinationKey", "is not valid UTF-8")
	case !utf8.ValidString(p.UploadID):
		return fieldError(r, "uploadId", "is not valid UTF-8")
	case p.Length < 0:
		return fieldError(r, "length", "is %d, want ≥ 0", p.Length)
	case p.URI != "" && !uriNames(p.URI, p.Bucket, p.Key):
		return fieldError(r, "uri", "is %q, want %q", p.URI, "s3a://"+p.Bucket+"/"+p.Key)
	case len(p.ETags) == 0:
		return fieldError(r, "etags", "is empty, want one ETag per part")
	}
	for i, e := range p.ETags {
		if e == "" {
			return fieldError(r, "etags", "has an empty ETag for part %d", i+1)
		}
		if multipart.NormalizeETag(e) != e || strings.ContainsRune(e, '"') || !utf8.ValidString(e) {
			return fieldError(r, "etags", "has ETag %q for part %d, which is not a valid unquoted ETag", e, i+1)
		}
	}
	if p.PartChecksums != nil {
		if len(p.PartChecksums) != len(p.ETags) {
			return fieldError(r, "etags", "has %d part checksums for %d parts", len(p.PartChecksums), len(p.ETags))
		}
		for i, c := range p.PartChecksums {
			if (c.Algorithm == "") != (c.Value == "") {
				return fieldError(r, "etags", "has checksumAlgorithm %q with checksum %q for part %d, want both or neither", c.Algorithm, c.Value, i+1)
			}
			if !utf8.ValidString(string(c.Algorithm)) || !utf8.ValidString(c.Value) {
				return fieldError(r, "etags", "has a checksum for part %d that is not valid UTF-8", i+1)
			}
		}
	}
	switch c := p.Checksum; {
	case c.Algorithm == "" && c.Value != "":
		return fieldError(r, "checksumAlgorithm", "is empty while checksum is %q, want both or neither", c.Value)
	case c.Algorithm != "" && c.Value == "":
		return fieldError(r, "checksum", "is empty while checksumAlgorithm is %q, want both or neither", c.Algorithm)
	case !utf8.ValidString(string(c.Algorithm)):
		return fieldError(r, "checksumAlgorithm", "is not valid UTF-8")
	case !utf8.ValidString(c.Value):
		return fieldError(r, "checksum", "is not valid UTF-8")
	}
	return nil
}

// uriNames reports whether uri names the object key in bucket, either
// plainly ("s3a://" + bucket + "/" + key) or with the key percent-encoded.
func uriNames(uri, bucket, key string) bool {
	if uri == "s3a://"+bucket+"/"+key {
		return true
	}
	u, err := url.Parse(uri)
	if err != nil {
		return false
	}
	return u.Scheme == "s3a" && u.User == nil && u.Host == bucket && u.Path == "/"+key &&
		!u.ForceQuery && u.RawQuery == "" && u.Fragment == ""
}

// Encode validates the record and writes it to w as indented JSON in
// Hadoop's SinglePendingCommit format, followed by a newline. An invalid
// record is not written.
func (p *Upload) Encode(w io.Writer) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return encodeIndented(w, p)
}

// DecodeUpload reads one JSON pending-upload record (Hadoop's
// SinglePendingCommit, as in a .pending file) from r, which must hold
// nothing else but white space, and validates it. Unknown fields are
// ignored; ETags are normalized (see [NormalizeETag]). A record that is not
// valid JSON or fails [Upload.Validate] gives a [*RecordError]
// matching [ErrInvalidRecord]; a failure to read r is returned wrapped,
// without [ErrInvalidRecord].
func DecodeUpload(r io.Reader) (*Upload, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("multipart: read pending upload: %w", err)
	}
	var p Upload
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, decodeError(recordUpload, -1, err)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// Set is the list of pending uploads of one committed task: Hadoop's
// PendingSet, as in a .pendingset file. Its JSON form (see
// [Set.MarshalJSON]) uses Hadoop's field names, given below.
type Set struct {
	// Version is the record's format version ("version"): 1, 2 or 3, or
	// [SetVersionDeferred] when Deferred is not empty.
	Version int
	// JobID is the ID of the job, if known ("jobId").
	JobID string
	// Commits are the task's pending uploads ("commits"); nil when the task
	// wrote nothing.
	Commits []Upload
	// Deferred are the task's files that the job commit writes with a
	// PutObject each ("s3commitDeferred", which Hadoop does not know); nil
	// when none. A pendingset with deferred files must be of version
	// [SetVersionDeferred].
	Deferred []DeferredPut
	// ExtraData holds custom string values ("extraData"), such as the task
	// attempt under [TaskAttemptIDKey]; nil when empty.
	ExtraData map[string]string
}

// NewSet returns a pendingset of the current version holding commits.
func NewSet(jobID string, commits []Upload) *Set {
	return &Set{Version: SetVersion, JobID: jobID, Commits: commits}
}

// Validate reports whether the pendingset can be committed: a supported
// version, every commit valid (see [Upload.Validate]), no
// destination key twice, and every commit's jobId, where both are set,
// equal to the pendingset's. The error is a [*RecordError] naming the
// commit and the field and matches [ErrInvalidRecord].
func (s *Set) Validate() error {
	switch {
	case s.Version < 1 || s.Version > SetVersionDeferred:
		return fieldError(recordSet, "version", "is %d, want 1, 2 or 3 (%d with deferred files)", s.Version, SetVersionDeferred)
	case len(s.Deferred) == 0 && s.Version == SetVersionDeferred:
		return fieldError(recordSet, "version", "is %d, want 1, 2 or 3 for a pendingset without deferred files", s.Version)
	case len(s.Deferred) > 0 && s.Version != SetVersionDeferred:
		return fieldError(recordSet, "version", "is %d, want %d for a pendingset with deferred files (so that Hadoop and older readers refuse it)",
			s.Version, SetVersionDeferred)
	}
	seen := make(map[string]int, len(s.Commits))
	for i := range s.Commits {
		c := &s.Commits[i]
		err := c.validate()
		switch first, dup := seen[c.Key]; {
		case err != nil:
		case dup:
			err = fieldError(recordSet, "destinationKey", "is also the key of commits[%d]", first)
		case s.JobID != "" && c.JobID != "" && c.JobID != s.JobID:
			err = fieldError(recordSet, "jobId", "is %q, want the pendingset's jobId %q", c.JobID, s.JobID)
		}
		if err != nil {
			err.Record, err.Commit, err.Key = recordSet, i, c.Key
			return err
		}
		seen[c.Key] = i
	}
	deferred := make(map[string]int, len(s.Deferred))
	for i := range s.Deferred {
		d := &s.Deferred[i]
		err := d.validate()
		first, dup := deferred[d.Key]
		commit, isCommit := seen[d.Key]
		switch {
		case err != nil:
		case dup:
			err = fieldError(recordSet, "destinationKey", "is also the key of s3commitDeferred[%d]", first)
		case isCommit:
			err = fieldError(recordSet, "destinationKey", "is also the key of commits[%d]", commit)
		case s.JobID != "" && d.JobID != "" && d.JobID != s.JobID:
			err = fieldError(recordSet, "jobId", "is %q, want the pendingset's jobId %q", d.JobID, s.JobID)
		}
		if err != nil {
			err.Record, err.Key = recordSet, d.Key
			err.Field = fmt.Sprintf("s3commitDeferred[%d].%s", i, err.Field)
			return err
		}
		deferred[d.Key] = i
	}
	return nil
}

// Encode validates the pendingset and writes it to w as indented JSON in
// Hadoop's PendingSet format, followed by a newline. An invalid pendingset
// is not written.
func (s *Set) Encode(w io.Writer) error {
	if err := s.Validate(); err != nil {
		return err
	}
	return encodeIndented(w, s)
}

// DecodeSet reads one JSON pendingset (Hadoop's PendingSet, as in a
// .pendingset file) from r, which must hold nothing else but white space,
// and validates it. Unknown fields, such as Hadoop's "iostatistics", are
// ignored; ETags are normalized (see [NormalizeETag]). A pendingset that is
// not valid JSON or fails [Set.Validate] gives a [*RecordError]
// matching [ErrInvalidRecord]; a failure to read r is returned wrapped,
// without [ErrInvalidRecord].
func DecodeSet(r io.Reader) (*Set, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("multipart: read pendingset: %w", err)
	}
	var s Set
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, decodeError(recordSet, -1, err)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// decodeError turns an error of json.Unmarshal into a *RecordError of
// record. commit is the index of the commit being decoded, or -1.
func decodeError(record string, commit int, err error) *RecordError {
	var re *RecordError
	if errors.As(err, &re) {
		c := *re
		c.Record = record
		if commit >= 0 {
			c.Commit = commit
		}
		return &c
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &RecordError{Record: record, Commit: commit, Field: te.Field, Reason: typeReason(te)}
	}
	return &RecordError{Record: record, Commit: commit, Reason: "malformed JSON", Err: err}
}

// typeReason describes a JSON value of the wrong type without naming Go types.
func typeReason(te *json.UnmarshalTypeError) string {
	want := "a value of another type"
	if te.Type != nil {
		switch te.Type.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			want = "an integer"
		case reflect.String:
			want = "a string"
		case reflect.Struct, reflect.Map:
			want = "an object"
		case reflect.Slice, reflect.Array:
			want = "a list"
		}
	}
	return fmt.Sprintf("is a JSON %s, want %s", te.Value, want)
}

func encodeIndented(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// marshalPlain encodes v without HTML escaping and without the newline
// json.Encoder appends.
func marshalPlain(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// pendingUploadJSON is the wire form of Upload, in the field order
// of Hadoop's SinglePendingCommit.
type pendingUploadJSON struct {
	Version   int               `json:"version"`
	URI       string            `json:"uri"`
	UploadID  string            `json:"uploadId"`
	Bucket    string            `json:"bucket"`
	Key       string            `json:"destinationKey"`
	Created   int64             `json:"created"`
	Saved     int64             `json:"saved"`
	Date      string            `json:"date"`
	JobID     string            `json:"jobId"`
	TaskID    string            `json:"taskId"`
	Text      string            `json:"text"`
	ETags     etagList          `json:"etags"`
	ExtraData map[string]string `json:"extraData"`
	Length    int64             `json:"length"`
	// The whole file's checksum, unknown to Hadoop: omitted when zero, so
	// that a record without one keeps Hadoop's exact set of properties.
	ChecksumAlgorithm multipart.ChecksumAlgorithm `json:"checksumAlgorithm,omitempty"`
	Checksum          string                      `json:"checksum,omitempty"`
	// The parts' checksums when "etags" is a list of strings, unknown to
	// Hadoop.
	PartChecksums []partChecksumJSON `json:"s3commitPartChecksums,omitempty"`
}

// partChecksumJSON is one element of "s3commitPartChecksums".
type partChecksumJSON struct {
	ChecksumAlgorithm multipart.ChecksumAlgorithm `json:"checksumAlgorithm,omitempty"`
	Checksum          string                      `json:"checksum,omitempty"`
}

// MarshalJSON encodes the record in Hadoop's SinglePendingCommit format,
// without validating it. "etags" is a list of strings, or a list of
// {"etag", "checksumAlgorithm", "checksum"} objects when PartChecksums is
// set; the whole file's Checksum, if any, follows "length" as
// "checksumAlgorithm" and "checksum".
func (p Upload) MarshalJSON() ([]byte, error) {
	extra := p.ExtraData
	if extra == nil {
		extra = map[string]string{}
	}
	w := pendingUploadJSON{
		Version: p.Version, URI: p.URI, UploadID: p.UploadID, Bucket: p.Bucket, Key: p.Key,
		Created: p.Created, Saved: p.Saved, Date: p.Date, JobID: p.JobID, TaskID: p.TaskID,
		Text: p.Text, ETags: etagList{etags: p.ETags},
		ExtraData: extra, Length: p.Length,
		ChecksumAlgorithm: p.Checksum.Algorithm, Checksum: p.Checksum.Value,
	}
	switch {
	case p.ETagObjects:
		w.ETags.checksums = p.PartChecksums
		if w.ETags.checksums == nil {
			w.ETags.checksums = make([]PartChecksum, len(p.ETags))
		}
	case p.PartChecksums != nil:
		w.PartChecksums = make([]partChecksumJSON, len(p.PartChecksums))
		for i, c := range p.PartChecksums {
			w.PartChecksums[i] = partChecksumJSON{ChecksumAlgorithm: c.Algorithm, Checksum: c.Value}
		}
	}
	return marshalPlain(w)
}

// UnmarshalJSON decodes a record in Hadoop's SinglePendingCommit format,
// with "etags" as strings or as objects, and the whole file's checksum if
// any, without validating it. Unknown fields are ignored, ETags are
// normalized and an empty extraData becomes nil. A JSON null leaves the
// record unchanged.
func (p *Upload) UnmarshalJSON(data []byte) error {
	if string(bytes.TrimSpace(data)) == "null" {
		return nil
	}
	var w pendingUploadJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	if len(w.ExtraData) == 0 {
		w.ExtraData = nil
	}
	*p = Upload{
		Version: w.Version, URI: w.URI, Bucket: w.Bucket, Key: w.Key, UploadID: w.UploadID,
		Created: w.Created, Saved: w.Saved, Date: w.Date, JobID: w.JobID, TaskID: w.TaskID,
		Text: w.Text, ETags: w.ETags.etags, PartChecksums: w.ETags.checksums,
		ETagObjects: w.ETags.checksums != nil,
		Length:      w.Length, ExtraData: w.ExtraData,
		Checksum: multipart.Checksum{Algorithm: w.ChecksumAlgorithm, Value: w.Checksum},
	}
	if !p.ETagObjects && w.PartChecksums != nil {
		p.PartChecksums = make([]PartChecksum, len(w.PartChecksums))
		for i, c := range w.PartChecksums {
			p.PartChecksums[i] = PartChecksum{Algorithm: c.ChecksumAlgorithm, Value: c.Checksum}
		}
	}
	return nil
}

// pendingSetJSON is the wire form of Set, in the field order of
// Hadoop's PendingSet. Commits stay raw so that errors can name the commit.
type pendingSetJSON struct {
	Version   int               `json:"version"`
	JobID     string            `json:"jobId"`
	Commits   []json.RawMessage `json:"commits"`
	ExtraData map[string]string `json:"extraData"`
	Deferred  []json.RawMessage `json:"s3commitDeferred,omitempty"`
}

// MarshalJSON encodes the pendingset in Hadoop's PendingSet format, without
// validating it.
func (s Set) MarshalJSON() ([]byte, error) {
	commits := make([]json.RawMessage, len(s.Commits))
	for i := range s.Commits {
		b, err := s.Commits[i].MarshalJSON()
		if err != nil {
			return nil, err
		}
		commits[i] = b
	}
	extra := s.ExtraData
	if extra == nil {
		extra = map[string]string{}
	}
	var deferred []json.RawMessage
	for i := range s.Deferred {
		b, err := s.Deferred[i].MarshalJSON()
		if err != nil {
			return nil, err
		}
		deferred = append(deferred, b)
	}
	return marshalPlain(pendingSetJSON{Version: s.Version, JobID: s.JobID, Commits: commits, ExtraData: extra, Deferred: deferred})
}

// UnmarshalJSON decodes a pendingset in Hadoop's PendingSet format without
// validating it; see [Upload.UnmarshalJSON] for the commits. An
// empty commits list and an empty extraData become nil. A JSON null leaves
// the pendingset unchanged.
func (s *Set) UnmarshalJSON(data []byte) error {
	if string(bytes.TrimSpace(data)) == "null" {
		return nil
	}
	var w pendingSetJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	var commits []Upload
	if len(w.Commits) > 0 {
		commits = make([]Upload, len(w.Commits))
	}
	for i, raw := range w.Commits {
		if err := json.Unmarshal(raw, &commits[i]); err != nil {
			return decodeError(recordSet, i, err)
		}
	}
	var deferred []DeferredPut
	if len(w.Deferred) > 0 {
		deferred = make([]DeferredPut, len(w.Deferred))
	}
	for i, raw := range w.Deferred {
		if err := json.Unmarshal(raw, &deferred[i]); err != nil {
			re := decodeError(recordSet, -1, err)
			re.Field = fmt.Sprintf("s3commitDeferred[%d].%s", i, re.Field)
			return re
		}
	}
	if len(w.ExtraData) == 0 {
		w.ExtraData = nil
	}
	*s = Set{Version: w.Version, JobID: w.JobID, Commits: commits, ExtraData: w.ExtraData, Deferred: deferred}
	return nil
}

// etagList is the "etags" field: a list of ETag strings, or a list of
// {"etag", "checksumAlgorithm", "checksum"} objects.
type etagList struct {
	etags     []string
	checksums []PartChecksum // nil for the list of strings
}

// etagJSON is one element of "etags" in its object form. A part without a
// checksum omits the two checksum properties, which Hadoop reads as null.
type etagJSON struct {
	ETag              string                      `json:"etag"`
	ChecksumAlgorithm multipart.ChecksumAlgorithm `json:"checksumAlgorithm,omitempty"`
	Checksum          string                      `json:"checksum,omitempty"`
}

func (l etagList) MarshalJSON() ([]byte, error) {
	if l.checksums == nil {
		if l.etags == nil {
			return []byte("[]"), nil
		}
		return marshalPlain(l.etags)
	}
	objs := make([]etagJSON, len(l.etags))
	for i, e := range l.etags {
		objs[i].ETag = e
		if i < len(l.checksums) {
			objs[i].ChecksumAlgorithm = l.checksums[i].Algorithm
			objs[i].Checksum = l.checksums[i].Value
		}
	}
	return marshalPlain(objs)
}

func (l *etagList) UnmarshalJSON(data []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		e := decodeError("", -1, err)
		e.Field = "etags"
		return e
	}
	var etags []string
	var sums []PartChecksum
	if len(raw) > 0 {
		etags = make([]string, len(raw))
		sums = make([]PartChecksum, len(raw))
	}
	objects := false
	for i, elem := range raw {
		elem = bytes.TrimSpace(elem)
		var err error
		switch {
		case len(elem) > 0 && elem[0] == '"':
			err = json.Unmarshal(elem, &etags[i])
		case len(elem) > 0 && elem[0] == '{':
			var o etagJSON
			err = json.Unmarshal(elem, &o)
			etags[i] = o.ETag
			sums[i] = PartChecksum{Algorithm: o.ChecksumAlgorithm, Value: o.Checksum}
			objects = true
		case string(elem) == "null":
		default:
			return fieldError("", "etags", "has a JSON %s for part %d, want a string or an object", jsonKind(elem), i+1)
		}
		if err != nil {
			e := decodeError("", -1, err)
			return fieldError("", "etags", "has an invalid object for part %d: field %q %s", i+1, e.Field, e.Reason)
		}
		etags[i] = multipart.NormalizeETag(etags[i])
	}
	if !objects {
		sums = nil
	}
	*l = etagList{etags: etags, checksums: sums}
	return nil
}

// jsonKind names the kind of a JSON value from its first byte.
func jsonKind(v []byte) string {
	switch {
	case len(v) == 0:
		return "nothing"
	case v[0] == '[':
		return "list"
	case v[0] == 't' || v[0] == 'f':
		return "bool"
	default:
		return "number"
	}
}
