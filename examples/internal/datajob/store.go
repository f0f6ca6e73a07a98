package datajob

import (
	"context"
	"errors"
	"fmt"
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
	st, err := awsstore.New(ctx, awsstore.Options{
		Bucket:       r.c.bucket,
		EndpointURL:  r.c.endpointURL,
		Region:       r.c.region,
		UsePathStyle: r.c.pathStyle,
	})
	if err != nil {
		return nil, fmt.Errorf("configure the store for bucket %q (check --endpoint-url, --region and the AWS_* variables): %w", r.c.bucket, err)
	}
	return st, nil
}

// retrying returns st with its calls retried in multipart's retry layer,
// for the calls the job makes itself (reading _SUCCESS and the output).
func (r *runner) retrying(st *awsstore.Store) multipart.Store {
	return multipart.NewRetryingStore(st, multipart.RetryPolicy{}, r.logger())
}

// committer returns a staging committer on st with the job settings of
// the command line. progress, if not nil, receives the commit's progress.
func (r *runner) committer(st *awsstore.Store, progress func(staging.Progress)) (*staging.Committer, error) {
	mode, _ := committer.ParseMode(r.c.mode)                 // validated by parseArgs
	conflict, _ := committer.ParseConflictMode(r.c.conflict) // validated by parseArgs
	c, err := staging.New(st, staging.Options{
		StagingDir:  r.c.stagingDir,
		BufferDir:   r.c.bufferDir,
		Destination: r.c.prefix,
		Mode:        mode,
		Conflict:    conflict,
		Logger:      r.logger(),
		Progress:    progress,
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

// createBucket creates the bucket of --dest unless it exists.
func (r *runner) createBucket(ctx context.Context, st *awsstore.Store) error {
	client := st.Client()
	bucket := r.c.bucket
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
		fmt.Fprintf(r.stderr, "created bucket %s\n", bucket)
		return nil
	case errors.As(err, &owned):
		return nil
	case errors.As(err, &api) && api.ErrorCode() == "BucketAlreadyOwnedByYou":
		return nil
	default:
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
}
