package chaos

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// processDeadline bounds every process the harness starts. A process
// still running then is killed and reported as hung: with the network
// faults the harness injects, every call ends (a reset, a closed
// connection or an answer), so no process should wait that long.
const processDeadline = 3 * time.Minute

// proc is one process of a job: a datajob step or an s3commit command.
type proc struct {
	name string // e.g. "task 1 attempt 0", "commit", "s3commit jobs abort"
	cmd  *exec.Cmd

	mu     sync.Mutex
	stdout bytes.Buffer
	stderr bytes.Buffer

	done     chan struct{}
	err      error // of Wait; read after done
	killed   bool  // by the harness (SIGKILL); under mu
	hung     bool  // killed at processDeadline; under mu
	started  time.Time
	finished time.Time
}

// result is how a process ended.
type result struct {
	Name     string
	Code     int  // exit code; -1 when killed by a signal
	Signaled bool // ended by a signal (SIGKILL from the harness or itself)
	Killed   bool // the harness killed it
	Hung     bool // the harness killed it at processDeadline
	Stdout   string
	Stderr   string
	Took     time.Duration
}

// OK reports whether the process exited with status 0.
func (r result) OK() bool { return r.Code == 0 && !r.Signaled }

// Output returns stdout and stderr.
func (r result) Output() string { return r.Stdout + r.Stderr }

// String describes how the process ended.
func (r result) String() string {
	switch {
	case r.Hung:
		return fmt.Sprintf("%s: hung, killed after %v", r.Name, processDeadline)
	case r.Killed:
		return fmt.Sprintf("%s: killed (SIGKILL) after %v", r.Name, r.Took.Round(time.Millisecond))
	case r.Signaled:
		return fmt.Sprintf("%s: ended by a signal after %v", r.Name, r.Took.Round(time.Millisecond))
	}
	return fmt.Sprintf("%s: exit %d after %v", r.Name, r.Code, r.Took.Round(time.Millisecond))
}

// lineWriter splits what a process writes into lines and hands each to
// fn, and keeps everything in buf.
type lineWriter struct {
	mu   *sync.Mutex
	buf  *bytes.Buffer
	part []byte
	fn   func(line string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.buf.Write(p)
	w.mu.Unlock()
	w.part = append(w.part, p...)
	for {
		i := bytes.IndexByte(w.part, '\n')
		if i < 0 {
			break
		}
		line := string(w.part[:i])
		w.part = w.part[i+1:]
		if w.fn != nil {
			w.fn(line)
		}
	}
	return len(p), nil
}

// startProc starts bin with args and env. Each line it prints on stdout
// or stderr is passed to onLine (may be nil).
func startProc(name, bin string, args, env []string, onLine func(name, line string)) (*proc, error) {
	p := &proc{name: name, done: make(chan struct{})}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	fn := func(line string) {
		if onLine != nil {
			onLine(name, line)
		}
	}
	cmd.Stdout = &lineWriter{mu: &p.mu, buf: &p.stdout, fn: fn}
	cmd.Stderr = &lineWriter{mu: &p.mu, buf: &p.stderr, fn: fn}
	// Killed with the harness; a process group of its own, so that a
	// SIGKILL of the harness's reaches only it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	p.cmd = cmd
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s (%s): %w", name, bin, err)
	}
	go func() {
		timer := time.AfterFunc(processDeadline, func() {
			p.mu.Lock()
			p.hung = true
			p.mu.Unlock()
			_ = cmd.Process.Kill()
		})
		p.err = cmd.Wait()
		timer.Stop()
		p.finished = time.Now()
		close(p.done)
	}()
	return p, nil
}

// kill sends SIGKILL to the process if it is still running and reports
// whether it did.
func (p *proc) kill() bool {
	if !p.running() {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return false
	}
	p.killed = true
	return true
}

// running reports whether the process has not exited yet.
func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// wait waits for the process to end and returns how it ended. A context
// that ends kills the process first.
func (p *proc) wait(ctx context.Context) result {
	select {
	case <-p.done:
	case <-ctx.Done():
		p.kill()
		<-p.done
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	r := result{Name: p.name, Killed: p.killed, Hung: p.hung, Stdout: p.stdout.String(), Stderr: p.stderr.String(),
		Took: p.finished.Sub(p.started)}
	var ee *exec.ExitError
	switch {
	case p.err == nil:
	case errors.As(p.err, &ee):
		r.Code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.Signaled = true
		}
	default:
		r.Code = -1
	}
	return r
}

// indent prefixes every line of s with prefix, for logs.
func indent(s, prefix string) string {
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		b.WriteString(prefix)
		b.WriteString(sc.Text())
		b.WriteByte('\n')
	}
	return b.String()
}

var _ io.Writer = (*lineWriter)(nil)
