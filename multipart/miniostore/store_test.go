package miniostore

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/s3commit/s3commit/multipart"
)

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func newFakeStore(t *testing.T, opts Options) (*Store, *fakeS3) {
	t.Helper()
	f, srv := newFakeS3(t, "bkt")
	if opts.Bucket == "" {
		opts.Bucket = "bkt"
	}
	opts.Endpoint = srv.URL
	opts.AccessKeyID, opts.SecretAccessKey = "AKID", "SECRET"
	opts.RetryMaxAttempts = 1
	if opts.ListPageSize == 0 {
		opts.ListPageSize = 2
	}
	st, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return st, f
}

// putObjectRequests returns the recorded PutObject requests.
func putObjectRequests(f *fakeS3) []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeRequest
	for _, r := range f.requests {
		if r.method == "PUT" && !r.query.Has("partNumber") {
			out = append(out, r)
		}
	}
	return out
}

func requireKind(t *testing.T, err, kind error) *multipart.Error {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("error %v is not %v", err, kind)
	}
	var e *multipart.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *multipart.Error", err, err)
	}
	return e
}

func TestListUploadsPaging(t *testing.T) {
	for _, versitygw := range []bool{false, true} {
		cases := []struct {
			name   string
			keys   []string // uploads to create, in order
			prefix string
			want   []string // listed keys
		}{
			{"exact key, several pages", []string{"p/x", "p/x", "p/x", "p/y"}, "p/x", []string{"p/x", "p/x", "p/x"}},
			{"prefix across keys", []string{"p/a", "p/b", "p/b", "p/b", "p/c", "q/z"}, "p/", []string{"p/a", "p/b", "p/b", "p/b", "p/c"}},
			{"whole bucket", []string{"a", "bb", "bb", "c", "c", "d"}, "", []string{"a", "bb", "bb", "c", "c", "d"}},
			{"one page", []string{"k"}, "k", []string{"k"}},
			{"none", []string{"k"}, "other", nil},
		}
		for _, c := range cases {
			t.Run(fmt.Sprintf("versitygw=%v/%s", versitygw, c.name), func(t *testing.T) {
				st, f := newFakeStore(t, Options{})
				f.versitygwMarkers = versitygw
				ids := map[string]bool{}
				for _, k := range c.keys {
					ids[f.addUpload(k)] = true
				}
				for range 2 { // the second listing reuses what the first learnt
					var got []string
					seen := map[string]bool{}
					for u, err := range st.ListUploads(context.Background(), c.prefix) {
						if err != nil {
							t.Fatalf("ListUploads: %v", err)
						}
						if seen[u.UploadID] || !ids[u.UploadID] {
							t.Fatalf("upload %s listed twice or unknown", u.UploadID)
						}
						seen[u.UploadID] = true
						if u.Initiated.IsZero() {
							t.Errorf("Initiated not set")
						}
						got = append(got, u.Key)
					}
					if strings.Join(got, ",") != strings.Join(c.want, ",") {
						t.Fatalf("listed %v, want %v", got, c.want)
					}
				}
				// With versitygw the S3-style marker pair is tried once at
				// most, then the store's style is kept.
				rejected := 0
				for _, r := range f.recorded("GET", "uploads") {
					if r.query.Get("max-uploads") != "2" {
						t.Errorf("max-uploads = %q", r.query.Get("max-uploads"))
					}
					km, im := r.query.Get("key-marker"), r.query.Get("upload-id-marker")
					if im == "" {
						continue
					}
					for _, u := range f.uploads {
						if u.id == im && u.key == km {
							rejected++
						}
					}
				}
				if versitygw && rejected > 1 {
					t.Errorf("%d requests with S3-style markers, want at most 1", rejected)
				}
			})
		}
	}
}

