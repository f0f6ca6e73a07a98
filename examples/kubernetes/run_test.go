package kubernetes

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/examples/internal/datajob"
	"github.com/s3commit/s3commit/internal/testserver"
	"github.com/s3commit/s3commit/multipart"
)

// testEvents is the number of events of the runs of the tests.
const testEvents = 10000

func TestMain(m *testing.M) {
	testserver.Run(m)
}

// cluster stands in for a cluster in the tests that run the manifests'
// containers: a MinIO for the store, a directory per PersistentVolumeClaim
// that every pod shares.
type cluster struct {
	srv    *testserver.Server
	bucket string
	store  multipart.Store
	m      *manifests
	claims string // parent of the claims' directories
}

func newCluster(t *testing.T, m *manifests) *cluster {
	t.Helper()
	srv := testserver.MinIO(t)
	bucket := srv.CreateBucket(t)
	// The credentials of the Secret are placeholders: the pods of the
	// test get the server's.
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretAccessKey)
	t.Setenv("AWS_REGION", srv.Region)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	return &cluster{srv: srv, bucket: bucket, store: srv.Store(t, bucket), m: m, claims: t.TempDir()}
}

// command returns the command line the kubelet would run for w on the
// test's cluster: variables expanded with the manifests' values, the S3
// settings pointing at the test's MinIO, and the paths under the volume
// mounts moved to the test's directories (one per claim, shared; one per
// pod for any other volume).
func (cl *cluster) command(t *testing.T, w workload) []string {
	t.Helper()
	env := containerEnv(t, cl.m, w)
	env["S3_ENDPOINT_URL"] = cl.srv.Endpoint
	env["S3_BUCKET"] = cl.bucket
	env["S3_PATH_STYLE"] = "true"
	volumes := map[string]volume{}
	for _, v := range w.volumes {
		volumes[v.Name] = v
	}
	podDir := t.TempDir()
	hostPath := func(p string) string {
		best := volumeMount{}
		for _, vm := range w.c.VolumeMounts {
			if under(p, vm.MountPath) && len(vm.MountPath) > len(best.MountPath) {
				best = vm
			}
		}
		require.NotEmpty(t, best.MountPath, "%s lies on no volume", p)
		rel, err := filepath.Rel(best.MountPath, p)
		require.NoError(t, err)
		dir := filepath.Join(podDir, best.Name)
		if v := volumes[best.Name]; v.PersistentVolumeClaim != nil {
			dir = filepath.Join(cl.claims, v.PersistentVolumeClaim.ClaimName)
		}
		return filepath.Join(dir, best.SubPath, rel)
	}
	var out []string
	for _, a := range w.args {
		v, err := expandVars(a, env)
		require.NoError(t, err)
		for _, flag := range []string{"--staging-dir=", "--buffer-dir="} {
			// A staging dir in the bucket (s3://...) is the test's
			// bucket already.
			if p, ok := strings.CutPrefix(v, flag); ok && !strings.HasPrefix(p, "s3://") {
				v = flag + hostPath(p)
			}
		}
		// Fewer events than the manifests generate keep the test short
		// under the race detector; the flow is the same.
		if strings.HasPrefix(v, "--events=") {
			v = "--events=" + strconv.Itoa(testEvents)
		}
		out = append(out, v)
	}
	return out
}

// run runs datajob with args in the test's process, as a pod would run
// it, and returns its exit code and output.
func run(t *testing.T, args []string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := datajob.Main(context.Background(), args, &out, &out)
	return code, out.String()
}

// runOK runs datajob with args as run does, requires it to succeed, and
// returns its output.
func runOK(t *testing.T, args []string) string {
	t.Helper()
	code, out := run(t, args)
	require.Equal(t, 0, code, "datajob %s:\n%s", strings.Join(args, " "), out)
	return out
}

// pending returns the keys of the uploads pending in the test's bucket.
func (cl *cluster) pending(t *testing.T) []string {
	t.Helper()
	var keys []string
	for u, err := range cl.store.ListUploads(context.Background(), "") {
		require.NoError(t, err)
		keys = append(keys, u.Key)
	}
	return keys
}

// objects returns the keys of the objects in the test's bucket.
func (cl *cluster) objects(t *testing.T) []string {
	t.Helper()
	var keys []string
	for o, err := range cl.store.ListObjects(context.Background(), "") {
		require.NoError(t, err)
		keys = append(keys, o.Key)
	}
	return keys
}

// stepsOf returns the workloads of one run by subcommand, in their order.
func stepsOf(t *testing.T, workloads []workload, flow string) map[string][]workload {
	t.Helper()
	out := map[string][]workload{}
	for _, w := range workloads {
		if w.flow == flow {
			require.NotEmpty(t, w.args)
			out[w.args[0]] = append(out[w.args[0]], w)
		}
	}
	for _, sub := range []string{"setup", "task", "commit", "abort"} {
		require.NotEmpty(t, out[sub], "%s: no %s step", flow, sub)
	}
	return out
}

// taskRun is the command line of one task pod.
type taskRun struct {
	args  []string
	index string // JOB_COMPLETION_INDEX, "" when --task-index is given
}

