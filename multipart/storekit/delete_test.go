package storekit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/s3commit/s3commit/multipart"
)

// keyErrors returns the keys of the *multipart.Errors joined in err, and
// fails the test if one is not a DeleteObjects error.
func keyErrors(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var keys []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var me *multipart.Error
		if !errors.As(e, &me) || me.Op != "DeleteObjects" {
			t.Fatalf("joined error %v is not a DeleteObjects *multipart.Error", e)
		}
		keys = append(keys, me.Key)
	}
	return keys
}

func TestDeleteObjectsBatches(t *testing.T) {
	r, _ := newTestRequests()
	var keys []string
	for i := range 2500 {
		keys = append(keys, fmt.Sprintf("k%04d", i))
	}
	var batches [][]string
	err := r.DeleteObjects(context.Background(), keys, func(batch []string) ([]*multipart.Error, []string, error) {
		batches = append(batches, batch)
		var failed []*multipart.Error
		for _, k := range batch {
			if k == "k0005" || k == "k2100" {
				failed = append(failed, r.Error(context.Background(), "DeleteObjects", k, "", answer{"AccessDenied", 403}))
			}
		}
		return failed, nil, nil
	})
	if len(batches) != 3 || len(batches[0]) != multipart.MaxDeleteKeys || len(batches[2]) != 500 {
		t.Errorf("%d batches, want 1000 + 1000 + 500 keys", len(batches))
	}
	if got := strings.Join(keyErrors(t, err), ","); got != "k0005,k2100" || !errors.Is(err, multipart.ErrAccessDenied) {
		t.Errorf("failed keys %s, error %v", got, err)
	}

	calls := 0
	err = r.DeleteObjects(context.Background(), nil, func([]string) ([]*multipart.Error, []string, error) {
		calls++
		return nil, nil, nil
	})
	if err != nil || calls != 0 {
		t.Errorf("DeleteObjects(nil) = %v after %d requests", err, calls)
	}
}

func TestDeleteObjectsUndoneKeys(t *testing.T) {
	ctx, cancelled := context.Background(), cancelledContext()
	cases := []struct {
		name      string
		ctx       context.Context
		undone    []string
		err       error
		wantKeys  string
		wantKind  error
		wantIsErr error // also matched with errors.Is, if set
		wantText  string
	}{
		{"request failed", ctx, []string{"a", "b"}, answer{"NoSuchBucket", 404}, "f,a,b", multipart.ErrBucketNotFound, nil, ""},
		{"answer ended early", ctx, []string{"b"}, answer{"InternalError", 500}, "f,b", multipart.ErrServer, nil, ""},
		{"context ended silently", cancelled, []string{"b"}, nil, "f,b", nil, context.Canceled, ""},
		{"store silent", ctx, []string{"b"}, nil, "f,b", nil, nil, "did not report the key as deleted"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, logs := newTestRequests()
			err := r.DeleteObjects(c.ctx, []string{"f", "a", "b"}, func([]string) ([]*multipart.Error, []string, error) {
				failed := r.Error(ctx, "DeleteObjects", "f", "", answer{"AccessDenied", 403})
				return []*multipart.Error{failed}, c.undone, c.err
			})
			if got := strings.Join(keyErrors(t, err), ","); got != c.wantKeys {
				t.Errorf("failed keys %s, want %s", got, c.wantKeys)
			}
			if c.wantKind != nil && !errors.Is(err, c.wantKind) {
				t.Errorf("error %v is not %v", err, c.wantKind)
			}
			if c.wantIsErr != nil && !errors.Is(err, c.wantIsErr) {
				t.Errorf("error %v is not %v", err, c.wantIsErr)
			}
			if !strings.Contains(err.Error(), c.wantText) {
				t.Errorf("error %v does not say %q", err, c.wantText)
			}
			// The batch's record carries the batch error, not a key's.
			if strings.Contains(logs.String(), `kind="access denied"`) {
				t.Errorf("the record names the key's failure, not the batch's: %s", logs)
			}
		})
	}
}

func TestDeleteObjectsLogsKeyFailure(t *testing.T) {
	r, logs := newTestRequests()
	_ = r.DeleteObjects(context.Background(), []string{"f"}, func([]string) ([]*multipart.Error, []string, error) {
		return []*multipart.Error{r.Error(context.Background(), "DeleteObjects", "f", "", answer{"AccessDenied", 403})}, nil, nil
	})
	if !strings.Contains(logs.String(), `kind="access denied"`) {
		t.Errorf("the record of a batch with a refused key names no failure: %s", logs)
	}
}

func TestIsAbsentKeyCode(t *testing.T) {
	for code, want := range map[string]bool{"NoSuchKey": true, "NoSuchVersion": true, "AccessDenied": false, "": false} {
		if got := IsAbsentKeyCode(code); got != want {
			t.Errorf("IsAbsentKeyCode(%q) = %v", code, got)
		}
	}
}
