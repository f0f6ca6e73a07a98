package chaos

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/internal/testserver"
)

func TestMain(m *testing.M) { testserver.Run(m) }

// The flags of `make chaos` (TestChaos).
var (
	flagSeed      = flag.Uint64("chaos.seed", 0, "seed of the run (0: drawn from the clock, and printed)")
	flagJobs      = flag.Int("chaos.jobs", 0, "jobs of the run; 0 skips TestChaos")
	flagDuration  = flag.Duration("chaos.duration", 0, "start no job after this time (0: no limit)")
	flagOnly      = flag.String("chaos.only", "", "comma-separated job indexes to run alone (replay a job of a seed)")
	flagScenarios = flag.String("chaos.scenarios", "", "comma-separated scenarios to draw from (mixed, cut-completion, lost-answers; default all)")
	flagTargets   = flag.String("chaos.targets", "minio,versitygw", "comma-separated servers")
	flagResults   = flag.String("chaos.results", "", "directory under which a run writes <UTC time>-seed<seed>/report.md, report.json and the logs of jobs with violations")
	flagKeepLogs  = flag.Bool("chaos.keep-logs", false, "keep every job's log in the results (or the test's temporary) directory")
	flagLogLevel  = flag.String("chaos.log-level", "", "the datajob's --log-level (debug shows the committer's retries)")
)

// shortSeed, shortJobs and shortDuration bound the run of `make test`:
// the same plans every time, about a minute on a 2-core machine.
const (
	shortSeed     = 20261205
	shortJobs     = 40
	shortDuration = 40 * time.Second
)

// TestChaosShort is the chaos run of `make test`: a bounded run on MinIO
// and versitygw through toxiproxy, which fails on any violation. A
// missing server binary or toxiproxy fails it with how to install them.
// -chaos.seed changes its seed.
func TestChaosShort(t *testing.T) {
	if testing.Short() {
		t.Skip("starts MinIO, versitygw, toxiproxy and many processes")
	}
	seed := uint64(shortSeed)
	if *flagSeed != 0 {
		seed = *flagSeed
	}
	rep := runChaos(t, Config{Seed: seed, Jobs: shortJobs, Duration: shortDuration},
		"go test ./internal/chaos -run 'TestChaosShort$' -chaos.seed %d")
	require.NotZero(t, rep.Total.Jobs, "no job ran")
}

// TestChaos is `make chaos`: a run of -chaos.jobs jobs (and at most
// -chaos.duration), skipped without -chaos.jobs.
func TestChaos(t *testing.T) {
	if *flagJobs == 0 && *flagOnly == "" {
		t.Skip("make chaos runs it: give -chaos.jobs N (and -chaos.seed, -chaos.duration, -chaos.results)")
	}
	seed := *flagSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano()%1_000_000_000) + 1
	}
	cfg := Config{Seed: seed, Jobs: *flagJobs, Duration: *flagDuration, KeepLogs: *flagKeepLogs, LogLevel: *flagLogLevel}
	for s := range strings.SplitSeq(*flagOnly, ",") {
		if s = strings.TrimSpace(s); s != "" {
			i, err := strconv.Atoi(s)
			require.NoError(t, err, "-chaos.only")
			cfg.Only = append(cfg.Only, i)
		}
	}
	for s := range strings.SplitSeq(*flagScenarios, ",") {
		if s = strings.TrimSpace(s); s != "" {
			require.Contains(t, Scenarios, Scenario(s), "-chaos.scenarios")
			cfg.Scenarios = append(cfg.Scenarios, Scenario(s))
		}
	}
	replay := "make chaos SEED=%d"
	if *flagScenarios != "" {
		replay += " SCENARIOS=" + *flagScenarios
	}
	if *flagTargets != "minio,versitygw" {
		replay += " TARGETS=" + *flagTargets
	}
	runChaos(t, cfg, replay)
}

// runChaos starts the servers and toxiproxy, builds the binaries, runs
// cfg and fails the test on any violation. replay is the command that
// replays the run, with %d for the seed; " ONLY=%d" (or -chaos.only)
// is added for a job.
func runChaos(t *testing.T, cfg Config, replay string) *Report {
	t.Helper()
	ctx := context.Background()
	bin, err := FindToxiproxy()
	require.NoError(t, err)
	cfg.Toxiproxy = bin

	for name := range strings.SplitSeq(*flagTargets, ",") {
		var srv *testserver.Server
		switch strings.TrimSpace(name) {
		case "minio":
			srv = testserver.NewMinIO(t)
		case "versitygw":
			srv = testserver.NewVersityGW(t)
		default:
			t.Fatalf("-chaos.targets: unknown server %q (minio, versitygw)", name)
		}
		cfg.Targets = append(cfg.Targets, Target{
			Name: srv.Name, Endpoint: srv.Endpoint, Region: srv.Region,
			AccessKeyID: srv.AccessKeyID, SecretAccessKey: srv.SecretAccessKey,
			Bucket: srv.CreateBucket(t), Version: serverVersion(srv.Name),
		})
	}

	root, err := testserver.ModuleRoot()
	require.NoError(t, err)
	cfg.WorkDir = t.TempDir()
	cfg.Source = SourceVersion(ctx, root)
	buildStart := time.Now()
	cfg.Binaries, err = Build(ctx, root, filepath.Join(cfg.WorkDir, "bin"))
	require.NoError(t, err)
	t.Logf("built datajob and s3commit in %v", time.Since(buildStart).Round(100*time.Millisecond))

	cfg.Command = fmt.Sprintf(replay, cfg.Seed)
	onlyFlag := " ONLY=%d"
	if !strings.HasPrefix(replay, "make ") {
		onlyFlag = " -chaos.only %d"
	}
	cfg.Replay = strings.ReplaceAll(cfg.Command, "%", "%%") + onlyFlag
	var resultsDir string
	if *flagResults != "" {
		resultsDir = filepath.Join(*flagResults, time.Now().UTC().Format("20060102T150405Z")+fmt.Sprintf("-seed%d", cfg.Seed))
		cfg.LogDir = filepath.Join(resultsDir, "logs")
	}
	cfg.Progress = testWriter{t}
	t.Logf("chaos run: seed %d, %d jobs at most, %v at most; replay with: %s", cfg.Seed, cfg.Jobs, cfg.Duration, cfg.Command)

	rep, err := Run(ctx, cfg)
	require.NoError(t, err)
	t.Logf("\n%s\n%s", rep.Table(), rep.ViolationsText())
	if resultsDir != "" {
		require.NoError(t, rep.WriteFiles(resultsDir))
		t.Logf("report written to %s", resultsDir)
	}
	require.Zero(t, rep.Total.Violations, "violations (seed %d): see above; replay a job with %s", cfg.Seed, fmt.Sprintf(cfg.Replay, 0))
	return rep
}

// serverVersion returns the version of the pinned server binary.
func serverVersion(name string) string {
	install := map[string]string{"minio": testserver.MinIOInstallPath, "versitygw": testserver.VersityGWInstallPath}[name]
	_, v, _ := strings.Cut(install, "@")
	return v
}

// testWriter writes lines to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
