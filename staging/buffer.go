package staging

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// The buffer dir holds a task's output before task commit: files another
// local user must neither read nor change. The default is a directory of
// the user's own (0700), checked when it exists; task files are created
// 0600 unless Options.BufferPerm says otherwise; every file operation of
// the committer in the buffer dir goes through an os.Root, so that a
// symlink in it never makes the committer read, upload or remove anything
// outside it.

// ErrUnsupportedFile is matched by the error of a task commit that finds
// in its attempt's directory something other than regular files and
// directories (a symlink, a FIFO, a socket, a device): it uploads regular
// files only, and names the one it refused.
var ErrUnsupportedFile = errors.New("staging: not a regular file")

// ErrFileChanged is matched by the error of a task commit whose file was
// changed while it was uploaded: the upload could hold a mix of old and
// new bytes, so it is aborted. Write every file before task commit.
var ErrFileChanged = errors.New("staging: file changed during its upload")

// DefaultBufferPerm is the permission of the files task attempts create
// when Options.BufferPerm is zero: only the job's user can read them.
const DefaultBufferPerm fs.FileMode = 0o600

// defaultBufferDir is the buffer dir when Options.BufferDir is empty: a
// directory of the user's own under the temporary directory.
func defaultBufferDir() string {
	name := "s3commit-buffer"
	if uid := os.Getuid(); uid >= 0 {
		name += "-" + strconv.Itoa(uid)
	}
	return filepath.Join(os.TempDir(), name)
}

// dirPerm is the permission of the directories holding files of perm:
// execute where read is allowed (0600 → 0700, 0640 → 0750).
func dirPerm(perm fs.FileMode) fs.FileMode { return perm | (perm&0o444)>>2 }

// ensurePrivateDir creates dir (0700) or checks that the existing one is a
// directory, not a symlink, owned by this user and closed to others: the
// default buffer dir lives in a temporary directory that every local user
// can write, where another user could have made it first.
func ensurePrivateDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	why := ""
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		why = "is a symlink"
	case !fi.IsDir():
		why = "is not a directory"
	case runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0:
		why = fmt.Sprintf("is open to other users (mode %v)", fi.Mode().Perm())
	default:
		if uid, ok := fileOwner(fi); ok && uid != os.Getuid() {
			why = fmt.Sprintf("belongs to user %d, not to this user (%d)", uid, os.Getuid())
		}
	}
	if why != "" {
		return fmt.Errorf("the default buffer dir %s %s: another local user could read or change the job's output there; "+
			"remove it, or give Options.BufferDir a directory of your own", dir, why)
	}
	return nil
}

// bufferRoot opens the committer's buffer dir, creating it: the default
// one private and checked, a given one with the directory permission of
// Options.BufferPerm.
func (c *Committer) bufferRoot() (*rootFS, error) {
	dir := c.opts.BufferDir
	if c.bufferDefault {
		if err := ensurePrivateDir(dir); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(dir, dirPerm(c.opts.BufferPerm)); err != nil {
		return nil, fmt.Errorf("create the buffer dir: %w; give a BufferDir that this process can write", err)
	}
	return openRootFS(dir)
}

// removeBuffer removes the job's buffer directory, inside the buffer dir's
// root so that no symlink leads it elsewhere. A buffer dir given in
// Options is the caller's: the job's directory in it is removed with what
// is left in it. The default one is shared by every job of the user: only
// an empty job directory is removed there.
func (j *job) removeBuffer() error {
	if j.l.bufferDir == "" {
		return nil
	}
	j.c.removals.Wait()
	if j.c.bufferDefault {
		if fi, err := os.Lstat(j.c.opts.BufferDir); err != nil || !fi.IsDir() || ensurePrivateDir(j.c.opts.BufferDir) != nil {
			return nil // not the private directory it must be: not ours to touch
		}
	}
	root, err := openRootFS(j.c.opts.BufferDir)
	if isNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	defer root.root.Close()
	if j.c.bufferDefault {
		// The trash of committed attempts goes (see removeLocalFiles);
		// then an error is a directory that is not empty (files of
		// attempts that did not commit, left for their owner) or gone
		// already.
		if entries, err := root.ReadDir(j.l.jobDir); err == nil {
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), trashPrefix) {
					_ = root.RemoveAll(path.Join(j.l.jobDir, e.Name()))
				}
			}
		}
		_ = root.Remove(j.l.jobDir)
		return nil
	}
	if err := root.RemoveAll(j.l.jobDir); err != nil && !isNotExist(err) {
		return err
	}
	return nil
}

// fileState is what is compared of a file before and after its upload.
type fileState struct {
	size    int64
	modTime time.Time
	changed time.Time // ctime, where the OS reports it
}

func stateOf(fi fs.FileInfo) fileState {
	return fileState{size: fi.Size(), modTime: fi.ModTime(), changed: changeTime(fi)}
}

// where names a file of the attempt for people.
func (a *taskAttempt) where(lf localFile) string {
	return filepath.Join(a.dir, filepath.FromSlash(lf.rel))
}

// openListed opens a file of the attempt, for reading, inside the buffer
// dir's root as the regular file that was listed, with its metadata then.
func (a *taskAttempt) openListed(lf localFile) (file, fs.FileInfo, error) {
	f, err := a.buf.OpenFile(lf.path, os.O_RDONLY, 0)
	if err != nil {
		if errors.Is(err, errNotRegular) {
			err = fmt.Errorf("%w: %w", ErrUnsupportedFile, err)
		}
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// errChanged is the ErrFileChanged of a file that was before and is now
// after, read by a task commit.
func errChanged(where string, before, after fs.FileInfo) error {
	return fmt.Errorf("%w: %s was %d bytes modified at %s and is now %d bytes modified at %s; write every file before task commit",
		ErrFileChanged, where, before.Size(), before.ModTime().Format(time.RFC3339Nano), after.Size(), after.ModTime().Format(time.RFC3339Nano))
}
