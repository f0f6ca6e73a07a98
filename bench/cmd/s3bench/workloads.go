package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sync"
	"time"

	"github.com/s3commit/s3commit/bench/internal/results"
)

// Workload names.
const (
	workloadSmall       = results.WorkloadSmallFiles
	workloadLarge       = results.WorkloadLargeFiles
	workloadPartitioned = results.WorkloadPartitioned
	workloadJobCommit   = results.WorkloadJobCommitSeries
	workloadSweepUpload = results.WorkloadConcurrencyUpload
	workloadSweepCommit = results.WorkloadConcurrencyCommit
	workloadPaced       = results.WorkloadPacedFiles
)

// workloadNames lists the workloads in run order.
var workloadNames = []string{workloadSmall, workloadLarge, workloadPartitioned, workloadJobCommit, workloadPaced}

// workload is a set of files of one size, spread over task attempts.
type workload struct {
	name         string
	files        int
	bytesPerFile int64
	// partitions > 0 spreads the files over that many partition
	// directories (year=…/part=…) and uses the partitioned committer.
	partitions int
	// tasks > 0 writes the files with that many task attempts, whatever
	// --tasks says.
	tasks int
	// paced has each task wait computeDelay after each of its files but
	// the last, as a task that computes between its files does, and
	// measures results.PhaseCloseToCommitEnd: the task commit starts
	// right after the last file is closed, without the flush of the
	// other workloads in between (see writeTasks).
	paced        bool
	computeDelay time.Duration
}

// relPath is the relative path of file i of the workload.
func (w workload) relPath(i int) string {
	name := fmt.Sprintf("part-%05d.bin", i)
	if w.partitions > 0 {
		return path.Join(fmt.Sprintf("p=%04d", i%w.partitions), name)
	}
	return name
}

// totalBytes is the workload's size.
func (w workload) totalBytes() int64 { return int64(w.files) * w.bytesPerFile }

// workloads returns the workloads of a mode.
func workloads(mode string) []workload {
	const kib, mib = 1 << 10, 1 << 20
	if mode == results.ModeFull {
		ws := []workload{
			{name: workloadSmall, files: 5000, bytesPerFile: 256 * kib},
			{name: workloadLarge, files: 4, bytesPerFile: 1024 * mib},
			{name: workloadPartitioned, files: 2000, bytesPerFile: 256 * kib, partitions: 200},
		}
		for _, size := range []int64{64 * kib, 512 * kib, 4 * mib, 32 * mib, 64 * mib} {
			ws = append(ws, workload{name: workloadJobCommit, files: 32, bytesPerFile: size})
		}
		return append(ws, workload{name: workloadPaced, files: 8, bytesPerFile: 128 * mib, tasks: 1, paced: true, computeDelay: defaultComputeDelay})
	}
	ws := []workload{
		{name: workloadSmall, files: 500, bytesPerFile: 256 * kib},
		{name: workloadLarge, files: 4, bytesPerFile: 256 * mib},
		{name: workloadPartitioned, files: 400, bytesPerFile: 128 * kib, partitions: 40},
	}
	for _, size := range []int64{64 * kib, 1 * mib, 16 * mib, 64 * mib} {
		ws = append(ws, workload{name: workloadJobCommit, files: 16, bytesPerFile: size})
	}
	return append(ws, workload{name: workloadPaced, files: 8, bytesPerFile: 32 * mib, tasks: 1, paced: true, computeDelay: defaultComputeDelay})
}

// sweep is one setting of the staging concurrency sweep.
type sweep struct {
	workload          workload
	uploadConcurrency int
	commitConcurrency int
}

// sweeps returns the concurrency sweep of a mode: upload concurrency on
// large files, commit concurrency on small files.
func sweeps(mode string) []sweep {
	upload, commit := []int{4, 16, 64}, []int{8, 32, 128}
	ws := workloads(mode)
	large, small := ws[1], ws[0]
	if mode == results.ModeQuick {
		large.files = 2
	}
	large.name, small.name = workloadSweepUpload, workloadSweepCommit
	var out []sweep
	for _, u := range upload {
		out = append(out, sweep{workload: large, uploadConcurrency: u})
	}
	for _, c := range commit {
		out = append(out, sweep{workload: small, commitConcurrency: c})
	}
	return out
}

// randomBlock is the content every generated file repeats; random so that
// no layer compresses it.
var randomBlock = func() []byte {
	b := make([]byte, 1<<20)
	_, _ = rand.Read(b)
	return b
}()

// writeFile writes size bytes of generated content to f and closes it;
// name names f in errors. It calls nothing but Write and Close: the
// staging committer's files (TaskAttempt.Create) promise no more to
// this harness, and their Close may start an upload.
func writeFile(f io.WriteCloser, name string, size int64) error {
	// randomBlock is written as is: a buffer in between would only copy it
	// (and, allocated per file, cost 1 MiB each of thousands of files).
	for left := size; left > 0; {
		n := min(left, int64(len(randomBlock)))
		if _, err := f.Write(randomBlock[:n]); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", name, err)
		}
		left -= n
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", name, err)
	}
	return nil
}

// writeTasks writes the files split gives each task, the tasks in
// parallel and each task's files one after the other, through create,
// which opens file n of task i and names it for errors. On a paced
// workload each task then computes — sleeps — computeDelay after each
// file but its last, after the file's Close and before the next Create;
// the wait starts with a flush of the machine's dirty pages (part of the
// delay), so that, as in a job whose task writes its files over minutes,
// the kernel has written the earlier files back by the time the task
// commits rather than during its commit. writeTasks returns the time the
// last file was closed.
func writeTasks(ctx context.Context, w workload, split [][]int, create func(task, n int) (io.WriteCloser, string, error)) (time.Time, error) {
	var (
		mu   sync.Mutex
		last time.Time
	)
	err := parallel(ctx, len(split), len(split), func(ctx context.Context, i int) error {
		for k, n := range split[i] {
			f, name, err := create(i, n)
			if err != nil {
				return err
			}
			if err := writeFile(f, name, w.bytesPerFile); err != nil {
				return err
			}
			closed := time.Now()
			mu.Lock()
			if closed.After(last) {
				last = closed
			}
			mu.Unlock()
			if !w.paced || k == len(split[i])-1 {
				continue
			}
			flushDirtyPages()
			if err := sleep(ctx, time.Until(closed.Add(w.computeDelay))); err != nil {
				return err
			}
		}
		return nil
	})
	return last, err
}

// sleep waits d (nothing when d ≤ 0) or until ctx ends, and returns
// ctx's error then.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// createLocal creates dir/rel and its parent directories.
func createLocal(dir, rel string) (*os.File, error) {
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", p, err)
	}
	f, err := os.Create(p)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", p, err)
	}
	return f, nil
}

// taskFiles splits the file indexes of w over n tasks, round-robin.
func taskFiles(w workload, n int) [][]int {
	out := make([][]int, n)
	for i := range w.files {
		out[i%n] = append(out[i%n], i)
	}
	return out
}