func TestListUploadsStopsAndFails(t *testing.T) {
	st, f := newFakeStore(t, Options{})
	for range 5 {
		f.addUpload("k")
	}
	n := 0
	for _, err := range st.ListUploads(context.Background(), "k") {
		if err != nil {
			t.Fatal(err)
		}
		n++
		break
	}
	if n != 1 || len(f.recorded("GET", "uploads")) != 1 {
		t.Errorf("early stop: %d yielded, %d requests", n, len(f.recorded("GET", "uploads")))
	}

	f.noBucket = true
	var errs []error
	for u, err := range st.ListUploads(context.Background(), "") {
		if err == nil {
			t.Fatalf("yielded %v from a missing bucket", u)
		}
		errs = append(errs, err)
	}
	if len(errs) != 1 {
		t.Fatalf("yielded %d errors, want 1", len(errs))
	}
	e := requireKind(t, errs[0], multipart.ErrBucketNotFound)
	if e.Op != "ListMultipartUploads" || e.Bucket != "bkt" {
		t.Errorf("error fields: %+v", e)
	}
}

func TestListObjectsPaging(t *testing.T) {
	st, f := newFakeStore(t, Options{})
	for i := range 5 {
		f.objects[fmt.Sprintf("dir/o%d", i)] = []byte(strings.Repeat("x", i))
	}
	f.objects["other"] = []byte("y")
	var got []string
	for o, err := range st.ListObjects(context.Background(), "dir/") {
		if err != nil {
			t.Fatal(err)
		}
		if o.ETag == "" || strings.Contains(o.ETag, `"`) || o.LastModified.IsZero() || o.Size != int64(len(got)) {
			t.Errorf("object %+v", o)
		}
		got = append(got, o.Key)
	}
	if strings.Join(got, ",") != "dir/o0,dir/o1,dir/o2,dir/o3,dir/o4" {
		t.Fatalf("listed %v", got)
	}
	if n := len(f.recorded("GET", "list-type")); n != 3 {
		t.Errorf("%d requests, want 3 pages", n)
	}
}

