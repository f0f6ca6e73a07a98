package chaos

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Scenario is the kind of a job's plan.
type Scenario string

// The scenarios a run draws its jobs from.
const (
	// ScenarioMixed draws network faults, kills and a recovery at random.
	ScenarioMixed Scenario = "mixed"
	// ScenarioCutCompletion cuts the driver off from MinIO while many
	// completions of its job commit are in flight: the proxy is disabled
	// as soon as the journal shows the first completion, for a moment.
	// MinIO may then keep an upload whose completion was cut but drop its
	// parts; the commit must report it and revert.
	ScenarioCutCompletion Scenario = "cut-completion"
	// ScenarioLostAnswers loses answers of the store at random during the
	// job commit (reset_peer on the way back, on a share of the
	// connections): completions and deletions take effect but their
	// callers do not learn it, the commit may give up and revert under
	// the same lossy network, and the operator finishes the job.
	ScenarioLostAnswers Scenario = "lost-answers"
)

// Scenarios lists every scenario, for flags and reports.
var Scenarios = []Scenario{ScenarioMixed, ScenarioCutCompletion, ScenarioLostAnswers}

// FaultKind is a kind of network fault.
type FaultKind string

// The network faults, as toxiproxy injects them between the job's
// processes and the store.
const (
	FaultResetPeer FaultKind = "reset_peer" // connections reset (RST), after a timeout
	FaultTimeout   FaultKind = "timeout"    // data stops flowing, the connection closes after a timeout
	FaultLatency   FaultKind = "latency"    // every chunk of data delayed
	FaultBandwidth FaultKind = "bandwidth"  // a rate limit
	FaultSlicer    FaultKind = "slicer"     // data sliced into small chunks with delays
	FaultLimitData FaultKind = "limit_data" // connections closed after a number of bytes
	FaultCut       FaultKind = "cut"        // the proxy disabled: the store unreachable
)

// FaultKinds lists every fault kind in the order of the report.
var FaultKinds = []FaultKind{FaultResetPeer, FaultTimeout, FaultLatency, FaultBandwidth, FaultSlicer, FaultLimitData, FaultCut}

// TriggerKind says what a trigger waits for.
type TriggerKind string

// The triggers of faults and kills. Each waits for an event of the job's
// processes: a line they print or a record the committer writes in the
// staging dir (see the staging package's layout).
const (
	// TriggerStart fires when the phase starts: the first task process
	// (task phase) or the driver's commit process (commit phase) starts.
	TriggerStart TriggerKind = "start"
	// TriggerWrote fires when attempt Attempt of task Task printed that it
	// wrote its files: its task commit begins.
	TriggerWrote TriggerKind = "wrote"
	// TriggerUploads fires when the intents of attempt Attempt of task
	// Task record N created uploads: its task commit is uploading.
	TriggerUploads TriggerKind = "uploads"
	// TriggerCommitting fires when the driver printed that it commits the
	// job.
	TriggerCommitting TriggerKind = "committing"
	// TriggerCompleted fires when the job-commit journal records N
	// completed uploads (0: the commit began).
	TriggerCompleted TriggerKind = "completed"
	// TriggerSuccess fires when the journal records that _SUCCESS was
	// written, before the staging dir is cleaned up.
	TriggerSuccess TriggerKind = "success"
)

// Trigger is the event a fault or a kill waits for, plus a delay.
type Trigger struct {
	Kind    TriggerKind   `json:"kind"`
	Task    int           `json:"task,omitempty"`
	Attempt int           `json:"attempt,omitempty"`
	N       int           `json:"n,omitempty"`
	Delay   time.Duration `json:"delay_ns"`
}

func (t Trigger) String() string {
	var s string
	switch t.Kind {
	case TriggerWrote:
		s = fmt.Sprintf("task %d attempt %d wrote", t.Task, t.Attempt)
	case TriggerUploads:
		s = fmt.Sprintf("task %d attempt %d created %d uploads", t.Task, t.Attempt, t.N)
	case TriggerCompleted:
		s = fmt.Sprintf("journal: %d completed", t.N)
	default:
		s = string(t.Kind)
	}
	return fmt.Sprintf("%s +%v", s, t.Delay)
}

