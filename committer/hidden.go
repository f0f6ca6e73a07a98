package committer

// IsHidden reports whether name, a single path segment such as a file's
// own name, is hidden: it starts with '_' or '.'. Task commit leaves such
// files out, as Hadoop does (writers keep temporary files and markers
// there, and the committer's own _SUCCESS is one), readers of a
// destination skip them, and no job or task ID may be one. Pass the last
// segment of a path or key, not the whole of it: only the file's own name
// counts, whatever its directories are called.
func IsHidden(name string) bool {
	return name != "" && (name[0] == '_' || name[0] == '.')
}