func TestPartsRoundTrip(t *testing.T) {
	st, f := newFakeStore(t, Options{})
	ctx := context.Background()
	id, err := st.CreateUpload(ctx, "dir/file.bin", multipart.CreateOptions{ContentType: "text/plain", Metadata: map[string]string{"job": "j1"}})
	if err != nil {
		t.Fatal(err)
	}
	create := f.recorded("POST", "uploads")[0]
	if create.header.Get("Content-Type") != "text/plain" || create.header.Get("X-Amz-Meta-Job") != "j1" {
		t.Errorf("create headers: %v", create.header)
	}

	// Part bodies come from the reader's current position and stop at size.
	file := []byte("HEADERpart-one|part-two|TRAILER")
	for _, p := range []struct {
		number     int32
		off, size  int64
		wantSize   int64
		wantString string
	}{
		{3, 0, 0, 0, ""},
		{2, 15, 9, 9, "part-two|"},
		{1, 6, 9, 9, "part-one|"},
	} {
		r := bytes.NewReader(file)
		if _, err := r.Seek(p.off, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		part, err := st.UploadPart(ctx, "dir/file.bin", id, p.number, r, p.size)
		if err != nil {
			t.Fatalf("UploadPart %d: %v", p.number, err)
		}
		if part.Number != p.number || part.Size != p.wantSize || part.ETag == "" || strings.Contains(part.ETag, `"`) {
			t.Errorf("part %+v", part)
		}
		if got := string(f.findUpload("dir/file.bin", id).parts[int(p.number)].data); got != p.wantString {
			t.Errorf("part %d stored %q, want %q", p.number, got, p.wantString)
		}
	}
	for _, r := range f.recorded("PUT", "partNumber") {
		// Streaming signatures frame the body; the decoded length is the
		// part's.
		if got := r.header.Get("X-Amz-Decoded-Content-Length"); got != fmt.Sprint(len(r.body)) {
			t.Errorf("X-Amz-Decoded-Content-Length %q for a body of %d bytes", got, len(r.body))
		}
	}

	listed, err := st.ListParts(ctx, "dir/file.bin", id)
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 3 || listed[0].Number != 1 || listed[1].Number != 2 || listed[2].Number != 3 {
		t.Fatalf("ListParts = %+v", listed)
	}
	for _, p := range listed {
		if p.LastModified.IsZero() || strings.Contains(p.ETag, `"`) {
			t.Errorf("listed part %+v", p)
		}
	}
	if n := len(f.recorded("GET", "uploadId")); n != 2 {
		t.Errorf("ListParts made %d requests, want 2 pages", n)
	}

	// Complete with ETags given quoted and unquoted; S3 gets them quoted.
	in := []multipart.Part{listed[0], listed[1], listed[2]}
	in[0].ETag = `"` + in[0].ETag + `"`
	etag, err := st.CompleteUpload(ctx, "dir/file.bin", id, in, multipart.CompleteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if etag != "fake-3" {
		t.Errorf("CompleteUpload ETag = %q, want it unquoted", etag)
	}
	if got := string(f.objects["dir/file.bin"]); got != "part-one|part-two|" {
		t.Errorf("object = %q", got)
	}
	body := string(f.recorded("POST", "uploadId")[0].body)
	if !strings.Contains(body, "<ETag>&#34;"+listed[0].ETag+"&#34;</ETag>") && !strings.Contains(body, `<ETag>"`+listed[0].ETag+`"</ETag>`) {
		t.Errorf("complete body does not quote the ETag: %s", body)
	}
}

func TestUploadPartRejectsBadInput(t *testing.T) {
	st, f := newFakeStore(t, Options{})
	ctx := context.Background()
	id := f.addUpload("k")
	cases := []struct {
		name   string
		number int32
		body   io.ReadSeeker
		size   int64
		kind   error
	}{
		{"part 0", 0, bytes.NewReader(nil), 0, multipart.ErrInvalidArgument},
		{"part 10001", multipart.MaxParts + 1, bytes.NewReader(nil), 0, multipart.ErrInvalidArgument},
		{"negative size", 1, bytes.NewReader(nil), -1, multipart.ErrInvalidArgument},
		{"nil body with size", 1, nil, 3, multipart.ErrInvalidArgument},
		{"short body", 1, bytes.NewReader([]byte("ab")), 5, multipart.ErrInvalidArgument},
		{"unknown upload", 1, bytes.NewReader([]byte("ab")), 2, multipart.ErrNoSuchUpload},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			uploadID := id
			if c.kind == multipart.ErrNoSuchUpload {
				uploadID = "nope"
			}
			_, err := st.UploadPart(ctx, "k", uploadID, c.number, c.body, c.size)
			e := requireKind(t, err, c.kind)
			if e.Op != "UploadPart" || e.Key != "k" || e.UploadID != uploadID {
				t.Errorf("error fields: %+v", e)
			}
		})
	}
	// A nil body of size zero is an empty part.
	if _, err := st.UploadPart(ctx, "k", id, 1, nil, 0); err != nil {
		t.Errorf("nil empty body: %v", err)
	}
}

func TestCompleteConditions(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name       string
		existing   string // object already under the key, if any
		opts       multipart.CompleteOptions
		wantHeader map[string]string
		wantKind   error
	}{
		{"if-none-match on new key", "", multipart.CompleteOptions{IfNoneMatch: true}, map[string]string{"If-None-Match": "*"}, nil},
		{"if-none-match on existing key", "v1", multipart.CompleteOptions{IfNoneMatch: true}, map[string]string{"If-None-Match": "*"}, multipart.ErrPreconditionFailed},
		{"if-match unquoted", "v1", multipart.CompleteOptions{IfMatch: md5hex("v1")}, map[string]string{"If-Match": `"` + md5hex("v1") + `"`}, nil},
		{"if-match quoted", "v1", multipart.CompleteOptions{IfMatch: `"` + md5hex("v1") + `"`}, map[string]string{"If-Match": `"` + md5hex("v1") + `"`}, nil},
		{"if-match wrong", "v1", multipart.CompleteOptions{IfMatch: md5hex("v0")}, nil, multipart.ErrPreconditionFailed},
		{"if-match without object", "", multipart.CompleteOptions{IfMatch: md5hex("v0")}, nil, multipart.ErrPreconditionFailed},
		{"no condition", "v1", multipart.CompleteOptions{}, map[string]string{"If-None-Match": "", "If-Match": ""}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, f := newFakeStore(t, Options{})
			if c.existing != "" {
				f.objects["k"] = []byte(c.existing)
			}
			id := f.addUpload("k")
			part, err := st.UploadPart(ctx, "k", id, 1, strings.NewReader("v2"), 2)
			if err != nil {
				t.Fatal(err)
			}
			_, err = st.CompleteUpload(ctx, "k", id, []multipart.Part{part}, c.opts)
			if c.wantKind == nil && err != nil {
				t.Fatalf("CompleteUpload: %v", err)
			}
			if c.wantKind != nil {
				e := requireKind(t, err, c.wantKind)
				if e.Op != "CompleteMultipartUpload" || e.UploadID != id {
					t.Errorf("error fields: %+v", e)
				}
			}
			req := f.recorded("POST", "uploadId")[0]
			for h, want := range c.wantHeader {
				if got := req.header.Get(h); got != want {
					t.Errorf("%s = %q, want %q", h, got, want)
				}
			}
		})
	}
}

