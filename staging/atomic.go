package staging

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sync"
)

// errTargetExists is returned by publishExclusive when the target exists.
var errTargetExists = errors.New("target exists")

// writeTemp writes data to a new hidden temporary file in dir and fsyncs
// it; it returns the file's name.
func writeTemp(fsys fsys, dir, pattern string, data []byte) (string, error) {
	f, name, err := createTemp(fsys, dir, pattern)
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = fsys.Remove(name)
		return "", err
	}
	return name, nil
}

// createTemp creates a new file ".<pattern>.<random>.tmp" in dir, failing
// rather than opening anything that exists.
func createTemp(fsys fsys, dir, pattern string) (file, string, error) {
	for range 100 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		name := path.Join(dir, "."+pattern+"."+hex.EncodeToString(b[:])+".tmp")
		f, err := fsys.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, name, err
	}
	return nil, "", fmt.Errorf("create a temporary file in %s: too many names taken", dir)
}

// writeFileAtomic replaces name with data: a temporary file in the same
// directory, fsynced, renamed into place, and the directory fsynced.
func writeFileAtomic(fsys fsys, name string, data []byte) error {
	dir := path.Dir(name)
	tmp, err := writeTemp(fsys, dir, path.Base(name), data)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := fsys.Rename(tmp, name); err != nil && !renamedTo(fsys, tmp, name, data) {
		_ = fsys.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, err)
	}
	return fsys.SyncDir(dir)
}

// renamedTo reports whether a rename of tmp that failed took effect all
// the same (its answer was lost; a retransmitted NFS rename answers ENOENT
// when the first one did): tmp is gone and name (the renamed file, or a
// file of the renamed directory) holds data.
func renamedTo(fsys fsys, tmp, name string, data []byte) bool {
	if _, err := fsys.Lstat(tmp); !isNotExist(err) {
		return false
	}
	got, err := readFileFS(fsys, name, int64(len(data)))
	return err == nil && bytes.Equal(got, data)
}

// publishExclusive creates name with data unless it exists: a temporary
// file, fsynced, hard-linked to name (link fails if name exists, so of two
// publishers exactly one wins), then removed. It returns errTargetExists
// when name exists already. No reader ever sees a partly written file.
//
// On NFSv3 a LINK whose reply was lost is retransmitted and answered
// EEXIST although the first one made the link: an EEXIST is taken as our
// own win when the temporary file has a second link or the target holds
// exactly our bytes (a pendingset names its attempt and its upload IDs, so
// no other publisher writes the same bytes).
func publishExclusive(fsys fsys, name string, data []byte) error {
	dir := path.Dir(name)
	tmp, err := writeTemp(fsys, dir, path.Base(name), data)
	if err != nil {
		return fmt.Errorf("publish %s: %w", name, err)
	}
	defer fsys.Remove(tmp)
	if err := fsys.Link(tmp, name); err != nil {
		if !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("publish %s: %w", name, err)
		}
		if !ownLink(fsys, tmp, name, data) {
			return errTargetExists
		}
	}
	// The target is visible now: the publish took effect, and failing it
	// would make the caller abort uploads that the target names. A
	// directory fsync that fails leaves it as durable as any unsynced write.
	_ = fsys.SyncDir(dir)
	return nil
}

// ownLink reports whether name, which link(2) said exists, is the link
// this process made from tmp: tmp has more than one link, or name holds
// exactly data.
func ownLink(fsys fsys, tmp, name string, data []byte) bool {
	if fi, err := fsys.Lstat(tmp); err == nil && linkCount(fi) > 1 {
		return true
	}
	got, err := readFileFS(fsys, name, int64(len(data)))
	return err == nil && bytes.Equal(got, data)
}

// appendFile is an append-only record file. A record appended with append
// is fsynced before it returns; one written with write waits for the next
// append's fsync. Concurrent appends are written and fsynced
// together (group commit): one fsync serves every record queued while the
// previous one ran, so that many goroutines recording at once do not wait
// for one fsync each.
type appendFile struct {
	f file

	mu       sync.Mutex
	pending  []byte
	waiters  []chan error
	flushing bool
}

// openAppend opens (creating if needed) name for appending; a new file's
// directory entry is fsynced. A last record torn by a crash (bytes after
// the last '\n') is cut off first, so that the next record does not land
// right after it and turn it into a damaged middle line.
func openAppend(fsys fsys, name string) (*appendFile, error) {
	_, statErr := fsys.Lstat(name)
	f, err := fsys.OpenFile(name, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := cutTornTail(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("repair %s: %w", name, err)
	}
	if errors.Is(statErr, fs.ErrNotExist) {
		if err := fsys.SyncDir(path.Dir(name)); err != nil {
			f.Close()
			return nil, err
		}
	}
	return &appendFile{f: f}, nil
}

// cutTornTail truncates f after its last '\n' (to empty when it has none)
// and fsyncs it, when bytes follow that '\n'.
func cutTornTail(f file) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	end := size
	buf := make([]byte, 4096)
	for end > 0 {
		n := int64(len(buf))
		if end < n {
			n = end
		}
		if _, err := f.ReadAt(buf[:n], end-n); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			end = end - n + int64(i) + 1
			break
		}
		end -= n
	}
	if end == size {
		return nil
	}
	if err := f.Truncate(end); err != nil {
		return err
	}
	return f.Sync()
}

// append writes records (whole lines) and returns once they, and those
// written before them, are fsynced.
func (a *appendFile) append(lines []byte) error {
	done := make(chan error, 1)
	a.mu.Lock()
	a.pending = append(a.pending, lines...)
	a.waiters = append(a.waiters, done)
	if a.flushing {
		a.mu.Unlock()
		return <-done
	}
	a.flushing = true
	for len(a.waiters) > 0 {
		buf, waiters := a.pending, a.waiters
		a.pending, a.waiters = nil, nil
		a.mu.Unlock()
		var err error
		if len(buf) > 0 {
			_, err = a.f.Write(buf)
		}
		if err == nil {
			err = a.f.Sync()
		}
		for _, w := range waiters {
			w <- err
		}
		a.mu.Lock()
	}
	a.flushing = false
	a.mu.Unlock()
	return <-done
}

// write appends records (whole lines) without waiting for an fsync: the
// next append's fsync makes them durable with its own. A process that
// stops keeps them (they are in the kernel's cache); a machine that stops
// may lose them, or leave the last one torn (cut off by openAppend).
func (a *appendFile) write(lines []byte) error {
	_, err := a.f.Write(lines)
	return err
}

func (a *appendFile) Close() error { return a.f.Close() }
