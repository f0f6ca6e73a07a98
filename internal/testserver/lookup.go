package testserver

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// ToolsDirEnv names the environment variable that points at a directory
// holding the server binaries; it is searched before the repository's
// .tools/bin and $PATH.
const ToolsDirEnv = "S3COMMIT_TOOLS_DIR"

// Install paths of the pinned server binaries, as `make tools` installs them
// with `go install`.
const (
	MinIOInstallPath     = "github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c"
	VersityGWInstallPath = "github.com/versity/versitygw/cmd/versitygw@v1.8.0"
)

// findBinary looks for the server binary name, installed from installPath
// with `go install`, as [FindBinary] does.
func findBinary(name, installPath string) (string, error) {
	return FindBinary(name, func(gobin string) string {
		return fmt.Sprintf("GOBIN=%s go install %s", gobin, installPath)
	})
}

// FindBinary looks for the executable name in $S3COMMIT_TOOLS_DIR, in
// .tools/bin of the module root and on $PATH, in that order. When it finds
// nothing, the error names every place it looked and how to install the
// binary: with `make tools`, or directly with the command install returns
// for the directory the binary belongs in.
func FindBinary(name string, install func(gobin string) string) (string, error) {
	exe := name
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	var looked []string

	if dir := os.Getenv(ToolsDirEnv); dir != "" {
		p := filepath.Join(dir, exe)
		if isExecutable(p) {
			return p, nil
		}
		looked = append(looked, fmt.Sprintf("%s (from $%s)", p, ToolsDirEnv))
	} else {
		looked = append(looked, fmt.Sprintf("$%s (not set)", ToolsDirEnv))
	}

	root, rootErr := ModuleRoot()
	if rootErr == nil {
		p := filepath.Join(root, ".tools", "bin", exe)
		if isExecutable(p) {
			return p, nil
		}
		looked = append(looked, p)
	} else {
		looked = append(looked, fmt.Sprintf(".tools/bin of the module root (%v)", rootErr))
	}

	if p, err := exec.LookPath(exe); err == nil {
		return p, nil
	}
	looked = append(looked, "$PATH")

	var b strings.Builder
	fmt.Fprintf(&b, "testserver: %s binary not found; looked in:\n", name)
	for _, l := range looked {
		fmt.Fprintf(&b, "\t%s\n", l)
	}
	b.WriteString("install the pinned server binaries with `make tools` in the repository root")
	if rootErr == nil {
		fmt.Fprintf(&b, " (%s)", root)
	}
	gobin := "<repository root>/.tools/bin"
	if rootErr == nil {
		gobin = filepath.Join(root, ".tools", "bin")
	}
	fmt.Fprintf(&b, ",\nor directly: %s", install(gobin))
	return "", errors.New(b.String())
}

// ModuleRoot returns the repository's root: the nearest directory at or
// above the working directory whose go.mod is the module
// github.com/s3commit/s3commit, so that the tests of the modules nested in
// the repository (examples/, multipart/storetest/miniocontainer/) find
// the same .tools/bin.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && modulePath(data) == rootModule {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of %s at or above the working directory", rootModule)
		}
		dir = parent
	}
}

// rootModule is the module path of the repository's root.
const rootModule = "github.com/s3commit/s3commit"

// modulePath returns the path of a go.mod's module directive, "" when it
// has none.
func modulePath(gomod []byte) string {
	for line := range strings.Lines(string(gomod)) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
			rest, _, _ = strings.Cut(rest, "//")
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	return runtime.GOOS == "windows" || fi.Mode().Perm()&0o111 != 0
}
