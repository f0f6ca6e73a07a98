package s3fake

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/storekit"
)

// loopGiveUp is the number of requests after which the scripted listings
// of testListingLoops end, so that a Store that follows them does not run
// forever: the test then fails on the number of requests instead.
const loopGiveUp = 5000

// writeObjectsPage answers ListObjectsV2 with keys and, when next is not
// empty, a truncated page continuing at next.
func writeObjectsPage(w http.ResponseWriter, keys []string, next string) {
	type content struct {
		Key          string
		Size         int
		ETag         string
		LastModified string
	}
	res := struct {
		XMLName               xml.Name `xml:"ListBucketResult"`
		Name                  string
		KeyCount              int
		IsTruncated           bool
		NextContinuationToken string `xml:",omitempty"`
		Contents              []content
	}{Name: Bucket, KeyCount: len(keys), IsTruncated: next != "", NextContinuationToken: next}
	for _, k := range keys {
		res.Contents = append(res.Contents, content{Key: k, Size: 1, ETag: `"` + md5Hex(k) + `"`, LastModified: "2026-01-02T03:04:05.000Z"})
	}
	writeXML(w, http.StatusOK, res)
}

// writeUploadsPage answers ListMultipartUploads with uploads and, when
// next.Key is not empty, a truncated page continuing at next.
func writeUploadsPage(w http.ResponseWriter, uploads []Upload, next Upload) {
	res := struct {
		XMLName            xml.Name `xml:"ListMultipartUploadsResult"`
		Bucket             string
		NextKeyMarker      string
		NextUploadIdMarker string
		IsTruncated        bool
		Upload             []xmlUpload
	}{Bucket: Bucket, NextKeyMarker: next.Key, NextUploadIdMarker: next.UploadID, IsTruncated: next.Key != ""}
	for _, u := range uploads {
		res.Upload = append(res.Upload, xmlUpload{Key: u.Key, UploadId: u.UploadID, Initiated: "2026-01-02T03:04:05.000Z"})
	}
	writeXML(w, http.StatusOK, res)
}

// loopScript answers the n-th listing request (from 1) of a listing that
// does not end, given the request's query.
type loopScript func(w http.ResponseWriter, n int, q url.Values)

// alternatingObjects continues every page at token "a" or "b", the other
// one than the request's: the pages go round in a circle of two. With
// entries, each page lists one object.
func alternatingObjects(entries bool) loopScript {
	return func(w http.ResponseWriter, _ int, q url.Values) {
		next := "a"
		if q.Get("continuation-token") == "a" {
			next = "b"
		}
		var keys []string
		if entries {
			keys = []string{"p/" + next}
		}
		writeObjectsPage(w, keys, next)
	}
}

// alternatingUploads is alternatingObjects for ListMultipartUploads: the
// next markers alternate between the uploads p/a and p/b.
func alternatingUploads(w http.ResponseWriter, _ int, q url.Values) {
	next := Upload{Key: "p/a", UploadID: "1"}
	if q.Get("key-marker") == "p/a" {
		next = Upload{Key: "p/b", UploadID: "2"}
	}
	writeUploadsPage(w, []Upload{next}, next)
}

// versityGWAlternatingUploads is alternatingUploads on a store that, like
// versitygw, rejects the S3 marker pair (the key-marker of the upload the
// upload-id-marker names) with InvalidArgument, so that the listing takes
// the key-marker-before fallback. The page after upload 1 is upload 2 and
// the page after upload 2 is upload 1, whatever the key-marker.
func versityGWAlternatingUploads(w http.ResponseWriter, _ int, q url.Values) {
	km, im := q.Get("key-marker"), q.Get("upload-id-marker")
	if km == "p/a" && im == "1" || km == "p/b" && im == "2" {
		writeXML(w, http.StatusBadRequest, xmlError{Code: "InvalidArgument", Message: "upload-id-marker (fake versitygw)"})
		return
	}
	next := Upload{Key: "p/a", UploadID: "1"}
	if im == "1" {
		next = Upload{Key: "p/b", UploadID: "2"}
	}
	writeUploadsPage(w, []Upload{next}, next)
}

// emptyObjects answers truncated pages without entries, each with a new
// continuation token.
func emptyObjects(w http.ResponseWriter, n int, _ url.Values) {
	writeObjectsPage(w, nil, fmt.Sprintf("t%d", n))
}

// emptyUploads answers truncated pages without uploads, each with new
// next markers.
func emptyUploads(w http.ResponseWriter, n int, _ url.Values) {
	writeUploadsPage(w, nil, Upload{Key: fmt.Sprintf("p/%06d", n), UploadID: "1"})
}

