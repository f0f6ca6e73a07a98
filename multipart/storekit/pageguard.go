package storekit

import (
	"fmt"
	"hash/maphash"
	"strings"

	"github.com/s3commit/s3commit/multipart"
)

// MaxEmptyPages is the number of truncated pages in a row without entries
// after which a listing ends with [multipart.ErrEndlessListing]. S3 may
// answer a ListObjectsV2 page without keys but truncated where a prefix
// holds long runs of delete markers (versioned buckets), so a few empty
// pages are no fault; a thousand in a row bound what a store that never
// ends its listing costs to about a thousand requests.
const MaxEmptyPages = 1000

// maxMarkerInError is how much of a next-page marker an error quotes.
const maxMarkerInError = 100

// PageGuard ends a paged listing that the store does not let end. It
// remembers every next-page marker the store gave in one listing (as a
// 64-bit hash with a seed of its own, so that a store that sends long
// markers costs no memory) and counts the truncated pages in a row
// without entries. Make one per listing with [NewPageGuard]; it is not
// safe for concurrent use.
type PageGuard[M comparable] struct {
	// what names the marker in errors, e.g. "continuation token".
	what  string
	seed  maphash.Seed
	seen  map[uint64]struct{}
	empty int
}

// NewPageGuard returns a guard for one listing whose next-page markers are
// called what in errors, e.g. "continuation token".
func NewPageGuard[M comparable](what string) *PageGuard[M] {
	return &PageGuard[M]{what: what, seed: maphash.MakeSeed(), seen: make(map[uint64]struct{})}
}

// Next checks the page the store answered truncated, with entries
// entries, and next, the marker it gave for the following page. It
// returns an error matching [multipart.ErrEndlessListing] when next
// repeats a marker the store gave earlier in the listing, or when this is
// the [MaxEmptyPages]th truncated page in a row without entries.
func (g *PageGuard[M]) Next(next M, entries int) error {
	if entries > 0 {
		g.empty = 0
	} else if g.empty++; g.empty >= MaxEmptyPages {
		return fmt.Errorf("%w: %d truncated pages in a row without entries", multipart.ErrEndlessListing, g.empty)
	}
	h := maphash.Comparable(g.seed, next)
	if _, ok := g.seen[h]; ok {
		return fmt.Errorf("%w: the store repeated the %s %s of an earlier page", multipart.ErrEndlessListing, g.what, quoteMarker(next))
	}
	g.seen[h] = struct{}{}
	return nil
}

// quoteMarker formats a marker for an error: a string quoted, anything
// else with %v, cut to maxMarkerInError bytes.
func quoteMarker(m any) string {
	s, ok := m.(string)
	if !ok {
		s = fmt.Sprint(m)
	}
	cut := ""
	if len(s) > maxMarkerInError {
		s, cut = s[:maxMarkerInError], fmt.Sprintf("… (%d bytes)", len(s))
	}
	if ok {
		return fmt.Sprintf("%q", s) + cut
	}
	return strings.ToValidUTF8(s, "") + cut
}
