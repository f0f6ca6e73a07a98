package multipart

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"time"

	"github.com/s3commit/s3commit/internal/retry"
)

// RetryingStore is a Store that retries transient failures ([IsRetryable])
// of the calls it passes to the wrapped store, with exponential backoff and
// jitter under a [RetryPolicy]. It is s3commit's one retry layer: the S3
// backends make one attempt per request unless told otherwise
// (awsstore.Options.RetryMaxAttempts, miniostore.Options.RetryMaxAttempts),
// and the [Uploader] and the staging committer wrap their stores in a
// RetryingStore. Retrying in one
// layer keeps the number of requests of a logical call at
// RetryPolicy.MaxAttempts, instead of the product of several layers'
// attempts.
//
// Each method is one logical call, attempted at most MaxAttempts times in
// total. Errors that are not transient, and the end of the context, are
// returned at once; when the context ends during a wait, the error matches
// the context's error and keeps the last failure. Retries are logged at
// Debug level (op, key, attempt, wait, error).
//
//   - UploadPart and PutObject seek the body back, before each attempt, to
//     the position it had when the call was made.
//   - ListUploads and ListObjects retry a failed page fetch: the listing
//     starts again and skips what it yielded already, so that nothing is
//     yielded twice. ListObjects skips the keys up to and including the
//     last one yielded, as objects are listed in key order; a listing that
//     turns out not to be in key order (as S3 Express directory buckets
//     list) is not restarted once it has yielded something, and ends with
//     its error. ListUploads skips the uploads it yielded, by key and
//     upload ID, remembering them all: MinIO lists the uploads of a whole
//     bucket in the order they were created, not by key. A page fetch
//     counts as one call: the attempts are counted across restarts until
//     the listing yields something new, so that a store that always fails
//     gets exactly MaxAttempts requests.
//   - GetObject retries the opening of the object; a failure while the
//     caller reads the body is the caller's to handle.
//   - DeleteObjects retries the keys whose deletion failed with a transient
//     error, and returns the errors of the keys that failed for good
//     together with those still failing at the last attempt.
//   - CreateUpload is retried like every call. When the answer of an
//     attempt that took effect is lost, the retry creates a second upload;
//     the first one's ID is never known (see [Uploader.Upload]).
//   - CompleteUpload and AbortUpload are retried like every call, and their
//     answers are passed on as the store gave them. A retry after a lost
//     answer may meet the first attempt's effect: a repeated completion
//     answers [ErrNoSuchUpload], or [ErrPreconditionFailed] with
//     CompleteOptions.IfNoneMatch or IfMatch (MinIO evaluates the condition
//     before it looks the upload up), and a repeated abort answers
//     ErrNoSuchUpload. RetryingStore does not interpret these answers: the
//     caller, which knows what it expects (the staging committer checks the
//     upload and the object at the key), disambiguates them.
//
// A RetryingStore is safe for concurrent use.
type RetryingStore struct {
	inner   Store
	policy  retry.Policy
	logger  *slog.Logger
	restart time.Duration // wait before a listing restarts after progress
}

var _ Store = (*RetryingStore)(nil)

