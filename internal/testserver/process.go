package testserver

import (
	"errors"
	"fmt"
	"net"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// stopGrace is how long a server has to exit after SIGTERM before it is
// killed.
const stopGrace = 10 * time.Second

// errKilledAfterGrace is matched by the error of stopping a server that
// did not exit within its grace period after SIGTERM and was killed. It
// says the machine was slow, or the server slow to shut down, not that a
// test failed: the tests are over when it happens, and a killed server
// leaves only its data directory, which is removed. Run and the private
// servers' cleanups report it without failing the tests.
var errKilledAfterGrace = errors.New("did not exit within its grace period after SIGTERM and was killed")

// process is a running server process.
type process struct {
	name string
	cmd  *exec.Cmd
	out  *tailBuffer

	done    chan struct{} // closed once the process has exited
	waitErr error         // the result of cmd.Wait; read only after done is closed

	stopOnce sync.Once
	stopErr  error
}

// startProcess starts bin with args and env (the complete environment).
//
// The process is started, and waited for, by a goroutine locked to its OS
// thread. On Linux the child gets a parent-death signal, which the kernel
// sends when the thread that started the child exits; keeping that thread
// locked, and so alive, until the child has exited means the signal fires only
// when the whole test binary dies.
func startProcess(name, bin string, args, env []string, dir string) (*process, error) {
	p := &process{
		name: name,
		out:  newTailBuffer(64 << 10),
		done: make(chan struct{}),
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Dir = dir
	cmd.Stdout = p.out
	cmd.Stderr = p.out
	cmd.SysProcAttr = sysProcAttr()
	p.cmd = cmd

	started := make(chan error, 1)
	go func() {
		// Never unlocked: the thread ends with this goroutine, after the
		// child has exited.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("testserver: start %s (%s): %w", name, bin, err)
	}
	return p, nil
}

// exited reports whether the process has exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM, kills the process if it has not exited after grace, and
// waits for it. It returns an error if the process had already exited on its
// own (a crash) or had to be killed. Later calls return the first result.
func (p *process) stop(grace time.Duration) error {
	p.stopOnce.Do(func() {
		if p.exited() {
			p.stopErr = fmt.Errorf("testserver: %s exited before it was stopped: %v\n%s",
				p.name, p.waitErr, p.out.section())
			return
		}
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			// No SIGTERM on this platform, or the process is gone.
			_ = p.cmd.Process.Kill()
		}
		select {
		case <-p.done:
		case <-time.After(grace):
			_ = p.cmd.Process.Kill()
			<-p.done
			p.stopErr = fmt.Errorf("testserver: %s %w (%v)\n%s",
				p.name, errKilledAfterGrace, grace, p.out.section())
		}
	})
	return p.stopErr
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// addrInUse reports whether a server's output says it could not listen
// because its address was taken.
func addrInUse(output string) bool {
	return strings.Contains(strings.ToLower(output), "address already in use")
}

// tailBuffer is an io.Writer that keeps the last max bytes written to it.
type tailBuffer struct {
	mu        sync.Mutex
	max       int
	buf       []byte
	truncated bool
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(p)
	if len(p) >= b.max {
		b.buf = append(b.buf[:0], p[len(p)-b.max:]...)
		b.truncated = true
		return n, nil
	}
	if over := len(b.buf) + len(p) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
		b.truncated = true
	}
	b.buf = append(b.buf, p...)
	return n, nil
}

// String returns the kept output.
func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// section returns the kept output framed for an error message.
func (b *tailBuffer) section() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.buf) == 0 {
		return "--- server output: (none) ---"
	}
	head := "--- server output ---\n"
	if b.truncated {
		head = fmt.Sprintf("--- server output (last %d bytes) ---\n", len(b.buf))
	}
	return head + strings.TrimRight(string(b.buf), "\n") + "\n--- end of server output ---"
}