// testListingLoops: a listing whose pages go round in a circle (a next
// marker repeats) or that answers truncated pages without entries forever
// ends with an error that names the problem after a bounded number of
// requests, instead of running until the caller's deadline.
func testListingLoops(t *testing.T, newStore NewStore) {
	repeatBound := 6 // a few pages, and versitygw's rejected markers
	emptyBound := storekit.MaxEmptyPages + 2
	cases := []struct {
		name     string
		uploads  bool // ListUploads, else ListObjects
		script   loopScript
		bound    int    // most requests allowed
		wantText string // in the error
	}{
		{"objects, alternating tokens", false, alternatingObjects(true), repeatBound, `repeated the continuation token "a"`},
		{"objects, alternating tokens, empty pages", false, alternatingObjects(false), repeatBound, `repeated the continuation token "a"`},
		{"objects, same token", false, func(w http.ResponseWriter, _ int, _ url.Values) { writeObjectsPage(w, []string{"p/k"}, "same") }, repeatBound, "continuation token"},
		{"objects, endless empty pages", false, emptyObjects, emptyBound, "truncated pages in a row without entries"},
		{"uploads, alternating markers", true, alternatingUploads, repeatBound, `repeated the next marker (key "p/a", upload ID "1")`},
		{"uploads, versitygw fallback, alternating markers", true, versityGWAlternatingUploads, repeatBound, "repeated the next marker"},
		{"uploads, endless empty pages", true, emptyUploads, emptyBound, "truncated pages in a row without entries"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, srv := start(t, newStore)
			var n atomic.Int64
			srv.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
				q := r.URL.Query()
				if r.Method != http.MethodGet || !(c.uploads && q.Has("uploads") || !c.uploads && q.Get("list-type") == "2") {
					return false
				}
				i := int(n.Add(1))
				switch {
				case i > loopGiveUp && c.uploads:
					writeUploadsPage(w, nil, Upload{})
				case i > loopGiveUp:
					writeObjectsPage(w, nil, "")
				default:
					c.script(w, i, q)
				}
				return true
			})
			ctx := context.Background()
			var errs []error
			entries := 0
			collect := func(err error) bool {
				if err != nil {
					errs = append(errs, err)
				} else {
					entries++
				}
				return entries < 2*loopGiveUp
			}
			if c.uploads {
				for _, err := range st.ListUploads(ctx, "p/") {
					if !collect(err) {
						break
					}
				}
			} else {
				for _, err := range st.ListObjects(ctx, "p/") {
					if !collect(err) {
						break
					}
				}
			}
			assert.LessOrEqual(t, int(n.Load()), c.bound, "listing requests")
			require.Len(t, errs, 1, "the listing ends with one error")
			op := "ListObjectsV2"
			if c.uploads {
				op = "ListMultipartUploads"
			}
			e := requireKind(t, errs[0], multipart.ErrEndlessListing)
			assert.Equal(t, op, e.Op)
			assert.Nil(t, e.Kind, "an endless listing is not retried")
			assert.False(t, multipart.IsRetryable(errs[0]))
			assert.Contains(t, errs[0].Error(), c.wantText)
			assert.True(t, strings.HasPrefix(errs[0].Error(), op+" s3://"+Bucket+"/p/"), errs[0].Error())
		})
	}
}

// streamBody answers status with head, then fill bytes up to size bytes in
// all, written in chunks as the client reads them, and returns how many
// bytes the client took before it stopped reading (or all of them). The
// body is never held in memory.
func streamBody(w http.ResponseWriter, status int, head string, size int64, fill byte) int64 {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	n, err := io.WriteString(w, head)
	written := int64(n)
	chunk := bytes.Repeat([]byte{fill}, 64<<10)
	for err == nil && written < size {
		n, err = w.Write(chunk[:min(int64(len(chunk)), size-written)])
		written += int64(n)
	}
	return written
}

// allocated returns the bytes allocated on the heap so far.
func allocated() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// hugeAnswer is the size of the answers of testHugeAnswers: far more than
// any answer but an object's content may take.
const hugeAnswer = 64 << 20

