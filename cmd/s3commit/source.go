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

// maxRecordSize bounds what is read from a file or object given to a show
// command.
const maxRecordSize = 1 << 30

// isURL reports whether arg is a URL (has a scheme) rather than a path.
func isURL(arg string) bool {
	return strings.Contains(arg, "://")
}

// readSource reads a local file, "-" for stdin, or an s3:// object. It
// returns the content and a name for messages.
func readSource(ctx context.Context, g *globalOptions, arg string, stdin io.Reader) ([]byte, string, error) {
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
		defer body.Close()
		data, err := io.ReadAll(io.LimitReader(body, maxRecordSize))
		if err != nil {
			return nil, "", storeError("read "+u.String(), err)
		}
		return data, u.String(), nil
	}
	if arg == "-" {
		data, err := io.ReadAll(io.LimitReader(stdin, maxRecordSize))
		if err != nil {
			return nil, "", fmt.Errorf("read standard input: %w", err)
		}
		return data, "standard input", nil
	}
	data, err := readFile(arg)
	return data, arg, err
}

// readFile reads a local file with a one-line error naming the problem.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, &cliError{msg: fmt.Sprintf("read %s: no such file; check the path", path), err: err}
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, &cliError{msg: fmt.Sprintf("read %s: is a directory; give a file", path), err: fs.ErrInvalid}
	}
	data, err := io.ReadAll(io.LimitReader(f, maxRecordSize))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return data, nil
}
