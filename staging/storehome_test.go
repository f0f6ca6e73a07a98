package staging_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/committer"
	"github.com/s3commit/s3commit/internal/testserver"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/multipart/memstore"
	"github.com/s3commit/s3commit/staging"
	"github.com/s3commit/s3commit/staging/internal/storerecords"
	"github.com/s3commit/s3commit/success"
)

// storeHomeOptions are options with the staging dir in the store, under
// _staging of the env's bucket.
func (e *env) storeHomeOptions(mod func(*staging.Options)) staging.Options {
	return e.options(func(o *staging.Options) {
		o.StagingDir = "s3://" + bucket + "/_staging"
		if mod != nil {
			mod(o)
		}
	})
}

// keysUnder lists the keys of st under prefix.
func keysUnder(t *testing.T, st multipart.Store, prefix string) []string {
	t.Helper()
	var keys []string
	for o, err := range st.ListObjects(context.Background(), prefix) {
		require.NoError(t, err)
		keys = append(keys, o.Key)
	}
	return keys
}

// TestStoreHomeRefusesAStoreIgnoringConditions checks the capability check
// of SetupJob: a store that accepts If-None-Match: * and overwrites anyway
// is refused with an error that says why and names the store, and nothing
// is left in the bucket, neither the probe nor a job record.
func TestStoreHomeRefusesAStoreIgnoringConditions(t *testing.T) {
	srv := memstore.NewServer()
	require.NoError(t, srv.CreateBucket(bucket))
	st := srv.Store(bucket, memstore.Options{IgnoreConditionalWrites: true})
	e := newEnv(t)
	c, err := staging.New(st, e.storeHomeOptions(nil))
	require.NoError(t, err)
	_, err = c.SetupJob(context.Background(), "job-1")
	require.ErrorIs(t, err, staging.ErrConditionalWritesIgnored)
	assert.Contains(t, err.Error(), "s3://"+bucket+"/_staging")
	assert.Contains(t, err.Error(), "would silently break")
	assert.Contains(t, err.Error(), "use a store that enforces conditional writes")
	assert.Empty(t, keysUnder(t, st, ""), "nothing is left behind")

	// The same store enforcing the conditions passes, and the probe is gone.
	ok := srv.Store(bucket, memstore.Options{})
	c, err = staging.New(ok, e.storeHomeOptions(nil))
	require.NoError(t, err)
	j, err := c.SetupJob(context.Background(), "job-1")
	require.NoError(t, err)
	assert.Equal(t, []string{"_staging/job-1/job.json"}, keysUnder(t, ok, ""))
	_, err = c.SetupJob(context.Background(), "job-1")
	require.ErrorIs(t, err, committer.ErrJobExists)
	require.NoError(t, j.AbortJob(context.Background()))
	assert.Empty(t, keysUnder(t, ok, ""), "an aborted job leaves no record")
}

