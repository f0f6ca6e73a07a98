package storekit

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/s3commit/s3commit/multipart"
)

func TestPutObject(t *testing.T) {
	r, _ := newTestRequests()
	ctx := context.Background()
	var stored string
	send := func(body *SizedBody) (string, error) {
		data, err := io.ReadAll(body)
		stored = string(data)
		return `"etag"`, err
	}
	body := strings.NewReader("xxhello!yy")
	_, _ = body.Seek(2, io.SeekStart)
	etag, err := r.PutObject(ctx, "o", body, 6, send)
	if err != nil || etag != "etag" || stored != "hello!" {
		t.Errorf("PutObject = %q, %v; stored %q", etag, err, stored)
	}
	stored = "not sent"
	_, err = r.PutObject(ctx, "o", nil, 3, send)
	if e := requireKind(t, err, multipart.ErrInvalidArgument); e.Op != "PutObject" || e.Key != "o" || stored != "not sent" {
		t.Errorf("nil body with size: %+v, sent %q", e, stored)
	}
	_, err = r.PutObject(ctx, "o", strings.NewReader("ab"), 5, send)
	requireKind(t, err, multipart.ErrInvalidArgument) // short body
	_, err = r.PutObject(ctx, "o", nil, 0, func(*SizedBody) (string, error) { return "", answer{"PreconditionFailed", 412} })
	requireKind(t, err, multipart.ErrPreconditionFailed)
}

func TestGetObject(t *testing.T) {
	r, _ := newTestRequests()
	ctx := context.Background()
	want := multipart.ObjectInfo{Key: "o", Size: 2}
	body, info, err := r.GetObject(ctx, "o", func() (io.ReadCloser, multipart.ObjectInfo, error) {
		return io.NopCloser(strings.NewReader("hi")), want, nil
	})
	if err != nil || info != want || body == nil {
		t.Errorf("GetObject = %v, %+v, %v", body, info, err)
	}
	body, _, err = r.GetObject(ctx, "o", func() (io.ReadCloser, multipart.ObjectInfo, error) {
		return nil, want, answer{"NoSuchKey", 404}
	})
	if e := requireKind(t, err, multipart.ErrNotFound); e.Op != "GetObject" || body != nil {
		t.Errorf("GetObject of a missing key: %v, %+v", body, e)
	}
}

func TestHeadObject(t *testing.T) {
	ctx := context.Background()
	found := func() (multipart.ObjectInfo, error) { return multipart.ObjectInfo{Key: "o", Size: 1}, nil }
	missing := func() (multipart.ObjectInfo, error) { return multipart.ObjectInfo{}, answer{"NotFound", 404} }
	denied := func() (multipart.ObjectInfo, error) { return multipart.ObjectInfo{}, answer{"Forbidden", 403} }
	cases := []struct {
		name          string
		head          func() (multipart.ObjectInfo, error)
		bucketMissing bool
		wantKind      error
		wantAsked     bool // bucketMissing is called
	}{
		{"found", found, false, nil, false},
		{"missing key", missing, false, multipart.ErrNotFound, true},
		{"missing bucket", missing, true, multipart.ErrBucketNotFound, true},
		{"denied", denied, true, multipart.ErrAccessDenied, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, _ := newTestRequests()
			asked := false
			info, err := r.HeadObject(ctx, "o", c.head, func() bool { asked = true; return c.bucketMissing })
			if asked != c.wantAsked {
				t.Errorf("bucketMissing called: %v, want %v", asked, c.wantAsked)
			}
			if c.wantKind == nil {
				if err != nil || info.Key != "o" {
					t.Errorf("HeadObject = %+v, %v", info, err)
				}
				return
			}
			if e := requireKind(t, err, c.wantKind); e.Op != "HeadObject" || e.Key != "o" {
				t.Errorf("error fields: %+v", e)
			}
		})
	}
}
