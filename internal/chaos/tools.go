package chaos

import (
	"bufio"
	"bytes"
	"context"
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/s3commit/s3commit/internal/testserver"
)

// FindToxiproxy returns the path of the pinned toxiproxy-server, looked
// up as testserver looks up its servers ([testserver.FindBinary]). When
// it finds none, the error says where it looked and how to install it.
func FindToxiproxy() (string, error) {
	const name = "toxiproxy-server"
	return testserver.FindBinary(name, func(gobin string) string {
		return fmt.Sprintf("GOBIN=/tmp/toxiproxy go install %s && mv /tmp/toxiproxy/server %s/%s", ToxiproxyInstallPath, gobin, name)
	})
}

// Binaries are the commands a run starts as processes.
type Binaries struct {
	Datajob  string // examples/datajob
	S3commit string // cmd/s3commit
}

// Build builds the example data job and the s3commit CLI of the module at
// root into dir with `go build` (the go command on $PATH, with the
// environment's GOTOOLCHAIN and GOFLAGS).
func Build(ctx context.Context, root, dir string) (Binaries, error) {
	b := Binaries{Datajob: filepath.Join(dir, "datajob"), S3commit: filepath.Join(dir, "s3commit")}
	for _, build := range []struct{ module, pkg, out string }{
		{"examples", "./datajob", b.Datajob}, // a module of its own
		{".", "./cmd/s3commit", b.S3commit},
	} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", build.out, build.pkg)
		cmd.Dir = filepath.Join(root, build.module)
		if out, err := cmd.CombinedOutput(); err != nil {
			return Binaries{}, fmt.Errorf("go build %s in %s: %w\n%s", build.pkg, cmd.Dir, err, out)
		}
	}
	return b, nil
}

// SourceVersion returns the commit of the module at root, with "-dirty"
// when tracked files differ from it (the binaries are built from the
// working tree), or "unknown".
func SourceVersion(ctx context.Context, root string) string {
	out, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	v := strings.TrimSpace(string(out))
	if st, err := exec.CommandContext(ctx, "git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		v += "-dirty"
	}
	return v
}

// BinaryVersion returns the module version a Go binary was built from
// (its main module's, as `go version -m` shows it), or "unknown".
func BinaryVersion(path string) string {
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	v := info.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	return v
}

// ThisMachine describes the machine: CPU model, cores, OS, kernel and the
// Go release of the harness.
func ThisMachine() Machine {
	m := Machine{CPU: "unknown", Cores: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH, Kernel: "unknown", Go: runtime.Version()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}
