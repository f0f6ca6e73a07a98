package success

import (
	"slices"
	"strings"
)

// sortDiffs sorts differences by key, then kind.
func sortDiffs(diffs []Difference) {
	slices.SortFunc(diffs, func(a, b Difference) int {
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return strings.Compare(string(a.Kind), string(b.Kind))
	})
}
