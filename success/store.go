package success

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/s3commit/s3commit/multipart"
)

// sidecarFormat is the "name" of a sidecar object: it identifies the
// format of the file list that [Write] stores next to a large manifest.
const sidecarFormat = "s3commit.SuccessFiles/1"

// sidecar is the JSON form of a sidecar object. JobID ties it to the
// manifest that names it, so that a sidecar overwritten by another job is
// noticed.
type sidecar struct {
	Name  string `json:"name"`
	JobID string `json:"jobId"`
	Files []File `json:"files"`
}

// SidecarName returns the name [Write] gives the sidecar of job jobID's
// manifest at key: the manifest's file name, the job ID and ".files.json",
// prefixed with '_' unless the name starts with one, so that readers of
// the destination skip it as they skip _SUCCESS ("_SUCCESS", job "j-1" →
// "_SUCCESS.j-1.files.json"). The job ID in the name gives each job a
// sidecar of its own: a job whose manifest cannot be written never
// overwrites the sidecar of the manifest already there.
func SidecarName(key, jobID string) string {
	base := path.Base(key)
	if !strings.HasPrefix(base, "_") {
		base = "_" + base
	}
	if jobID != "" {
		base += "." + jobID
	}
	return base + ".files.json"
}

// SidecarKey returns the key of the sidecar called name (a manifest's
// FilesSidecar) of the manifest at key: name in key's directory.
func SidecarKey(key, name string) string {
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		return key[:i+1] + name
	}
	return name
}

func location(store multipart.Store, key string) string {
	return "s3://" + store.Bucket() + "/" + key
}

// Write stores d at key with a plain PutObject, overwriting any object
// there. d is validated first and is not modified; an empty Name is
// written as [Name].
//
// When d lists more than [MaxInlineFiles] files, the list is first written
// to a sidecar object of d's job in the same directory (see
// [SidecarName]), and the manifest is written without Files and with
// FilesSidecar naming it. When the manifest cannot be written the sidecar
// stays: the manifest's PUT may have taken effect although its answer was
// lost, and a caller that knows it did not (a committer reverting its job)
// deletes it by its name.
// [Read] loads the list back. A manifest that does not need a sidecar is
// written without FilesSidecar.
func Write(ctx context.Context, store multipart.Store, key string, d *Data) error {
	c := *d
	if c.Name == "" {
		c.Name = Name
	}
	c.FilesSidecar = ""
	if err := c.Validate(); err != nil {
		return fmt.Errorf("success: write %s: %w", location(store, key), err)
	}
	if c.JobID == "" {
		// Readers accept a manifest without one (Hadoop 3.1 and 3.2
		// wrote none); every manifest s3commit writes names its job.
		return fmt.Errorf("success: write %s: %w", location(store, key), fieldError("jobId", "is empty"))
	}
	if len(c.Files) > MaxInlineFiles {
		name := SidecarName(key, c.JobID)
		skey := SidecarKey(key, name)
		var buf bytes.Buffer
		if err := json.NewEncoder(&buf).Encode(sidecar{Name: sidecarFormat, JobID: c.JobID, Files: c.Files}); err != nil {
			return fmt.Errorf("success: encode file list: %w", err)
		}
		if err := put(ctx, store, skey, buf.Bytes()); err != nil {
			return fmt.Errorf("success: write file list of %s: %w", location(store, key), err)
		}
		c.Files, c.FilesSidecar = nil, name
	}
	var buf bytes.Buffer
	if err := c.Encode(&buf); err != nil {
		return fmt.Errorf("success: write %s: %w", location(store, key), err)
	}
	if err := put(ctx, store, key, buf.Bytes()); err != nil {
		return fmt.Errorf("success: write manifest: %w", err)
	}
	return nil
}

func put(ctx context.Context, store multipart.Store, key string, data []byte) error {
	_, err := store.PutObject(ctx, key, bytes.NewReader(data), int64(len(data)),
		multipart.PutOptions{ContentType: "application/json"})
	return err
}

// ReadManifest reads and validates the manifest at key (see [Decode])
// without loading the file list of a sidecar it names: enough to learn
// which job wrote it. Errors are those of [Read].
func ReadManifest(ctx context.Context, store multipart.Store, key string) (*Data, error) {
	return get(ctx, store, key, Decode)
}

// Read reads and validates the manifest at key (see [Decode]) and, when it
// names a sidecar, loads the sidecar's file list into Files, keeping
// FilesSidecar. A missing object gives an error matching
// [multipart.ErrNotFound]; an empty one, [ErrClassicMarker]; invalid
// content, or a sidecar that is missing, invalid or another job's,
// [ErrInvalidManifest] (a missing sidecar does not match
// [multipart.ErrNotFound]: the manifest exists). A manifest of more than
// 16 MiB or a file list of more than 512 MiB is invalid too, and is not
// read further. The file list is decoded file by file: reading it takes
// about twice the memory of its JSON, and holding it about as much.
func Read(ctx context.Context, store multipart.Store, key string) (*Data, error) {
	d, err := get(ctx, store, key, Decode)
	if err != nil {
		return nil, err
	}
	if d.FilesSidecar == "" {
		return d, nil
	}
	skey := SidecarKey(key, d.FilesSidecar)
	s, err := get(ctx, store, skey, decodeSidecar)
	switch {
	case errors.Is(err, multipart.ErrNotFound):
		// The manifest exists; what is missing is part of it.
		return nil, fmt.Errorf("success: %s: %w", location(store, key), fieldError("s3commitFilesSidecar",
			"names %s, which does not exist: the manifest's file list is lost", location(store, skey)))
	case err != nil:
		return nil, fmt.Errorf("success: file list of %s: %w", location(store, key), err)
	}
	if s.JobID != d.JobID {
		return nil, fmt.Errorf("success: %s: %w", location(store, skey), fieldError("jobId",
			"is %q, want the manifest's jobId %q: the file list belongs to another job", s.JobID, d.JobID))
	}
	// An empty list stays non-nil: the manifest has a (loaded) file list.
	// The files are taken as decoded, not copied: the list may be long.
	d.Files = s.Files
	if d.Files == nil {
		d.Files = []File{}
	}
	for i := range d.Files {
		d.Files[i].ETag = multipart.NormalizeETag(d.Files[i].ETag)
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("success: %s: %w", location(store, skey), err)
	}
	return d, nil
}

