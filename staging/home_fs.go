package staging

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"syscall"

	"github.com/s3commit/s3commit/pendingset"
)

// fsHome keeps the records in a directory that the driver and every task
// share: a task publishes its pendingset with link(2) (first attempt
// wins), the job commit seals the tasks by renaming their directory and
// holds a flock on the job's lock file, and the journal and intents are
// files appended to and fsynced line by line.
type fsHome struct {
	fs  fsys
	log *slog.Logger
}

var _ home = (*fsHome)(nil)

func (h *fsHome) where(name string) string { return h.fs.Path(name) }

func (h *fsHome) jobExists(_ context.Context, l layout) (bool, error) {
	_, err := h.fs.Lstat(l.jobDir)
	switch {
	case err == nil:
		return true, nil
	case isNotExist(err):
		return false, nil
	}
	return false, err
}

// createJob makes the job's directory whole under a hidden name and
// renames it into place: a crash never leaves a job directory without its
// record, and rename(2) fails when a job directory with files is there.
func (h *fsHome) createJob(_ context.Context, l layout, data []byte) error {
	fsys := h.fs
	tmp := setupName(l.jobDir)
	// The name is random, so an existing one is our own: a retransmitted
	// mkdir (NFS) whose first request made it.
	if err := fsys.Mkdir(tmp, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		_ = fsys.RemoveAll(tmp) // made, if only the answer was lost
		return fmt.Errorf("%w; give a StagingDir that this process can write", err)
	}
	err := h.fillJob(newLayout("", tmp), data)
	if err == nil {
		// A rename whose answer was lost took effect when tmp is gone and
		// the record in place is this one.
		if err = fsys.Rename(tmp, l.jobDir); err != nil && renamedTo(fsys, tmp, l.record(), data) {
			err = nil
		}
	}
	if err != nil {
		_ = fsys.RemoveAll(tmp)
		if errors.Is(err, fs.ErrExist) || errors.Is(err, syscall.ENOTEMPTY) {
			return fmt.Errorf("%w: %w", errTargetExists, err)
		}
		return err
	}
	if err := fsys.SyncDir("."); err != nil {
		// The job is in place; the sync is its durability only.
		h.log.Warn("could not sync the staging dir after setting up a job", "job", l.jobDir, "error", err)
	}
	return nil
}

func (h *fsHome) fillJob(in layout, data []byte) error {
	for _, dir := range []string{in.tasksDir(), in.attemptsDir()} {
		if err := h.fs.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) { // ours: see above
			return err
		}
	}
	return writeFileAtomic(h.fs, in.record(), data)
}

func (h *fsHome) readJobRecord(_ context.Context, l layout) (*jobRecord, error) {
	return readJobRecord(h.fs, l.record())
}

func (h *fsHome) sweepRemnants(_ context.Context, jobID string) { sweepRemnants(h.fs, jobID) }

func (h *fsHome) taskPendingSet(_ context.Context, l layout, taskID string) (*pendingset.Set, error) {
	var last error
	for _, name := range []string{l.pendingSet(taskID), path.Join(l.sealedDir(), taskID+pendingSetSuffix)} {
		ps, err := readPendingSet(h.fs, name)
		if err == nil || !isNotExist(err) {
			return ps, err
		}
		last = err
	}
	return nil, last
}

func (h *fsHome) sealing(_ context.Context, l layout) (bool, error) {
	_, err := h.fs.Lstat(l.sealedDir())
	switch {
	case err == nil:
		return true, nil
	case isNotExist(err):
		return false, nil
	}
	return false, err
}

func (h *fsHome) publish(_ context.Context, l layout, taskID string, data []byte) error {
	err := publishExclusive(h.fs, l.pendingSet(taskID), data)
	if isNotExist(err) {
		// The tasks directory is gone: the job commit sealed it, or the
		// job was committed or aborted and removed.
		return fmt.Errorf("%w: %w", errSealed, err)
	}
	return err
}

