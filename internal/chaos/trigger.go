package chaos

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// pollInterval is how often a trigger looks at the staging dir.
const pollInterval = time.Millisecond

// signals records the events of a job's processes that triggers wait for:
// the lines they print. Records the committer writes are read from the
// staging dir when a trigger looks.
type signals struct {
	jobDir string // <staging>/<jobID>

	mu         sync.Mutex
	started    map[string]time.Time // phase → when it started
	wrote      map[[2]int]bool      // {task, attempt}
	committing bool
}

func newSignals(jobDir string) *signals {
	return &signals{jobDir: jobDir, started: map[string]time.Time{}, wrote: map[[2]int]bool{}}
}

// line records what a line of a process means for the triggers. The
// datajob prints "task I attempt A: wrote …" before its task commit and
// "committing job …" before its job commit.
func (s *signals) line(_ string, line string) {
	var task, attempt int
	if n, _ := fmt.Sscanf(line, "task %d attempt %d: wrote", &task, &attempt); n == 2 && strings.Contains(line, ": wrote ") {
		s.mu.Lock()
		s.wrote[[2]int{task, attempt}] = true
		s.mu.Unlock()
	}
	if strings.HasPrefix(line, "committing job ") {
		s.mu.Lock()
		s.committing = true
		s.mu.Unlock()
	}
}

// phase marks the start of a phase ("tasks", "commit").
func (s *signals) phase(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.started[name]; !ok {
		s.started[name] = time.Now()
	}
}

// fired reports whether the event of t (without its delay) has happened
// in phase.
func (s *signals) fired(t Trigger, phase string) bool {
	s.mu.Lock()
	_, started := s.started[phase]
	wrote := s.wrote[[2]int{t.Task, t.Attempt}]
	committing := s.committing
	s.mu.Unlock()
	switch t.Kind {
	case TriggerStart:
		return started
	case TriggerWrote:
		return wrote
	case TriggerCommitting:
		return committing
	case TriggerUploads:
		name := fmt.Sprintf("%s_%d.intents", taskID(t.Task), t.Attempt)
		return countIn(filepath.Join(s.jobDir, "attempts", name), `"uploadId"`) >= t.N
	case TriggerCompleted:
		if t.N == 0 {
			return countIn(filepath.Join(s.jobDir, "commit", "journal"), `"op":"begin"`) > 0
		}
		return countIn(filepath.Join(s.jobDir, "commit", "journal"), `"op":"completed"`) >= t.N
	case TriggerSuccess:
		return countIn(filepath.Join(s.jobDir, "commit", "journal"), `"op":"success"`) > 0
	}
	return false
}

// countIn counts the occurrences of sub in the file at path; 0 when it
// cannot be read.
func countIn(path, sub string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return bytes.Count(b, []byte(sub))
}

// await waits for the event of t in phase, then for its delay. It returns
// false when ctx ends first.
func (s *signals) await(ctx context.Context, t Trigger, phase string) bool {
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for !s.fired(t, phase) {
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
	if t.Delay <= 0 {
		return ctx.Err() == nil
	}
	select {
	case <-ctx.Done():
		return false
	case <-time.After(t.Delay):
		return true
	}
}

// taskID is the ID the datajob gives task index.
func taskID(index int) string { return fmt.Sprintf("task-%05d", index) }
