package staging

import (
	"context"
	"errors"
	"sync"
)

// forEach calls fn for 0 ≤ i < n with at most limit calls at a time, in
// the order of i. With stopOnError no new call starts after the first
// error, which is returned; the calls under way finish (a completion cut
// off in flight may take effect in the store without the journal
// knowing). Without it every call runs and the errors are joined.
//
// The calls run on limit goroutines that take the next i in turn, not on
// one goroutine each: a store call's stack is deep (the SDK's middleware),
// and a new goroutine's stack grows to it by copying (runtime.newstack:
// 0.59 of the 7.0 s of client CPU of a commit of 5,000 small deferred
// files, against 0.19 s in direct uploads of the same files).
func forEach(ctx context.Context, n, limit int, stopOnError bool, fn func(ctx context.Context, i int) error) error {
	if n == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		next int
		errs []error
	)
	// take returns the next i to call fn for, or false when no call
	// starts any more.
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if next >= n || ctx.Err() != nil || stopOnError && len(errs) > 0 {
			return 0, false
		}
		next++
		return next - 1, true
	}
	for range min(max(limit, 1), n) {
		wg.Go(func() {
			for {
				i, ok := take()
				if !ok {
					return
				}
				if err := fn(ctx, i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if len(errs) == 0 {
		return ctx.Err()
	}
	if stopOnError {
		return errs[0]
	}
	return errors.Join(errs...)
}
