package miniostore

// A small in-process S3 endpoint for tests that need no real server: it
// serves the calls a Store makes, records each request, and can mimic the
// quirks of the stores the backends meet (versitygw's upload-id-marker
// paging, MinIO's silent abort of unknown uploads).

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

type fakeUpload struct {
	key, id string
	parts   map[int]fakePart
}

type fakePart struct {
	etag string
	data []byte
}

type fakeRequest struct {
	method string
	path   string // unescaped object key, or "" for bucket requests
	query  url.Values
	header http.Header
	body   []byte
}

type fakeS3 struct {
	t      *testing.T
	bucket string

	mu sync.Mutex
	// versitygwMarkers makes ListMultipartUploads read upload-id-marker
	// as versitygw 1.8.0 does.
	versitygwMarkers bool
	// noBucket makes every request fail as for a missing bucket.
	noBucket bool
	uploads  []*fakeUpload // in (key, creation) order
	objects  map[string][]byte
	// deleteErrors makes DeleteObjects report these codes for these keys.
	deleteErrors map[string]string
	requests     []fakeRequest
	nextID       int
}

func newFakeS3(t *testing.T, bucket string) (*fakeS3, *httptest.Server) {
	f := &fakeS3{t: t, bucket: bucket, objects: map[string][]byte{}, deleteErrors: map[string]string{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeS3) addUpload(key string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	id := fmt.Sprintf("00000000-0000-0000-0000-%012d", f.nextID)
	f.uploads = append(f.uploads, &fakeUpload{key: key, id: id, parts: map[int]fakePart{}})
	slices.SortStableFunc(f.uploads, func(a, b *fakeUpload) int { return strings.Compare(a.key, b.key) })
	return id
}

func (f *fakeS3) findUpload(key, id string) *fakeUpload {
	for _, u := range f.uploads {
		if u.key == key && u.id == id {
			return u
		}
	}
	return nil
}

func (f *fakeS3) recorded(method string, queryKey string) []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeRequest
	for _, r := range f.requests {
		if r.method == method && r.query.Has(queryKey) {
			out = append(out, r)
		}
	}
	return out
}

func writeXML(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, xml.Header)
	_ = xml.NewEncoder(w).Encode(v)
}

type xmlError struct {
	XMLName xml.Name `xml:"Error"`
	Code    string
	Message string
}

func writeError(w http.ResponseWriter, r *http.Request, status int, code string) {
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	writeXML(w, status, xmlError{Code: code, Message: code + " (fake)"})
}

// decodeAWSChunked strips the aws-chunked framing of a streaming-signed
// body.
func decodeAWSChunked(b []byte) ([]byte, error) {
	var out []byte
	r := bufio.NewReader(bytes.NewReader(b))
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		sizeHex, _, _ := strings.Cut(strings.TrimSpace(line), ";")
		n, err := strconv.ParseInt(sizeHex, 16, 64)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return out, nil
		}
		chunk := make([]byte, n)
		if _, err := io.ReadFull(r, chunk); err != nil {
			return nil, err
		}
		out = append(out, chunk...)
		if _, err := r.Discard(2); err != nil {
			return nil, err
		}
	}
}

