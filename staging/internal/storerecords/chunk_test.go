package storerecords

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testWriter = "0123456789abcdef0123456789abcdef"

func TestChunkRoundTrip(t *testing.T) {
	tests := []chunk{
		{number: 0, writer: testWriter},
		{number: 7, writer: "a", entries: []chunkEntry{{kindClaim, []byte("driver 1")}}},
		{number: maxChunkNumber, writer: testWriter, entries: []chunkEntry{
			{kindEntry, []byte(`{"op":"begin"}`)}, {kindEntry, []byte{}}, {kindEntry, []byte("a\nb\n")},
			{kindEntry, []byte("e 1\nx\n")}, {kindClaim, []byte("ü")}}},
	}
	for _, c := range tests {
		data := encodeChunk(c)
		got, err := parseChunk(data)
		require.NoError(t, err)
		if len(c.entries) == 0 {
			c.entries = []chunkEntry{}
		}
		assert.Equal(t, c, got)
	}
	assert.Equal(t, `{"format":"s3commit-journal-chunk","version":1,"chunk":3,"writer":"ab","entries":2}`+"\ne 5\nhello\nc 6\ndriver\n",
		string(encodeChunk(chunk{number: 3, writer: "ab", entries: []chunkEntry{{kindEntry, []byte("hello")}, {kindClaim, []byte("driver")}}})),
		"the format of the package doc")
}

func TestParseChunkRejects(t *testing.T) {
	header := func(entries int) string {
		return `{"format":"s3commit-journal-chunk","version":1,"chunk":1,"writer":"ab","entries":` + string(rune('0'+entries)) + "}\n"
	}
	tests := []struct {
		name, data, want string
	}{
		{"empty", "", "no header line"},
		{"no newline", header(0)[:20], "no header line"},
		{"header too long", `{"format":"` + strings.Repeat("x", maxChunkHeader) + "\"}\n", "no header line"},
		{"not JSON", "e 1\nx\n", "header"},
		{"other format", `{"format":"x","version":1,"chunk":1,"writer":"ab","entries":0}` + "\n", "format"},
		{"other version", `{"format":"s3commit-journal-chunk","version":2,"chunk":1,"writer":"ab","entries":0}` + "\n", "version 2"},
		{"number out of range", `{"format":"s3commit-journal-chunk","version":1,"chunk":10000000000,"writer":"ab","entries":0}` + "\n", "out of range"},
		{"negative number", `{"format":"s3commit-journal-chunk","version":1,"chunk":-1,"writer":"ab","entries":0}` + "\n", "header"},
		{"no writer", `{"format":"s3commit-journal-chunk","version":1,"chunk":1,"entries":0}` + "\n", "writer"},
		{"writer not hex", `{"format":"s3commit-journal-chunk","version":1,"chunk":1,"writer":"XY","entries":0}` + "\n", "writer"},
		{"negative count", `{"format":"s3commit-journal-chunk","version":1,"chunk":1,"writer":"ab","entries":-1}` + "\n", "entries"},
		{"more entries than bytes", `{"format":"s3commit-journal-chunk","version":1,"chunk":1,"writer":"ab","entries":1000000000}` + "\n", "entries"},
		{"an entry missing", header(2) + "e 9\nxxxxxxxxx\n", "entry 1"},
		{"an entry too short", header(1) + "e 5\nx\n", "entry 0"},
		{"no newline after an entry", header(1) + "e 1\nxy", "entry 0"},
		{"unknown kind", header(1) + "x 1\na\n", "entry 0"},
		{"no space", header(1) + "e1\na\n", "entry 0"},
		{"no length", header(1) + "e \na\n", "entry 0"},
		{"length not a number", header(1) + "e +1\na\n", "entry 0"},
		{"length with a leading zero", header(1) + "e 01\na\n", "entry 0"},
		{"length of 11 digits", header(1) + "e 00000000001\na\n", "entry 0"},
		{"a huge length", header(1) + "e 9999999999\na\n", "entry 0"},
		{"an empty claim", header(1) + "c 0\n\n", "empty claim"},
		{"a claim with a newline", header(1) + "c 3\na\nb\n", "control character"},
		{"trailing bytes", header(1) + "e 1\na\nmore", "after the last"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseChunk([]byte(tt.data))
			require.ErrorIs(t, err, errChunk)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestChunkNames(t *testing.T) {
	assert.Equal(t, "commit/0000000042.chunk", chunkName("commit", 42))
	for base, want := range map[string]uint64{"0000000000.chunk": 0, "0000000042.chunk": 42, "9999999999.chunk": maxChunkNumber} {
		n, ok := parseChunkName(base)
		require.True(t, ok, base)
		assert.Equal(t, want, n)
	}
	for _, base := range []string{"42.chunk", "00000000042.chunk", "000000004x.chunk", "0000000042.chunks", "0000000042.chunk/", "+000000042.chunk", ""} {
		_, ok := parseChunkName(base)
		assert.False(t, ok, base)
	}
}

// FuzzParseChunk: chunks are read from the store, outside input. The
// parser never panics, never allocates beyond what the input holds, and
// what it accepts encodes back to a chunk it parses the same way.
func FuzzParseChunk(f *testing.F) {
	f.Add(encodeChunk(chunk{number: 1, writer: testWriter}))
	f.Add(encodeChunk(chunk{number: 2, writer: testWriter, entries: []chunkEntry{{kindEntry, []byte("x")}, {kindClaim, []byte("driver")}}}))
	f.Add([]byte(`{"format":"s3commit-journal-chunk","version":1,"chunk":1,"writer":"ab","entries":1}` + "\ne 9999999999\n"))
	f.Add([]byte(`{"format":"s3commit-journal-chunk" , "version":1,"chunk":1,"writer":"ab","entries":1,"extra":[1]}` + "\nc 1\nx\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parseChunk(data)
		if err != nil {
			return
		}
		require.LessOrEqual(t, len(c.entries), len(data))
		var total int
		for _, e := range c.entries {
			require.Contains(t, []byte{kindEntry, kindClaim}, e.kind)
			total += len(e.data)
		}
		require.LessOrEqual(t, total, len(data))
		again, err := parseChunk(encodeChunk(c))
		require.NoError(t, err)
		require.Equal(t, c.number, again.number)
		require.Equal(t, c.writer, again.writer)
		require.Len(t, again.entries, len(c.entries))
		for i := range c.entries {
			require.Equal(t, c.entries[i].kind, again.entries[i].kind)
			require.True(t, bytes.Equal(c.entries[i].data, again.entries[i].data))
		}
	})
}
