package success

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dustin/go-humanize"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeSidecar(t *testing.T) {
	const head = `{"name":"` + sidecarFormat + `","jobId":"j"`
	cases := []struct {
		name, in  string
		wantFiles []File
		wantErr   string // in the error; empty: no error
	}{
		{"files", head + `,"files":[{"key":"a","size":1,"etag":"e"},{"key":"b","size":2,"etag":"f"}]}`,
			[]File{{Key: "a", Size: 1, ETag: "e"}, {Key: "b", Size: 2, ETag: "f"}}, ""},
		{"no files", head + `,"files":[]}`, []File{}, ""},
		{"null files", head + `,"files":null}`, nil, ""},
		{"unknown fields, other case", `{"Name":"` + sidecarFormat + `","x":{"y":[1,2]},"JOBID":"j","Files":[{"KEY":"a","size":1,"etag":"e","z":0}]}`,
			[]File{{Key: "a", Size: 1, ETag: "e"}}, ""},
		{"white space after", head + "}\n \t", nil, ""},
		{"other format", `{"name":"x","files":[]}`, nil, `field "name" is "x"`},
		{"not an object", `[1]`, nil, "is not a JSON object"},
		{"files not an array", head + `,"files":"x"}`, nil, `field "files" has the wrong type: a JSON string where an array is expected`},
		{"file not an object", head + `,"files":[{"key":"a","size":1,"etag":"e"},7]}`, nil, `field "files[1]" is not a JSON object`},
		{"file field of the wrong type", head + `,"files":[{"key":"a","size":"big","etag":"e"}]}`, nil, `field "files[0].size" has the wrong type`},
		{"cut short", head + `,"files":[{"key":"a"`, nil, "is not valid JSON: unexpected end of JSON input"},
		{"trailing data", head + `} {}`, nil, "is not valid JSON: more data after the JSON object"},
		{"syntax error", head + `,"files":[}`, nil, "is not valid JSON"},
		{"empty", ``, nil, "is not valid JSON"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := decodeSidecar(strings.NewReader(c.in))
			if c.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, c.wantFiles, s.Files)
				return
			}
			require.ErrorIs(t, err, ErrInvalidManifest)
			assert.Contains(t, err.Error(), c.wantErr)
			assert.Nil(t, s)
		})
	}
}

func TestDecodeSidecarBound(t *testing.T) {
	in := `{"name":"` + sidecarFormat + `","jobId":"j","files":[{"key":"a","size":1,"etag":"e"}]}`
	_, err := decodeSidecarUpTo(strings.NewReader(in), int64(len(in)))
	require.NoError(t, err, "a list of exactly the bound")
	_, err = decodeSidecarUpTo(strings.NewReader(in+" "), int64(len(in)))
	require.ErrorIs(t, err, ErrInvalidManifest)
	assert.Contains(t, err.Error(), fmt.Sprintf("is a file list larger than %d B", len(in)))
	assert.Equal(t, "512 MiB", humanize.IBytes(maxSidecarSize), "the bound of a sidecar as the error names it")
}

// failAfter reads data, then fails.
type failAfter struct{ data string }

func (f *failAfter) Read(p []byte) (int, error) {
	if f.data == "" {
		return 0, errors.New("connection reset")
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestDecodeSidecarReadError(t *testing.T) {
	_, err := decodeSidecar(&failAfter{data: `{"name":"` + sidecarFormat + `","files":[{"key":"a",`})
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrInvalidManifest)
	assert.Contains(t, err.Error(), "read file list: connection reset")

	_, err = Decode(&failAfter{data: `{"name":`})
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrInvalidManifest)
	assert.Contains(t, err.Error(), "read manifest: connection reset")
}