func (f *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") {
		if body, err = decodeAWSChunked(body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	path := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ := strings.Cut(path, "/")
	q := r.URL.Query()

	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, fakeRequest{method: r.Method, path: key, query: q, header: r.Header.Clone(), body: body})

	if bucket != f.bucket || f.noBucket {
		if r.Method == http.MethodHead {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		writeError(w, r, http.StatusNotFound, "NoSuchBucket")
		return
	}
	switch {
	case key == "" && q.Has("location"):
		writeXML(w, http.StatusOK, struct {
			XMLName xml.Name `xml:"LocationConstraint"`
			Value   string   `xml:",chardata"`
		}{Value: "us-east-1"})
	case key == "" && r.Method == http.MethodHead:
		w.WriteHeader(http.StatusOK)
	case key == "" && q.Has("uploads"):
		f.listUploads(w, r, q)
	case key == "" && q.Get("list-type") == "2":
		f.listObjects(w, q)
	case key == "" && q.Has("delete") && r.Method == http.MethodPost:
		f.deleteObjects(w, r, body)
	case r.Method == http.MethodPost && q.Has("uploads"):
		f.nextID++
		id := fmt.Sprintf("00000000-0000-0000-0000-%012d", f.nextID)
		f.uploads = append(f.uploads, &fakeUpload{key: key, id: id, parts: map[int]fakePart{}})
		slices.SortStableFunc(f.uploads, func(a, b *fakeUpload) int { return strings.Compare(a.key, b.key) })
		writeXML(w, http.StatusOK, struct {
			XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
			Bucket   string
			Key      string
			UploadId string
		}{Bucket: bucket, Key: key, UploadId: id})
	case r.Method == http.MethodPut && q.Has("uploadId"):
		u := f.findUpload(key, q.Get("uploadId"))
		if u == nil {
			writeError(w, r, http.StatusNotFound, "NoSuchUpload")
			return
		}
		if cl := r.Header.Get("X-Amz-Decoded-Content-Length"); cl != "" && cl != strconv.Itoa(len(body)) {
			writeError(w, r, http.StatusBadRequest, "IncompleteBody")
			return
		}
		n, _ := strconv.Atoi(q.Get("partNumber"))
		sum := md5.Sum(body)
		etag := hex.EncodeToString(sum[:])
		u.parts[n] = fakePart{etag: etag, data: body}
		w.Header().Set("ETag", `"`+etag+`"`)
		w.WriteHeader(http.StatusOK)
	case r.Method == http.MethodGet && q.Has("uploadId"):
		f.listParts(w, r, key, q)
	case r.Method == http.MethodPost && q.Has("uploadId"):
		f.complete(w, r, key, q.Get("uploadId"), body)
	case r.Method == http.MethodDelete && q.Has("uploadId"):
		// MinIO answers success for unknown upload IDs too.
		if u := f.findUpload(key, q.Get("uploadId")); u != nil {
			f.uploads = slices.DeleteFunc(f.uploads, func(x *fakeUpload) bool { return x == u })
		}
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodPut:
		if _, ok := f.objects[key]; ok && r.Header.Get("If-None-Match") == "*" {
			writeError(w, r, http.StatusPreconditionFailed, "PreconditionFailed")
			return
		}
		f.objects[key] = body
		sum := md5.Sum(body)
		w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
		w.WriteHeader(http.StatusOK)
	case r.Method == http.MethodHead || r.Method == http.MethodGet:
		data, ok := f.objects[key]
		if !ok {
			if r.Method == http.MethodHead {
				w.WriteHeader(http.StatusNotFound)
				return
			}
			writeError(w, r, http.StatusNotFound, "NoSuchKey")
			return
		}
		sum := md5.Sum(data)
		w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
		w.Header().Set("Last-Modified", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Format(http.TimeFormat))
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = w.Write(data)
		}
	default:
		writeError(w, r, http.StatusNotImplemented, "NotImplemented")
	}
}

type xmlUpload struct {
	Key       string
	UploadId  string
	Initiated string
}

