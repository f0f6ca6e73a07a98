package chaos

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func planJSON(t *testing.T, p *JobPlan) string {
	t.Helper()
	b, err := json.Marshal(p)
	require.NoError(t, err)
	return string(b)
}

// TestPlanReproducible: a plan depends on the seed and the job's index
// alone, whatever other jobs are drawn and in which order.
func TestPlanReproducible(t *testing.T) {
	targets := []string{"minio", "versitygw"}
	for _, seed := range []uint64{1, 7, 20261205} {
		var first []string
		for i := range 50 {
			first = append(first, planJSON(t, NewPlan(seed, i, targets, nil)))
		}
		for i := 49; i >= 0; i-- {
			assert.Equal(t, first[i], planJSON(t, NewPlan(seed, i, targets, nil)), "seed %d job %d", seed, i)
		}
		assert.NotEqual(t, first[3], planJSON(t, NewPlan(seed+1, 3, targets, nil)), "another seed draws another plan")
	}
}

// TestPlanScenarioMix: with every scenario, most jobs are mixed and each
// special scenario is drawn.
func TestPlanScenarioMix(t *testing.T) {
	counts := map[Scenario]int{}
	for i := range 400 {
		counts[NewPlan(9, i, []string{"minio", "versitygw"}, nil).Scenario]++
	}
	assert.Greater(t, counts[ScenarioMixed], 300, "%v", counts)
	assert.Positive(t, counts[ScenarioCutCompletion], "%v", counts)
	assert.Positive(t, counts[ScenarioLostAnswers], "%v", counts)
}

func TestPlanTargetsAndScenarios(t *testing.T) {
	tests := []struct {
		name      string
		targets   []string
		scenarios []Scenario
		check     func(t *testing.T, i int, p *JobPlan)
	}{
		{"both servers, every scenario", []string{"minio", "versitygw"}, nil, func(t *testing.T, i int, p *JobPlan) {
			if p.Scenario == ScenarioCutCompletion {
				assert.Equal(t, "minio", p.Target)
				return
			}
			assert.Equal(t, []string{"minio", "versitygw"}[i%2], p.Target)
		}},
		{"cut completion only", []string{"minio", "versitygw"}, []Scenario{ScenarioCutCompletion}, func(t *testing.T, i int, p *JobPlan) {
			assert.Equal(t, ScenarioCutCompletion, p.Scenario)
			assert.Equal(t, "minio", p.Target)
			assert.Len(t, p.files(), 28, "4 tasks over 7 days")
			require.Len(t, p.CommitFaults, 1)
			assert.Equal(t, FaultCut, p.CommitFaults[0].Kind)
			assert.Equal(t, TriggerCompleted, p.CommitFaults[0].At.Kind)
		}},
		{"no MinIO: no cut completion", []string{"versitygw"}, nil, func(t *testing.T, i int, p *JobPlan) {
			assert.NotEqual(t, ScenarioCutCompletion, p.Scenario)
			assert.Equal(t, "versitygw", p.Target)
		}},
		{"lost answers only", []string{"minio", "versitygw"}, []Scenario{ScenarioLostAnswers}, func(t *testing.T, i int, p *JobPlan) {
			assert.Equal(t, ScenarioLostAnswers, p.Scenario)
			assert.Equal(t, []string{"minio", "versitygw"}[i%2], p.Target)
			require.Len(t, p.CommitFaults, 1)
			assert.Equal(t, FaultResetPeer, p.CommitFaults[0].Kind)
			assert.Equal(t, "downstream", p.CommitFaults[0].Stream)
		}},
		{"mixed only", []string{"minio"}, []Scenario{ScenarioMixed}, func(t *testing.T, i int, p *JobPlan) {
			assert.Equal(t, ScenarioMixed, p.Scenario)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range 200 {
				p := NewPlan(3, i, tt.targets, tt.scenarios)
				tt.check(t, i, p)
				assert.NoError(t, p.valid(), "job %d: %s", i, p.Describe())
			}
		})
	}
}

