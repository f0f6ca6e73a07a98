package staging

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// fsys is the staging dir as the committer sees it: every file operation
// of the committer on the staging dir goes through it, with slash-separated
// paths relative to the staging dir. rootFS implements it over os.Root, so
// that no path escapes the staging dir (through ".." or a symlink), and
// refuses to open anything but a regular file. Tests wrap it to inject
// faults at each operation.
type fsys interface {
	// Mkdir creates a directory; an existing one is fs.ErrExist.
	Mkdir(name string, perm fs.FileMode) error
	// OpenFile opens a regular file (os.OpenFile's flags); a symlink, a
	// directory or any other kind of file is refused with errNotRegular.
	OpenFile(name string, flag int, perm fs.FileMode) (file, error)
	Rename(oldname, newname string) error
	// Link makes newname a hard link of oldname; an existing newname is
	// fs.ErrExist.
	Link(oldname, newname string) error
	Remove(name string) error
	RemoveAll(name string) error
	ReadDir(name string) ([]fs.DirEntry, error)
	Lstat(name string) (fs.FileInfo, error)
	// SyncDir fsyncs a directory, so that its entries survive a crash.
	SyncDir(name string) error
	// Lock takes an exclusive flock on a regular file, creating it,
	// without waiting: errLocked when it is held.
	Lock(name string) (unlock func(), err error)
	// Path returns the OS path of name, for messages.
	Path(name string) string
}

// file is an open file of the staging dir.
type file interface {
	io.Reader
	io.ReaderAt
	io.Writer
	Name() string
	Stat() (fs.FileInfo, error)
	Sync() error
	Truncate(size int64) error
	Close() error
}

// errNotRegular is matched by the error about a path of the staging dir
// that s3commit would open but that is not a regular file: a symlink
// planted there, a directory, a FIFO.
var errNotRegular = errors.New("not a regular file")

// rootFS is fsys on an os.Root opened at the staging dir.
type rootFS struct {
	root *os.Root
}

var _ fsys = (*rootFS)(nil)

// openRootFS opens the staging dir dir.
func openRootFS(dir string) (*rootFS, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &rootFS{root: root}, nil
}

func (r *rootFS) where(name string) string {
	return filepath.Join(r.root.Name(), filepath.FromSlash(name))
}

// Path returns the OS path of name.
func (r *rootFS) Path(name string) string { return r.where(name) }

func (r *rootFS) Mkdir(name string, perm fs.FileMode) error { return r.root.Mkdir(name, perm) }

// OpenFile opens name as a regular file. os.Root keeps every path inside
// the staging dir but follows a symlink that stays inside it, so the file
// is checked before and after it is opened: what is there must be a
// regular file, and the file opened must be the one named (a symlink
// swapped in between is caught by comparing the files).
func (r *rootFS) OpenFile(name string, flag int, perm fs.FileMode) (file, error) {
	before, err := r.root.Lstat(name)
	switch {
	case err == nil && !before.Mode().IsRegular():
		return nil, r.notRegular(name, before.Mode())
	case err != nil && !(isNotExist(err) && flag&os.O_CREATE != 0):
		return nil, err
	case err != nil:
		before = nil
	}
	f, err := r.root.OpenFile(name, flag|oNonblock, perm)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = r.notRegular(name, fi.Mode())
	}
	if err == nil {
		after, lerr := r.root.Lstat(name)
		switch {
		case lerr != nil:
			err = lerr
		case !os.SameFile(after, fi) || (before != nil && !os.SameFile(before, fi)):
			err = fmt.Errorf("%s was replaced while it was opened (a symlink planted there?): %w; s3commit writes only regular files there: remove it",
				r.where(name), errNotRegular)
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func (r *rootFS) notRegular(name string, mode fs.FileMode) error {
	return fmt.Errorf("%s is %s, %w; s3commit writes only regular files there: remove it", r.where(name), kindOf(mode), errNotRegular)
}

// kindOf names the type of a file mode.
func kindOf(mode fs.FileMode) string {
	switch {
	case mode&fs.ModeSymlink != 0:
		return "a symlink"
	case mode.IsDir():
		return "a directory"
	case mode&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file (" + mode.Type().String() + ")"
}

func (r *rootFS) Rename(oldname, newname string) error { return r.root.Rename(oldname, newname) }
func (r *rootFS) Link(oldname, newname string) error   { return linkFile(r.root, oldname, newname) }
func (r *rootFS) Remove(name string) error             { return r.root.Remove(name) }
func (r *rootFS) RemoveAll(name string) error          { return r.root.RemoveAll(name) }
func (r *rootFS) Lstat(name string) (fs.FileInfo, error) {
	return r.root.Lstat(name)
}

func (r *rootFS) ReadDir(name string) ([]fs.DirEntry, error) {
	return fs.ReadDir(r.root.FS(), name)
}

func (r *rootFS) SyncDir(name string) error {
	d, err := r.root.Open(name)
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", r.where(name), err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sync directory %s: %w", r.where(name), err)
	}
	return nil
}

func (r *rootFS) Lock(name string) (func(), error) {
	f, err := r.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	return lockFile(f.(*os.File))
}

// linkFile makes a hard link inside a root; tests replace it to act as an
// NFS client whose retransmitted LINK answers EEXIST for a link that was
// made.
var linkFile = func(root *os.Root, oldname, newname string) error { return root.Link(oldname, newname) }

// readFileFS reads a whole regular file of at most limit bytes.
func readFileFS(fsys fsys, name string, limit int64) ([]byte, error) {
	f, err := openRecord(fsys, name, limit)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", fsys.Path(name), err)
	}
	if int64(len(data)) > limit { // it grew since the check
		return nil, tooLarge(fsys.Path(name), int64(len(data)), limit)
	}
	return data, nil
}
