package staging

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// errTargetExists is returned by publishExclusive when the target exists.
var errTargetExists = errors.New("target exists")

// writeTemp writes data to a new hidden temporary file in dir and fsyncs
// it; it returns the file's path.
func writeTemp(dir, pattern string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, "."+pattern+".*.tmp")
	if err != nil {
		return "", err
	}
	name := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(name)
		return "", err
	}
	return name, nil
}

// writeFileAtomic replaces path with data: a temporary file in the same
// directory, fsynced, renamed into place, and the directory fsynced.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := writeTemp(dir, filepath.Base(path), data)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return syncDir(dir)
}

// linkFile is os.Link; tests replace it to act as an NFS client whose
// retransmitted LINK answers EEXIST for a link that was made.
var linkFile = os.Link

// publishExclusive creates path with data unless it exists: a temporary
// file, fsynced, hard-linked to path (link fails if path exists, so of two
// publishers exactly one wins), then removed. It returns errTargetExists
// when path exists already. No reader ever sees a partly written path.
//
// On NFSv3 a LINK whose reply was lost is retransmitted and answered
// EEXIST although the first one made the link: an EEXIST is taken as our
// own win when the temporary file has a second link or the target holds
// exactly our bytes (a pendingset names its attempt and its upload IDs, so
// no other publisher writes the same bytes).
func publishExclusive(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := writeTemp(dir, filepath.Base(path), data)
	if err != nil {
		return fmt.Errorf("publish %s: %w", path, err)
	}
	defer os.Remove(tmp)
	if err := linkFile(tmp, path); err != nil {
		if !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("publish %s: %w", path, err)
		}
		if !ownLink(tmp, path, data) {
			return errTargetExists
		}
	}
	// The target is visible now: the publish took effect, and failing it
	// would make the caller abort uploads that the target names. A
	// directory fsync that fails leaves it as durable as any unsynced write.
	_ = syncDir(dir)
	return nil
}

// ownLink reports whether path, which link(2) said exists, is the link
// this process made from tmp: tmp has more than one link, or path holds
// exactly data.
func ownLink(tmp, path string, data []byte) bool {
	if fi, err := os.Stat(tmp); err == nil && linkCount(fi) > 1 {
		return true
	}
	got, err := readBounded(path, int64(len(data)))
	return err == nil && bytes.Equal(got, data)
}

// syncDir fsyncs a directory so that the entries created in it survive a
// machine crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// appendFile is an append-only record file whose every record is fsynced
// before append returns. Concurrent appends are written and fsynced
// together (group commit): one fsync serves every record queued while the
// previous one ran, so that many goroutines recording at once do not wait
// for one fsync each.
type appendFile struct {
	f *os.File

	mu       sync.Mutex
	pending  []byte
	waiters  []chan error
	flushing bool
}

// openAppend opens (creating if needed) path for appending; a new file's
// directory entry is fsynced. A last record torn by a crash (bytes after
// the last '\n') is cut off first, so that the next record does not land
// right after it and turn it into a damaged middle line.
func openAppend(path string) (*appendFile, error) {
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := cutTornTail(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("repair %s: %w", path, err)
	}
	if errors.Is(statErr, fs.ErrNotExist) {
		if err := syncDir(filepath.Dir(path)); err != nil {
			f.Close()
			return nil, err
		}
	}
	return &appendFile{f: f}, nil
}

// cutTornTail truncates f after its last '\n' (to empty when it has none)
// and fsyncs it, when bytes follow that '\n'.
func cutTornTail(f *os.File) error {
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

// append writes records (whole lines) and returns once they are fsynced.
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
		_, err := a.f.Write(buf)
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

func (a *appendFile) Close() error { return a.f.Close() }
