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
)

// envPathStyle turns on path-style addressing like --path-style when set to
// a true value (1, t, true, …); --path-style=false on the command line wins.
const envPathStyle = "S3COMMIT_PATH_STYLE"

// applyEnv fills the global options the AWS SDK does not read itself from
// the environment; flags given on the command line win.
func (g *globalOptions) applyEnv(cmd *cobra.Command) error {
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

// store returns a store on bucket built from the global flags and the
// standard AWS configuration (AWS_* variables, shared config and
// credentials files, AWS_PROFILE, instance roles). It sends no request:
// a missing bucket or wrong credentials show up on the first operation.
func (g *globalOptions) store(ctx context.Context, bucket string) (multipart.Store, error) {
	if e := g.EndpointURL; e != "" && !strings.HasPrefix(e, "http://") && !strings.HasPrefix(e, "https://") {
		return nil, usageErrorf("--endpoint-url %q must start with http:// or https://", e)
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
	return st, nil
}
