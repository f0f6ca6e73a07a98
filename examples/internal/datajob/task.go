package datajob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"time"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/awsstore"
	"github.com/s3commit/s3commit/staging"
)

// attemptsDirName is the directory, in the job's staging directory, where
// task processes claim their attempt numbers. The job's cleanup after its
// commit or abort removes it with the rest of the job's directory.
const attemptsDirName = "datajob-attempts"

// taskID is the ID of task index.
func taskID(index int) string { return fmt.Sprintf("task-%05d", index) }

// claimAttempt returns the attempt number a task process uses: want if it
// is 0 or more, otherwise the lowest number no process of the task has
// claimed in the staging dir, so that a restarted pod runs a new attempt.
// Numbers are claimed by creating a file exclusively.
func claimAttempt(stagingDir, jobID, task string, want int) (int, error) {
	dir := filepath.Join(stagingDir, jobID, attemptsDirName)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, fmt.Errorf("claim an attempt number: %w", err)
	}
	claim := func(n int, flags int) error {
		f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("%s_%d", task, n)), os.O_WRONLY|os.O_CREATE|flags, 0o644)
		if err != nil {
			return err
		}
		return f.Close()
	}
	if want >= 0 {
		if err := claim(want, 0); err != nil {
			return 0, fmt.Errorf("claim attempt %d: %w", want, err)
		}
		return want, nil
	}
	for n := 0; ; n++ {
		err := claim(n, os.O_EXCL)
		if err == nil {
			return n, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return 0, fmt.Errorf("claim an attempt number: %w", err)
		}
	}
}

// attemptClaimKey is the object that claims attempt n of task in a staging
// dir in the store under prefix: next to the job's records, under
// PREFIX/<jobID>/, which the job's cleanup removes with them.
func attemptClaimKey(prefix, jobID, task string, n int) string {
	return fmt.Sprintf("%s/%s/%s/%s_%d", prefix, jobID, attemptsDirName, task, n)
}

// claimAttemptInStore is claimAttempt for a staging dir in the store
// (st holds prefix): a number is claimed by creating its object with
// If-None-Match: *, which the store refuses when the object exists. A
// claim whose answer was lost and whose retry meets its own object counts
// as taken by another process: that number is skipped, never shared.
func claimAttemptInStore(ctx context.Context, st multipart.Store, prefix, jobID, task string, want int) (int, error) {
	host, _ := os.Hostname()
	body := fmt.Appendf(nil, "claimed by %s pid %d at %s\n", host, os.Getpid(), time.Now().UTC().Format(time.RFC3339Nano))
	claim := func(n int, exclusive bool) error {
		_, err := st.PutObject(ctx, attemptClaimKey(prefix, jobID, task, n), bytes.NewReader(body), int64(len(body)),
			multipart.PutOptions{IfNoneMatch: exclusive})
		return err
	}
	if want >= 0 {
		if err := claim(want, false); err != nil {
			return 0, fmt.Errorf("claim attempt %d in s3://%s/%s: %w", want, st.Bucket(), prefix, err)
		}
		return want, nil
	}
	for n := 0; ; n++ {
		err := claim(n, true)
		if err == nil {
			return n, nil
		}
		if !errors.Is(err, multipart.ErrPreconditionFailed) {
			return 0, fmt.Errorf("claim an attempt number in s3://%s/%s: %w", st.Bucket(), prefix, err)
		}
	}
}

// claimAttempt claims the attempt number of task id in the staging dir, a
// directory or a prefix of the store ([claimAttemptInStore]); release,
// for a claim in the store, removes the claim (nil otherwise).
func (r *runner) claimAttempt(ctx context.Context, st *awsstore.Store, id string) (attempt int, release func(), err error) {
	c := r.c
	sst, err := r.stagingStore(ctx, st)
	if err != nil {
		return 0, nil, err
	}
	if sst == nil {
		n, err := claimAttempt(c.stagingDir, c.jobID, id, c.attempt)
		return n, nil, err
	}
	rst := r.retrying(sst)
	n, err := claimAttemptInStore(ctx, rst, c.stagingPrefix, c.jobID, id, c.attempt)
	if err != nil {
		return 0, nil, err
	}
	release = func() {
		_ = rst.DeleteObjects(context.WithoutCancel(ctx), []string{attemptClaimKey(c.stagingPrefix, c.jobID, id, n)})
	}
	return n, release, nil
}