func get[T any](ctx context.Context, store multipart.Store, key string, decode func(io.Reader) (T, error)) (T, error) {
	var zero T
	body, _, err := store.GetObject(ctx, key)
	if err != nil {
		return zero, fmt.Errorf("success: read %s: %w", location(store, key), err)
	}
	defer body.Close()
	v, err := decode(body)
	if err != nil {
		return zero, fmt.Errorf("success: %s: %w", location(store, key), err)
	}
	return v, nil
}

// decodeSidecar reads a sidecar's JSON from r, at most maxSidecarSize
// bytes of it, decoding its files one by one: only the decoded files are
// held, not the text, so that a list of millions of files takes about as
// much memory as its JSON. Errors are those of [Decode].
func decodeSidecar(r io.Reader) (*sidecar, error) {
	return decodeSidecarUpTo(r, maxSidecarSize)
}

// decodeSidecarUpTo is decodeSidecar with a bound of limit bytes.
func decodeSidecarUpTo(r io.Reader, limit int64) (*sidecar, error) {
	in := newBoundedReader(r, limit)
	dec := json.NewDecoder(in)
	s, err := streamSidecar(dec)
	if err == nil {
		err = endOfInput(dec)
	}
	switch {
	case err == nil:
	case in.readErr != nil:
		return nil, fmt.Errorf("read file list: %w", in.readErr)
	case in.tooLarge:
		return nil, &ManifestError{Reason: "is a file list larger than " + humanize.IBytes(uint64(limit))}
	case errors.Is(err, errNotObject):
		return nil, &ManifestError{Reason: "is not a JSON object"}
	default:
		var me *ManifestError
		if errors.As(err, &me) {
			return nil, me
		}
		return nil, decodeError(err)
	}
	if s.Name != sidecarFormat {
		return nil, fieldError("name", "is %q, want %q: not a file list written with a manifest", s.Name, sidecarFormat)
	}
	return s, nil
}

// errNotObject is the error of a sidecar that is not a JSON object.
var errNotObject = errors.New("not a JSON object")

// streamSidecar decodes the JSON object of a sidecar from dec, its files
// one by one. Fields are matched as encoding/json matches them (without
// case) and unknown fields are skipped; "files" may be null.
func streamSidecar(dec *json.Decoder) (*sidecar, error) {
	if tok, err := dec.Token(); err != nil {
		return nil, err
	} else if tok != json.Delim('{') {
		return nil, errNotObject
	}
	s := &sidecar{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		field, _ := tok.(string)
		switch {
		case strings.EqualFold(field, "name"):
			err = dec.Decode(&s.Name)
		case strings.EqualFold(field, "jobId"):
			err = dec.Decode(&s.JobID)
		case strings.EqualFold(field, "files"):
			s.Files, err = streamFiles(dec)
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, err
	}
	return s, nil
}

// streamFiles decodes the "files" array of a sidecar (or null) from dec,
// one file at a time.
func streamFiles(dec *json.Decoder) ([]File, error) {
	tok, err := dec.Token()
	switch {
	case err != nil:
		return nil, err
	case tok == nil:
		return nil, nil
	case tok != json.Delim('['):
		return nil, fieldError("files", "has the wrong type: a JSON %s where an array is expected", jsonKind(tok))
	}
	// The files are gathered in chunks, then copied once into a list of
	// the right length: appending to one slice would allocate some five
	// times the list's size as it grows.
	const chunkSize = 8192
	var chunks [][]File
	chunk := make([]File, 0, chunkSize)
	n := 0
	for i := 0; dec.More(); i++ {
		if len(chunk) == chunkSize {
			chunks = append(chunks, chunk)
			chunk = make([]File, 0, chunkSize)
		}
		var f File
		if err := dec.Decode(&f); err != nil {
			if me := decodeError(err); me.Field != "" || strings.HasPrefix(me.Reason, "is not a JSON object") {
				field := fmt.Sprintf("files[%d]", i)
				if me.Field != "" {
					field += "." + me.Field
				}
				me.Field = field
				return nil, me
			}
			return nil, err
		}
		chunk = append(chunk, f)
		n++
	}
	if _, err := dec.Token(); err != nil { // the closing ']'
		return nil, err
	}
	files := make([]File, 0, n)
	for _, c := range append(chunks, chunk) {
		files = append(files, c...)
	}
	return files, nil
}

// jsonKind names the JSON type of a token of a json.Decoder.
func jsonKind(tok json.Token) string {
	switch tok.(type) {
	case string:
		return "string"
	case float64, json.Number:
		return "number"
	case bool:
		return "boolean"
	case json.Delim:
		return "object"
	}
	return "null"
}
