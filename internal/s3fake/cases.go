package s3fake

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

// NewStore returns the backend's Store on [Bucket] at endpoint, a
// [Server]'s URL: path-style addressing, any static credentials, one
// attempt per request (no retries), a list page size of 2 and otherwise
// the backend's default options.
type NewStore func(t *testing.T, endpoint string) multipart.Store

// Run runs, as subtests of t, the tests that are the same for every
// backend: each starts a Server, makes a Store on it with newStore and
// checks both what the Store returns and what the Server received. What
// only one backend does (the headers its client library sends, its own
// options) its own tests check.
func Run(t *testing.T, newStore NewStore) {
	for _, c := range []struct {
		name string
		test func(*testing.T, NewStore)
	}{
		{"ListUploadsPaging", testListUploadsPaging},
		{"ListUploadsStopsAndFails", testListUploadsStopsAndFails},
		{"ListObjectsPaging", testListObjectsPaging},
		{"ListingLoops", testListingLoops},
		{"HugeAnswers", testHugeAnswers},
		{"PartsRoundTrip", testPartsRoundTrip},
		{"UploadPartRejectsBadInput", testUploadPartRejectsBadInput},
		{"CompleteConditions", testCompleteConditions},
		{"CompleteRejectsBadPartLists", testCompleteRejectsBadPartLists},
		{"PutObject", testPutObject},
		{"HeadObjectMissingKeyOrBucket", testHeadObjectMissingKeyOrBucket},
		{"AbortUpload", testAbortUpload},
		{"DeleteObjects", testDeleteObjects},
		{"CancelledContext", testCancelledContext},
	} {
		t.Run(c.name, func(t *testing.T) { c.test(t, newStore) })
	}
}

// start starts a Server and returns a Store on it.
func start(t *testing.T, newStore NewStore) (multipart.Store, *Server) {
	t.Helper()
	srv := NewServer(t)
	return newStore(t, srv.URL()), srv
}

// md5Hex returns the hex MD5 of s: the ETag the Server gives an object or
// part with content s.
func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// object returns the content of an object of srv, "" if there is none.
func object(srv *Server, key string) string {
	data, _ := srv.Object(key)
	return string(data)
}

// requireKind fails the test unless err is a *multipart.Error of kind, and
// returns it.
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

