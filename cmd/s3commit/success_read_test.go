package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/success"
)

// countingReader counts the bytes read from r.
type countingReader struct {
	r    io.Reader
	read int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += int64(n)
	return n, err
}

// endless is a reader of an endless run of one byte.
type endless byte

func (e endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(e)
	}
	return len(p), nil
}

// TestSuccessShowReadsOnce: "success show" of a local file or of standard
// input hands the input to the manifest's decoder as it reads it, once,
// and so stops where the decoder does: at the manifest's bound, not after
// a gigabyte.
func TestSuccessShowReadsOnce(t *testing.T) {
	head := `{"name":"` + success.Name + `","jobId":"j","filenames":["`
	huge := func() io.Reader { return io.MultiReader(strings.NewReader(head), io.LimitReader(endless('x'), 64<<20)) }
	const maxRead = 16<<20 + 1<<20 // the manifest's bound, and read buffers

	t.Run("standard input", func(t *testing.T) {
		in := &countingReader{r: huge()}
		var stdout, stderr bytes.Buffer
		err := runSuccessShow(context.Background(), &globalOptions{}, &successShowOptions{}, "-", in, &stdout, &stderr)
		require.ErrorIs(t, err, success.ErrInvalidManifest)
		assert.Contains(t, err.Error(), "standard input: invalid _SUCCESS manifest: is larger than 16 MiB")
		assert.LessOrEqual(t, in.read, int64(maxRead), "bytes read")
		assert.Empty(t, stdout.String())
	})
	t.Run("file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "_SUCCESS")
		f, err := os.Create(path)
		require.NoError(t, err)
		_, err = io.Copy(f, io.LimitReader(huge(), 20<<20))
		require.NoError(t, err)
		require.NoError(t, f.Close())
		var stdout, stderr bytes.Buffer
		err = runSuccessShow(context.Background(), &globalOptions{}, &successShowOptions{}, path, nil, &stdout, &stderr)
		require.ErrorIs(t, err, success.ErrInvalidManifest)
		assert.Contains(t, err.Error(), path+": invalid _SUCCESS manifest: is larger than 16 MiB")
	})
	t.Run("valid manifest from standard input", func(t *testing.T) {
		in := `{"name":"` + success.Name + `","jobId":"job-7"}`
		var stdout, stderr bytes.Buffer
		err := runSuccessShow(context.Background(), &globalOptions{}, &successShowOptions{}, "-", strings.NewReader(in), &stdout, &stderr)
		require.NoError(t, err)
		assert.Contains(t, stdout.String(), "job-7")
	})
}
