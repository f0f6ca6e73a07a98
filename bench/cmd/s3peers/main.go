// Command s3peers runs s3commit's staging commit side by side with the
// copy commands users reach for — `mc cp --recursive`, `rclone copy`,
// `aws s3 cp --recursive` — on the same files, against the same store, on
// the same machine, and prints a Markdown table of their wall time and
// client CPU with the ratios to s3commit.
//
// Each tool runs as a process of its own, s3commit too (this program
// again, as `s3peers commit`): the wall time is the process's, start to
// exit, and the client CPU the user and system time of its process tree
// (from wait4, as /usr/bin/time reports it). Every run writes to a fresh
// prefix, which is checked (object count and bytes) and deleted after it.
// A peer that is not installed is skipped, with how to install it.
//
//	go run ./cmd/s3peers                      # local MinIO, 500 × 256 KiB and 1 × 1 GiB, 5 runs
//	go run ./cmd/s3peers --small-files 100 --large-size 256MiB --runs 3
//	go run ./cmd/s3peers --endpoint-url https://s3.example.com --bucket bench
package main

import (
	"context"
	"debug/buildinfo"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/s3commit/s3commit/bench/internal/localminio"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("s3peers: ")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) > 1 && os.Args[1] == "commit" {
		if err := commitMain(ctx, os.Args[2:]); err != nil {
			log.Fatal(err)
		}
		return
	}
	c, err := parseFlags(os.Args[1:])
	if err != nil {
		os.Exit(2)
	}
	if err := run(ctx, c); err != nil {
		log.Fatal(err)
	}
}

// config is the command line.
type config struct {
	smallFiles, largeFiles int
	smallSize, largeSize   byteSize
	runs                   int
	tools                  string
	paths                  map[string]string // --mc, --rclone, --aws
	extra                  map[string]string // --mc-flags, …
	endpointURL            string
	bucket                 string
	region                 string
	pathStyle              bool
	work                   string
	out                    string
}

func parseFlags(args []string) (*config, error) {
	c := &config{smallSize: 256 << 10, largeSize: 1 << 30, paths: map[string]string{}, extra: map[string]string{}}
	fs := flag.NewFlagSet("s3peers", flag.ContinueOnError)
	fs.IntVar(&c.smallFiles, "small-files", 500, "files of the small-file workload (0 leaves it out)")
	fs.Var(&c.smallSize, "small-size", "bytes per small file (KiB, MiB, GiB suffixes)")
	fs.IntVar(&c.largeFiles, "large-files", 1, "files of the large-file workload (0 leaves it out)")
	fs.Var(&c.largeSize, "large-size", "bytes per large file")
	fs.IntVar(&c.runs, "runs", 5, "runs of each tool on each workload; the report has the medians")
	fs.StringVar(&c.tools, "tools", strings.Join(toolNames, ","), "comma-separated tools to run")
	for _, n := range toolNames[1:] {
		c.paths[n], c.extra[n] = "", ""
		fs.Func(n, fmt.Sprintf("path of %s (default: found in PATH, $GOBIN, $GOPATH/bin, ~/go/bin)", n), setter(c.paths, n))
		fs.Func(n+"-flags", fmt.Sprintf("extra flags of the %s command, e.g. --%s-flags='%s'", n, n, exampleFlags[n]), setter(c.extra, n))
	}
	fs.StringVar(&c.endpointURL, "endpoint-url", "", "S3 endpoint instead of a local MinIO (keys from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN)")
	fs.StringVar(&c.bucket, "bucket", "", "existing bucket on --endpoint-url (required with it)")
	fs.StringVar(&c.region, "region", "", "signing region with --endpoint-url (default AWS_REGION, else us-east-1)")
	fs.BoolVar(&c.pathStyle, "path-style", true, "address buckets by path (MinIO, versitygw, FlashBlade); false for virtual-host addressing")
	fs.StringVar(&c.work, "work", "", "directory for the generated files (default: the system's temporary directory)")
	fs.StringVar(&c.out, "out", "", "directory to write report.md and runs.json into, besides printing the report")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	bad := func(format string, a ...any) (*config, error) {
		err := fmt.Errorf(format, a...)
		fmt.Fprintln(fs.Output(), err)
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return bad("unexpected arguments %q: s3peers takes flags only", fs.Args())
	case c.runs < 1:
		return bad("--runs %d: want at least 1", c.runs)
	case c.smallFiles < 0 || c.largeFiles < 0 || c.smallFiles+c.largeFiles == 0:
		return bad("--small-files and --large-files: want at least one file")
	case c.endpointURL != "" && c.bucket == "":
		return bad("--endpoint-url needs --bucket (an existing bucket)")
	case c.endpointURL == "" && c.bucket != "":
		return bad("--bucket needs --endpoint-url; without it a local MinIO with a bucket of its own is used")
	}
	for _, n := range strings.Split(c.tools, ",") {
		if !slices.Contains(toolNames, strings.TrimSpace(n)) {
			return bad("--tools: unknown tool %q: want %s", n, strings.Join(toolNames, ", "))
		}
	}
	return c, nil
}

