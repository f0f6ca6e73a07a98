package storerecords_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/internal/testserver"
	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/faultstore"
	"github.com/s3commit/s3commit/staging/internal/storerecords"
)

func TestMain(m *testing.M) { testserver.Run(m) }

var servers = []struct {
	name string
	get  func(testing.TB) *testserver.Server
}{
	{"minio", testserver.MinIO},
	{"versitygw", testserver.VersityGW},
}

// answer describes a store's error as the server gave it: kind, S3 code
// and HTTP status.
func answer(err error) string {
	if err == nil {
		return "200 OK"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%v", multipart.KindOf(err))
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		fmt.Fprintf(&b, ", code %s", apiErr.ErrorCode())
	}
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) {
		fmt.Fprintf(&b, ", HTTP %d", respErr.HTTPStatusCode())
	}
	return b.String()
}

// TestServers runs the record primitives on the real MinIO and versitygw,
// through awsstore, each in a bucket of its own.
func TestServers(t *testing.T) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			srv := s.get(t)
			bucket := srv.CreateBucket(t)
			st := srv.Store(t, bucket)
			ctx := context.Background()

			t.Run("a repeated If-None-Match put", func(t *testing.T) {
				key := "repeat/record"
				cond := multipart.PutOptions{IfNoneMatch: true}
				a, b := []byte("writer a"), []byte("writer b")
				_, err := st.PutObject(ctx, key, bytes.NewReader(a), int64(len(a)), cond)
				require.NoError(t, err)
				_, again := st.PutObject(ctx, key, bytes.NewReader(a), int64(len(a)), cond)
				_, other := st.PutObject(ctx, key, bytes.NewReader(b), int64(len(b)), cond)
				t.Logf("%s: the same bytes again: %s; other bytes: %s", s.name, answer(again), answer(other))
				require.ErrorIs(t, again, multipart.ErrPreconditionFailed, "a retried put of our own record")
				require.ErrorIs(t, other, multipart.ErrPreconditionFailed)
				assert.Equal(t, a, object(t, st, key))
			})

			t.Run("concurrent If-None-Match puts", func(t *testing.T) {
				const rounds, writers = 5, 16
				answers := map[string]int{}
				for round := range rounds {
					key := fmt.Sprintf("race/%d", round)
					errs := make([]error, writers)
					start := make(chan struct{})
					var wg sync.WaitGroup
					for i := range writers {
						wg.Go(func() {
							<-start
							data := writerData(i)
							_, errs[i] = st.PutObject(ctx, key, bytes.NewReader(data), int64(len(data)), multipart.PutOptions{IfNoneMatch: true})
						})
					}
					close(start)
					wg.Wait()
					winners := 0
					for i, err := range errs {
						answers[answer(err)]++
						if err == nil {
							winners++
							assert.Equal(t, writerData(i), object(t, st, key), "round %d: the object is the winner's", round)
							continue
						}
						require.ErrorIs(t, err, multipart.ErrPreconditionFailed, "round %d writer %d", round, i)
					}
					require.Equal(t, 1, winners, "round %d: %d of %d racing conditional puts succeeded", round, winners, writers)
				}
				var lines []string
				for a, n := range answers {
					lines = append(lines, fmt.Sprintf("%d × %s", n, a))
				}
				sort.Strings(lines)
				t.Logf("%s: %d rounds of %d racing puts: %s", s.name, rounds, writers, strings.Join(lines, "; "))
			})

			t.Run("first writer wins", func(t *testing.T) {
				r, err := storerecords.New(st, "first-writer", fast)
				require.NoError(t, err)
				for round := range 5 {
					name := fmt.Sprintf("tasks/t%d.pendingset", round)
					winner := raceCreate(t, r, name, 8)
					got, err := r.Read(ctx, name, 100)
					require.NoError(t, err)
					assert.Equal(t, writerData(winner), got)
				}
			})

			t.Run("a lost answer is ours", func(t *testing.T) {
				// The retry layer's second put meets the real server's
				// 412 for the record its first put stored.
				faults := faultstore.New(st, faultstore.DropNth(faultstore.OpPutObject, 1))
				retrying := multipart.NewRetryingStore(faults, multipart.RetryPolicy{InitialBackoff: time.Millisecond}, nil)
				r, err := storerecords.New(retrying, "lost-answer", fast)
				require.NoError(t, err)
				require.NoError(t, r.CreateExclusive(ctx, "job.json", []byte("job of writer 1")))
				assert.Equal(t, 2, faults.Calls(faultstore.OpPutObject))
				require.ErrorIs(t, r.CreateExclusive(ctx, "job.json", []byte("job of writer 2")), storerecords.ErrExist)
			})

			t.Run("two writers claim the journal at once", func(t *testing.T) {
				for round := range 10 {
					r, err := storerecords.New(st, fmt.Sprintf("claim-race/%d", round), fast)
					require.NoError(t, err)
					claimRace(t, r, 2)
				}
			})

			t.Run("fencing", func(t *testing.T) {
				r, err := storerecords.New(st, "fencing", fast)
				require.NoError(t, err)
				first, _ := openJournal(t, r, storerecords.JournalOptions{})
				require.NoError(t, first.Claim(ctx, "driver 1"))
				second, _ := openJournal(t, r, storerecords.JournalOptions{})
				require.NoError(t, second.Claim(ctx, "driver 2"))
				require.NoError(t, first.Append(ctx, entry(0)))
				require.ErrorIs(t, first.Flush(ctx), storerecords.ErrFenced)
				rep := readJournal(t, r)
				assert.Empty(t, rep.Entries)
				assert.Len(t, rep.Claims, 2)
			})

			t.Run("5,000 entries", func(t *testing.T) {
				faults := faultstore.New(st)
				r, err := storerecords.New(faults, "batching", fast)
				require.NoError(t, err)
				j, _ := openJournal(t, r, storerecords.JournalOptions{})
				for i := range 5000 {
					require.NoError(t, j.Append(ctx, entry(i)))
				}
				require.NoError(t, j.Flush(ctx))
				t.Logf("%s: 5,000 entries with the default batching: %d PutObject calls", s.name, faults.Calls(faultstore.OpPutObject))
				assert.LessOrEqual(t, faults.Calls(faultstore.OpPutObject), 15)
				rep := readJournal(t, r)
				require.Len(t, rep.Entries, 5000)
				assert.Equal(t, entry(4999), rep.Entries[4999])
			})

			t.Run("CheckConditionalWrites", func(t *testing.T) {
				require.NoError(t, storerecords.CheckConditionalWrites(ctx, st, "probe/conditional-writes"))
				_, err := st.HeadObject(ctx, "probe/conditional-writes")
				require.ErrorIs(t, err, multipart.ErrNotFound, "the probe is deleted")
			})
		})
	}
}
