package staging

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/s3commit/s3commit/committer"
)

// job is a committer.Job of the staging committer.
type job struct {
	c   *Committer
	h   home // the staging dir
	rec *jobRecord
	l   layout

	mu       sync.Mutex
	finished bool // committed or aborted through this value
}

var _ committer.Job = (*job)(nil)

func (j *job) ID() string { return j.rec.JobID }

// prefix is the destination prefix with its trailing '/'.
func (j *job) prefix() string { return j.rec.prefix() }

// snapshot loads what the staging dir says about the job.
func (j *job) snapshot(ctx context.Context) (*snapshot, error) {
	return loadSnapshot(ctx, j.h, j.l, j.rec)
}

func (j *job) successKey() string { return j.prefix() + SuccessMarker }

// checkOpen returns committer.ErrJobFinished once this job value committed
// or aborted, and committer.ErrJobNotFound when its staging directory is
// gone (another process committed or aborted it).
func (j *job) checkOpen(ctx context.Context) error {
	j.mu.Lock()
	finished := j.finished
	j.mu.Unlock()
	if finished {
		return fmt.Errorf("job %s: %w", j.rec.JobID, committer.ErrJobFinished)
	}
	if _, err := j.h.readJobRecord(ctx, j.l); err != nil {
		if isNotExist(err) {
			return fmt.Errorf("job %s: %w: its record %s is gone (committed or aborted by another process?)",
				j.rec.JobID, committer.ErrJobNotFound, j.h.where(j.l.record()))
		}
		return fmt.Errorf("job %s: %w", j.rec.JobID, err)
	}
	return nil
}

func (j *job) setFinished() {
	j.mu.Lock()
	j.finished = true
	j.mu.Unlock()
}

// SetupTask prepares an attempt of a task: its buffer directory
// <buffer>/<jobID>/<taskID>_<attempt>. A directory that exists already is
// kept with its files, so that a process restarted after a failed
// CommitTask can set up the same attempt again and retry the commit.
func (j *job) SetupTask(ctx context.Context, taskID string, attempt int) (committer.TaskAttempt, error) {
	if err := committer.ValidateID("task ID", taskID); err != nil {
		return nil, fmt.Errorf("staging: setup task: %w", err)
	}
	if err := committer.ValidateAttempt(attempt); err != nil {
		return nil, fmt.Errorf("staging: setup task %s: %w", taskID, err)
	}
	if err := j.checkOpen(ctx); err != nil {
		return nil, fmt.Errorf("staging: setup task %s: %w", taskID, err)
	}
	buf, err := j.c.bufferRoot()
	if err != nil {
		return nil, fmt.Errorf("staging: setup task %s attempt %d: %w", taskID, attempt, err)
	}
	rel := j.l.attemptBuffer(taskID, attempt)
	if err := buf.root.MkdirAll(rel, dirPerm(j.c.opts.BufferPerm)); err != nil {
		return nil, fmt.Errorf("staging: setup task %s attempt %d: %w; give a BufferDir that this process can write", taskID, attempt, err)
	}
	return &taskAttempt{j: j, taskID: taskID, attempt: attempt, buf: buf, rel: rel,
		dir: filepath.Join(j.c.opts.BufferDir, filepath.FromSlash(rel))}, nil
}