// TestStoreHomeTwoDrivers commits one job from two drivers at once, with
// the staging dir in a MinIO bucket and no shared directory: exactly one
// commits, the other gets ErrJobBusy, and the job ends committed once,
// with its files' exact bytes, no upload and no record left.
func TestStoreHomeTwoDrivers(t *testing.T) {
	srv := testserver.MinIO(t)
	b := srv.CreateBucket(t)
	ctx := context.Background()
	for round := range 4 {
		t.Run(fmt.Sprintf("round %d", round), func(t *testing.T) {
			dest := fmt.Sprintf("drivers/%d", round)
			opts := staging.Options{StagingDir: "s3://" + b + "/_staging", BufferDir: t.TempDir(), Destination: dest}
			setup, err := staging.New(srv.Store(t, b), opts)
			require.NoError(t, err)
			j, err := setup.SetupJob(ctx, "")
			require.NoError(t, err)
			want := map[string][]byte{}
			for task := range 4 {
				a, err := j.SetupTask(ctx, fmt.Sprintf("task-%d", task), 0)
				require.NoError(t, err)
				for f := range 5 {
					rel := fmt.Sprintf("part-%d-%d.txt", task, f)
					data := []byte(fmt.Sprintf("round %d task %d file %d\n", round, task, f))
					w, err := a.Create(rel)
					require.NoError(t, err)
					_, err = w.Write(data)
					require.NoError(t, err)
					require.NoError(t, w.Close())
					want[committer.DestinationKey(dest, rel, j.ID(), true)] = data
				}
				require.NoError(t, a.CommitTask(ctx))
			}

			// Two drivers, each with a committer and a store of its own.
			var (
				wg    sync.WaitGroup
				start = make(chan struct{})
				errs  [2]error
			)
			for i := range errs {
				d, err := staging.New(srv.Store(t, b), opts)
				require.NoError(t, err)
				jd, err := d.OpenJob(ctx, j.ID())
				require.NoError(t, err)
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					errs[i] = jd.CommitJob(ctx)
				}()
			}
			close(start)
			wg.Wait()
			var won, busy int
			for _, err := range errs {
				switch {
				case err == nil:
					won++
				case errors.Is(err, staging.ErrJobBusy):
					busy++
				default:
					t.Errorf("a driver failed otherwise: %v", err)
				}
			}
			require.Equal(t, 1, won, "exactly one driver commits: %v", errs)
			require.Equal(t, 1, busy, "the other gets ErrJobBusy: %v", errs)

			st := srv.Store(t, b)
			d, err := success.Read(ctx, st, dest+"/"+staging.SuccessMarker)
			require.NoError(t, err)
			assert.Equal(t, j.ID(), d.JobID)
			require.NoError(t, success.Verify(ctx, st, dest, d))
			got := map[string][]byte{}
			for obj, err := range st.ListObjects(ctx, dest+"/") {
				require.NoError(t, err)
				if strings.HasSuffix(obj.Key, "/"+staging.SuccessMarker) {
					continue
				}
				rc, _, err := st.GetObject(ctx, obj.Key)
				require.NoError(t, err)
				data, err := io.ReadAll(rc)
				require.NoError(t, err)
				require.NoError(t, rc.Close())
				got[obj.Key] = data
			}
			assert.Equal(t, want, got, "the job's files, exact bytes, once")
			for key := range want {
				for up, err := range st.ListUploads(ctx, key) {
					require.NoError(t, err)
					assert.NotEqual(t, key, up.Key, "upload left at %s", key)
				}
			}
			assert.Empty(t, keysUnder(t, st, "_staging/"+j.ID()+"/"), "no record left")
		})
	}
}

// commitTasks sets up a job on c with tasks×files small files committed
// and returns it with the files it wrote, by destination key.
func commitTasks(t *testing.T, c *staging.Committer, dest string, tasks, files int) (committer.Job, map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	j, err := c.SetupJob(ctx, "")
	require.NoError(t, err)
	want := map[string][]byte{}
	for task := range tasks {
		a, err := j.SetupTask(ctx, fmt.Sprintf("task-%d", task), 0)
		require.NoError(t, err)
		for f := range files {
			rel := fmt.Sprintf("part-%d-%d.txt", task, f)
			data := []byte(fmt.Sprintf("task %d file %d\n", task, f))
			w, err := a.Create(rel)
			require.NoError(t, err)
			_, err = w.Write(data)
			require.NoError(t, err)
			require.NoError(t, w.Close())
			want[committer.DestinationKey(dest, rel, j.ID(), true)] = data
		}
		require.NoError(t, a.CommitTask(ctx))
	}
	return j, want
}

// objectsUnder reads every object under prefix but _SUCCESS.
func objectsUnder(t *testing.T, st multipart.Store, prefix string) map[string][]byte {
	t.Helper()
	got := map[string][]byte{}
	for _, key := range keysUnder(t, st, prefix) {
		if strings.HasSuffix(key, "/"+staging.SuccessMarker) {
			continue
		}
		rc, _, err := st.GetObject(context.Background(), key)
		require.NoError(t, err)
		data, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		got[key] = data
	}
	return got
}

