package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/staging"
)

// errStagingElsewhere says that --staging-dir names a staging dir in the
// store in another bucket than the uploads listed: uploads reads a job's
// records only through the store of the uploads' bucket.
var errStagingElsewhere = errors.New("the staging dir is in another bucket than the job's output")

// stagingDir is a STAGING_DIR argument (or --staging-dir): a directory the
// job's driver and tasks share, or s3://BUCKET/PREFIX, a staging dir in the
// store (staging.Options.StagingDir given as a URL), whose records are
// objects under PREFIX/JOB_ID/ and are read through a store on BUCKET.
type stagingDir struct {
	arg    string // as given, for messages and output
	bucket string // the bucket of a staging dir in the store; "" for a directory
	prefix string // its prefix, without leading or trailing '/'
}

// parseStagingDir parses a staging dir argument. Anything with "://" is a
// URL: s3:// (or s3a://) with a bucket and a prefix is a staging dir in the
// store; another scheme, or an s3:// URL without bucket or prefix, is a
// usage error. Anything else is a directory, checked when it is used.
func parseStagingDir(arg string) (stagingDir, error) {
	scheme, _, ok := strings.Cut(arg, "://")
	if !ok {
		return stagingDir{arg: arg}, nil
	}
	switch strings.ToLower(scheme) {
	case "s3", "s3a":
	default:
		return stagingDir{}, usageErrorf("staging dir %s is a %s:// URL; give the staging dir the job was set up with: "+
			"a directory (a local path or a mounted shared volume), or s3://BUCKET/PREFIX for a staging dir in the store", arg, scheme)
	}
	u, err := parseS3URL(arg)
	if err != nil {
		return stagingDir{}, fmt.Errorf("staging dir: %w", err)
	}
	prefix := strings.Trim(u.Key, "/")
	if prefix == "" {
		return stagingDir{}, usageErrorf("staging dir %s has no prefix; give s3://%s/PREFIX, the staging dir the job was set up with (such as s3://%s/_staging)",
			arg, u.Bucket, u.Bucket)
	}
	return stagingDir{arg: arg, bucket: u.Bucket, prefix: prefix}, nil
}

// inStore reports whether the staging dir is in the store.
func (d stagingDir) inStore() bool { return d.bucket != "" }

// String returns the staging dir as given.
func (d stagingDir) String() string { return d.arg }

// path is the staging dir as package staging takes it: the directory, or
// s3://BUCKET/PREFIX.
func (d stagingDir) path() string {
	if !d.inStore() {
		return d.arg
	}
	return "s3://" + d.bucket + "/" + d.prefix
}

// stagingStore returns a store on the bucket of a staging dir in the store,
// built from the same flags and variables as every other store.
func (g *globalOptions) stagingStore(ctx context.Context, d stagingDir) (*multipart.RetryingStore, error) {
	st, err := g.store(ctx, d.bucket)
	if err != nil {
		return nil, fmt.Errorf("staging dir %s is in the store and is read through it: %w", d, err)
	}
	return st, nil
}

// storeReadError describes a failed read of a staging dir in the store:
// the store's kind of failure and what to do (see storeError), saying that
// the staging dir is read through the store with the store settings.
func storeReadError(action string, err error) error {
	return storeError(fmt.Sprintf("%s (a staging dir in the store is read with the store settings: --endpoint-url, --region, --profile, AWS_*)", action), err)
}

// listJobs lists the jobs of a staging dir: from the directory (no store),
// or through a store on the bucket of a staging dir in the store.
func listJobs(ctx context.Context, g *globalOptions, d stagingDir) ([]staging.JobInfo, error) {
	if !d.inStore() {
		if err := checkStagingDir(d.arg); err != nil {
			return nil, err
		}
		jobs, err := staging.ListJobs(d.arg)
		if err != nil {
			return nil, fmt.Errorf("list the jobs of %s: %w", d, err)
		}
		return jobs, nil
	}
	st, err := g.stagingStore(ctx, d)
	if err != nil {
		return nil, err
	}
	jobs, err := staging.ListJobsContext(ctx, st, d.path())
	if err != nil {
		return nil, storeReadError("list the jobs of "+d.String(), err)
	}
	return jobs, nil
}

