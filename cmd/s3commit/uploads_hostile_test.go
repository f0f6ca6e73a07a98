package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/internal/testserver"
)

// TestUploadsAbortRefusesAgesThatSelectEverything runs "uploads abort
// --force" with --older-than values that once parsed to a duration of zero
// or less (NaN days, an overflowing sum, zero), which selected every
// upload, however young: each is a usage error (exit code 2) naming the
// value and the accepted form, and nothing is aborted.
func TestUploadsAbortRefusesAgesThatSelectEverything(t *testing.T) {
	f := newUploadsFixture(t, testserver.MinIO(t))
	all := f.all()
	for _, age := range []string{"NaNd", "nand", "36500d2562047h", "106752d", "0", "0d", "0.00000000000001d"} {
		t.Run(age, func(t *testing.T) {
			res := f.run(t, "uploads", "abort", f.url("dest"), "--older-than", age, "--force")
			oneLineError(t, res, exitUsage, "--older-than", `"`+age+`"`, "e.g. 90m, 36h, 2d or 1d12h")
			require.Equal(t, all, existing(t, f.store, all...), "nothing aborted")
		})
	}
	// A valid age still works: nothing is that old.
	res := f.run(t, "uploads", "abort", f.url("dest"), "--older-than", "1d", "--force")
	require.Equal(t, exitOK, res.Code, res.Stderr)
	assert.Equal(t, "no uploads under "+f.url("dest")+" selected; nothing to abort\n", res.Stdout)
	assert.Equal(t, all, existing(t, f.store, all...))
}
