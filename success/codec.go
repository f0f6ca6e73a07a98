package success

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/s3commit/s3commit/multipart"
)

var (
	// ErrInvalidManifest matches every error about the content of a
	// manifest: JSON that does not decode, or a field that fails
	// [Data.Validate]. The error is a [*ManifestError] naming the field.
	ErrInvalidManifest = errors.New("invalid _SUCCESS manifest")
	// ErrClassicMarker matches the error [Decode] and [Read] return for an
	// empty _SUCCESS: the marker of Hadoop's classic rename committer
	// (FileOutputCommitter), which carries no manifest. It does not match
	// [ErrInvalidManifest]: the file is what that committer writes.
	ErrClassicMarker = errors.New("empty _SUCCESS marker of a classic rename committer (FileOutputCommitter): it carries no manifest")
)

// maxManifestSize bounds what [Decode] reads: far more than a manifest with
// [MaxInlineFiles] files or a sidecar with millions of files needs.
const maxManifestSize = 1 << 30

// ManifestError says why a manifest is invalid. It matches
// [ErrInvalidManifest] with [errors.Is].
type ManifestError struct {
	// Field is the JSON name of the field at fault, e.g. "jobId" or
	// "s3commitFiles[3].etag"; empty when the manifest is not valid JSON.
	Field string
	// Reason says what is wrong, e.g. "is empty".
	Reason string
	// Err is the JSON decoding error behind the fault, if any.
	Err error
}

// Error formats the field and the reason, e.g.
// `invalid _SUCCESS manifest: field "jobId" is empty`.
func (e *ManifestError) Error() string {
	var b strings.Builder
	b.WriteString(ErrInvalidManifest.Error())
	b.WriteString(": ")
	if e.Field != "" {
		fmt.Fprintf(&b, "field %q ", e.Field)
	}
	b.WriteString(e.Reason)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns [ErrInvalidManifest] and the decoding error, if any.
func (e *ManifestError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrInvalidManifest, e.Err}
	}
	return []error{ErrInvalidManifest}
}

func fieldError(field, format string, args ...any) *ManifestError {
	return &ManifestError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// UnmarshalJSON decodes Hadoop's JSON form; a missing "success" reads as
// true, as Hadoop's S3A committers do not write it.
func (d *Data) UnmarshalJSON(b []byte) error {
	type plain Data
	p := plain{Success: true}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*d = Data(p)
	return nil
}

// normalize gives every map and the filenames a non-nil empty value (see
// normalizeMaps), an empty file list the value nil, and ETags their
// unquoted form.
func (d *Data) normalize() {
	d.normalizeMaps()
	if len(d.Files) == 0 {
		d.Files = nil
	}
	for i := range d.Files {
		d.Files[i].ETag = multipart.NormalizeETag(d.Files[i].ETag)
	}
}

// normalizeMaps gives every nil map and nil Filenames an empty value, so
// that the JSON form has {} and [] where Hadoop writes them.
func (d *Data) normalizeMaps() {
	if d.Metrics == nil {
		d.Metrics = map[string]int64{}
	}
	if d.Diagnostics == nil {
		d.Diagnostics = map[string]string{}
	}
	if d.Filenames == nil {
		d.Filenames = []string{}
	}
	s := &d.IOStatistics
	for _, m := range []*map[string]int64{&s.Counters, &s.Gauges, &s.Minimums, &s.Maximums} {
		if *m == nil {
			*m = map[string]int64{}
		}
	}
	if s.MeanStatistics == nil {
		s.MeanStatistics = map[string]MeanStatistic{}
	}
}

// Decode reads one JSON manifest from r, which must hold nothing else but
// white space, and validates it ([Data.Validate]). Unknown fields are
// ignored; a missing "success" reads as true; maps and Filenames are never
// nil; ETags lose their quotes.
//
// An empty or all-white-space input gives an error matching
// [ErrClassicMarker]. Content that is not a valid manifest gives a
// [*ManifestError] matching [ErrInvalidManifest]; a failure to read r is
// returned wrapped, matching neither.
func Decode(r io.Reader) (*Data, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxManifestSize+1))
	if err != nil {
		return nil, fmt.Errorf("success: read manifest: %w", err)
	}
	if len(data) > maxManifestSize {
		return nil, &ManifestError{Reason: fmt.Sprintf("is larger than %d bytes", maxManifestSize)}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("success: the _SUCCESS file is empty (%d bytes): %w", len(data), ErrClassicMarker)
	}
	var d Data
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, decodeError(err)
	}
	d.normalize()
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return &d, nil
}

