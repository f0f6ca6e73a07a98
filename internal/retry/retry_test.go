package retry

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var errTransient = errors.New("transient")

func isTransient(err error) bool { return errors.Is(err, errTransient) }

func TestDo(t *testing.T) {
	fast := Policy{MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond}
	errPermanent := errors.New("permanent")
	tests := []struct {
		name         string
		failures     []error
		wantErr      error
		wantAttempts int
	}{
		{"succeeds first time", nil, nil, 1},
		{"retries transient then succeeds", []error{errTransient, errTransient}, nil, 3},
		{"gives up after max attempts", []error{errTransient, errTransient, errTransient}, errTransient, 3},
		{"stops at a permanent error", []error{errPermanent}, errPermanent, 1},
		{"permanent error at the last attempt", []error{errTransient, errTransient, errPermanent}, errPermanent, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			v, err := Do(context.Background(), fast, isTransient, nil, func(context.Context) (int, error) {
				calls++
				if calls <= len(tt.failures) {
					return 0, tt.failures[calls-1]
				}
				return 42, nil
			})
			assert.Equal(t, tt.wantAttempts, calls)
			if tt.wantErr != nil {
				require.Same(t, tt.wantErr, err, "the operation's own error, unwrapped")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, 42, v)
		})
	}
}

func TestDoReportsContextAndLastError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	slow := Policy{MaxAttempts: 10, InitialBackoff: time.Hour, MaxBackoff: time.Hour}
	var notified int
	_, err := Do(ctx, slow, isTransient, func(int, error, time.Duration) { notified++; cancel() },
		func(context.Context) (int, error) { return 0, errTransient })
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, err, errTransient)
	assert.Equal(t, 1, notified)
}
