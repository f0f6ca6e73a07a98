package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s3commit/s3commit/internal/testserver"
)

// TestMain starts the shared test servers on demand and stops them at the
// end (see testserver.Run). It is the only TestMain of this package.
func TestMain(m *testing.M) { testserver.Run(m) }

// binary is the s3commit executable built once per test run.
var binary struct {
	once sync.Once
	path string
	err  error
}

// s3commitBinary builds the command with "go build" into a temporary
// directory on first use and returns its path.
func s3commitBinary(t testing.TB) string {
	t.Helper()
	binary.once.Do(func() {
		dir, err := os.MkdirTemp("", "s3commit-cli-test-")
		if err != nil {
			binary.err = err
			return
		}
		exe := filepath.Join(dir, "s3commit")
		cmd := exec.Command("go", "build", "-o", exe, ".")
		out, err := cmd.CombinedOutput()
		if err != nil {
			binary.err = fmt.Errorf("go build: %w\n%s", err, out)
			return
		}
		binary.path = exe
	})
	if binary.err != nil {
		t.Fatalf("build the s3commit binary: %v", binary.err)
	}
	return binary.path
}

// cleanEnv returns an environment that carries nothing of the developer's
// AWS configuration: PATH and HOME are kept (HOME pointing at a temporary
// directory), every AWS_* and S3COMMIT_* variable is dropped, the shared
// config and credentials files are /dev/null and the EC2 metadata service
// is off.
func cleanEnv(t testing.TB) []string {
	t.Helper()
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_MAX_ATTEMPTS=1",
	}
	if tmp := os.Getenv("TMPDIR"); tmp != "" {
		env = append(env, "TMPDIR="+tmp)
	}
	return env
}

// serverEnv returns the variables that point the binary at srv with its
// root credentials, the way an operator would configure it.
func serverEnv(srv *testserver.Server) []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + srv.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + srv.SecretAccessKey,
		"AWS_REGION=" + srv.Region,
		"AWS_ENDPOINT_URL=" + srv.Endpoint,
		envPathStyle + "=true",
	}
}

// cliResult is what one run of the binary gave.
type cliResult struct {
	Stdout, Stderr string
	Code           int
}

// cliRun describes one run of the binary.
type cliRun struct {
	// Args are the command-line arguments.
	Args []string
	// Env is added to the clean environment (see cleanEnv).
	Env []string
	// Stdin is the standard input; empty means none.
	Stdin string
	// Dir is the working directory; empty means the test's package dir.
	Dir string
}

// runCLI runs the binary as described and returns its output and exit
// code. It fails the test if the binary cannot be started or runs for more
// than two minutes.
func runCLI(t testing.TB, r cliRun) cliResult {
	t.Helper()
	cmd := exec.Command(s3commitBinary(t), r.Args...)
	cmd.Env = append(cleanEnv(t), r.Env...)
	cmd.Dir = r.Dir
	cmd.Stdin = strings.NewReader(r.Stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start s3commit: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("s3commit %s: still running after 2 minutes\nstdout:\n%s\nstderr:\n%s", strings.Join(r.Args, " "), stdout.String(), stderr.String())
	}
	res := cliResult{Stdout: stdout.String(), Stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		res.Code = exitErr.ExitCode()
	default:
		t.Fatalf("run s3commit: %v", err)
	}
	t.Logf("s3commit %s → exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.Args, " "), res.Code, res.Stdout, res.Stderr)
	return res
}

// runS3commit runs the binary with args against srv (configured through
// the AWS_* variables and S3COMMIT_PATH_STYLE; no store settings when srv
// is nil) and returns stdout, stderr and the exit code.
func runS3commit(t testing.TB, srv *testserver.Server, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var env []string
	if srv != nil {
		env = serverEnv(srv)
	}
	res := runCLI(t, cliRun{Args: args, Env: env})
	return res.Stdout, res.Stderr, res.Code
}
