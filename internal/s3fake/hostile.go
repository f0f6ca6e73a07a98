package s3fake

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/internal/storeutil"
	"github.com/s3commit/s3commit/multipart"
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
	emptyBound := storeutil.MaxEmptyPages + 2
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