// TestStoreHomeLeaseOfALiveDriver starts a second driver while the first
// one is completing uploads: it watches the claimed journal for a lease,
// sees the first driver's heartbeat and gets ErrJobBusy; the first one
// commits.
func TestStoreHomeLeaseOfALiveDriver(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	opts := e.storeHomeOptions(func(o *staging.Options) { o.LockLease = 600 * time.Millisecond; o.CommitConcurrency = 1 })
	c, err := staging.New(e.mem, opts)
	require.NoError(t, err)
	j, want := commitTasks(t, c, e.dest, 2, 6)

	slow, err := staging.New(faultstore.New(e.mem, faultstore.Slow(faultstore.OpCompleteUpload, 250*time.Millisecond)), opts)
	require.NoError(t, err)
	first, err := slow.OpenJob(ctx, j.ID())
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- first.CommitJob(ctx) }()
	// The first driver claimed the journal once its first chunk is there.
	require.Eventually(t, func() bool { return len(keysUnder(t, e.mem, "_staging/"+j.ID()+"/commit/journal/")) > 0 },
		10*time.Second, 5*time.Millisecond)
	second, err := c.OpenJob(ctx, j.ID())
	require.NoError(t, err)
	err = second.CommitJob(ctx)
	require.ErrorIs(t, err, staging.ErrJobBusy)
	require.NoError(t, <-done)
	assert.Equal(t, want, objectsUnder(t, e.mem, e.dest+"/"))
	assert.Empty(t, keysUnder(t, e.mem, "_staging/"), "no record left")
}

// TestStoreHomeLeaseOfACrashedDriver finds the journal claimed by a driver
// that died (a claim chunk, never released, no heartbeat): CommitJob
// watches it for a lease, takes it over and commits.
func TestStoreHomeLeaseOfACrashedDriver(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	opts := e.storeHomeOptions(func(o *staging.Options) { o.LockLease = 300 * time.Millisecond })
	c, err := staging.New(e.mem, opts)
	require.NoError(t, err)
	j, want := commitTasks(t, c, e.dest, 2, 3)

	r, err := storerecords.New(e.mem, "_staging", storerecords.Options{})
	require.NoError(t, err)
	dead, _, err := storerecords.OpenJournal(ctx, r, j.ID()+"/commit/journal", storerecords.JournalOptions{})
	require.NoError(t, err)
	require.NoError(t, dead.Claim(ctx, "a driver that crashed"))

	require.NoError(t, j.CommitJob(ctx))
	assert.Equal(t, want, objectsUnder(t, e.mem, e.dest+"/"))
	assert.Empty(t, keysUnder(t, e.mem, "_staging/"), "no record left")
}

// TestStoreHomeTaskPublishingWhileTheJobCommitSeals publishes a task's
// pendingset while the job commit seals the tasks in the store: after the
// job commit wrote its sealing record, before it listed the pendingsets
// (the job takes the task: CommitTask succeeds and the job commits its
// file) or after (the job does not take it: CommitTask fails with
// ErrJobCommitting, or ErrJobNotFound once the job is removed, aborts its
// uploads, and the job commits without it).
func TestStoreHomeTaskPublishingWhileTheJobCommitSeals(t *testing.T) {
	for _, tc := range []struct {
		name  string
		at    faultstore.Op // the job commit's call before which the task publishes
		match string        // in its key
		taken bool
	}{
		{"before the listing", faultstore.OpListObjects, "/tasks", true},
		{"after the listing", faultstore.OpPutObject, "/commit/sealed", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			opts := e.storeHomeOptions(nil)
			c, err := staging.New(e.mem, opts)
			require.NoError(t, err)
			j, want := commitTasks(t, c, e.dest, 1, 2)
			lateKey := "_staging/" + j.ID() + "/tasks/late.pendingset"

			// The late task, stopped right before it publishes.
			arrived, release := make(chan struct{}), make(chan struct{})
			taskStore := faultstore.New(e.mem, faultstore.Rule{Op: faultstore.OpPutObject, Match: func(call faultstore.Call) bool {
				if call.Key == lateKey {
					close(arrived)
					<-release
				}
				return false
			}})
			tc2, err := staging.New(taskStore, opts)
			require.NoError(t, err)
			tj, err := tc2.OpenJob(ctx, j.ID())
			require.NoError(t, err)
			a, err := tj.SetupTask(ctx, "late", 0)
			require.NoError(t, err)
			w, err := a.Create("late.txt")
			require.NoError(t, err)
			_, err = w.Write([]byte("late\n"))
			require.NoError(t, err)
			require.NoError(t, w.Close())
			lateObject := committer.DestinationKey(e.dest, "late.txt", j.ID(), true)
			taskDone := make(chan error, 1)
			go func() { taskDone <- a.CommitTask(ctx) }()
			<-arrived

			// The job commit lets the task publish at the chosen call.
			var once sync.Once
			driverStore := faultstore.New(e.mem, faultstore.Rule{Op: tc.at, Match: func(call faultstore.Call) bool {
				if strings.Contains(call.Key, tc.match) {
					once.Do(func() {
						close(release)
						require.Eventually(t, func() bool {
							_, err := e.mem.HeadObject(ctx, lateKey)
							return err == nil
						}, 10*time.Second, time.Millisecond)
					})
				}
				return false
			}})
			dc, err := staging.New(driverStore, opts)
			require.NoError(t, err)
			dj, err := dc.OpenJob(ctx, j.ID())
			require.NoError(t, err)
			require.NoError(t, dj.CommitJob(ctx))
			err = <-taskDone
			if tc.taken {
				require.NoError(t, err)
				want[lateObject] = []byte("late\n")
			} else {
				require.Error(t, err)
				require.True(t, errors.Is(err, committer.ErrJobCommitting) || errors.Is(err, committer.ErrJobNotFound), "%v", err)
			}
			assert.Equal(t, want, objectsUnder(t, e.mem, e.dest+"/"))
			for up, err := range e.mem.ListUploads(ctx, "") {
				require.NoError(t, err)
				t.Errorf("upload left at %s", up.Key)
			}
			assert.Empty(t, keysUnder(t, e.mem, "_staging/"), "no record left")
		})
	}
}

