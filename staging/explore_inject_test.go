//go:build !race

package staging

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"syscall"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/faultstore"
)

// The injection side of the crash-point explorer (explore_test.go): every
// store call and every write to the staging dir of one "process" is a
// numbered point, and an injector decides at each point whether it goes
// through or fails in one of the ways below.

// fault is what the explorer does at the chosen point.
type fault string

const (
	// faultError: the call fails with a permanent error and has no effect.
	faultError fault = "error"
	// faultLost: the call takes effect, the caller sees an error (a lost
	// answer). At a store call the error is a network error. At a change
	// of the staging dir's names (mkdir, create, rename, link, remove) it
	// is what an NFS client's retransmitted request gets once the first
	// took effect (EEXIST, ENOENT); at a write, fsync or truncate, EIO
	// after the data went out.
	faultLost fault = "lost"
	// faultCrash: the process stops before the call takes effect: the call
	// and everything after it fail, nothing more of the process runs.
	faultCrash fault = "crash"
	// faultCrashAfter: the call takes effect, then the process stops
	// before it sees the answer.
	faultCrashAfter fault = "crash-after"
	// faultTorn: a write to the staging dir writes half of its bytes, then
	// the process stops (a machine crash in the middle of a write).
	faultTorn fault = "torn"
)

// faultsFor lists the faults tried at a point of the given kind.
func faultsFor(p point) []fault {
	if p.kind == "fs" && p.op == "write" {
		return []fault{faultError, faultLost, faultCrash, faultCrashAfter, faultTorn}
	}
	return []fault{faultError, faultLost, faultCrash, faultCrashAfter}
}

// point is one store call or staging-dir write.
type point struct {
	n    int    // its number in the process, from 1
	kind string // "store" or "fs"
	op   string // the Store method, or the file operation
	name string // the key or path
}

func (p point) String() string { return fmt.Sprintf("#%d %s %s %s", p.n, p.kind, p.op, p.name) }

// action is what the injector decided for a point.
type action int

const (
	actPass action = iota
	actFail
	actLost
	actCrash
	actCrashAfter
	actTorn
)

// injector numbers the points of one process and fires the fault at the
// target point. After a crash every call of the process fails.
type injector struct {
	mu      sync.Mutex
	n       int
	target  int // 0: none
	fault   fault
	crashed bool
	fired   *point
	points  []point // every point seen (the counting run)
	cancel  context.CancelFunc
	// pick, when set, chooses the point by what it is rather than by
	// its number (the first point it accepts); phase is for pick's use.
	pick  func(point) bool
	phase string
}

func newInjector(target int, f fault, cancel context.CancelFunc) *injector {
	return &injector{target: target, fault: f, cancel: cancel}
}

// at numbers a point and says what happens to it.
func (in *injector) at(kind, op, name string) action {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.crashed {
		return actCrash
	}
	in.n++
	p := point{n: in.n, kind: kind, op: op, name: name}
	in.points = append(in.points, p)
	hit := in.n == in.target || in.pick != nil && in.fired == nil && in.pick(p)
	if !hit {
		return actPass
	}
	in.fired = &p
	switch in.fault {
	case faultError:
		return actFail
	case faultLost:
		return actLost
	case faultCrash:
		in.crash()
		return actCrash
	case faultCrashAfter:
		return actCrashAfter
	case faultTorn:
		if kind == "fs" && op == "write" {
			return actTorn
		}
		in.crash()
		return actCrash
	}
	return actPass
}

// crash stops the process: later calls fail, its context ends. The caller
// holds in.mu.
func (in *injector) crash() {
	in.crashed = true
	if in.cancel != nil {
		in.cancel()
	}
}

func (in *injector) crashNow() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.crash()
}

func (in *injector) hasCrashed() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.crashed
}

// errCrashed is what every call of a crashed process gets.
var errCrashed = fmt.Errorf("the process is stopped: %w", context.Canceled)

// faultyStore wraps a store with the injector, through faultstore.
func faultyStore(inner multipart.Store, in *injector) multipart.Store {
	var cur action // the decision for the call under faultstore's lock
	kindFor := func(op faultstore.Op) error {
		switch op {
		case faultstore.OpCompleteUpload:
			return multipart.ErrInvalidPart
		case faultstore.OpUploadPart:
			return multipart.ErrNoSuchUpload // the upload vanished (expired, aborted by an operator)
		}
		return multipart.ErrAccessDenied
	}
	fs := faultstore.New(inner)
	fs.Add(faultstore.Rule{Err: context.Canceled, Match: func(c faultstore.Call) bool {
		cur = in.at("store", string(c.Op), c.Key)
		return cur == actCrash
	}})
	for _, op := range []faultstore.Op{faultstore.OpCreateUpload, faultstore.OpUploadPart, faultstore.OpCompleteUpload,
		faultstore.OpAbortUpload, faultstore.OpListUploads, faultstore.OpListParts, faultstore.OpPutObject,
		faultstore.OpGetObject, faultstore.OpHeadObject, faultstore.OpListObjects, faultstore.OpDeleteObjects} {
		fs.Add(faultstore.Rule{Op: op, Err: kindFor(op), Match: func(faultstore.Call) bool { return cur == actFail }})
	}
	fs.Add(faultstore.Rule{Drop: true, Match: func(faultstore.Call) bool { return cur == actLost }})
	fs.Add(faultstore.Rule{Drop: true, Match: func(faultstore.Call) bool { return cur == actCrashAfter },
		AfterDrop: func(faultstore.Call) { in.crashNow() }})
	return fs
}