func (f *fakeS3) listUploads(w http.ResponseWriter, r *http.Request, q url.Values) {
	prefix, keyMarker, idMarker := q.Get("prefix"), q.Get("key-marker"), q.Get("upload-id-marker")
	max, _ := strconv.Atoi(q.Get("max-uploads"))
	if max <= 0 {
		max = 1000
	}
	var candidates []*fakeUpload
	for _, u := range f.uploads {
		if strings.HasPrefix(u.key, prefix) {
			candidates = append(candidates, u)
		}
	}
	start := 0
	switch {
	case keyMarker == "":
	case f.versitygwMarkers:
		// Keys after key-marker only; upload-id-marker must name an
		// upload of the first of them.
		candidates = slices.DeleteFunc(candidates, func(u *fakeUpload) bool { return u.key <= keyMarker })
		if idMarker != "" {
			start = -1
			for i, u := range candidates {
				if u.key != candidates[0].key {
					break
				}
				if u.id == idMarker {
					start = i + 1
				}
			}
			if start < 0 {
				writeError(w, r, http.StatusBadRequest, "InvalidArgument")
				return
			}
		}
	default:
		// S3: uploads of key-marker after upload-id-marker, then later keys.
		candidates = slices.DeleteFunc(candidates, func(u *fakeUpload) bool {
			if idMarker == "" {
				return u.key <= keyMarker
			}
			return u.key < keyMarker || (u.key == keyMarker && u.id <= idMarker)
		})
	}
	candidates = candidates[start:]
	res := struct {
		XMLName            xml.Name `xml:"ListMultipartUploadsResult"`
		Bucket             string
		KeyMarker          string
		UploadIdMarker     string
		NextKeyMarker      string
		NextUploadIdMarker string
		Prefix             string
		MaxUploads         int
		IsTruncated        bool
		Upload             []xmlUpload
	}{Bucket: f.bucket, KeyMarker: keyMarker, UploadIdMarker: idMarker, Prefix: prefix, MaxUploads: max}
	for i, u := range candidates {
		if i == max {
			res.IsTruncated = true
			break
		}
		res.Upload = append(res.Upload, xmlUpload{Key: u.key, UploadId: u.id, Initiated: "2026-01-02T03:04:05.000Z"})
		res.NextKeyMarker, res.NextUploadIdMarker = u.key, u.id
	}
	if !res.IsTruncated {
		res.NextKeyMarker, res.NextUploadIdMarker = "", ""
	}
	writeXML(w, http.StatusOK, res)
}