// Fault is one network fault: a toxic (or a disabled proxy) switched on
// at its trigger and off after For.
type Fault struct {
	Kind       FaultKind        `json:"kind"`
	Stream     string           `json:"stream,omitempty"` // upstream (to the store) or downstream
	Toxicity   float64          `json:"toxicity,omitempty"`
	Attributes map[string]int64 `json:"attributes,omitempty"`
	At         Trigger          `json:"at"`
	For        time.Duration    `json:"for_ns"`
}

func (f Fault) String() string {
	var attrs []string
	for _, k := range slices.Sorted(maps.Keys(f.Attributes)) {
		attrs = append(attrs, fmt.Sprintf("%s=%d", k, f.Attributes[k]))
	}
	s := string(f.Kind)
	if f.Stream != "" {
		s += " " + f.Stream
	}
	if len(attrs) > 0 {
		s += " " + strings.Join(attrs, ",")
	}
	if f.Toxicity > 0 && f.Toxicity < 1 {
		s += fmt.Sprintf(" toxicity=%.2f", f.Toxicity)
	}
	return fmt.Sprintf("%s at [%s] for %v", s, f.At, f.For)
}

// Victim is a process a kill aims at.
type Victim string

// The processes the harness kills.
const (
	VictimTask   Victim = "task"
	VictimDriver Victim = "driver"
)

// Kill is one SIGKILL of a job's process at a trigger.
type Kill struct {
	Victim Victim  `json:"victim"`
	Task   int     `json:"task,omitempty"`
	At     Trigger `json:"at"`
}

func (k Kill) String() string {
	if k.Victim == VictimTask {
		return fmt.Sprintf("SIGKILL task %d attempt %d at [%s]", k.Task, k.At.Attempt, k.At)
	}
	return fmt.Sprintf("SIGKILL driver at [%s]", k.At)
}

// Lost says what happens to a job whose task never committed.
type Lost string

// What the driver, or the operator, does with a job one of whose tasks
// has no committed attempt.
const (
	LostRerun Lost = "rerun" // run the task again, as a new attempt
	LostAbort Lost = "abort" // abort the job
)

// Action is the operator's first recovery step.
type Action string

// The operator's recovery actions.
const (
	ActionCommitTasks Action = "commit --expect-task" // s3commit jobs commit --expect-task ID…
	ActionCommitCount Action = "commit --expect-tasks"
	ActionAbort       Action = "abort"
)

// JobPlan is everything a job of a run does, drawn from the run's seed
// and the job's index: the same seed and index give the same plan.
type JobPlan struct {
	Seed     uint64   `json:"seed"`
	Index    int      `json:"index"`
	Scenario Scenario `json:"scenario"`
	Target   string   `json:"target"` // server name
	JobID    string   `json:"job_id"`
	Prefix   string   `json:"prefix"` // destination key prefix

	Tasks    int    `json:"tasks"`
	Events   int    `json:"events"`
	Days     int    `json:"days"`
	Mode     string `json:"mode"`     // directory or partitioned
	Conflict string `json:"conflict"` // fail, append or replace
	// OldObject puts an object of an earlier writer into the destination
	// before the job (append and replace only): append keeps it, replace
	// deletes it on commit, a rollback keeps it.
	OldObject bool `json:"old_object,omitempty"`
	// Parallel is how many task processes run at once.
	Parallel int `json:"parallel"`
	// FailTask and CrashTask are datajob's --fail-task and --crash-task
	// (-1: none): the first attempt of that task fails before its commit,
	// or kills itself in the middle of it.
	FailTask  int `json:"fail_task"`
	CrashTask int `json:"crash_task"`
	// Attempts is how many attempts the driver gives a task before it
	// gives up on it.
	Attempts int `json:"attempts"`
	// GiveUp is what the driver does when a task is out of attempts:
	// LostAbort runs datajob abort, LostRerun leaves the job to the
	// operator (who finds the task missing).
	GiveUp Lost `json:"give_up"`

	TaskFaults   []Fault `json:"task_faults,omitempty"`
	CommitFaults []Fault `json:"commit_faults,omitempty"`
	Kills        []Kill  `json:"kills,omitempty"`

	// Recovery is the operator's first step when the driver did not
	// finish the job; Missing what the operator does when the commit
	// refuses because a task has not committed.
	Recovery Action `json:"recovery"`
	Missing  Lost   `json:"missing"`
}

