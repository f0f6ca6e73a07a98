package success

import (
	"maps"
	"slices"
	"strings"
)

// sortedKeys returns the keys of m in ascending order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// sortDiffs sorts differences by key, then kind.
func sortDiffs(diffs []Difference) {
	slices.SortFunc(diffs, func(a, b Difference) int {
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return strings.Compare(string(a.Kind), string(b.Kind))
	})
}
