package staging

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/s3commit/s3commit/committer"
)

// A job commit (or abort) seals the job's tasks directory before it reads
// the pendingsets for the last time: it renames tasks/ to tasks.sealed/.
// A task commit publishes its pendingset with link(2) into tasks/, so a
// publish either lands before the rename (and moves with the directory:
// the job commit sees it) or fails because tasks/ is gone (and the task
// aborts its uploads and reports committer.ErrJobCommitting). A rename is
// atomic on local filesystems and on NFS, where it is one RPC, so this
// holds across processes and hosts.

// seal renames the tasks directory; a job sealed already stays sealed.
func (j *job) seal(ctx context.Context) error {
	if err := j.h.seal(ctx, j.l); err != nil {
		return fmt.Errorf("seal the committed tasks of job %s: %w", j.rec.JobID, err)
	}
	return nil
}

// unseal undoes seal, for a commit that found the job not ready.
func (j *job) unseal(ctx context.Context) error {
	if err := j.h.unseal(ctx, j.l); err != nil {
		return fmt.Errorf("unseal the committed tasks of job %s: %w", j.rec.JobID, err)
	}
	return nil
}

// CommitOptions are the options of [Committer.CommitJob].
type CommitOptions struct {
	// ExpectedTasks, when not empty, are the IDs of the tasks the job must
	// have committed: CommitJob fails with [ErrMissingTasks], before it
	// changes anything, when one of them has not published its
	// pendingset, and with [ErrUnexpectedTasks] when a task not listed
	// has. Each pendingset is looked up by name, which on NFS finds a
	// pendingset published on another host even where a directory
	// listing of the driver's host does not show it yet.
	ExpectedTasks []string
	// ExpectedTaskCount, when not zero, is the number of tasks the job
	// must have committed, checked like ExpectedTasks against a listing
	// of the pendingsets. Prefer ExpectedTasks on NFS.
	ExpectedTaskCount int
}

// ErrMissingTasks is matched by the error of a CommitJob told to expect
// tasks that have not committed (see [CommitOptions]). Nothing was
// changed: run the missing tasks and commit again, or abort the job.
var ErrMissingTasks = errors.New("staging: expected tasks have not committed")

// ErrUnexpectedTasks is matched by the error of a CommitJob that finds
// committed tasks it was not told to expect (see [CommitOptions]).
// Nothing was changed.
var ErrUnexpectedTasks = errors.New("staging: tasks committed that were not expected")

func (o *CommitOptions) validate() error {
	if o.ExpectedTaskCount < 0 {
		return fmt.Errorf("%w: CommitOptions.ExpectedTaskCount is %d; give 0 (no check) or the number of tasks", ErrInvalidOptions, o.ExpectedTaskCount)
	}
	if len(o.ExpectedTasks) > 0 && o.ExpectedTaskCount != 0 && o.ExpectedTaskCount != len(o.ExpectedTasks) {
		return fmt.Errorf("%w: CommitOptions.ExpectedTaskCount is %d but ExpectedTasks lists %d tasks; give one of them",
			ErrInvalidOptions, o.ExpectedTaskCount, len(o.ExpectedTasks))
	}
	seen := make(map[string]bool)
	for _, id := range o.ExpectedTasks {
		if err := committer.ValidateID("task ID", id); err != nil {
			return fmt.Errorf("%w: CommitOptions.ExpectedTasks: %w", ErrInvalidOptions, err)
		}
		if seen[id] {
			return fmt.Errorf("%w: CommitOptions.ExpectedTasks lists task %q twice", ErrInvalidOptions, id)
		}
		seen[id] = true
	}
	return nil
}

// checkExpected checks the committed tasks of s, whose pendingsets are in
// dir of fsys, against o.
func (o *CommitOptions) checkExpected(ctx context.Context, h home, l layout, s *snapshot) error {
	committed := make(map[string]bool)
	for _, t := range s.sets {
		committed[t.taskID()] = true
	}
	if len(o.ExpectedTasks) > 0 {
		var missing []string
		expected := make(map[string]bool)
		for _, id := range o.ExpectedTasks {
			expected[id] = true
			if committed[id] {
				continue
			}
			// Not in the listing: look it up by name.
			if h.published(ctx, l, id) {
				return fmt.Errorf("%w: the pendingset of task %s exists but the listing of %s does not show it yet (NFS attribute caching?); commit again in a few seconds",
					ErrMissingTasks, id, h.where(l.tasksDir()))
			}
			missing = append(missing, id)
		}
		if len(missing) > 0 {
			return fmt.Errorf("%w: %d of %d tasks have not committed: %s; run them and commit again, or abort the job",
				ErrMissingTasks, len(missing), len(o.ExpectedTasks), listSome(missing))
		}
		var extra []string
		for id := range committed {
			if !expected[id] {
				extra = append(extra, id)
			}
		}
		if len(extra) > 0 {
			slices.Sort(extra)
			return fmt.Errorf("%w: %s; give CommitJob every task of the job, or abort it", ErrUnexpectedTasks, listSome(extra))
		}
	}
	if n := o.ExpectedTaskCount; n > 0 {
		switch got := len(committed); {
		case got < n:
			return fmt.Errorf("%w: %d of %d tasks have committed; run the others and commit again, or abort the job (on NFS a listing may lag behind other hosts: ExpectedTasks looks each task up by name)",
				ErrMissingTasks, got, n)
		case got > n:
			return fmt.Errorf("%w: %d tasks have committed, %d were expected; give CommitJob the job's task count, or abort it", ErrUnexpectedTasks, got, n)
		}
	}
	return nil
}

// listSome joins up to 10 names, saying how many more there are.
func listSome(names []string) string {
	if len(names) <= 10 {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:10], ", "), len(names)-10)
}
