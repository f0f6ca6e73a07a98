package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/storekit"
)

// abortRule is an enabled rule of a bucket's lifecycle configuration that
// aborts incomplete multipart uploads.
type abortRule struct {
	// ID is the rule's ID, possibly empty.
	ID string
	// Prefix is the key prefix the rule filters on; empty for the whole
	// bucket.
	Prefix string
	// Days is DaysAfterInitiation: uploads older than this are aborted.
	Days int32
	// Narrowed is true when the rule filters on tags or object sizes too,
	// so that it may not apply to every upload under its prefix.
	Narrowed bool
}

// lifecycleLookup returns the bucket's rules that abort incomplete
// uploads, errNoLifecycle when the bucket has no lifecycle configuration,
// or why it could not tell.
type lifecycleLookup func(ctx context.Context) ([]abortRule, error)

// errNoLifecycle is what a lifecycleLookup returns for a bucket without a
// lifecycle configuration.
var errNoLifecycle = errors.New("no lifecycle configuration")

// awsLifecycleLookup looks the rules up with GetBucketLifecycleConfiguration
// through the SDK client of an awsstore.
func awsLifecycleLookup(client *s3.Client, bucket string) lifecycleLookup {
	return func(ctx context.Context) ([]abortRule, error) {
		out, err := client.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(bucket)})
		if err != nil {
			var apiErr smithy.APIError
			if errors.As(err, &apiErr) && apiErr.ErrorCode() == "NoSuchLifecycleConfiguration" {
				return nil, errNoLifecycle
			}
			code, status := errorCodeStatus(err)
			return nil, &multipart.Error{Op: "GetBucketLifecycleConfiguration", Bucket: bucket,
				Kind: storekit.ClassifyHTTP(code, status), Err: err}
		}
		return abortRules(out.Rules), nil
	}
}

// abortRules returns the enabled rules that abort incomplete uploads.
func abortRules(rules []types.LifecycleRule) []abortRule {
	var out []abortRule
	for _, r := range rules {
		if r.Status != types.ExpirationStatusEnabled || r.AbortIncompleteMultipartUpload == nil ||
			r.AbortIncompleteMultipartUpload.DaysAfterInitiation == nil {
			continue
		}
		a := abortRule{ID: aws.ToString(r.ID), Days: *r.AbortIncompleteMultipartUpload.DaysAfterInitiation}
		//lint:ignore SA1019 rules written before Filter existed still carry their prefix here, and S3 applies it
		a.Prefix = aws.ToString(r.Prefix)
		if f := r.Filter; f != nil {
			if f.Prefix != nil {
				a.Prefix = *f.Prefix
			}
			a.Narrowed = f.Tag != nil || f.ObjectSizeGreaterThan != nil || f.ObjectSizeLessThan != nil
			if and := f.And; and != nil {
				a.Prefix = aws.ToString(and.Prefix)
				a.Narrowed = len(and.Tags) > 0 || and.ObjectSizeGreaterThan != nil || and.ObjectSizeLessThan != nil
			}
		}
		out = append(out, a)
	}
	return out
}

// lifecycleRow is the lifecycle_abort_incomplete row: whether a rule of
// the bucket aborts incomplete uploads under prefix, and after how long.
func lifecycleRow(ctx context.Context, lookup lifecycleLookup, prefix string) doctorRow {
	row := doctorRow{ID: "lifecycle_abort_incomplete", Check: "lifecycle rule aborting incomplete uploads"}
	const unknownText = "if a rule aborts uploads, a job must be committed before it does: a missing upload fails the job commit with NoSuchUpload"
	if lookup == nil {
		row.Result, row.Verdict, row.S3commit = "unknown: not looked up", verdictUnknown, unknownText
		return row
	}
	rules, err := lookup(ctx)
	switch {
	case errors.Is(err, errNoLifecycle):
		row.Result, row.Verdict = "none: the bucket has no lifecycle configuration", verdictWorks
		row.S3commit = "no rule removes a job's uploads before its commit; uploads of killed attempts stay until the job's commit or abort, or 'uploads abort', removes them"
		return row
	case err != nil:
		row.Result, row.Verdict, row.S3commit = "unknown: "+answer(err), verdictUnknown, unknownText
		if code, _ := errorCodeStatus(err); code == "NotImplemented" {
			row.Result = "unknown: the store does not implement GetBucketLifecycleConfiguration (501 NotImplemented)"
		}
		return row
	}
	var applies, narrowed, elsewhere []string
	shortest := int32(-1)
	for _, r := range rules {
		name := r.ID
		if name == "" {
			name = "(no ID)"
		}
		desc := fmt.Sprintf("%s after %d d", name, r.Days)
		switch {
		case !strings.HasPrefix(prefix, r.Prefix) && !strings.HasPrefix(r.Prefix, prefix):
			elsewhere = append(elsewhere, desc+" under "+quotePrefix(r.Prefix))
			continue
		case r.Narrowed || !strings.HasPrefix(prefix, r.Prefix):
			narrowed = append(narrowed, desc+" under "+quotePrefix(r.Prefix)+" (for some keys)")
		default:
			applies = append(applies, desc)
		}
		if shortest < 0 || r.Days < shortest {
			shortest = r.Days
		}
	}
	if shortest < 0 {
		row.Result = "no rule aborts incomplete uploads under the prefix"
		if len(elsewhere) > 0 {
			row.Result += " (elsewhere: " + strings.Join(elsewhere, ", ") + ")"
		}
		row.Verdict = verdictWorks
		row.S3commit = "no rule removes a job's uploads before its commit; uploads of killed attempts stay until the job's commit or abort, or 'uploads abort', removes them"
		return row
	}
	row.Result = "rule " + strings.Join(append(applies, narrowed...), ", rule ")
	row.Verdict = verdictCost
	row.S3commit = fmt.Sprintf("a job must be committed within %d days of its first task commit, or its uploads are gone (NoSuchUpload); "+
		"the rule also removes uploads of killed attempts, which the job would remove anyway", shortest)
	return row
}

// quotePrefix shows a rule's prefix, "the whole bucket" for none.
func quotePrefix(p string) string {
	if p == "" {
		return "the whole bucket"
	}
	return fmt.Sprintf("%q", p)
}
