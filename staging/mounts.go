package staging

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
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
func nfsLockProblem(mounts []byte, dir string) string {
	var best, fstype, options string
	sc := bufio.NewScanner(bytes.NewReader(mounts))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 {
			continue
		}
		mp := unescapeMount(f[1])
		if !within(dir, mp) || len(mp) < len(best) {
			continue
		}
		best, fstype, options = mp, f[2], f[3]
	}
	if !strings.HasPrefix(fstype, "nfs") {
		return ""
	}
	var problems []string
	for _, o := range strings.Split(options, ",") {
		switch o {
		case "nolock":
			problems = append(problems, best+" is mounted with nolock (locks stay on each client)")
		case "local_lock=flock", "local_lock=all":
			problems = append(problems, best+" is mounted with "+o+" (flocks stay on each client)")
		}
	}
	return strings.Join(problems, "; ")
}

// within reports whether path is mount point mp or below it.
func within(path, mp string) bool {
	if mp == "/" {
		return strings.HasPrefix(path, "/")
	}
	return path == mp || strings.HasPrefix(path, mp+"/")
}

// unescapeMount undoes the octal escapes of /proc/mounts ("\040" for a
// space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1:i+4]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < '0' || s[i] > '7' {
			return false
		}
	}
	return true
}
