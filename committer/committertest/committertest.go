// Package committertest is the protocol suite that every implementation of
// [committer.Committer] must pass. It drives jobs and task attempts through
// the protocol of package committer — lifecycle, duplicate and competing
// commits, aborts at every stage, jobs sharing or neighbouring a
// destination, the conflict modes, injected store failures, interrupted
// commits resumed or rolled back by a new committer instance, tampered
// pendingsets and names that try to escape — and after every scenario it
// checks the protocol's invariants against the store itself:
//
//   - the objects under the scenario's prefix are exactly the files of the
//     committed task attempts (plus whatever the scenario put there itself),
//     with their exact bytes;
//   - no multipart upload remains for any key any attempt could have
//     written, listed by exact key so that the check works on MinIO;
//   - _SUCCESS exists exactly when the job committed, names the job, and
//     lists exactly the job's files with their sizes and ETags
//     (success.Verify must pass where nothing else lives under the
//     destination);
//   - objects of other jobs, older data and neighbouring destinations are
//     untouched.
//
// An implementation runs it from a test:
//
//	func TestProtocol(t *testing.T) {
//		committertest.Run(t, committertest.Harness{
//			NewStore: func(t testing.TB) multipart.Store { return memstore.New("bucket") },
//			NewCommitter: func(t testing.TB, cfg committertest.Config) (committer.Committer, error) {
//				return mycommitter.New(cfg.Store, mycommitter.Options{...from cfg...})
//			},
//			PendingSetPath: mycommitter.PendingSetPath,
//		})
//	}
//
// Each scenario uses a destination prefix of its own on the shared store and
// its own staging and buffer directories, so the bucket may be shared with
// other tests. Scenarios run in parallel.
package committertest

import (
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/multipart"
)

// Config is what a scenario asks of the committer under test. The harness
// turns it into the implementation's options.
type Config struct {
	// Store is the store the committer writes to. Scenarios that inject
	// faults pass a faultstore wrapping the harness's store.
	Store multipart.Store
	// StagingDir is the staging directory shared by the driver and every
	// task; BufferDir is where task attempts write their files. Committers
	// built with the same directories see the same jobs, as processes on
	// one shared volume would.
	StagingDir, BufferDir string
	// Destination is the key prefix of the job's output, without a
	// trailing '/'.
	Destination string
	// Mode is the committer mode (directory or partitioned).
	Mode committer.Mode
	// Conflict is the conflict mode.
	Conflict committer.ConflictMode
	// KeepStateOnFailure keeps the state of a job commit that failed for
	// good, so that a later CommitJob can resume it, instead of reverting.
	KeepStateOnFailure bool
}

// Harness tells the suite how to build the store and the committer under
// test.
type Harness struct {
	// NewStore returns a Store on a bucket that exists. Scenarios share it
	// (and the bucket may be shared with other tests): each writes under a
	// destination prefix of its own.
	NewStore func(t testing.TB) multipart.Store
	// NewCommitter returns a committer with the given configuration, with
	// unique filenames on (the default of Hadoop's staging committers). It
	// is called several times per scenario with the same directories, to
	// act as several processes sharing a staging dir, and to resume or
	// abort a job after an interrupted commit.
	NewCommitter func(t testing.TB, cfg Config) (committer.Committer, error)
	// PendingSetPath returns the path of the pendingset a committed task
	// leaves in the staging dir. The suite rewrites it to check that job
	// commit refuses corrupt or hostile pendingsets.
	PendingSetPath func(stagingDir, jobID, taskID string) string
	// ReadPendingSet and WritePendingSet, when set, read and write the
	// pendingset of a task for a committer that keeps its records
	// elsewhere than in files under the staging directory (in the store);
	// PendingSetPath is then unused. stagingDir is Config.StagingDir.
	ReadPendingSet  func(t testing.TB, stagingDir, jobID, taskID string) ([]byte, error)
	WritePendingSet func(t testing.TB, stagingDir, jobID, taskID string, data []byte) error
	// Modes lists the committer modes to run the suite in; empty means
	// both directory and partitioned.
	Modes []committer.Mode
	// Behavior lists where the store departs from AWS S3.
	Behavior Behavior
}

// Behavior flags the ways a store departs from AWS S3 that change what the
// suite asserts. The zero value is AWS S3's behaviour.
type Behavior struct {
	// IgnoresIfNoneMatch: the store accepts If-None-Match: * on
	// CompleteMultipartUpload and overwrites an existing object anyway, so
	// a writer racing a fail-mode job commit is not caught.
	IgnoresIfNoneMatch bool
}

// scenario is one case of the suite.
type scenario struct {
	name string
	// modes limits the scenario to these committer modes; nil means all.
	modes []committer.Mode
	run   func(t *testing.T, e *env)
}

var (
	directoryOnly   = []committer.Mode{committer.ModeDirectory}
	partitionedOnly = []committer.Mode{committer.ModePartitioned}
)

// Run runs the suite as subtests of t: one group per mode, one subtest per
// scenario.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.NewStore == nil || h.NewCommitter == nil || (h.PendingSetPath == nil && (h.ReadPendingSet == nil || h.WritePendingSet == nil)) {
		t.Fatal("committertest: Harness.NewStore, Harness.NewCommitter and Harness.PendingSetPath (or ReadPendingSet and WritePendingSet) are required")
	}
	modes := h.Modes
	if len(modes) == 0 {
		modes = []committer.Mode{committer.ModeDirectory, committer.ModePartitioned}
	}
	s := &suite{h: h}
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			for _, sc := range scenarios() {
				if sc.modes != nil && !containsMode(sc.modes, mode) {
					continue
				}
				t.Run(sc.name, func(t *testing.T) {
					t.Parallel()
					sc.run(t, s.newEnv(t, mode))
				})
			}
		})
	}
}

// scenarios returns every scenario of the suite, grouped by concern.
func scenarios() []scenario {
	var all []scenario
	all = append(all, lifecycleScenarios()...)
	all = append(all, abortScenarios()...)
	all = append(all, concurrencyScenarios()...)
	all = append(all, conflictScenarios()...)
	all = append(all, faultScenarios()...)
	all = append(all, validationScenarios()...)
	return all
}

func containsMode(modes []committer.Mode, m committer.Mode) bool {
	for _, x := range modes {
		if x == m {
			return true
		}
	}
	return false
}

type suite struct {
	h Harness
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
