package storekit

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
)

// tokenPages serves the listing a, b, c, d, e in pages of two whose
// continuation tokens are the index of their first entry; next overrides
// the token of the page at a marker.
func tokenPages(next map[string]string, fetched *[]string) func(string) (ListPage[string, string], error) {
	entries := []string{"a", "b", "c", "d", "e"}
	return func(marker string) (ListPage[string, string], error) {
		*fetched = append(*fetched, marker)
		i, _ := strconv.Atoi(marker)
		page := ListPage[string, string]{Items: entries[i:min(i+2, len(entries))]}
		if i+2 < len(entries) {
			page.More, page.Next = true, strconv.Itoa(i+2)
		}
		if n, ok := next[marker]; ok {
			page.Next = n
		}
		return page, nil
	}
}

func collect(seq func(func(string, error) bool)) (string, []error) {
	var items []string
	var errs []error
	for v, err := range seq {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		items = append(items, v)
	}
	return strings.Join(items, ","), errs
}

func TestListingPages(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name        string
		next        map[string]string
		advances    func(next, marker string) bool
		wantItems   string
		wantFetched string
		wantErr     bool
	}{
		{"all pages", nil, nil, "a,b,c,d,e", ",2,4", false},
		{"empty next marker", map[string]string{"2": ""}, nil, "a,b,c,d", ",2", true},
		{"repeated next marker", map[string]string{"2": "2"}, nil, "a,b,c,d", ",2", true},
		{"custom rule", map[string]string{"2": "1"}, func(next, marker string) bool { return next > marker }, "a,b,c,d", ",2", true},
		{"custom rule accepts", nil, func(next, marker string) bool { return next > marker }, "a,b,c,d,e", ",2,4", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, logs := newTestRequests()
			var fetched []string
			l := Listing[string, string]{
				Op: "ListParts", Key: "k", UploadID: "up", Marker: "next part number marker",
				Fetch: tokenPages(c.next, &fetched), Advances: c.advances,
			}
			items, errs := collect(l.Pages(ctx, r))
			if items != c.wantItems || strings.Join(fetched, ",") != c.wantFetched {
				t.Errorf("yielded %s after fetching %q; want %s after %q", items, fetched, c.wantItems, c.wantFetched)
			}
			if !c.wantErr {
				if len(errs) != 0 {
					t.Fatalf("errors %v", errs)
				}
				return
			}
			if len(errs) != 1 {
				t.Fatalf("errors %v, want one", errs)
			}
			e := requireKind(t, errs[0], nil)
			if e.Op != "ListParts" || e.Key != "k" || e.UploadID != "up" ||
				!strings.Contains(e.Error(), "truncated listing without a next part number marker that advances") {
				t.Errorf("error %v (%+v)", e, e)
			}
			// One record per request, and one for the failure.
			if n := strings.Count(logs.String(), "op=ListParts"); n != len(fetched)+1 {
				t.Errorf("%d records for %d requests and a failure", n, len(fetched))
			}
		})
	}

	r, _ := newTestRequests()
	failing := Listing[string, string]{Op: "ListObjectsV2", Key: "p/", Fetch: func(string) (ListPage[string, string], error) {
		return ListPage[string, string]{Items: []string{"ignored"}}, answer{"AccessDenied", 403}
	}}
	items, errs := collect(failing.Pages(ctx, r))
	if items != "" || len(errs) != 1 {
		t.Fatalf("a failed request: yielded %q and %v", items, errs)
	}
	if e := requireKind(t, errs[0], multipart.ErrAccessDenied); e.Op != "ListObjectsV2" || e.Key != "p/" {
		t.Errorf("error fields: %+v", e)
	}
}

func TestListingPagesEndless(t *testing.T) {
	const giveUp = 5 * MaxEmptyPages // a listing that follows the store ends here
	cases := []struct {
		name       string
		page       func(marker string) ListPage[string, string]
		wantItems  int
		maxFetched int
		wantText   string
	}{
		{"alternating tokens", func(marker string) ListPage[string, string] {
			next := map[string]string{"": "a", "a": "b", "b": "a"}[marker]
			return ListPage[string, string]{Items: []string{marker}, More: true, Next: next}
		}, 3, 3, `the store repeated the continuation token "a" of an earlier page`},
		{"a circle of three", func(marker string) ListPage[string, string] {
			next := map[string]string{"": "a", "a": "b", "b": "c", "c": "a"}[marker]
			return ListPage[string, string]{More: true, Next: next}
		}, 0, 4, `repeated the continuation token "a"`},
		{"endless empty pages", func(marker string) ListPage[string, string] {
			n, _ := strconv.Atoi(marker)
			return ListPage[string, string]{More: true, Next: strconv.Itoa(n + 1)}
		}, 0, MaxEmptyPages, "1000 truncated pages in a row without entries"},
		{"empty pages between entries", func(marker string) ListPage[string, string] {
			n, _ := strconv.Atoi(marker)
			page := ListPage[string, string]{More: n < 3*MaxEmptyPages, Next: strconv.Itoa(n + 1)}
			if n%(MaxEmptyPages/2) == 0 {
				page.Items = []string{marker}
			}
			return page
		}, 7, 3*MaxEmptyPages + 1, ""},
		{"long repeated token", func(marker string) ListPage[string, string] {
			next := strings.Repeat("x", 300)
			if marker == next {
				next = "y"
			} else if marker == "y" {
				next = strings.Repeat("x", 300)
			}
			return ListPage[string, string]{More: true, Next: next}
		}, 0, 3, `"` + strings.Repeat("x", 100) + `"… (300 bytes) of an earlier page`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, _ := newTestRequests()
			fetched := 0
			l := Listing[string, string]{
				Op: "ListObjectsV2", Key: "p/", Marker: "continuation token",
				Fetch: func(marker string) (ListPage[string, string], error) {
					fetched++
					if fetched > giveUp {
						return ListPage[string, string]{}, nil
					}
					return c.page(marker), nil
				},
			}
			items, errs := 0, []error(nil)
			for _, err := range l.Pages(context.Background(), r) {
				if err != nil {
					errs = append(errs, err)
					continue
				}
				items++
			}
			assert.LessOrEqual(t, fetched, c.maxFetched, "pages fetched")
			assert.Equal(t, c.wantItems, items, "entries yielded")
			if c.wantText == "" {
				require.Empty(t, errs)
				return
			}
			require.Len(t, errs, 1)
			e := requireKind(t, errs[0], nil)
			require.ErrorIs(t, errs[0], multipart.ErrEndlessListing)
			assert.Equal(t, "ListObjectsV2", e.Op)
			assert.Contains(t, e.Error(), c.wantText)
		})
	}

	// Each iteration of the listing is a listing of its own.
	r, _ := newTestRequests()
	l := Listing[string, string]{Op: "ListObjectsV2", Marker: "continuation token", Fetch: tokenPages(nil, new([]string))}
	for range 2 {
		items, errs := collect(l.Pages(context.Background(), r))
		assert.Equal(t, "a,b,c,d,e", items)
		assert.Empty(t, errs)
	}
}
