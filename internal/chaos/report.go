package chaos

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Counts are the totals of a set of jobs.
type Counts struct {
	Jobs       int               `json:"jobs"`
	Committed  int               `json:"committed"`
	RolledBack int               `json:"rolled_back"`
	Unknown    int               `json:"unknown,omitempty"`
	Faults     map[FaultKind]int `json:"faults"`
	Kills      map[string]int    `json:"kills"`
	Recoveries map[string]int    `json:"recoveries"`
	// CutCompletions counts the jobs whose commit reported an upload
	// whose completion was cut off in flight (MinIO dropped its parts).
	CutCompletions int `json:"cut_completions"`
	// Phantoms counts MinIO phantom uploads: listed, but unknown to
	// ListParts and AbortMultipartUpload (see checkUploads).
	Phantoms int `json:"phantoms"`
	// ToxiproxyRestarts counts the restarts of a toxiproxy whose API
	// hung (see Toxiproxy); each cut every connection through it.
	ToxiproxyRestarts int `json:"toxiproxy_restarts"`
	// Violations counts the broken checks, FailedJobs the jobs with any.
	Violations int `json:"violations"`
	FailedJobs int `json:"failed_jobs"`
}

func newCounts() *Counts {
	return &Counts{Faults: map[FaultKind]int{}, Kills: map[string]int{}, Recoveries: map[string]int{}}
}

func (c *Counts) add(r *JobResult) {
	c.Jobs++
	switch r.Outcome {
	case OutcomeCommitted:
		c.Committed++
	case OutcomeRolledBack:
		c.RolledBack++
	default:
		c.Unknown++
	}
	for k, n := range r.Faults {
		c.Faults[k] += n
	}
	for k, n := range r.Kills {
		c.Kills[k] += n
	}
	for k, n := range r.Recoveries {
		c.Recoveries[k] += n
	}
	if r.CutCompletion {
		c.CutCompletions++
	}
	c.Phantoms += r.Phantoms
	c.ToxiproxyRestarts += r.ToxiproxyRestarts
	c.Violations += len(r.Violations)
	if len(r.Violations) > 0 {
		c.FailedJobs++
	}
}

// Violation is one broken invariant, with what replays it.
type Violation struct {
	Job    int    `json:"job"`
	JobID  string `json:"job_id"`
	Target string `json:"target"`
	What   string `json:"what"`
	Replay string `json:"replay"`
	Log    string `json:"log,omitempty"`
}

// Machine describes where a run ran.
type Machine struct {
	CPU    string `json:"cpu"`
	Cores  int    `json:"cores"`
	OS     string `json:"os"`
	Kernel string `json:"kernel"`
	Go     string `json:"go"`
}

// ScenarioCounts are the totals of one scenario.
type ScenarioCounts struct {
	Jobs           int `json:"jobs"`
	Committed      int `json:"committed"`
	RolledBack     int `json:"rolled_back"`
	CutCompletions int `json:"cut_completions"`
}

// Report is the result of a run.
type Report struct {
	Seed     uint64        `json:"seed"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`
	Command  string        `json:"command"`
	// Source is the commit the binaries were built from ("-dirty": with
	// changes not committed).
	Source    string            `json:"source"`
	Scenarios []Scenario        `json:"scenarios"`
	Servers   map[string]string `json:"servers"` // name → version
	Toxiproxy string            `json:"toxiproxy"`
	Machine   Machine           `json:"machine"`
	// Stopped says why the run stopped starting jobs: "count" or "time".
	Stopped string `json:"stopped"`

	Total      *Counts                      `json:"total"`
	ByTarget   map[string]*Counts           `json:"by_target"`
	ByScenario map[Scenario]*ScenarioCounts `json:"by_scenario"`
	Violations []Violation                  `json:"violations"`
	Jobs       []*JobResult                 `json:"jobs"`
}

// add counts a job's result.
func (r *Report) add(res *JobResult, replay string) {
	if r.Total == nil {
		r.Total = newCounts()
	}
	if r.ByTarget == nil {
		r.ByTarget = map[string]*Counts{}
	}
	if r.ByScenario == nil {
		r.ByScenario = map[Scenario]*ScenarioCounts{}
	}
	r.Total.add(res)
	if r.ByTarget[res.Target] == nil {
		r.ByTarget[res.Target] = newCounts()
	}
	r.ByTarget[res.Target].add(res)
	sc := r.ByScenario[res.Scenario]
	if sc == nil {
		sc = &ScenarioCounts{}
		r.ByScenario[res.Scenario] = sc
	}
	sc.Jobs++
	switch res.Outcome {
	case OutcomeCommitted:
		sc.Committed++
	case OutcomeRolledBack:
		sc.RolledBack++
	}
	if res.CutCompletion {
		sc.CutCompletions++
	}
	for _, v := range res.Violations {
		r.Violations = append(r.Violations, Violation{Job: res.Index, JobID: res.JobID, Target: res.Target, What: v, Replay: replay, Log: res.Log})
	}
	r.Jobs = append(r.Jobs, res)
}

// targets returns the names of the targets, in a stable order.
func (r *Report) targets() []string { return slices.Sorted(maps.Keys(r.ByTarget)) }

