package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/s3commit/s3commit/internal/mounts"
)

// mountinfoFile lists the mounts this process sees, with their options
// (Linux); tests point it elsewhere.
var mountinfoFile = "/proc/self/mountinfo"

// mountEntry is one mount of mountinfoFile.
type mountEntry = mounts.Entry

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
	return mounts.Holding(mounts.ParseMountinfo(mountinfo), dir)
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
