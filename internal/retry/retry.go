// Package retry runs an operation again, with exponential backoff and
// jitter, while it fails with an error the caller deems transient. It is a
// thin layer over github.com/cenkalti/backoff/v5 that fixes the project's
// conventions: a policy value, a predicate for transient errors and the last
// error (not only the context's) reported when the context ends.
package retry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Policy bounds the attempts of one operation.
type Policy struct {
	// MaxAttempts is the total number of attempts, including the first.
	// Values below 1 mean 1.
	MaxAttempts int
	// InitialBackoff is the wait before the second attempt.
	InitialBackoff time.Duration
	// MaxBackoff caps the wait between attempts.
	MaxBackoff time.Duration
}

// Do calls op until it succeeds, fails with an error for which transient
// returns false, runs out of attempts, or ctx ends. notify, if not nil, is
// called before each wait with the attempt number that failed.
func Do[T any](ctx context.Context, p Policy, transient func(error) bool,
	notify func(attempt int, err error, wait time.Duration), op func(context.Context) (T, error)) (T, error) {
	b := backoff.NewExponentialBackOff()
	if p.InitialBackoff > 0 {
		b.InitialInterval = p.InitialBackoff
	}
	if p.MaxBackoff > 0 {
		b.MaxInterval = p.MaxBackoff
	}
	attempts := max(p.MaxAttempts, 1)
	attempt := 0
	var last error
	res, err := backoff.Retry(ctx, func() (T, error) {
		attempt++
		v, err := op(ctx)
		if err != nil {
			last = err
			if !transient(err) {
				return v, backoff.Permanent(err)
			}
		}
		return v, err
	},
		backoff.WithBackOff(b),
		backoff.WithMaxTries(uint(attempts)),
		backoff.WithMaxElapsedTime(0),
		backoff.WithNotify(func(err error, wait time.Duration) {
			if notify != nil {
				notify(attempt, err, wait)
			}
		}),
	)
	var permanent *backoff.PermanentError
	if errors.As(err, &permanent) && err == error(permanent) {
		// A permanent error on the last attempt comes back wrapped.
		err = permanent.Unwrap()
	}
	if err != nil && last != nil && !errors.Is(err, last) {
		// The context ended while waiting: report both.
		err = fmt.Errorf("%w (after %d attempts, last error: %w)", err, attempt, last)
	}
	return res, err
}