// faultFS wraps the staging dir's fsys with the injector: every write
// (create, write, fsync, truncate, link, rename, remove, mkdir, lock) is a
// point; after a crash every operation fails.
type faultFS struct {
	inner fsys
	in    *injector
}

var _ fsys = (*faultFS)(nil)

// retransmitted is the error an NFS client's retransmission of op gets
// once the first request took effect; nil where a retransmission is
// answered as the first was.
func retransmitted(op string) error {
	switch op {
	case "mkdir", "link":
		return syscall.EEXIST
	case "rename", "remove":
		return syscall.ENOENT
	case "create", "lock":
		return nil
	}
	return syscall.EIO
}

func (f *faultFS) do(op, name string, errno error, call func() error) error {
	switch f.in.at("fs", op, name) {
	case actCrash:
		return errCrashed
	case actFail:
		return &fs.PathError{Op: op, Path: name, Err: errno}
	case actLost:
		if err := call(); err != nil {
			return err
		}
		if lost := retransmitted(op); lost != nil {
			return &fs.PathError{Op: op, Path: name, Err: lost}
		}
		return nil
	case actCrashAfter:
		_ = call()
		f.in.crashNow()
		return errCrashed
	}
	return call()
}

func (f *faultFS) check() error {
	if f.in.hasCrashed() {
		return errCrashed
	}
	return nil
}

func (f *faultFS) Mkdir(name string, perm fs.FileMode) error {
	return f.do("mkdir", name, syscall.ENOSPC, func() error { return f.inner.Mkdir(name, perm) })
}

func (f *faultFS) OpenFile(name string, flag int, perm fs.FileMode) (file, error) {
	if flag&(os.O_CREATE|os.O_WRONLY|os.O_RDWR|os.O_TRUNC) == 0 {
		if err := f.check(); err != nil {
			return nil, err
		}
		fl, err := f.inner.OpenFile(name, flag, perm)
		if err != nil {
			return nil, err
		}
		return &faultFile{file: fl, fs: f}, nil
	}
	var fl file
	err := f.do("create", name, syscall.ENOSPC, func() error {
		var err error
		fl, err = f.inner.OpenFile(name, flag, perm)
		return err
	})
	if err != nil {
		if fl != nil {
			fl.Close()
		}
		return nil, err
	}
	return &faultFile{file: fl, fs: f}, nil
}

func (f *faultFS) Rename(oldname, newname string) error {
	return f.do("rename", newname, syscall.EIO, func() error { return f.inner.Rename(oldname, newname) })
}

func (f *faultFS) Link(oldname, newname string) error {
	return f.do("link", newname, syscall.EIO, func() error { return f.inner.Link(oldname, newname) })
}

func (f *faultFS) Remove(name string) error {
	return f.do("remove", name, syscall.EIO, func() error { return f.inner.Remove(name) })
}

func (f *faultFS) RemoveAll(name string) error {
	return f.do("remove", name, syscall.EIO, func() error { return f.inner.RemoveAll(name) })
}

func (f *faultFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	return f.inner.ReadDir(name)
}

func (f *faultFS) Lstat(name string) (fs.FileInfo, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	return f.inner.Lstat(name)
}

func (f *faultFS) SyncDir(name string) error {
	return f.do("fsync", name, syscall.EIO, func() error { return f.inner.SyncDir(name) })
}

func (f *faultFS) Lock(name string) (func(), error) {
	var unlock func()
	err := f.do("lock", name, syscall.ENOSPC, func() error {
		var err error
		unlock, err = f.inner.Lock(name)
		return err
	})
	if err != nil && unlock != nil {
		unlock()
		unlock = nil
	}
	return unlock, err
}

func (f *faultFS) Path(name string) string { return f.inner.Path(name) }

// faultFile is a file of a faultFS: its writes, fsyncs and truncations
// are points.
type faultFile struct {
	file
	fs *faultFS
}

func (f *faultFile) Write(p []byte) (int, error) {
	n := 0
	switch f.fs.in.at("fs", "write", f.Name()) {
	case actCrash:
		return 0, errCrashed
	case actFail:
		return 0, &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	case actLost:
		n, err := f.file.Write(p)
		if err != nil {
			return n, err
		}
		return n, &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.EIO}
	case actCrashAfter:
		_, _ = f.file.Write(p)
		f.fs.in.crashNow()
		return 0, errCrashed
	case actTorn:
		n, _ = f.file.Write(p[:len(p)/2])
		f.fs.in.crashNow()
		return n, errCrashed
	}
	return f.file.Write(p)
}

func (f *faultFile) Sync() error {
	return f.fs.do("fsync", f.Name(), syscall.EIO, f.file.Sync)
}

func (f *faultFile) Truncate(size int64) error {
	return f.fs.do("truncate", f.Name(), syscall.EIO, func() error { return f.file.Truncate(size) })
}

func (f *faultFile) Read(p []byte) (int, error) {
	if err := f.fs.check(); err != nil {
		return 0, err
	}
	return f.file.Read(p)
}

func (f *faultFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.fs.check(); err != nil {
		return 0, err
	}
	return f.file.ReadAt(p, off)
}
