package memstore_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/memstore"
)

const bucketName = "test-bucket"

// newStore returns a store on a fresh bucket with the given options.
func newStore(t *testing.T, opts memstore.Options) *memstore.Store {
	t.Helper()
	srv := memstore.NewServer()
	if err := srv.CreateBucket(bucketName); err != nil {
		t.Fatal(err)
	}
	return srv.Store(bucketName, opts)
}

// fastOptions keeps part sizes small.
var fastOptions = memstore.Options{MinPartSize: 4}

func md5Hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

// multipartETag computes S3's ETag of a multipart object independently.
func multipartETag(parts ...[]byte) string {
	var sums []byte
	for _, p := range parts {
		sum := md5.Sum(p)
		sums = append(sums, sum[:]...)
	}
	return md5Hex(sums) + "-" + strconv.Itoa(len(parts))
}

func create(t *testing.T, st *memstore.Store, key string) string {
	t.Helper()
	id, err := st.CreateUpload(t.Context(), key, multipart.CreateOptions{})
	if err != nil {
		t.Fatalf("CreateUpload %q: %v", key, err)
	}
	return id
}

func uploadPart(t *testing.T, st *memstore.Store, key, id string, n int32, data []byte) multipart.Part {
	t.Helper()
	p, err := st.UploadPart(t.Context(), key, id, n, bytes.NewReader(data), int64(len(data)), multipart.PartOptions{})
	if err != nil {
		t.Fatalf("UploadPart %d of %q: %v", n, key, err)
	}
	return p
}

func put(t *testing.T, st *memstore.Store, key string, data []byte) string {
	t.Helper()
	etag, err := st.PutObject(t.Context(), key, bytes.NewReader(data), int64(len(data)), multipart.PutOptions{})
	if err != nil {
		t.Fatalf("PutObject %q: %v", key, err)
	}
	return etag
}

