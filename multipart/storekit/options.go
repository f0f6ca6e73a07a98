package storekit

import (
	"fmt"

	"github.com/s3commit/s3commit/multipart"
)

// DefaultMaxConnections is the size of the HTTP connection pool the
// backends use when their Options leave it zero.
const DefaultMaxConnections = 64

// DefaultRetryMaxAttempts is the number of attempts the backends' client
// libraries make per request when their Options leave RetryMaxAttempts
// zero: one, because s3commit retries in one layer,
// [multipart.RetryingStore], and retries inside it would multiply its
// attempts.
const DefaultRetryMaxAttempts = 1

// OrDefault returns v if it is positive and def otherwise: the rule of the
// backends' Options fields whose zero value means the default.
func OrDefault[T ~int | ~int32](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// CheckListPageSize checks an Options.ListPageSize: 0 (the default) or 1 to
// [multipart.MaxListPageSize].
func CheckListPageSize[T ~int | ~int32](n T) error {
	if n < 0 || n > multipart.MaxListPageSize {
		return fmt.Errorf("Options.ListPageSize must be between 1 and %d (or 0 for the default), got %d", multipart.MaxListPageSize, n)
	}
	return nil
}

// CheckNotNegative checks an Options field, named without the "Options."
// prefix, that must not be negative.
func CheckNotNegative(field string, n int) error {
	if n < 0 {
		return fmt.Errorf("%s must not be negative, got %d", "Options."+field, n)
	}
	return nil
}
