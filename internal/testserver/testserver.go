package testserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Region is the region every server is configured with.
const Region = "us-east-1"

// startTimeout bounds how long a server may take to answer after it was
// started. A variable for the package's own tests.
var startTimeout = 60 * time.Second

// Server is a running S3-compatible server. Its fields describe how to reach
// it; do not change them.
type Server struct {
	// Name is the server's kind: "minio" or "versitygw".
	Name string
	// Endpoint is the server's base URL, http://127.0.0.1:PORT. Use
	// path-style addressing.
	Endpoint string
	// Region is the server's region, "us-east-1".
	Region string
	// AccessKeyID and SecretAccessKey are the root credentials, drawn at
	// random for each server.
	AccessKeyID     string
	SecretAccessKey string

	host   string
	proc   *process
	client *minio.Client
}

// Host returns the server's address as host:port, the form minio-go's
// minio.New takes.
func (s *Server) Host() string { return s.host }

// Client returns a minio-go client for the server with its root credentials,
// path-style addressing and the server's region. It is meant for setting up
// and checking tests, not as the store under test.
func (s *Server) Client() *minio.Client { return s.client }

// CreateBucket creates a new, uniquely named bucket and returns its name. The
// name starts with the test's name, lower-cased and cut short. The bucket is
// not removed after the test: it goes with the server's data directory.
func (s *Server) CreateBucket(t testing.TB) string {
	t.Helper()
	name := bucketName(t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.client.MakeBucket(ctx, name, minio.MakeBucketOptions{Region: s.Region}); err != nil {
		t.Fatalf("testserver: create bucket %q on %s at %s: %v", name, s.Name, s.Endpoint, err)
	}
	return name
}

// MinIO returns the MinIO server shared by the tests of this test binary,
// starting it on first use. The package's TestMain must call [Run].
func MinIO(t testing.TB) *Server {
	t.Helper()
	return sharedMinIO.get(t)
}

// VersityGW returns the versitygw server (posix backend) shared by the tests
// of this test binary, starting it on first use. The package's TestMain must
// call [Run].
func VersityGW(t testing.TB) *Server {
	t.Helper()
	return sharedVersityGW.get(t)
}

// NewMinIO starts a MinIO server for this test alone, with an empty data
// directory in t.TempDir, and stops it when the test and its subtests end.
func NewMinIO(t testing.TB) *Server {
	t.Helper()
	return startPrivate(t, minioKind)
}

// NewVersityGW starts a versitygw server (posix backend) for this test alone,
// with an empty data directory in t.TempDir, and stops it when the test and
// its subtests end.
func NewVersityGW(t testing.TB) *Server {
	t.Helper()
	return startPrivate(t, versityGWKind)
}

// Run runs the tests and then stops the shared servers that [MinIO] and
// [VersityGW] started, and removes their data. Call it from TestMain:
//
//	func TestMain(m *testing.M) { testserver.Run(m) }
//
// Run does not return: it exits with the tests' exit code, or with 1 if the
// tests passed but a shared server had crashed or could not be stopped.
func Run(m *testing.M) {
	runCalled.Store(true)
	sweepSharedDirs()
	code := m.Run()
	if err := stopShared(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

var (
	runCalled       atomic.Bool
	sharedMinIO     = &sharedServer{kind: minioKind}
	sharedVersityGW = &sharedServer{kind: versityGWKind}
)

// sharedServer is a server started at most once per test binary.
type sharedServer struct {
	kind *kind

	once    sync.Once
	srv     *Server
	rootDir string
	err     error
}

func (ss *sharedServer) get(t testing.TB) *Server {
	t.Helper()
	if !runCalled.Load() {
		t.Fatalf("testserver: the %s server is shared by the tests of a package and stopped by testserver.Run; add\n\n"+
			"\tfunc TestMain(m *testing.M) { testserver.Run(m) }\n\n"+
			"to this package's tests, or use testserver.%s(t) for a server of this test's own",
			ss.kind.name, ss.kind.privateFunc)
	}
	ss.once.Do(func() {
		// Not t.TempDir: the server outlives the test that starts it.
		ss.rootDir, ss.err = os.MkdirTemp("", fmt.Sprintf("%s%d-%s-", sharedDirPrefix, os.Getpid(), ss.kind.name))
		if ss.err != nil {
			ss.err = fmt.Errorf("testserver: data directory for %s: %w", ss.kind.name, ss.err)
			return
		}
		ss.srv, ss.err = start(ss.kind, ss.rootDir)
		if ss.err != nil {
			_ = os.RemoveAll(ss.rootDir)
		}
	})
	if ss.err != nil {
		t.Fatalf("%v", ss.err)
	}
	if ss.srv.proc.exited() {
		t.Fatalf("testserver: the shared %s server at %s has exited: %v\n%s",
			ss.kind.name, ss.srv.Endpoint, ss.srv.proc.waitErr, ss.srv.proc.out.section())
	}
	return ss.srv
}

// stopShared stops the shared servers that were started and removes their
// data directories.
func stopShared() error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, ss := range []*sharedServer{sharedMinIO, sharedVersityGW} {
		wg.Go(func() {
			// Marks the Once as done if it never ran, so no server starts
			// after this.
			ss.once.Do(func() { ss.err = errors.New("testserver: tests have ended") })
			if ss.srv == nil {
				return
			}
			err := ss.srv.proc.stop(stopGrace)
			if errors.Is(err, errKilledAfterGrace) {
				fmt.Fprintf(os.Stderr, "warning: %v\n", err)
				err = nil
			}
			if rmErr := os.RemoveAll(ss.rootDir); rmErr != nil && err == nil {
				err = fmt.Errorf("testserver: remove %s data: %w", ss.kind.name, rmErr)
			}
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// sharedDirPrefix starts the names of the shared servers' data directories
// in os.TempDir; the test binary's process id follows.
const sharedDirPrefix = "s3commit-testserver-"

// sweepSharedDirs removes the data directories that shared servers of test
// binaries no longer running left behind: a binary that crashes, or is
// killed, cannot remove them itself. Its servers die with it (see
// sysProcAttr).
func sweepSharedDirs() {
	tmp := os.TempDir()
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), sharedDirPrefix)
		if !ok || !e.IsDir() {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid <= 0 || pid == os.Getpid() || !processGone(pid) {
			continue
		}
		_ = os.RemoveAll(filepath.Join(tmp, e.Name()))
	}
}

func startPrivate(t testing.TB, k *kind) *Server {
	t.Helper()
	root := t.TempDir() // registered first, so removed after the server stops
	s, err := start(k, root)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		switch err := s.proc.stop(stopGrace); {
		case errors.Is(err, errKilledAfterGrace):
			t.Logf("warning: %v", err)
		case err != nil:
			t.Errorf("%v", err)
		}
	})
	return s
}

// kind describes how to run one server program.
type kind struct {
	name        string // binary name and Server.Name
	installPath string // for `go install`
	privateFunc string // the New… function, for messages

	// args returns the command line for a server listening on addr with its
	// files under root.
	args func(addr, root string) []string
	// env returns the variables that configure s, added to a cleaned copy
	// of the test binary's environment.
	env func(s *Server) []string
	// healthPath is the unauthenticated health-check path.
	healthPath string
	// healthy reports whether a health-check response says the server is
	// ready to serve requests.
	healthy func(*http.Response) bool
}

var minioKind = &kind{
	name:        "minio",
	installPath: MinIOInstallPath,
	privateFunc: "NewMinIO",
	args: func(addr, root string) []string {
		return []string{
			"server", "--quiet",
			"--address", addr,
			// Keep MinIO out of $HOME/.minio.
			"--certs-dir", filepath.Join(root, "certs"),
			filepath.Join(root, "data"),
		}
	},
	env: func(s *Server) []string {
		return []string{
			"MINIO_ROOT_USER=" + s.AccessKeyID,
			"MINIO_ROOT_PASSWORD=" + s.SecretAccessKey,
			"MINIO_SITE_REGION=" + s.Region,
			"MINIO_BROWSER=off", // no console listener
			"MINIO_UPDATE=off",
			// Test mode: small buffer pool, no root-drive checks.
			"MINIO_CI_CD=on",
			// MinIO reaps multipart uploads older than this; pinned at
			// MinIO's default so tests see the production behaviour.
			"MINIO_API_STALE_UPLOADS_EXPIRY=24h",
		}
	},
	healthPath: "/minio/health/live",
	healthy: func(r *http.Response) bool {
		// MinIO answers before its object layer is up, flagging that with
		// this header; S3 calls fail until it is gone.
		return r.StatusCode == http.StatusOK && r.Header.Get("X-Minio-Server-Status") != "offline"
	},
}

var versityGWKind = &kind{
	name:        "versitygw",
	installPath: VersityGWInstallPath,
	privateFunc: "NewVersityGW",
	args: func(addr, root string) []string {
		return []string{
			"--port", addr,
			"--region", Region,
			"--health", "/health",
			"--quiet", // no request log
			"posix", filepath.Join(root, "data"),
		}
	},
	env: func(s *Server) []string {
		// Credentials in the environment keep them out of ps.
		return []string{
			"ROOT_ACCESS_KEY_ID=" + s.AccessKeyID,
			"ROOT_SECRET_ACCESS_KEY=" + s.SecretAccessKey,
		}
	},
	healthPath: "/health",
	healthy:    func(r *http.Response) bool { return r.StatusCode == http.StatusOK },
}

// serverEnv returns the test binary's environment without the variables that
// configure MinIO or versitygw, so settings from the developer's shell do not
// leak into the servers.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "MINIO_"),
			strings.HasPrefix(name, "VGW_"),
			strings.HasPrefix(name, "ROOT_ACCESS_KEY"),
			strings.HasPrefix(name, "ROOT_SECRET"),
			name == "LOGFILE", name == "WEBHOOK": // versitygw logging
			continue
		}
		env = append(env, kv)
	}
	return env
}

