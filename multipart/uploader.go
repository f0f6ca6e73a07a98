package multipart

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/s3commit/s3commit/internal/retry"
)

// Defaults of [UploaderOptions].
const (
	// DefaultConcurrency is the default number of part uploads in flight
	// per Uploader.
	DefaultConcurrency = 16
	// DefaultMaxAttempts is the default number of attempts of one request.
	DefaultMaxAttempts = 5
)

// abortTimeout bounds the clean-up abort sent after a failure or cancellation.
const abortTimeout = 2 * time.Minute

// RetryPolicy says how often and how patiently a request that failed with a
// transient error ([IsRetryable]) is sent again.
type RetryPolicy struct {
	// MaxAttempts is the total number of attempts of one request, including
	// the first; 0 means [DefaultMaxAttempts], 1 disables retries.
	MaxAttempts int
	// InitialBackoff is the wait before the first retry; 0 means 200ms.
	InitialBackoff time.Duration
	// MaxBackoff caps the wait between attempts; 0 means 10s.
	MaxBackoff time.Duration
}

func (p RetryPolicy) withDefaults() retry.Policy {
	r := retry.Policy{MaxAttempts: p.MaxAttempts, InitialBackoff: p.InitialBackoff, MaxBackoff: p.MaxBackoff}
	if r.MaxAttempts == 0 {
		r.MaxAttempts = DefaultMaxAttempts
	}
	if r.InitialBackoff == 0 {
		r.InitialBackoff = 200 * time.Millisecond
	}
	if r.MaxBackoff == 0 {
		r.MaxBackoff = 10 * time.Second
	}
	return r
}

// UploaderOptions configure an [Uploader]. The zero value is valid.
type UploaderOptions struct {
	// PartSize is the preferred part size; 0 means [DefaultPartSize]. It is
	// grown automatically for files that would need more than [MaxParts]
	// parts. Hadoop: fs.s3a.multipart.size.
	PartSize int64
	// Concurrency bounds the part uploads in flight across all uploads of
	// this Uploader; 0 means [DefaultConcurrency]. Give the Store's HTTP
	// client at least as many idle connections. Hadoop: fs.s3a.threads.max.
	Concurrency int
	// Retry governs retries of transient failures: it is the policy of the
	// [RetryingStore] that [NewUploader] wraps the store in. It is not used
	// when the store given to NewUploader is a *RetryingStore already.
	Retry RetryPolicy
	// Logger receives debug records of retries and aborts; nil disables
	// logging. The retries of a store that is a *RetryingStore already are
	// logged by that store's logger.
	Logger *slog.Logger
}

// Uploader uploads local files as uncompleted multipart uploads: the bytes
// reach the store, nothing becomes visible, and the returned [PendingUpload]
// holds what is needed to complete (or abort) the upload later, from any
// process. An Uploader is safe for concurrent use; its Concurrency bound is
// shared by all its uploads.
type Uploader struct {
	store  *RetryingStore
	opts   UploaderOptions
	slots  chan struct{}
	logger *slog.Logger
}

