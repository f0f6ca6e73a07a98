package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/s3commit/s3commit/multipart"
)

// maxRecordSize bounds what readSource reads from a file or object given
// to a show command.
const maxRecordSize = 1 << 30

// isURL reports whether arg is a URL (has a scheme) rather than a path.
func isURL(arg string) bool {
	return strings.Contains(arg, "://")
}

// openSource opens a local file, "-" for stdin, or an s3:// object for
// reading, once, as the caller decodes it. It returns the reader, which
// the caller closes, and a name for messages.
func openSource(ctx context.Context, g *globalOptions, arg string, stdin io.Reader) (io.ReadCloser, string, error) {
	if isURL(arg) {
		u, err := parseS3URL(arg)
		if err != nil {
			return nil, "", err
		}
		if u.Key == "" || strings.HasSuffix(u.Key, "/") {
			return nil, "", usageErrorf("%q names no object; give the object's full key, e.g. s3://BUCKET/PATH/FILE", arg)
		}
		st, err := g.store(ctx, u.Bucket)
		if err != nil {
			return nil, "", err
		}
		body, _, err := st.GetObject(ctx, u.Key)
		if errors.Is(err, multipart.ErrNotFound) {
			return nil, "", &cliError{msg: fmt.Sprintf("read %s: no such object; check the key", u), err: err}
		}
		if err != nil {
			return nil, "", storeError("read "+u.String(), err)
		}
		return body, u.String(), nil
	}
	if arg == "-" {
		if stdin == nil {
			stdin = os.Stdin
		}
		return io.NopCloser(stdin), "standard input", nil
	}
	f, err := openFile(arg)
	return f, arg, err
}

// readSource reads a local file, "-" for stdin, or an s3:// object, at
// most maxRecordSize bytes of it. It returns the content and a name for
// messages.
func readSource(ctx context.Context, g *globalOptions, arg string, stdin io.Reader) ([]byte, string, error) {
	r, name, err := openSource(ctx, g, arg, stdin)
	if err != nil {
		return nil, "", err
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, maxRecordSize+1))
	switch {
	case err != nil && isURL(arg):
		return nil, "", storeError("read "+name, err)
	case err != nil:
		return nil, "", fmt.Errorf("read %s: %w", name, err)
	case len(data) > maxRecordSize:
		return nil, "", &cliError{msg: fmt.Sprintf("read %s: larger than %d bytes; this is not a record s3commit writes", name, maxRecordSize), err: fs.ErrInvalid}
	}
	return data, name, nil
}

// openFile opens a local file with a one-line error naming the problem.
func openFile(path string) (*os.File, error) {
	f, err := os.Open(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, &cliError{msg: fmt.Sprintf("read %s: no such file; check the path", path), err: err}
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, &cliError{msg: fmt.Sprintf("read %s: is a directory; give a file", path), err: fs.ErrInvalid}
	}
	return f, nil
}
