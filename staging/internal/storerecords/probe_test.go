package storerecords_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/multipart/memstore"
	"github.com/s3commit/s3commit/staging/internal/storerecords"
)

const probeKey = "_staging/.probe-0123"

func TestCheckConditionalWrites(t *testing.T) {
	tests := []struct {
		name     string
		opts     memstore.Options
		existing bool // an object at the probe key before the check
		rules    []faultstore.Rule
		// wantErr: nil for a store that enforces If-None-Match.
		wantErr  error
		wantLeft bool // the probe key holds an object after the check
	}{
		{name: "enforced"},
		{name: "ignored", opts: memstore.Options{IgnoreConditionalWrites: true}, wantErr: storerecords.ErrConditionsIgnored},
		{name: "enforced, answers lost", rules: []faultstore.Rule{
			faultstore.DropNth(faultstore.OpPutObject, 1), faultstore.DropNth(faultstore.OpPutObject, 2)}},
		{name: "ignored, the second answer lost", opts: memstore.Options{IgnoreConditionalWrites: true},
			rules: []faultstore.Rule{faultstore.DropNth(faultstore.OpPutObject, 2)}, wantErr: storerecords.ErrConditionsIgnored},
		{name: "enforced, the second put failed before the store", rules: []faultstore.Rule{
			faultstore.FailNth(faultstore.OpPutObject, 2, multipart.ErrServer)}},
		{name: "the store does not answer", rules: []faultstore.Rule{
			faultstore.Fail(faultstore.OpPutObject, multipart.ErrNetwork)}, wantErr: multipart.ErrNetwork},
		{name: "the store refuses", rules: []faultstore.Rule{
			faultstore.FailNth(faultstore.OpPutObject, 2, multipart.ErrAccessDenied)}, wantErr: multipart.ErrAccessDenied},
		{name: "the probe cannot be deleted", rules: []faultstore.Rule{
			faultstore.Fail(faultstore.OpDeleteObjects, multipart.ErrAccessDenied)}, wantErr: multipart.ErrAccessDenied, wantLeft: true},
		{name: "the key is taken", existing: true, wantErr: nil, wantLeft: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := memstore.NewServer()
			require.NoError(t, srv.CreateBucket(testBucket))
			mem := srv.Store(testBucket, tt.opts)
			if tt.existing {
				put(t, mem, probeKey, []byte("someone's object"))
			}
			faults := faultstore.New(mem, tt.rules...)
			err := storerecords.CheckConditionalWrites(context.Background(), faults, probeKey)
			switch {
			case tt.existing:
				require.Error(t, err)
				assert.Contains(t, err.Error(), "holds an object already")
				assert.Equal(t, []byte("someone's object"), object(t, mem, probeKey), "another's object is left alone")
			case tt.wantErr == nil:
				require.NoError(t, err)
			default:
				require.ErrorIs(t, err, tt.wantErr)
				if tt.wantErr != storerecords.ErrConditionsIgnored {
					require.NotErrorIs(t, err, storerecords.ErrConditionsIgnored)
				}
			}
			if errors.Is(err, storerecords.ErrConditionsIgnored) {
				for _, want := range []string{"s3://" + testBucket + "/" + probeKey, "bucket \"" + testBucket + "\"", "First-attempt-wins", "silently break"} {
					assert.Contains(t, err.Error(), want)
				}
				t.Log(err)
			}
			assert.Equal(t, tt.wantLeft, object(t, mem, probeKey) != nil, "an object left at the probe key")
		})
	}
}

// TestCheckConditionalWritesDeletesAfterCancel: the probe is deleted even
// when the caller's context ends during the check.
func TestCheckConditionalWritesDeletesAfterCancel(t *testing.T) {
	mem := memstore.New(testBucket)
	ctx, cancel := context.WithCancel(context.Background())
	faults := faultstore.New(mem, faultstore.Rule{Op: faultstore.OpPutObject, Match: func(c faultstore.Call) bool { return c.N == 2 },
		Delay: time.Hour, Times: 1})
	go func() {
		for faults.Calls(faultstore.OpPutObject) < 2 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	err := storerecords.CheckConditionalWrites(ctx, faults, probeKey)
	require.ErrorIs(t, err, context.Canceled)
	assert.Nil(t, object(t, mem, probeKey))
}
