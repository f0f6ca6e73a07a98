package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// mountinfoFile lists the mounts this process sees, with their options
// (Linux); tests point it elsewhere.
var mountinfoFile = "/proc/self/mountinfo"

// mountEntry is one mount of mountinfoFile.
type mountEntry struct {
	// Point is the mount point.
	Point string
	// FSType is the filesystem type, e.g. "nfs4" or "fuse.sshfs".
	FSType string
	// Source is the mounted device or export, e.g. "server:/export".
	Source string
	// Options are the per-mount and the filesystem's options together.
	Options []string
}

// mountOf returns the mount that holds dir: of the mount points that are
// dir or above it, the longest, and of mounts stacked on one point the
// last.
func mountOf(dir string) (mountEntry, error) {
	data, err := os.ReadFile(mountinfoFile)
	if err != nil {
		return mountEntry{}, fmt.Errorf("read the mount table: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return mountEntry{}, fmt.Errorf("staging dir %s: %w", dir, err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	m, ok := findMount(data, abs)
	if !ok {
		return mountEntry{}, fmt.Errorf("no mount of %s holds %s", mountinfoFile, abs)
	}
	return m, nil
}

// findMount parses a mount table in the format of /proc/self/mountinfo
// and returns the mount holding the absolute path dir.
func findMount(mountinfo []byte, dir string) (mountEntry, bool) {
	var best mountEntry
	found := false
	sc := bufio.NewScanner(bytes.NewReader(mountinfo))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		m, ok := parseMountinfoLine(sc.Text())
		if !ok || !within(dir, m.Point) {
			continue
		}
		if !found || len(m.Point) >= len(best.Point) {
			best, found = m, true
		}
	}
	return best, found
}

// parseMountinfoLine parses one line of mountinfo:
//
//	36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//
// the mount point is the fifth field, its options the sixth; after the
// "-" come the type, the source and the filesystem's options.
func parseMountinfoLine(line string) (mountEntry, bool) {
	before, after, ok := strings.Cut(line, " - ")
	if !ok {
		return mountEntry{}, false
	}
	f, g := strings.Fields(before), strings.Fields(after)
	if len(f) < 6 || len(g) < 2 {
		return mountEntry{}, false
	}
	m := mountEntry{Point: unescapeOctal(f[4]), FSType: g[0], Source: unescapeOctal(g[1])}
	m.Options = strings.Split(f[5], ",")
	if len(g) >= 3 {
		m.Options = append(m.Options, strings.Split(g[2], ",")...)
	}
	return m, true
}

// within reports whether the absolute path p is mount point mp or below it.
func within(p, mp string) bool {
	if mp == "/" {
		return strings.HasPrefix(p, "/")
	}
	return p == mp || strings.HasPrefix(p, mp+"/")
}

// unescapeOctal undoes the octal escapes of the mount table ("\040" for a
// space).
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctalDigits(s[i+1:i+4]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctalDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '7' {
			return false
		}
	}
	return len(s) == 3
}

// nfsLockOptions returns the NFS mount options that keep flock on each
// client: nolock, local_lock=flock and local_lock=all.
func nfsLockOptions(options []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, o := range options {
		switch o {
		case "nolock", "local_lock=flock", "local_lock=all":
			if !seen[o] {
				seen[o] = true
				out = append(out, o)
			}
		}
	}
	return out
}

// nfsVersion returns "NFSv4.2, " from a vers= option, or "".
func nfsVersion(options []string) string {
	for _, o := range options {
		if v, ok := strings.CutPrefix(o, "vers="); ok {
			return "NFSv" + v + ", "
		}
	}
	return ""
}
