package staging

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testFS returns the fsys of a new temporary directory and its path.
func testFS(t testing.TB) (*rootFS, string) {
	t.Helper()
	dir := t.TempDir()
	r, err := openRootFS(dir)
	require.NoError(t, err)
	t.Cleanup(func() { r.root.Close() })
	return r, dir
}

func TestPublishExclusiveOneWinner(t *testing.T) {
	fsys, dir := testFS(t)
	target := filepath.Join(dir, "task.pendingset")
	const n = 16
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners []int
	)
	for i := range n {
		wg.Go(func() {
			err := publishExclusive(fsys, "task.pendingset", fmt.Appendf(nil, "attempt %d\n", i))
			if err == nil {
				mu.Lock()
				winners = append(winners, i)
				mu.Unlock()
				return
			}
			assert.ErrorIs(t, err, errTargetExists)
		})
	}
	wg.Wait()
	require.Len(t, winners, 1)
	data, err := os.ReadFile(target)
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("attempt %d\n", winners[0]), string(data), "the winner's bytes, whole")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left")
}

func TestReadJournalTornAndDamagedLines(t *testing.T) {
	fsys, dir := testFS(t)
	path := filepath.Join(dir, "journal")
	tests := []struct {
		name     string
		data     string
		want     int // entries applied (begin, deleted)
		problems int
	}{
		{"whole", `{"op":"begin"}` + "\n" + `{"op":"deleted"}` + "\n", 2, 0},
		{"torn last", `{"op":"begin"}` + "\n" + `{"op":"del`, 1, 0},
		{"last without newline is torn", `{"op":"begin"}` + "\n" + `{"op":"deleted"}`, 1, 0},
		{"bad middle", `{"op":"begin"}` + "\n" + `{"op` + "\n" + `{"op":"deleted"}` + "\n", 2, 1},
		{"unknown op", `{"op":"explode"}` + "\n", 0, 1},
		{"completed without upload", `{"op":"completed","key":"k"}` + "\n", 0, 1},
		{"too long a line", `{"op":"begin"}` + "\n" + strings.Repeat("x", maxRecordLineBytes+1) + "\n" + `{"op":"deleted"}` + "\n", 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, os.WriteFile(path, []byte(tt.data), 0o644))
			n := 0
			st := readJournal(fsys, "journal")
			assert.False(t, st.unreadable)
			if st.began {
				n++
			}
			if st.deleted {
				n++
			}
			assert.Equal(t, tt.want, n)
			assert.Len(t, st.problems, tt.problems)
		})
	}
	st := readJournal(fsys, "missing")
	assert.False(t, st.began)
	assert.False(t, st.unreadable)
	assert.Empty(t, st.problems)

	// A journal that is not a regular file cannot be read at all.
	require.NoError(t, os.Mkdir(filepath.Join(dir, "dir"), 0o755))
	st = readJournal(fsys, "dir")
	assert.True(t, st.unreadable)
	require.Len(t, st.problems, 1)
	assert.Contains(t, st.problems[0].Error(), "not a regular file")
}

// TestOpenAppendCutsATornTail: the next record lands on a line of its
// own, so the torn one never becomes a damaged middle line.
func TestOpenAppendCutsATornTail(t *testing.T) {
	for name, data := range map[string]string{
		"torn after records": `{"op":"begin"}` + "\n" + `{"op":"compl`,
		"only a torn record": `{"op":"compl`,
		"long torn record":   `{"op":"begin"}` + "\n" + strings.Repeat("y", 10000),
		"whole":              `{"op":"begin"}` + "\n",
		"empty":              "",
	} {
		t.Run(name, func(t *testing.T) {
			fsys, dir := testFS(t)
			require.NoError(t, os.WriteFile(filepath.Join(dir, "journal"), []byte(data), 0o644))
			f, err := openAppend(fsys, "journal")
			require.NoError(t, err)
			require.NoError(t, f.append([]byte(`{"op":"deleted"}`+"\n")))
			require.NoError(t, f.Close())
			st := readJournal(fsys, "journal")
			assert.Empty(t, st.problems)
			assert.True(t, st.deleted, "the new record reads")
			assert.Equal(t, strings.HasPrefix(data, `{"op":"begin"}`+"\n"), st.began, "the whole records before it stay")
		})
	}
}

func FuzzReadJournal(f *testing.F) {
	f.Add([]byte(`{"op":"begin","time":1}` + "\n" + `{"op":"completed","key":"a","uploadId":"u","etag":"e"}` + "\n"))
	f.Add([]byte(`{"op":"delete","keys":["a","b"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys, dir := testFS(t)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "journal"), data, 0o644))
		_ = readJournal(fsys, "journal")
		_, _, _ = readIntents(fsys, "journal")
		_, _ = readJobRecord(fsys, "journal")
	})
}

func TestPartitionOf(t *testing.T) {
	for rel, want := range map[string]string{"a.json": "", "d=1/a.json": "d=1", "d=1/h=2/a": "d=1/h=2"} {
		assert.Equal(t, want, partitionOf(rel), rel)
	}
}

func TestAppendFileGroupCommit(t *testing.T) {
	fsys, _ := testFS(t)
	a, err := openAppend(fsys, "log")
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() { assert.NoError(t, a.append(fmt.Appendf(nil, "{\"key\":\"k%03d\"}\n", i))) })
	}
	wg.Wait()
	require.NoError(t, a.Close())
	in, problems, err := readIntents(fsys, "log")
	require.NoError(t, err)
	require.Empty(t, problems)
	keys := map[string]bool{}
	for _, i := range in {
		keys[i.Key] = true
	}
	assert.Len(t, keys, 200, "every record, whole")
}
