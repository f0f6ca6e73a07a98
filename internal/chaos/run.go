package chaos

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/awsstore"
)

// Target is an S3-compatible server a run writes to, reached directly
// for the checks and through a proxy of its own for the jobs.
type Target struct {
	// Name is the server's kind, "minio" or "versitygw"; MinIO's upload
	// listing is checked bucket-wide.
	Name string
	// Endpoint is the server's URL, http://127.0.0.1:PORT.
	Endpoint        string
	Region          string
	AccessKeyID     string
	SecretAccessKey string
	// Bucket is an empty bucket the run may fill.
	Bucket string
	// Version is the server's version, for the report.
	Version string
}

// Config is a chaos run.
type Config struct {
	// Seed draws every job's plan.
	Seed uint64
	// Jobs is how many jobs the run has (indexes 0 to Jobs-1); Duration,
	// when not zero, stops it from starting more after that time.
	Jobs     int
	Duration time.Duration
	// Only, when not empty, runs just these job indexes: a replay.
	Only []int
	// Scenarios are the scenarios jobs are drawn from; empty for all.
	Scenarios []Scenario
	// Targets are the servers; job i runs on Targets[i % len(Targets)]
	// (a cut-completion job on the one named "minio"), and the jobs of
	// different targets run at the same time.
	Targets []Target
	// Toxiproxy is the path of toxiproxy-server; Binaries the commands
	// the jobs run.
	Toxiproxy string
	Binaries  Binaries
	// WorkDir holds the staging and buffer dirs and the logs of the jobs.
	WorkDir string
	// LogDir, when not empty, receives the logs of the jobs with
	// violations; KeepLogs keeps every job's log there.
	LogDir   string
	KeepLogs bool
	// Source is the commit the binaries were built from, for the report.
	Source string
	// Replay is the command that runs the same plans, with "%d" for a
	// job's index, for reports; Command the one that ran this run.
	Replay  string
	Command string
	// LogLevel, when not empty, is the datajob's --log-level (debug shows
	// the committer's retries in the logs).
	LogLevel string
	// Progress, when not nil, receives a line per job.
	Progress io.Writer
}

// target is a Target of a running run.
type target struct {
	Target
	proxy      *Proxy
	store      multipart.Store // directly, not through the proxy; retried
	stagingDir string
	bufferDir  string
	noFile     string // a path that does not exist, for the AWS config files

	mu       sync.Mutex
	reported map[string]bool // leftover uploads reported, by upload ID
}

// reportUpload reports whether a leftover upload is seen for the first
// time, and remembers it.
func (t *target) reportUpload(id string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.reported[id] {
		return false
	}
	if t.reported == nil {
		t.reported = map[string]bool{}
	}
	t.reported[id] = true
	return true
}

// forgetUpload forgets a leftover upload that the listing no longer shows.
func (t *target) forgetUpload(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.reported, id)
}

func (t *target) proxyURL() string { return "http://" + t.proxy.Listen }

// env returns the environment of a job's process: the AWS variables of
// the target (and nothing of the caller's AWS configuration), and for the
// CLI (cli) the endpoint through the proxy with path-style addressing.
func (t *target) env(cli bool) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "AWS_") || strings.HasPrefix(name, "S3COMMIT_") || name == "JOB_COMPLETION_INDEX" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"AWS_ACCESS_KEY_ID="+t.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+t.SecretAccessKey,
		"AWS_REGION="+t.Region, "AWS_CONFIG_FILE="+t.noFile, "AWS_SHARED_CREDENTIALS_FILE="+t.noFile,
		"AWS_EC2_METADATA_DISABLED=true")
	if cli {
		env = append(env, "AWS_ENDPOINT_URL="+t.proxyURL(), "S3COMMIT_PATH_STYLE=true")
	}
	return env
}

// runner runs the jobs of a run.
type runner struct {
	cfg      Config
	datajob  string
	s3commit string
}

