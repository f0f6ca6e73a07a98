package staging

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestForEach(t *testing.T) {
	errBoom := errors.New("boom")
	for _, tc := range []struct {
		name        string
		n, limit    int
		stopOnError bool
		failAt      map[int]bool
		wantCalls   int // -1: at least one more than the first failure, not all
		wantErrs    int // errors joined in the result
	}{
		{name: "all run", n: 100, limit: 8, wantCalls: 100},
		{name: "limit above n", n: 3, limit: 64, wantCalls: 3},
		{name: "limit 0 runs one at a time", n: 5, limit: 0, wantCalls: 5},
		{name: "errors joined without stopOnError", n: 20, limit: 4, failAt: map[int]bool{3: true, 11: true}, wantCalls: 20, wantErrs: 2},
		{name: "one at a time stops at the first error", n: 20, limit: 1, stopOnError: true, failAt: map[int]bool{5: true}, wantCalls: 6, wantErrs: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var (
				mu       sync.Mutex
				order    []int
				running  atomic.Int32
				maxSeen  atomic.Int32
				wantMost = int32(max(tc.limit, 1))
			)
			err := forEach(context.Background(), tc.n, tc.limit, tc.stopOnError, func(_ context.Context, i int) error {
				now := running.Add(1)
				defer running.Add(-1)
				for {
					m := maxSeen.Load()
					if now <= m || maxSeen.CompareAndSwap(m, now) {
						break
					}
				}
				mu.Lock()
				order = append(order, i)
				mu.Unlock()
				if tc.failAt[i] {
					return errBoom
				}
				return nil
			})
			assert.LessOrEqual(t, maxSeen.Load(), wantMost, "calls at a time")
			assert.Len(t, order, tc.wantCalls)
			if tc.limit <= 1 {
				for k, i := range order {
					assert.Equal(t, k, i, "one at a time, the calls run in the order of i")
				}
			}
			if tc.wantErrs == 0 {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, errBoom)
			if u, ok := err.(interface{ Unwrap() []error }); ok {
				assert.Len(t, u.Unwrap(), tc.wantErrs)
			} else {
				assert.Equal(t, 1, tc.wantErrs)
			}
		})
	}
}

// TestForEachStopsWhenCanceled: no call starts once the context ends, and
// forEach returns its error.
func TestForEachStopsWhenCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	err := forEach(ctx, 50, 1, false, func(_ context.Context, i int) error {
		calls.Add(1)
		if i == 9 {
			cancel()
		}
		return nil
	})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, int32(10), calls.Load())
}
