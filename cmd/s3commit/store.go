package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/awsstore"
	"github.com/s3commit/s3commit/multipart/storekit"
)

// envPathStyle turns on path-style addressing like --path-style when set to
// a true value (1, t, true, …); --path-style=false on the command line wins.
const envPathStyle = "S3COMMIT_PATH_STYLE"

// envMaxAttempts is the number of attempts of each store call, as for the
// AWS CLI and SDKs. s3commit makes them in one layer, a
// multipart.RetryingStore; the SDK itself makes one attempt per request.
const envMaxAttempts = "AWS_MAX_ATTEMPTS"

// applyEnv fills the global options the AWS SDK does not read itself from
// the environment; flags given on the command line win.
func (g *globalOptions) applyEnv(cmd *cobra.Command) error {
	if v := os.Getenv(envMaxAttempts); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return usageErrorf("%s=%q is not a number of attempts; set it to 1 or more", envMaxAttempts, v)
		}
		g.MaxAttempts = n
	}
	if f := cmd.Flags().Lookup("path-style"); f != nil && f.Changed {
		return nil
	}
	v, ok := os.LookupEnv(envPathStyle)
	if !ok || v == "" {
		return nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return usageErrorf("%s=%q is not a boolean; set it to true or false", envPathStyle, v)
	}
	g.PathStyle = b
	return nil
}

// retryPolicy is the retry policy of every store call: AWS_MAX_ATTEMPTS
// attempts, or multipart's default.
func (g *globalOptions) retryPolicy() multipart.RetryPolicy {
	return multipart.RetryPolicy{MaxAttempts: g.MaxAttempts}
}

// store returns a store on bucket built from the global flags and the
// standard AWS configuration (AWS_* variables, shared config and
// credentials files, AWS_PROFILE, instance roles). It sends no request:
// a missing bucket or wrong credentials show up on the first operation.
//
// Its calls are retried by one layer, the returned multipart.RetryingStore
// (the SDK makes one attempt per request). Code that retries by itself,
// such as the staging committer, gets the store without that layer:
// Unwrap.
func (g *globalOptions) store(ctx context.Context, bucket string) (*multipart.RetryingStore, error) {
	if e := g.EndpointURL; e != "" && !strings.HasPrefix(e, "http://") && !strings.HasPrefix(e, "https://") {
		// Quoted redacted: "key:secret@host" would print the secret.
		return nil, usageErrorf("--endpoint-url %q must start with http:// or https://", storekit.RedactURL(e))
	}
	st, err := awsstore.New(ctx, awsstore.Options{
		Bucket:       bucket,
		EndpointURL:  g.EndpointURL,
		Region:       g.Region,
		Profile:      g.Profile,
		UsePathStyle: g.PathStyle,
	})
	if err != nil {
		// Speak of the command's flags, not of the library's options.
		msg := strings.NewReplacer("awsstore: ", "", "Options.Region", "--region", "Options.EndpointURL", "--endpoint-url").Replace(err.Error())
		return nil, &cliError{msg: fmt.Sprintf("configure the store for bucket %q: %s; check --endpoint-url, --region, --profile and the AWS_* variables", bucket, msg), err: err}
	}
	return multipart.NewRetryingStore(st, g.retryPolicy(), nil), nil
}
