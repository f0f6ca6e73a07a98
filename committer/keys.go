package committer

import (
	"fmt"
	"path"
	"strings"
	"unicode/utf8"
)

// UniqueFilename inserts "-<jobID>" before the first '.' of a file name, as
// Hadoop's staging committers do with unique filenames on:
// "part-0000.snappy.parquet" becomes "part-0000-<jobID>.snappy.parquet",
// and a name without '.' gets the suffix at its end.
func UniqueFilename(name, jobID string) string {
	if i := strings.IndexByte(name, '.'); i >= 0 {
		return name[:i] + "-" + jobID + name[i:]
	}
	return name + "-" + jobID
}

// CleanRelativePath checks a file path relative to a task attempt's
// directory and returns it in slash form. It refuses, with
// [ErrInvalidPath], paths that would escape the directory or make a
// malformed key: empty, absolute, with "." or ".." segments, empty
// segments ("a//b", a trailing '/'), backslashes, control characters (NUL,
// CR, LF, the other C0 characters and DEL, which listings without URL
// encoding do not return intact), or invalid UTF-8.
func CleanRelativePath(rel string) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("%w: %q %s; give a relative path like \"year=2026/part-0000.parquet\"", ErrInvalidPath, rel, why)
	}
	switch {
	case rel == "":
		return bad("is empty")
	case !utf8.ValidString(rel):
		return bad("is not valid UTF-8")
	case strings.ContainsRune(rel, '\\'):
		return bad("contains a backslash")
	case strings.IndexFunc(rel, isControl) >= 0:
		r := rel[strings.IndexFunc(rel, isControl)]
		return bad(fmt.Sprintf("contains the control character %U; rename the file without control characters", rune(r)))
	case strings.HasPrefix(rel, "/"):
		return bad("is absolute")
	}
	for _, seg := range strings.Split(rel, "/") {
		switch seg {
		case "":
			return bad("has an empty segment")
		case ".", "..":
			return bad("has a \".\" or \"..\" segment")
		}
	}
	return rel, nil
}

// isControl reports whether r is an ASCII control character (C0 or DEL).
func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// DestinationKey returns the object key of a file written at relative path
// rel by a task of job jobID: the destination prefix, '/', and rel, with
// the job ID inserted into the file name when unique is set (see
// [UniqueFilename]). An empty destination means the bucket's root.
func DestinationKey(destination, rel, jobID string, unique bool) string {
	if unique {
		dir, file := path.Split(rel)
		rel = dir + UniqueFilename(file, jobID)
	}
	if destination == "" {
		return rel
	}
	return strings.TrimSuffix(destination, "/") + "/" + rel
}
