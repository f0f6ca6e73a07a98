package s3fake

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// get sends a GET to the fake and returns the status and body.
func get(t *testing.T, srv *Server, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(srv.URL() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func TestServerUploadMarkers(t *testing.T) {
	srv := NewServer(t)
	srv.AddUpload("a")
	b1, b2 := srv.AddUpload("b"), srv.AddUpload("b")
	// S3 reads upload-id-marker as an upload of key-marker.
	status, body := get(t, srv, "/"+Bucket+"?uploads&key-marker=b&upload-id-marker="+b1)
	if status != http.StatusOK || !strings.Contains(body, b2) || strings.Contains(body, "<Key>a</Key>") {
		t.Errorf("S3 markers: %d %s", status, body)
	}
	// versitygw reads it as an upload of the first key after key-marker.
	srv.SetVersityGWMarkers(true)
	if status, body := get(t, srv, "/"+Bucket+"?uploads&key-marker=b&upload-id-marker="+b1); status != http.StatusBadRequest ||
		!strings.Contains(body, "InvalidArgument") {
		t.Errorf("versitygw, S3 markers: %d %s", status, body)
	}
	if status, body := get(t, srv, "/"+Bucket+"?uploads&key-marker=a&upload-id-marker="+b1); status != http.StatusOK ||
		!strings.Contains(body, b2) || strings.Contains(body, "<UploadId>"+b1) {
		t.Errorf("versitygw, key-marker before: %d %s", status, body)
	}
	if got := srv.Recorded("GET", "uploads"); len(got) != 3 || got[0].Query.Get("key-marker") != "b" {
		t.Errorf("recorded %+v", got)
	}
}

func TestServerMissingBucket(t *testing.T) {
	srv := NewServer(t)
	srv.SetObject("k", []byte("v"))
	if status, body := get(t, srv, "/"+Bucket+"/k"); status != http.StatusOK || body != "v" {
		t.Errorf("GetObject: %d %q", status, body)
	}
	srv.SetBucketMissing(true)
	if status, body := get(t, srv, "/"+Bucket+"/k"); status != http.StatusNotFound || !strings.Contains(body, "NoSuchBucket") {
		t.Errorf("GetObject on a missing bucket: %d %q", status, body)
	}
	if status, _ := get(t, srv, "/other/k"); status != http.StatusNotFound {
		t.Errorf("GetObject on another bucket: %d", status)
	}
}

func TestDecodeAWSChunked(t *testing.T) {
	framed := "3;chunk-signature=aa\r\nabc\r\n2;chunk-signature=bb\r\nde\r\n0;chunk-signature=cc\r\n\r\n"
	got, err := decodeAWSChunked([]byte(framed))
	if err != nil || string(got) != "abcde" {
		t.Errorf("decodeAWSChunked = %q, %v", got, err)
	}
	for _, bad := range []string{"", "x\r\n", "5\r\nabc"} {
		if _, err := decodeAWSChunked([]byte(bad)); err == nil {
			t.Errorf("decodeAWSChunked(%q) succeeded", bad)
		}
	}
}
