//go:build !race

package staging

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
)

// Regression tests of the windows the crash-point explorer found in
// setting up and removing a job: each injects one fault at the named
// staging-dir operation of a job's setup or end and checks that no
// process can mistake what is left for a job, and that a lost answer
// costs nothing.
func TestSetupAndRemovalOfAJobUnderFaults(t *testing.T) {
	cfg := exploreConfig{mode: committer.ModeDirectory, conflict: committer.ConflictAppend, unique: true}
	tests := []struct {
		name  string
		phase string // "setup" or "end" (an AbortJob of a set-up job)
		op    string // the staging-dir operation (fs kind) hit
		match string // in its path
		fault fault
		// setupOK says whether SetupJob must succeed.
		setupOK bool
	}{
		{"crash writing the job record", "setup", "write", ".job.json", faultCrash, false},
		{"torn job record", "setup", "write", ".job.json", faultTorn, false},
		{"crash renaming the job into place", "setup", "rename", "job", faultCrash, false},
		{"lost answer to making the setup dir", "setup", "mkdir", ".setup-job", faultLost, true},
		{"lost answer to renaming the record", "setup", "rename", "job.json", faultLost, true},
		{"lost answer to renaming the job into place", "setup", "rename", "job", faultLost, true},
		{"crash renaming the job to the trash", "end", "rename", ".trash-job", faultCrash, true},
		{"crash removing the trash", "end", "remove", ".trash-job", faultCrash, true},
		{"lost answer to renaming the job to the trash", "end", "rename", ".trash-job", faultLost, true},
		{"error renaming the job to the trash", "end", "rename", ".trash-job", faultError, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, memstoreBackend, cfg)
			defer w.close()
			ctx := context.Background()
			in := newInjector(0, tt.fault, func() {})
			in.pick = func(p point) bool {
				return p.kind == "fs" && p.op == tt.op && strings.Contains(p.name, tt.match) && in.phase == tt.phase
			}
			c, err := w.process(in)
			require.NoError(t, err)
			in.phase = "setup"
			j, err := c.SetupJob(ctx, exploreJob)
			if tt.phase == "setup" {
				require.NotNil(t, in.fired, "the fault fired")
				if !tt.setupOK {
					require.Error(t, err)
					// A new process: the job is not there, and opening it
					// removes what the crash left.
					c2, err := w.process(nil)
					require.NoError(t, err)
					_, err = c2.OpenJob(ctx, exploreJob)
					require.ErrorIs(t, err, committer.ErrJobNotFound)
					assertEmpty(t, w.staging)
					return
				}
				require.NoError(t, err)
				_, err = w.process(nil)
				require.NoError(t, err)
				c2, _ := w.process(nil)
				j2, err := c2.OpenJob(ctx, exploreJob)
				require.NoError(t, err, "the job is there, whole")
				require.NoError(t, j2.AbortJob(ctx))
				assertEmpty(t, w.staging)
				return
			}
			require.NoError(t, err)
			in.phase = "end"
			err = j.AbortJob(ctx)
			require.NotNil(t, in.fired, "the fault fired")
			if in.hasCrashed() || err != nil {
				// Recovery in a new process.
				c2, err := w.process(nil)
				require.NoError(t, err)
				if j2, err := c2.OpenJob(ctx, exploreJob); err == nil {
					require.NoError(t, j2.AbortJob(ctx))
				} else {
					require.ErrorIs(t, err, committer.ErrJobNotFound)
				}
			}
			assertEmpty(t, w.staging)
		})
	}
}

func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Empty(t, names, "the staging dir holds nothing")
}
