package datajob

import (
	"context"
	"errors"
	"fmt"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart/awsstore"
	"github.com/s3commit/s3commit/staging"
	"github.com/s3commit/s3commit/success"
)

// location is the destination as s3://BUCKET/PREFIX.
func (c *config) location() string { return "s3://" + c.bucket + "/" + c.prefix }

// setupJob creates the bucket if asked to and sets up the job of --job-id
// (a new UUID when it is empty).
func (r *runner) setupJob(ctx context.Context) (*awsstore.Store, committer.Job, error) {
	st, err := r.store(ctx)
	if err != nil {
		return nil, nil, err
	}
	if r.c.createBucket {
		if err := r.createBuckets(ctx, st); err != nil {
			return nil, nil, err
		}
	}
	cm, err := r.committer(ctx, st, nil)
	if err != nil {
		return nil, nil, err
	}
	j, err := cm.SetupJob(ctx, r.c.jobID)
	switch {
	case errors.Is(err, committer.ErrJobExists):
		return nil, nil, fmt.Errorf("job %s exists already in staging dir %s; job IDs are never reused: give a new --job-id: %w", r.c.jobID, r.c.stagingDir, err)
	case errors.Is(err, committer.ErrDestinationExists):
		return nil, nil, fmt.Errorf("%s holds objects already and --conflict is %s; use --conflict replace or append, or another --dest: %w", r.c.location(), r.c.conflict, err)
	case err != nil:
		return nil, nil, fmt.Errorf("set up the job: %w", err)
	}
	r.c.jobID = j.ID()
	return st, j, nil
}

// setup is the driver's first step: it sets up the job.
func (r *runner) setup(ctx context.Context) error {
	if _, _, err := r.setupJob(ctx); err != nil {
		return err
	}
	fmt.Fprintf(r.stdout, "set up job %s: %s, mode %s, conflict %s, staging dir %s\n",
		r.c.jobID, r.c.location(), r.c.mode, r.c.conflict, r.c.stagingDir)
	return nil
}

// commit is the driver's last step: it commits the job, or resumes an
// interrupted commit.
func (r *runner) commit(ctx context.Context) error {
	st, err := r.store(ctx)
	if err != nil {
		return err
	}
	cm, err := r.committer(ctx, st, nil)
	if err != nil {
		return err
	}
	j, err := r.openJob(ctx, cm)
	if err != nil {
		return err
	}
	return r.commitJob(ctx, st, j)
}

// taskIDs returns the IDs of the tasks of a job of n tasks.
func taskIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = taskID(i)
	}
	return ids
}

// commitJob commits j, refusing to begin unless exactly the tasks 0 to
// --tasks - 1 have committed (a commit step started after a task failed
// for good would otherwise publish a part of the output), and prints what
// _SUCCESS lists.
func (r *runner) commitJob(ctx context.Context, st *awsstore.Store, j committer.Job) error {
	cm, err := r.committer(ctx, st, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(r.stderr, "committing job %s\n", j.ID())
	if _, err := cm.CommitJob(ctx, j.ID(), staging.CommitOptions{ExpectedTasks: taskIDs(r.c.tasks)}); err != nil {
		switch {
		case errors.Is(err, staging.ErrMissingTasks):
			return fmt.Errorf("job %s: %w; run the missing tasks (datajob task --task-index I) and commit again, or abort the job (datajob abort)", j.ID(), err)
		case errors.Is(err, staging.ErrUnexpectedTasks):
			return fmt.Errorf("job %s: %w; give commit the --tasks the tasks ran with", j.ID(), err)
		case ctx.Err() != nil:
			return fmt.Errorf("commit of job %s interrupted; datajob commit resumes it, datajob abort rolls it back: %w", j.ID(), err)
		}
		return fmt.Errorf("commit job %s: %w", j.ID(), err)
	}
	d, err := success.Read(ctx, r.retrying(st), r.c.prefix+"/"+staging.SuccessMarker)
	if err != nil {
		return fmt.Errorf("job %s committed, but its _SUCCESS cannot be read: %w", j.ID(), err)
	}
	var bytes int64
	for _, f := range d.Files {
		bytes += f.Size
	}
	fmt.Fprintf(r.stdout, "committed job %s: %d files, %d bytes in %s\n", j.ID(), len(d.Files), bytes, r.c.location())
	return nil
}

// abort aborts the job: nothing it staged or wrote stays in the store. A
// job that is not in the staging dir is taken as aborted already.
func (r *runner) abort(ctx context.Context) error {
	st, err := r.store(ctx)
	if err != nil {
		return err
	}
	cm, err := r.committer(ctx, st, nil)
	if err != nil {
		return err
	}
	j, err := cm.OpenJob(ctx, r.c.jobID)
	if errors.Is(err, committer.ErrJobNotFound) {
		fmt.Fprintf(r.stdout, "job %s is not in staging dir %s: nothing to abort (committed or aborted already, or never set up)\n", r.c.jobID, r.c.stagingDir)
		return nil
	}
	if err != nil {
		return fmt.Errorf("open job %s: %w", r.c.jobID, err)
	}
	if err := j.AbortJob(ctx); err != nil {
		return fmt.Errorf("abort job %s: %w", r.c.jobID, err)
	}
	fmt.Fprintf(r.stdout, "aborted job %s: nothing of it is left in %s\n", r.c.jobID, r.c.location())
	return nil
}
