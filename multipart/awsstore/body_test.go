package awsstore

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestSection(t *testing.T) {
	data := []byte("0123456789")
	cases := []struct {
		name    string
		start   int64 // position of the underlying reader
		size    int64
		want    string
		wantErr error
	}{
		{"whole", 0, 10, "0123456789", nil},
		{"from position", 3, 4, "3456", nil},
		{"ignores trailing bytes", 0, 2, "01", nil},
		{"to the end", 7, 3, "789", nil},
		{"empty", 5, 0, "", nil},
		{"short", 8, 5, "89", errShortBody},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := bytes.NewReader(data)
			if _, err := r.Seek(c.start, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			s, err := newSection(r, c.size)
			if err != nil {
				t.Fatal(err)
			}
			// Read twice, rewinding in between as a retry does.
			for range 2 {
				got, err := io.ReadAll(s)
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("ReadAll error = %v, want %v", err, c.wantErr)
				}
				if string(got) != c.want {
					t.Fatalf("ReadAll = %q, want %q", got, c.want)
				}
				if pos, err := s.Seek(0, io.SeekStart); err != nil || pos != 0 {
					t.Fatalf("Seek(0, SeekStart) = %d, %v", pos, err)
				}
			}
			// The SDK measures the length with SeekEnd and returns.
			if end, err := s.Seek(0, io.SeekEnd); err != nil || end != c.size {
				t.Fatalf("Seek(0, SeekEnd) = %d, %v; want %d", end, err, c.size)
			}
			if cur, err := s.Seek(0, io.SeekCurrent); err != nil || cur != c.size {
				t.Fatalf("Seek(0, SeekCurrent) = %d, %v", cur, err)
			}
		})
	}
}

func TestSectionSeek(t *testing.T) {
	s, err := newSection(bytes.NewReader([]byte("abcdefgh")), 6)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		offset  int64
		whence  int
		wantPos int64
		next    string // the next two bytes read, if any
		wantErr bool
	}{
		{2, io.SeekStart, 2, "cd", false},
		{-1, io.SeekCurrent, 3, "de", false},
		{-2, io.SeekEnd, 4, "ef", false},
		{-7, io.SeekEnd, 0, "", true},
		{0, 42, 0, "", true},
	}
	for i, st := range steps {
		pos, err := s.Seek(st.offset, st.whence)
		if st.wantErr {
			if err == nil {
				t.Errorf("step %d: Seek(%d, %d) succeeded", i, st.offset, st.whence)
			}
			continue
		}
		if err != nil || pos != st.wantPos {
			t.Fatalf("step %d: Seek = %d, %v; want %d", i, pos, err, st.wantPos)
		}
		buf := make([]byte, 2)
		if _, err := io.ReadFull(s, buf); err != nil || string(buf) != st.next {
			t.Fatalf("step %d: read %q, %v; want %q", i, buf, err, st.next)
		}
	}
}

func TestNewSectionErrors(t *testing.T) {
	if _, err := newSection(nil, 0); err != nil {
		t.Errorf("nil body of size 0: %v", err)
	}
	if _, err := newSection(nil, 1); err == nil {
		t.Error("nil body of size 1 accepted")
	}
	if _, err := newSection(bytes.NewReader(nil), -1); err == nil {
		t.Error("negative size accepted")
	}
}

func TestMarkerBefore(t *testing.T) {
	cases := []struct {
		key, lastKey, prevKey string
		want                  string
		ok                    bool
	}{
		{"p/b", "p/b", "p/a", "p/a", true}, // the previous distinct key
		{"p/b", "p/b", "", "p/", true},     // only p/b listed so far
		{"p/ß", "p/ß", "", "p/", true},     // drops a whole rune
		{"p/c", "p/b", "p/a", "p/", true},  // marker not the last key listed
		{"x", "x", "", "", false},          // nothing shorter
		{"", "", "", "", false},            // nothing at all
		{"dir/f.bin", "dir/f.bin", "dir/e.bin", "dir/e.bin", true},
	}
	for _, c := range cases {
		got, ok := markerBefore(c.key, c.lastKey, c.prevKey)
		if got != c.want || ok != c.ok {
			t.Errorf("markerBefore(%q, %q, %q) = %q, %v; want %q, %v", c.key, c.lastKey, c.prevKey, got, ok, c.want, c.ok)
		}
	}
}