// valid checks the plan's numbers against what the datajob accepts.
func (p *JobPlan) valid() error {
	switch {
	case p.Tasks < 1 || p.Days < 1 || p.Events < p.Tasks*p.Days:
		return assert.AnError
	case p.Parallel < 1 || p.Parallel > p.Tasks || p.Attempts < 1:
		return assert.AnError
	case p.FailTask >= p.Tasks || p.CrashTask >= p.Tasks:
		return assert.AnError
	case p.OldObject && p.Conflict == "fail":
		return assert.AnError
	}
	for _, f := range append(append([]Fault{}, p.TaskFaults...), p.CommitFaults...) {
		if f.For <= 0 || f.At.Delay < 0 {
			return assert.AnError
		}
	}
	return nil
}

// TestPlanDrawsEverything: over a few hundred jobs every fault kind,
// trigger, kill and recovery action is drawn.
func TestPlanDrawsEverything(t *testing.T) {
	faults, triggers, kills, actions := map[FaultKind]bool{}, map[TriggerKind]bool{}, map[Victim]bool{}, map[Action]bool{}
	for i := range 300 {
		p := NewPlan(11, i, []string{"minio", "versitygw"}, nil)
		for _, f := range append(append([]Fault{}, p.TaskFaults...), p.CommitFaults...) {
			faults[f.Kind] = true
			triggers[f.At.Kind] = true
		}
		for _, k := range p.Kills {
			kills[k.Victim] = true
			triggers[k.At.Kind] = true
		}
		actions[p.Recovery] = true
	}
	for _, k := range FaultKinds {
		assert.True(t, faults[k], "fault %s", k)
	}
	for _, k := range []TriggerKind{TriggerStart, TriggerWrote, TriggerUploads, TriggerCommitting, TriggerCompleted, TriggerSuccess} {
		assert.True(t, triggers[k], "trigger %s", k)
	}
	assert.True(t, kills[VictimTask] && kills[VictimDriver], "kills %v", kills)
	assert.Len(t, actions, 3, "recovery actions %v", actions)
}

func TestFiles(t *testing.T) {
	tests := []struct {
		tasks, days, events, want int
	}{
		{3, 3, 900, 3}, // task i has only events of day i
		{2, 3, 900, 6},
		{4, 7, 1400, 28},
		{2, 1, 200, 2},
		{4, 2, 200, 4},
	}
	for _, tt := range tests {
		p := &JobPlan{Tasks: tt.tasks, Days: tt.days, Events: tt.events}
		assert.Len(t, p.files(), tt.want, "%d tasks, %d days", tt.tasks, tt.days)
	}
}

// TestJobKeys: a file per task and day, then _SUCCESS and the sidecar
// named for the job.
func TestJobKeys(t *testing.T) {
	p := &JobPlan{Prefix: "chaos/job-3", JobID: "chaos-3", Tasks: 2, Days: 1, Events: 200}
	assert.Equal(t, []string{
		"chaos/job-3/dt=2026-11-01/part-00000-chaos-3.snappy.parquet",
		"chaos/job-3/dt=2026-11-01/part-00001-chaos-3.snappy.parquet",
		"chaos/job-3/_SUCCESS",
		"chaos/job-3/_SUCCESS.chaos-3.files.json",
	}, jobKeys(p))
}

// TestSignals: the triggers fire on the datajob's lines and on the
// committer's records in the staging dir.
func TestSignals(t *testing.T) {
	dir := t.TempDir()
	s := newSignals(dir)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "attempts"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "commit"), 0o755))
	tests := []struct {
		name  string
		do    func()
		trig  Trigger
		phase string
	}{
		{"start", func() { s.phase("tasks") }, Trigger{Kind: TriggerStart}, "tasks"},
		{"wrote", func() { s.line("task 1 attempt 2", "task 1 attempt 2: wrote 10 records in 2 files") }, Trigger{Kind: TriggerWrote, Task: 1, Attempt: 2}, "tasks"},
		{"uploads", func() {
			writeFile(t, filepath.Join(dir, "attempts", "task-00001_0.intents"), `{"key":"a"}`+"\n"+`{"key":"a","uploadId":"u1"}`+"\n"+`{"key":"b","uploadId":"u2"}`+"\n")
		}, Trigger{Kind: TriggerUploads, Task: 1, N: 2}, "tasks"},
		{"committing", func() { s.line("commit", "committing job j") }, Trigger{Kind: TriggerCommitting}, "commit"},
		{"began", func() { writeFile(t, filepath.Join(dir, "commit", "journal"), `{"op":"begin","time":1}`+"\n") }, Trigger{Kind: TriggerCompleted}, "commit"},
		{"completed", func() {
			writeFile(t, filepath.Join(dir, "commit", "journal"), `{"op":"begin","time":1}`+"\n"+`{"op":"completed","time":2,"key":"k"}`+"\n")
		}, Trigger{Kind: TriggerCompleted, N: 1}, "commit"},
		{"success", func() {
			writeFile(t, filepath.Join(dir, "commit", "journal"), `{"op":"begin","time":1}`+"\n"+`{"op":"success","time":3}`+"\n")
		}, Trigger{Kind: TriggerSuccess}, "commit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.False(t, s.fired(tt.trig, tt.phase), "before")
			tt.do()
			assert.True(t, s.fired(tt.trig, tt.phase), "after")
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			assert.True(t, s.await(ctx, tt.trig, tt.phase))
		})
	}
	more := Trigger{Kind: TriggerUploads, Task: 1, N: 3}
	assert.False(t, s.fired(more, "tasks"), "only 2 uploads recorded")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.False(t, s.await(ctx, more, "tasks"), "a cancelled wait")
}