// Table returns the report as a Markdown table with a header of the
// run's settings: jobs, outcomes, faults injected by kind, kills,
// recoveries by kind, cut completions and violations, per server and in
// total.
func (r *Report) Table() string {
	var b strings.Builder
	total := r.Total
	if total == nil {
		total = newCounts()
	}
	names := r.targets()
	var servers []string
	for _, n := range slices.Sorted(maps.Keys(r.Servers)) {
		servers = append(servers, n+" "+r.Servers[n])
	}
	fmt.Fprintf(&b, "seed %d · servers: %s · toxiproxy %s · %d jobs in %s (stopped by %s)\n\n",
		r.Seed, strings.Join(servers, ", "), r.Toxiproxy, total.Jobs, r.Duration.Round(time.Second), r.Stopped)
	fmt.Fprintf(&b, "| | %s | total |\n|---|", strings.Join(names, " | "))
	for range names {
		b.WriteString("---:|")
	}
	b.WriteString("---:|\n")
	row := func(label string, f func(c *Counts) int) {
		fmt.Fprintf(&b, "| %s |", label)
		for _, n := range names {
			fmt.Fprintf(&b, " %d |", f(r.ByTarget[n]))
		}
		fmt.Fprintf(&b, " %d |\n", f(total))
	}
	row("jobs", func(c *Counts) int { return c.Jobs })
	row("committed (all records exactly once)", func(c *Counts) int { return c.Committed })
	row("rolled back (nothing visible)", func(c *Counts) int { return c.RolledBack })
	if total.Unknown > 0 {
		row("neither (see violations)", func(c *Counts) int { return c.Unknown })
	}
	for _, k := range FaultKinds {
		row("fault: "+string(k), func(c *Counts) int { return c.Faults[k] })
	}
	row("toxiproxy restarts (its API hung; every connection cut)", func(c *Counts) int { return c.ToxiproxyRestarts })
	for _, k := range KillKinds {
		row("kill: "+k, func(c *Counts) int { return c.Kills[k] })
	}
	for _, k := range RecoveryKinds {
		row("recovery: "+k, func(c *Counts) int { return c.Recoveries[k] })
	}
	row("commits that reported a completion cut off in flight", func(c *Counts) int { return c.CutCompletions })
	row("MinIO phantom uploads (listed, unknown to ListParts)", func(c *Counts) int { return c.Phantoms })
	row("**jobs with violations**", func(c *Counts) int { return c.FailedJobs })
	row("violations (broken checks)", func(c *Counts) int { return c.Violations })
	if len(r.ByScenario) > 1 || r.ByScenario[ScenarioCutCompletion] != nil {
		b.WriteString("\n| scenario | jobs | committed | rolled back | cut completion reported |\n|---|---:|---:|---:|---:|\n")
		for _, s := range slices.Sorted(maps.Keys(r.ByScenario)) {
			c := r.ByScenario[s]
			fmt.Fprintf(&b, "| %s | %d | %d | %d | %d |\n", s, c.Jobs, c.Committed, c.RolledBack, c.CutCompletions)
		}
	}
	return b.String()
}

// ViolationsText lists the violations, each with what replays its job.
func (r *Report) ViolationsText() string {
	if len(r.Violations) == 0 {
		return "no violations\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d violations:\n", len(r.Violations))
	for _, v := range r.Violations {
		fmt.Fprintf(&b, "- job %d (%s, %s): %s\n  replay: %s\n", v.Job, v.JobID, v.Target, v.What, v.Replay)
		if v.Log != "" {
			fmt.Fprintf(&b, "  log: %s\n", v.Log)
		}
	}
	return b.String()
}

// Markdown returns the report as a Markdown document.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Chaos run, seed %d\n\n", r.Seed)
	fmt.Fprintf(&b, "Started %s, ran %s. Replay: `%s`\n\n", r.Started.UTC().Format(time.RFC3339), r.Duration.Round(time.Second), r.Command)
	fmt.Fprintf(&b, "Machine: %s, %d cores, %s %s, %s. Source: %s.\n\n", r.Machine.CPU, r.Machine.Cores, r.Machine.OS, r.Machine.Kernel, r.Machine.Go, r.Source)
	b.WriteString(r.Table())
	b.WriteString("\n## Violations\n\n")
	if len(r.Violations) == 0 {
		b.WriteString("None.\n")
		return b.String()
	}
	// One item per job: its first violations, cut short; report.json
	// and the job's log have them all.
	var jobs []int
	byJob := map[int][]Violation{}
	for _, v := range r.Violations {
		if byJob[v.Job] == nil {
			jobs = append(jobs, v.Job)
		}
		byJob[v.Job] = append(byJob[v.Job], v)
	}
	for _, j := range jobs {
		vs := byJob[j]
		v := vs[0]
		fmt.Fprintf(&b, "- job %d (`%s`, %s), %d violations — replay: `%s`", v.Job, v.JobID, v.Target, len(vs), v.Replay)
		if v.Log != "" {
			fmt.Fprintf(&b, ", log: `%s`", v.Log)
		}
		b.WriteString("\n")
		for i, v := range vs {
			if i == maxListed {
				fmt.Fprintf(&b, "  - … %d more\n", len(vs)-maxListed)
				break
			}
			fmt.Fprintf(&b, "  - %s\n", cut(v.What, 300))
		}
	}
	return b.String()
}

// maxListed is how many violations of a job Markdown lists.
const maxListed = 3

// cut shortens s to about n bytes, on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + " …"
}

// WriteFiles writes report.md and report.json into dir. The paths of
// logs under dir are made relative to it.
func (r *Report) WriteFiles(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("results dir: %w", err)
	}
	relative := func(p string) string {
		if rel, err := filepath.Rel(dir, p); err == nil && filepath.IsAbs(p) && !strings.HasPrefix(rel, "..") {
			return rel
		}
		return p
	}
	for i := range r.Violations {
		r.Violations[i].Log = relative(r.Violations[i].Log)
	}
	for _, j := range r.Jobs {
		j.Log = relative(j.Log)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.md"), []byte(r.Markdown()), 0o644); err != nil {
		return fmt.Errorf("write report.md: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, "report.json"))
	if err != nil {
		return fmt.Errorf("write report.json: %w", err)
	}
	if err := r.WriteJSON(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("encode the report: %w", err)
	}
	return nil
}
