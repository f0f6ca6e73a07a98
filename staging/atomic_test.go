package staging

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPublishExclusiveOneWinner(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "task.pendingset")
	const n = 16
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners []int
	)
	for i := range n {
		wg.Go(func() {
			err := publishExclusive(target, fmt.Appendf(nil, "attempt %d\n", i))
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

func TestReadLinesTornLastRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal")
	tests := []struct {
		name    string
		data    string
		want    int
		wantErr bool
	}{
		{"whole", `{"op":"begin"}` + "\n" + `{"op":"deleted"}` + "\n", 2, false},
		{"torn last", `{"op":"begin"}` + "\n" + `{"op":"del`, 1, false},
		{"last without newline", `{"op":"begin"}` + "\n" + `{"op":"deleted"}`, 2, false},
		{"bad middle", `{"op":"begin"}` + "\n" + `{"op` + "\n" + `{"op":"deleted"}` + "\n", 0, true},
		{"unknown op", `{"op":"explode"}` + "\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, os.WriteFile(path, []byte(tt.data), 0o644))
			n := 0
			st, err := readJournal(path)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			if st.began {
				n++
			}
			if st.deleted {
				n++
			}
			assert.Equal(t, tt.want, n)
		})
	}
	st, err := readJournal(filepath.Join(t.TempDir(), "missing"))
	require.NoError(t, err)
	assert.False(t, st.began)
}

func FuzzReadJournal(f *testing.F) {
	f.Add([]byte(`{"op":"begin","time":1}` + "\n" + `{"op":"completed","key":"a","uploadId":"u","etag":"e"}` + "\n"))
	f.Add([]byte(`{"op":"delete","keys":["a","b"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "journal")
		require.NoError(t, os.WriteFile(path, data, 0o644))
		_, _ = readJournal(path)
		_, _ = readIntents(path)
		_, _ = readJobRecord(path)
	})
}

func TestPartitionOf(t *testing.T) {
	for rel, want := range map[string]string{"a.json": "", "d=1/a.json": "d=1", "d=1/h=2/a": "d=1/h=2"} {
		assert.Equal(t, want, partitionOf(rel), rel)
	}
}

func TestAppendFileGroupCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	a, err := openAppend(path)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() { assert.NoError(t, a.append(fmt.Appendf(nil, "{\"key\":\"k%03d\"}\n", i))) })
	}
	wg.Wait()
	require.NoError(t, a.Close())
	in, err := readIntents(path)
	require.NoError(t, err)
	keys := map[string]bool{}
	for _, i := range in {
		keys[i.Key] = true
	}
	assert.Len(t, keys, 200, "every record, whole")
}