// testHugeAnswers: an answer far larger than the request calls for (an
// error with a body of 64 MiB, a listing page of 128 MiB) is read only up to
// a bound, fails the request quickly with a short error, and costs little
// memory; an error with a long message is reported short. An object's
// content is not bounded.
func testHugeAnswers(t *testing.T, newStore NewStore) {
	const maxMessage = 2 << 10 // the longest error message allowed
	// The most bytes of an answer the client may take, and allocate while
	// it does: the bound of the answer, what the sockets buffer, and what
	// the XML decoders make of what they read (their buffers grow by
	// doubling, and the race detector keeps sync.Pool from reusing them).
	// Following the answers to their end takes all of them and allocates
	// several times that (about 7 times an error's size, twice a page's).
	const slack = 8 << 20
	errorTaken, errorAllocated := int64(storekit.MaxErrorBody+slack), uint64(2*slack)
	pageTaken, pageAllocated := int64(storekit.MaxResponseBody+slack), uint64(6*storekit.MaxResponseBody)
	errorHead := xml.Header + "<Error><Code>InternalError</Code><Message>"
	calls := []struct {
		name  string
		match func(r *http.Request) bool
		call  func(ctx context.Context, st multipart.Store) error
	}{
		{"ListUploads", func(r *http.Request) bool { return r.URL.Query().Has("uploads") && r.Method == http.MethodGet },
			func(ctx context.Context, st multipart.Store) error {
				for _, err := range st.ListUploads(ctx, "") {
					return err
				}
				return nil
			}},
		{"ListObjects", func(r *http.Request) bool { return r.URL.Query().Get("list-type") == "2" },
			func(ctx context.Context, st multipart.Store) error {
				for _, err := range st.ListObjects(ctx, "") {
					return err
				}
				return nil
			}},
		{"GetObject", func(r *http.Request) bool { return r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/o") },
			func(ctx context.Context, st multipart.Store) error {
				body, _, err := st.GetObject(ctx, "o")
				if err == nil {
					_, err = io.Copy(io.Discard, body)
					body.Close()
				}
				return err
			}},
		{"PutObject", func(r *http.Request) bool { return r.Method == http.MethodPut },
			func(ctx context.Context, st multipart.Store) error {
				_, err := st.PutObject(ctx, "o", strings.NewReader("abc"), 3, multipart.PutOptions{})
				return err
			}},
	}
	answers := []struct {
		name         string
		calls        string // the calls that get this answer
		status       int
		head         string
		size         int64
		fill         byte
		maxTaken     int64
		maxAllocated uint64
		wantKind     error
		wantText     string // in the error, when not empty
	}{
		{"error of 64 MiB", "ListUploads ListObjects GetObject PutObject", http.StatusInternalServerError, errorHead, hugeAnswer, 'x',
			errorTaken, errorAllocated, multipart.ErrServer, "larger than 1 MiB"},
		{"long error message", "ListUploads GetObject PutObject", http.StatusServiceUnavailable,
			xml.Header + "<Error><Code>SlowDown</Code><Message>" + strings.Repeat("slow down ", 30<<10) + "</Message></Error>", 0, 0,
			errorTaken, errorAllocated, multipart.ErrThrottled, ""},
		{"listing page of 128 MiB", "ListUploads ListObjects", http.StatusOK,
			xml.Header + "<ListBucketResult><Name>" + Bucket + "</Name><IsTruncated>false</IsTruncated>", 2 * hugeAnswer, ' ',
			pageTaken, pageAllocated, nil, "larger than 16 MiB"},
	}
	for _, a := range answers {
		for _, c := range calls {
			if !strings.Contains(a.calls, c.name) {
				continue
			}
			t.Run(a.name+"/"+c.name, func(t *testing.T) {
				st, srv := start(t, newStore)
				var taken atomic.Int64
				srv.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
					if !c.match(r) {
						return false
					}
					head := a.head
					if a.status == http.StatusOK && r.URL.Query().Has("uploads") {
						head = strings.ReplaceAll(head, "ListBucketResult", "ListMultipartUploadsResult")
					}
					taken.Store(streamBody(w, a.status, head, max(a.size, int64(len(head))), a.fill))
					return true
				})
				before := allocated()
				err := c.call(context.Background(), st)
				grew := allocated() - before
				require.Error(t, err)
				assert.LessOrEqual(t, len(err.Error()), maxMessage, "the error message is short: %.300s…", err)
				assert.LessOrEqual(t, taken.Load(), a.maxTaken, "bytes of the answer taken")
				assert.LessOrEqual(t, grew, a.maxAllocated, "bytes allocated")
				assert.Equal(t, a.wantKind, multipart.KindOf(err), "kind of %.300s", err)
				if a.wantText != "" {
					assert.ErrorIs(t, err, multipart.ErrResponseTooLarge)
					assert.Contains(t, err.Error(), a.wantText)
				}
			})
		}
	}

	// An object is read whole, however large: only the answers that are not
	// object content are bounded.
	t.Run("large object", func(t *testing.T) {
		st, srv := start(t, newStore)
		data := bytes.Repeat([]byte("0123456789abcdef"), 2*storekit.MaxResponseBody/16)
		srv.SetObject("big", data)
		body, info, err := st.GetObject(context.Background(), "big")
		require.NoError(t, err)
		defer body.Close()
		n, err := io.Copy(io.Discard, body)
		require.NoError(t, err)
		assert.Equal(t, int64(len(data)), n)
		assert.Equal(t, int64(len(data)), info.Size)
	})
}