func content(t *testing.T, st *memstore.Store, key string) []byte {
	t.Helper()
	r, info, err := st.GetObject(t.Context(), key)
	if err != nil {
		t.Fatalf("GetObject %q: %v", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != int64(len(b)) || info.Key != key {
		t.Errorf("GetObject %q: info %+v for %d bytes", key, info, len(b))
	}
	return b
}

// checkKind fails unless err is a *multipart.Error of the given kind (nil:
// no error expected) with the given S3 code ("" to skip the code).
func checkKind(t *testing.T, err, kind error, code string) {
	t.Helper()
	if kind == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if !errors.Is(err, kind) {
		t.Fatalf("error %v, want kind %v", err, kind)
	}
	var me *multipart.Error
	if !errors.As(err, &me) {
		t.Fatalf("error %v (%T) is not a *multipart.Error", err, err)
	}
	if me.Op == "" || me.Bucket == "" {
		t.Errorf("error %v lacks the operation or the bucket", err)
	}
	if code != "" {
		var ae *memstore.APIError
		if !errors.As(err, &ae) || ae.Code != code {
			t.Errorf("error %v, want S3 code %s", err, code)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	st := newStore(t, memstore.Options{})
	ctx := t.Context()
	key := "data/part-0000.bin"
	payloads := [][]byte{
		bytes.Repeat([]byte("a"), 5<<20),
		bytes.Repeat([]byte("b"), 5<<20+1),
		[]byte("tail"),
	}
	id := create(t, st, key)
	var parts []multipart.Part
	for i, p := range payloads {
		part := uploadPart(t, st, key, id, int32(i+1), p)
		if part.ETag != md5Hex(p) || part.Size != int64(len(p)) || part.Number != int32(i+1) {
			t.Errorf("part %d: %+v", i+1, part)
		}
		parts = append(parts, part)
	}
	if _, err := st.HeadObject(ctx, key); !errors.Is(err, multipart.ErrNotFound) {
		t.Fatalf("an uncompleted upload is visible: %v", err)
	}
	etag, err := st.CompleteUpload(ctx, key, id, parts, multipart.CompleteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := multipartETag(payloads...); etag != want {
		t.Errorf("ETag %s, want %s", etag, want)
	}
	if got := content(t, st, key); !bytes.Equal(got, bytes.Join(payloads, nil)) {
		t.Errorf("content differs (%d bytes)", len(got))
	}
	head, err := st.HeadObject(ctx, key)
	if err != nil || head.ETag != etag || head.Size != int64(10<<20+5) || head.LastModified.IsZero() {
		t.Errorf("HeadObject: %+v, %v", head, err)
	}
	if n := st.Server().UploadCount(bucketName); n != 0 {
		t.Errorf("%d uploads remain", n)
	}
	if n := st.Server().ObjectCount(bucketName); n != 1 {
		t.Errorf("%d objects, want 1", n)
	}
}

func TestKeys(t *testing.T) {
	st := newStore(t, memstore.Options{})
	ctx := t.Context()
	for _, c := range []struct {
		name string
		key  string
		kind error
	}{
		{"plain", "a", nil},
		{"spaces", "dir with spaces/file name.txt", nil},
		{"unicode", "données/日本語/ü.json", nil},
		{"partition", "events/year=2024/month=01/part=0.parquet", nil},
		{"symbols", "a+b&c?d#e%20f", nil},
		{"1024 bytes", strings.Repeat("k", 1024), nil},
		{"empty", "", multipart.ErrInvalidArgument},
		{"1025 bytes", strings.Repeat("k", 1025), multipart.ErrInvalidArgument},
		{"invalid UTF-8", "bad-\xff-key", multipart.ErrInvalidArgument},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := st.PutObject(ctx, c.key, strings.NewReader("x"), 1, multipart.PutOptions{})
			checkKind(t, err, c.kind, "")
			_, err = st.HeadObject(ctx, c.key)
			checkKind(t, err, c.kind, "")
			id, err := st.CreateUpload(ctx, c.key, multipart.CreateOptions{})
			checkKind(t, err, c.kind, "")
			if c.kind != nil {
				return
			}
			p := uploadPart(t, st, c.key, id, 1, []byte("y"))
			if _, err := st.CompleteUpload(ctx, c.key, id, []multipart.Part{p}, multipart.CompleteOptions{}); err != nil {
				t.Fatal(err)
			}
			if got := content(t, st, c.key); string(got) != "y" {
				t.Errorf("content %q", got)
			}
			var listed []string
			for info, err := range st.ListObjects(ctx, c.key) {
				checkKind(t, err, nil, "")
				listed = append(listed, info.Key)
			}
			if !slices.Contains(listed, c.key) {
				t.Errorf("ListObjects(%q) = %q", c.key, listed)
			}
		})
	}
}

// failingReader fails with its error after its data.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func (r *failingReader) Seek(int64, int) (int64, error) { return 0, errors.New("not seekable") }

func TestUploadPartRules(t *testing.T) {
	st := newStore(t, memstore.Options{})
	ctx := t.Context()
	key := "parts.bin"
	id := create(t, st, key)
	other := create(t, st, "other.bin")
	readErr := errors.New("disk on fire")
	for _, c := range []struct {
		name   string
		key    string
		id     string
		number int32
		body   io.ReadSeeker
		size   int64
		kind   error
		code   string
	}{
		{"first part number", key, id, 1, strings.NewReader("x"), 1, nil, ""},
		{"last part number", key, id, 10000, strings.NewReader("x"), 1, nil, ""},
		{"empty part", key, id, 2, strings.NewReader(""), 0, nil, ""},
		{"nil body of size 0", key, id, 3, nil, 0, nil, ""},
		{"body longer than size", key, id, 4, strings.NewReader("xyz"), 1, nil, ""},
		{"part number 0", key, id, 0, strings.NewReader("x"), 1, multipart.ErrInvalidArgument, "InvalidArgument"},
		{"negative part number", key, id, -1, strings.NewReader("x"), 1, multipart.ErrInvalidArgument, "InvalidArgument"},
		{"part number 10001", key, id, 10001, strings.NewReader("x"), 1, multipart.ErrInvalidArgument, "InvalidArgument"},
		{"larger than 5 GiB", key, id, 1, strings.NewReader(""), 5<<30 + 1, multipart.ErrInvalidArgument, "EntityTooLarge"},
		{"negative size", key, id, 1, strings.NewReader(""), -1, multipart.ErrInvalidArgument, "InvalidArgument"},
		{"short body", key, id, 1, strings.NewReader("abc"), 4, multipart.ErrInvalidArgument, "IncompleteBody"},
		{"empty body", key, id, 1, strings.NewReader(""), 4, multipart.ErrInvalidArgument, "IncompleteBody"},
		{"nil body", key, id, 1, nil, 4, multipart.ErrInvalidArgument, "IncompleteBody"},
		{"unknown upload", key, "no-such-upload", 1, strings.NewReader("x"), 1, multipart.ErrNoSuchUpload, "NoSuchUpload"},
		{"upload of another key", key, other, 1, strings.NewReader("x"), 1, multipart.ErrNoSuchUpload, "NoSuchUpload"},
		{"invalid key", "", id, 1, strings.NewReader("x"), 1, multipart.ErrInvalidArgument, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := st.UploadPart(ctx, c.key, c.id, c.number, c.body, c.size, multipart.PartOptions{})
			checkKind(t, err, c.kind, c.code)
			if c.kind == nil && (p.Number != c.number || p.Size != c.size) {
				t.Errorf("part %+v", p)
			}
			if c.kind != nil {
				var me *multipart.Error
				if errors.As(err, &me) && (me.Op != "UploadPart" || me.Key != c.key || me.UploadID != c.id) {
					t.Errorf("error names %s %q %q", me.Op, me.Key, me.UploadID)
				}
			}
		})
	}

	t.Run("reader error", func(t *testing.T) {
		_, err := st.UploadPart(ctx, key, id, 5, &failingReader{data: []byte("ab"), err: readErr}, 4, multipart.PartOptions{})
		if !errors.Is(err, readErr) || multipart.KindOf(err) != nil {
			t.Errorf("error %v: want the reader's error, unclassified", err)
		}
	})

	t.Run("re-upload replaces", func(t *testing.T) {
		id := create(t, st, "replace.bin")
		uploadPart(t, st, "replace.bin", id, 1, []byte("first"))
		second := uploadPart(t, st, "replace.bin", id, 1, []byte("second!"))
		parts, err := st.ListParts(ctx, "replace.bin", id)
		if err != nil {
			t.Fatal(err)
		}
		if len(parts) != 1 || parts[0].ETag != md5Hex([]byte("second!")) || parts[0].Size != 7 || parts[0].ETag != second.ETag {
			t.Errorf("ListParts after re-upload: %+v", parts)
		}
	})
}

func TestCompleteRules(t *testing.T) {
	ctx := t.Context()
	big := []byte("0123456789") // at least fastOptions.MinPartSize
	small := []byte("abc")      // smaller than fastOptions.MinPartSize
	for _, c := range []struct {
		name    string
		upload  [][]byte // part i+1 gets upload[i]
		list    func(parts []multipart.Part) []multipart.Part
		kind    error
		code    string
		content []byte // on success
	}{
		{
			name:    "all parts",
			upload:  [][]byte{big, big, small},
			list:    func(p []multipart.Part) []multipart.Part { return p },
			content: slices.Concat(big, big, small),
		},
		{
			name:    "subset of parts",
			upload:  [][]byte{big, []byte("discarded"), small},
			list:    func(p []multipart.Part) []multipart.Part { return []multipart.Part{p[0], p[2]} },
			content: slices.Concat(big, small),
		},
		{
			name:   "quoted ETags",
			upload: [][]byte{big, small},
			list: func(p []multipart.Part) []multipart.Part {
				for i := range p {
					p[i].ETag = `"` + p[i].ETag + `"`
				}
				return p
			},
			content: slices.Concat(big, small),
		},
		{
			name:    "small last part",
			upload:  [][]byte{small},
			list:    func(p []multipart.Part) []multipart.Part { return p },
			content: small,
		},
		{
			name:    "empty single part",
			upload:  [][]byte{{}},
			list:    func(p []multipart.Part) []multipart.Part { return p },
			content: []byte{},
		},
		{
			name:   "empty part list",
			upload: [][]byte{big},
			list:   func([]multipart.Part) []multipart.Part { return nil },
			kind:   multipart.ErrInvalidArgument,
			code:   "MalformedXML",
		},
		{
			name:   "out of order",
			upload: [][]byte{big, big},
			list:   func(p []multipart.Part) []multipart.Part { return []multipart.Part{p[1], p[0]} },
			kind:   multipart.ErrInvalidPart,
			code:   "InvalidPartOrder",
		},
		{
			name:   "duplicate part",
			upload: [][]byte{big, big},
			list:   func(p []multipart.Part) []multipart.Part { return []multipart.Part{p[0], p[0], p[1]} },
			kind:   multipart.ErrInvalidPart,
			code:   "InvalidPartOrder",
		},
		{
			name:   "part never uploaded",
			upload: [][]byte{big},
			list: func(p []multipart.Part) []multipart.Part {
				return []multipart.Part{p[0], {Number: 2, ETag: p[0].ETag}}
			},
			kind: multipart.ErrInvalidPart,
			code: "InvalidPart",
		},
		{
			name:   "wrong ETag",
			upload: [][]byte{big},
			list: func(p []multipart.Part) []multipart.Part {
				return []multipart.Part{{Number: 1, ETag: md5Hex([]byte("other"))}}
			},
			kind: multipart.ErrInvalidPart,
			code: "InvalidPart",
		},
		{
			name:   "missing ETag",
			upload: [][]byte{big},
			list:   func(p []multipart.Part) []multipart.Part { return []multipart.Part{{Number: 1}} },
			kind:   multipart.ErrInvalidPart,
			code:   "InvalidPart",
		},
		{
			name:   "small part not last",
			upload: [][]byte{small, big},
			list:   func(p []multipart.Part) []multipart.Part { return p },
			kind:   multipart.ErrInvalidPart,
			code:   "EntityTooSmall",
		},
		{
			name:   "listed small part not last",
			upload: [][]byte{big, small, big},
			list:   func(p []multipart.Part) []multipart.Part { return p },
			kind:   multipart.ErrInvalidPart,
			code:   "EntityTooSmall",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := newStore(t, fastOptions)
			key := "complete/" + c.name
			id := create(t, st, key)
			var parts []multipart.Part
			for i, data := range c.upload {
				parts = append(parts, uploadPart(t, st, key, id, int32(i+1), data))
			}
			listed := c.list(slices.Clone(parts))
			etag, err := st.CompleteUpload(ctx, key, id, listed, multipart.CompleteOptions{})
			checkKind(t, err, c.kind, c.code)
			if c.kind != nil {
				if _, err := st.HeadObject(ctx, key); !errors.Is(err, multipart.ErrNotFound) {
					t.Errorf("object visible after a failed completion: %v", err)
				}
				// The upload remains: it still completes with its parts.
				if _, err := st.CompleteUpload(ctx, key, id, parts[len(parts)-1:], multipart.CompleteOptions{}); err != nil {
					t.Errorf("complete after a rejected completion: %v", err)
				}
				return
			}
			var listedData [][]byte
			for _, p := range listed {
				listedData = append(listedData, c.upload[p.Number-1])
			}
			if want := multipartETag(listedData...); etag != want {
				t.Errorf("ETag %s, want %s", etag, want)
			}
			if got := content(t, st, key); !bytes.Equal(got, c.content) {
				t.Errorf("content %q, want %q", got, c.content)
			}
			if n := st.Server().UploadCount(bucketName); n != 0 {
				t.Errorf("%d uploads remain", n)
			}
		})
	}

	t.Run("default minimum is 5 MiB", func(t *testing.T) {
		st := newStore(t, memstore.Options{})
		id := create(t, st, "k")
		p1 := uploadPart(t, st, "k", id, 1, make([]byte, 5<<20-1))
		p2 := uploadPart(t, st, "k", id, 2, []byte("x"))
		_, err := st.CompleteUpload(ctx, "k", id, []multipart.Part{p1, p2}, multipart.CompleteOptions{})
		checkKind(t, err, multipart.ErrInvalidPart, "EntityTooSmall")
		p1 = uploadPart(t, st, "k", id, 1, make([]byte, 5<<20))
		_, err = st.CompleteUpload(ctx, "k", id, []multipart.Part{p1, p2}, multipart.CompleteOptions{})
		checkKind(t, err, nil, "")
	})
}

func TestUploadEnds(t *testing.T) {
	ctx := t.Context()
	st := newStore(t, fastOptions)
	completed := create(t, st, "completed")
	p := uploadPart(t, st, "completed", completed, 1, []byte("x"))
	if _, err := st.CompleteUpload(ctx, "completed", completed, []multipart.Part{p}, multipart.CompleteOptions{}); err != nil {
		t.Fatal(err)
	}
	aborted := create(t, st, "aborted")
	uploadPart(t, st, "aborted", aborted, 1, []byte("x"))
	checkKind(t, st.AbortUpload(ctx, "aborted", aborted), nil, "")

	for _, c := range []struct{ name, key, id string }{
		{"completed", "completed", completed},
		{"aborted", "aborted", aborted},
		{"never created", "completed", "bm9uZXhpc3RlbnQtdXBsb2FkLWlk"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := st.CompleteUpload(ctx, c.key, c.id, []multipart.Part{p}, multipart.CompleteOptions{})
			checkKind(t, err, multipart.ErrNoSuchUpload, "NoSuchUpload")
			_, err = st.UploadPart(ctx, c.key, c.id, 2, strings.NewReader("y"), 1, multipart.PartOptions{})
			checkKind(t, err, multipart.ErrNoSuchUpload, "NoSuchUpload")
			_, err = st.ListParts(ctx, c.key, c.id)
			checkKind(t, err, multipart.ErrNoSuchUpload, "NoSuchUpload")
			checkKind(t, st.AbortUpload(ctx, c.key, c.id), multipart.ErrNoSuchUpload, "NoSuchUpload")
		})
	}
	if got := content(t, st, "completed"); string(got) != "x" {
		t.Errorf("content %q", got)
	}
	if _, err := st.HeadObject(ctx, "aborted"); !errors.Is(err, multipart.ErrNotFound) {
		t.Errorf("aborted upload visible: %v", err)
	}
}

