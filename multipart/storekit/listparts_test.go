package storekit

import (
	"errors"
	"testing"

	"github.com/s3commit/s3commit/multipart"
)

func TestSortedParts(t *testing.T) {
	parts := func(numbers ...int32) func(func(multipart.Part, error) bool) {
		return func(yield func(multipart.Part, error) bool) {
			for _, n := range numbers {
				if !yield(multipart.Part{Number: n}, nil) {
					return
				}
			}
		}
	}
	got, err := SortedParts(parts(3, 1, 2))
	if err != nil || len(got) != 3 || got[0].Number != 1 || got[1].Number != 2 || got[2].Number != 3 {
		t.Errorf("SortedParts = %+v, %v", got, err)
	}
	if got, err := SortedParts(parts()); err != nil || len(got) != 0 {
		t.Errorf("SortedParts of nothing = %+v, %v", got, err)
	}
	failed := errors.New("page 2 failed")
	got, err = SortedParts(func(yield func(multipart.Part, error) bool) {
		_ = yield(multipart.Part{Number: 1}, nil) && yield(multipart.Part{}, failed)
	})
	if err != failed || got != nil {
		t.Errorf("SortedParts of a failed listing = %+v, %v", got, err)
	}
}