func TestCompleteRejectsBadPartLists(t *testing.T) {
	st, f := newFakeStore(t, Options{})
	id := f.addUpload("k")
	for _, parts := range [][]multipart.Part{
		nil,
		{{Number: 1, ETag: ""}},
		{{Number: 0, ETag: "abc"}},
		{{Number: multipart.MaxParts + 1, ETag: "abc"}},
	} {
		_, err := st.CompleteUpload(context.Background(), "k", id, parts, multipart.CompleteOptions{})
		requireKind(t, err, multipart.ErrInvalidPart)
	}
	if n := len(f.recorded("POST", "uploadId")); n != 0 {
		t.Errorf("%d requests sent for part lists rejected locally", n)
	}
}

func TestPutObject(t *testing.T) {
	st, f := newFakeStore(t, Options{UnsignedPayload: true})
	ctx := context.Background()
	r := strings.NewReader("xxhello!yy")
	_, _ = r.Seek(2, io.SeekStart)
	etag, err := st.PutObject(ctx, "o", r, 6, multipart.PutOptions{ContentType: "application/json", IfNoneMatch: true})
	if err != nil {
		t.Fatal(err)
	}
	if etag != md5hex("hello!") || string(f.objects["o"]) != "hello!" {
		t.Errorf("PutObject ETag %q, stored %q", etag, f.objects["o"])
	}
	req := putObjectRequests(f)[0]
	if req.header.Get("If-None-Match") != "*" || req.header.Get("Content-Type") != "application/json" {
		t.Errorf("headers: %v", req.header)
	}
	if got := req.header.Get("X-Amz-Content-Sha256"); got != "UNSIGNED-PAYLOAD" {
		t.Errorf("X-Amz-Content-Sha256 = %q with UnsignedPayload", got)
	}
	_, err = st.PutObject(ctx, "o", strings.NewReader("again"), 5, multipart.PutOptions{IfNoneMatch: true})
	requireKind(t, err, multipart.ErrPreconditionFailed)

	rc, info, err := st.GetObject(ctx, "o")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	if string(data) != "hello!" || info.Size != 6 || info.ETag != etag || info.Key != "o" || info.LastModified.IsZero() {
		t.Errorf("GetObject = %q, %+v", data, info)
	}
	head, err := st.HeadObject(ctx, "o")
	if err != nil || head != info {
		t.Errorf("HeadObject = %+v, %v; want %+v", head, err, info)
	}
}

