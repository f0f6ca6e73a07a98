package datajob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"
)

// lockedWriter serializes the writes of several goroutines and processes'
// output copiers.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// taskArgs returns the command line of a worker process running attempt
// of task index of the job.
func (c *config) taskArgs(index, attempt int) []string {
	args := []string{cmdTask,
		"--dest", c.dest,
		"--staging-dir", c.stagingDir,
		"--job-id", c.jobID,
		"--mode", c.mode,
		"--conflict", c.conflict,
		"--tasks", strconv.Itoa(c.tasks),
		"--events", strconv.Itoa(c.events),
		"--seed", strconv.FormatInt(c.seed, 10),
		"--days", strconv.Itoa(c.days),
		"--fail-task", strconv.Itoa(c.failTask),
		"--crash-task", strconv.Itoa(c.crashTask),
		"--log-level", c.logLevel,
		"--format", c.format,
		"--task-index", strconv.Itoa(index),
		"--attempt", strconv.Itoa(attempt),
	}
	if c.endpointURL != "" {
		args = append(args, "--endpoint-url", c.endpointURL)
	}
	if c.region != "" {
		args = append(args, "--region", c.region)
	}
	if c.pathStyle {
		args = append(args, "--path-style")
	}
	if c.bufferDir != "" {
		args = append(args, "--buffer-dir", c.bufferDir)
	}
	args = append(args, c.telemetryArgs(index, attempt)...)
	return append(append(args, "--"), c.inputs...)
}

// attemptOutcome describes how a worker process ended: "" when it
// succeeded, otherwise "failed (exit status N)" or "crashed (signal: S)".
func attemptOutcome(err error) string {
	if err == nil {
		return ""
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ee.Exited() {
			return fmt.Sprintf("failed (exit status %d)", ee.ExitCode())
		}
		return fmt.Sprintf("crashed (%v)", ee)
	}
	return fmt.Sprintf("failed (%v)", err)
}

// driver runs the whole job on this machine: it sets up the job, runs
// each task as a worker process (this binary's task subcommand), at most
// --parallel at once, retries a failed or crashed task as a new attempt up
// to --max-attempts, and commits the job. When a task runs out of
// attempts, or the driver is interrupted, it aborts the job.
func (r *runner) driver(ctx context.Context) error {
	c := r.c
	if err := c.checkInputs(); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find this program to run its tasks: %w", err)
	}
	start := time.Now()
	stderr := &lockedWriter{w: r.stderr}
	r.stderr = stderr
	st, j, err := r.setupJob(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "job %s: %d tasks on %s, mode %s, conflict %s, at most %d at once\n",
		c.jobID, c.tasks, c.location(), c.mode, c.conflict, c.parallel)

	// Tasks start in index order, at most --parallel at once; a task's
	// retries run in the slot of its first attempt.
	queue := make(chan int)
	go func() {
		defer close(queue)
		for i := range c.tasks {
			select {
			case queue <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	failed := make([]string, c.tasks)
	var wg sync.WaitGroup
	for range min(c.parallel, c.tasks) {
		wg.Go(func() {
			for i := range queue {
				failed[i] = r.runTask(ctx, exe, stderr, i)
			}
		})
	}
	wg.Wait()

	var problems []string
	if ctx.Err() != nil {
		problems = append(problems, "interrupted")
	}
	for _, f := range failed {
		if f != "" {
			problems = append(problems, f)
		}
	}
	if len(problems) > 0 {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
		defer cancel()
		fmt.Fprintf(stderr, "aborting job %s\n", c.jobID)
		aerr := j.AbortJob(actx)
		cause := problems[0]
		if aerr != nil {
			return fmt.Errorf("job %s failed (%s) and its abort failed too: %w; run datajob abort --job-id %s to retry", c.jobID, cause, aerr, c.jobID)
		}
		return fmt.Errorf("job %s failed (%s); it was aborted: nothing of it is in %s", c.jobID, cause, c.location())
	}
	if err := r.commitJob(ctx, st, j); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "job %s done in %.1fs\n", c.jobID, time.Since(start).Seconds())
	return nil
}

// runTask runs the attempts of task i as worker processes until one
// succeeds or --max-attempts ran; it returns "" on success, otherwise why
// the task failed.
func (r *runner) runTask(ctx context.Context, exe string, stderr io.Writer, i int) string {
	c := r.c
	for attempt := 0; attempt < c.maxAttempts; attempt++ {
		if ctx.Err() != nil {
			return "interrupted"
		}
		actx, span := r.startAttempt(ctx, i, attempt)
		cmd := exec.CommandContext(ctx, exe, c.taskArgs(i, attempt)...)
		cmd.Stdout, cmd.Stderr, cmd.Env = stderr, stderr, taskEnv(actx)
		outcome := attemptOutcome(cmd.Run())
		endAttempt(span, outcome)
		switch {
		case outcome == "":
			return ""
		case ctx.Err() != nil:
			return "interrupted"
		case attempt+1 < c.maxAttempts:
			fmt.Fprintf(stderr, "task %d attempt %d: %s; retrying as attempt %d\n", i, attempt, outcome, attempt+1)
		default:
			fmt.Fprintf(stderr, "task %d attempt %d: %s; no attempts left (--max-attempts %d)\n", i, attempt, outcome, c.maxAttempts)
			return fmt.Sprintf("task %d %s on attempt %d, the last of --max-attempts %d", i, outcome, attempt, c.maxAttempts)
		}
	}
	return "interrupted"
}
