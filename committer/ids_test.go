package committer

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidateID(t *testing.T) {
	tests := []struct {
		id      string
		wantErr string
	}{
		{"job-2026-11-22", ""},
		{"550e8400-e29b-41d4-a716-446655440000", ""},
		{"task_0001.a", ""},
		{strings.Repeat("a", MaxIDLength), ""},
		{"", "is empty"},
		{strings.Repeat("a", MaxIDLength+1), "the limit is 128"},
		{"..", "starts with '.'"},
		{".hidden", "starts with '.'"},
		{"_temporary", "starts with '_'"},
		{"a/b", `has '/'`},
		{"a\\b", `has '\\'`},
		{"a b", `has ' '`},
		{"ünï", "has"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			err := ValidateID("job ID", tt.id)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalidID)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Contains(t, err.Error(), "job ID")
		})
	}
	require.ErrorIs(t, ValidateAttempt(-1), ErrInvalidID)
	require.NoError(t, ValidateAttempt(0))
}

func FuzzValidateID(f *testing.F) {
	for _, s := range []string{"job-1", "..", "a/b", "", "_x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if ValidateID("job ID", id) != nil {
			return
		}
		if strings.ContainsAny(id, "/\\\x00") || id == "." || id == ".." || strings.HasPrefix(id, ".") {
			t.Fatalf("accepted an ID that is not a safe path segment: %q", id)
		}
	})
}

func TestParseModes(t *testing.T) {
	for _, s := range []string{"fail", "append", "replace"} {
		m, err := ParseConflictMode(s)
		require.NoError(t, err)
		assert.Equal(t, ConflictMode(s), m)
	}
	_, err := ParseConflictMode("overwrite")
	require.ErrorIs(t, err, ErrInvalidMode)
	assert.Contains(t, err.Error(), `"fail", "append" or "replace"`)
	for _, s := range []string{"directory", "partitioned"} {
		m, err := ParseMode(s)
		require.NoError(t, err)
		assert.Equal(t, Mode(s), m)
	}
	_, err = ParseMode("magic")
	require.ErrorIs(t, err, ErrInvalidMode)
}