func testListUploadsPaging(t *testing.T, newStore NewStore) {
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
				st, srv := start(t, newStore)
				srv.SetVersityGWMarkers(versitygw)
				ids := map[string]bool{}
				for _, k := range c.keys {
					ids[srv.AddUpload(k)] = true
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
				for _, r := range srv.Recorded("GET", "uploads") {
					if r.Query.Get("max-uploads") != "2" {
						t.Errorf("max-uploads = %q", r.Query.Get("max-uploads"))
					}
					km, im := r.Query.Get("key-marker"), r.Query.Get("upload-id-marker")
					if im == "" {
						continue
					}
					for _, u := range srv.Uploads() {
						if u.UploadID == im && u.Key == km {
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

func testListUploadsStopsAndFails(t *testing.T, newStore NewStore) {
	st, srv := start(t, newStore)
	for range 5 {
		srv.AddUpload("k")
	}
	n := 0
	for _, err := range st.ListUploads(context.Background(), "k") {
		if err != nil {
			t.Fatal(err)
		}
		n++
		break
	}
	if n != 1 || len(srv.Recorded("GET", "uploads")) != 1 {
		t.Errorf("early stop: %d yielded, %d requests", n, len(srv.Recorded("GET", "uploads")))
	}

	srv.SetBucketMissing(true)
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

func testListObjectsPaging(t *testing.T, newStore NewStore) {
	st, srv := start(t, newStore)
	for i := range 5 {
		srv.SetObject(fmt.Sprintf("dir/o%d", i), []byte(strings.Repeat("x", i)))
	}
	srv.SetObject("other", []byte("y"))
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
	if n := len(srv.Recorded("GET", "list-type")); n != 3 {
		t.Errorf("%d requests, want 3 pages", n)
	}
}

func testPartsRoundTrip(t *testing.T, newStore NewStore) {
	st, srv := start(t, newStore)
	ctx := context.Background()
	id, err := st.CreateUpload(ctx, "dir/file.bin", multipart.CreateOptions{ContentType: "text/plain", Metadata: map[string]string{"job": "j1"}})
	if err != nil {
		t.Fatal(err)
	}
	create := srv.Recorded("POST", "uploads")[0]
	if create.Header.Get("Content-Type") != "text/plain" || create.Header.Get("X-Amz-Meta-Job") != "j1" {
		t.Errorf("create headers: %v", create.Header)
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
		part, err := st.UploadPart(ctx, "dir/file.bin", id, p.number, r, p.size, multipart.PartOptions{})
		if err != nil {
			t.Fatalf("UploadPart %d: %v", p.number, err)
		}
		if part.Number != p.number || part.Size != p.wantSize || part.ETag == "" || strings.Contains(part.ETag, `"`) {
			t.Errorf("part %+v", part)
		}
		if got, _ := srv.PartData("dir/file.bin", id, int(p.number)); string(got) != p.wantString {
			t.Errorf("part %d stored %q, want %q", p.number, got, p.wantString)
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
	if n := len(srv.Recorded("GET", "uploadId")); n != 2 {
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
	if got := object(srv, "dir/file.bin"); got != "part-one|part-two|" {
		t.Errorf("object = %q", got)
	}
	body := string(srv.Recorded("POST", "uploadId")[0].Body)
	if !strings.Contains(body, "<ETag>&#34;"+listed[0].ETag+"&#34;</ETag>") && !strings.Contains(body, `<ETag>"`+listed[0].ETag+`"</ETag>`) {
		t.Errorf("complete body does not quote the ETag: %s", body)
	}
}

func testUploadPartRejectsBadInput(t *testing.T, newStore NewStore) {
	st, srv := start(t, newStore)
	ctx := context.Background()
	id := srv.AddUpload("k")
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
			_, err := st.UploadPart(ctx, "k", uploadID, c.number, c.body, c.size, multipart.PartOptions{})
			e := requireKind(t, err, c.kind)
			if e.Op != "UploadPart" || e.Key != "k" || e.UploadID != uploadID {
				t.Errorf("error fields: %+v", e)
			}
		})
	}
	// A nil body of size zero is an empty part.
	if _, err := st.UploadPart(ctx, "k", id, 1, nil, 0, multipart.PartOptions{}); err != nil {
		t.Errorf("nil empty body: %v", err)
	}
}

func testCompleteConditions(t *testing.T, newStore NewStore) {
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
		{"if-match unquoted", "v1", multipart.CompleteOptions{IfMatch: md5Hex("v1")}, map[string]string{"If-Match": `"` + md5Hex("v1") + `"`}, nil},
		{"if-match quoted", "v1", multipart.CompleteOptions{IfMatch: `"` + md5Hex("v1") + `"`}, map[string]string{"If-Match": `"` + md5Hex("v1") + `"`}, nil},
		{"if-match wrong", "v1", multipart.CompleteOptions{IfMatch: md5Hex("v0")}, nil, multipart.ErrPreconditionFailed},
		{"if-match without object", "", multipart.CompleteOptions{IfMatch: md5Hex("v0")}, nil, multipart.ErrPreconditionFailed},
		{"no condition", "v1", multipart.CompleteOptions{}, map[string]string{"If-None-Match": "", "If-Match": ""}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, srv := start(t, newStore)
			if c.existing != "" {
				srv.SetObject("k", []byte(c.existing))
			}
			id := srv.AddUpload("k")
			part, err := st.UploadPart(ctx, "k", id, 1, strings.NewReader("v2"), 2, multipart.PartOptions{})
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
			req := srv.Recorded("POST", "uploadId")[0]
			for h, want := range c.wantHeader {
				if got := req.Header.Get(h); got != want {
					t.Errorf("%s = %q, want %q", h, got, want)
				}
			}
		})
	}
}

func testCompleteRejectsBadPartLists(t *testing.T, newStore NewStore) {
	st, srv := start(t, newStore)
	id := srv.AddUpload("k")
	for _, parts := range [][]multipart.Part{
		nil,
		{{Number: 1, ETag: ""}},
		{{Number: 0, ETag: "abc"}},
		{{Number: multipart.MaxParts + 1, ETag: "abc"}},
	} {
		_, err := st.CompleteUpload(context.Background(), "k", id, parts, multipart.CompleteOptions{})
		requireKind(t, err, multipart.ErrInvalidPart)
	}
	if n := len(srv.Recorded("POST", "uploadId")); n != 0 {
		t.Errorf("%d requests sent for part lists rejected locally", n)
	}
}

func testPutObject(t *testing.T, newStore NewStore) {
	st, srv := start(t, newStore)
	ctx := context.Background()
	r := strings.NewReader("xxhello!yy")
	_, _ = r.Seek(2, io.SeekStart)
	etag, err := st.PutObject(ctx, "o", r, 6, multipart.PutOptions{ContentType: "application/json", IfNoneMatch: true})
	if err != nil {
		t.Fatal(err)
	}
	if etag != md5Hex("hello!") || object(srv, "o") != "hello!" {
		t.Errorf("PutObject ETag %q, stored %q", etag, object(srv, "o"))
	}
	req := srv.PutObjectRequests()[0]
	if req.Header.Get("If-None-Match") != "*" || req.Header.Get("Content-Type") != "application/json" {
		t.Errorf("headers: %v", req.Header)
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

func testHeadObjectMissingKeyOrBucket(t *testing.T, newStore NewStore) {
	st, srv := start(t, newStore)
	ctx := context.Background()
	_, err := st.HeadObject(ctx, "missing")
	e := requireKind(t, err, multipart.ErrNotFound)
	if e.Op != "HeadObject" || e.Key != "missing" {
		t.Errorf("error fields: %+v", e)
	}
	srv.SetBucketMissing(true)
	_, err = st.HeadObject(ctx, "missing")
	requireKind(t, err, multipart.ErrBucketNotFound)
	if errors.Is(err, multipart.ErrNotFound) {
		t.Errorf("a missing bucket is also ErrNotFound: %v", err)
	}
	_, _, err = st.GetObject(ctx, "missing")
	requireKind(t, err, multipart.ErrBucketNotFound)
}

func testAbortUpload(t *testing.T, newStore NewStore) {
	st, srv := start(t, newStore)
	ctx := context.Background()
	id := srv.AddUpload("k")
	if err := st.AbortUpload(ctx, "k", id); err != nil {
		t.Fatal(err)
	}
	if len(srv.Uploads()) != 0 {
		t.Fatal("upload not aborted")
	}
	// The fake, like MinIO, answers 204 for an unknown upload.
	e := requireKind(t, st.AbortUpload(ctx, "k", id), multipart.ErrNoSuchUpload)
	if e.Op != "AbortMultipartUpload" || e.UploadID != id {
		t.Errorf("error fields: %+v", e)
	}
	srv.SetBucketMissing(true)
	requireKind(t, st.AbortUpload(ctx, "k", id), multipart.ErrBucketNotFound)
}

func testDeleteObjects(t *testing.T, newStore NewStore) {
	st, srv := start(t, newStore)
	ctx := context.Background()
	var keys []string
	for i := range 2500 {
		k := fmt.Sprintf("k%04d", i)
		keys = append(keys, k)
		srv.SetObject(k, []byte("x"))
	}
	keys = append(keys, "never-existed")
	srv.FailDelete("k0005", "AccessDenied")
	srv.FailDelete("k2100", "InternalError")
	srv.FailDelete("never-existed", "NoSuchKey")

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
	reqs := srv.Recorded("POST", "delete")
	if len(reqs) != 3 {
		t.Fatalf("%d DeleteObjects requests, want 3", len(reqs))
	}
	for _, r := range reqs {
		if n := bytes.Count(r.Body, []byte("<Object>")); n > 1000 {
			t.Errorf("a request names %d keys", n)
		}
	}
	if srv.ObjectCount() != 2 {
		t.Errorf("%d objects remain, want the 2 that failed", srv.ObjectCount())
	}
	if err := st.DeleteObjects(ctx, nil); err != nil || len(srv.Recorded("POST", "delete")) != 3 {
		t.Errorf("DeleteObjects(nil) = %v or sent a request", err)
	}

	srv.SetBucketMissing(true)
	err = st.DeleteObjects(ctx, []string{"a", "b"})
	requireKind(t, err, multipart.ErrBucketNotFound)
	if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != 2 {
		t.Errorf("%d errors for 2 keys of a failed request", n)
	}
}

func testCancelledContext(t *testing.T, newStore NewStore) {
	st, srv := start(t, newStore)
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
	if len(srv.Requests()) != 0 {
		t.Errorf("%d requests sent with a cancelled context", len(srv.Requests()))
	}
}

// UploadTestParts uploads three parts through st to a new upload on srv
// (an empty part and two of 9 bytes read from the middle of a longer
// reader) and returns the UploadPart requests srv received, for a
// backend's tests of the headers its client library sends.
func UploadTestParts(t *testing.T, st multipart.Store, srv *Server) []Request {
	t.Helper()
	ctx := context.Background()
	id := srv.AddUpload("parts")
	file := "HEADERpart-one|part-two|TRAILER"
	for i, p := range []struct{ off, size int64 }{{0, 0}, {15, 9}, {6, 9}} {
		r := strings.NewReader(file)
		if _, err := r.Seek(p.off, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		if _, err := st.UploadPart(ctx, "parts", id, int32(i+1), r, p.size, multipart.PartOptions{}); err != nil {
			t.Fatalf("UploadPart %d: %v", i+1, err)
		}
	}
	reqs := srv.Recorded("PUT", "partNumber")
	if len(reqs) != 3 {
		t.Fatalf("%d UploadPart requests, want 3", len(reqs))
	}
	return reqs
}

// PutTestObject writes the object "o" of 3 bytes through st, checks that
// srv stored it, and returns the PutObject request srv received, for a
// backend's tests of the headers its client library sends.
func PutTestObject(t *testing.T, st multipart.Store, srv *Server) Request {
	t.Helper()
	if _, err := st.PutObject(context.Background(), "o", strings.NewReader("abc"), 3, multipart.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := object(srv, "o"); got != "abc" {
		t.Fatalf("stored %q, want %q", got, "abc")
	}
	reqs := srv.PutObjectRequests()
	if len(reqs) != 1 {
		t.Fatalf("%d PutObject requests, want 1", len(reqs))
	}
	return reqs[0]
}
