package storekit

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

// pagedStore serves the numbers 0 to n-1 in pages of size, the marker being
// the first number of a page.
type pagedStore struct {
	n, size int
	markers []int // the markers fetched, in order
}

func (s *pagedStore) fetch(marker int) (ListPage[int, int], error) {
	s.markers = append(s.markers, marker)
	var page ListPage[int, int]
	for i := marker; i < s.n && i < marker+s.size; i++ {
		page.Items = append(page.Items, i)
	}
	if next := marker + s.size; next < s.n {
		page.More, page.Next = true, next
	}
	return page, nil
}

func TestPaginate(t *testing.T) {
	for _, c := range []struct {
		n, size     int
		wantMarkers []int
	}{
		{0, 2, []int{0}},
		{1, 2, []int{0}},
		{2, 2, []int{0}},
		{5, 2, []int{0, 2, 4}},
		{6, 3, []int{0, 3}},
	} {
		t.Run(fmt.Sprintf("%d in pages of %d", c.n, c.size), func(t *testing.T) {
			s := &pagedStore{n: c.n, size: c.size}
			var got []int
			for v, err := range Paginate(s.fetch) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, v)
			}
			if want := seq(c.n); !slices.Equal(got, want) {
				t.Errorf("yielded %v, want %v", got, want)
			}
			if !slices.Equal(s.markers, c.wantMarkers) {
				t.Errorf("fetched markers %v, want %v", s.markers, c.wantMarkers)
			}
		})
	}
}

func seq(n int) []int {
	var s []int
	for i := range n {
		s = append(s, i)
	}
	return s
}

func TestPaginateIsLazy(t *testing.T) {
	s := &pagedStore{n: 10, size: 2}
	it := Paginate(s.fetch)
	if len(s.markers) != 0 {
		t.Fatalf("fetched %v before iterating", s.markers)
	}
	var got []int
	for v := range it {
		got = append(got, v)
		if v == 2 {
			break
		}
	}
	if !slices.Equal(got, []int{0, 1, 2}) || !slices.Equal(s.markers, []int{0, 2}) {
		t.Errorf("stopping at 2: yielded %v, fetched markers %v", got, s.markers)
	}
}

func TestPaginateErrors(t *testing.T) {
	failed := errors.New("request failed")
	stuck := errors.New("next marker does not advance")
	calls := 0
	fetch := func(marker string) (ListPage[string, string], error) {
		calls++
		switch marker {
		case "":
			return ListPage[string, string]{Items: []string{"a", "b"}, More: true, Next: "b"}, nil
		case "b":
			// The store answered, but its continuation is broken.
			return ListPage[string, string]{Items: []string{"c"}, More: true, Next: "b"}, stuck
		}
		return ListPage[string, string]{}, failed
	}
	var items []string
	var errs []error
	for v, err := range Paginate(fetch) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		items = append(items, v)
	}
	if !slices.Equal(items, []string{"a", "b", "c"}) || len(errs) != 1 || errs[0] != stuck || calls != 2 {
		t.Errorf("yielded %v and errors %v after %d fetches; want a, b, c, then the error, after 2", items, errs, calls)
	}

	calls = 0
	fetch = func(string) (ListPage[string, string], error) {
		calls++
		return ListPage[string, string]{}, failed
	}
	n := 0
	for v, err := range Paginate(fetch) {
		n++
		if err != failed || v != "" {
			t.Errorf("yielded %q, %v; want the zero value and the error", v, err)
		}
	}
	if n != 1 || calls != 1 {
		t.Errorf("a failed first page: %d yields, %d fetches; want 1 and 1", n, calls)
	}
}