// NewRetryingStore returns a RetryingStore that retries the calls it passes
// to inner under policy; the zero RetryPolicy gives [DefaultMaxAttempts]
// attempts with backoff from 200 ms up to 10 s, and a negative MaxAttempts
// counts as 1 (no retries). A nil logger discards the retry records. It
// panics if inner is nil, which is a programming error.
func NewRetryingStore(inner Store, policy RetryPolicy, logger *slog.Logger) *RetryingStore {
	if inner == nil {
		panic("multipart.NewRetryingStore: nil Store")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	p := policy.withDefaults()
	return &RetryingStore{inner: inner, policy: p, logger: logger, restart: p.InitialBackoff}
}

// Unwrap returns the wrapped store, whose calls are not retried.
func (s *RetryingStore) Unwrap() Store { return s.inner }

// Bucket returns the wrapped store's bucket.
func (s *RetryingStore) Bucket() string { return s.inner.Bucket() }

// do runs call, the operation op on key, under the store's policy, logging
// each retry with attrs.
func do[T any](s *RetryingStore, ctx context.Context, op, key string, call func(context.Context) (T, error), attrs ...any) (T, error) {
	var a attemptInfo
	return retry.Do(ctx, s.policy, IsRetryable, s.notify(ctx, op, key, attrs...), func(ctx context.Context) (T, error) {
		a.n++
		v, err := call(withAttempt(ctx, a))
		a.previous = err
		return v, err
	})
}

// notify returns the retry.Do notification that logs a retry of op on key.
func (s *RetryingStore) notify(ctx context.Context, op, key string, attrs ...any) func(int, error, time.Duration) {
	return func(attempt int, err error, wait time.Duration) {
		s.log(ctx, op, key, attempt, wait, err, attrs...)
	}
}

func (s *RetryingStore) log(ctx context.Context, op, key string, attempt int, wait time.Duration, err error, attrs ...any) {
	if !s.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	args := append([]any{"op", op, "bucket", s.inner.Bucket(), "key", key}, attrs...)
	args = append(args, "attempt", attempt, "wait", wait, "error", err)
	s.logger.DebugContext(ctx, "multipart: retrying store call", args...)
}

// CreateUpload starts a multipart upload, retrying transient failures.
func (s *RetryingStore) CreateUpload(ctx context.Context, key string, opts CreateOptions) (string, error) {
	return do(s, ctx, "CreateUpload", key, func(ctx context.Context) (string, error) {
		return s.inner.CreateUpload(ctx, key, opts)
	})
}

// UploadPart uploads a part, retrying transient failures; before each retry
// it seeks body back to where it was when UploadPart was called.
func (s *RetryingStore) UploadPart(ctx context.Context, key, uploadID string, number int32, body io.ReadSeeker, size int64, opts PartOptions) (Part, error) {
	rewind, err := rewinder(body)
	if err != nil {
		return Part{}, fmt.Errorf("multipart: UploadPart %s part %d: %w", key, number, err)
	}
	first := true
	return do(s, ctx, "UploadPart", key, func(ctx context.Context) (Part, error) {
		if !first {
			if err := rewind(); err != nil {
				return Part{}, fmt.Errorf("multipart: UploadPart %s part %d: %w", key, number, err)
			}
		}
		first = false
		return s.inner.UploadPart(ctx, key, uploadID, number, body, size, opts)
	}, "part", number)
}

// rewinder returns a function that seeks body back to its current
// position.
func rewinder(body io.ReadSeeker) (func() error, error) {
	start, err := body.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, fmt.Errorf("find the body's position: %w", err)
	}
	return func() error {
		if _, err := body.Seek(start, io.SeekStart); err != nil {
			return fmt.Errorf("seek the body back for a retry: %w", err)
		}
		return nil
	}, nil
}

// CompleteUpload completes an upload, retrying transient failures. Its
// answer is not interpreted: after a lost answer, a retry may fail with
// [ErrNoSuchUpload] or [ErrPreconditionFailed] although the first attempt
// completed the upload (see [RetryingStore]).
func (s *RetryingStore) CompleteUpload(ctx context.Context, key, uploadID string, parts []Part, opts CompleteOptions) (string, error) {
	return do(s, ctx, "CompleteUpload", key, func(ctx context.Context) (string, error) {
		return s.inner.CompleteUpload(ctx, key, uploadID, parts, opts)
	}, "upload_id", uploadID)
}

// AbortUpload aborts an upload, retrying transient failures. Its answer is
// not interpreted: after a lost answer, a retry may fail with
// [ErrNoSuchUpload] although the first attempt aborted the upload.
func (s *RetryingStore) AbortUpload(ctx context.Context, key, uploadID string) error {
	_, err := do(s, ctx, "AbortUpload", key, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.inner.AbortUpload(ctx, key, uploadID)
	}, "upload_id", uploadID)
	return err
}

// ListUploads yields the uncompleted uploads under prefix. A page fetch
// that fails transiently restarts the listing, which skips the uploads
// yielded already (see [RetryingStore]).
func (s *RetryingStore) ListUploads(ctx context.Context, prefix string) iter.Seq2[Upload, error] {
	return listRetrying(s, ctx, "ListUploads", prefix, s.inner.ListUploads, &uploadCursor{})
}