func TestCompleteConditions(t *testing.T) {
	ctx := t.Context()
	for _, c := range []struct {
		name     string
		opts     memstore.Options
		existing string // content of the object before, "" for none
		cond     func(existingETag string) multipart.CompleteOptions
		kind     error
	}{
		{"If-None-Match on a new key", memstore.Options{}, "",
			func(string) multipart.CompleteOptions { return multipart.CompleteOptions{IfNoneMatch: true} }, nil},
		{"If-None-Match on an existing key", memstore.Options{}, "old",
			func(string) multipart.CompleteOptions { return multipart.CompleteOptions{IfNoneMatch: true} },
			multipart.ErrPreconditionFailed},
		{"If-Match with the current ETag", memstore.Options{}, "old",
			func(e string) multipart.CompleteOptions { return multipart.CompleteOptions{IfMatch: e} }, nil},
		{"If-Match with the current ETag quoted", memstore.Options{}, "old",
			func(e string) multipart.CompleteOptions { return multipart.CompleteOptions{IfMatch: `"` + e + `"`} }, nil},
		{"If-Match * on an existing key", memstore.Options{}, "old",
			func(string) multipart.CompleteOptions { return multipart.CompleteOptions{IfMatch: "*"} }, nil},
		{"If-Match * on a missing key", memstore.Options{}, "",
			func(string) multipart.CompleteOptions { return multipart.CompleteOptions{IfMatch: "*"} },
			multipart.ErrPreconditionFailed},
		{"If-Match with another ETag", memstore.Options{}, "old",
			func(string) multipart.CompleteOptions {
				return multipart.CompleteOptions{IfMatch: md5Hex([]byte("other"))}
			}, multipart.ErrPreconditionFailed},
		{"If-Match on a missing key", memstore.Options{}, "",
			func(string) multipart.CompleteOptions {
				return multipart.CompleteOptions{IfMatch: md5Hex([]byte("other"))}
			}, multipart.ErrPreconditionFailed},
		{"ignored If-None-Match", memstore.Options{IgnoreConditionalWrites: true}, "old",
			func(string) multipart.CompleteOptions { return multipart.CompleteOptions{IfNoneMatch: true} }, nil},
		{"ignored If-Match", memstore.Options{IgnoreConditionalWrites: true}, "old",
			func(string) multipart.CompleteOptions {
				return multipart.CompleteOptions{IfMatch: md5Hex([]byte("other"))}
			}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := newStore(t, c.opts)
			key := "cond.bin"
			var existingETag string
			if c.existing != "" {
				existingETag = put(t, st, key, []byte(c.existing))
			}
			id := create(t, st, key)
			p := uploadPart(t, st, key, id, 1, []byte("new"))
			_, err := st.CompleteUpload(ctx, key, id, []multipart.Part{p}, c.cond(existingETag))
			checkKind(t, err, c.kind, "")
			if c.kind == nil {
				if got := content(t, st, key); string(got) != "new" {
					t.Errorf("content %q, want new", got)
				}
				return
			}
			if c.existing != "" {
				if got := content(t, st, key); string(got) != c.existing {
					t.Errorf("content %q, want %q", got, c.existing)
				}
			}
			// The losing upload remains, so that it can be aborted.
			if n := st.Server().UploadCount(bucketName); n != 1 {
				t.Errorf("%d uploads after a failed condition, want 1", n)
			}
			checkKind(t, st.AbortUpload(ctx, key, id), nil, "")
		})
	}
}