func (f *fakeS3) listObjects(w http.ResponseWriter, q url.Values) {
	prefix := q.Get("prefix")
	max, _ := strconv.Atoi(q.Get("max-keys"))
	if max <= 0 {
		max = 1000
	}
	var keys []string
	for k := range f.objects {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	start := 0
	if tok := q.Get("continuation-token"); tok != "" {
		start, _ = strconv.Atoi(strings.TrimPrefix(tok, "tok-"))
	}
	type content struct {
		Key          string
		Size         int
		ETag         string
		LastModified string
	}
	res := struct {
		XMLName               xml.Name `xml:"ListBucketResult"`
		Name                  string
		Prefix                string
		MaxKeys               int
		KeyCount              int
		IsTruncated           bool
		ContinuationToken     string `xml:",omitempty"`
		NextContinuationToken string `xml:",omitempty"`
		Contents              []content
	}{Name: f.bucket, Prefix: prefix, MaxKeys: max, ContinuationToken: q.Get("continuation-token")}
	for i := start; i < len(keys); i++ {
		if i-start == max {
			res.IsTruncated = true
			res.NextContinuationToken = fmt.Sprintf("tok-%d", i)
			break
		}
		sum := md5.Sum(f.objects[keys[i]])
		res.Contents = append(res.Contents, content{
			Key: keys[i], Size: len(f.objects[keys[i]]), ETag: `"` + hex.EncodeToString(sum[:]) + `"`,
			LastModified: "2026-01-02T03:04:05.000Z",
		})
	}
	res.KeyCount = len(res.Contents)
	writeXML(w, http.StatusOK, res)
}

func (f *fakeS3) listParts(w http.ResponseWriter, r *http.Request, key string, q url.Values) {
	u := f.findUpload(key, q.Get("uploadId"))
	if u == nil {
		writeError(w, r, http.StatusNotFound, "NoSuchUpload")
		return
	}
	max, _ := strconv.Atoi(q.Get("max-parts"))
	if max <= 0 {
		max = 1000
	}
	marker, _ := strconv.Atoi(q.Get("part-number-marker"))
	var numbers []int
	for n := range u.parts {
		if n > marker {
			numbers = append(numbers, n)
		}
	}
	slices.Sort(numbers)
	type part struct {
		PartNumber   int
		ETag         string
		Size         int
		LastModified string
	}
	res := struct {
		XMLName              xml.Name `xml:"ListPartsResult"`
		Bucket               string
		Key                  string
		UploadId             string
		PartNumberMarker     int
		NextPartNumberMarker int
		MaxParts             int
		IsTruncated          bool
		Part                 []part
	}{Bucket: f.bucket, Key: key, UploadId: u.id, PartNumberMarker: marker, MaxParts: max}
	for i, n := range numbers {
		if i == max {
			res.IsTruncated = true
			break
		}
		p := u.parts[n]
		res.Part = append(res.Part, part{PartNumber: n, ETag: `"` + p.etag + `"`, Size: len(p.data), LastModified: "2026-01-02T03:04:05.000Z"})
		res.NextPartNumberMarker = n
	}
	writeXML(w, http.StatusOK, res)
}

func (f *fakeS3) complete(w http.ResponseWriter, r *http.Request, key, id string, body []byte) {
	u := f.findUpload(key, id)
	if u == nil {
		writeError(w, r, http.StatusNotFound, "NoSuchUpload")
		return
	}
	var req struct {
		Part []struct {
			PartNumber int
			ETag       string
		}
	}
	if err := xml.Unmarshal(body, &req); err != nil {
		writeError(w, r, http.StatusBadRequest, "MalformedXML")
		return
	}
	existing, exists := f.objects[key]
	if r.Header.Get("If-None-Match") == "*" && exists {
		writeError(w, r, http.StatusPreconditionFailed, "PreconditionFailed")
		return
	}
	if m := r.Header.Get("If-Match"); m != "" {
		if !exists {
			writeError(w, r, http.StatusNotFound, "NoSuchKey")
			return
		}
		sum := md5.Sum(existing)
		if m != `"`+hex.EncodeToString(sum[:])+`"` {
			writeError(w, r, http.StatusPreconditionFailed, "PreconditionFailed")
			return
		}
	}
	var data []byte
	for _, p := range req.Part {
		got, ok := u.parts[p.PartNumber]
		if !ok || `"`+got.etag+`"` != p.ETag {
			writeError(w, r, http.StatusBadRequest, "InvalidPart")
			return
		}
		data = append(data, got.data...)
	}
	f.objects[key] = data
	f.uploads = slices.DeleteFunc(f.uploads, func(x *fakeUpload) bool { return x == u })
	writeXML(w, http.StatusOK, struct {
		XMLName xml.Name `xml:"CompleteMultipartUploadResult"`
		Bucket  string
		Key     string
		ETag    string
	}{Bucket: f.bucket, Key: key, ETag: fmt.Sprintf(`"fake-%d"`, len(req.Part))})
}

func (f *fakeS3) deleteObjects(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		Quiet  bool
		Object []struct{ Key string }
	}
	if err := xml.Unmarshal(body, &req); err != nil {
		writeError(w, r, http.StatusBadRequest, "MalformedXML")
		return
	}
	if len(req.Object) > 1000 {
		writeError(w, r, http.StatusBadRequest, "MalformedXML")
		return
	}
	type deleted struct{ Key string }
	type failed struct{ Key, Code, Message string }
	res := struct {
		XMLName xml.Name `xml:"DeleteResult"`
		Deleted []deleted
		Error   []failed
	}{}
	for _, o := range req.Object {
		if code, ok := f.deleteErrors[o.Key]; ok {
			res.Error = append(res.Error, failed{Key: o.Key, Code: code, Message: code + " (fake)"})
			continue
		}
		delete(f.objects, o.Key)
		if !req.Quiet {
			res.Deleted = append(res.Deleted, deleted{Key: o.Key})
		}
	}
	writeXML(w, http.StatusOK, res)
}
