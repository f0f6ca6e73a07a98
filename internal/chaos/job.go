package chaos

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Outcome is what became of a job.
type Outcome string

// The outcomes of a job: all of its output, or none of it.
const (
	OutcomeCommitted  Outcome = "committed"
	OutcomeRolledBack Outcome = "rolled back"
	OutcomeUnknown    Outcome = ""
)

// Kill counters of a job result.
const (
	KillTask      = "task (SIGKILL)"
	KillCrashTask = "task (--crash-task)"
	KillDriver    = "driver (SIGKILL)"
)

// KillKinds lists the kill counters in the order of the report.
var KillKinds = []string{KillTask, KillCrashTask, KillDriver}

// Recovery counters of a job result.
const (
	RecoverTaskRetry   = "task retried by the driver (new attempt)"
	RecoverDriverAbort = "driver aborts (datajob abort)"
	RecoverJobs        = "jobs left to the operator"
	RecoverShow        = "s3commit jobs show"
	RecoverCommitTasks = "s3commit jobs commit --expect-task"
	RecoverCommitCount = "s3commit jobs commit --expect-tasks"
	RecoverAbort       = "s3commit jobs abort"
	RecoverTaskRerun   = "task re-run by the operator (new attempt)"
	RecoverRetry       = "recovery rounds after a refused or failed command"
)

// RecoveryKinds lists the recovery counters in the order of the report.
var RecoveryKinds = []string{RecoverTaskRetry, RecoverDriverAbort, RecoverJobs, RecoverShow,
	RecoverCommitTasks, RecoverCommitCount, RecoverAbort, RecoverTaskRerun, RecoverRetry}

// cutInFlight is what the committer's error says when MinIO kept an
// upload whose completion was cut off in flight but dropped its parts.
const cutInFlight = "a completion of it was cut off in flight"

// JobResult is what one job of a run did and what the checks found.
type JobResult struct {
	Index    int      `json:"index"`
	Target   string   `json:"target"`
	Scenario Scenario `json:"scenario"`
	JobID    string   `json:"job_id"`
	// Outcome is what the store shows after the job: committed or rolled
	// back. Reported is what the last command that finished the job said.
	Outcome  Outcome `json:"outcome"`
	Reported Outcome `json:"reported"`

	Faults     map[FaultKind]int `json:"faults,omitempty"`
	Kills      map[string]int    `json:"kills,omitempty"`
	Recoveries map[string]int    `json:"recoveries,omitempty"`
	// CutCompletion is set when a commit reported an upload whose
	// completion was cut off in flight (MinIO dropped its parts).
	CutCompletion bool `json:"cut_completion,omitempty"`
	// Phantoms counts the MinIO phantom uploads first seen after the job:
	// listed, but unknown to ListParts and AbortMultipartUpload.
	Phantoms int `json:"phantoms,omitempty"`
	// ToxiproxyRestarts counts the restarts of toxiproxy after its API
	// failed (it deadlocks at times); each cuts every connection.
	ToxiproxyRestarts int `json:"toxiproxy_restarts,omitempty"`

	Violations []string      `json:"violations,omitempty"`
	Duration   time.Duration `json:"duration_ns"`
	// Log is the path of the job's log, kept for a job with violations.
	Log string `json:"log,omitempty"`

	mu sync.Mutex
}

func (r *JobResult) count(m *map[string]int, k string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if *m == nil {
		*m = map[string]int{}
	}
	(*m)[k]++
}

func (r *JobResult) fault(k FaultKind) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Faults == nil {
		r.Faults = map[FaultKind]int{}
	}
	r.Faults[k]++
}

func (r *JobResult) violation(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Violations = append(r.Violations, fmt.Sprintf(format, args...))
}

// watchInterval is how often the proxy is checked while no fault is on.
const watchInterval = 15 * time.Second

// jobRun is one job being run.
type jobRun struct {
	r   *runner
	t   *target
	p   *JobPlan
	res *JobResult
	sig *signals
	inj *injector

	logMu sync.Mutex
	log   bytes.Buffer
	start time.Time

	mu        sync.Mutex
	procs     map[string]*proc // running or finished, by name
	attempts  []int            // the next attempt number of each task
	committed []bool           // tasks known to have committed
}

// logf adds a line to the job's log, with the time since the job began.
func (j *jobRun) logf(format string, args ...any) {
	j.logMu.Lock()
	defer j.logMu.Unlock()
	fmt.Fprintf(&j.log, "%8.3fs  %s\n", time.Since(j.start).Seconds(), fmt.Sprintf(format, args...))
}

// jobDir is the job's directory in the staging dir.
func (j *jobRun) jobDir() string { return filepath.Join(j.t.stagingDir, j.p.JobID) }

// dest is the job's destination as an s3:// URL.
func (j *jobRun) dest() string { return "s3://" + j.t.Bucket + "/" + j.p.Prefix }

