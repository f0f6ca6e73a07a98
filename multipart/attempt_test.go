package multipart_test

import (
	"context"
	"iter"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/multipart/memstore"
)

// attemptSpy records what multipart.Attempt says for each call it passes
// on: "<op> <attempt> <kind of the previous error>".
type attemptSpy struct {
	multipart.Store
	mu   sync.Mutex
	seen []string
}

func (s *attemptSpy) note(ctx context.Context, op string) {
	n, prev := multipart.Attempt(ctx)
	kind := "-"
	if k := multipart.KindOf(prev); k != nil {
		kind = k.Error()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, op+" "+strconv.Itoa(n)+" "+kind)
}

func (s *attemptSpy) HeadObject(ctx context.Context, key string) (multipart.ObjectInfo, error) {
	s.note(ctx, "HeadObject")
	return s.Store.HeadObject(ctx, key)
}

func (s *attemptSpy) ListObjects(ctx context.Context, prefix string) iter.Seq2[multipart.ObjectInfo, error] {
	s.note(ctx, "ListObjects")
	return s.Store.ListObjects(ctx, prefix)
}

func TestAttempt(t *testing.T) {
	tests := []struct {
		name  string
		rules []faultstore.Rule
		call  func(ctx context.Context, st multipart.Store) error
		want  []string
	}{
		{"a first attempt", nil, head, []string{"HeadObject 1 -"}},
		{"two retries, each told the error before it",
			[]faultstore.Rule{
				faultstore.FailNth(faultstore.OpHeadObject, 1, multipart.ErrThrottled),
				faultstore.FailNth(faultstore.OpHeadObject, 2, multipart.ErrServer),
			},
			head, []string{"HeadObject 1 -", "HeadObject 2 request throttled", "HeadObject 3 server error"}},
		{"a permanent error is not retried",
			[]faultstore.Rule{faultstore.FailNth(faultstore.OpHeadObject, 1, multipart.ErrAccessDenied)},
			head, []string{"HeadObject 1 -"}},
		{"a listing's page fetch",
			[]faultstore.Rule{faultstore.FailNth(faultstore.OpListObjects, 1, multipart.ErrNetwork)},
			func(ctx context.Context, st multipart.Store) error {
				for _, err := range st.ListObjects(ctx, "") {
					return err
				}
				return nil
			},
			[]string{"ListObjects 1 -", "ListObjects 2 network error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memstore.New("lake")
			_, err := mem.PutObject(context.Background(), "k", strings.NewReader("x"), 1, multipart.PutOptions{})
			require.NoError(t, err)
			spy := &attemptSpy{Store: faultstore.New(mem, tt.rules...)}
			_ = tt.call(context.Background(), multipart.NewRetryingStore(spy, fast, nil))
			assert.Equal(t, tt.want, spy.seen)
		})
	}
	n, prev := multipart.Attempt(context.Background())
	assert.Equal(t, 0, n, "outside a RetryingStore")
	assert.NoError(t, prev)
}

func head(ctx context.Context, st multipart.Store) error {
	_, err := st.HeadObject(ctx, "k")
	return err
}
