package storekit

import (
	"iter"
	"slices"

	"github.com/s3commit/s3commit/multipart"
)

// SortedParts collects the parts a ListParts listing yields, for
// [multipart.Store.ListParts]: every page, sorted by part number. On the
// first error it returns nil and the error.
func SortedParts(parts iter.Seq2[multipart.Part, error]) ([]multipart.Part, error) {
	var all []multipart.Part
	for p, err := range parts {
		if err != nil {
			return nil, err
		}
		all = append(all, p)
	}
	slices.SortFunc(all, func(a, b multipart.Part) int { return int(a.Number) - int(b.Number) })
	return all, nil
}
