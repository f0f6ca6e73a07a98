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

// TestCutJobIDInvertsUniqueFilename checks that CutJobID takes back out
// exactly what UniqueFilename and DestinationKey put in, over names with
// no extension, several dots, dots in directories, hidden names, names
// that already hold the job ID and job IDs with dots and dashes.
func TestCutJobIDInvertsUniqueFilename(t *testing.T) {
	names := []string{
		"part-0000.snappy.parquet", "part-0000", "a.b.c", "part-0000.json",
		".csv", ".hidden", "._part-0000.crc", "_SUCCESS", "_temporary-1",
		"", "-", "x-", "a.", "..", "part-J", "part-J.json", "part-J-J.csv", "-J.csv",
		"part 0.csv", "日本.csv",
	}
	dirs := []string{"", "out/", "year=2026/", "x.v1/", "a.b/c-J.d/", "_tmp/.x/"}
	jobs := []string{"J", "job-20260101", "job.1", "a.b-c", "J-J", "x.-y"}
	for _, job := range jobs {
		for _, name := range names {
			unique := UniqueFilename(name, job)
			got, ok := CutJobID(unique, job)
			assert.True(t, ok, "%q carries %q", unique, job)
			assert.Equal(t, name, got, "CutJobID(%q, %q)", unique, job)
			if name == "" {
				continue // a relative path has a file name
			}
			for _, dir := range dirs {
				for _, dest := range []string{"", "events", "lake/t.v2/"} {
					rel := dir + name
					key := DestinationKey(dest, rel, job, true)
					got, ok := CutJobID(key, job)
					assert.True(t, ok, "%q carries %q", key, job)
					assert.Equal(t, DestinationKey(dest, rel, job, false), got, "CutJobID(%q, %q)", key, job)
				}
			}
		}
	}
}

func TestCutJobID(t *testing.T) {
	tests := []struct {
		key, job string
		want     string
		ok       bool
	}{
		{"out/part-0000-job1.snappy.parquet", "job1", "out/part-0000.snappy.parquet", true},
		{"out/part-0000-job1", "job1", "out/part-0000", true},
		{"out/x.v1/part-job1.json", "job1", "out/x.v1/part.json", true},
		{"part-0000-job1.2.json", "job1.2", "part-0000.json", true},
		{"part-0000-job1.2", "job1.2", "part-0000", true},
		{"out/-job1.csv", "job1", "out/.csv", true},
		{"out/part-0000-job1-job1.csv", "job1", "out/part-0000-job1.csv", true},
		{"part-0000-abc-def.csv", "def", "part-0000-abc.csv", true},
		{"part-0000-abc-def.csv", "abc-def", "part-0000.csv", true},
		{"out/part-0000-job12.json", "job1", "out/part-0000-job12.json", false},
		{"out/part-0000-job1x", "job1", "out/part-0000-job1x", false},
		{"out/part-0000.json", "job1", "out/part-0000.json", false},
		{"out/part-0000.x-job1.json", "job1", "out/part-0000.x-job1.json", false},
		{"out-job1/part-0000.json", "job1", "out-job1/part-0000.json", false},
		{"out/part-0000-job1.json/", "job1", "out/part-0000-job1.json/", false},
		{"out/_SUCCESS", "job1", "out/_SUCCESS", false},
		{"", "job1", "", false},
	}
	for _, tt := range tests {
		got, ok := CutJobID(tt.key, tt.job)
		assert.Equal(t, tt.ok, ok, "CutJobID(%q, %q)", tt.key, tt.job)
		assert.Equal(t, tt.want, got, "CutJobID(%q, %q)", tt.key, tt.job)
	}
}

func FuzzCutJobID(f *testing.F) {
	for _, s := range [][2]string{{"part-0000.snappy.parquet", "job1"}, {"a-J.b", "J"}, {"x", "a.b"}, {".csv", "J-J"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, name, job string) {
		if strings.Contains(name, "/") || ValidateID("job ID", job) != nil {
			return
		}
		unique := UniqueFilename(name, job)
		if got, ok := CutJobID(unique, job); !ok || got != name {
			t.Fatalf("CutJobID(%q, %q) = %q, %v; want %q, true", unique, job, got, ok, name)
		}
	})
}