// file is one output file of a job: the datajob writes a file per task
// and day the task has events of.
type file struct{ task, day int }

// files returns the output files of the job. The datajob's task i takes
// events i, i+Tasks, …, and event n is of day n mod Days.
func (p *JobPlan) files() []file {
	seen := map[file]bool{}
	var out []file
	for n := range min(p.Events, p.Tasks*p.Days) {
		f := file{task: n % p.Tasks, day: n % p.Days}
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// Summary describes the plan in one line.
func (p *JobPlan) Summary() string {
	return fmt.Sprintf("job %d (%s) on %s: %d tasks, %d events, %d days, %s/%s, %d faults, %d kills, recovery %s",
		p.Index, p.Scenario, p.Target, p.Tasks, p.Events, p.Days, p.Mode, p.Conflict,
		len(p.TaskFaults)+len(p.CommitFaults), len(p.Kills), p.Recovery)
}

// Describe lists the plan, one line per item.
func (p *JobPlan) Describe() string {
	var b strings.Builder
	fmt.Fprintln(&b, p.Summary())
	fmt.Fprintf(&b, "  job ID %s, destination %s, parallel %d, attempts %d, give up: %s, fail-task %d, crash-task %d, old object %v\n",
		p.JobID, p.Prefix, p.Parallel, p.Attempts, p.GiveUp, p.FailTask, p.CrashTask, p.OldObject)
	for _, f := range p.TaskFaults {
		fmt.Fprintf(&b, "  task phase: %s\n", f)
	}
	for _, f := range p.CommitFaults {
		fmt.Fprintf(&b, "  commit phase: %s\n", f)
	}
	for _, k := range p.Kills {
		fmt.Fprintf(&b, "  %s\n", k)
	}
	fmt.Fprintf(&b, "  recovery: %s; a missing task: %s\n", p.Recovery, p.Missing)
	return b.String()
}

// NewPlan draws the plan of job index of the run of seed. targets are the
// servers' names; scenarios the scenarios to draw from (all when empty).
// The cut-completion scenario needs a target named "minio"; without one it
// is not drawn.
func NewPlan(seed uint64, index int, targets []string, scenarios []Scenario) *JobPlan {
	rng := rand.New(rand.NewPCG(seed, uint64(index)))
	if len(scenarios) == 0 {
		scenarios = Scenarios
	}
	hasMinIO := false
	for _, t := range targets {
		hasMinIO = hasMinIO || t == "minio"
	}
	p := &JobPlan{
		Seed:      seed,
		Index:     index,
		Target:    targets[index%len(targets)],
		JobID:     fmt.Sprintf("chaos-%d-%04d", seed, index),
		Prefix:    fmt.Sprintf("j%04d", index),
		FailTask:  -1,
		CrashTask: -1,
	}
	// The special scenarios this job may draw: cut-completion runs on
	// MinIO only. Without the mixed scenario a job draws one of them;
	// with it, a job draws each with 1 in 8.
	var special []Scenario
	if hasMinIO && contains(scenarios, ScenarioCutCompletion) {
		special = append(special, ScenarioCutCompletion)
	}
	if contains(scenarios, ScenarioLostAnswers) {
		special = append(special, ScenarioLostAnswers)
	}
	p.Scenario = ScenarioMixed
	switch r := rng.IntN(8); {
	case !contains(scenarios, ScenarioMixed) && len(special) > 0:
		p.Scenario = special[r%len(special)]
	case r == 0 && contains(special, ScenarioCutCompletion) && p.Target == "minio":
		p.Scenario = ScenarioCutCompletion
	case r == 1 && contains(special, ScenarioLostAnswers):
		p.Scenario = ScenarioLostAnswers
	}
	switch p.Scenario {
	case ScenarioCutCompletion:
		p.Target = "minio"
		p.drawCutCompletion(rng)
	case ScenarioLostAnswers:
		p.drawLostAnswers(rng)
	default:
		p.drawMixed(rng)
	}
	return p
}

func contains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// pick returns one of the values, uniformly.
func pick[T any](rng *rand.Rand, values ...T) T { return values[rng.IntN(len(values))] }

// between returns a duration in [lo, hi].
func between(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(rng.Int64N(int64(hi-lo)+1))
}

// drawCutCompletion is the cut-completion scenario: 4 tasks over 7 days
// give 28 files, all completed at once by the job commit; the proxy is
// disabled right after the first completion is journaled, while the
// others are in flight, and enabled again 300 ms later, within the
// committer's retries.
func (p *JobPlan) drawCutCompletion(rng *rand.Rand) {
	p.Tasks, p.Days, p.Events = 4, 7, 1400+rng.IntN(600)
	p.Mode = pick(rng, "directory", "partitioned")
	p.Conflict = pick(rng, "fail", "append")
	p.Parallel, p.Attempts, p.GiveUp = 2, 2, LostAbort
	p.CommitFaults = []Fault{{
		Kind: FaultCut,
		At:   Trigger{Kind: TriggerCompleted, N: 1, Delay: between(rng, 0, 2*time.Millisecond)},
		For:  300 * time.Millisecond,
	}}
	p.Recovery = pick(rng, ActionCommitTasks, ActionCommitCount, ActionAbort)
	p.Missing = LostAbort
}

// drawLostAnswers is the lost-answers scenario: 6 or 12 files; from the
// moment the driver's commit process starts, for 2 to 6 s, 50 to 90 % of
// the connections are reset when the store's answer comes back, so calls
// take effect without their caller knowing; then the operator's
// recovery.
func (p *JobPlan) drawLostAnswers(rng *rand.Rand) {
	p.Tasks, p.Days = pick(rng, 2, 4), 3
	p.Events = 300 + rng.IntN(900)
	p.Mode = pick(rng, "directory", "partitioned")
	p.Conflict = pick(rng, "fail", "append", "replace")
	p.Parallel, p.Attempts, p.GiveUp = p.Tasks, 2, LostAbort
	p.CommitFaults = []Fault{{
		Kind: FaultResetPeer, Stream: "downstream", Toxicity: 0.5 + 0.4*rng.Float64(),
		Attributes: map[string]int64{"timeout": 0},
		At:         Trigger{Kind: TriggerStart}, // the driver's process starts: before its first call
		For:        between(rng, 2*time.Second, 6*time.Second),
	}}
	p.Recovery = pick(rng, ActionCommitTasks, ActionCommitCount, ActionAbort)
	p.Missing = LostAbort
}

// drawMixed draws a job with random faults, kills and recovery.
func (p *JobPlan) drawMixed(rng *rand.Rand) {
	p.Tasks = 2 + rng.IntN(3)
	p.Days = 1 + rng.IntN(3)
	p.Events = 200 + rng.IntN(1800)
	p.Mode = pick(rng, "directory", "partitioned")
	p.Conflict = pick(rng, "fail", "fail", "append", "replace")
	p.OldObject = p.Conflict != "fail" && rng.IntN(2) == 0
	p.Parallel = 1 + rng.IntN(p.Tasks)
	p.Attempts = 1 + rng.IntN(3)
	p.GiveUp = pick(rng, LostAbort, LostRerun)
	if rng.IntN(5) == 0 {
		p.FailTask = rng.IntN(p.Tasks)
	}
	if rng.IntN(4) == 0 {
		p.CrashTask = rng.IntN(p.Tasks)
	}
	files := len(p.files())
	perTask := files / p.Tasks // the same for every task
	for range rng.IntN(3) {
		p.TaskFaults = append(p.TaskFaults, p.drawFault(rng, false, perTask))
	}
	for range rng.IntN(3) {
		p.CommitFaults = append(p.CommitFaults, p.drawFault(rng, true, files))
	}
	if rng.IntN(3) == 0 {
		t := rng.IntN(p.Tasks)
		p.Kills = append(p.Kills, Kill{Victim: VictimTask, Task: t, At: p.drawTaskTrigger(rng, t, perTask)})
	}
	if rng.IntN(3) == 0 {
		p.Kills = append(p.Kills, Kill{Victim: VictimDriver, At: p.drawCommitTrigger(rng, files)})
	}
	p.Recovery = pick(rng, ActionCommitTasks, ActionCommitCount, ActionAbort)
	p.Missing = pick(rng, LostRerun, LostAbort)
}

// drawTaskTrigger draws a moment of the task commit of task t's first
// attempt, which writes files files.
func (p *JobPlan) drawTaskTrigger(rng *rand.Rand, t, files int) Trigger {
	switch rng.IntN(3) {
	case 0:
		return Trigger{Kind: TriggerWrote, Task: t, Delay: between(rng, 0, 60*time.Millisecond)}
	case 1:
		return Trigger{Kind: TriggerUploads, Task: t, N: 1 + rng.IntN(files), Delay: between(rng, 0, 10*time.Millisecond)}
	}
	return Trigger{Kind: TriggerStart, Delay: between(rng, 50*time.Millisecond, 600*time.Millisecond)}
}

// drawCommitTrigger draws a moment of the job commit of a job of files
// files.
func (p *JobPlan) drawCommitTrigger(rng *rand.Rand, files int) Trigger {
	switch rng.IntN(5) {
	case 0:
		return Trigger{Kind: TriggerCommitting, Delay: between(rng, 0, 40*time.Millisecond)}
	case 1, 2:
		return Trigger{Kind: TriggerCompleted, N: rng.IntN(files + 1), Delay: between(rng, 0, 5*time.Millisecond)}
	case 3:
		return Trigger{Kind: TriggerSuccess, Delay: between(rng, 0, 3*time.Millisecond)}
	}
	return Trigger{Kind: TriggerStart, Delay: between(rng, 0, 300*time.Millisecond)}
}

// drawFault draws a network fault of the task phase or, with commit, of
// the job commit, in a job (or task) of files files.
func (p *JobPlan) drawFault(rng *rand.Rand, commit bool, files int) Fault {
	kinds := []FaultKind{FaultResetPeer, FaultTimeout, FaultLatency, FaultBandwidth, FaultSlicer, FaultLimitData}
	if commit {
		kinds = append(kinds, FaultCut, FaultCut)
	}
	f := Fault{Kind: pick(rng, kinds...), Stream: pick(rng, "upstream", "downstream"), Toxicity: 1}
	if commit {
		f.At = p.drawCommitTrigger(rng, files)
	} else {
		f.At = p.drawTaskTrigger(rng, rng.IntN(p.Tasks), files)
	}
	// Short windows are weathered by the committer's retries (5 attempts,
	// backoff from 200 ms); long ones make calls fail for good.
	f.For = pick(rng,
		between(rng, 20*time.Millisecond, 400*time.Millisecond),
		between(rng, 400*time.Millisecond, 2500*time.Millisecond),
		between(rng, 2500*time.Millisecond, 6*time.Second))
	switch f.Kind {
	case FaultResetPeer:
		f.Attributes = map[string]int64{"timeout": pick(rng, 0, 0, rng.Int64N(200))}
		if rng.IntN(3) == 0 {
			f.Toxicity = 0.3 + 0.6*rng.Float64()
		}
	case FaultTimeout:
		f.Attributes = map[string]int64{"timeout": 1 + rng.Int64N(1500)}
	case FaultLatency:
		f.Attributes = map[string]int64{"latency": 5 + rng.Int64N(300), "jitter": rng.Int64N(50)}
	case FaultBandwidth:
		f.Attributes = map[string]int64{"rate": 4 + rng.Int64N(200)} // KB/s
	case FaultSlicer:
		f.Attributes = map[string]int64{"average_size": 8 + rng.Int64N(256), "size_variation": rng.Int64N(8), "delay": rng.Int64N(3000)} // delay in µs
	case FaultLimitData:
		f.Stream = "upstream"
		f.Attributes = map[string]int64{"bytes": 200 + rng.Int64N(40000)}
	case FaultCut:
		f.Stream = ""
		f.Toxicity = 0
	}
	return f
}