// datajobArgs returns the command line of a datajob subcommand of the job,
// through the proxy (or, with direct, to the store itself).
func (j *jobRun) datajobArgs(sub string, direct bool, extra ...string) []string {
	p := j.p
	endpoint := j.t.proxyURL()
	if direct {
		endpoint = j.t.Endpoint
	}
	args := []string{sub,
		"--dest", j.dest(),
		"--endpoint-url", endpoint, "--region", j.t.Region, "--path-style",
		"--staging-dir", j.t.stagingDir, "--buffer-dir", j.t.bufferDir,
		"--job-id", p.JobID, "--mode", p.Mode, "--conflict", p.Conflict,
		"--tasks", strconv.Itoa(p.Tasks), "--events", strconv.Itoa(p.Events),
		"--days", strconv.Itoa(p.Days), "--seed", strconv.Itoa(p.Index + 1),
		"--fail-task", strconv.Itoa(p.FailTask), "--crash-task", strconv.Itoa(p.CrashTask),
	}
	if j.r.cfg.LogLevel != "" {
		args = append(args, "--log-level", j.r.cfg.LogLevel)
	}
	return append(args, extra...)
}

// start starts a process of the job, logs its command line and keeps it
// by name for the kills.
func (j *jobRun) startProc(name, bin string, args, env []string) (*proc, error) {
	j.logf("start %s: %s %s", name, filepath.Base(bin), strings.Join(args, " "))
	pr, err := startProc(name, bin, args, env, j.sig.line)
	if err != nil {
		return nil, err
	}
	j.mu.Lock()
	j.procs[name] = pr
	j.mu.Unlock()
	return pr, nil
}

// finish waits for a process and logs how it ended with its output.
func (j *jobRun) finish(ctx context.Context, pr *proc) result {
	res := pr.wait(ctx)
	j.logf("%s\n%s", res, indent(strings.TrimRight(res.Output(), "\n"), "            | "))
	if res.Hung {
		j.res.violation("%s did not end within %v (killed): a process hangs", res.Name, processDeadline)
	}
	if strings.Contains(res.Output(), cutInFlight) {
		j.res.mu.Lock()
		j.res.CutCompletion = true
		j.res.mu.Unlock()
	}
	return res
}

// run starts a process and waits for it.
func (j *jobRun) run(ctx context.Context, name, bin string, args, env []string) (result, error) {
	pr, err := j.startProc(name, bin, args, env)
	if err != nil {
		return result{}, err
	}
	return j.finish(ctx, pr), nil
}

// running returns the process of that name if it runs now.
func (j *jobRun) running(name string) *proc {
	j.mu.Lock()
	defer j.mu.Unlock()
	if pr := j.procs[name]; pr != nil && pr.running() {
		return pr
	}
	return nil
}

// arm waits for the triggers of the faults and kills of a phase until
// the returned function is called. A fault switched on lasts its time
// even when the phase has ended, until faultCtx ends.
func (j *jobRun) arm(ctx, faultCtx context.Context, phase string, faults []Fault, kills []Kill, driver string) (disarm func()) {
	pctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, f := range faults {
		wg.Go(func() {
			if !j.sig.await(pctx, f.At, phase) {
				return
			}
			go j.inj.inject(faultCtx, f, func() { j.res.fault(f.Kind) })
		})
	}
	for _, k := range kills {
		wg.Go(func() {
			if !j.sig.await(pctx, k.At, phase) {
				return
			}
			name, what := driver, KillDriver
			if k.Victim == VictimTask {
				name, what = fmt.Sprintf("task %d attempt %d", k.Task, k.At.Attempt), KillTask
			}
			if pr := j.running(name); pr != nil && pr.kill() {
				j.logf("kill: SIGKILL %s (%s)", name, k)
				j.res.count(&j.res.Kills, what)
				return
			}
			j.logf("kill missed: %s is not running (%s)", name, k)
		})
	}
	return func() {
		cancel()
		wg.Wait()
	}
}

// nextAttempt returns the next attempt number of task i.
func (j *jobRun) nextAttempt(i int) int {
	j.mu.Lock()
	defer j.mu.Unlock()
	a := j.attempts[i]
	j.attempts[i]++
	return a
}

// runTask runs one attempt of task i and reports whether the task is
// committed (by this attempt or an earlier one).
func (j *jobRun) runTask(ctx context.Context, i int) bool {
	a := j.nextAttempt(i)
	name := fmt.Sprintf("task %d attempt %d", i, a)
	res, err := j.run(ctx, name, j.r.datajob,
		j.datajobArgs("task", false, "--task-index", strconv.Itoa(i), "--attempt", strconv.Itoa(a)), j.t.env(false))
	if err != nil {
		j.logf("%v", err)
		return false
	}
	if res.Signaled && !res.Killed && strings.Contains(res.Stderr, "killing itself with SIGKILL") {
		j.res.count(&j.res.Kills, KillCrashTask)
	}
	if res.OK() {
		j.mu.Lock()
		j.committed[i] = true
		j.mu.Unlock()
	}
	return res.OK()
}

