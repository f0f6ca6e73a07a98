package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/s3commit/s3commit/internal/mounts"
	"github.com/s3commit/s3commit/multipart"
)

// stagingTarget is the staging dir "s3commit doctor --staging" checks: a
// directory, or a prefix in the store read through Store.
type stagingTarget struct {
	// Dir is the parsed --staging argument.
	Dir stagingDir
	// Store is the store on the bucket of a staging dir in the store
	// (without a retrying layer, as doctorInput.Store); nil for a
	// directory.
	Store multipart.Store
}

// String returns the staging dir as given.
func (t *stagingTarget) String() string { return t.Dir.String() }

// checkStaging checks a staging dir: a directory for what the filesystem
// home needs (a file written and fsynced, link(2) that fails when the
// name exists, flock, directory fsync, a filesystem whose locks hold
// across hosts), or a prefix in the store for the conditional writes the
// store home needs, and that it lies outside the destination. It removes
// what it made and returns what it could not remove.
func checkStaging(ctx context.Context, t *stagingTarget, dest s3URL, racers int, nonce string, retry multipart.RetryPolicy) ([]doctorRow, doctorRemoved, []string) {
	if !t.Dir.inStore() {
		rows, left := checkStagingDirectory(t.Dir.arg, nonce)
		return rows, doctorRemoved{}, left
	}
	sess := newProbeSession(t.Store, probeBase(t.Dir.prefix, nonce+"-staging"), retry)
	token := func(label string) []byte {
		return []byte("s3commit doctor staging probe " + nonce + " " + label + "\n")
	}
	var rows []doctorRow
	rows = append(rows, stagingPrefixRow(t.Dir, dest))
	rows = append(rows, relabel(probePutSequential(ctx, sess, "staging_put_if_none_match", token("first"), token("second")))...)
	rows = append(rows, relabel(probePutRace(ctx, sess, "staging_put_if_none_match_race", racers, token))...)
	removed, left := sess.cleanup(ctx)
	return rows, removed, left
}

// relabel marks rows of the store checks as checks of the staging dir.
func relabel(rows []doctorRow) []doctorRow {
	for i := range rows {
		rows[i].Check = "staging dir: " + rows[i].Check
	}
	return rows
}

// stagingPrefixRow checks that a staging dir in the store and the
// destination do not contain one another, as staging.New does.
func stagingPrefixRow(d stagingDir, dest s3URL) doctorRow {
	row := doctorRow{ID: "staging_prefix", Check: "staging dir: prefix outside the destination", Required: true}
	a, b := d.prefix+"/", strings.TrimRight(dest.Key, "/")+"/"
	if d.bucket == dest.Bucket && (strings.HasPrefix(a, b) || strings.HasPrefix(b, a)) {
		row.Result = fmt.Sprintf("s3://%s/%s and %s contain one another", d.bucket, d.prefix, dest)
		row.Verdict = verdictRefuses
		row.S3commit = fmt.Sprintf("staging.New refuses it (the job's records would be taken for its output): give a staging prefix outside the destination, such as s3://%s/_staging", d.bucket)
		return row
	}
	row.Result = "outside"
	row.Verdict = verdictWorks
	row.S3commit = "the job's records are kept apart from its output"
	return row
}

// checkStagingDirectory checks a staging dir on a filesystem in a
// directory of its own inside it, which it removes.
func checkStagingDirectory(dir, nonce string) ([]doctorRow, []string) {
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		what := "not a directory"
		if err != nil {
			what = err.Error()
			if errors.Is(err, fs.ErrNotExist) {
				what = "does not exist"
			}
		}
		return []doctorRow{{ID: "staging_dir", Check: "staging dir: an existing directory", Result: what, Verdict: verdictUnknown, Required: true,
			S3commit: "SetupJob creates a missing staging dir (its parent must be writable); create it and run doctor again to check it"}}, nil
	}
	probe := filepath.Join(dir, probeDirPrefix+nonce)
	writeRow := doctorRow{ID: "staging_write", Check: "staging dir: write and fsync a file", Required: true}
	if err := os.Mkdir(probe, 0o700); err != nil {
		writeRow.Result, writeRow.Verdict = "creating a directory failed: "+err.Error(), verdictRefuses
		writeRow.S3commit = "SetupJob cannot create the job's directory: give a staging dir this user can write (--staging-dir, staging.Options.StagingDir)"
		return []doctorRow{writeRow}, nil
	}
	var left []string
	defer func() {
		if err := os.RemoveAll(probe); err != nil {
			left = append(left, fmt.Sprintf("%s (%v)", probe, err))
		}
	}()

	rows := []doctorRow{}
	tmp := filepath.Join(probe, "record.tmp")
	if err := writeSynced(tmp, []byte("s3commit doctor "+nonce+"\n")); err != nil {
		writeRow.Result, writeRow.Verdict = err.Error(), verdictRefuses
		writeRow.S3commit = "task commits cannot publish their pendingsets: give a staging dir this user can write, on a filesystem that fsyncs"
		return append(rows, writeRow), left
	}
	writeRow.Result, writeRow.Verdict = "ok", verdictWorks
	writeRow.S3commit = "records are written to a temporary file and fsynced before they are published"
	rows = append(rows, writeRow, linkRow(probe, tmp), flockRow(filepath.Join(probe, "lock")), dirSyncRow(probe), filesystemRow(dir))
	return rows, left
}

