package committer

import (
	"errors"
	"fmt"
)

// MaxIDLength is the longest job or task ID accepted.
const MaxIDLength = 128

// ErrInvalidID is matched by every error about a malformed job, task or
// attempt ID.
var ErrInvalidID = errors.New("invalid ID")

// ValidateID checks a job or task ID: 1 to [MaxIDLength] characters from
// A–Z, a–z, 0–9, '-', '_' and '.', not starting with '.' or '_' (names that
// writers and Hadoop treat as hidden), so that an ID is safe as a single
// path segment and inside an object key. kind names the ID in the error
// ("job ID", "task ID").
func ValidateID(kind, id string) error {
	if id == "" {
		return fmt.Errorf("%w: the %s is empty", ErrInvalidID, kind)
	}
	if len(id) > MaxIDLength {
		return fmt.Errorf("%w: the %s %.20q… is %d characters long; the limit is %d", ErrInvalidID, kind, id, len(id), MaxIDLength)
	}
	if IsHidden(id) {
		return fmt.Errorf("%w: the %s %q starts with %q; IDs may not start with '.' or '_'", ErrInvalidID, kind, id, id[0])
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("%w: the %s %q has %q at byte %d; use only letters, digits, '-', '_' and '.'", ErrInvalidID, kind, id, c, i)
		}
	}
	return nil
}

// ValidateAttempt checks a task attempt number: 0 or more.
func ValidateAttempt(attempt int) error {
	if attempt < 0 {
		return fmt.Errorf("%w: attempt number %d is negative", ErrInvalidID, attempt)
	}
	return nil
}
