package storekit

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestSizedBody(t *testing.T) {
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
		{"short", 8, 5, "89", ErrShortBody},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := bytes.NewReader(data)
			if _, err := r.Seek(c.start, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			b, err := NewSizedBody(r, c.size)
			if err != nil {
				t.Fatal(err)
			}
			// Read twice, rewinding in between as a retry does.
			for range 2 {
				got, err := io.ReadAll(b)
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("ReadAll error = %v, want %v", err, c.wantErr)
				}
				if string(got) != c.want {
					t.Fatalf("ReadAll = %q, want %q", got, c.want)
				}
				if pos, err := b.Seek(0, io.SeekStart); err != nil || pos != 0 {
					t.Fatalf("Seek(0, SeekStart) = %d, %v", pos, err)
				}
			}
			// Client libraries measure the length with SeekEnd and return.
			if end, err := b.Seek(0, io.SeekEnd); err != nil || end != c.size {
				t.Fatalf("Seek(0, SeekEnd) = %d, %v; want %d", end, err, c.size)
			}
			if cur, err := b.Seek(0, io.SeekCurrent); err != nil || cur != c.size {
				t.Fatalf("Seek(0, SeekCurrent) = %d, %v", cur, err)
			}
		})
	}
}

func TestSizedBodySeek(t *testing.T) {
	b, err := NewSizedBody(bytes.NewReader([]byte("abcdefgh")), 6)
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
		pos, err := b.Seek(st.offset, st.whence)
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
		if _, err := io.ReadFull(b, buf); err != nil || string(buf) != st.next {
			t.Fatalf("step %d: read %q, %v; want %q", i, buf, err, st.next)
		}
	}
}

func TestNewSizedBodyErrors(t *testing.T) {
	if _, err := NewSizedBody(nil, 0); err != nil {
		t.Errorf("nil body of size 0: %v", err)
	}
	if _, err := NewSizedBody(nil, 1); err == nil {
		t.Error("nil body of size 1 accepted")
	}
	if _, err := NewSizedBody(bytes.NewReader(nil), -1); err == nil {
		t.Error("negative size accepted")
	}
}
