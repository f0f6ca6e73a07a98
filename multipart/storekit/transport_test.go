package storekit

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3commit/s3commit/multipart"
)

// sizedServer answers every request with the status and body size of its
// query ("status", "size"), the body made of 'x'.
func sizedServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status, _ := strconv.Atoi(r.URL.Query().Get("status"))
		size, _ := strconv.Atoi(r.URL.Query().Get("size"))
		w.WriteHeader(status)
		_, _ = io.Copy(w, io.LimitReader(strings.NewReader(strings.Repeat("x", size)), int64(size)))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestTransportBoundsBodies(t *testing.T) {
	srv := sizedServer(t)
	cases := []struct {
		name       string
		status     int
		size       int
		objectData bool
		wantErr    bool
	}{
		{"error at the bound", 500, MaxErrorBody, false, false},
		{"error past the bound", 500, MaxErrorBody + 1, false, true},
		{"redirect past the error bound", 301, MaxErrorBody + 1, false, true},
		{"listing at the bound", 200, MaxResponseBody, false, false},
		{"listing past the bound", 200, MaxResponseBody + 1, false, true},
		{"object past the bound", 200, MaxResponseBody + 1, true, false},
		{"partial object past the bound", 206, MaxResponseBody + 1, true, false},
		{"error of an object request past the bound", 404, MaxErrorBody + 1, true, true},
		{"empty", 204, 0, false, false},
	}
	clients := map[string]func(*http.Request) (*http.Response, error){
		"transport": NewTransport(nil).RoundTrip,
		"doer":      NewDoer(nil).Do,
	}
	for name, send := range clients {
		for _, c := range cases {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				ctx := context.Background()
				if c.objectData {
					ctx = WithObjectData(ctx)
				}
				url := srv.URL + "/?status=" + strconv.Itoa(c.status) + "&size=" + strconv.Itoa(c.size)
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				require.NoError(t, err)
				resp, err := send(req)
				require.NoError(t, err)
				defer resp.Body.Close()
				assert.Equal(t, c.status, resp.StatusCode)
				n, err := io.Copy(io.Discard, resp.Body)
				if !c.wantErr {
					require.NoError(t, err)
					assert.Equal(t, int64(c.size), n)
					return
				}
				require.ErrorIs(t, err, multipart.ErrResponseTooLarge)
				var tl *TooLargeError
				require.ErrorAs(t, err, &tl)
				assert.Equal(t, c.status, tl.Status)
				assert.Equal(t, int64(c.size-1), n, "read up to the bound")
				bound := "1 MiB"
				if c.status < 300 {
					bound = "16 MiB"
				}
				assert.Equal(t, "the store's answer is too large: the answer (HTTP "+strconv.Itoa(c.status)+") to GET is larger than "+bound, err.Error())
				_, again := resp.Body.Read(make([]byte, 8))
				assert.Equal(t, err, again, "the error stays")
			})
		}
	}
}

func TestTransportRequestCheck(t *testing.T) {
	srv := sizedServer(t)
	refused := errors.New("refused")
	var seen []string
	ctx := WithRequestCheck(context.Background(), func(r *http.Request) error {
		seen = append(seen, r.URL.Query().Get("size"))
		if r.URL.Query().Get("size") == "2" {
			return refused
		}
		return nil
	})
	client := &http.Client{Transport: NewTransport(http.DefaultTransport)}
	for _, size := range []string{"1", "2"} {
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, srv.URL+"/?status=200&size="+size, strings.NewReader("body"))
		require.NoError(t, err)
		resp, err := client.Do(req)
		if size == "2" {
			require.ErrorIs(t, err, refused)
			continue
		}
		require.NoError(t, err)
		resp.Body.Close()
	}
	assert.Equal(t, []string{"1", "2"}, seen)

	// Without a check in the context, nothing is checked.
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/?status=200&size=2", nil)
	require.NoError(t, err)
	resp, err := client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
}

func TestSizeString(t *testing.T) {
	for n, want := range map[int64]string{1 << 20: "1 MiB", 16 << 20: "16 MiB", 2 << 10: "2 KiB", 1000: "1000 bytes", 1<<20 + 1: "1048577 bytes"} {
		assert.Equal(t, want, sizeString(n))
	}
}

func TestUnwrapDoer(t *testing.T) {
	client := &http.Client{}
	assert.Same(t, client, UnwrapDoer(NewDoer(client)))
	assert.Same(t, client, UnwrapDoer(client))
	assert.Same(t, http.DefaultClient, UnwrapDoer(NewDoer(nil)))
}
