package modulegraph_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// library describes the module under test, as the go command sees it from
// this package's directory.
type library struct {
	path      string // module path: github.com/s3commit/s3commit
	dir       string // the repository root, target of the user's replace
	goVersion string // the go line of its go.mod
}

// thisModule asks the go command for the module that holds this package.
func thisModule(t *testing.T) library {
	t.Helper()
	out := goCommand(t, ".", "list", "-m", "-f", "{{.Path}}\t{{.Dir}}\t{{.GoVersion}}")
	fields := strings.Split(strings.TrimSpace(out), "\t")
	if len(fields) != 3 || fields[0] == "" || fields[1] == "" || fields[2] == "" {
		t.Fatalf("go list -m: %q, want path, directory and go version", out)
	}
	return library{path: fields[0], dir: fields[1], goVersion: fields[2]}
}

// goCommand runs the go command in dir with the test's environment, which
// carries GOTOOLCHAIN, GOPROXY and GOMODCACHE through, and returns its
// standard output. -mod=mod lets the go command write go.mod and go.sum;
// GOWORK=off keeps a workspace file above dir out of the way.
func goCommand(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, stderr.String())
	}
	return stdout.String()
}

// userProgram writes a program that imports pkgs (paths relative to the
// library's module) into a new directory, as a module that requires the
// library with a replace to the repository, and returns the directory.
// The library's go.sum is copied along, so that `go mod tidy` finds the
// checksums of every module it keeps without asking a checksum database.
func userProgram(t *testing.T, lib library, pkgs []string) string {
	t.Helper()
	dir := t.TempDir()
	goMod := fmt.Sprintf("module example.com/userjob\n\ngo %s\n\nrequire %s v0.0.0-00010101000000-000000000000\n\nreplace %s => %s\n",
		lib.goVersion, lib.path, lib.path, lib.dir)
	var main strings.Builder
	main.WriteString("package main\n\nimport (\n")
	for _, p := range pkgs {
		fmt.Fprintf(&main, "\t_ %q\n", lib.path+"/"+p)
	}
	main.WriteString(")\n\nfunc main() {}\n")
	sums, err := os.ReadFile(filepath.Join(lib.dir, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string][]byte{
		"go.mod":  []byte(goMod),
		"main.go": []byte(main.String()),
		"go.sum":  sums,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestUserModuleGraph checks that a program importing the library has none
// of the modules only the library's tests and nested modules need in its
// module graph.
func TestUserModuleGraph(t *testing.T) {
	lib := thisModule(t)
	tests := []struct {
		name    string
		imports []string // packages of the library the program imports
		absent  []string // module paths no line of the graph may mention
	}{
		{
			name:    "staging and awsstore",
			imports: []string{"staging", "multipart/awsstore"},
			absent: []string{
				"github.com/testcontainers/testcontainers-go", // multipart/storetest/miniocontainer
				"github.com/moby/moby/client",                 // the Docker client testcontainers-go uses
				"github.com/parquet-go/parquet-go",            // examples/: the data job's Parquet files
				"go.opentelemetry.io/otel/exporters",          // examples/: the data job's metrics and traces
				"github.com/prometheus/client_golang",         // examples/: the Prometheus exporter's registry
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := userProgram(t, lib, tt.imports)
			goCommand(t, dir, "mod", "tidy")
			graph := goCommand(t, dir, "mod", "graph")

			lines := strings.Split(strings.TrimSpace(graph), "\n")
			requiresLibrary := "example.com/userjob " + lib.path + "@"
			if !strings.HasPrefix(graph, requiresLibrary) && !strings.Contains(graph, "\n"+requiresLibrary) {
				t.Fatalf("the graph of %d lines has no edge %q…: the program does not use the library", len(lines), requiresLibrary)
			}
			for _, module := range tt.absent {
				var found []string
				for _, line := range lines {
					if strings.Contains(line, module) {
						found = append(found, line)
					}
				}
				if len(found) > 0 {
					t.Errorf("the module graph of a program importing %s mentions %s:\n%s",
						strings.Join(tt.imports, " and "), module, strings.Join(found, "\n"))
				}
			}
		})
	}
}
