package datajob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/awsstore"
	"github.com/s3commit/s3commit/staging"
)

// logger returns the logger of the job's messages, on stderr at
// --log-level.
func (r *runner) logger() *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(r.c.logLevel)) // validated by parseArgs
	return slog.New(slog.NewTextHandler(r.stderr, &slog.HandlerOptions{Level: level}))
}

// store returns a store on the bucket of --dest, configured by
// --endpoint-url, --region, --path-style and the standard AWS
// configuration (AWS_* variables, shared files). It sends no request.
//
// Like every awsstore it makes one attempt per request: the committer
// retries the calls it makes, and the job's own calls go through
// [runner.retrying].
func (r *runner) store(ctx context.Context) (*awsstore.Store, error) {
	return r.storeOn(ctx, r.c.bucket)
}

// storeOn returns a store on bucket, configured as [runner.store].
func (r *runner) storeOn(ctx context.Context, bucket string) (*awsstore.Store, error) {
	st, err := awsstore.New(ctx, awsstore.Options{
		Bucket:       bucket,
		EndpointURL:  r.c.endpointURL,
		Region:       r.c.region,
		UsePathStyle: r.c.pathStyle,
	})
	if err != nil {
		return nil, fmt.Errorf("configure the store for bucket %q (check --endpoint-url, --region and the AWS_* variables): %w", bucket, err)
	}
	return st, nil
}

// stagingStore returns the store that holds the job's records when
// --staging-dir is s3://BUCKET/PREFIX: st, the store of --dest, when
// BUCKET is its bucket, otherwise a store on BUCKET with the same
// endpoint, region and credentials (made once). It returns nil for a
// staging dir on a filesystem.
func (r *runner) stagingStore(ctx context.Context, st *awsstore.Store) (*awsstore.Store, error) {
	switch {
	case r.c.stagingBucket == "":
		return nil, nil
	case r.c.stagingBucket == st.Bucket():
		return st, nil
	case r.staging != nil:
		return r.staging, nil
	}
	sst, err := r.storeOn(ctx, r.c.stagingBucket)
	if err != nil {
		return nil, fmt.Errorf("the store of --staging-dir %s: %w", r.c.stagingDir, err)
	}
	r.staging = sst
	return sst, nil
}

// retrying returns st with its calls retried in multipart's retry layer,
// for the calls the job makes itself (reading _SUCCESS and the output).
func (r *runner) retrying(st *awsstore.Store) multipart.Store {
	return multipart.NewRetryingStore(st, multipart.RetryPolicy{}, r.logger())
}

// committer returns a staging committer on st with the job settings of
// the command line. progress, if not nil, receives the commit's progress.
// A staging dir in the store on another bucket than --dest's is given
// its own store ([runner.stagingStore]).
func (r *runner) committer(ctx context.Context, st *awsstore.Store, progress func(staging.Progress)) (*staging.Committer, error) {
	mode, _ := committer.ParseMode(r.c.mode)                 // validated by parseArgs
	conflict, _ := committer.ParseConflictMode(r.c.conflict) // validated by parseArgs
	var stagingStore multipart.Store
	if sst, err := r.stagingStore(ctx, st); err != nil {
		return nil, err
	} else if sst != nil && sst != st {
		stagingStore = sst
	}
	c, err := staging.New(st, staging.Options{
		StagingDir:   r.c.stagingURL(),
		StagingStore: stagingStore,
		BufferDir:    r.c.bufferDir,
		Destination:  r.c.prefix,
		Mode:         mode,
		Conflict:     conflict,
		Logger:       r.logger(),
		Progress:     progress,
		// Nil unless --metrics-addr, --metrics-file or --trace is given.
		MeterProvider:  r.meterProvider(),
		TracerProvider: r.tracerProvider(),
	})
	if err != nil {
		return nil, fmt.Errorf("set up the committer: %w", err)
	}
	return c, nil
}

// openJob opens the job of --job-id, set up earlier by setup or run.
func (r *runner) openJob(ctx context.Context, c *staging.Committer) (committer.Job, error) {
	j, err := c.OpenJob(ctx, r.c.jobID)
	if errors.Is(err, committer.ErrJobNotFound) {
		return nil, fmt.Errorf("job %s is not in staging dir %s (never set up, or committed or aborted already); run datajob setup first, with the same --staging-dir and --job-id: %w",
			r.c.jobID, r.c.stagingDir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open job %s: %w", r.c.jobID, err)
	}
	return j, nil
}

// createBuckets creates the bucket of --dest and, for a staging dir in
// the store on another bucket, the staging bucket, unless they exist.
func (r *runner) createBuckets(ctx context.Context, st *awsstore.Store) error {
	if err := createBucket(ctx, st, r.stderr); err != nil {
		return err
	}
	sst, err := r.stagingStore(ctx, st)
	if err != nil || sst == nil || sst == st {
		return err
	}
	return createBucket(ctx, sst, r.stderr)
}

// createBucket creates the bucket of st unless it exists.
func createBucket(ctx context.Context, st *awsstore.Store, stderr io.Writer) error {
	client := st.Client()
	bucket := st.Bucket()
	// These calls are no Store calls: the SDK retries them itself.
	sdkRetries := func(o *s3.Options) { o.RetryMaxAttempts = 3 }
	if _, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &bucket}, sdkRetries); err == nil {
		return nil
	}
	in := &s3.CreateBucketInput{Bucket: &bucket}
	if region := client.Options().Region; region != "" && region != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(region)}
	}
	_, err := client.CreateBucket(ctx, in, sdkRetries)
	var owned *types.BucketAlreadyOwnedByYou
	var api smithy.APIError
	switch {
	case err == nil:
		fmt.Fprintf(stderr, "created bucket %s\n", bucket)
		return nil
	case errors.As(err, &owned):
		return nil
	case errors.As(err, &api) && api.ErrorCode() == "BucketAlreadyOwnedByYou":
		return nil
	default:
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
}
