package storekit

import "iter"

// ListPage is one page of a listing that a store returns in pages, as the
// fetch function of [Paginate] returns it.
type ListPage[T, M any] struct {
	// Items are the page's entries, in the store's order.
	Items []T
	// More reports that the listing continues after this page.
	More bool
	// Next is the marker of the following page (a continuation token, a
	// key and upload ID, a part number); it matters only with More.
	Next M
}

// Paginate returns an iterator over the entries of a listing that a store
// returns in pages, the way [multipart.Store.ListUploads] and [multipart.Store.ListObjects]
// yield them.
//
// fetch returns the page that starts at marker: the zero M for the first
// page, the previous page's Next for each later one. Paginate calls it
// lazily: for the first page when the caller starts iterating, for each
// further page only once the caller has consumed the one before, and never
// again once the caller stops.
//
// When fetch returns an error, Paginate yields the page's Items, then the
// error, and stops. A failed request thus returns no items; a page the
// store answered but whose Next would not advance the listing returns its
// items with the error, so that the listing ends with an error instead of
// fetching the same page forever.
func Paginate[T, M any](fetch func(marker M) (ListPage[T, M], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var marker M
		for {
			page, err := fetch(marker)
			for _, item := range page.Items {
				if !yield(item, nil) {
					return
				}
			}
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			if !page.More {
				return
			}
			marker = page.Next
		}
	}
}
