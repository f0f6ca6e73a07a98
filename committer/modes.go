package committer

import (
	"errors"
	"fmt"
)

// Mode is how a committer lays out and guards the destination.
type Mode string

const (
	// ModeDirectory treats the destination as one directory: conflicts are
	// resolved for the destination as a whole. Hadoop: the "directory"
	// staging committer.
	ModeDirectory Mode = "directory"
	// ModePartitioned treats the directory of each file as a partition:
	// conflicts are resolved per partition the job writes. Hadoop: the
	// "partitioned" staging committer.
	ModePartitioned Mode = "partitioned"
)

// ConflictMode says what happens when the destination (or, in
// [ModePartitioned], a partition the job writes) already holds objects.
// Hadoop: fs.s3a.committer.staging.conflict-mode.
type ConflictMode string

const (
	// ConflictFail refuses to write where objects exist (the default).
	ConflictFail ConflictMode = "fail"
	// ConflictAppend adds the job's files; with unique filenames nothing is
	// overwritten.
	ConflictAppend ConflictMode = "append"
	// ConflictReplace makes the destination (or each partition written)
	// hold exactly the job's files. Old objects are deleted only after the
	// new ones are complete.
	ConflictReplace ConflictMode = "replace"
)

// ErrInvalidMode is matched by errors about an unknown Mode or ConflictMode.
var ErrInvalidMode = errors.New("invalid mode")

// ParseMode returns the Mode named s ("directory" or "partitioned").
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeDirectory, ModePartitioned:
		return m, nil
	}
	return "", fmt.Errorf("%w: committer mode %q; use %q or %q", ErrInvalidMode, s, ModeDirectory, ModePartitioned)
}

// ParseConflictMode returns the ConflictMode named s ("fail", "append" or
// "replace").
func ParseConflictMode(s string) (ConflictMode, error) {
	switch m := ConflictMode(s); m {
	case ConflictFail, ConflictAppend, ConflictReplace:
		return m, nil
	}
	return "", fmt.Errorf("%w: conflict mode %q; use %q, %q or %q", ErrInvalidMode, s, ConflictFail, ConflictAppend, ConflictReplace)
}