// task runs one attempt of one task: it opens the job, writes the task's
// shard through the committer and commits the task.
func (r *runner) task(ctx context.Context) error {
	c := r.c
	if err := c.resolveTaskIndex(); err != nil {
		return err
	}
	if err := c.checkInputs(); err != nil {
		return err
	}
	st, err := r.store(ctx)
	if err != nil {
		return err
	}
	var (
		crash atomic.Bool
		name  string
	)
	progress := func(p staging.Progress) {
		if crash.Load() && p.Phase == staging.PhaseUpload && p.Done >= 1 {
			fmt.Fprintf(r.stderr, "%s: killing itself with SIGKILL in the middle of its commit, %d of %d files uploaded (--crash-task %d)\n",
				name, p.Done, p.Total, c.crashTask)
			killSelf()
		}
	}
	cm, err := r.committer(ctx, st, progress)
	if err != nil {
		return err
	}
	j, err := r.openJob(ctx, cm)
	if err != nil {
		return err
	}
	id := taskID(c.taskIndex)
	attempt, release, err := r.claimAttempt(ctx, st, id)
	if err != nil {
		return err
	}
	name = fmt.Sprintf("task %d attempt %d", c.taskIndex, attempt)
	a, err := j.SetupTask(ctx, id, attempt)
	if err != nil {
		if release != nil && (errors.Is(err, committer.ErrJobNotFound) || errors.Is(err, committer.ErrJobFinished)) {
			// The job was committed or aborted since it was opened, and
			// its records removed: the claim would be left alone.
			release()
		}
		return fmt.Errorf("%s: set up: %w", name, err)
	}
	records, files, err := r.writeShard(a)
	if err != nil {
		r.abortTask(ctx, a, name)
		return fmt.Errorf("%s: %w", name, err)
	}
	fmt.Fprintf(r.stderr, "%s: wrote %d records in %d files\n", name, records, files)
	if c.failTask == c.taskIndex && attempt == 0 {
		r.abortTask(ctx, a, name)
		return fmt.Errorf("%s: failing on purpose after writing its files, before its commit (--fail-task %d)", name, c.failTask)
	}
	if c.crashTask == c.taskIndex && attempt == 0 {
		crash.Store(true)
	}
	err = a.CommitTask(ctx)
	if errors.Is(err, committer.ErrTaskCommitted) {
		fmt.Fprintf(r.stdout, "%s: another attempt committed the task first; this attempt's output was discarded\n", name)
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: commit: %w", name, err)
	}
	fmt.Fprintf(r.stdout, "%s: committed %d records in %d files\n", name, records, files)
	return nil
}

// abortTask discards what an attempt wrote, as a framework does with a
// failed task.
func (r *runner) abortTask(ctx context.Context, a committer.TaskAttempt, name string) {
	if err := a.AbortTask(context.WithoutCancel(ctx)); err != nil {
		fmt.Fprintf(r.stderr, "%s: abort: %v\n", name, err)
	}
}

// writeShard writes the records of the task into the attempt's files, one
// file per day in --format, and returns how many records and files it
// wrote.
func (r *runner) writeShard(a committer.TaskAttempt) (records, files int, err error) {
	open := map[string]partWriter{}
	defer func() {
		days := slices.Sorted(maps.Keys(open))
		for _, d := range days {
			if cerr := open[d].close(); cerr != nil && err == nil {
				err = fmt.Errorf("write %s: %w", partName(d, r.c.taskIndex, r.c.format), cerr)
			}
		}
		files = len(open)
	}()
	for rec, err := range r.c.shard(r.c.taskIndex) {
		if err != nil {
			return records, 0, err
		}
		day := rec.Day()
		w := open[day]
		if w == nil {
			f, err := a.Create(partName(day, r.c.taskIndex, r.c.format))
			if err != nil {
				return records, 0, err
			}
			w = newPartWriter(r.c.format, f)
			open[day] = w
		}
		if err := w.write(rec); err != nil {
			return records, 0, fmt.Errorf("write %s: %w", partName(day, r.c.taskIndex, r.c.format), err)
		}
		records++
	}
	return records, 0, nil
}

// killSelf kills the process with SIGKILL (TerminateProcess on Windows),
// as a machine or the kernel's OOM killer would: no deferred function
// runs, nothing is cleaned up.
func killSelf() {
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		_ = p.Kill()
	}
	for {
		time.Sleep(time.Second) // until the signal lands
	}
}