// Run runs the jobs of cfg — each as real processes of the example data
// job and the s3commit CLI, against the targets through toxiproxy, with
// the network faults and kills its plan draws from the seed, then the
// operator's recovery with the network fixed — and checks each job
// against the store. Timing varies between runs of the same seed (real
// processes, real servers); the plans do not. The report counts every
// fault, kill, recovery, outcome and violation; Run returns an error only
// when the run itself could not run.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if len(cfg.Targets) == 0 {
		return nil, fmt.Errorf("chaos: no target")
	}
	started := time.Now()
	rep := &Report{
		Seed: cfg.Seed, Started: started, Command: cfg.Command, Source: cfg.Source, Scenarios: cfg.Scenarios,
		Servers: map[string]string{}, Toxiproxy: BinaryVersion(cfg.Toxiproxy), Machine: ThisMachine(),
		Total: newCounts(), ByTarget: map[string]*Counts{}, ByScenario: map[Scenario]*ScenarioCounts{},
		Stopped: "count",
	}
	if len(rep.Scenarios) == 0 {
		rep.Scenarios = Scenarios
	}
	r := &runner{cfg: cfg, datajob: cfg.Binaries.Datajob, s3commit: cfg.Binaries.S3commit}
	targets := map[string]*target{}
	var names []string
	for _, tg := range cfg.Targets {
		// A toxiproxy per target: a restart of one cuts no other's
		// connections.
		tp, err := StartToxiproxy(ctx, cfg.Toxiproxy, filepath.Join(cfg.WorkDir, "toxiproxy-"+tg.Name+".log"))
		if err != nil {
			return nil, err
		}
		defer tp.Stop()
		t, err := r.openTarget(ctx, tp, tg)
		if err != nil {
			return nil, err
		}
		targets[tg.Name] = t
		names = append(names, tg.Name)
		rep.Servers[tg.Name] = tg.Version
		rep.ByTarget[tg.Name] = newCounts()
	}

	indexes := cfg.Only
	if len(indexes) == 0 {
		for i := range cfg.Jobs {
			indexes = append(indexes, i)
		}
	}
	queues := map[string][]*JobPlan{}
	for _, i := range indexes {
		p := NewPlan(cfg.Seed, i, names, cfg.Scenarios)
		queues[p.Target] = append(queues[p.Target], p)
	}
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		results = map[int]*JobResult{}
		done    int
	)
	for name, plans := range queues {
		t := targets[name]
		wg.Go(func() {
			for _, p := range plans {
				if ctx.Err() != nil {
					return
				}
				if cfg.Duration > 0 && time.Since(started) > cfg.Duration {
					mu.Lock()
					rep.Stopped = "time"
					mu.Unlock()
					return
				}
				res, log := r.job(ctx, t, p)
				mu.Lock()
				results[p.Index] = res
				done++
				n := done
				mu.Unlock()
				r.keepLog(res, log)
				if cfg.Progress != nil {
					fmt.Fprintf(cfg.Progress, "%s\n", progressLine(n, len(indexes), p, res))
				}
			}
		})
	}
	wg.Wait()
	for _, i := range indexes {
		if res := results[i]; res != nil {
			rep.add(res, fmt.Sprintf(cfg.Replay, i))
		}
	}
	rep.Duration = time.Since(started)
	return rep, ctx.Err()
}

// job runs one job and returns its result and log.
func (r *runner) job(ctx context.Context, t *target, p *JobPlan) (*JobResult, []byte) {
	j := r.runJob(ctx, t, p)
	return j.res, j.log.Bytes()
}

// keepLog writes the log of a job with violations (of every job with
// KeepLogs) into LogDir, or WorkDir/logs.
func (r *runner) keepLog(res *JobResult, log []byte) {
	if len(res.Violations) == 0 && !r.cfg.KeepLogs {
		return
	}
	dir := r.cfg.LogDir
	if dir == "" {
		dir = filepath.Join(r.cfg.WorkDir, "logs")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	path := filepath.Join(dir, fmt.Sprintf("job-%04d-%s.log", res.Index, res.Target))
	if os.WriteFile(path, log, 0o644) == nil {
		res.Log = path
	}
}

// progressLine describes a finished job in one line.
func progressLine(n, total int, p *JobPlan, res *JobResult) string {
	faults, kills := 0, 0
	for _, c := range res.Faults {
		faults += c
	}
	for _, c := range res.Kills {
		kills += c
	}
	s := fmt.Sprintf("[%d/%d] job %d %s %s: %s (reported %q), %d faults, %d kills, %.1fs",
		n, total, p.Index, p.Target, p.Scenario, res.Outcome, res.Reported, faults, kills, res.Duration.Seconds())
	if res.CutCompletion {
		s += ", completion cut off in flight reported"
	}
	if len(res.Violations) > 0 {
		s += fmt.Sprintf(", %d VIOLATIONS: %s", len(res.Violations), strings.Join(res.Violations, "; "))
	}
	return s
}

// openTarget creates the target's proxy, its direct store and its
// staging and buffer dirs.
func (r *runner) openTarget(ctx context.Context, tp *Toxiproxy, tg Target) (*target, error) {
	host := strings.TrimPrefix(strings.TrimPrefix(tg.Endpoint, "http://"), "https://")
	proxy, err := tp.CreateProxy(ctx, tg.Name, host)
	if err != nil {
		return nil, err
	}
	st, err := awsstore.New(ctx, awsstore.Options{
		Bucket:       tg.Bucket,
		EndpointURL:  tg.Endpoint,
		Region:       tg.Region,
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(tg.AccessKeyID, tg.SecretAccessKey, ""),
	})
	if err != nil {
		return nil, fmt.Errorf("chaos: store of %s: %w", tg.Name, err)
	}
	t := &target{
		Target:     tg,
		proxy:      proxy,
		store:      multipart.NewRetryingStore(st, multipart.RetryPolicy{}, nil),
		stagingDir: filepath.Join(r.cfg.WorkDir, tg.Name, "staging"),
		bufferDir:  filepath.Join(r.cfg.WorkDir, tg.Name, "buffer"),
		noFile:     filepath.Join(r.cfg.WorkDir, "no-such-file"),
	}
	for _, d := range []string{t.stagingDir, t.bufferDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("chaos: %w", err)
		}
	}
	return t, nil
}
