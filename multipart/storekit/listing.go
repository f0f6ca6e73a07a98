package storekit

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/s3commit/s3commit/multipart"
)

// Listing is a listing that the store returns in pages: ListObjectsV2,
// ListMultipartUploads or ListParts, with the request and the conversion
// of its answer in Fetch.
type Listing[T any, M comparable] struct {
	// Op names the request in errors and logs, for example "ListObjectsV2".
	Op string
	// Key and UploadID name what the requests concern: a prefix, or the
	// key and upload ID of an upload whose parts are listed.
	Key, UploadID string
	// Fetch requests the page that starts at marker (the zero M for the
	// first page) and returns its entries converted and, when the listing
	// continues, the marker of the next page as the store gave it; or the
	// client library's error.
	Fetch func(marker M) (ListPage[T, M], error)
	// Advances reports whether next, the marker of the page after the one
	// fetched at marker, moves the listing on. Nil means that next is not
	// the zero M and differs from marker.
	Advances func(next, marker M) bool
	// Marker is what the store's next-page marker is called in the error of
	// a listing that does not advance, for example "continuation token".
	Marker string
}

// Pages returns the listing's entries, fetching its pages lazily as
// [Paginate] does, logging every request and converting its
// error with r.
//
// A listing the store does not let end stops with an error matching
// [multipart.ErrEndlessListing] (after the entries of the page at fault)
// instead of fetching pages until ctx ends: a truncated page whose next
// marker does not advance, or repeats the next marker of an earlier page of
// the same listing (pages that go round in a circle), or the
// [MaxEmptyPages]th truncated page in a row without entries (see
// [PageGuard]).
func (l Listing[T, M]) Pages(ctx context.Context, r *Requests) iter.Seq2[T, error] {
	advances := l.Advances
	if advances == nil {
		advances = func(next, marker M) bool {
			var zero M
			return next != zero && next != marker
		}
	}
	return func(yield func(T, error) bool) {
		guard := NewPageGuard[M](l.Marker)
		pages := Paginate(func(marker M) (ListPage[T, M], error) {
			start := time.Now()
			page, err := l.Fetch(marker)
			if err != nil {
				return ListPage[T, M]{}, r.Done(ctx, l.Op, l.Key, l.UploadID, start, err)
			}
			_ = r.Done(ctx, l.Op, l.Key, l.UploadID, start, nil)
			if !page.More {
				return page, nil
			}
			err = guard.Next(page.Next, len(page.Items))
			if !advances(page.Next, marker) {
				err = fmt.Errorf("%w: truncated listing without a %s that advances", multipart.ErrEndlessListing, l.Marker)
			}
			if err != nil {
				page.More = false
				return page, r.Done(ctx, l.Op, l.Key, l.UploadID, start, err)
			}
			return page, nil
		})
		for v, err := range pages {
			if !yield(v, err) {
				return
			}
		}
	}
}