var exampleFlags = map[string]string{
	toolMC:     "--disable-multipart",
	toolRclone: "--transfers 16 --s3-upload-concurrency 16",
	toolAWS:    "--no-progress",
}

func setter(m map[string]string, key string) func(string) error {
	return func(v string) error { m[key] = v; return nil }
}

// byteSize is a flag of bytes with an optional KiB, MiB or GiB suffix.
type byteSize int64

func (b *byteSize) String() string { return formatBytes(int64(*b)) }

func (b *byteSize) Set(s string) error {
	n, err := parseBytes(s)
	if err != nil {
		return err
	}
	*b = byteSize(n)
	return nil
}

// parseBytes reads "262144", "256KiB", "256MiB", "1GiB" (also K, M, G).
func parseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSuffix(t, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("size %q: want a positive number of bytes, with an optional KiB, MiB or GiB suffix", s)
	}
	return n * mult, nil
}

// workload is a directory of files of one size.
type workload struct {
	name  string
	files int
	size  int64
	dir   string
}

func (w workload) total() int64 { return int64(w.files) * w.size }

// label is "500 × 256 KiB".
func (w workload) label() string { return fmt.Sprintf("%d × %s", w.files, formatBytes(w.size)) }

func run(ctx context.Context, c *config) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("this program's path, to run its commit command: %w", err)
	}
	var names []string
	for _, n := range strings.Split(c.tools, ",") {
		names = append(names, strings.TrimSpace(n))
	}
	tools := findTools(names, c.paths, c.extra, self)
	for _, t := range tools {
		if t.missing != "" {
			log.Printf("%s: skipped: %s", t.name, t.missing)
		}
	}
	s, stopStore, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer stopStore()
	work, err := os.MkdirTemp(c.work, "s3peers-")
	if err != nil {
		return fmt.Errorf("work directory: %w", err)
	}
	defer os.RemoveAll(work)
	conf := filepath.Join(work, "conf")
	if err := os.MkdirAll(conf, 0o700); err != nil {
		return err
	}
	if err := writeToolConfig(s.store, conf); err != nil {
		return err
	}
	var ws []workload
	if c.smallFiles > 0 {
		ws = append(ws, workload{name: "small", files: c.smallFiles, size: int64(c.smallSize)})
	}
	if c.largeFiles > 0 {
		ws = append(ws, workload{name: "large", files: c.largeFiles, size: int64(c.largeSize)})
	}
	for i := range ws {
		ws[i].dir = filepath.Join(work, "src-"+ws[i].name)
		log.Printf("generating %s in %s", ws[i].label(), ws[i].dir)
		if err := generate(ws[i]); err != nil {
			return err
		}
	}
	stamp := time.Now().UTC().Format("20060102T150405Z")
	r := &report{
		Started:  time.Now().UTC(),
		Machine:  machineDescription(),
		Store:    s.name,
		Runs:     c.runs,
		Versions: map[string]string{},
	}
	if s.version != "" {
		r.Versions["minio"] = s.version
	}
	var active []*tool
	for _, t := range tools {
		r.Tools = append(r.Tools, toolReport{Name: t.name, Command: t.display(), Version: t.version, Note: t.note, Missing: t.missing})
		if t.missing == "" {
			active = append(active, t)
		}
	}
	// A warm-up copy of every tool, not recorded: the server's first
	// requests are slower, and a tool that cannot write at all is found
	// before the measurements.
	warm := workload{name: "warm-up", files: 20, size: 64 << 10, dir: filepath.Join(work, "src-warm-up")}
	if err := generate(warm); err != nil {
		return err
	}
	failed := map[string]string{}
	for _, t := range active {
		res := measure(ctx, s, t, warm, fmt.Sprintf("s3peers/%s/warm-up-%s", stamp, t.name), work, conf)
		if res.Error != "" {
			log.Printf("%s: warm-up failed, skipped: %s", t.name, res.Error)
			failed[t.name] = "warm-up failed: " + res.Error
		}
	}
	if err := os.RemoveAll(warm.dir); err != nil {
		return err
	}
	for _, w := range ws {
		var group []*tool
		for _, t := range active {
			if failed[t.name] == "" {
				group = append(group, t)
			}
		}
		samples := map[string][]sample{}
		// The runs are interleaved, each round starting one tool further,
		// so that a drift of the machine or the server weighs on every
		// tool alike.
		for rep := range c.runs {
			for k := range group {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				t := group[(k+rep)%len(group)]
				if len(samples[t.name]) > 0 && samples[t.name][len(samples[t.name])-1].Error != "" {
					continue // failed once: its runs stop
				}
				prefix := fmt.Sprintf("s3peers/%s/%s-%s-r%d", stamp, w.name, t.name, rep+1)
				res := measure(ctx, s, t, w, prefix, work, conf)
				samples[t.name] = append(samples[t.name], res)
				line := fmt.Sprintf("%-8s %-8s run %d/%d: wall %.2fs, client CPU %.2fs", w.label(), t.name, rep+1, c.runs, res.Wall, res.CPU)
				if res.ServerCPU > 0 {
					line += fmt.Sprintf(", MinIO CPU %.2fs", res.ServerCPU)
				}
				if res.Error != "" {
					line += " ERROR: " + res.Error
				}
				log.Print(line)
			}
		}
		wr := workloadReport{Name: w.name, Label: w.label(), Files: w.files, BytesPerFile: w.size}
		for _, t := range tools {
			if t.missing != "" {
				continue
			}
			tr := toolResult{Tool: t.name, Samples: samples[t.name], Error: failed[t.name]}
			for _, x := range tr.Samples {
				if x.Error != "" && tr.Error == "" {
					tr.Error = x.Error
				}
			}
			wr.Results = append(wr.Results, tr)
		}
		r.Workloads = append(r.Workloads, wr)
	}
	md := markdown(r)
	fmt.Print(md)
	if c.out != "" {
		if err := writeReport(c.out, r, md); err != nil {
			return err
		}
		log.Printf("report: %s", filepath.Join(c.out, "report.md"))
	}
	return nil
}