func decodeError(err error) *ManifestError {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		// The message names the JSON types, not the Go ones.
		if typeErr.Field == "" {
			return &ManifestError{Reason: fmt.Sprintf("is not a JSON object but a JSON %s", typeErr.Value)}
		}
		return &ManifestError{Field: typeErr.Field, Reason: fmt.Sprintf("has the wrong type: a JSON %s where %s is expected", typeErr.Value, typeErr.Type)}
	}
	return &ManifestError{Reason: "is not valid JSON", Err: err}
}

// Encode validates the manifest and writes it to w as indented JSON,
// followed by a newline. Nil maps and Filenames are written as {} and [],
// as Hadoop writes them. An invalid manifest is not written.
func (d *Data) Encode(w io.Writer) error {
	if err := d.Validate(); err != nil {
		return err
	}
	c := *d
	c.normalizeMaps()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // as Hadoop writes: keys with '&' or '<' stay readable
	if err := enc.Encode(&c); err != nil {
		return fmt.Errorf("success: encode manifest: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("success: write manifest: %w", err)
	}
	return nil
}

// terminal states a job that failed can end in, and the states of one
// that succeeded (compared without case).
var (
	failedStates    = []string{"aborted", "failed", "failure", "error"}
	succeededStates = []string{"committed", "succeeded", "success", "successful"}
)

func hasFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// Validate reports whether the manifest is well formed: name is [Name] or
// [ManifestName]; jobId is not empty; timestamp ≥ 0; state, when set, does
// not contradict success (an "aborted" or "failed" state with success
// true, a "committed" state with success false); every metric ≥ 0; every
// mean statistic with samples ≥ 0; every file with a non-empty key, a size
// ≥ 0 and a non-empty unquoted ETag, and no key twice; a sidecar name, if
// any, that starts with '_' and has no '/'. The error is a
// [*ManifestError] naming the field and matches [ErrInvalidManifest].
func (d *Data) Validate() error {
	switch {
	case d.Name == "":
		return fieldError("name", "is missing: this is not a _SUCCESS manifest (want %q)", Name)
	case d.Name != Name && d.Name != ManifestName:
		return fieldError("name", "is %q, want %q: not a _SUCCESS manifest of a known format", d.Name, Name)
	case d.JobID == "":
		return fieldError("jobId", "is empty")
	case d.Timestamp < 0:
		return fieldError("timestamp", "is %d, want ≥ 0", d.Timestamp)
	case d.Success && hasFold(failedStates, d.State):
		return fieldError("state", "is %q but success is true", d.State)
	case !d.Success && hasFold(succeededStates, d.State):
		return fieldError("state", "is %q but success is false", d.State)
	}
	for _, k := range sortedKeys(d.Metrics) {
		if v := d.Metrics[k]; v < 0 {
			return fieldError(fmt.Sprintf("metrics[%q]", k), "is %d, want ≥ 0", v)
		}
	}
	for _, k := range sortedKeys(d.IOStatistics.MeanStatistics) {
		if m := d.IOStatistics.MeanStatistics[k]; m.Samples < 0 {
			return fieldError(fmt.Sprintf("iostatistics.meanstatistics[%q].samples", k), "is %d, want ≥ 0", m.Samples)
		}
	}
	seen := make(map[string]int, len(d.Files))
	for i, f := range d.Files {
		field := fmt.Sprintf("s3commitFiles[%d]", i)
		first, dup := seen[f.Key]
		switch {
		case f.Key == "":
			return fieldError(field+".key", "is empty")
		case dup:
			return fieldError(field+".key", "is %q, also the key of s3commitFiles[%d]", f.Key, first)
		case f.Size < 0:
			return fieldError(field+".size", "is %d for key %q, want ≥ 0", f.Size, f.Key)
		case f.ETag == "":
			return fieldError(field+".etag", "is empty for key %q", f.Key)
		case strings.ContainsRune(f.ETag, '"') || multipart.NormalizeETag(f.ETag) != f.ETag:
			return fieldError(field+".etag", "is %q for key %q, want an ETag without quotes or spaces", f.ETag, f.Key)
		}
		seen[f.Key] = i
	}
	if s := d.FilesSidecar; s != "" && (!strings.HasPrefix(s, "_") || strings.ContainsRune(s, '/')) {
		return fieldError("s3commitFilesSidecar", "is %q, want a name starting with '_' in the manifest's directory", s)
	}
	return nil
}
