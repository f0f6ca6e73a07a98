package success

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/s3commit/s3commit/internal/fielderr"
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

// Bounds of what is read. Reading stops at the bound, with an error, so
// that an object or file that is no manifest costs neither the time to
// read it all nor the memory to hold it.
const (
	// maxManifestSize bounds a manifest ([Decode], [Read], [ReadManifest]),
	// 16 MiB: one with [MaxInlineFiles] files whose keys have the 1024
	// bytes S3 allows takes about 1 MiB (6 MiB if every byte needed a JSON
	// escape); Hadoop's list at most 100 files.
	maxManifestSize = 16 << 20
	// maxSidecarSize bounds the file list of a sidecar ([Read]), 512 MiB.
	// It lists every file of a job: at a hundred to a few hundred bytes a
	// file, millions of files. [Read] decodes it file by file, holding
	// only the files, which take about as much memory as their JSON.
	maxSidecarSize = 512 << 20
)

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
	return ErrInvalidManifest.Error() + ": " + fielderr.Describe(e.Field, e.Reason, e.Err)
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
// [ErrClassicMarker]. Content that is not a valid manifest, or more than
// 16 MiB of it (Decode stops reading there), gives a
// [*ManifestError] matching [ErrInvalidManifest]; a failure to read r is
// returned wrapped, matching neither.
func Decode(r io.Reader) (*Data, error) {
	in := newBoundedReader(r, maxManifestSize)
	dec := json.NewDecoder(in)
	var d Data
	err := dec.Decode(&d)
	if err == nil {
		err = endOfInput(dec)
	}
	switch {
	case err == nil:
	case in.readErr != nil:
		return nil, fmt.Errorf("success: read manifest: %w", in.readErr)
	case in.tooLarge:
		return nil, &ManifestError{Reason: "is larger than " + humanize.IBytes(maxManifestSize)}
	case err == io.EOF:
		return nil, fmt.Errorf("success: the _SUCCESS file is empty (%d bytes): %w", in.n, ErrClassicMarker)
	default:
		return nil, decodeError(err)
	}
	d.normalize()
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return &d, nil
}

// MissingFields lists the fields of a manifest that Hadoop 3.3 and later,
// and s3commit, always fill but that are absent or empty in this one:
// "jobId", "jobIdSource" and "iostatistics" (the S3A committers of Hadoop
// 3.1 and 3.2 wrote none of them). nil when none is missing.
func (d *Data) MissingFields() []string {
	var out []string
	if d.JobID == "" {
		out = append(out, "jobId")
	}
	if d.JobIDSource == "" {
		out = append(out, "jobIdSource")
	}
	s := d.IOStatistics
	if len(s.Counters)+len(s.Gauges)+len(s.Minimums)+len(s.Maximums)+len(s.MeanStatistics) == 0 {
		out = append(out, "iostatistics")
	}
	return out
}

// errTrailingData is the decoding error of input that goes on after the
// JSON value.
var errTrailingData = errors.New("more data after the JSON object")

// endOfInput checks that nothing but white space follows the value dec
// decoded: it returns nil at the end of the input, errTrailingData or the
// decoding error otherwise.
func endOfInput(dec *json.Decoder) error {
	switch _, err := dec.Token(); err {
	case io.EOF:
		return nil
	case nil:
		return errTrailingData
	default:
		return err
	}
}

// boundedReader reads r up to limit bytes, and fails with errTooLarge if
// there is more. It records the bytes read and the first failure of r, so
// that a failure to read tells from invalid content.
type boundedReader struct {
	r        io.Reader
	left     int64 // bytes that may still be read
	n        int64 // bytes read
	readErr  error // r's failure, other than io.EOF
	tooLarge bool
}

// errTooLarge is the read error of a boundedReader past its bound.
var errTooLarge = errors.New("too large")

func newBoundedReader(r io.Reader, limit int64) *boundedReader {
	return &boundedReader{r: r, left: limit}
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.tooLarge {
		return 0, errTooLarge
	}
	if b.left <= 0 {
		// At the bound: the input may end here, or go on.
		var one [1]byte
		n, err := b.r.Read(one[:])
		if n > 0 {
			b.tooLarge = true
			return 0, errTooLarge
		}
		return 0, b.failed(err)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	b.left -= int64(n)
	return n, b.failed(err)
}

// failed records err if it is a failure of r.
func (b *boundedReader) failed(err error) error {
	if err != nil && err != io.EOF && b.readErr == nil {
		b.readErr = err
	}
	return err
}

func decodeError(err error) *ManifestError {
	if err == io.ErrUnexpectedEOF {
		// json.Decoder's word for input that ends inside the value.
		err = errors.New("unexpected end of JSON input")
	}
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
// [ManifestName] (the one field Hadoop's own SuccessData.validate checks);
// timestamp ≥ 0; state, when set, does
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
	case d.Timestamp < 0:
		return fieldError("timestamp", "is %d, want ≥ 0", d.Timestamp)
	case d.Success && hasFold(failedStates, d.State):
		return fieldError("state", "is %q but success is true", d.State)
	case !d.Success && hasFold(succeededStates, d.State):
		return fieldError("state", "is %q but success is false", d.State)
	}
	for _, k := range slices.Sorted(maps.Keys(d.Metrics)) {
		if v := d.Metrics[k]; v < 0 {
			return fieldError(fmt.Sprintf("metrics[%q]", k), "is %d, want ≥ 0", v)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(d.IOStatistics.MeanStatistics)) {
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