// TestCompleteUnknownUpload: the personalities' answers to completing an
// upload the store does not know, with the S3 codes the servers send.
func TestCompleteUnknownUpload(t *testing.T) {
	ctx := t.Context()
	other := md5Hex([]byte("other"))
	for _, c := range []struct {
		name     string
		opts     memstore.Options
		existing bool // an object exists at the key
		cond     multipart.CompleteOptions
		kind     error
		code     string
	}{
		{"S3, If-None-Match", memstore.Options{}, true, multipart.CompleteOptions{IfNoneMatch: true},
			multipart.ErrNoSuchUpload, "NoSuchUpload"},
		{"S3, If-Match on a vacant key", memstore.Options{}, false, multipart.CompleteOptions{IfMatch: other},
			multipart.ErrNoSuchUpload, "NoSuchUpload"},
		{"MinIO, If-None-Match", memstore.MinIOOptions(), true, multipart.CompleteOptions{IfNoneMatch: true},
			multipart.ErrPreconditionFailed, "PreconditionFailed"},
		{"MinIO, If-None-Match on a vacant key", memstore.MinIOOptions(), false, multipart.CompleteOptions{IfNoneMatch: true},
			multipart.ErrNoSuchUpload, "NoSuchUpload"},
		{"MinIO, If-Match another ETag", memstore.MinIOOptions(), true, multipart.CompleteOptions{IfMatch: other},
			multipart.ErrPreconditionFailed, "PreconditionFailed"},
		{"MinIO, If-Match on a vacant key", memstore.MinIOOptions(), false, multipart.CompleteOptions{IfMatch: other},
			multipart.ErrPreconditionFailed, "NoSuchKey"},
		{"MinIO, no condition", memstore.MinIOOptions(), true, multipart.CompleteOptions{},
			multipart.ErrNoSuchUpload, "NoSuchUpload"},
		{"MinIO ignoring conditions", memstore.Options{PreconditionBeforeUploadLookup: true, IgnoreConditionalWrites: true},
			true, multipart.CompleteOptions{IfNoneMatch: true}, multipart.ErrNoSuchUpload, "NoSuchUpload"},
		{"versitygw, If-None-Match", memstore.VersityGWOptions(), true, multipart.CompleteOptions{IfNoneMatch: true}, nil, ""},
		{"versitygw, If-Match another ETag", memstore.VersityGWOptions(), true, multipart.CompleteOptions{IfMatch: other}, nil, ""},
		{"versitygw on a vacant key", memstore.VersityGWOptions(), false, multipart.CompleteOptions{},
			multipart.ErrNoSuchUpload, "NoSuchUpload"},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := newStore(t, c.opts)
			key := "unknown.bin"
			var existingETag string
			if c.existing {
				existingETag = put(t, st, key, []byte("occupant"))
			}
			id := create(t, st, key)
			p := uploadPart(t, st, key, id, 1, []byte("new"))
			checkKind(t, st.AbortUpload(ctx, key, id), nil, "")
			etag, err := st.CompleteUpload(ctx, key, id, []multipart.Part{p}, c.cond)
			checkKind(t, err, c.kind, c.code)
			if c.kind == nil && etag != multipartETag([]byte("new")) {
				t.Errorf("ETag %q, want the one computed from the request's parts, %q", etag, multipartETag([]byte("new")))
			}
			if !c.existing {
				if _, err := st.HeadObject(ctx, key); !errors.Is(err, multipart.ErrNotFound) {
					t.Errorf("HeadObject after the completion: %v, want ErrNotFound", err)
				}
				return
			}
			if got := content(t, st, key); string(got) != "occupant" {
				t.Errorf("content %q, want the object unchanged", got)
			}
			if info, err := st.HeadObject(ctx, key); err != nil || info.ETag != existingETag {
				t.Errorf("HeadObject = %+v, %v; want ETag %s", info, err, existingETag)
			}
		})
	}

	// versitygw rejects part ETags that are not hex MD5s before it looks
	// the upload up.
	st := newStore(t, memstore.VersityGWOptions())
	put(t, st, "k", []byte("x"))
	_, err := st.CompleteUpload(ctx, "k", "no-such-upload", []multipart.Part{{Number: 1, ETag: "not-hex"}}, multipart.CompleteOptions{})
	checkKind(t, err, multipart.ErrInvalidPart, "InvalidPart")
}