// NewUploader returns an Uploader that writes to store. It fails when the
// options are out of range.
//
// Every store call of the Uploader is retried by one layer, a
// [RetryingStore]: NewUploader wraps store in one with opts.Retry and
// opts.Logger, unless store is a *RetryingStore already, which is then used
// as it is (and opts.Retry is not). Passing a RetryingStore is how a caller
// puts a wrapper of its own inside the retry layer, so that the wrapper
// sees every attempt: for example one that records each CreateUpload
// attempt, whose answer may be lost after the upload was created:
//
//	st := multipart.NewRetryingStore(&recordingStore{Store: backend}, policy, logger)
//	uploader, err := multipart.NewUploader(st, multipart.UploaderOptions{})
func NewUploader(store Store, opts UploaderOptions) (*Uploader, error) {
	if store == nil {
		return nil, errors.New("multipart: NewUploader needs a Store, got nil")
	}
	if opts.PartSize == 0 {
		opts.PartSize = DefaultPartSize
	}
	if _, err := PlanParts(0, opts.PartSize); err != nil {
		return nil, fmt.Errorf("multipart: UploaderOptions.PartSize: %w", err)
	}
	if opts.Concurrency < 0 || opts.Retry.MaxAttempts < 0 {
		return nil, fmt.Errorf("multipart: UploaderOptions: Concurrency (%d) and Retry.MaxAttempts (%d) must not be negative",
			opts.Concurrency, opts.Retry.MaxAttempts)
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = DefaultConcurrency
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	rs, ok := store.(*RetryingStore)
	if !ok {
		rs = NewRetryingStore(store, opts.Retry, logger)
	}
	return &Uploader{
		store:  rs,
		opts:   opts,
		slots:  make(chan struct{}, opts.Concurrency),
		logger: logger,
	}, nil
}

// UploadFile uploads the file at path to key as an uncompleted multipart
// upload and returns its pending-upload record. Parts are read straight from
// the file (no part-sized buffers) and uploaded in parallel; a zero-byte
// file becomes one empty part. Transient failures are retried. When a part
// fails for good or ctx is cancelled, the upload is aborted (with a context
// of its own, so a cancelled ctx cannot leak it) and the error is returned.
func (u *Uploader) UploadFile(ctx context.Context, path, key string) (*PendingUpload, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("multipart: upload %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("multipart: upload %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("multipart: upload %s: not a regular file", path)
	}
	pending, err := u.Upload(ctx, f, fi.Size(), key)
	if err != nil {
		return nil, fmt.Errorf("multipart: upload %s: %w", path, err)
	}
	return pending, nil
}

// Upload uploads size bytes read from r to key as an uncompleted multipart
// upload, like [Uploader.UploadFile].
//
// One case cannot be cleaned up here: when the store carries out
// CreateMultipartUpload but its answer is lost, the retry creates a second
// upload and the first one's ID is never known. Such an upload is found by
// listing the uploads of the exact key ([Store.ListUploads]), which is what
// a committer's abort does for the keys of its job.
func (u *Uploader) Upload(ctx context.Context, r io.ReaderAt, size int64, key string) (*PendingUpload, error) {
	plan, err := PlanParts(size, u.opts.PartSize)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	created := time.Now()
	uploadID, err := u.store.CreateUpload(ctx, key, CreateOptions{})
	if err != nil {
		return nil, err
	}
	etags, err := u.uploadParts(ctx, r, plan, key, uploadID)
	if err != nil {
		if abortErr := u.abort(ctx, key, uploadID); abortErr != nil {
			return nil, errors.Join(err, fmt.Errorf("the upload could not be aborted and remains in the store; abort it by hand: %w", abortErr))
		}
		return nil, err
	}
	return NewPendingUpload(u.store.Bucket(), key, uploadID, etags, size, created), nil
}

// uploadParts uploads every part of the plan, at most Concurrency at a time
// across the Uploader, and returns the part ETags in order. It returns the
// first error after every started part has finished.
func (u *Uploader) uploadParts(ctx context.Context, r io.ReaderAt, plan Plan, key, uploadID string) ([]string, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	etags := make([]string, plan.Parts)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
			cancel(err)
		}
	}
	for i := range plan.Parts {
		acquired := false
		select {
		case u.slots <- struct{}{}:
			acquired = true
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			if acquired {
				<-u.slots
			}
			break
		}
		wg.Go(func() {
			defer func() { <-u.slots }()
			part := plan.Part(i)
			body := io.NewSectionReader(r, part.Offset, part.Size)
			p, err := u.store.UploadPart(ctx, key, uploadID, part.Number, body, part.Size, PartOptions{})
			if err != nil {
				fail(err)
				return
			}
			etags[i] = p.ETag
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return etags, nil
}

// abort aborts an upload after a failure, on a context that is not
// cancelled with the caller's, so a cancelled job cannot leak its upload.
func (u *Uploader) abort(ctx context.Context, key, uploadID string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	err := u.store.AbortUpload(ctx, key, uploadID)
	if errors.Is(err, ErrNoSuchUpload) {
		err = nil // gone already (or a retry met the aborted upload): nothing leaks
	}
	u.logger.DebugContext(ctx, "aborted multipart upload after failure",
		"bucket", u.store.Bucket(), "key", key, "upload_id", uploadID, "error", err)
	return err
}
