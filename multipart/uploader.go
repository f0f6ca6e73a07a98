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
	// Checksums says what becomes of the CRC64NVME checksum computed for
	// every part and file; the zero value is [ChecksumStoreVerified].
	Checksums ChecksumMode
}

// ChecksumMode says what an [Uploader] does with the CRC64NVME checksums
// it computes: each part's checksum is computed from the part's bytes just
// before the part is sent (the second read of those bytes comes from the
// page cache), and the whole file's checksum is combined from the parts'
// ([CombineChecksums]), without reading the file again.
type ChecksumMode int

const (
	// ChecksumStoreVerified creates each upload with CRC64NVME and
	// checksum type FULL_OBJECT and sends each part's checksum, which the
	// store checks: a part whose bytes changed on the way is refused
	// ([ErrChecksumMismatch]). The record keeps the parts' and the whole
	// file's checksums ([Uploaded.Parts], [Uploaded.Checksum]); completing
	// it with the record's CompleteOptions (package pendingset) makes the
	// store check the whole
	// object against the file's checksum. For AWS S3, MinIO (2025 and
	// later) and versitygw; `s3commit doctor` tells whether a store
	// supports it.
	ChecksumStoreVerified ChecksumMode = iota
	// ChecksumRecordOnly computes the checksums and records the whole
	// file's in the record, but sends none: for stores that refuse or
	// mishandle checksum requests. Verifying the output then reads it back.
	ChecksumRecordOnly
	// ChecksumOff neither computes nor records checksums.
	ChecksumOff
)

// String returns the mode's name.
func (m ChecksumMode) String() string {
	switch m {
	case ChecksumStoreVerified:
		return "ChecksumStoreVerified"
	case ChecksumRecordOnly:
		return "ChecksumRecordOnly"
	case ChecksumOff:
		return "ChecksumOff"
	}
	return fmt.Sprintf("ChecksumMode(%d)", int(m))
}

