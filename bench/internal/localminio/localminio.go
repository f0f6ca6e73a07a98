// Package localminio starts the pinned MinIO of the repository's
// .tools/bin (`make tools`) on a loopback port with a data directory of its
// own, for the benchmark commands (s3bench, s3peers), and reads the CPU
// time of a process from /proc.
package localminio

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The root keys and the region of a MinIO started by [Start].
const (
	AccessKey = "s3bench"
	SecretKey = "s3bench-secret-key"
	Region    = "us-east-1"
)

// Trash is where MinIO moves what is deleted, relative to its drive.
// MinIO empties it in the background every MINIO_API_DELETE_CLEANUP_INTERVAL
// (5 minutes by default), pausing between removals, so a run that writes
// and deletes tens of GiB fills the disk faster than MinIO frees it (a
// full run with three repeats stopped on XMinioStorageFull), and the
// removals it makes compete with the measurements for disk and CPU. A
// server of [Start] leaves it to [Reclaim].
var Trash = filepath.Join(".minio.sys", "tmp", ".trash")

// Server is a MinIO started by [Start].
type Server struct {
	// Addr is the host:port it listens on; Endpoint the same as a URL.
	Addr     string
	Endpoint string
	// Version is the first line of `minio --version`.
	Version string
	// Bin is the executable.
	Bin string
	// PID is the server's process ID.
	PID int
	// DataDir is its drive.
	DataDir string
	stop    func()
}

// Stop stops the server and removes its data directory.
func (s *Server) Stop() { s.stop() }

// CPUSeconds returns the CPU time the server has used so far; false where
// there is no /proc.
func (s *Server) CPUSeconds() (float64, bool) { return ProcessCPUSeconds(s.PID) }

// Start starts the pinned MinIO on a free loopback port with its data in
// a temporary directory and waits until it serves S3 requests.
func Start(ctx context.Context) (*Server, error) {
	bin, err := FindTool("minio")
	if err != nil {
		return nil, err
	}
	root, err := os.MkdirTemp("", "s3bench-minio-")
	if err != nil {
		return nil, fmt.Errorf("minio data directory: %w", err)
	}
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	dataDir := filepath.Join(root, "data")
	cmd := exec.Command(bin, "server", "--quiet", "--address", addr,
		"--certs-dir", filepath.Join(root, "certs"), dataDir)
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MINIO_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env,
		"MINIO_ROOT_USER="+AccessKey,
		"MINIO_ROOT_PASSWORD="+SecretKey,
		"MINIO_SITE_REGION="+Region,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"MINIO_API_STALE_UPLOADS_EXPIRY=24h",
		// The benchmark empties the trash between measurements (Reclaim);
		// MinIO's own pass would run during them.
		"MINIO_API_DELETE_CLEANUP_INTERVAL=24h")
	logPath := filepath.Join(root, "minio.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("minio log: %w", err)
	}
	stop, exited, err := StartProcess(cmd, logFile, 10*time.Second, func() { os.RemoveAll(root) })
	if err != nil {
		return nil, fmt.Errorf("start minio (%s): %w", bin, err)
	}
	endpoint := "http://" + addr
	if err := WaitReady(ctx, endpoint+"/minio/health/live", 60*time.Second, exited); err != nil {
		stop()
		return nil, fmt.Errorf("minio: %w (log: %s)", err, logPath)
	}
	return &Server{Addr: addr, Endpoint: endpoint, Version: CommandVersion(bin), Bin: bin, PID: cmd.Process.Pid, DataDir: dataDir, stop: stop}, nil
}

// Reclaim frees the disk space of deleted objects at once by removing
// everything in the trash of the MinIO whose drive is dataDir; it does
// nothing for an empty dataDir (a store the caller cannot see). Entries
// there are objects MinIO has already deleted and only removes, so
// removing them while MinIO runs is safe.
func Reclaim(dataDir string) error {
	if dataDir == "" {
		return nil
	}
	dir := filepath.Join(dataDir, Trash)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("reclaim deleted objects: %w", err)
	}
	var errs []error
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("reclaim deleted objects: %w", err)
	}
	return nil
}

// StartProcess starts cmd with its output going to logFile and returns
// the function that stops it: SIGINT, then SIGKILL after grace, then
// logFile is closed and cleanup, if any, runs. exited is closed when the
// process has exited. When cmd does not start, logFile is closed and
// cleanup runs.
func StartProcess(cmd *exec.Cmd, logFile *os.File, grace time.Duration, cleanup func()) (stop func(), exited <-chan struct{}, err error) {
	done := func() {
		logFile.Close()
		if cleanup != nil {
			cleanup()
		}
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		done()
		return nil, nil, err
	}
	ch := make(chan struct{})
	go func() { _ = cmd.Wait(); close(ch) }()
	return func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-ch:
		case <-time.After(grace):
			_ = cmd.Process.Kill()
			<-ch
		}
		done()
	}, ch, nil
}

// WaitReady polls url until it answers 200 (and, for MinIO, does not say
// it is offline), for at most limit, failing early when exited is closed
// or ctx ends.
func WaitReady(ctx context.Context, url string, limit time.Duration, exited <-chan struct{}) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("server exited before it was ready")
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && resp.Header.Get("X-Minio-Server-Status") != "offline" {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not ready within %v", limit)
}

// ToolsDir is where `make tools` installs the pinned servers: the
// directory named by S3COMMIT_TOOLS_DIR, else .tools/bin in the nearest
// directory above the working directory that has one.
func ToolsDir() string {
	if d := os.Getenv("S3COMMIT_TOOLS_DIR"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return filepath.Join("..", ".tools", "bin")
	}
	for {
		p := filepath.Join(dir, ".tools", "bin")
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return filepath.Join("..", ".tools", "bin")
		}
		dir = parent
	}
}

// FindTool returns the path of a pinned binary.
func FindTool(name string) (string, error) {
	p := filepath.Join(ToolsDir(), name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s not found in %s: run `make tools` in the repository root, or set S3COMMIT_TOOLS_DIR", name, ToolsDir())
	}
	return filepath.Abs(p)
}

// FreeAddr returns a free loopback address.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// CommandVersion returns the first line of `bin --version`, "" when it
// fails.
func CommandVersion(bin string) string {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}

// clockTicksPerSecond is the unit of the CPU times in /proc/PID/stat
// (USER_HZ, 100 on every Linux architecture Go supports).
const clockTicksPerSecond = 100

// ProcessCPUSeconds returns the user and system CPU time of a process
// from /proc/PID/stat; false where there is no /proc (macOS) or the
// process is gone.
func ProcessCPUSeconds(pid int) (float64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	return parseProcStatCPU(string(b))
}

// parseProcStatCPU reads utime and stime (fields 14 and 15) of a
// /proc/PID/stat line. The command name (field 2) is in parentheses and may
// hold spaces, so fields are counted after its closing parenthesis.
func parseProcStatCPU(stat string) (float64, bool) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return float64(utime+stime) / clockTicksPerSecond, true
}