// readJob describes job jobID of a staging dir from its records only: no
// upload is listed and no _SUCCESS read. A staging dir in the store is read
// through a store on its bucket.
func readJob(ctx context.Context, g *globalOptions, d stagingDir, jobID string) (*staging.JobReport, error) {
	if !d.inStore() {
		return inspectLocal(ctx, d.arg, jobID)
	}
	if err := committer.ValidateID("job ID", jobID); err != nil {
		return nil, jobError(err, d.arg, jobID)
	}
	st, err := g.stagingStore(ctx, d)
	if err != nil {
		return nil, err
	}
	rep, err := staging.InspectJobWith(ctx, nil, d.path(), jobID, staging.InspectOptions{StagingStore: st})
	switch {
	case errors.Is(err, committer.ErrJobNotFound), errors.Is(err, committer.ErrInvalidID):
		return nil, jobError(err, d.arg, jobID)
	case err != nil:
		return nil, storeReadError(fmt.Sprintf("read job %s of %s", jobID, d), err)
	}
	return rep, nil
}

// reconcileJob describes job jobID of a staging dir and reconciles it with
// a store on the job's bucket, which it returns. check, when not nil, sees
// the job's records before the store is consulted (a staging dir in the
// store: right after) and stops the command with its error.
func reconcileJob(ctx context.Context, g *globalOptions, d stagingDir, jobID string,
	check func(*staging.JobReport) error) (*staging.JobReport, *multipart.RetryingStore, error) {
	if check == nil {
		check = func(*staging.JobReport) error { return nil }
	}
	if !d.inStore() {
		rep, err := inspectLocal(ctx, d.arg, jobID)
		if err != nil {
			return nil, nil, err
		}
		if err := check(rep); err != nil {
			return nil, nil, err
		}
		st, err := g.store(ctx, rep.Bucket)
		if err != nil {
			return nil, nil, err
		}
		bucket := rep.Bucket
		if rep, err = staging.InspectJob(ctx, st, d.arg, jobID); err != nil {
			return nil, nil, fmt.Errorf("reconcile job %s with s3://%s: %w", jobID, bucket, jobError(err, d.arg, jobID))
		}
		return rep, st, nil
	}
	if err := committer.ValidateID("job ID", jobID); err != nil {
		return nil, nil, jobError(err, d.arg, jobID)
	}
	records, err := g.stagingStore(ctx, d)
	if err != nil {
		return nil, nil, err
	}
	opts := staging.InspectOptions{StagingStore: records}
	local, err := staging.InspectJobWith(ctx, nil, d.path(), jobID, opts)
	if err != nil {
		if errors.Is(err, committer.ErrJobNotFound) || errors.Is(err, committer.ErrInvalidID) {
			return nil, nil, jobError(err, d.arg, jobID)
		}
		return nil, nil, storeReadError(fmt.Sprintf("read job %s of %s", jobID, d), err)
	}
	if err := check(local); err != nil {
		return nil, nil, err
	}
	// The job's output may be in another bucket than its records
	// (staging.Options.StagingStore): it is reconciled with a store there.
	st := records
	if local.Bucket != d.bucket {
		if st, err = g.store(ctx, local.Bucket); err != nil {
			return nil, nil, err
		}
	}
	rep, err := staging.InspectJobWith(ctx, st, d.path(), jobID, opts)
	if err != nil {
		if errors.Is(err, committer.ErrJobNotFound) {
			return nil, nil, jobError(err, d.arg, jobID)
		}
		return nil, nil, storeReadError(fmt.Sprintf("reconcile job %s of %s with s3://%s", jobID, d, local.Bucket), err)
	}
	return rep, st, nil
}

// removeRemnants removes what a crash left of setting up or removing job
// jobID in a staging dir, as OpenJob would; it is called when the job is
// not found, and its failure changes nothing for the command.
func removeRemnants(ctx context.Context, g *globalOptions, d stagingDir, jobID string) {
	if !d.inStore() {
		_ = staging.RemoveRemnants(d.arg, jobID)
		return
	}
	st, err := g.stagingStore(ctx, d)
	if err != nil {
		return
	}
	_ = staging.RemoveRemnantsContext(ctx, st, d.path(), jobID)
}

// pendingSetName is how the output names the pendingset of a task: the
// file in a directory, or the s3:// URL of the object in a staging dir in
// the store (which 'pending show' reads).
func pendingSetName(d stagingDir, p string) string {
	if !d.inStore() || strings.HasPrefix(p, "s3://") {
		return p
	}
	// The staging package joins the URL as a path, which folds "s3://"
	// into "s3:/".
	if rest, ok := strings.CutPrefix(p, "s3:/"); ok {
		return "s3://" + rest
	}
	return p
}