// errPortTaken marks a start that failed because another process took the
// free port first.
var errPortTaken = errors.New("port taken")

// start starts a server of kind k with its files under root and waits until
// it serves authenticated requests.
func start(k *kind, root string) (*Server, error) {
	bin, err := findBinary(k.name, k.installPath)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(root, "data"), 0o755); err != nil {
		return nil, fmt.Errorf("testserver: data directory for %s: %w", k.name, err)
	}
	accessKey, secretKey := rand.Text()[:20], (rand.Text() + rand.Text())[:40]
	const attempts = 3
	for attempt := 1; ; attempt++ {
		s, err := startAt(k, bin, root, accessKey, secretKey)
		if err == nil {
			return s, nil
		}
		if attempt == attempts || !errors.Is(err, errPortTaken) {
			return nil, err
		}
	}
}

func startAt(k *kind, bin, root, accessKey, secretKey string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("testserver: find a free port for %s: %w", k.name, err)
	}
	host := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	s := &Server{
		Name:            k.name,
		Endpoint:        "http://" + host,
		Region:          Region,
		AccessKeyID:     accessKey,
		SecretAccessKey: secretKey,
		host:            host,
	}
	s.client, err = minio.New(host, &minio.Options{
		Creds:        credentials.NewStaticV4(accessKey, secretKey, ""),
		Region:       Region,
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		return nil, fmt.Errorf("testserver: minio-go client for %s: %w", k.name, err)
	}
	env := append(serverEnv(), k.env(s)...)
	s.proc, err = startProcess(k.name, bin, k.args(host, root), env, root)
	if err != nil {
		return nil, err
	}
	if err := waitReady(k, s); err != nil {
		_ = s.proc.stop(time.Second)
		return nil, err
	}
	return s, nil
}