// Uploader uploads local files as uncompleted multipart uploads: the bytes
// reach the store, nothing becomes visible, and the returned [Uploaded]
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
	if opts.Checksums < ChecksumStoreVerified || opts.Checksums > ChecksumOff {
		return nil, fmt.Errorf("multipart: UploaderOptions.Checksums: unknown mode %v", opts.Checksums)
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
// upload and returns what completing it needs ([Uploaded]; package
// pendingset makes its Hadoop-format record). Parts are read straight from
// the file (no part-sized buffers) and uploaded in parallel; a zero-byte
// file becomes one empty part. Transient failures are retried. When a part
// fails for good or ctx is cancelled, the upload is aborted (with a context
// of its own, so a cancelled ctx cannot leak it) and the error is returned.
func (u *Uploader) UploadFile(ctx context.Context, path, key string) (*Uploaded, error) {
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
	up, err := u.Upload(ctx, f, fi.Size(), key)
	if err != nil {
		return nil, fmt.Errorf("multipart: upload %s: %w", path, err)
	}
	return up, nil
}

// Upload uploads size bytes read from r to key as an uncompleted multipart
// upload, like [Uploader.UploadFile].
//
// One case cannot be cleaned up here: when the store carries out
// CreateMultipartUpload but its answer is lost, the retry creates a second
// upload and the first one's ID is never known. Such an upload is found by
// listing the uploads of the exact key ([Store.ListUploads]), which is what
// a committer's abort does for the keys of its job.
func (u *Uploader) Upload(ctx context.Context, r io.ReaderAt, size int64, key string) (*Uploaded, error) {
	plan, err := PlanParts(size, u.opts.PartSize)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	created := time.Now()
	var createOpts CreateOptions
	if u.opts.Checksums == ChecksumStoreVerified {
		createOpts.Checksum = ChecksumCRC64NVME
	}
	uploadID, err := u.store.CreateUpload(ctx, key, createOpts)
	if err != nil {
		return nil, err
	}
	parts, err := u.uploadParts(ctx, r, plan, key, uploadID)
	if err == nil {
		var up *Uploaded
		if up, err = u.uploaded(key, uploadID, plan, parts, size, created); err == nil {
			return up, nil
		}
	}
	if abortErr := u.abort(ctx, key, uploadID); abortErr != nil {
		return nil, errors.Join(err, fmt.Errorf("the upload could not be aborted and remains in the store; abort it by hand: %w", abortErr))
	}
	return nil, err
}

// Uploaded is an uncompleted multipart upload whose parts are all in the
// store: what completing it needs, from any process. Package pendingset
// records it in Hadoop's format (pendingset.UploadOf).
type Uploaded struct {
	// Bucket, Key and UploadID name the upload.
	Bucket, Key, UploadID string
	// Parts are its parts in order, each with its ETag, its size and,
	// unless checksums are off, its checksum.
	Parts []Part
	// Size is the object's size once completed.
	Size int64
	// Created is when the upload was created.
	Created time.Time
	// Checksum is the whole file's full-object checksum, combined from
	// the parts' ([CombineChecksums]); zero with [ChecksumOff].
	Checksum Checksum
	// PartChecksumsSent reports that the parts were sent with their
	// checksums, which the store checked and which completing the upload
	// needs ([ChecksumStoreVerified]).
	PartChecksumsSent bool
}

// uploaded describes an upload whose parts are all uploaded, with its
// checksums as the mode keeps them.
func (u *Uploader) uploaded(key, uploadID string, plan Plan, parts []Part, size int64, created time.Time) (*Uploaded, error) {
	up := &Uploaded{Bucket: u.store.Bucket(), Key: key, UploadID: uploadID, Parts: parts, Size: size, Created: created}
	if u.opts.Checksums == ChecksumOff {
		return up, nil
	}
	sums := make([]Checksum, len(parts))
	sizes := make([]int64, len(parts))
	for i, p := range parts {
		sums[i], sizes[i] = p.Checksum, plan.Part(i).Size
	}
	whole, err := CombineChecksums(sums, sizes)
	if err != nil {
		return nil, err
	}
	up.Checksum = whole
	up.PartChecksumsSent = u.opts.Checksums == ChecksumStoreVerified
	return up, nil
}

// uploadParts uploads every part of the plan, at most Concurrency at a time
// across the Uploader, and returns the parts in order, each with its
// checksum unless checksums are off. It returns the first error after
// every started part has finished.
func (u *Uploader) uploadParts(ctx context.Context, r io.ReaderAt, plan Plan, key, uploadID string) ([]Part, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	parts := make([]Part, plan.Parts)
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
			p, err := u.uploadPart(ctx, r, plan.Part(i), key, uploadID)
			if err != nil {
				fail(err)
				return
			}
			parts[i] = p
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return parts, nil
}

// uploadPart computes the checksum of one part, unless checksums are off,
// and uploads the part, sending the checksum in ChecksumStoreVerified
// mode. The returned part carries the checksum in every mode but off.
func (u *Uploader) uploadPart(ctx context.Context, r io.ReaderAt, part PartRange, key, uploadID string) (Part, error) {
	var sum Checksum
	if u.opts.Checksums != ChecksumOff {
		var err error
		sum, _, err = ComputeChecksum(ChecksumCRC64NVME, io.NewSectionReader(r, part.Offset, part.Size))
		if err != nil {
			return Part{}, fmt.Errorf("read part %d (bytes %d to %d) to checksum it: %w", part.Number, part.Offset, part.Offset+part.Size, err)
		}
	}
	var opts PartOptions
	if u.opts.Checksums == ChecksumStoreVerified {
		opts.Checksum = sum
	}
	body := io.NewSectionReader(r, part.Offset, part.Size)
	p, err := u.store.UploadPart(ctx, key, uploadID, part.Number, body, part.Size, opts)
	if err != nil {
		return Part{}, err
	}
	p.Checksum = sum
	return p, nil
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