func TestPutObject(t *testing.T) {
	ctx := t.Context()
	st := newStore(t, memstore.Options{})
	etag := put(t, st, "k", []byte("hello"))
	if etag != md5Hex([]byte("hello")) {
		t.Errorf("ETag %s", etag)
	}
	for _, c := range []struct {
		name string
		key  string
		body io.ReadSeeker
		size int64
		opts multipart.PutOptions
		kind error
		code string
		want string // content of key afterwards
	}{
		{"overwrite", "k", strings.NewReader("v2"), 2, multipart.PutOptions{}, nil, "", "v2"},
		{"If-None-Match on an existing key", "k", strings.NewReader("v3"), 2, multipart.PutOptions{IfNoneMatch: true},
			multipart.ErrPreconditionFailed, "PreconditionFailed", "v2"},
		{"If-None-Match on a new key", "new", strings.NewReader("n"), 1, multipart.PutOptions{IfNoneMatch: true}, nil, "", "n"},
		{"empty object", "empty", strings.NewReader(""), 0, multipart.PutOptions{}, nil, "", ""},
		{"larger than 5 GiB", "huge", strings.NewReader(""), 5<<30 + 1, multipart.PutOptions{},
			multipart.ErrInvalidArgument, "EntityTooLarge", ""},
		{"short body", "short", strings.NewReader("ab"), 3, multipart.PutOptions{},
			multipart.ErrInvalidArgument, "IncompleteBody", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := st.PutObject(ctx, c.key, c.body, c.size, c.opts)
			checkKind(t, err, c.kind, c.code)
			if c.kind == nil || c.want != "" {
				if got := content(t, st, c.key); string(got) != c.want {
					t.Errorf("content %q, want %q", got, c.want)
				}
			} else if _, err := st.HeadObject(ctx, c.key); !errors.Is(err, multipart.ErrNotFound) {
				t.Errorf("object visible after a failed put: %v", err)
			}
		})
	}

	t.Run("ignored If-None-Match", func(t *testing.T) {
		st := newStore(t, memstore.Options{IgnoreConditionalWrites: true})
		put(t, st, "k", []byte("v1"))
		_, err := st.PutObject(ctx, "k", strings.NewReader("v2"), 2, multipart.PutOptions{IfNoneMatch: true})
		checkKind(t, err, nil, "")
		if got := content(t, st, "k"); string(got) != "v2" {
			t.Errorf("content %q", got)
		}
	})
}