// writeSynced creates name exclusively with data and fsyncs it.
func writeSynced(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create a file: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write a file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("fsync a file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close a file: %w", err)
	}
	return nil
}

// linkRow checks that link(2) creates a name and fails with EEXIST when
// the name exists: how a task attempt publishes its pendingset, first
// attempt wins.
func linkRow(dir, tmp string) doctorRow {
	row := doctorRow{ID: "staging_link", Check: "staging dir: link(2), then to a taken name", Required: true}
	target := filepath.Join(dir, "published")
	if err := os.Link(tmp, target); err != nil {
		row.Result, row.Verdict = "link failed: "+linkError(err), verdictRefuses
		row.S3commit = "task commits publish pendingsets with link(2) and fail here: use a POSIX filesystem (local, NFS) or a staging dir in the store (s3://BUCKET/PREFIX)"
		return row
	}
	other := filepath.Join(dir, "other.tmp")
	if err := writeSynced(other, []byte("other\n")); err != nil {
		row.Result, row.Verdict = "ok; the second file: "+err.Error(), verdictUnknown
		row.S3commit = "cannot tell whether a second attempt's publish of a task's pendingset fails as it must"
		return row
	}
	err := os.Link(other, target)
	switch {
	case err == nil:
		row.Result, row.Verdict = "ok; the second link succeeded", verdictUnsafe
		row.S3commit = "two attempts of a task could both publish: first attempt wins does not hold; use another filesystem or a staging dir in the store"
	case errors.Is(err, fs.ErrExist):
		row.Result, row.Verdict = "ok; the second: EEXIST", verdictWorks
		row.S3commit = "the first attempt of a task to publish its pendingset wins; the others are told (ErrTaskCommitted)"
	default:
		row.Result, row.Verdict = "ok; the second: "+linkError(err), verdictUnknown
		row.S3commit = "a losing attempt's publish fails otherwise than with EEXIST: the task commit fails instead of reporting ErrTaskCommitted"
	}
	return row
}

// linkError returns the system error of a failed link, without the paths.
func linkError(err error) string {
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err.Error()
	}
	return err.Error()
}

// dirSyncRow checks that the directory can be fsynced, which makes its
// new entries survive a crash of the host.
func dirSyncRow(dir string) doctorRow {
	row := doctorRow{ID: "staging_fsync_dir", Check: "staging dir: fsync of the directory"}
	f, err := os.Open(dir)
	if err == nil {
		err = f.Sync()
		f.Close()
	}
	if err != nil {
		row.Result, row.Verdict = err.Error(), verdictCost
		row.S3commit = "the committer goes on without it: a record published just before the host crashes may be lost with the crash"
		return row
	}
	row.Result, row.Verdict = "ok", verdictWorks
	row.S3commit = "published records survive a crash of the host"
	return row
}