func TestCut(t *testing.T) {
	tests := []struct{ in, want string }{
		{"short", "short"},
		{strings.Repeat("a", 12), "aaaaaaaaaa …"},
		{"aaaaaaaaaéb", "aaaaaaaaa …"}, // not in the middle of é
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, cut(tt.in, 10), tt.in)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

// TestReportTable: the table has a column per server and a total, a row
// per fault kind, kill and recovery, and the violations.
func TestReportTable(t *testing.T) {
	r := &Report{Seed: 5, Servers: map[string]string{"minio": "v1", "versitygw": "v2"}, Toxiproxy: "v2.5.0", Stopped: "count"}
	r.add(&JobResult{Index: 0, Target: "minio", Scenario: ScenarioMixed, Outcome: OutcomeCommitted,
		Faults: map[FaultKind]int{FaultResetPeer: 2}, Kills: map[string]int{KillDriver: 1}, Recoveries: map[string]int{RecoverAbort: 1}}, "make chaos SEED=5 ONLY=0")
	r.add(&JobResult{Index: 1, Target: "versitygw", Scenario: ScenarioMixed, Outcome: OutcomeRolledBack,
		Violations: []string{"something"}}, "make chaos SEED=5 ONLY=1")
	r.add(&JobResult{Index: 2, Target: "minio", Scenario: ScenarioCutCompletion, Outcome: OutcomeRolledBack, CutCompletion: true}, "make chaos SEED=5 ONLY=2")
	table := r.Table()
	for _, want := range []string{
		"| | minio | versitygw | total |",
		"| jobs | 2 | 1 | 3 |",
		"| committed (all records exactly once) | 1 | 0 | 1 |",
		"| rolled back (nothing visible) | 1 | 1 | 2 |",
		"| fault: reset_peer | 2 | 0 | 2 |",
		"| kill: driver (SIGKILL) | 1 | 0 | 1 |",
		"| recovery: s3commit jobs abort | 1 | 0 | 1 |",
		"| commits that reported a completion cut off in flight | 1 | 0 | 1 |",
		"| **jobs with violations** | 0 | 1 | 1 |",
		"| violations (broken checks) | 0 | 1 | 1 |",
		"| cut-completion | 1 | 0 | 1 | 1 |",
		"seed 5",
	} {
		assert.Contains(t, table, want)
	}
	for _, k := range FaultKinds {
		assert.Contains(t, table, "| fault: "+string(k)+" |")
	}
	md := r.Markdown()
	assert.Contains(t, md, "- job 1 (``, versitygw), 1 violations — replay: `make chaos SEED=5 ONLY=1`")
	assert.Contains(t, md, "  - something")
	require.Len(t, r.Violations, 1)
	assert.Equal(t, "make chaos SEED=5 ONLY=1", r.Violations[0].Replay)
	assert.True(t, strings.Contains(r.ViolationsText(), "job 1"))

	var b strings.Builder
	require.NoError(t, r.WriteJSON(&b))
	var back Report
	require.NoError(t, json.Unmarshal([]byte(b.String()), &back))
	assert.Equal(t, 3, back.Total.Jobs)
}
