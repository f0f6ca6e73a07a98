package committer

import (
	"path"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUniqueFilename(t *testing.T) {
	for name, want := range map[string]string{
		"part-0000.snappy.parquet": "part-0000-J.snappy.parquet",
		"part-0000":                "part-0000-J",
		".csv":                     "-J.csv",
		"a.b.c":                    "a-J.b.c",
	} {
		assert.Equal(t, want, UniqueFilename(name, "J"), name)
	}
}

func TestDestinationKey(t *testing.T) {
	tests := []struct {
		dest, rel string
		unique    bool
		want      string
	}{
		{"events", "part-0000.json", true, "events/part-0000-J.json"},
		{"events/", "year=2026/part 0.json", true, "events/year=2026/part 0-J.json"},
		{"events", "x.v1/part.json", true, "events/x.v1/part-J.json"},
		{"events", "part-0000.json", false, "events/part-0000.json"},
		{"", "a/b.txt", false, "a/b.txt"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, DestinationKey(tt.dest, tt.rel, "J", tt.unique), "%+v", tt)
	}
}

func TestCleanRelativePath(t *testing.T) {
	for _, ok := range []string{"a", "a/b.parquet", "year=2026/month=11/part 0.json", "ü/日本.csv", "a/.hidden"} {
		got, err := CleanRelativePath(ok)
		require.NoError(t, err, ok)
		assert.Equal(t, ok, got)
	}
	for _, bad := range []string{"", "/etc/passwd", "../x", "a/../../x", "a//b", "a/", "./a", "a\\b", "a\x00b", "\xff",
		"a\rb", "a\nb", "line\n", "a\tb", "esc\x1b[2J", "bell\x07", "del\x7f"} {
		_, err := CleanRelativePath(bad)
		require.ErrorIs(t, err, ErrInvalidPath, "%q", bad)
	}
}

func FuzzCleanRelativePath(f *testing.F) {
	for _, s := range []string{"a/b", "../x", "a//b", "/abs", "a/./b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rel string) {
		got, err := CleanRelativePath(rel)
		if err != nil {
			return
		}
		// An accepted path is already clean and stays below its directory.
		if path.Clean(got) != got || !strings.HasPrefix(path.Join("/dir", got), "/dir/") {
			t.Fatalf("accepted %q, which is not a clean path below its directory", rel)
		}
	})
}
