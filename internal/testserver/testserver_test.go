package testserver

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

func TestMain(m *testing.M) { Run(m) }

// roundTrip creates a bucket on s, puts an object and reads it back.
func roundTrip(t *testing.T, s *Server) {
	t.Helper()
	if !strings.HasPrefix(s.Endpoint, "http://127.0.0.1:") {
		t.Errorf("Endpoint = %q, want http://127.0.0.1:PORT", s.Endpoint)
	}
	if s.Region != "us-east-1" || s.AccessKeyID == "" || s.SecretAccessKey == "" {
		t.Errorf("Region %q, AccessKeyID %q, SecretAccessKey set %v", s.Region, s.AccessKeyID, s.SecretAccessKey != "")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	bucket := s.CreateBucket(t)
	want := bytes.Repeat([]byte("s3commit testserver\n"), 1000)
	const key = "dir/object.txt"
	c := s.Client()
	if _, err := c.PutObject(ctx, bucket, key, bytes.NewReader(want), int64(len(want)), minio.PutObjectOptions{}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	obj, err := c.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	defer obj.Close()
	got, err := io.ReadAll(obj)
	if err != nil {
		t.Fatalf("read object: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("object has %d bytes, want the %d bytes put", len(got), len(want))
	}
}

func TestMinIO(t *testing.T) {
	s := MinIO(t)
	if s.Name != "minio" {
		t.Errorf("Name = %q", s.Name)
	}
	roundTrip(t, s)
}

func TestVersityGW(t *testing.T) {
	s := VersityGW(t)
	if s.Name != "versitygw" {
		t.Errorf("Name = %q", s.Name)
	}
	roundTrip(t, s)
}

// TestShared checks that the shared servers outlive the tests that started
// them and are the same for every test.
func TestShared(t *testing.T) {
	for _, get := range []func(testing.TB) *Server{MinIO, VersityGW} {
		var first *Server
		t.Run("first", func(t *testing.T) { first = get(t) })
		t.Run("second", func(t *testing.T) {
			s := get(t)
			if s != first {
				t.Fatalf("second call returned another server")
			}
			roundTrip(t, s)
		})
	}
}

func TestPrivate(t *testing.T) {
	for _, start := range []func(testing.TB) *Server{NewMinIO, NewVersityGW} {
		var s *Server
		t.Run("run", func(t *testing.T) {
			s = start(t)
			if s == MinIO(t) || s == VersityGW(t) {
				t.Fatal("private server is a shared one")
			}
			roundTrip(t, s)
		})
		// The subtest's Cleanup has stopped the server.
		if !s.proc.exited() {
			t.Errorf("%s still running after its test ended", s.Name)
		}
	}
}

func TestBucketNamesUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, name := range []string{"TestX", "TestX", "Test/sub_test#01", "", "---", strings.Repeat("Ab", 100)} {
		b := bucketName(name)
		if len(b) < 3 || len(b) > 63 || seen[b] {
			t.Errorf("bucketName(%q) = %q: bad length or repeated", name, b)
		}
		for _, r := range b {
			if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-') {
				t.Errorf("bucketName(%q) = %q: bad character %q", name, b, r)
			}
		}
		if strings.HasPrefix(b, "-") || strings.HasSuffix(b, "-") {
			t.Errorf("bucketName(%q) = %q: starts or ends with a dash", name, b)
		}
		seen[b] = true
	}
}

func TestMissingBinaryMessage(t *testing.T) {
	empty := t.TempDir()
	t.Setenv(ToolsDirEnv, empty)
	t.Setenv("PATH", empty)
	t.Chdir(empty) // no go.mod above a temporary directory

	_, err := findBinary("minio", MinIOInstallPath)
	if err == nil {
		t.Fatal("findBinary found a binary in an empty environment")
	}
	msg := err.Error()
	for _, want := range []string{"minio binary not found", filepath.Join(empty, "minio"), "$PATH", "make tools", MinIOInstallPath} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	t.Log(msg)
}

func TestToolsDirEnvFirst(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "versitygw")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(ToolsDirEnv, dir)
	got, err := findBinary("versitygw", VersityGWInstallPath)
	if err != nil || got != bin {
		t.Fatalf("findBinary = %q, %v; want %q", got, err, bin)
	}
}

func TestTailBuffer(t *testing.T) {
	b := newTailBuffer(8)
	b.Write([]byte("abc"))
	b.Write([]byte("defgh"))
	b.Write([]byte("ij"))
	if got := b.String(); got != "cdefghij" {
		t.Errorf("after small writes: %q", got)
	}
	b.Write([]byte("0123456789"))
	if got := b.String(); got != "23456789" {
		t.Errorf("after a large write: %q", got)
	}
	if !strings.Contains(b.section(), "last 8 bytes") {
		t.Errorf("section does not say the output was cut: %q", b.section())
	}
}

func TestModulePath(t *testing.T) {
	for _, tc := range []struct{ gomod, want string }{
		{"module github.com/s3commit/s3commit\n\ngo 1.26.8\n", "github.com/s3commit/s3commit"},
		{"// nested\nmodule github.com/s3commit/s3commit/examples // the examples\n", "github.com/s3commit/s3commit/examples"},
		{"module \"example.com/quoted\"\n", "example.com/quoted"},
		{"modules x\ngo 1.26\n", ""},
	} {
		if got := modulePath([]byte(tc.gomod)); got != tc.want {
			t.Errorf("modulePath(%q) = %q, want %q", tc.gomod, got, tc.want)
		}
	}
}

// TestModuleRootFromANestedModule: the tests of a module nested in the
// repository find the repository's root, where .tools/bin is.
func TestModuleRootFromANestedModule(t *testing.T) {
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(root, "examples"))
	got, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if got != root {
		t.Errorf("ModuleRoot in examples/ = %s, want %s", got, root)
	}
}