func (h *fsHome) seal(_ context.Context, l layout) error {
	err := h.fs.Rename(l.tasksDir(), l.sealedDir())
	switch {
	case err == nil:
	case isNotExist(err):
		if _, serr := h.fs.Lstat(l.sealedDir()); serr == nil {
			return nil // sealed already
		}
		if err := h.fs.Mkdir(l.sealedDir(), 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	default:
		return fmt.Errorf("rename %s: %w", l.tasksDir(), err)
	}
	return h.fs.SyncDir(l.jobDir)
}

func (h *fsHome) unseal(_ context.Context, l layout) error {
	if err := h.fs.Rename(l.sealedDir(), l.tasksDir()); err != nil {
		return err
	}
	return h.fs.SyncDir(l.jobDir)
}

func (h *fsHome) pendingSets(_ context.Context, l layout) (bool, []string, error) {
	sealed, dir := false, l.tasksDir()
	if _, err := h.fs.Lstat(l.sealedDir()); err == nil {
		sealed, dir = true, l.sealedDir()
	}
	entries, err := h.fs.ReadDir(dir)
	if err != nil {
		if isNotExist(err) {
			return sealed, nil, nil
		}
		return sealed, nil, fmt.Errorf("list the committed tasks in %s: %w", h.fs.Path(dir), err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, path.Join(dir, e.Name()))
	}
	return sealed, names, nil
}

func (h *fsHome) published(_ context.Context, l layout, taskID string) bool {
	for _, dir := range []string{l.tasksDir(), l.sealedDir()} {
		if _, err := h.fs.Lstat(path.Join(dir, taskID+pendingSetSuffix)); err == nil {
			return true
		}
	}
	return false
}

func (h *fsHome) read(_ context.Context, name string, limit int64) ([]byte, error) {
	return readFileFS(h.fs, name, limit)
}

func (h *fsHome) openIntents(_ context.Context, l layout, taskID string, attempt int) (intentWriter, error) {
	return openIntentLog(h.fs, l.intents(taskID, attempt))
}

func (h *fsHome) intents(_ context.Context, l layout) (map[string][]intent, []error) {
	return readIntentsByAttempt(h.fs, l.attemptsDir())
}

func (h *fsHome) attemptIntents(_ context.Context, l layout, taskID string, attempt int) ([]intent, []error, error) {
	return readIntents(h.fs, l.intents(taskID, attempt))
}

func (h *fsHome) lock(_ context.Context, l layout, jobID string) (*jobLock, error) {
	return lockFS(h.fs, l, jobID)
}

func (h *fsHome) lockHeld(_ context.Context, l layout, _ *journalState) bool {
	return lockHeld(h.fs, l.lock())
}

func (h *fsHome) openJournal(_ context.Context, l layout, _ *jobLock) (journalWriter, error) {
	return openJournal(h.fs, l)
}

func (h *fsHome) readJournal(_ context.Context, l layout) *journalState {
	return readJournal(h.fs, l.journal())
}

// removeJob renames the job's directory to a hidden name
// (.trash-<jobID>-<random>) in one step, so that a crash in the middle of
// the removal never leaves part of a job's records, which a later process
// could take for a live job (a journal gone while job.json stays would
// hide that the job committed), then removes it. A remnant that a crash
// leaves is removed by the next OpenJob of the job (or SetupJob in the
// staging dir). Every file of the directory is closed first (on NFS,
// removing an open file leaves a .nfs file behind that keeps its
// directory): the caller closes the journal, and the lock, when held, is
// released right after the rename. Each step is tried twice.
func (h *fsHome) removeJob(ctx context.Context, l layout, lk *jobLock) {
	trash := trashName(l.jobDir)
	err := h.fs.Rename(l.jobDir, trash)
	if err != nil {
		if _, serr := h.fs.Lstat(trash); serr == nil {
			err = nil // renamed; only the answer was lost
		} else if !isNotExist(err) {
			err = h.fs.Rename(l.jobDir, trash)
		}
	}
	lk.release()
	switch {
	case err == nil:
		if removingJobDir != nil {
			removingJobDir(h.fs.Path(trash))
		}
		if err := h.fs.RemoveAll(trash); err != nil && h.fs.RemoveAll(trash) != nil {
			h.log.WarnContext(ctx, "could not remove the job's removed staging directory", "dir", h.fs.Path(trash), "error", err)
		}
		_ = h.fs.SyncDir(".")
	case !isNotExist(err):
		h.log.WarnContext(ctx, "could not remove the job's staging directory; CommitJob or AbortJob of the job removes it",
			"dir", h.fs.Path(l.jobDir), "error", err)
	}
}