func TestObjects(t *testing.T) {
	ctx := t.Context()
	st := newStore(t, memstore.Options{})

	_, _, err := st.GetObject(ctx, "missing")
	checkKind(t, err, multipart.ErrNotFound, "NoSuchKey")
	_, err = st.HeadObject(ctx, "missing")
	checkKind(t, err, multipart.ErrNotFound, "NoSuchKey")

	// A reader keeps the bytes it was opened on.
	put(t, st, "k", []byte("v1"))
	r, _, err := st.GetObject(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	put(t, st, "k", []byte("v2"))
	checkKind(t, st.DeleteObjects(ctx, []string{"k"}), nil, "")
	b, _ := io.ReadAll(r)
	r.Close()
	if string(b) != "v1" {
		t.Errorf("reader returned %q, want v1", b)
	}

	// Deleting: missing keys are fine, invalid keys are named in the error
	// and do not stop the others.
	put(t, st, "a", []byte("a"))
	put(t, st, "b", []byte("b"))
	err = st.DeleteObjects(ctx, []string{"a", "never-existed", "", "b", strings.Repeat("x", 1025)})
	checkKind(t, err, multipart.ErrInvalidArgument, "")
	if n := strings.Count(err.Error(), "DeleteObjects"); n != 2 {
		t.Errorf("error %q: want 2 key errors", err)
	}
	if n := st.Server().ObjectCount(bucketName); n != 0 {
		t.Errorf("%d objects remain", n)
	}
	checkKind(t, st.DeleteObjects(ctx, nil), nil, "")
}

func collectUploads(t *testing.T, st *memstore.Store, prefix string) []multipart.Upload {
	t.Helper()
	var us []multipart.Upload
	for u, err := range st.ListUploads(t.Context(), prefix) {
		if err != nil {
			t.Fatalf("ListUploads %q: %v", prefix, err)
		}
		us = append(us, u)
	}
	return us
}

func uploadKeys(us []multipart.Upload) []string {
	var keys []string
	for _, u := range us {
		keys = append(keys, u.Key)
	}
	return keys
}

func TestListUploads(t *testing.T) {
	for _, pageSize := range []int{0, 1, 2, 3, 100} {
		t.Run(fmt.Sprintf("page size %d", pageSize), func(t *testing.T) {
			srv := memstore.NewServer()
			if err := srv.CreateBucket(bucketName); err != nil {
				t.Fatal(err)
			}
			clock := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
			srv.SetClock(func() time.Time { return clock }) // a clock that stands still
			st := srv.Store(bucketName, memstore.Options{ListPageSize: pageSize})
			exact := srv.Store(bucketName, memstore.Options{ListPageSize: pageSize, ListUploadsExactKeyOnly: true})

			// Created out of key order; "b" three times.
			var bIDs []string
			for _, key := range []string{"dir/b", "dir/a", "dir/b", "other/c", "dir/b", "dir/bb", "dir"} {
				id := create(t, st, key)
				if key == "dir/b" {
					bIDs = append(bIDs, id)
				}
			}
			all := collectUploads(t, st, "")
			want := []string{"dir", "dir/a", "dir/b", "dir/b", "dir/b", "dir/bb", "other/c"}
			if got := uploadKeys(all); !slices.Equal(got, want) {
				t.Errorf("keys %q, want %q", got, want)
			}
			var gotB []string
			for _, u := range all {
				if u.Key == "dir/b" {
					gotB = append(gotB, u.UploadID)
				}
				if !u.Initiated.Equal(clock) {
					t.Errorf("initiated %v, want %v", u.Initiated, clock)
				}
			}
			if !slices.Equal(gotB, bIDs) {
				t.Errorf("uploads of one key not in initiation order: %q, want %q", gotB, bIDs)
			}
			for _, c := range []struct {
				store  *memstore.Store
				prefix string
				want   []string
			}{
				{st, "dir/", []string{"dir/a", "dir/b", "dir/b", "dir/b", "dir/bb"}},
				{st, "dir/b", []string{"dir/b", "dir/b", "dir/b", "dir/bb"}},
				{st, "nothing", nil},
				{exact, "", want},
				{exact, "dir/", nil},
				{exact, "dir", []string{"dir"}},
				{exact, "dir/b", []string{"dir/b", "dir/b", "dir/b"}},
			} {
				if got := uploadKeys(collectUploads(t, c.store, c.prefix)); !slices.Equal(got, c.want) {
					t.Errorf("prefix %q (exact %v): %q, want %q", c.prefix, c.store == exact, got, c.want)
				}
			}

			// Stopping early is fine.
			n := 0
			for range st.ListUploads(t.Context(), "") {
				n++
				if n == 2 {
					break
				}
			}
		})
	}

	t.Run("initiation order", func(t *testing.T) {
		srv := memstore.NewServer()
		if err := srv.CreateBucket(bucketName); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		srv.SetClock(func() time.Time { return now })
		st := srv.Store(bucketName, memstore.Options{ListPageSize: 1})
		late := create(t, st, "k")
		now = now.Add(-time.Hour) // a clock set back: order follows the times
		early := create(t, st, "k")
		us := collectUploads(t, st, "k")
		if len(us) != 2 || us[0].UploadID != early || us[1].UploadID != late {
			t.Errorf("uploads %+v, want %s then %s", us, early, late)
		}
	})
}

func TestListParts(t *testing.T) {
	st := newStore(t, fastOptions)
	before := time.Now().Add(-time.Second)
	id := create(t, st, "k")
	data := map[int32][]byte{3: []byte("three"), 1: []byte("one"), 10000: {}, 2: []byte("two!")}
	for _, n := range []int32{3, 10000, 1, 2} {
		uploadPart(t, st, "k", id, n, data[n])
	}
	parts, err := st.ListParts(t.Context(), "k", id)
	if err != nil {
		t.Fatal(err)
	}
	var numbers []int32
	for _, p := range parts {
		numbers = append(numbers, p.Number)
		if p.ETag != md5Hex(data[p.Number]) || p.Size != int64(len(data[p.Number])) || p.LastModified.Before(before) {
			t.Errorf("part %+v", p)
		}
	}
	if !slices.Equal(numbers, []int32{1, 2, 3, 10000}) {
		t.Errorf("part numbers %v", numbers)
	}
	_, err = st.ListParts(t.Context(), "other-key", id)
	checkKind(t, err, multipart.ErrNoSuchUpload, "NoSuchUpload")
}

func TestListObjects(t *testing.T) {
	for _, pageSize := range []int{0, 1, 2, 5} {
		t.Run(fmt.Sprintf("page size %d", pageSize), func(t *testing.T) {
			st := newStore(t, memstore.Options{ListPageSize: pageSize})
			keys := []string{"p/c", "p/a", "q", "p/b/1", "p/", "pp"}
			for _, k := range keys {
				put(t, st, k, []byte(k))
			}
			for _, c := range []struct {
				prefix string
				want   []string
			}{
				{"", []string{"p/", "p/a", "p/b/1", "p/c", "pp", "q"}},
				{"p/", []string{"p/", "p/a", "p/b/1", "p/c"}},
				{"p", []string{"p/", "p/a", "p/b/1", "p/c", "pp"}},
				{"z", nil},
			} {
				var got []string
				for info, err := range st.ListObjects(t.Context(), c.prefix) {
					if err != nil {
						t.Fatal(err)
					}
					if info.Size != int64(len(info.Key)) || info.ETag != md5Hex([]byte(info.Key)) || info.LastModified.IsZero() {
						t.Errorf("info %+v", info)
					}
					got = append(got, info.Key)
				}
				if !slices.Equal(got, c.want) {
					t.Errorf("prefix %q: %q, want %q", c.prefix, got, c.want)
				}
			}
			n := 0
			for range st.ListObjects(t.Context(), "") {
				n++
				break
			}
			if n != 1 {
				t.Errorf("%d iterations after break", n)
			}
		})
	}
}

// calls returns one call of every Store method, for the checks that apply
// to all of them.
func calls(st multipart.Store) map[string]func(ctx context.Context) error {
	part := multipart.Part{Number: 1, ETag: md5Hex([]byte("x")), Size: 1}
	first := func(seq func(func(multipart.Upload, error) bool)) error {
		for _, err := range seq {
			return err
		}
		return nil
	}
	return map[string]func(ctx context.Context) error{
		"CreateUpload": func(ctx context.Context) error {
			_, err := st.CreateUpload(ctx, "k", multipart.CreateOptions{})
			return err
		},
		"UploadPart": func(ctx context.Context) error {
			_, err := st.UploadPart(ctx, "k", "id", 1, strings.NewReader("x"), 1, multipart.PartOptions{})
			return err
		},
		"CompleteUpload": func(ctx context.Context) error {
			_, err := st.CompleteUpload(ctx, "k", "id", []multipart.Part{part}, multipart.CompleteOptions{})
			return err
		},
		"AbortUpload": func(ctx context.Context) error { return st.AbortUpload(ctx, "k", "id") },
		"ListUploads": func(ctx context.Context) error { return first(st.ListUploads(ctx, "")) },
		"ListParts": func(ctx context.Context) error {
			_, err := st.ListParts(ctx, "k", "id")
			return err
		},
		"PutObject": func(ctx context.Context) error {
			_, err := st.PutObject(ctx, "k", strings.NewReader("x"), 1, multipart.PutOptions{})
			return err
		},
		"GetObject": func(ctx context.Context) error {
			_, _, err := st.GetObject(ctx, "k")
			return err
		},
		"HeadObject": func(ctx context.Context) error {
			_, err := st.HeadObject(ctx, "k")
			return err
		},
		"ListObjects": func(ctx context.Context) error {
			for _, err := range st.ListObjects(ctx, "") {
				return err
			}
			return errors.New("ListObjects yielded nothing")
		},
		"DeleteObjects": func(ctx context.Context) error { return st.DeleteObjects(ctx, []string{"k"}) },
	}
}

func TestEveryCall(t *testing.T) {
	srv := memstore.NewServer()
	if err := srv.CreateBucket(bucketName); err != nil {
		t.Fatal(err)
	}
	good := srv.Store(bucketName, memstore.Options{AccessKeyID: "id", SecretAccessKey: "secret"})
	put(t, good, "k", []byte("x")) // so that ListObjects yields
	srv.RequireCredentials("id", "secret")

	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	expired, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel()

	for _, c := range []struct {
		name  string
		store *memstore.Store
		ctx   context.Context
		kind  error
		code  string
	}{
		{"wrong access key", srv.Store(bucketName, memstore.Options{AccessKeyID: "other", SecretAccessKey: "secret"}),
			t.Context(), multipart.ErrAccessDenied, "InvalidAccessKeyId"},
		{"wrong secret", srv.Store(bucketName, memstore.Options{AccessKeyID: "id", SecretAccessKey: "guess"}),
			t.Context(), multipart.ErrAccessDenied, "SignatureDoesNotMatch"},
		{"no credentials", srv.Store(bucketName, memstore.Options{}),
			t.Context(), multipart.ErrAccessDenied, "InvalidAccessKeyId"},
		{"missing bucket", srv.Store("missing-bucket", memstore.Options{AccessKeyID: "id", SecretAccessKey: "secret"}),
			t.Context(), multipart.ErrBucketNotFound, "NoSuchBucket"},
		{"canceled context", good, canceled, context.Canceled, ""},
		{"expired context", good, expired, context.DeadlineExceeded, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			for name, call := range calls(c.store) {
				err := call(c.ctx)
				if !errors.Is(err, c.kind) {
					t.Errorf("%s: error %v, want %v", name, err, c.kind)
					continue
				}
				var me *multipart.Error
				if !errors.As(err, &me) || me.Bucket != c.store.Bucket() {
					t.Errorf("%s: error %v is not a *multipart.Error on the bucket", name, err)
				}
				var ae *memstore.APIError
				if c.code != "" && (!errors.As(err, &ae) || ae.Code != c.code) {
					t.Errorf("%s: error %v, want code %s", name, err, c.code)
				}
			}
		})
	}
	if got := content(t, good, "k"); string(got) != "x" {
		t.Errorf("content %q after rejected calls", got)
	}
}

