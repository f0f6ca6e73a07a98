package pendingset

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// addSeeds adds every testdata file matching pattern to the fuzz corpus.
func addSeeds(f *testing.F, pattern string) [][]byte {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	require.NoError(f, err)
	require.NotEmpty(f, files, "no seeds match testdata/%s", pattern)
	var seeds [][]byte
	for _, file := range files {
		data := readTestdata(f, filepath.Base(file))
		f.Add(data)
		seeds = append(seeds, data)
	}
	return seeds
}

func FuzzDecodeSet(f *testing.F) {
	addSeeds(f, "*.pendingset")
	f.Add([]byte(`{"version":2,"jobId":"j","commits":[],"extraData":{}}`))
	f.Add([]byte(`{"version":3,"commits":[{"version":2,"bucket":"b","destinationKey":"k","uploadId":"u","etags":["\"e\""]}]}`))
	f.Add([]byte(`{"version":2,"commits":[null]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := DecodeSet(bytes.NewReader(data))
		if err != nil {
			// The reader cannot fail: every error is about the record.
			require.ErrorIs(t, err, ErrInvalidRecord)
			require.Nil(t, s)
			return
		}
		var buf bytes.Buffer
		require.NoError(t, s.Encode(&buf), "a decoded pendingset encodes")
		again, err := DecodeSet(&buf)
		require.NoError(t, err, "an encoded pendingset decodes:\n%s", buf.String())
		require.Equal(t, s, again)
	})
}

func FuzzDecodeUpload(f *testing.F) {
	addSeeds(f, "*.pending")
	// Every commit of the sample pendingsets is a pending upload too.
	for _, set := range addSeeds(f, "*.pendingset") {
		var raw struct{ Commits []json.RawMessage }
		require.NoError(f, json.Unmarshal(set, &raw))
		for _, c := range raw.Commits {
			f.Add([]byte(c))
		}
	}
	f.Add([]byte(`{"version":1,"bucket":"b","destinationKey":"k","uploadId":"u","etags":[{"etag":"e","checksumAlgorithm":"SHA256","checksum":"x"}]}`))
	f.Add([]byte(`{"version":2,"uri":"s3a://b/a%20b","bucket":"b","destinationKey":"a b","uploadId":"u","etags":[" W/\"e\" "],"length":-1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := DecodeUpload(bytes.NewReader(data))
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidRecord)
			require.Nil(t, p)
			return
		}
		var buf bytes.Buffer
		require.NoError(t, p.Encode(&buf), "a decoded record encodes")
		again, err := DecodeUpload(&buf)
		require.NoError(t, err, "an encoded record decodes:\n%s", buf.String())
		require.Equal(t, p, again)
	})
}
