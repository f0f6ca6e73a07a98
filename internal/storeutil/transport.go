package storeutil

import (
	"context"
	"net/http"
)

// requestCheckKey is the context key of [WithRequestCheck].
type requestCheckKey struct{}

// WithRequestCheck returns a copy of ctx that carries check. The transport
// of [NewTransport] calls check with each request sent with that context,
// before sending it; when check returns an error the request is not sent
// and the error is the transport's answer. It lets a Store watch the
// requests a client library sends on its own, such as the pages of
// minio-go's object listing.
func WithRequestCheck(ctx context.Context, check func(*http.Request) error) context.Context {
	return context.WithValue(ctx, requestCheckKey{}, check)
}

// NewTransport returns the http.RoundTripper the backends send their
// requests with: base (http.DefaultTransport if nil) and the checks of
// [WithRequestCheck].
func NewTransport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base}
}

// transport is what NewTransport returns.
type transport struct {
	base http.RoundTripper
}

// RoundTrip runs the request's check, then sends it with the base
// transport.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if check, ok := req.Context().Value(requestCheckKey{}).(func(*http.Request) error); ok {
		if err := check(req); err != nil {
			if req.Body != nil {
				req.Body.Close() // a RoundTripper closes the body, even on errors
			}
			return nil, err
		}
	}
	return t.base.RoundTrip(req)
}