// ListParts lists an upload's parts, retrying transient failures.
func (s *RetryingStore) ListParts(ctx context.Context, key, uploadID string) ([]Part, error) {
	return do(s, ctx, "ListParts", key, func(ctx context.Context) ([]Part, error) {
		return s.inner.ListParts(ctx, key, uploadID)
	}, "upload_id", uploadID)
}

// PutObject writes a small object, retrying transient failures; before
// each retry it seeks body back to where it was when PutObject was called.
func (s *RetryingStore) PutObject(ctx context.Context, key string, body io.ReadSeeker, size int64, opts PutOptions) (string, error) {
	rewind, err := rewinder(body)
	if err != nil {
		return "", fmt.Errorf("multipart: PutObject %s: %w", key, err)
	}
	first := true
	return do(s, ctx, "PutObject", key, func(ctx context.Context) (string, error) {
		if !first {
			if err := rewind(); err != nil {
				return "", fmt.Errorf("multipart: PutObject %s: %w", key, err)
			}
		}
		first = false
		return s.inner.PutObject(ctx, key, body, size, opts)
	})
}

// objectReader is what GetObject returns from one attempt.
type objectReader struct {
	rc   io.ReadCloser
	info ObjectInfo
}

// GetObject opens an object, retrying transient failures of the opening.
// Reading the body is not retried.
func (s *RetryingStore) GetObject(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error) {
	r, err := do(s, ctx, "GetObject", key, func(ctx context.Context) (objectReader, error) {
		rc, info, err := s.inner.GetObject(ctx, key)
		if err != nil && rc != nil {
			rc.Close()
			rc = nil
		}
		return objectReader{rc, info}, err
	})
	if err != nil {
		return nil, ObjectInfo{}, err
	}
	return r.rc, r.info, nil
}

// HeadObject returns an object's metadata, retrying transient failures.
func (s *RetryingStore) HeadObject(ctx context.Context, key string) (ObjectInfo, error) {
	return do(s, ctx, "HeadObject", key, func(ctx context.Context) (ObjectInfo, error) {
		return s.inner.HeadObject(ctx, key)
	})
}

// ListObjects yields the objects under prefix. A page fetch that fails
// transiently restarts the listing, which skips the keys up to and
// including the last one yielded (see [RetryingStore]).
func (s *RetryingStore) ListObjects(ctx context.Context, prefix string) iter.Seq2[ObjectInfo, error] {
	return listRetrying(s, ctx, "ListObjects", prefix, s.inner.ListObjects, &objectCursor{})
}

// DeleteObjects deletes keys. A retry sends only the keys whose deletion
// failed with a transient error (all of them when the wrapped store's
// error does not name its keys); the returned error joins the errors of
// the keys that failed for good and of those still failing at the end.
func (s *RetryingStore) DeleteObjects(ctx context.Context, keys []string) error {
	pending := keys
	var failed []error // keys that will not be retried
	_, err := do(s, ctx, "DeleteObjects", "", func(ctx context.Context) (struct{}, error) {
		err := s.inner.DeleteObjects(ctx, pending)
		if err == nil {
			return struct{}{}, nil
		}
		retryKeys, transient, permanent, ok := splitDeleteErrors(err, pending)
		if !ok {
			return struct{}{}, err // retried, or not, as a whole
		}
		failed = append(failed, permanent...)
		pending = retryKeys
		return struct{}{}, errors.Join(transient...)
	}, "keys", len(keys))
	return errors.Join(append(failed, err)...)
}

