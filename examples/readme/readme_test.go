package readme_test

import (
	"bufio"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// root is the repository's root, relative to this package.
const root = "../.."

// block is a fenced code block of a Markdown file.
type block struct {
	lang string
	line int // line of the opening fence, from 1
	text string
}

// fencedBlocks returns the fenced code blocks (```lang … ```) of md.
func fencedBlocks(t *testing.T, md string) []block {
	t.Helper()
	var out []block
	var cur *block
	var body []string
	sc := bufio.NewScanner(strings.NewReader(md))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && strings.HasPrefix(trimmed, "```"):
			cur = &block{lang: strings.TrimSpace(strings.TrimPrefix(trimmed, "```")), line: n}
			body = nil
		case cur != nil && trimmed == "```":
			cur.text = strings.Join(body, "\n")
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			body = append(body, line)
		}
	}
	require.NoError(t, sc.Err())
	require.Nil(t, cur, "README.md: the code block opened at line %d is never closed", lineOf(cur))
	return out
}

func lineOf(b *block) int {
	if b == nil {
		return 0
	}
	return b.line
}

// normalize collapses every run of white space into one space, so that
// indentation and gofmt's alignment of comments do not matter.
func normalize(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// TestREADMESnippets checks that every ```go block of README.md appears,
// whitespace-normalized, in an Example file of this package, where it
// compiles (and, for most, runs with checked output).
func TestREADMESnippets(t *testing.T) {
	readme := readFile(t, filepath.Join(root, "README.md"))
	files, err := filepath.Glob("example*_test.go")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var examples []string
	for _, f := range files {
		examples = append(examples, normalize(readFile(t, f)))
	}

	var goBlocks []block
	for _, b := range fencedBlocks(t, readme) {
		if b.lang == "go" {
			goBlocks = append(goBlocks, b)
		}
	}
	require.NotEmpty(t, goBlocks, "README.md has no ```go block")
	for _, b := range goBlocks {
		snippet := normalize(b.text)
		found := false
		for _, ex := range examples {
			if strings.Contains(ex, snippet) {
				found = true
				break
			}
		}
		assert.True(t, found, "README.md line %d: the ```go block is in none of %v (whitespace aside); copy it there so that it compiles:\n%s",
			b.line, files, b.text)
	}
}

// makeCall matches a make command line: "make" and its targets.
var makeCall = regexp.MustCompile(`(?:^|[\s;&|(])make((?:\s+[a-z][a-z0-9_-]*)+)`)

// readmeMakeTargets returns the targets of every make command in the code
// of README.md (fenced blocks and inline code spans), with the line of
// their first use.
func readmeMakeTargets(t *testing.T, md string) map[string]int {
	t.Helper()
	targets := map[string]int{}
	add := func(code string, line int) {
		for _, m := range makeCall.FindAllStringSubmatch(code, -1) {
			for _, target := range strings.Fields(m[1]) {
				if _, ok := targets[target]; !ok {
					targets[target] = line
				}
			}
		}
	}
	for _, b := range fencedBlocks(t, md) {
		for i, l := range strings.Split(b.text, "\n") {
			add(l, b.line+1+i)
		}
	}
	inFence := false
	inline := regexp.MustCompile("`([^`]+)`")
	for i, l := range strings.Split(md, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		for _, m := range inline.FindAllStringSubmatch(l, -1) {
			add(m[1], i+1)
		}
	}
	return targets
}

// makefileTargets returns the explicit targets of a Makefile's rules.
func makefileTargets(t *testing.T, makefile string) map[string]bool {
	t.Helper()
	rule := regexp.MustCompile(`^([^\s#=:][^=:]*?)\s*::?(?:[^=]|$)`)
	targets := map[string]bool{}
	for _, l := range strings.Split(makefile, "\n") {
		if m := rule.FindStringSubmatch(l); m != nil {
			for _, target := range strings.Fields(m[1]) {
				targets[target] = true
			}
		}
	}
	return targets
}

func TestMakefileTargetsParsing(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"rule", "test: tools\n\tgo test ./...", []string{"test"}},
		{"rule without prerequisites", "fmt:\n\tgofmt -w .", []string{"fmt"}},
		{"several targets", "a b: c", []string{"a", "b"}},
		{"double colon", "x:: y", []string{"x"}},
		{"phony", ".PHONY: a b", []string{".PHONY"}},
		{"simple assignment", "TOOLS_DIR := $(CURDIR)/.tools/bin", nil},
		{"exported assignment", "export S3COMMIT_TOOLS_DIR := $(TOOLS_DIR)", nil},
		{"conditional assignment", "GO ?= go", nil},
		{"recipe line", "\tcd bench && go test ./...", nil},
		{"comment", "# demo: not a rule", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := slices.Sorted(maps.Keys(makefileTargets(t, tt.in)))
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestREADMEMakeTargetsParsing(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"fenced", "```sh\nmake test     # comment\n```", []string{"test"}},
		{"inline", "run `make demo` first", []string{"demo"}},
		{"variables", "`make bench BENCH_FLAGS=--tasks=8`", []string{"bench"}},
		{"two targets", "`make lint test`", []string{"lint", "test"}},
		{"after a command", "```sh\ncd x && make fuzz\n```", []string{"fuzz"}},
		{"prose", "make sure the tasks make progress", nil},
		{"other words", "`cmake build` and `makefile`", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := slices.Sorted(maps.Keys(readmeMakeTargets(t, tt.in)))
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestREADMEMakeTargets checks that every make command README.md shows
// runs a target the Makefile defines.
func TestREADMEMakeTargets(t *testing.T) {
	readme := readFile(t, filepath.Join(root, "README.md"))
	defined := makefileTargets(t, readFile(t, filepath.Join(root, "Makefile")))
	used := readmeMakeTargets(t, readme)
	require.NotEmpty(t, used, "README.md names no make command")
	for target, line := range used {
		assert.True(t, defined[target], "README.md line %d: `make %s` is not a target of the Makefile", line, target)
	}
}

// anchor returns the anchor GitHub gives a Markdown heading: lower case,
// without punctuation, spaces turned into hyphens.
func anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestAnchor(t *testing.T) {
	tests := []struct{ heading, want string }{
		{"Quick start", "quick-start"},
		{"Stores: MinIO, FlashBlade, AWS", "stores-minio-flashblade-aws"},
		{"Compared with Hadoop's S3A committers", "compared-with-hadoops-s3a-committers"},
		{"`_SUCCESS` manifests", "_success-manifests"},
	}
	for _, tt := range tests {
		t.Run(tt.heading, func(t *testing.T) {
			assert.Equal(t, tt.want, anchor(tt.heading))
		})
	}
}

// TestREADMELinks checks that every relative link of README.md names a
// file or directory of the repository, and every in-page link a heading.
func TestREADMELinks(t *testing.T) {
	readme := readFile(t, filepath.Join(root, "README.md"))
	anchors := map[string]bool{}
	inFence := false
	for _, l := range strings.Split(readme, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			inFence = !inFence
		}
		if !inFence && strings.HasPrefix(l, "#") {
			anchors[anchor(strings.TrimSpace(strings.TrimLeft(l, "#")))] = true
		}
	}
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for i, l := range strings.Split(readme, "\n") {
		for _, m := range link.FindAllStringSubmatch(l, -1) {
			target := m[1]
			if strings.HasPrefix(target, "#") {
				assert.True(t, anchors[target[1:]], "README.md line %d: the link %q names no heading", i+1, target)
				continue
			}
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			target, _, _ = strings.Cut(target, "#")
			_, err := os.Stat(filepath.Join(root, filepath.FromSlash(target)))
			assert.NoError(t, err, "README.md line %d: the link %q names nothing in the repository", i+1, m[1])
		}
	}
}