func TestSignedPayload(t *testing.T) {
	st, f := newFakeStore(t, Options{})
	ctx := context.Background()
	if _, err := st.PutObject(ctx, "o", strings.NewReader("abc"), 3, multipart.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	id := f.addUpload("k")
	if _, err := st.UploadPart(ctx, "k", id, 1, strings.NewReader("abc"), 3); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, req := range f.requests {
		if req.method != "PUT" {
			continue
		}
		// Over plain HTTP minio-go signs bodies with a streaming signature.
		if got := req.header.Get("X-Amz-Content-Sha256"); got != "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" {
			t.Errorf("X-Amz-Content-Sha256 = %q", got)
		}
		if string(req.body) != "abc" {
			t.Errorf("body %q", req.body)
		}
	}
}

func TestHeadObjectMissingKeyOrBucket(t *testing.T) {
	st, f := newFakeStore(t, Options{})
	ctx := context.Background()
	_, err := st.HeadObject(ctx, "missing")
	e := requireKind(t, err, multipart.ErrNotFound)
	if e.Op != "HeadObject" || e.Key != "missing" {
		t.Errorf("error fields: %+v", e)
	}
	f.noBucket = true
	_, err = st.HeadObject(ctx, "missing")
	requireKind(t, err, multipart.ErrBucketNotFound)
	if errors.Is(err, multipart.ErrNotFound) {
		t.Errorf("a missing bucket is also ErrNotFound: %v", err)
	}
	_, _, err = st.GetObject(ctx, "missing")
	requireKind(t, err, multipart.ErrBucketNotFound)
}

func TestAbortUpload(t *testing.T) {
	st, f := newFakeStore(t, Options{})
	ctx := context.Background()
	id := f.addUpload("k")
	if err := st.AbortUpload(ctx, "k", id); err != nil {
		t.Fatal(err)
	}
	if len(f.uploads) != 0 {
		t.Fatal("upload not aborted")
	}
	// The fake, like MinIO, answers 204 for an unknown upload.
	e := requireKind(t, st.AbortUpload(ctx, "k", id), multipart.ErrNoSuchUpload)
	if e.Op != "AbortMultipartUpload" || e.UploadID != id {
		t.Errorf("error fields: %+v", e)
	}
	f.noBucket = true
	requireKind(t, st.AbortUpload(ctx, "k", id), multipart.ErrBucketNotFound)
}

func TestDeleteObjects(t *testing.T) {
	st, f := newFakeStore(t, Options{})
	ctx := context.Background()
	var keys []string
	for i := range 2500 {
		k := fmt.Sprintf("k%04d", i)
		keys = append(keys, k)
		f.objects[k] = []byte("x")
	}
	keys = append(keys, "never-existed")
	f.deleteErrors["k0005"] = "AccessDenied"
	f.deleteErrors["k2100"] = "InternalError"
	f.deleteErrors["never-existed"] = "NoSuchKey"

	err := st.DeleteObjects(ctx, keys)
	var failed []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var me *multipart.Error
		if !errors.As(e, &me) || me.Op != "DeleteObjects" {
			t.Fatalf("joined error %v is not a DeleteObjects *multipart.Error", e)
		}
		failed = append(failed, me.Key)
	}
	if strings.Join(failed, ",") != "k0005,k2100" {
		t.Fatalf("failed keys %v", failed)
	}
	if !errors.Is(err, multipart.ErrAccessDenied) || !errors.Is(err, multipart.ErrServer) {
		t.Errorf("kinds missing from %v", err)
	}
	reqs := f.recorded("POST", "delete")
	if len(reqs) != 3 {
		t.Fatalf("%d DeleteObjects requests, want 3", len(reqs))
	}
	for _, r := range reqs {
		if n := bytes.Count(r.body, []byte("<Object>")); n > 1000 {
			t.Errorf("a request names %d keys", n)
		}
	}
	if len(f.objects) != 2 {
		t.Errorf("%d objects remain, want the 2 that failed", len(f.objects))
	}
	if err := st.DeleteObjects(ctx, nil); err != nil || len(f.recorded("POST", "delete")) != 3 {
		t.Errorf("DeleteObjects(nil) = %v or sent a request", err)
	}

	f.noBucket = true
	err = st.DeleteObjects(ctx, []string{"a", "b"})
	requireKind(t, err, multipart.ErrBucketNotFound)
	if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != 2 {
		t.Errorf("%d errors for 2 keys of a failed request", n)
	}
}

func TestCancelledContext(t *testing.T) {
	st, f := newFakeStore(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := st.CreateUpload(ctx, "k", multipart.CreateOptions{})
	if !errors.Is(err, context.Canceled) || multipart.KindOf(err) != nil {
		t.Errorf("CreateUpload with a cancelled context: %v (kind %v)", err, multipart.KindOf(err))
	}
	for _, err := range st.ListObjects(ctx, "") {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("ListObjects: %v", err)
		}
	}
	if len(f.requests) != 0 {
		t.Errorf("%d requests sent with a cancelled context", len(f.requests))
	}
}