// splitDeleteErrors splits the error of DeleteObjects(keys) into the keys
// that failed with a transient error, those errors, and the other errors.
// It fails (ok false) unless err joins one *Error per failed key, each
// naming one of keys.
func splitDeleteErrors(err error, keys []string) (retryKeys []string, transient, permanent []error, ok bool) {
	leaves := []error{err}
	if joined, isJoined := err.(interface{ Unwrap() []error }); isJoined {
		leaves = joined.Unwrap()
	}
	asked := make(map[string]bool, len(keys))
	for _, k := range keys {
		asked[k] = true
	}
	again := make(map[string]bool)
	for _, leaf := range leaves {
		var e *Error
		if !errors.As(leaf, &e) || !asked[e.Key] {
			return nil, nil, nil, false
		}
		if IsRetryable(leaf) {
			again[e.Key] = true
			transient = append(transient, leaf)
		} else {
			permanent = append(permanent, leaf)
		}
	}
	for _, k := range keys {
		if again[k] {
			retryKeys = append(retryKeys, k)
			delete(again, k) // a key given twice is retried once
		}
	}
	return retryKeys, transient, permanent, true
}

// cursor remembers what a listing yielded, so that a restarted listing
// skips it.
type cursor[T any] interface {
	// mark records where the listing is as an attempt starts.
	mark()
	// seen reports whether v was yielded before the mark.
	seen(v T) bool
	// yielded records that v was yielded.
	yielded(v T)
	// restartable reports whether seen can tell.
	restartable() bool
}

// objectCursor: objects are listed in key order, one per key, so the last
// key yielded tells what was.
type objectCursor struct {
	started  bool
	last     string
	unsorted bool // a key came after a greater one

	markStarted bool
	markLast    string
}

func (c *objectCursor) mark() { c.markStarted, c.markLast = c.started, c.last }

func (c *objectCursor) seen(o ObjectInfo) bool { return c.markStarted && o.Key <= c.markLast }

func (c *objectCursor) yielded(o ObjectInfo) {
	if c.started && o.Key <= c.last {
		c.unsorted = true
	}
	c.started, c.last = true, o.Key
}

func (c *objectCursor) restartable() bool { return !c.started || !c.unsorted }

// uploadCursor: uploads are not always listed in key order (MinIO lists a
// whole bucket's by creation), so it remembers every upload yielded.
type uploadCursor struct {
	done map[[2]string]bool // key and upload ID
}

func (c *uploadCursor) mark() {}

func (c *uploadCursor) seen(u Upload) bool { return c.done[[2]string{u.Key, u.UploadID}] }

func (c *uploadCursor) yielded(u Upload) {
	if c.done == nil {
		c.done = make(map[[2]string]bool)
	}
	c.done[[2]string{u.Key, u.UploadID}] = true
}

func (c *uploadCursor) restartable() bool { return true }

// listRetrying returns list(ctx, prefix) with failed page fetches retried:
// each attempt runs the listing from the start and, after the first one,
// skips what cur has seen. The attempts are counted by retry.Do until an
// attempt yields something new and then fails: the listing got further,
// so the count starts again after a wait of the first backoff.
func listRetrying[T any](s *RetryingStore, ctx context.Context, op, prefix string,
	list func(context.Context, string) iter.Seq2[T, error], cur cursor[T]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		var a attemptInfo
		again := false // a restart: skip what was yielded
		for {
			progressed, stopped := false, false
			transient := func(err error) bool { return !progressed && cur.restartable() && IsRetryable(err) }
			_, err := retry.Do(ctx, s.policy, transient, s.notify(ctx, op, prefix), func(ctx context.Context) (struct{}, error) {
				progressed = false
				skip := again
				again = true
				cur.mark()
				a.n++
				actx := withAttempt(ctx, a)
				for v, err := range list(actx, prefix) {
					a.previous = err
					if err != nil {
						return struct{}{}, err
					}
					if skip && cur.seen(v) {
						continue
					}
					cur.yielded(v)
					progressed = true
					if !yield(v, nil) {
						stopped = true
						return struct{}{}, nil
					}
				}
				return struct{}{}, nil
			})
			if err == nil || stopped {
				return
			}
			if !progressed || !cur.restartable() || !IsRetryable(err) {
				yield(zero, err)
				return
			}
			s.log(ctx, op, prefix, 1, s.restart, err, "restart", true)
			if err := sleep(ctx, s.restart, err); err != nil {
				yield(zero, err)
				return
			}
		}
	}
}

// sleep waits for d, or returns ctx's error joined with last if ctx ends
// first.
func sleep(ctx context.Context, d time.Duration, last error) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w (last error: %w)", context.Cause(ctx), last)
	}
}
