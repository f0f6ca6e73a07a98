package datajob

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync/atomic"
	"time"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/staging"
)

// attemptsDirName is the directory, in the job's staging directory, where
// task processes claim their attempt numbers. The job's cleanup after its
// commit or abort removes it with the rest of the job's directory.
const attemptsDirName = "datajob-attempts"

// taskID is the ID of task index.
func taskID(index int) string { return fmt.Sprintf("task-%05d", index) }

// partName is the file a task writes for the events of one day.
func partName(day string, index int) string {
	return fmt.Sprintf("dt=%s/part-%05d.jsonl.gz", day, index)
}

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
	cm, err := r.committer(st, progress)
	if err != nil {
		return err
	}
	j, err := r.openJob(ctx, cm)
	if err != nil {
		return err
	}
	id := taskID(c.taskIndex)
	attempt, err := claimAttempt(c.stagingDir, c.jobID, id, c.attempt)
	if err != nil {
		return err
	}
	name = fmt.Sprintf("task %d attempt %d", c.taskIndex, attempt)
	a, err := j.SetupTask(ctx, id, attempt)
	if err != nil {
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

// dayFile is an open output file of one day.
type dayFile struct {
	f  *os.File
	gz *gzip.Writer
	bw *bufio.Writer
}

func (d *dayFile) close() error {
	return errors.Join(d.bw.Flush(), d.gz.Close(), d.f.Close())
}

// writeShard writes the records of the task into the attempt's files, one
// gzip-compressed JSON-lines file per day, and returns how many records
// and files it wrote.
func (r *runner) writeShard(a committer.TaskAttempt) (records, files int, err error) {
	open := map[string]*dayFile{}
	defer func() {
		days := make([]string, 0, len(open))
		for d := range open {
			days = append(days, d)
		}
		sort.Strings(days)
		for _, d := range days {
			if cerr := open[d].close(); cerr != nil && err == nil {
				err = fmt.Errorf("write %s: %w", partName(d, r.c.taskIndex), cerr)
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
			f, err := a.Create(partName(day, r.c.taskIndex))
			if err != nil {
				return records, 0, err
			}
			gz := gzip.NewWriter(f)
			w = &dayFile{f: f, gz: gz, bw: bufio.NewWriterSize(gz, 64<<10)}
			open[day] = w
		}
		w.bw.Write(rec.Line)
		if err := w.bw.WriteByte('\n'); err != nil {
			return records, 0, fmt.Errorf("write %s: %w", partName(day, r.c.taskIndex), err)
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
