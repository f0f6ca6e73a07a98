package staging

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/s3commit/s3commit/internal/mounts"
)

// CommitJob and AbortJob hold a job's lock with flock(2) on a file of the
// staging dir, so that only one of them runs at a time across the hosts
// sharing the staging dir. On NFS that needs the lock protocol: a mount
// with "nolock" or "local_lock=flock" (or "local_lock=all") keeps flocks
// on the client, and two hosts both get the lock. The committer warns
// where it can see such a mount (Linux's /proc/mounts).

// mountsFile lists the mounts of this host; tests point it elsewhere.
var mountsFile = "/proc/mounts"

// warnMountOptions logs, once per Committer, a warning when the staging
// dir is on an NFS mount whose options break flock across hosts.
func (c *Committer) warnMountOptions(ctx context.Context) {
	c.mountCheck.Do(func() {
		data, err := os.ReadFile(mountsFile)
		if err != nil {
			return // not Linux, or not readable: nothing to see
		}
		dir, err := filepath.Abs(c.opts.StagingDir)
		if err != nil {
			return
		}
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			dir = real
		}
		if problem := nfsLockProblem(data, dir); problem != "" {
			c.opts.Logger.WarnContext(ctx, "the staging dir's NFS mount does not lock across hosts: "+problem+
				"; mount it with the lock protocol (NFSv3 without nolock, or NFSv4) and without local_lock=flock|all",
				"staging_dir", c.opts.StagingDir)
		}
	})
}

// nfsLockProblem reads a mounts table in the format of /proc/mounts and
// says what is wrong with the NFS mount holding dir for flock across
// hosts, or "" when nothing is (or dir is not on NFS).
func nfsLockProblem(table []byte, dir string) string {
	m, ok := mounts.Holding(mounts.ParseMounts(table), dir)
	if !ok || !m.IsNFS() {
		return ""
	}
	var problems []string
	for _, o := range mounts.NFSLockOptions(m.Options) {
		if o == "nolock" {
			problems = append(problems, m.Point+" is mounted with nolock (locks stay on each client)")
		} else {
			problems = append(problems, m.Point+" is mounted with "+o+" (flocks stay on each client)")
		}
	}
	return strings.Join(problems, "; ")
}
