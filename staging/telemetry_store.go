package staging

import (
	"context"
	"io"
	"iter"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/s3commit/s3commit/multipart"
)

// The attribute keys of store requests' spans: those of OpenTelemetry's
// semantic conventions for S3 where there is one.
const (
	attrBucket      = attribute.Key("aws.s3.bucket")
	attrKey         = attribute.Key("aws.s3.key")
	attrUploadID    = attribute.Key("aws.s3.upload_id")
	attrPartNumber  = attribute.Key("aws.s3.part_number")
	attrPrefix      = attribute.Key("s3commit.store.prefix")
	attrAttemptN    = attribute.Key("s3commit.store.attempt")
	attrListed      = attribute.Key("s3commit.store.listed")
	attrDeletedKeys = attribute.Key("s3commit.store.keys")
)

// telemetryStore is a multipart.Store that makes a span and records the
// duration of every request it passes on, counts the store's errors by
// kind, the retries (told by [multipart.Attempt]) and the uploads created,
// completed and aborted.
//
// New puts it inside the retry layer, right over the store it was given:
// each span is then one request, as OpenTelemetry's HTTP conventions want
// (a retry is a span of its own, with its attempt number), its duration
// the store's latency without the backoff waits, and its error what the
// store answered; the retries are counted where they are sent. Outside the
// retry layer a span would be one logical call, and every wrapper the
// committer makes (the task commit's recording store, the staging store)
// would need one of its own; the Uploader also wants a RetryingStore
// itself.
type telemetryStore struct {
	inner multipart.Store
	t     *telemetry
}

var _ multipart.Store = (*telemetryStore)(nil)

// Unwrap returns the wrapped store.
func (s *telemetryStore) Unwrap() multipart.Store { return s.inner }

// Bucket returns the wrapped store's bucket.
func (s *telemetryStore) Bucket() string { return s.inner.Bucket() }

// request is one request in flight.
type request struct {
	s     *telemetryStore
	op    string
	span  trace.Span
	start time.Time
}

// target is what a request concerns, for its span's attributes: the
// zero values are left out.
type target struct {
	key, uploadID, prefix string
	part                  int32
	size                  int64
	keys                  int // of DeleteObjects
}

// attributes returns t's attributes.
func (t target) attributes() []attribute.KeyValue {
	var out []attribute.KeyValue
	if t.key != "" {
		out = append(out, attrKey.String(t.key))
	}
	if t.uploadID != "" {
		out = append(out, attrUploadID.String(t.uploadID))
	}
	if t.prefix != "" {
		out = append(out, attrPrefix.String(t.prefix))
	}
	if t.part > 0 {
		out = append(out, attrPartNumber.Int(int(t.part)))
	}
	if t.size > 0 {
		out = append(out, attrBytes.Int64(t.size))
	}
	if t.keys > 0 {
		out = append(out, attrDeletedKeys.Int(t.keys))
	}
	return out
}

// begin starts the span of a request of op on tgt; its attributes are
// built only when the span records, so that no-op providers cost no
// allocation for them.
func (s *telemetryStore) begin(ctx context.Context, op string, tgt target) (context.Context, request) {
	ctx, span := s.t.tracer.Start(ctx, s.t.spanNames[op], trace.WithSpanKind(trace.SpanKindClient))
	n, prev := multipart.Attempt(ctx)
	if span.IsRecording() {
		span.SetAttributes(append(tgt.attributes(), attrOperation.String(op), attrBucket.String(s.inner.Bucket()), attrAttemptN.Int(n))...)
	}
	if n > 1 {
		s.t.storeRetries.Add(ctx, 1, s.t.ops[op], metric.WithAttributes(attrErrorType.String(errorType(prev))))
	}
	return ctx, request{s: s, op: op, span: span, start: time.Now()}
}

// end records the request's duration and outcome and ends its span.
func (r request) end(ctx context.Context, err error) {
	t := r.s.t
	took := time.Since(r.start).Seconds()
	if err != nil {
		typ := metric.WithAttributes(attrErrorType.String(errorType(err)))
		t.storeDuration.Record(ctx, took, t.ops[r.op], typ)
		t.storeErrors.Add(ctx, 1, t.ops[r.op], typ)
	} else {
		t.storeDuration.Record(ctx, took, t.ops[r.op])
	}
	endSpan(r.span, err)
}

// CreateUpload passes the call on, as one request.
func (s *telemetryStore) CreateUpload(ctx context.Context, key string, opts multipart.CreateOptions) (string, error) {
	ctx, r := s.begin(ctx, "CreateUpload", target{key: key})
	id, err := s.inner.CreateUpload(ctx, key, opts)
	if err == nil {
		s.t.uploadsCreated.Add(ctx, 1)
		if r.span.IsRecording() {
			r.span.SetAttributes(attrUploadID.String(id))
		}
	}
	r.end(ctx, err)
	return id, err
}

