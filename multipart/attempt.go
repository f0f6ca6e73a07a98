package multipart

import "context"

// attemptInfo is what a RetryingStore tells the store it wraps about one
// request, through the request's context.
type attemptInfo struct {
	n        int   // 1 for the first attempt
	previous error // the error of the attempt before, nil for the first
}

type attemptKey struct{}

func withAttempt(ctx context.Context, a attemptInfo) context.Context {
	return context.WithValue(ctx, attemptKey{}, a)
}

// Attempt returns, for the context of a call that a [RetryingStore] passes
// to the store it wraps, the number of the attempt (1 for the first, 2 for
// the first retry, …) and the error of the attempt before it (nil for the
// first). A listing's attempts are counted per page fetch, as the
// RetryingStore counts them. For any other context it returns 0, nil.
//
// It lets a Store wrapper that sits inside the retry layer, such as one
// that records metrics or traces of each request, tell a retry from a
// first request, and why it was retried:
//
//	if n, prev := multipart.Attempt(ctx); n > 1 {
//		retries.Add(ctx, 1, kindAttr(multipart.KindOf(prev)))
//	}
func Attempt(ctx context.Context) (n int, previous error) {
	a, _ := ctx.Value(attemptKey{}).(attemptInfo)
	return a.n, a.previous
}
