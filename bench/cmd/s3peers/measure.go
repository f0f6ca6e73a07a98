package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3commit/s3commit/bench/internal/localminio"
)

// sample is one run of one tool on one workload.
type sample struct {
	// Wall is the command's time from its start to its exit, in seconds.
	Wall float64 `json:"wall_seconds"`
	// CPU is the user and system time of the command's process tree.
	CPU float64 `json:"cpu_seconds"`
	// ServerCPU is the local MinIO's CPU time during the run; 0 for an
	// endpoint.
	ServerCPU float64 `json:"server_cpu_seconds,omitempty"`
	// MaxRSS is the command's peak resident set size.
	MaxRSS int64  `json:"max_rss_bytes,omitempty"`
	Error  string `json:"error,omitempty"`
}

// generate writes w's files into w.dir: random content (no layer
// compresses it), different in every file, then flushes them to disk.
func generate(w workload) error {
	if err := os.MkdirAll(w.dir, 0o755); err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	var seed [32]byte
	_, _ = rand.Read(seed[:])
	rng := mrand.NewChaCha8(seed)
	for i := range w.files {
		f, err := os.Create(filepath.Join(w.dir, fmt.Sprintf("part-%05d.bin", i)))
		if err != nil {
			return err
		}
		for left := w.size; left > 0; {
			n := min(left, int64(len(buf)))
			_, _ = rng.Read(buf[:n])
			if _, err := f.Write(buf[:n]); err != nil {
				f.Close()
				return err
			}
			left -= n
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	syscall.Sync()
	return nil
}

// measure runs t once, copying w to prefix, checks what it wrote, and
// deletes it.
func measure(ctx context.Context, s *target, t *tool, w workload, prefix, work, conf string) sample {
	var res sample
	runWork, err := os.MkdirTemp(work, "run-")
	if err != nil {
		res.Error = err.Error()
		return res
	}
	defer os.RemoveAll(runWork)
	args, env := t.command(s.store, w.dir, prefix, runWork, conf)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = append(childEnv(os.Environ()), env...)
	cmd.Dir = runWork
	var out tail
	cmd.Stdout, cmd.Stderr = &out, &out

	// What the store and the previous run left in the page cache is
	// written now, not during the run.
	syscall.Sync()
	srv0, srvOK := s.serverCPU()
	start := time.Now()
	err = cmd.Run()
	res.Wall = time.Since(start).Seconds()
	if srv1, ok := s.serverCPU(); ok && srvOK {
		res.ServerCPU = srv1 - srv0
	}
	if ps := cmd.ProcessState; ps != nil {
		res.CPU = (ps.UserTime() + ps.SystemTime()).Seconds()
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			res.MaxRSS = int64(ru.Maxrss)
			if runtime.GOOS == "linux" {
				res.MaxRSS <<= 10 // KiB there, bytes on the BSDs and macOS
			}
		}
	}
	if err != nil {
		res.Error = fmt.Sprintf("%s: %v: %s", strings.Join(args[:min(len(args), 4)], " "), err, out.String())
	} else if n, b, err := s.client.count(ctx, prefix); err != nil {
		res.Error = err.Error()
	} else if n != w.files || b != w.total() {
		res.Error = fmt.Sprintf("wrote %d objects of %d bytes under %s; want %d of %d", n, b, prefix, w.files, w.total())
	}
	cleanup := context.WithoutCancel(ctx)
	if err := s.client.deletePrefix(cleanup, prefix); err != nil && res.Error == "" {
		res.Error = err.Error()
	}
	if err := localminio.Reclaim(s.dataDir); err != nil && res.Error == "" {
		res.Error = err.Error()
	}
	return res
}

// serverCPU is the local MinIO's CPU time so far.
func (s *target) serverCPU() (float64, bool) {
	if s.pid == 0 {
		return 0, false
	}
	return localminio.ProcessCPUSeconds(s.pid)
}

// childEnv is env without the variables that would point a tool at
// another store, profile or configuration than the run's.
func childEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "AWS_"), strings.HasPrefix(k, "MC_"), strings.HasPrefix(k, "RCLONE_"):
			continue
		}
		out = append(out, kv)
	}
	return out
}

// tail keeps the last 2 KiB written to it: a failed command's message.
type tail struct{ b []byte }

func (t *tail) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 2048 {
		t.b = t.b[len(t.b)-2048:]
	}
	return len(p), nil
}

func (t *tail) String() string { return string(bytes.TrimSpace(t.b)) }

// s3client is the harness's own client: it creates the local bucket and
// checks and deletes what each run wrote.
type s3client struct {
	c      *s3.Client
	bucket string
}

func newS3Client(ctx context.Context, s *store) (*s3client, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx,
		awsconfig.WithRegion(s.region),
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(s.accessKey, s.secretKey, s.token)))
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if s.endpoint != "" {
			o.BaseEndpoint = aws.String(s.endpoint)
		}
		o.UsePathStyle = s.pathStyle
	})
	return &s3client{c: c, bucket: s.bucket}, nil
}

func (c *s3client) createBucket(ctx context.Context) error {
	if _, err := c.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(c.bucket)}); err != nil {
		return fmt.Errorf("create bucket %s: %w", c.bucket, err)
	}
	return nil
}

// count returns the objects under prefix/ and their bytes, a _SUCCESS
// marker left out.
func (c *s3client) count(ctx context.Context, prefix string) (int, int64, error) {
	n, size := 0, int64(0)
	p := s3.NewListObjectsV2Paginator(c.c, &s3.ListObjectsV2Input{Bucket: aws.String(c.bucket), Prefix: aws.String(prefix + "/")})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, 0, fmt.Errorf("list %s: %w", prefix, err)
		}
		for _, o := range page.Contents {
			if path.Base(aws.ToString(o.Key)) == "_SUCCESS" {
				continue
			}
			n++
			size += aws.ToInt64(o.Size)
		}
	}
	return n, size, nil
}

// deletePrefix deletes every object under prefix/.
func (c *s3client) deletePrefix(ctx context.Context, prefix string) error {
	p := s3.NewListObjectsV2Paginator(c.c, &s3.ListObjectsV2Input{Bucket: aws.String(c.bucket), Prefix: aws.String(prefix + "/")})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list %s: %w", prefix, err)
		}
		if len(page.Contents) == 0 {
			continue
		}
		ids := make([]types.ObjectIdentifier, len(page.Contents))
		for i, o := range page.Contents {
			ids[i] = types.ObjectIdentifier{Key: o.Key}
		}
		out, err := c.c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(c.bucket), Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)}})
		if err != nil {
			return fmt.Errorf("delete under %s: %w", prefix, err)
		}
		if len(out.Errors) > 0 {
			return fmt.Errorf("delete %s: %s", aws.ToString(out.Errors[0].Key), aws.ToString(out.Errors[0].Message))
		}
	}
	return nil
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
