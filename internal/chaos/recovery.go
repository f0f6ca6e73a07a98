package chaos

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"time"
)

// maxRecoveryRounds bounds the operator's attempts at one job.
const maxRecoveryRounds = 8

// What the CLI's errors say, as the operator reads them.
const (
	msgMissingTasks = "expected tasks have not committed"
	msgRolledBack   = "rolled back"
	msgReverted     = "the job was reverted"
	// A job whose rollback began: only an abort may finish it.
	msgRollbackBegun = "a rollback of it began"
	// The datajob's commit when the job committed but reading its
	// _SUCCESS back failed.
	msgCommittedUnread = "committed, but its _SUCCESS cannot be read"
	msgCommitFinished  = "its commit had finished"
	msgNoReturn        = "point of no return"
)

// showJSON is the part of `s3commit jobs show --json` the operator reads.
type showJSON struct {
	State string `json:"state"`
	Tasks []struct {
		ID string `json:"id"`
	} `json:"tasks"`
}

// cli runs an s3commit command of the operator with the network fixed.
func (j *jobRun) cli(ctx context.Context, args ...string) (result, error) {
	return j.run(ctx, "s3commit "+strings.Join(args[:2], " "), j.r.s3commit, args, j.t.env(true))
}

// recover is the operator's recovery of a job its driver did not finish,
// run with the network fixed, as an operator retries once the network is
// back: `s3commit jobs show`, then `jobs commit` (expecting every task)
// or `jobs abort` as the plan says. A commit refused because a task has
// not committed leads to running the task again or to an abort, as the
// plan says; a commit refused because the job was (or began to be)
// rolled back leads to an abort; a command that fails for another reason
// is repeated. It returns what the last command that finished the job
// reported.
func (j *jobRun) recover(ctx context.Context) Outcome {
	dir, id := j.t.stagingDir, j.p.JobID
	action := j.p.Recovery
	reruns := 0
	reported := OutcomeUnknown
	for round := range maxRecoveryRounds {
		if ctx.Err() != nil {
			return reported
		}
		if _, err := os.Stat(j.jobDir()); err != nil {
			return reported
		}
		if round > 0 {
			j.res.count(&j.res.Recoveries, RecoverRetry)
			sleep(ctx, time.Duration(round)*300*time.Millisecond)
		}
		j.res.count(&j.res.Recoveries, RecoverShow)
		show, err := j.cli(ctx, "jobs", "show", "--json", dir, id)
		if err != nil {
			j.logf("%v", err)
			continue
		}
		var shown showJSON
		if show.OK() {
			if err := json.Unmarshal([]byte(show.Stdout), &shown); err != nil {
				j.logf("jobs show --json: %v", err)
			}
			j.logf("jobs show: state %q, %d tasks committed", shown.State, len(shown.Tasks))
		}

		switch action {
		case ActionCommitTasks, ActionCommitCount:
			args := []string{"jobs", "commit", "--buffer-dir", j.t.bufferDir}
			if action == ActionCommitTasks {
				j.res.count(&j.res.Recoveries, RecoverCommitTasks)
				for i := range j.p.Tasks {
					args = append(args, "--expect-task", taskID(i))
				}
			} else {
				j.res.count(&j.res.Recoveries, RecoverCommitCount)
				args = append(args, "--expect-tasks", strconv.Itoa(j.p.Tasks))
			}
			res, err := j.cli(ctx, append(args, dir, id)...)
			if err != nil {
				j.logf("%v", err)
				continue
			}
			out := res.Stderr
			switch {
			case res.OK():
				return OutcomeCommitted
			case strings.Contains(out, msgMissingTasks):
				if j.p.Missing == LostRerun && reruns < 2 {
					reruns++
					j.rerunMissing(ctx, shown)
					continue
				}
				action = ActionAbort
			case strings.Contains(out, msgReverted), strings.Contains(out, msgRolledBack):
				reported = OutcomeRolledBack
				action = ActionAbort // removes what is left of the staging dir
			case strings.Contains(out, msgRollbackBegun):
				action = ActionAbort
			}
		case ActionAbort:
			j.res.count(&j.res.Recoveries, RecoverAbort)
			res, err := j.cli(ctx, "jobs", "abort", "--buffer-dir", j.t.bufferDir, dir, id)
			if err != nil {
				j.logf("%v", err)
				continue
			}
			switch {
			case res.OK():
				return OutcomeRolledBack
			case strings.Contains(res.Stderr, msgCommitFinished):
				return OutcomeCommitted
			case strings.Contains(res.Stderr, msgNoReturn):
				action = ActionCommitTasks
			}
		}
	}
	if _, err := os.Stat(j.jobDir()); err == nil {
		j.res.violation("the operator could not finish the job in %d rounds of jobs show and jobs commit/abort with the network fixed; its staging dir %s is left", maxRecoveryRounds, j.jobDir())
	}
	return reported
}

// rerunMissing runs a new attempt of every task that jobs show does not
// list as committed, with the network fixed.
func (j *jobRun) rerunMissing(ctx context.Context, shown showJSON) {
	done := map[string]bool{}
	for _, t := range shown.Tasks {
		done[t.ID] = true
	}
	for i := range j.p.Tasks {
		if done[taskID(i)] {
			continue
		}
		j.res.count(&j.res.Recoveries, RecoverTaskRerun)
		j.runTask(ctx, i)
	}
}