// taskRuns returns the command line of every task pod of a run: one per
// index of an Indexed Job, with JOB_COMPLETION_INDEX, or one per rendered
// workflow step.
func (cl *cluster) taskRuns(t *testing.T, tasks []workload) []taskRun {
	t.Helper()
	var out []taskRun
	for _, w := range tasks {
		args := cl.command(t, w)
		if w.indexed {
			for i := range w.completions {
				out = append(out, taskRun{args: args, index: strconv.Itoa(i)})
			}
			continue
		}
		out = append(out, taskRun{args: args})
	}
	return out
}

func (cl *cluster) runTask(t *testing.T, tr taskRun) string {
	t.Helper()
	// Empty when the task has --task-index: datajob takes an empty
	// variable as unset.
	t.Setenv("JOB_COMPLETION_INDEX", tr.index)
	code, out := run(t, tr.args)
	require.Equal(t, 0, code, "datajob %s (JOB_COMPLETION_INDEX=%s):\n%s", strings.Join(tr.args, " "), tr.index, out)
	return out
}

// flows returns the names of the runs of the manifests.
func flows(workloads []workload) []string {
	var out []string
	for _, w := range workloads {
		if !slices.Contains(out, w.flow) {
			out = append(out, w.flow)
		}
	}
	return out
}

// flagOf returns the value of --name=VALUE in args.
func flagOf(t *testing.T, args []string, name string) string {
	t.Helper()
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
	}
	t.Fatalf("no --%s in %q", name, args)
	return ""
}

// TestRunCommit runs the containers of each run of each variant of the
// manifests, in the order of the run (setup, every task pod, a
// replacement of a lost task pod, commit), against MinIO, and checks the
// committed output with datajob verify: every event exactly once, no
// upload left pending, no object in the bucket but the output (the job's
// records in a staging dir in the bucket are removed), and, with the
// staging dir in the bucket, nothing written to a shared volume.
func TestRunCommit(t *testing.T) {
	for _, v := range variants {
		m, workloads, _ := collectWorkloads(t, v)
		for _, flow := range flows(workloads) {
			t.Run(v.name+"/"+flow, func(t *testing.T) {
				cl := newCluster(t, m)
				steps := stepsOf(t, workloads, flow)
				for _, w := range steps["setup"] {
					runOK(t, cl.command(t, w))
				}
				tasks := cl.taskRuns(t, steps["task"])
				for _, tr := range tasks {
					cl.runTask(t, tr)
				}
				// A pod lost after its task commit is replaced: the new pod
				// runs the next attempt of the task, which finds the task
				// committed and discards its output.
				replaced := cl.runTask(t, tasks[len(tasks)-1])
				assert.Contains(t, replaced, "attempt 1: another attempt committed the task first")
				var commit []string
				for _, w := range steps["commit"] {
					commit = cl.command(t, w)
					assert.Contains(t, runOK(t, commit), "committed job")
				}

				// verify with the settings of the tasks, which generated the
				// events.
				verify := []string{"verify"}
				for _, a := range tasks[0].args[1:] {
					if !strings.HasPrefix(a, "--task-index=") && !strings.HasPrefix(a, "--attempt=") {
						verify = append(verify, a)
					}
				}
				assert.Contains(t, runOK(t, verify), "exactly once: ok")
				assert.Empty(t, cl.pending(t), "uploads pending after the commit")

				dest := strings.TrimPrefix(flagOf(t, commit, "dest"), "s3://"+cl.bucket+"/")
				for _, key := range cl.objects(t) {
					assert.True(t, strings.HasPrefix(key, dest+"/"), "object %s outside the destination %s after the commit", key, dest)
				}
				if v.inBucket {
					claims, err := os.ReadDir(cl.claims)
					require.NoError(t, err)
					assert.Empty(t, claims, "no PersistentVolumeClaim was written")
				}
			})
		}
	}
}

// TestRunAbort runs setup and one task pod of each run of each variant,
// then the run's abort step: nothing of the job may stay in the store
// (neither its uploads nor, with the staging dir in the bucket, its
// records).
func TestRunAbort(t *testing.T) {
	for _, v := range variants {
		m, workloads, _ := collectWorkloads(t, v)
		for _, flow := range flows(workloads) {
			t.Run(v.name+"/"+flow, func(t *testing.T) {
				cl := newCluster(t, m)
				steps := stepsOf(t, workloads, flow)
				for _, w := range steps["setup"] {
					runOK(t, cl.command(t, w))
				}
				tasks := cl.taskRuns(t, steps["task"])
				cl.runTask(t, tasks[0])
				require.NotEmpty(t, cl.pending(t), "the committed task's uploads are pending")
				if v.inBucket {
					require.NotEmpty(t, cl.objects(t), "the job's records are in the bucket")
				}
				for _, w := range steps["abort"] {
					assert.Contains(t, runOK(t, cl.command(t, w)), "aborted job")
				}
				assert.Empty(t, cl.pending(t), "uploads pending after the abort")
				assert.Empty(t, cl.objects(t), "objects in the bucket after the abort")
			})
		}
	}
}
