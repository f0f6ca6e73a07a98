package storekit

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/s3commit/s3commit/multipart"
)

// uploadLister lists uploads in pages of two the way S3 reads the markers
// or, with versityGW, the way versitygw 1.8.0 does.
type uploadLister struct {
	uploads   []multipart.Upload // in key order
	versityGW bool
	omitNext  bool     // leave the Next markers out of truncated pages
	requests  []string // "keyMarker/uploadIDMarker" of every request
}

func (l *uploadLister) fetch(keyMarker, idMarker string) (UploadPage, error) {
	l.requests = append(l.requests, keyMarker+"/"+idMarker)
	var rest []multipart.Upload
	for _, u := range l.uploads {
		switch {
		case keyMarker == "":
			rest = append(rest, u)
		case l.versityGW || idMarker == "":
			if u.Key > keyMarker {
				rest = append(rest, u)
			}
		case u.Key > keyMarker || (u.Key == keyMarker && u.UploadID > idMarker):
			rest = append(rest, u)
		}
	}
	if l.versityGW && idMarker != "" {
		// upload-id-marker must name an upload of the first key left.
		i := 0
		for i < len(rest) && rest[i].Key == rest[0].Key && rest[i].UploadID != idMarker {
			i++
		}
		if i == len(rest) || rest[i].Key != rest[0].Key {
			return UploadPage{}, answer{"InvalidArgument", 400}
		}
		rest = rest[i+1:]
	}
	page := UploadPage{Uploads: rest[:min(2, len(rest))]}
	if len(rest) > 2 {
		page.Truncated = true
		if !l.omitNext {
			last := page.Uploads[1]
			page.NextKeyMarker, page.NextUploadIDMarker = last.Key, last.UploadID
		}
	}
	return page, nil
}

func uploadsOf(keys ...string) []multipart.Upload {
	var ups []multipart.Upload
	for i, k := range keys {
		ups = append(ups, multipart.Upload{Key: k, UploadID: fmt.Sprintf("id%02d", i)})
	}
	return ups
}

func listAll(t *testing.T, r *Requests, l *uploadLister) string {
	t.Helper()
	var keys []string
	for u, err := range r.ListUploads(context.Background(), "", l.fetch) {
		if err != nil {
			t.Fatalf("ListUploads: %v", err)
		}
		keys = append(keys, u.Key+"/"+u.UploadID)
	}
	return strings.Join(keys, ",")
}

func TestListUploads(t *testing.T) {
	want := "a/id00,b/id01,b/id02,b/id03,c/id04"
	for _, c := range []struct {
		name               string
		versityGW          bool
		omitNext           bool
		wantFirstRequests  string
		wantSecondRequests string
	}{
		{"S3", false, false, "/,b/id01,b/id03", "/,b/id01,b/id03"},
		{"S3 without Next markers", false, true, "/,b/id01,b/id03", "/,b/id01,b/id03"},
		{"versitygw", true, false, "/,b/id01,a/id01,a/id03", "/,a/id01,a/id03"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, _ := newTestRequests()
			l := &uploadLister{uploads: uploadsOf("a", "b", "b", "b", "c"), versityGW: c.versityGW, omitNext: c.omitNext}
			if got := listAll(t, r, l); got != want {
				t.Errorf("first listing: %s, want %s", got, want)
			}
			if got := strings.Join(l.requests, ","); got != c.wantFirstRequests {
				t.Errorf("first listing requested %s, want %s", got, c.wantFirstRequests)
			}
			// A later listing starts with the markers the store accepts.
			l.requests = nil
			if got := listAll(t, r, l); got != want {
				t.Errorf("second listing: %s, want %s", got, want)
			}
			if got := strings.Join(l.requests, ","); got != c.wantSecondRequests {
				t.Errorf("second listing requested %s, want %s", got, c.wantSecondRequests)
			}
		})
	}
}

func TestListUploadsFailures(t *testing.T) {
	ctx := context.Background()
	r, _ := newTestRequests()
	yields := func(fetch func(string, string) (UploadPage, error)) (uploads int, errs []error) {
		for _, err := range r.ListUploads(ctx, "p/", fetch) {
			if err != nil {
				errs = append(errs, err)
				continue
			}
			uploads++
		}
		return uploads, errs
	}

	n, errs := yields(func(string, string) (UploadPage, error) { return UploadPage{}, answer{"NoSuchBucket", 404} })
	if n != 0 || len(errs) != 1 {
		t.Fatalf("a failed first page: %d uploads, %d errors", n, len(errs))
	}
	if e := requireKind(t, errs[0], multipart.ErrBucketNotFound); e.Op != "ListMultipartUploads" || e.Key != "p/" {
		t.Errorf("error fields: %+v", e)
	}

	// A truncated page without a marker that advances ends the listing.
	stuck := UploadPage{Uploads: uploadsOf("p/a"), Truncated: true, NextKeyMarker: "p/a", NextUploadIDMarker: "id00"}
	n, errs = yields(func(string, string) (UploadPage, error) { return stuck, nil })
	if n != 2 || len(errs) != 1 || !strings.Contains(errs[0].Error(), "without a next marker that advances") {
		t.Errorf("a repeated page: %d uploads, errors %v", n, errs)
	}
	n, errs = yields(func(string, string) (UploadPage, error) { return UploadPage{Truncated: true}, nil })
	if n != 0 || len(errs) != 1 {
		t.Errorf("an empty truncated page: %d uploads, errors %v", n, errs)
	}

	// An InvalidArgument the key-marker before does not cure is reported.
	l := &uploadLister{uploads: uploadsOf("p/a", "p/b", "p/c"), versityGW: true}
	reject := func(km, im string) (UploadPage, error) {
		if im != "" {
			return UploadPage{}, answer{"InvalidArgument", 400}
		}
		return l.fetch(km, im)
	}
	n, errs = yields(reject)
	if n != 2 || len(errs) != 1 {
		t.Fatalf("a rejected marker: %d uploads, errors %v", n, errs)
	}
	requireKind(t, errs[0], multipart.ErrInvalidArgument)
}

func TestMarkerBefore(t *testing.T) {
	cases := []struct {
		key, lastKey, prevKey string
		want                  string
		ok                    bool
	}{
		{"p/b", "p/b", "p/a", "p/a", true}, // the previous distinct key
		{"p/b", "p/b", "", "p/", true},     // only p/b listed so far
		{"p/ß", "p/ß", "", "p/", true},     // drops a whole rune
		{"p/c", "p/b", "p/a", "p/", true},  // marker not the last key listed
		{"x", "x", "", "", false},          // nothing shorter
		{"", "", "", "", false},            // nothing at all
		{"dir/f.bin", "dir/f.bin", "dir/e.bin", "dir/e.bin", true},
	}
	for _, c := range cases {
		got, ok := markerBefore(c.key, c.lastKey, c.prevKey)
		if got != c.want || ok != c.ok {
			t.Errorf("markerBefore(%q, %q, %q) = %q, %v; want %q, %v", c.key, c.lastKey, c.prevKey, got, ok, c.want, c.ok)
		}
	}
}