// target is the store of the run with what only a local MinIO has.
type target struct {
	*store
	name    string
	version string
	dataDir string
	pid     int
	client  *s3client
}

// openStore starts the local MinIO and creates a bucket, or checks the
// endpoint's credentials.
func openStore(ctx context.Context, c *config) (*target, func(), error) {
	if c.endpointURL != "" {
		ak, sk := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
		if ak == "" || sk == "" {
			return nil, nil, errors.New("--endpoint-url needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: every tool is given the same keys")
		}
		region := cmpOr(c.region, os.Getenv("AWS_REGION"), os.Getenv("AWS_DEFAULT_REGION"), "us-east-1")
		s := &store{endpoint: c.endpointURL, bucket: c.bucket, region: region, pathStyle: c.pathStyle,
			accessKey: ak, secretKey: sk, token: os.Getenv("AWS_SESSION_TOKEN")}
		cl, err := newS3Client(ctx, s)
		if err != nil {
			return nil, nil, err
		}
		return &target{store: s, name: c.endpointURL, client: cl}, func() {}, nil
	}
	srv, err := localminio.Start(ctx)
	if err != nil {
		return nil, nil, err
	}
	s := &store{endpoint: srv.Endpoint, bucket: "s3peers-" + randomHex(4), region: localminio.Region, pathStyle: true,
		accessKey: localminio.AccessKey, secretKey: localminio.SecretKey, local: true}
	cl, err := newS3Client(ctx, s)
	if err == nil {
		err = cl.createBucket(ctx)
	}
	if err != nil {
		srv.Stop()
		return nil, nil, err
	}
	version := srv.Version
	// A MinIO built with `go install` reports no release: its module
	// version says which it is.
	if bi, err := buildinfo.ReadFile(srv.Bin); err == nil && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		version = bi.Main.Path + "@" + bi.Main.Version
	}
	return &target{store: s, name: "local MinIO", version: version, dataDir: srv.DataDir, pid: srv.PID, client: cl}, srv.Stop, nil
}

func cmpOr(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// machineDescription is the CPU model and the cores.
func machineDescription() string {
	cpu := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v) + ", "
				break
			}
		}
	}
	return fmt.Sprintf("%s%d cores, %s/%s", cpu, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
}
