package success_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/success"
)

func FuzzDecode(f *testing.F) {
	entries, err := os.ReadDir("testdata")
	require.NoError(f, err)
	for _, e := range entries {
		if e.Type().IsRegular() {
			f.Add(readTestdata(f, e.Name()))
		}
	}
	f.Add([]byte(`{"name":"` + success.Name + `","jobId":"j","success":false,"state":"aborted"}`))
	f.Add([]byte(`{"name":"` + success.ManifestName + `","jobId":"j","s3commitFiles":[{"key":"a","size":0,"etag":" W/\"e\" "}],"s3commitFilesSidecar":"_s"}`))
	f.Add([]byte(`{"name":"` + success.Name + `","jobId":"j","s3commitFiles":[],"metrics":null,"iostatistics":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := success.Decode(bytes.NewReader(data))
		if err != nil {
			// The reader cannot fail: every error is about the content.
			if !errorsIsAny(err, success.ErrInvalidManifest, success.ErrClassicMarker) {
				t.Fatalf("error matches neither ErrInvalidManifest nor ErrClassicMarker: %v", err)
			}
			require.Nil(t, d)
			return
		}
		var buf bytes.Buffer
		require.NoError(t, d.Encode(&buf), "a decoded manifest encodes")
		again, err := success.Decode(&buf)
		require.NoError(t, err, "an encoded manifest decodes:\n%s", buf.String())
		require.Equal(t, d, again)
		var printed bytes.Buffer
		require.NoError(t, success.Print(&printed, d), "a decoded manifest prints")
	})
}
