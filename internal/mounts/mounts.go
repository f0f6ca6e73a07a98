// Package mounts reads Linux mount tables (/proc/mounts and
// /proc/self/mountinfo) to find the mount that holds a directory and the
// NFS mount options that keep flock(2) locks on each client. The staging
// committer warns about such a staging dir; `s3commit doctor` reports it.
package mounts

import (
	"bufio"
	"bytes"
	"slices"
	"strings"
)

// Entry is one mount of a mount table.
type Entry struct {
	// Point is the mount point.
	Point string
	// FSType is the filesystem type, e.g. "nfs4" or "fuse.sshfs".
	FSType string
	// Source is the mounted device or export, e.g. "server:/export".
	Source string
	// Options are the mount's options (in mountinfo, the per-mount and
	// the filesystem's options together).
	Options []string
}

// ParseMounts parses a table in the format of /proc/mounts: device,
// mount point, type and options, separated by spaces.
func ParseMounts(table []byte) []Entry {
	return parse(table, func(line string) (Entry, bool) {
		f := strings.Fields(line)
		if len(f) < 4 {
			return Entry{}, false
		}
		return Entry{Point: unescape(f[1]), FSType: f[2], Source: unescape(f[0]), Options: strings.Split(f[3], ",")}, true
	})
}

// ParseMountinfo parses a table in the format of /proc/self/mountinfo:
//
//	36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//
// the mount point is the fifth field, its options the sixth; after the
// "-" come the type, the source and the filesystem's options.
func ParseMountinfo(table []byte) []Entry {
	return parse(table, func(line string) (Entry, bool) {
		before, after, ok := strings.Cut(line, " - ")
		if !ok {
			return Entry{}, false
		}
		f, g := strings.Fields(before), strings.Fields(after)
		if len(f) < 6 || len(g) < 2 {
			return Entry{}, false
		}
		m := Entry{Point: unescape(f[4]), FSType: g[0], Source: unescape(g[1]), Options: strings.Split(f[5], ",")}
		if len(g) >= 3 {
			m.Options = append(m.Options, strings.Split(g[2], ",")...)
		}
		return m, true
	})
}

func parse(table []byte, line func(string) (Entry, bool)) []Entry {
	var out []Entry
	sc := bufio.NewScanner(bytes.NewReader(table))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if m, ok := line(sc.Text()); ok {
			out = append(out, m)
		}
	}
	return out
}

// Holding returns the mount that holds the absolute path dir: of the
// mount points that are dir or above it, the longest, and of mounts
// stacked on one point the last.
func Holding(entries []Entry, dir string) (Entry, bool) {
	var best Entry
	found := false
	for _, m := range entries {
		if within(dir, m.Point) && (!found || len(m.Point) >= len(best.Point)) {
			best, found = m, true
		}
	}
	return best, found
}

// IsNFS reports whether m is an NFS mount.
func (m Entry) IsNFS() bool { return strings.HasPrefix(m.FSType, "nfs") }

// NFSLockOptions returns the options among options that keep flock(2)
// locks on each NFS client, each once: nolock, local_lock=flock and
// local_lock=all.
func NFSLockOptions(options []string) []string {
	var out []string
	for _, o := range options {
		switch o {
		case "nolock", "local_lock=flock", "local_lock=all":
			if !slices.Contains(out, o) {
				out = append(out, o)
			}
		}
	}
	return out
}

// within reports whether the absolute path p is mount point mp or below it.
func within(p, mp string) bool {
	if mp == "/" {
		return strings.HasPrefix(p, "/")
	}
	return p == mp || strings.HasPrefix(p, mp+"/")
}

// unescape undoes the octal escapes of mount tables ("\040" for a space).
func unescape(s string) string {
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
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '7' {
			return false
		}
	}
	return len(s) == 3
}
