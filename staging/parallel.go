package staging

import (
	"context"
	"errors"
	"sync"
)

// forEach calls fn for 0 ≤ i < n with at most limit calls at a time. With
// stopOnError no new call starts after the first error, which is returned;
// the calls under way finish (a completion cut off in flight may take
// effect in the store without the journal knowing). Without it every call
// runs and the errors are joined.
func forEach(ctx context.Context, n, limit int, stopOnError bool, fn func(ctx context.Context, i int) error) error {
	if n == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	slots := make(chan struct{}, max(limit, 1))
	for i := range n {
		if stopOnError {
			mu.Lock()
			stop := len(errs) > 0
			mu.Unlock()
			if stop {
				break
			}
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		if stopOnError {
			mu.Lock()
			stop := len(errs) > 0
			mu.Unlock()
			if stop {
				<-slots
				break
			}
		}
		wg.Go(func() {
			defer func() { <-slots }()
			if err := fn(ctx, i); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
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
