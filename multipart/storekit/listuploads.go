package storekit

import (
	"context"
	"fmt"
	"iter"
	"unicode/utf8"

	"github.com/s3commit/s3commit/multipart"
)

// UploadPage is one ListMultipartUploads page, converted from the client
// library's types.
type UploadPage struct {
	// Uploads are the page's uploads, in key order.
	Uploads []multipart.Upload
	// Truncated reports that the listing continues after this page.
	Truncated bool
	// NextKeyMarker and NextUploadIDMarker are where the store says the
	// next page starts; some stores leave them empty.
	NextKeyMarker, NextUploadIDMarker string
}

// uploadMarker is where a ListMultipartUploads page starts, as S3 reads
// the markers.
type uploadMarker struct{ key, uploadID string }

// String formats the markers for errors.
func (m uploadMarker) String() string {
	return fmt.Sprintf("(key %s, upload ID %s)", quoteMarker(m.key), quoteMarker(m.uploadID))
}

// ListUploads runs [multipart.Store.ListUploads]: it yields the uploads
// whose key starts with prefix, one page at a time as the caller iterates,
// and on failure yields one error and stops. A listing the store does not
// let end stops with an error matching [multipart.ErrEndlessListing] (see
// [Listing.Pages]): the next markers of every page are remembered, also
// where the key-marker sent is the one before them. fetch sends
// ListMultipartUploads for prefix with the given key-marker and
// upload-id-marker (both empty for the first page).
//
// Pages continue from the previous page's NextKeyMarker and
// NextUploadIDMarker, or after the last upload listed where the store
// omits them. When the store rejects that pair with InvalidArgument, as
// versitygw does (see markerBefore), the listing switches to the
// key-marker that store expects, and r keeps using it for later listings.
func (r *Requests) ListUploads(ctx context.Context, prefix string,
	fetch func(keyMarker, uploadIDMarker string) (UploadPage, error)) iter.Seq2[multipart.Upload, error] {
	return func(yield func(multipart.Upload, error) bool) {
		var (
			lastKey, prevKey string                   // the last two distinct keys listed
			keyBefore        = r.markersBefore.Load() // the store needs markerBefore key-markers
		)
		page := func(at uploadMarker) (ListPage[multipart.Upload, uploadMarker], error) {
			km := at.key
			if keyBefore && at.uploadID != "" {
				if before, ok := markerBefore(at.key, lastKey, prevKey); ok {
					km = before
				}
			}
			res, err := fetch(km, at.uploadID)
			if err != nil && !keyBefore && at.uploadID != "" {
				if code, _ := r.CodeStatus(err); code == "InvalidArgument" {
					if before, ok := markerBefore(at.key, lastKey, prevKey); ok {
						if retry, retryErr := fetch(before, at.uploadID); retryErr == nil {
							if r.Logger != nil {
								r.Logger.DebugContext(ctx, r.Backend+": the store rejects S3 upload-id-marker paging; using the key-marker before the last key",
									"bucket", r.Bucket, "prefix", prefix)
							}
							res, err, keyBefore = retry, nil, true
							r.markersBefore.Store(true)
						}
					}
				}
			}
			if err != nil {
				return ListPage[multipart.Upload, uploadMarker]{}, err
			}
			for _, u := range res.Uploads {
				if u.Key != lastKey {
					prevKey, lastKey = lastKey, u.Key
				}
			}
			next := uploadMarker{res.NextKeyMarker, res.NextUploadIDMarker}
			if next.key == "" && len(res.Uploads) > 0 {
				// Some stores omit the Next markers; continue after the
				// last upload listed.
				last := res.Uploads[len(res.Uploads)-1]
				next = uploadMarker{last.Key, last.UploadID}
			}
			return ListPage[multipart.Upload, uploadMarker]{Items: res.Uploads, More: res.Truncated, Next: next}, nil
		}
		uploads := Listing[multipart.Upload, uploadMarker]{
			Op:       "ListMultipartUploads",
			Key:      prefix,
			Fetch:    page,
			Advances: func(next, at uploadMarker) bool { return next.key != "" && next != at },
			Marker:   "next marker",
		}
		for u, err := range uploads.Pages(ctx, r) {
			if !yield(u, err) {
				return
			}
		}
	}
}

// markerBefore returns a key-marker that lists key itself, for stores that
// read upload-id-marker as naming an upload of the first key after
// key-marker, where S3 reads it as an upload of key-marker itself.
//
// versitygw (1.8.0, issue versity/versitygw#2149) does so: it drops every
// upload whose key is not after key-marker and then requires
// upload-id-marker to belong to the first remaining key, so the
// NextKeyMarker / NextUploadIdMarker pair it returns is rejected with 400
// InvalidArgument. Sending a key-marker just before key instead makes it
// continue after the marker upload, as S3 does with the original pair.
//
// A marker "just before" key is one with no listed key between it and key:
// prevKey, the last distinct key listed before key, or, when every upload
// listed so far had key (so no key below it matches the prefix), key
// without its last character. ok is false when there is none (a
// one-character key).
func markerBefore(key, lastKey, prevKey string) (marker string, ok bool) {
	if key == lastKey && prevKey != "" {
		return prevKey, true
	}
	_, size := utf8.DecodeLastRuneInString(key)
	if size == 0 || size == len(key) {
		return "", false
	}
	return key[:len(key)-size], true
}
