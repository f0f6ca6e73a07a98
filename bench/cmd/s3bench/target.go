package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// target is the store a run writes to.
type target struct {
	name     string // "local-minio" or the endpoint URL
	endpoint string
	bucket   string
	region   string
	client   *s3.Client
	counter  *requestCounter
	version  string // server version when known
	// proxyVersion is the latency proxy's version, when one runs.
	proxyVersion string
	// serverCPU returns the CPU seconds the local server has used so far;
	// nil for an endpoint, whose server the harness cannot see.
	serverCPU func() (float64, bool)
	// dataDir is the local MinIO's drive; empty for an endpoint.
	dataDir string
	stop    func()
}

// maxConnections sizes the client's connection pool above every
// concurrency the benchmark uses.
const maxConnections = 512

// localCredentials are the root keys of the local MinIO.
const (
	localAccessKey = "s3bench"
	localSecretKey = "s3bench-secret-key"
	localRegion    = "us-east-1"
)

// openTarget starts the local MinIO (and the latency proxy) or connects to
// the endpoint of the flags.
func openTarget(ctx context.Context, c *config) (*target, error) {
	t := &target{stop: func() {}}
	var creds aws.CredentialsProvider
	if c.endpointURL == "" {
		srv, err := startMinIO(ctx)
		if err != nil {
			return nil, err
		}
		t.name, t.endpoint, t.region, t.version, t.stop = "local-minio", srv.endpoint, localRegion, srv.version, srv.stop
		pid := srv.pid
		t.serverCPU = func() (float64, bool) { return processCPUSeconds(pid) }
		t.dataDir = srv.dataDir
		creds = credentials.NewStaticCredentialsProvider(localAccessKey, localSecretKey, "")
		if c.latency != "" {
			proxy, err := startLatencyProxy(ctx, srv.addr, c.latency, c.bandwidth)
			if err != nil {
				t.stop()
				return nil, err
			}
			stopServer := t.stop
			t.endpoint = proxy.endpoint
			t.proxyVersion = proxy.version
			t.stop = func() { proxy.stop(); stopServer() }
		}
	} else {
		t.name, t.endpoint, t.bucket, t.region = c.endpointURL, c.endpointURL, c.bucket, c.region
	}
	t.counter = newRequestCounter()
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConns = maxConnections
		tr.MaxIdleConnsPerHost = maxConnections
	})
	load := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithHTTPClient(httpClient),
		awsconfig.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		awsconfig.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
	}
	if t.region != "" {
		load = append(load, awsconfig.WithRegion(t.region))
	}
	if creds != nil {
		load = append(load, awsconfig.WithCredentialsProvider(creds))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, load...)
	if err != nil {
		t.stop()
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = localRegion
	}
	t.region = cfg.Region
	t.client = s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(t.endpoint)
		o.UsePathStyle = c.pathStyle
		o.APIOptions = append(o.APIOptions, t.counter.add)
	})
	if t.bucket == "" {
		t.bucket = "s3bench-" + randomHex(4)
		if _, err := t.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(t.bucket)}); err != nil {
			t.stop()
			return nil, fmt.Errorf("create bucket %s: %w", t.bucket, err)
		}
	}
	return t, nil
}

// server is a process the benchmark started.
type server struct {
	addr     string
	endpoint string
	version  string
	pid      int
	// dataDir is the local MinIO's drive; empty for other servers.
	dataDir string
	stop    func()
}

// minioTrash is where MinIO moves what is deleted, relative to its drive.
// MinIO empties it in the background every MINIO_API_DELETE_CLEANUP_INTERVAL
// (5 minutes by default), pausing between removals, so a run that writes
// and deletes tens of GiB fills the disk faster than MinIO frees it (a
// full run with three repeats stopped on XMinioStorageFull), and the
// removals it makes compete with the measurements for disk and CPU.
var minioTrash = filepath.Join(".minio.sys", "tmp", ".trash")

// reclaim frees the disk space of deleted objects at once by removing
// everything in the local MinIO's trash; it does nothing for an endpoint.
// Entries there are objects MinIO has already deleted and only removes, so
// removing them between measurements is safe while MinIO runs.
func (t *target) reclaim() error {
	if t.dataDir == "" {
		return nil
	}
	dir := filepath.Join(t.dataDir, minioTrash)
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

// toolsDir is where `make tools` installs the pinned servers: the
// directory named by S3COMMIT_TOOLS_DIR, else .tools/bin in the nearest
// directory above the working directory that has one.
func toolsDir() string {
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

// findTool returns the path of a pinned binary.
func findTool(name string) (string, error) {
	p := filepath.Join(toolsDir(), name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s not found in %s: run `make tools` in the repository root, or set S3COMMIT_TOOLS_DIR", name, toolsDir())
	}
	return filepath.Abs(p)
}

// startMinIO starts the pinned MinIO on a free loopback port with its data
// in a temporary directory and waits until it serves S3 requests.
func startMinIO(ctx context.Context) (*server, error) {
	bin, err := findTool("minio")
	if err != nil {
		return nil, err
	}
	root, err := os.MkdirTemp("", "s3bench-minio-")
	if err != nil {
		return nil, fmt.Errorf("minio data directory: %w", err)
	}
	addr, err := freeAddr()
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
		"MINIO_ROOT_USER="+localAccessKey,
		"MINIO_ROOT_PASSWORD="+localSecretKey,
		"MINIO_SITE_REGION="+localRegion,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"MINIO_API_STALE_UPLOADS_EXPIRY=24h",
		// The harness empties the trash between measurements (reclaim);
		// MinIO's own pass would run during them.
		"MINIO_API_DELETE_CLEANUP_INTERVAL=24h")
	logPath := filepath.Join(root, "minio.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("minio log: %w", err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start minio (%s): %w", bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		logFile.Close()
		os.RemoveAll(root)
	}
	endpoint := "http://" + addr
	if err := waitReady(ctx, endpoint+"/minio/health/live", exited); err != nil {
		stop()
		return nil, fmt.Errorf("minio: %w (log: %s)", err, logPath)
	}
	return &server{addr: addr, endpoint: endpoint, version: commandVersion(bin), pid: cmd.Process.Pid, dataDir: dataDir, stop: stop}, nil
}

// waitReady polls a health URL until it answers 200 with MinIO online.
func waitReady(ctx context.Context, url string, exited <-chan struct{}) error {
	deadline := time.Now().Add(60 * time.Second)
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
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("not ready within 60s")
}

// freeAddr returns a free loopback address.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// commandVersion returns the first line of `bin --version`.
func commandVersion(bin string) string {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