// UploadPart passes the call on, as one request.
func (s *telemetryStore) UploadPart(ctx context.Context, key, uploadID string, number int32, body io.ReadSeeker, size int64,
	opts multipart.PartOptions) (multipart.Part, error) {
	ctx, r := s.begin(ctx, "UploadPart", target{key: key, uploadID: uploadID, part: number, size: size})
	p, err := s.inner.UploadPart(ctx, key, uploadID, number, body, size, opts)
	r.end(ctx, err)
	return p, err
}

// CompleteUpload passes the call on, as one request.
func (s *telemetryStore) CompleteUpload(ctx context.Context, key, uploadID string, parts []multipart.Part,
	opts multipart.CompleteOptions) (string, error) {
	ctx, r := s.begin(ctx, "CompleteUpload", target{key: key, uploadID: uploadID})
	etag, err := s.inner.CompleteUpload(ctx, key, uploadID, parts, opts)
	if err == nil {
		s.t.uploadsCompleted.Add(ctx, 1)
	}
	r.end(ctx, err)
	return etag, err
}

// AbortUpload passes the call on, as one request.
func (s *telemetryStore) AbortUpload(ctx context.Context, key, uploadID string) error {
	ctx, r := s.begin(ctx, "AbortUpload", target{key: key, uploadID: uploadID})
	err := s.inner.AbortUpload(ctx, key, uploadID)
	if err == nil {
		s.t.uploadsAborted.Add(ctx, 1)
	}
	r.end(ctx, err)
	return err
}

// ListUploads passes the listing on; its span lasts while it is iterated.
func (s *telemetryStore) ListUploads(ctx context.Context, prefix string) iter.Seq2[multipart.Upload, error] {
	return listing(s, ctx, "ListUploads", prefix, s.inner.ListUploads)
}

// ListParts passes the call on, as one request.
func (s *telemetryStore) ListParts(ctx context.Context, key, uploadID string) ([]multipart.Part, error) {
	ctx, r := s.begin(ctx, "ListParts", target{key: key, uploadID: uploadID})
	parts, err := s.inner.ListParts(ctx, key, uploadID)
	r.end(ctx, err)
	return parts, err
}

// PutObject passes the call on, as one request.
func (s *telemetryStore) PutObject(ctx context.Context, key string, body io.ReadSeeker, size int64, opts multipart.PutOptions) (string, error) {
	ctx, r := s.begin(ctx, "PutObject", target{key: key, size: size})
	etag, err := s.inner.PutObject(ctx, key, body, size, opts)
	r.end(ctx, err)
	return etag, err
}

// GetObject passes the call on, as one request; the span ends when the
// object is open, before its body is read.
func (s *telemetryStore) GetObject(ctx context.Context, key string) (io.ReadCloser, multipart.ObjectInfo, error) {
	ctx, r := s.begin(ctx, "GetObject", target{key: key})
	rc, info, err := s.inner.GetObject(ctx, key)
	r.end(ctx, err)
	return rc, info, err
}

// HeadObject passes the call on, as one request.
func (s *telemetryStore) HeadObject(ctx context.Context, key string) (multipart.ObjectInfo, error) {
	ctx, r := s.begin(ctx, "HeadObject", target{key: key})
	info, err := s.inner.HeadObject(ctx, key)
	r.end(ctx, err)
	return info, err
}

// ListObjects passes the listing on; its span lasts while it is iterated.
func (s *telemetryStore) ListObjects(ctx context.Context, prefix string) iter.Seq2[multipart.ObjectInfo, error] {
	return listing(s, ctx, "ListObjects", prefix, s.inner.ListObjects)
}

// DeleteObjects passes the call on, as one request.
func (s *telemetryStore) DeleteObjects(ctx context.Context, keys []string) error {
	ctx, r := s.begin(ctx, "DeleteObjects", target{keys: len(keys)})
	err := s.inner.DeleteObjects(ctx, keys)
	r.end(ctx, err)
	return err
}

// listing wraps a listing: its span starts when the iteration does and
// ends with it, with the number of entries yielded.
func listing[T any](s *telemetryStore, ctx context.Context, op, prefix string,
	list func(context.Context, string) iter.Seq2[T, error]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		ctx, r := s.begin(ctx, op, target{prefix: prefix})
		n := 0
		var failed error
		for v, err := range list(ctx, prefix) {
			if err != nil {
				failed = err
			} else {
				n++
			}
			if !yield(v, err) {
				break
			}
		}
		if r.span.IsRecording() {
			r.span.SetAttributes(attrListed.Int(n))
		}
		r.end(ctx, failed)
	}
}
