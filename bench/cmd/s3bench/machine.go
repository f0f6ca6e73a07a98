package main

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/s3commit/s3commit/bench/internal/results"
)

// machine describes the client machine.
func machine() results.Machine {
	m := results.Machine{Cores: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		s := bufio.NewScanner(f)
		for s.Scan() {
			if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		defer f.Close()
		s := bufio.NewScanner(f)
		for s.Scan() {
			if rest, ok := strings.CutPrefix(s.Text(), "MemTotal:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				m.MemoryBytes = kb << 10
			}
		}
	}
	return m
}

// versions lists Go, the server, the AWS SDK and the s3commit commit.
func versions(t *target) map[string]string {
	v := map[string]string{"go": runtime.Version()}
	if t.version != "" {
		v["minio"] = t.version
		// A server built with `go install` reports no release; the Makefile
		// passes the pinned module version.
		if pin := os.Getenv("S3BENCH_MINIO_VERSION"); pin != "" {
			v["minio"] = pin
		}
	}
	if t.proxyVersion != "" {
		v["toxiproxy"] = t.proxyVersion
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			switch d.Path {
			case "github.com/aws/aws-sdk-go-v2", "github.com/aws/aws-sdk-go-v2/service/s3", "github.com/aws/aws-sdk-go-v2/feature/s3/manager":
				v[strings.TrimPrefix(d.Path, "github.com/aws/")] = d.Version
			}
		}
	}
	if out, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
		commit := strings.TrimSpace(string(out))
		if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
			commit += "-dirty"
		}
		v["s3commit"] = commit
	}
	return v
}