func TestListCanceledMidway(t *testing.T) {
	st := newStore(t, memstore.Options{ListPageSize: 2})
	for i := range 5 {
		put(t, st, fmt.Sprintf("k%d", i), nil)
		create(t, st, fmt.Sprintf("k%d", i))
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var n int
	var last error
	for _, err := range st.ListObjects(ctx, "") {
		if err != nil {
			last = err
			continue
		}
		n++
		cancel() // takes effect at the next page
	}
	if n != 2 || !errors.Is(last, context.Canceled) {
		t.Errorf("%d objects then %v; want 2 then context canceled", n, last)
	}
	n = 0
	for _, err := range st.ListUploads(ctx, "") {
		if err == nil {
			n++
		} else {
			last = err
		}
	}
	if n != 0 || !errors.Is(last, context.Canceled) {
		t.Errorf("ListUploads on a canceled context: %d uploads, %v", n, last)
	}
}

func TestCreateBucket(t *testing.T) {
	srv := memstore.NewServer()
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"abc", true},
		{"my-bucket.data-2024", true},
		{"1bucket", true},
		{strings.Repeat("b", 63), true},
		{"ab", false},
		{strings.Repeat("b", 64), false},
		{"My-Bucket", false},
		{"under_score", false},
		{"-start", false},
		{"end-", false},
		{"two..dots", false},
		{"192.168.1.1", false},
		{"xn--bucket", false},
		{"sthree-bucket", false},
		{"bucket-s3alias", false},
		{"bucket--ol-s3", false},
		{"", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := srv.CreateBucket(c.name)
			if c.ok {
				checkKind(t, err, nil, "")
				if err := srv.CreateBucket(c.name); !errors.Is(err, memstore.ErrBucketExists) {
					t.Errorf("second CreateBucket: %v, want ErrBucketExists", err)
				}
				return
			}
			var ae *memstore.APIError
			if !errors.Is(err, multipart.ErrInvalidArgument) || !errors.As(err, &ae) || ae.Code != "InvalidBucketName" {
				t.Errorf("error %v, want InvalidBucketName", err)
			}
		})
	}
}

