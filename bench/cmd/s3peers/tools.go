package main

import (
	"debug/buildinfo"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Tool names, in the order of the report.
const (
	toolS3commit = "s3commit"
	// toolS3commitDeferred is s3commit with deferred PUTs: the job commit
	// writes each file of at most deferredThreshold with one PutObject.
	toolS3commitDeferred = "s3commit-deferred"
	toolMC               = "mc"
	toolRclone           = "rclone"
	toolAWS              = "aws"
)

var toolNames = []string{toolS3commit, toolS3commitDeferred, toolMC, toolRclone, toolAWS}

// deferredThreshold is staging.Options.DeferredPutThreshold of
// toolS3commitDeferred: 1 MiB, above the small-file workload's files,
// below the large one's.
const deferredThreshold = 1 << 20

// Pinned versions of the install hints: what the Go module proxy served
// when the hints were written (mc has no semver tags, so its newest
// pseudo-version is what `@latest` resolves to).
const (
	mcModule      = "github.com/minio/mc"
	mcVersion     = "v0.0.0-20250313080218-cf909e1063a9"
	rcloneModule  = "github.com/rclone/rclone"
	rcloneVersion = "v1.76.0"
)

// installHints says how to install each peer.
var installHints = map[string]string{
	toolMC: fmt.Sprintf("`go install %s@%s` (about 3 minutes of build on 2 cores; the binary goes to $GOBIN or $HOME/go/bin), "+
		"or a release binary from https://dl.min.io/client/mc/release/", mcModule, mcVersion),
	toolRclone: fmt.Sprintf("`go install %s@%s`, or the system's package manager: `apt-get install rclone`, `dnf install rclone`, `brew install rclone`",
		rcloneModule, rcloneVersion),
	toolAWS: "`pip install awscli` (v1) or `apt-get install awscli`; v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html",
}

// store is the endpoint, bucket and credentials every tool writes to.
type store struct {
	endpoint  string // http://host:port
	bucket    string
	region    string
	pathStyle bool
	accessKey string
	secretKey string
	token     string
	local     bool // the MinIO s3peers started
}

// tool is one command that copies a directory to a prefix.
type tool struct {
	name    string
	bin     string // the executable; "" when not installed
	version string
	// note says something about how it is run (a pyenv shim resolved).
	note string
	// missing says why it is not run: not installed (with how to
	// install it) or not the expected program.
	missing string
	// extra are flags added to its command line (--mc-flags, …).
	extra []string
}

// display is the command line of t as the report shows it.
func (t *tool) display() string {
	var c string
	switch t.name {
	case toolS3commit:
		c = "staging.New(awsstore.New(…), defaults): 1 job, 1 task, CommitTask + CommitJob"
	case toolS3commitDeferred:
		c = "the same with DeferredPutThreshold 1 MiB: files up to 1 MiB written by CommitJob with one PutObject each"
	case toolMC:
		c = "mc cp --recursive"
	case toolRclone:
		c = "rclone copy"
	case toolAWS:
		c = "aws s3 cp --recursive"
	}
	if len(t.extra) > 0 {
		c += " " + strings.Join(t.extra, " ")
	}
	return c
}

// command returns the command line and the environment (added to the
// process's) of one copy of src to s3://bucket/prefix/. work is a
// directory of the run's own, on src's file system; conf one of the
// whole run, for the tools' configuration.
func (t *tool) command(s *store, src, prefix, work, conf string) ([]string, []string) {
	awsEnv := []string{
		"AWS_ACCESS_KEY_ID=" + s.accessKey,
		"AWS_SECRET_ACCESS_KEY=" + s.secretKey,
		"AWS_SESSION_TOKEN=" + s.token,
		"AWS_REGION=" + s.region,
		"AWS_DEFAULT_REGION=" + s.region,
		// A configuration of the run's own: the user's ~/.aws is left
		// out, so that its settings do not change what is measured.
		"AWS_CONFIG_FILE=" + filepath.Join(conf, "aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(conf, "aws-credentials"),
	}
	switch t.name {
	case toolS3commit, toolS3commitDeferred:
		args := []string{t.bin, "commit", "--bucket", s.bucket, "--region", s.region,
			"--path-style=" + strconv.FormatBool(s.pathStyle), "--dest", prefix, "--work", work}
		if s.endpoint != "" {
			args = append(args, "--endpoint-url", s.endpoint)
		}
		if t.name == toolS3commitDeferred {
			args = append(args, "--deferred-put-threshold", strconv.Itoa(deferredThreshold))
		}
		return append(args, src), awsEnv
	case toolMC:
		args := append([]string{t.bin, "--config-dir", filepath.Join(conf, "mc"), "--quiet", "--no-color", "cp", "--recursive"}, t.extra...)
		return append(args, src+"/", "peers/"+s.bucket+"/"+prefix+"/"), []string{"MC_HOST_peers=" + mcHost(s)}
	case toolRclone:
		provider := "Other"
		if s.local {
			provider = "Minio"
		}
		env := []string{
			"RCLONE_CONFIG=" + filepath.Join(conf, "rclone.conf"), // none: the remote is in the environment
			"RCLONE_CONFIG_PEERS_TYPE=s3",
			"RCLONE_CONFIG_PEERS_PROVIDER=" + provider,
			"RCLONE_CONFIG_PEERS_ENV_AUTH=false",
			"RCLONE_CONFIG_PEERS_ACCESS_KEY_ID=" + s.accessKey,
			"RCLONE_CONFIG_PEERS_SECRET_ACCESS_KEY=" + s.secretKey,
			"RCLONE_CONFIG_PEERS_SESSION_TOKEN=" + s.token,
			"RCLONE_CONFIG_PEERS_REGION=" + s.region,
			"RCLONE_CONFIG_PEERS_ENDPOINT=" + s.endpoint,
			"RCLONE_CONFIG_PEERS_FORCE_PATH_STYLE=" + strconv.FormatBool(s.pathStyle),
		}
		args := append([]string{t.bin, "copy"}, t.extra...)
		return append(args, src, "peers:"+s.bucket+"/"+prefix), env
	case toolAWS:
		args := []string{t.bin, "s3", "cp", "--recursive", "--only-show-errors"}
		if s.endpoint != "" {
			args = append(args, "--endpoint-url", s.endpoint)
		}
		args = append(args, t.extra...)
		return append(args, src, "s3://"+s.bucket+"/"+prefix+"/"), awsEnv
	}
	return nil, nil
}

// mcHost is the MC_HOST_<alias> value of s: the endpoint with the keys
// (and the session token) as its user information.
func mcHost(s *store) string {
	u, err := url.Parse(s.endpoint)
	if err != nil || s.endpoint == "" {
		u = &url.URL{Scheme: "https", Host: "s3." + s.region + ".amazonaws.com"}
	}
	if s.token != "" {
		// mc reads a session token as a third field of the user
		// information, which url.UserPassword would escape.
		return fmt.Sprintf("%s://%s:%s:%s@%s", u.Scheme, url.PathEscape(s.accessKey), url.PathEscape(s.secretKey), url.PathEscape(s.token), u.Host)
	}
	u.User = url.UserPassword(s.accessKey, s.secretKey)
	return u.String()
}

// writeToolConfig writes the configuration files of the run into conf:
// the AWS CLI's, with the addressing style of s (the AWS CLI has no
// variable for it).
func writeToolConfig(s *store, conf string) error {
	style := "virtual"
	if s.pathStyle {
		style = "path"
	}
	cfg := fmt.Sprintf("[default]\nregion = %s\ns3 =\n  addressing_style = %s\n", s.region, style)
	return os.WriteFile(filepath.Join(conf, "aws-config"), []byte(cfg), 0o600)
}

// findTools resolves the tools of names: flagged paths first, then PATH,
// then where `go install` puts binaries. self is this executable, which
// runs the s3commit side.
func findTools(names []string, paths, extra map[string]string, self string) []*tool {
	var out []*tool
	for _, n := range names {
		t := &tool{name: n, extra: strings.Fields(extra[n])}
		if n == toolS3commit || n == toolS3commitDeferred {
			t.bin, t.version = self, s3commitVersion()
			out = append(out, t)
			continue
		}
		bin, err := lookTool(n, paths[n])
		if err != nil {
			t.missing = fmt.Sprintf("not installed (%v); install: %s", err, installHints[n])
			out = append(out, t)
			continue
		}
		t.bin = bin
		if n == toolAWS {
			if real, ok := pyenvTarget(bin); ok {
				t.note = fmt.Sprintf("pyenv shim resolved to %s, so that the shim's start is not measured", real)
				t.bin = real
			}
		}
		if t.version, err = toolVersion(n, t.bin); err != nil {
			t.missing = fmt.Sprintf("%s: %v; install: %s", t.bin, err, installHints[n])
			t.bin = ""
		}
		out = append(out, t)
	}
	return out
}

// lookTool returns the path of a tool: path when given, else name in
// PATH, $GOBIN, $GOPATH/bin or $HOME/go/bin.
func lookTool(name, path string) (string, error) {
	if path != "" {
		return exec.LookPath(path)
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	var dirs []string
	if d := os.Getenv("GOBIN"); d != "" {
		dirs = append(dirs, d)
	}
	if d := os.Getenv("GOPATH"); d != "" {
		dirs = append(dirs, filepath.Join(filepath.SplitList(d)[0], "bin"))
	}
	if h, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(h, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s is not in PATH, $GOBIN, $GOPATH/bin or ~/go/bin", name)
}

// pyenvTarget returns the program a pyenv shim runs, when bin is one.
func pyenvTarget(bin string) (string, bool) {
	if !strings.Contains(filepath.ToSlash(bin), "/.pyenv/shims/") {
		return "", false
	}
	out, err := exec.Command("pyenv", "which", filepath.Base(bin)).Output()
	if err != nil {
		return "", false
	}
	p := strings.TrimSpace(string(out))
	return p, p != ""
}

// toolVersion returns the version of a peer, and an error when the
// program is not the expected one (an mc that is Midnight Commander).
func toolVersion(name, bin string) (string, error) {
	if bi, err := buildinfo.ReadFile(bin); err == nil {
		want := map[string]string{toolMC: mcModule, toolRclone: rcloneModule}[name]
		if want != "" && bi.Path != want && !strings.HasPrefix(bi.Path, want+"/") {
			return "", fmt.Errorf("a Go program of %s, not %s", bi.Path, want)
		}
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			return bi.Main.Path + "@" + v + ", " + bi.GoVersion, nil
		}
	}
	arg := "--version"
	if name == toolRclone {
		arg = "version"
	}
	out, err := exec.Command(bin, arg).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", bin, arg, err)
	}
	first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	mark := map[string]string{toolMC: "mc version", toolRclone: "rclone", toolAWS: "aws-cli/"}[name]
	if !strings.Contains(first, mark) {
		return "", fmt.Errorf("not the expected program: its version is %q", first)
	}
	return first, nil
}

// s3commitVersion is the repository's commit, -dirty with changes.
func s3commitVersion() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "(unknown)"
	}
	v := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		v += "-dirty"
	}
	return v
}
