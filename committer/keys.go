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

// CutJobID undoes [UniqueFilename] on the file name of key, the part after
// its last '/': it returns key without the "-<jobID>" that UniqueFilename
// inserted and true, or key unchanged and false when the file name does
// not carry jobID where UniqueFilename puts it: right before the first '.'
// of the original name, or at the end of a name without '.'. The original
// name has no '.' before the inserted ID while the ID may contain dots, so
// at most one place fits, and for every name, relative path and
// destination
//
//	CutJobID(UniqueFilename(name, jobID), jobID) == name, true
//	CutJobID(DestinationKey(dest, rel, jobID, true), jobID) == DestinationKey(dest, rel, jobID, false), true
//
// "out/part-0000-job1.snappy.parquet" and "job1" give
// "out/part-0000.snappy.parquet"; "out/part-0000-job12.json" does not
// carry "job1". A key of another job whose ID ends in "-<jobID>" carries
// jobID too ("part-0000-backfill-job1.json" may be the file
// "part-0000.json" of job "backfill-job1"): only the job's records tell.
func CutJobID(key, jobID string) (string, bool) {
	dir := key[:strings.LastIndexByte(key, '/')+1]
	name := key[len(dir):]
	needle := "-" + jobID
	for i := 0; i+len(needle) <= len(name); i++ {
		if strings.HasPrefix(name[i:], needle) {
			if rest := name[i+len(needle):]; rest == "" || rest[0] == '.' {
				return dir + name[:i] + rest, true
			}
		}
		if name[i] == '.' {
			break // past the first '.' of the original name
		}
	}
	return key, false
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