func TestNew(t *testing.T) {
	st := memstore.New("lake")
	if st.Bucket() != "lake" || st.Server().UploadCount("lake") != 0 {
		t.Errorf("store on %q", st.Bucket())
	}
	defer func() {
		if recover() == nil {
			t.Error("New with an invalid bucket name did not panic")
		}
	}()
	memstore.New("Invalid_Name")
}

func TestUploadIDsUnique(t *testing.T) {
	st := newStore(t, memstore.Options{})
	seen := make(map[string]bool)
	for range 1000 {
		id := create(t, st, "same-key")
		if seen[id] || id == "" {
			t.Fatalf("duplicate or empty upload ID %q", id)
		}
		seen[id] = true
	}
	if n := len(collectUploads(t, st, "same-key")); n != 1000 {
		t.Errorf("%d uploads listed, want 1000", n)
	}
}

func TestConcurrentUse(t *testing.T) {
	st := newStore(t, memstore.Options{MinPartSize: 16, ListPageSize: 3})
	ctx := t.Context()
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers*4)
	for w := range workers {
		wg.Go(func() {
			for i := range 10 {
				key := fmt.Sprintf("w%d/f%d", w, i)
				id, err := st.CreateUpload(ctx, key, multipart.CreateOptions{})
				if err != nil {
					errs <- err
					return
				}
				var parts []multipart.Part
				var want []byte
				for n := int32(1); n <= 3; n++ {
					data := bytes.Repeat([]byte{byte(w), byte(i), byte(n)}, 8)
					want = append(want, data...)
					p, err := st.UploadPart(ctx, key, id, n, bytes.NewReader(data), int64(len(data)), multipart.PartOptions{})
					if err != nil {
						errs <- err
						return
					}
					parts = append(parts, p)
				}
				if _, err := st.CompleteUpload(ctx, key, id, parts, multipart.CompleteOptions{IfNoneMatch: true}); err != nil {
					errs <- err
					return
				}
				r, _, err := st.GetObject(ctx, key)
				if err != nil {
					errs <- err
					return
				}
				got, _ := io.ReadAll(r)
				r.Close()
				if !bytes.Equal(got, want) {
					errs <- fmt.Errorf("%s: wrong content", key)
				}
			}
		})
		wg.Go(func() {
			for range 20 {
				for _, err := range st.ListUploads(ctx, "") {
					if err != nil {
						errs <- err
						return
					}
				}
				for _, err := range st.ListObjects(ctx, "") {
					if err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}

	// Racing conditional completions of one key: exactly one wins.
	const racers = 8
	ids := make([]string, racers)
	parts := make([]multipart.Part, racers)
	for i := range racers {
		ids[i] = create(t, st, "contended")
		parts[i] = uploadPart(t, st, "contended", ids[i], 1, []byte{byte(i)})
	}
	var mu sync.Mutex
	wins, losses := 0, 0
	for i := range racers {
		wg.Go(func() {
			_, err := st.CompleteUpload(ctx, "contended", ids[i], parts[i:i+1], multipart.CompleteOptions{IfNoneMatch: true})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, multipart.ErrPreconditionFailed):
				losses++
			default:
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if wins != 1 || losses != racers-1 {
		t.Errorf("%d wins and %d losses, want 1 and %d", wins, losses, racers-1)
	}
	if n := st.Server().UploadCount(bucketName); n != racers-1 {
		t.Errorf("%d uploads remain, want the %d losers", n, racers-1)
	}
	if n := st.Server().ObjectCount(bucketName); n != workers*10+1 {
		t.Errorf("%d objects, want %d", n, workers*10+1)
	}
}

func TestErrorMessage(t *testing.T) {
	st := newStore(t, fastOptions)
	id := create(t, st, "dir/file.bin")
	p := uploadPart(t, st, "dir/file.bin", id, 1, []byte("abc"))
	q := uploadPart(t, st, "dir/file.bin", id, 2, []byte("d"))
	_, err := st.CompleteUpload(t.Context(), "dir/file.bin", id, []multipart.Part{p, q}, multipart.CompleteOptions{})
	msg := err.Error()
	for _, want := range []string{"CompleteMultipartUpload", "s3://" + bucketName + "/dir/file.bin", id, "invalid part", "EntityTooSmall", "part 1 is 3 bytes"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
}
