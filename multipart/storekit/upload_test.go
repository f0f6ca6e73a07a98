package storekit

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/s3commit/s3commit/multipart"
)

func TestCreateUpload(t *testing.T) {
	r, _ := newTestRequests()
	ctx := context.Background()
	id, err := r.CreateUpload(ctx, "k", func() (string, error) { return "up-1", nil })
	if err != nil || id != "up-1" {
		t.Errorf("CreateUpload = %q, %v", id, err)
	}
	_, err = r.CreateUpload(ctx, "k", func() (string, error) { return "", nil })
	if e := requireKind(t, err, nil); e.Op != "CreateMultipartUpload" || e.Key != "k" || !strings.Contains(e.Error(), "no upload ID") {
		t.Errorf("an answer without an upload ID: %v", err)
	}
	_, err = r.CreateUpload(ctx, "k", func() (string, error) { return "", answer{"AccessDenied", 403} })
	requireKind(t, err, multipart.ErrAccessDenied)
}

func TestUploadPart(t *testing.T) {
	r, _ := newTestRequests()
	ctx := context.Background()
	var sent []string
	send := func(body *SizedBody) (string, error) {
		data, err := io.ReadAll(body)
		sent = append(sent, string(data))
		return `"etag-` + string(data) + `"`, err
	}
	file := strings.NewReader("xxpartyy")
	_, _ = file.Seek(2, io.SeekStart)
	part, err := r.UploadPart(ctx, "k", "up", 7, file, 4, multipart.PartOptions{}, send)
	if err != nil || part != (multipart.Part{Number: 7, ETag: "etag-part", Size: 4}) {
		t.Errorf("UploadPart = %+v, %v", part, err)
	}

	for _, c := range []struct {
		name   string
		number int32
		body   io.ReadSeeker
		size   int64
	}{
		{"part 0", 0, bytes.NewReader(nil), 0},
		{"part 10001", multipart.MaxParts + 1, bytes.NewReader(nil), 0},
		{"negative size", 1, bytes.NewReader(nil), -1},
		{"nil body with size", 1, nil, 3},
	} {
		_, err := r.UploadPart(ctx, "k", "up", c.number, c.body, c.size, multipart.PartOptions{}, send)
		if e := requireKind(t, err, multipart.ErrInvalidArgument); e.Op != "UploadPart" || e.Key != "k" || e.UploadID != "up" {
			t.Errorf("%s: error fields: %+v", c.name, e)
		}
	}
	if len(sent) != 1 {
		t.Errorf("%d parts sent, want only the valid one", len(sent))
	}

	noETag := func(*SizedBody) (string, error) { return `""`, nil }
	_, err = r.UploadPart(ctx, "k", "up", 1, nil, 0, multipart.PartOptions{}, noETag)
	if e := requireKind(t, err, nil); !strings.Contains(e.Error(), "no ETag for part 1") {
		t.Errorf("an answer without an ETag: %v", err)
	}
	failed := func(*SizedBody) (string, error) { return "", answer{"NoSuchUpload", 404} }
	_, err = r.UploadPart(ctx, "k", "up", 1, nil, 0, multipart.PartOptions{}, failed)
	requireKind(t, err, multipart.ErrNoSuchUpload)
}

func TestCompleteUpload(t *testing.T) {
	r, _ := newTestRequests()
	ctx := context.Background()
	calls := 0
	complete := func(etag string, err error) func() (string, error) {
		return func() (string, error) { calls++; return etag, err }
	}
	parts := []multipart.Part{{Number: 1, ETag: "a"}, {Number: 2, ETag: `"b"`}}
	etag, err := r.CompleteUpload(ctx, "k", "up", parts, multipart.CompleteOptions{}, complete(`"abc-2"`, nil))
	if err != nil || etag != "abc-2" {
		t.Errorf("CompleteUpload = %q, %v; want the ETag unquoted", etag, err)
	}

	for _, bad := range [][]multipart.Part{
		nil,
		{{Number: 1, ETag: ""}},
		{{Number: 1, ETag: `""`}},
		{{Number: 0, ETag: "abc"}},
		{{Number: multipart.MaxParts + 1, ETag: "abc"}},
	} {
		_, err := r.CompleteUpload(ctx, "k", "up", bad, multipart.CompleteOptions{}, complete("x", nil))
		if e := requireKind(t, err, multipart.ErrInvalidPart); e.Op != "CompleteMultipartUpload" || e.UploadID != "up" {
			t.Errorf("error fields: %+v", e)
		}
	}
	if calls != 1 {
		t.Errorf("%d completions sent, want only the valid one", calls)
	}

	// If-Match on a key without an object: S3 answers 404 NoSuchKey.
	notFound := complete("", answer{"NoSuchKey", 404})
	_, err = r.CompleteUpload(ctx, "k", "up", parts, multipart.CompleteOptions{IfMatch: "abc"}, notFound)
	requireKind(t, err, multipart.ErrPreconditionFailed)
	_, err = r.CompleteUpload(ctx, "k", "up", parts, multipart.CompleteOptions{}, notFound)
	requireKind(t, err, multipart.ErrNotFound)
}

func TestQuoteETag(t *testing.T) {
	for _, etag := range []string{"abc", `"abc"`, ` W/"abc" `} {
		if got := QuoteETag(etag); got != `"abc"` {
			t.Errorf("QuoteETag(%q) = %q", etag, got)
		}
	}
}