// waitReady polls the server until its health check passes and an
// authenticated ListBuckets succeeds. The authenticated call also proves that
// the answer comes from this server and not from another process that took
// the same port.
func waitReady(k *kind, s *Server) error {
	httpClient := &http.Client{Timeout: 2 * time.Second}
	defer httpClient.CloseIdleConnections()
	deadline := time.Now().Add(startTimeout)
	var last error
	for {
		if s.proc.exited() {
			out := s.proc.out.String()
			err := fmt.Errorf("testserver: %s (%s) exited during start-up: %v\n%s",
				k.name, s.Endpoint, s.proc.waitErr, s.proc.out.section())
			if addrInUse(out) {
				err = fmt.Errorf("%w: %w", errPortTaken, err)
			}
			return err
		}
		last = probe(httpClient, k, s)
		if last == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("testserver: %s at %s not ready after %v: %v\n%s",
				k.name, s.Endpoint, startTimeout, last, s.proc.out.section())
		}
		select {
		case <-s.proc.done:
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func probe(httpClient *http.Client, k *kind, s *Server) error {
	resp, err := httpClient.Get(s.Endpoint + k.healthPath)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if !k.healthy(resp) {
		return fmt.Errorf("GET %s: %s, not ready", k.healthPath, resp.Status)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := s.client.ListBuckets(ctx); err != nil {
		return fmt.Errorf("ListBuckets: %w", err)
	}
	return nil
}

var bucketSeq atomic.Uint64

// bucketName derives a valid, unique bucket name from a test name.
func bucketName(testName string) string {
	var b strings.Builder
	dash := true // no leading dash
	for _, r := range strings.ToLower(testName) {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 36 {
			break
		}
	}
	prefix := strings.TrimRight(b.String(), "-")
	if prefix == "" {
		prefix = "bucket"
	}
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	return fmt.Sprintf("%s-%d-%s", prefix, bucketSeq.Add(1), hex.EncodeToString(suffix[:]))
}
