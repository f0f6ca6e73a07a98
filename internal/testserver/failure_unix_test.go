//go:build unix

package testserver

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeServer installs a shell script as the minio binary in a tools
// directory of its own and returns the file the script may write to.
func fakeServer(t *testing.T, script string) (log string) {
	t.Helper()
	dir := t.TempDir()
	log = filepath.Join(dir, "log")
	body := fmt.Sprintf("#!/bin/sh\nLOG=%q\n%s\n", log, script)
	if err := os.WriteFile(filepath.Join(dir, "minio"), []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(ToolsDirEnv, dir)
	return log
}

func TestStartReportsEarlyExit(t *testing.T) {
	fakeServer(t, `echo "boom: bad drive" >&2; exit 3`)
	_, err := start(minioKind, t.TempDir())
	if err == nil {
		t.Fatal("start succeeded")
	}
	for _, want := range []string{"minio", "exited during start-up", "exit status 3", "boom: bad drive"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	t.Log(err)
}

func TestStartRetriesTakenPort(t *testing.T) {
	log := fakeServer(t, `echo start >> "$LOG"; echo "listen tcp: bind: address already in use" >&2; exit 1`)
	_, err := start(minioKind, t.TempDir())
	if err == nil {
		t.Fatal("start succeeded")
	}
	data, _ := os.ReadFile(log)
	if n := strings.Count(string(data), "start"); n != 3 {
		t.Errorf("server started %d times, want 3", n)
	}
}

func TestStartTimeoutStopsServer(t *testing.T) {
	defer func(d time.Duration) { startTimeout = d }(startTimeout)
	startTimeout = 500 * time.Millisecond
	log := fakeServer(t, `echo $$ > "$LOG"; echo "still warming up"; exec sleep 300`)
	_, err := start(minioKind, t.TempDir())
	if err == nil {
		t.Fatal("start succeeded")
	}
	for _, want := range []string{"not ready after", "still warming up"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	data, _ := os.ReadFile(log)
	pid, perr := strconv.Atoi(strings.TrimSpace(string(data)))
	if perr != nil {
		t.Fatalf("fake server pid: %v", perr)
	}
	if syscall.Kill(pid, 0) == nil {
		t.Errorf("server process %d still running after a failed start", pid)
	}
	t.Log(err)
}

func TestSweepSharedDirs(t *testing.T) {
	// A process id that is no longer in use.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := cmd.Process.Pid
	if !processGone(dead) {
		t.Skip("cannot tell dead processes here")
	}
	deadDir, err := os.MkdirTemp("", fmt.Sprintf("%s%d-minio-", sharedDirPrefix, dead))
	if err != nil {
		t.Fatal(err)
	}
	liveDir, err := os.MkdirTemp("", fmt.Sprintf("%s%d-minio-", sharedDirPrefix, os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(liveDir)
	defer os.RemoveAll(deadDir)

	sweepSharedDirs()
	if _, err := os.Stat(deadDir); !os.IsNotExist(err) {
		t.Errorf("dead binary's %s not removed: %v", deadDir, err)
	}
	if _, err := os.Stat(liveDir); err != nil {
		t.Errorf("own %s removed: %v", liveDir, err)
	}
}

// TestStopKillsAServerThatIgnoresSIGTERM: a server that does not exit
// within its grace period is killed, and the error says so in a way the
// callers tell apart from a crash (errKilledAfterGrace), which they
// report as a warning: under a heavy load a shared server once took
// longer than the grace period, and the package whose tests had all
// passed failed.
func TestStopKillsAServerThatIgnoresSIGTERM(t *testing.T) {
	p, err := startProcess("stubborn", "/bin/sh", []string{"-c", `trap '' TERM; echo started; while :; do sleep 1; done`}, os.Environ(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(p.out.String(), "started") {
		time.Sleep(10 * time.Millisecond)
	}
	err = p.stop(200 * time.Millisecond)
	if !errors.Is(err, errKilledAfterGrace) {
		t.Fatalf("stop: %v, want errKilledAfterGrace", err)
	}
	if !p.exited() {
		t.Error("the process still runs after stop")
	}
	if err := p.stop(time.Second); !errors.Is(err, errKilledAfterGrace) {
		t.Errorf("a second stop: %v, want the first result", err)
	}
}

// TestStopReportsACrash: a server that exited on its own before it was
// stopped is a failure, not a warning.
func TestStopReportsACrash(t *testing.T) {
	p, err := startProcess("crashing", "/bin/sh", []string{"-c", `echo "panic: boom"; exit 2`}, os.Environ(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	<-p.done
	err = p.stop(time.Second)
	if err == nil || errors.Is(err, errKilledAfterGrace) || !strings.Contains(err.Error(), "exited before it was stopped") {
		t.Fatalf("stop: %v, want a crash", err)
	}
}