// flockRow checks that flock(2) locks a file and refuses a second lock
// while the first is held: how CommitJob and AbortJob keep to one at a
// time.
func flockRow(path string) doctorRow {
	row := doctorRow{ID: "staging_flock", Check: "staging dir: flock, then a second flock", Required: true}
	first, second, err := flockTwice(path)
	switch {
	case errors.Is(err, errFlockUnsupported):
		row.Result, row.Verdict = err.Error(), verdictUnknown
		row.S3commit = "CommitJob and AbortJob lock a job with flock, which this check does not cover here"
	case err != nil:
		row.Result, row.Verdict = err.Error(), verdictUnknown
		row.S3commit = "cannot tell whether CommitJob and AbortJob can lock a job here"
	case first != nil:
		row.Result, row.Verdict = "flock failed: "+first.Error(), verdictRefuses
		row.S3commit = "CommitJob and AbortJob cannot lock a job: on NFS mount with the lock protocol (no nolock), or use a staging dir in the store (s3://BUCKET/PREFIX)"
	case second == nil:
		row.Result, row.Verdict = "ok; the second flock was granted too", verdictUnsafe
		row.S3commit = "two CommitJob or AbortJob of one job could run at once; use another filesystem or a staging dir in the store (s3://BUCKET/PREFIX)"
	default:
		row.Result, row.Verdict = "ok; the second: "+second.Error(), verdictWorks
		row.S3commit = "one CommitJob or AbortJob of a job at a time (across hosts as far as the filesystem's locks reach: next row)"
	}
	return row
}

// errFlockUnsupported is flockTwice's error where flock is not checked.
var errFlockUnsupported = errors.New("flock is not checked on this system")

// filesystemRow names the staging dir's filesystem and, for NFS, the
// mount options that keep flock on each client.
func filesystemRow(dir string) doctorRow {
	fsName, err := filesystemType(dir)
	if err != nil {
		return filesystemVerdict(fsType{}, err, mountEntry{}, nil)
	}
	mount, merr := mountOf(dir)
	return filesystemVerdict(fsName, nil, mount, merr)
}

// filesystemVerdict is the staging_filesystem row of a directory on
// filesystem fsName (or fsErr: it is not known) in mount (or merr: the
// mount table could not tell).
func filesystemVerdict(fsName fsType, fsErr error, mount mountEntry, merr error) doctorRow {
	row := doctorRow{ID: "staging_filesystem", Check: "staging dir: filesystem and mount options"}
	if fsErr != nil {
		row.Result, row.Verdict = "unknown: "+fsErr.Error(), verdictUnknown
		row.S3commit = "the driver and tasks on several hosts need a shared filesystem whose flock and link(2) hold across hosts (NFS with locking)"
		return row
	}
	desc := fsName.name
	if merr == nil && mount.Point != "" {
		desc += " at " + mount.Point
	}
	switch {
	case fsName.kind == fsNFS:
		problems := mounts.NFSLockOptions(mount.Options)
		if merr != nil {
			row.Result, row.Verdict = desc+"; its mount options are unknown: "+merr.Error(), verdictUnknown
			row.S3commit = "flock holds across hosts only with the NFS lock protocol: check that the mount has no nolock and no local_lock=flock|all"
			return row
		}
		if len(problems) > 0 {
			row.Result = desc + " with " + strings.Join(problems, ", ")
			row.Verdict = verdictUnsafe
			row.S3commit = "flock stays on each client: drivers on two hosts can both commit or abort a job at once; " +
				"mount without nolock and with local_lock=none (NFSv3 with the lock protocol, or NFSv4), or use a staging dir in the store (s3://BUCKET/PREFIX)"
			return row
		}
		row.Result = desc + " (" + nfsVersion(mount.Options) + "locking on the server)"
		row.Verdict = verdictWorks
		row.S3commit = "a shared directory: flock goes through the NFS lock manager, link(2) is exclusive on the server (a retransmitted LINK is recognised)"
	case fsName.kind == fsLocal:
		row.Result, row.Verdict = desc+" (local)", verdictWorks
		row.S3commit = "the processes of this host share it; tasks on other hosts need a shared filesystem (NFS) or a staging dir in the store"
	case fsName.kind == fsMemory:
		row.Result, row.Verdict = desc+" (in memory)", verdictCost
		row.S3commit = "the records do not survive a reboot: a job whose host restarts cannot be resumed or rolled back from its records (its uploads stay); use a disk"
	case fsName.kind == fsNetwork:
		row.Result, row.Verdict = desc+" (a network filesystem)", verdictUnknown
		row.S3commit = "s3commit is tested on NFS; check that flock and link(2) hold across the hosts, or use a staging dir in the store"
	default:
		row.Result, row.Verdict = desc, verdictUnknown
		row.S3commit = "the driver and tasks on several hosts need a shared filesystem whose flock and link(2) hold across hosts (NFS with locking)"
	}
	return row
}
