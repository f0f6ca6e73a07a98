package storerecords

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// The chunk format (see the package doc).
const (
	chunkFormat  = "s3commit-journal-chunk"
	chunkVersion = 1
	// maxChunkHeader bounds the header line a parser reads.
	maxChunkHeader = 1 << 10
	// maxChunkNumber is the largest number a chunk name of ten digits
	// holds.
	maxChunkNumber = 9_999_999_999
	// maxClaimToken bounds a claim's token.
	maxClaimToken = 256
	// entryOverhead is the most bytes a chunk spends on one entry besides
	// its own: the kind, a space, up to ten digits and two newlines.
	entryOverhead = 14
)

// Entry kinds in a chunk.
const (
	kindEntry = 'e'
	kindClaim = 'c'
)

// chunkHeader is the first line of a chunk.
type chunkHeader struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	Chunk   uint64 `json:"chunk"`
	Writer  string `json:"writer"`
	Entries int    `json:"entries"`
}

// chunkEntry is one entry of a chunk: a claim (kind 'c', data the claim's
// token) or an entry of the journal's user (kind 'e').
type chunkEntry struct {
	kind byte
	data []byte
}

// chunk is a parsed chunk.
type chunk struct {
	number  uint64
	writer  string
	entries []chunkEntry
}

// errChunk marks the errors of parseChunk.
var errChunk = errors.New("not a journal chunk")

// encodeChunk returns the bytes of chunk c.
func encodeChunk(c chunk) []byte {
	h, err := json.Marshal(chunkHeader{Format: chunkFormat, Version: chunkVersion, Chunk: c.number, Writer: c.writer, Entries: len(c.entries)})
	if err != nil {
		panic(err) // strings and numbers always marshal
	}
	n := len(h) + 1
	for _, e := range c.entries {
		n += len(e.data) + entryOverhead
	}
	buf := make([]byte, 0, n)
	buf = append(append(buf, h...), '\n')
	for _, e := range c.entries {
		buf = append(buf, e.kind, ' ')
		buf = strconv.AppendInt(buf, int64(len(e.data)), 10)
		buf = append(buf, '\n')
		buf = append(append(buf, e.data...), '\n')
	}
	return buf
}

// parseChunk parses the bytes of a chunk, which are outside input: every
// length is checked against the bytes that are there before anything is
// allocated. The entries' data alias data.
func parseChunk(data []byte) (chunk, error) {
	fail := func(format string, args ...any) (chunk, error) {
		return chunk{}, fmt.Errorf("%w: %s", errChunk, fmt.Sprintf(format, args...))
	}
	nl := bytes.IndexByte(data[:min(len(data), maxChunkHeader)], '\n')
	if nl < 0 {
		return fail("no header line in the first %d bytes", maxChunkHeader)
	}
	var h chunkHeader
	if err := json.Unmarshal(data[:nl], &h); err != nil {
		return fail("header: %v", err)
	}
	switch {
	case h.Format != chunkFormat:
		return fail("header: format %q, want %q", h.Format, chunkFormat)
	case h.Version != chunkVersion:
		return fail("header: version %d, want %d (written by another release of s3commit?)", h.Version, chunkVersion)
	case h.Chunk > maxChunkNumber:
		return fail("header: chunk number %d out of range", h.Chunk)
	case !validWriter(h.Writer):
		return fail("header: writer %q is not a token of 1 to 64 lowercase hex digits", h.Writer)
	case h.Entries < 0 || h.Entries > (len(data)-nl-1)/5:
		// Each entry takes at least five bytes: "e 0\n\n".
		return fail("header: %d entries in %d bytes", h.Entries, len(data)-nl-1)
	}
	c := chunk{number: h.Chunk, writer: h.Writer, entries: make([]chunkEntry, 0, h.Entries)}
	rest := data[nl+1:]
	for i := range h.Entries {
		if len(rest) < 2 || (rest[0] != kindEntry && rest[0] != kindClaim) || rest[1] != ' ' {
			return fail("entry %d: no \"e <length>\" or \"c <length>\" line", i)
		}
		kind := rest[0]
		rest = rest[2:]
		nl := bytes.IndexByte(rest[:min(len(rest), 11)], '\n')
		if nl < 1 {
			return fail("entry %d: no length of 1 to 10 digits", i)
		}
		n, err := strconv.ParseUint(string(rest[:nl]), 10, 64)
		if err != nil || (nl > 1 && rest[0] == '0') {
			return fail("entry %d: length %q is not a decimal number", i, rest[:nl])
		}
		rest = rest[nl+1:]
		if n >= uint64(len(rest)) || rest[n] != '\n' {
			return fail("entry %d: %d bytes and a newline do not follow its length", i, n)
		}
		e := chunkEntry{kind: kind, data: rest[:n:n]}
		if kind == kindClaim {
			if err := checkClaimToken(string(e.data)); err != nil {
				return fail("entry %d: %v", i, err)
			}
		}
		c.entries = append(c.entries, e)
		rest = rest[n+1:]
	}
	if len(rest) > 0 {
		return fail("%d bytes after the last of its %d entries", len(rest), h.Entries)
	}
	return c, nil
}

// validWriter reports whether w is a writer token: 1 to 64 lowercase hex
// digits.
func validWriter(w string) bool {
	if len(w) == 0 || len(w) > 64 {
		return false
	}
	for i := range len(w) {
		if c := w[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// checkClaimToken checks a claim's token: 1 to 256 bytes of UTF-8 without
// control characters.
func checkClaimToken(t string) error {
	switch {
	case t == "":
		return errors.New("empty claim token")
	case len(t) > maxClaimToken:
		return fmt.Errorf("claim token of %d bytes, more than %d", len(t), maxClaimToken)
	case !utf8.ValidString(t):
		return errors.New("claim token is not valid UTF-8")
	}
	if c, ok := controlChar(t); ok {
		return fmt.Errorf("claim token holds the control character %U", c)
	}
	return nil
}

// chunkName is the name of chunk n in dir.
func chunkName(dir string, n uint64) string {
	return fmt.Sprintf("%s/%010d.chunk", dir, n)
}

// parseChunkName returns the number of a chunk's base name
// ("0000000042.chunk"), or false.
func parseChunkName(base string) (uint64, bool) {
	const suffix = ".chunk"
	if len(base) != 10+len(suffix) || base[10:] != suffix {
		return 0, false
	}
	var n uint64
	for i := range 10 {
		c := base[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}