// TestStoreHomeInspection reads a job whose staging dir is in another
// bucket than its output (Options.StagingStore), and tells a running
// commit from one whose driver died by the age of the journal's last
// entry.
func TestStoreHomeInspection(t *testing.T) {
	ctx := context.Background()
	srv := memstore.NewServer()
	require.NoError(t, srv.CreateBucket(bucket))
	require.NoError(t, srv.CreateBucket("records"))
	out, rec := srv.Store(bucket, memstore.Options{}), srv.Store("records", memstore.Options{})
	e := newEnv(t)
	dir := "s3://records/_staging"
	c, err := staging.New(out, e.options(func(o *staging.Options) { o.StagingDir, o.StagingStore = dir, rec }))
	require.NoError(t, err)
	j, _ := commitTasks(t, c, e.dest, 2, 1)

	_, err = staging.InspectJob(ctx, out, dir, j.ID())
	require.Error(t, err, "the output store cannot read the records")
	rep, err := staging.InspectJobWith(ctx, out, dir, j.ID(), staging.InspectOptions{StagingStore: rec})
	require.NoError(t, err)
	assert.True(t, rep.Reconciled)
	assert.Equal(t, staging.StateTasksCommitted, rep.State)
	require.Len(t, rep.Tasks, 2)
	assert.Equal(t, dir+"/"+j.ID()+"/tasks/task-0.pendingset", rep.Tasks[0].PendingSet)
	assert.Equal(t, 2, rep.Pending)

	// A driver claimed the journal and began the commit: running while
	// its last entry is recent, interrupted once it is older than a lease.
	r, err := storerecords.New(rec, "_staging", storerecords.Options{})
	require.NoError(t, err)
	jl, _, err := storerecords.OpenJournal(ctx, r, j.ID()+"/commit/journal", storerecords.JournalOptions{})
	require.NoError(t, err)
	require.NoError(t, jl.Claim(ctx, "a driver"))
	state := func(entryTime time.Time) staging.JobState {
		require.NoError(t, jl.Append(ctx, fmt.Appendf(nil, `{"op":"heartbeat","time":%d}`, entryTime.UnixMilli())))
		require.NoError(t, jl.Flush(ctx))
		jobs, err := staging.ListJobsContext(ctx, rec, dir)
		require.NoError(t, err)
		require.Len(t, jobs, 1)
		return jobs[0].State
	}
	require.NoError(t, jl.Append(ctx, []byte(`{"op":"begin","time":1}`)))
	assert.Equal(t, staging.StateCommitting, state(time.Now()))
	assert.Equal(t, staging.StateInterrupted, state(time.Now().Add(-time.Hour)))
}
