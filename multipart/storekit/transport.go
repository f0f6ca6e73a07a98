package storekit

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/s3commit/s3commit/multipart"
)

// Bounds of the response bodies the transport of [NewTransport] lets a
// client library read; see [multipart.ErrResponseTooLarge].
const (
	// MaxErrorBody bounds the body of an error answer (status 300 or
	// more, or below 200). S3 error bodies are an XML document of a few
	// hundred bytes.
	MaxErrorBody = 1 << 20
	// MaxResponseBody bounds the body of any other answer that is not an
	// object's content (see [WithObjectData]): a listing page of 1000
	// entries takes less than 2 MiB even with keys of 1024 bytes,
	// URL-encoded, and owners.
	MaxResponseBody = 16 << 20
)

// requestCheckKey is the context key of [WithRequestCheck].
type requestCheckKey struct{}

// objectDataKey is the context key of [WithObjectData].
type objectDataKey struct{}

// WithRequestCheck returns a copy of ctx that carries check. The transport
// of [NewTransport] calls check with each request sent with that context,
// before sending it; when check returns an error the request is not sent
// and the error is the transport's answer. It lets a Store watch the
// requests a client library sends on its own, such as the pages of
// minio-go's object listing.
func WithRequestCheck(ctx context.Context, check func(*http.Request) error) context.Context {
	return context.WithValue(ctx, requestCheckKey{}, check)
}

// WithObjectData returns a copy of ctx whose requests answer with an
// object's content (GetObject), which the transport of [NewTransport] does
// not bound when the answer is a success.
func WithObjectData(ctx context.Context) context.Context {
	return context.WithValue(ctx, objectDataKey{}, true)
}

// NewTransport returns the http.RoundTripper the backends send their
// requests with: base (http.DefaultTransport if nil), the checks of
// [WithRequestCheck], and response bodies read at most up to
// [MaxErrorBody] for error answers and [MaxResponseBody] for other answers
// but an object's content ([WithObjectData]). A client library that reads
// further gets a [*TooLargeError], and the connection is not reused.
func NewTransport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{send: base.RoundTrip}
}

// Doer is an HTTP client as aws-sdk-go-v2 takes it (aws.HTTPClient).
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// NewDoer returns client with the checks and bounds of [NewTransport].
func NewDoer(client Doer) Doer {
	if client == nil {
		client = http.DefaultClient
	}
	return &transport{send: client.Do, client: client}
}

// UnwrapDoer returns the client [NewDoer] made d of, or d if NewDoer did
// not make it.
func UnwrapDoer(d Doer) Doer {
	if t, ok := d.(*transport); ok && t.client != nil {
		return t.client
	}
	return d
}

// transport is what NewTransport and NewDoer return.
type transport struct {
	send   func(*http.Request) (*http.Response, error)
	client Doer // NewDoer's client
}

// RoundTrip runs the request's check, sends it and bounds the answer's
// body.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if check, ok := req.Context().Value(requestCheckKey{}).(func(*http.Request) error); ok {
		if err := check(req); err != nil {
			if req.Body != nil {
				req.Body.Close() // a RoundTripper closes the body, even on errors
			}
			return nil, err
		}
	}
	resp, err := t.send(req)
	if err != nil || resp.Body == nil || resp.Body == http.NoBody {
		return resp, err
	}
	failed := resp.StatusCode < 200 || resp.StatusCode >= 300
	if !failed && req.Context().Value(objectDataKey{}) != nil {
		return resp, nil
	}
	limit := int64(MaxResponseBody)
	if failed {
		limit = MaxErrorBody
	}
	resp.Body = &limitedBody{body: resp.Body, left: limit, limit: limit, req: req, status: resp.StatusCode}
	return resp, nil
}

// Do is RoundTrip, for NewDoer.
func (t *transport) Do(req *http.Request) (*http.Response, error) { return t.RoundTrip(req) }

// TooLargeError is the error of a response body read past its bound. It
// matches [multipart.ErrResponseTooLarge]; [Classify] gives it the kind of
// the answer's status, so that an error answer too large to read is still
// classified (a 500 is [multipart.ErrServer]).
type TooLargeError struct {
	// Method is the request's method.
	Method string
	// Status is the answer's HTTP status.
	Status int
	// Limit is the bound the body passed.
	Limit int64
}

// Error says which answer was too large.
func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%v: the answer (HTTP %d) to %s is larger than %s",
		multipart.ErrResponseTooLarge, e.Status, e.Method, sizeString(e.Limit))
}

// Unwrap returns [multipart.ErrResponseTooLarge].
func (e *TooLargeError) Unwrap() error { return multipart.ErrResponseTooLarge }

// limitedBody reads a response body up to limit bytes and fails with a
// *TooLargeError if there is more.
type limitedBody struct {
	body        io.ReadCloser
	left, limit int64
	req         *http.Request
	status      int
	err         error // the error once the limit is passed
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.left <= 0 {
		// At the bound: the body may end here, or go on.
		var one [1]byte
		n, err := b.body.Read(one[:])
		if n == 0 {
			return 0, err
		}
		b.err = &TooLargeError{Method: b.req.Method, Status: b.status, Limit: b.limit}
		return 0, b.err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.body.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.body.Close() }

// sizeString formats a bound in MiB or KiB.
func sizeString(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	if n >= 1<<10 && n%(1<<10) == 0 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