// runTasks runs the tasks, at most p.Parallel at once, each up to
// p.Attempts times, as the job's driver does. It reports whether every
// task committed.
func (j *jobRun) runTasks(ctx context.Context) bool {
	queue := make(chan int, j.p.Tasks)
	for i := range j.p.Tasks {
		queue <- i
	}
	close(queue)
	var wg sync.WaitGroup
	for range j.p.Parallel {
		wg.Go(func() {
			for i := range queue {
				for a := range j.p.Attempts {
					if a > 0 {
						j.res.count(&j.res.Recoveries, RecoverTaskRetry)
					}
					if j.runTask(ctx, i) || ctx.Err() != nil {
						break
					}
				}
			}
		})
	}
	wg.Wait()
	return len(j.missingTasks()) == 0
}

// missingTasks returns the tasks not known to have committed.
func (j *jobRun) missingTasks() []int {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []int
	for i, c := range j.committed {
		if !c {
			out = append(out, i)
		}
	}
	return out
}

// runJob runs one job as its plan says: an old object where planned, the
// setup, the tasks, the driver's commit or abort, with the network faults
// and kills of the plan; then, with the network fixed, the operator's
// recovery if the driver did not finish the job; then the checks.
func (r *runner) runJob(ctx context.Context, t *target, p *JobPlan) *jobRun {
	j := &jobRun{
		r: r, t: t, p: p,
		res:       &JobResult{Index: p.Index, Target: p.Target, Scenario: p.Scenario, JobID: p.JobID},
		procs:     map[string]*proc{},
		attempts:  make([]int, p.Tasks),
		committed: make([]bool, p.Tasks),
		start:     time.Now(),
	}
	j.sig = newSignals(j.jobDir())
	j.inj = &injector{proxy: t.proxy, log: j.logf, restarted: func() {
		j.res.mu.Lock()
		j.res.ToxiproxyRestarts++
		j.res.mu.Unlock()
	}}
	j.logf("%s", strings.TrimRight(p.Describe(), "\n"))

	var reported Outcome
	if err := j.prepare(ctx); err != nil {
		j.res.violation("prepare: %v", err)
	} else {
		reported = j.drive(ctx)
		if _, err := os.Stat(j.jobDir()); err == nil {
			j.res.count(&j.res.Recoveries, RecoverJobs)
			if o := j.recover(ctx); o != OutcomeUnknown {
				reported = o
			}
		}
	}
	j.res.Reported = reported
	if ctx.Err() == nil {
		j.check(ctx)
	}
	j.res.Duration = time.Since(j.start)
	j.logf("outcome %q (reported %q), %d violations", j.res.Outcome, j.res.Reported, len(j.res.Violations))
	for _, v := range j.res.Violations {
		j.logf("VIOLATION: %s", v)
	}
	return j
}

// prepare writes the old object, if planned, and sets the job up, with
// the network fixed.
func (j *jobRun) prepare(ctx context.Context) error {
	if j.p.OldObject {
		if err := j.t.putOld(ctx, j.p); err != nil {
			return err
		}
	}
	var last result
	for range 3 {
		res, err := j.run(ctx, "setup", j.r.datajob, j.datajobArgs("setup", false), j.t.env(false))
		if err != nil {
			return err
		}
		if res.OK() {
			return nil
		}
		last = res
		sleep(ctx, 500*time.Millisecond)
	}
	return fmt.Errorf("datajob setup failed 3 times, the network fixed: %s", last)
}

// drive runs the tasks and the driver's last step with the plan's faults
// and kills, then fixes the network. It returns what the driver reported.
func (j *jobRun) drive(ctx context.Context) Outcome {
	faultCtx, stopFaults := context.WithCancel(ctx)
	go j.inj.watch(faultCtx, watchInterval)
	defer func() {
		stopFaults()
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := j.inj.heal(hctx); err != nil {
			j.logf("heal the network: %v", err)
		}
		j.logf("network fixed")
	}()

	var taskKills, driverKills []Kill
	for _, k := range j.p.Kills {
		if k.Victim == VictimTask {
			taskKills = append(taskKills, k)
		} else {
			driverKills = append(driverKills, k)
		}
	}
	j.sig.phase("tasks")
	disarm := j.arm(ctx, faultCtx, "tasks", j.p.TaskFaults, taskKills, "")
	all := j.runTasks(ctx)
	disarm()

	step := "commit"
	switch {
	case all:
	case j.p.GiveUp == LostAbort:
		step = "abort"
	default:
		j.logf("tasks %v never committed; the driver gives up and leaves the job to the operator", j.missingTasks())
		return OutcomeUnknown
	}
	j.sig.phase("commit")
	disarm = j.arm(ctx, faultCtx, "commit", j.p.CommitFaults, driverKills, step)
	defer disarm()
	if step == "abort" {
		j.res.count(&j.res.Recoveries, RecoverDriverAbort)
	}
	res, err := j.run(ctx, step, j.r.datajob, j.datajobArgs(step, false), j.t.env(false))
	if err != nil {
		j.logf("%v", err)
		return OutcomeUnknown
	}
	switch {
	case res.OK() && step == "commit":
		return OutcomeCommitted
	case res.OK():
		return OutcomeRolledBack
	case strings.Contains(res.Stderr, msgReverted):
		return OutcomeRolledBack
	case strings.Contains(res.Stderr, msgCommittedUnread):
		return OutcomeCommitted
	}
	return OutcomeUnknown
}
