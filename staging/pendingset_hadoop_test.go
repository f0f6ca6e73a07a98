package staging_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/internal/hadoopvalidate"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/pendingset"
	"github.com/s3commit/s3commit/staging"
)

// TestPendingSetsHadoopReads runs a job of two tasks in each staging home
// (a directory, and s3:// on memstore), committer mode and checksum mode,
// and checks that Hadoop would load every pendingset the tasks publish
// (package hadoopvalidate): Hadoop 3.4, "etags" as strings, by default;
// Hadoop trunk, "etags" as objects, with HadoopTrunkPendingsets.
func TestPendingSetsHadoopReads(t *testing.T) {
	homes := []struct {
		name    string
		options func(e *env, mod func(*staging.Options)) staging.Options
		read    func(t *testing.T, e *env, jobID, taskID string) []byte
	}{
		{"directory", (*env).options, func(t *testing.T, e *env, jobID, taskID string) []byte {
			data, err := os.ReadFile(staging.PendingSetPath(e.stagingDir, jobID, taskID))
			require.NoError(t, err)
			return data
		}},
		{"store", (*env).storeHomeOptions, func(t *testing.T, e *env, jobID, taskID string) []byte {
			rc, _, err := e.mem.GetObject(context.Background(), "_staging/"+jobID+"/tasks/"+taskID+".pendingset")
			require.NoError(t, err)
			defer rc.Close()
			data, err := io.ReadAll(rc)
			require.NoError(t, err)
			return data
		}},
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), (6<<20)/16) // two parts of 5 MiB
	files := map[string]map[string][]byte{
		"task-0": {"part 0 é.txt": []byte("zero\n"), "dt=2026-01-02/ü 1.json": []byte("{}\n")},
		"task-1": {"big-1.bin": big, "dt=2026-01-03/a+b%c.json": []byte("[]\n")},
	}
	for _, home := range homes {
		for _, mode := range []committer.Mode{committer.ModeDirectory, committer.ModePartitioned} {
			for _, sums := range []multipart.ChecksumMode{multipart.ChecksumStoreVerified, multipart.ChecksumRecordOnly, multipart.ChecksumOff} {
				for _, trunk := range []bool{false, true} {
					t.Run(fmt.Sprintf("%s/%s/%s/trunk=%v", home.name, mode, sums, trunk), func(t *testing.T) {
						t.Parallel()
						ctx := context.Background()
						e := newEnv(t)
						c, err := staging.New(e.fault, home.options(e, func(o *staging.Options) {
							o.Mode, o.Checksums, o.PartSize = mode, sums, multipart.MinPartSize
							o.HadoopTrunkPendingsets = trunk
						}))
						require.NoError(t, err)
						j, err := c.SetupJob(ctx, "")
						require.NoError(t, err)
						want := map[string]string{}
						for _, task := range []string{"task-0", "task-1"} {
							a, err := j.SetupTask(ctx, task, 0)
							require.NoError(t, err)
							for rel, data := range files[task] {
								w, err := a.Create(rel)
								require.NoError(t, err)
								_, err = w.Write(data)
								require.NoError(t, err)
								require.NoError(t, w.Close())
								want[e.key(j.ID(), rel)] = string(data)
							}
							require.NoError(t, a.CommitTask(ctx))

							data := home.read(t, e, j.ID(), task)
							require.NoError(t, hadoopvalidate.PendingSet(data), "a current Hadoop reads:\n%s", data)
							reads, refuses := hadoopvalidate.Hadoop34, hadoopvalidate.Trunk
							if trunk {
								reads, refuses = refuses, reads
							}
							require.NoError(t, reads.PendingSet(data), "%s reads:\n%s", reads.Name, data)
							require.Error(t, refuses.PendingSet(data), "%s reads the other form of etags only", refuses.Name)

							s, err := pendingset.DecodeSet(bytes.NewReader(data))
							require.NoError(t, err)
							assert.Equal(t, pendingset.SetVersion, s.Version)
							for _, p := range s.Commits {
								assert.Equal(t, sums != multipart.ChecksumOff, !p.Checksum.IsZero(), "whole-file checksum of %s", p.Key)
							}
						}
						require.NoError(t, j.CommitJob(ctx))
						e.requireCommitted(t, j.ID(), want, nil)
					})
				}
			}
		}
	}
}
