package success_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/success"
)

// TestPrint compares the text of each sample with its golden file in
// testdata/print (rewrite them with -update).
func TestPrint(t *testing.T) {
	for _, file := range []string{
		"s3commit.json", "hadoop-s3a-directory.json", "hadoop-3.1-partitioned.json", "hadoop-3.2-directory.json",
		"hadoop-manifest.json", "hadoop-manifest-failed.json",
	} {
		t.Run(file, func(t *testing.T) {
			d, err := success.Decode(bytes.NewReader(readTestdata(t, file)))
			require.NoError(t, err)
			var buf bytes.Buffer
			require.NoError(t, success.Print(&buf, d))
			golden := filepath.Join("testdata", "print", strings.TrimSuffix(file, ".json")+".txt")
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(golden), 0o755))
				require.NoError(t, os.WriteFile(golden, buf.Bytes(), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			assert.Equal(t, string(want), buf.String(), "%s is out of date; rerun with -update", golden)
		})
	}
}

func TestPrintSidecarNotLoaded(t *testing.T) {
	d := success.New("directory", "job-1")
	d.FilesSidecar = "_SUCCESS.files.json"
	var buf bytes.Buffer
	require.NoError(t, success.Print(&buf, d))
	assert.Contains(t, buf.String(), "files: listed in _SUCCESS.files.json (not loaded)\n")
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestPrintWriteError(t *testing.T) {
	require.ErrorIs(t, success.Print(failingWriter{}, success.New("directory", "j")), os.ErrClosed)
}

func TestEncodeWriteError(t *testing.T) {
	require.ErrorIs(t, success.New("directory", "j").Encode(failingWriter{}), os.ErrClosed)
}
