// Package s3fake is a small in-process S3 endpoint for the unit tests of
// the S3 backends of package multipart (awsstore, miniostore), and the
// tests that are the same for every backend against it ([Run]).
//
// The [Server] serves the calls a Store makes on one bucket, [Bucket],
// records each request, and can mimic the quirks of the stores the
// backends meet: versitygw's upload-id-marker paging, MinIO's silent abort
// of unknown uploads, a missing bucket, per-key DeleteObjects failures. It
// is no S3 implementation: it checks no signature and knows only what
// those tests need. The conformance suite (multipart/storetest) runs the
// backends against real servers.
package s3fake

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

	"github.com/s3commit/s3commit/multipart"
)

// Bucket is the one bucket a Server serves.
const Bucket = "bkt"

// upload is an uncompleted multipart upload.
type upload struct {
	key, id string
	parts   map[int]part
}

// part is an uploaded part.
type part struct {
	etag string
	data []byte
}

// Request is a request the Server received, as it saw it.
type Request struct {
	Method string
	// Key is the unescaped object key, or "" for bucket requests.
	Key    string
	Query  url.Values
	Header http.Header
	// Body is the request body, without the aws-chunked framing of a
	// streaming signature.
	Body []byte
}

// Upload names an uncompleted multipart upload the Server holds.
type Upload struct {
	Key, UploadID string
}

// Server is the fake S3 endpoint. Its methods are safe for concurrent use.
type Server struct {
	url string

	mu sync.Mutex
	// versityGWMarkers makes ListMultipartUploads read upload-id-marker
	// as versitygw 1.8.0 does.
	versityGWMarkers bool
	// bucketMissing makes every request fail as for a missing bucket.
	bucketMissing bool
	uploads       []*upload // in (key, creation) order
	objects       map[string][]byte
	// deleteErrors makes DeleteObjects report these codes for these keys.
	deleteErrors map[string]string
	requests     []Request
	nextID       int
	// intercept, when set, sees every request first (see Intercept).
	intercept func(w http.ResponseWriter, r *http.Request) bool
}

// NewServer starts a Server on loopback and stops it when the test ends.
func NewServer(t testing.TB) *Server {
	s := &Server{objects: map[string][]byte{}, deleteErrors: map[string]string{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// URL returns the endpoint, "http://127.0.0.1:port".
func (s *Server) URL() string { return s.url }

// SetVersityGWMarkers makes ListMultipartUploads read upload-id-marker as
// versitygw 1.8.0 does (versity/versitygw#2149): as naming an upload of the
// first key after key-marker, rejecting S3's marker pair with 400
// InvalidArgument.
func (s *Server) SetVersityGWMarkers(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.versityGWMarkers = on
}

// SetBucketMissing makes every request fail as for a missing bucket (404
// NoSuchBucket, or a bare 404 to HEAD).
func (s *Server) SetBucketMissing(missing bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bucketMissing = missing
}

// FailDelete makes DeleteObjects report code for key instead of deleting
// it.
func (s *Server) FailDelete(key, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleteErrors[key] = code
}

// Intercept makes f see every request before the Server serves it, to
// script a misbehaving store: when f returns true it has answered the
// request and the Server does nothing more with it. The request is
// recorded either way, and f runs without the Server's lock, so that it
// may stream a long answer. Nil removes the interceptor.
func (s *Server) Intercept(f func(w http.ResponseWriter, r *http.Request) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.intercept = f
}

// AddUpload creates an upload for key, as CreateMultipartUpload does, and
// returns its upload ID.
func (s *Server) AddUpload(key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addUpload(key)
}

func (s *Server) addUpload(key string) string {
	s.nextID++
	id := fmt.Sprintf("00000000-0000-0000-0000-%012d", s.nextID)
	s.uploads = append(s.uploads, &upload{key: key, id: id, parts: map[int]part{}})
	slices.SortStableFunc(s.uploads, func(a, b *upload) int { return strings.Compare(a.key, b.key) })
	return id
}

// Uploads returns the uncompleted uploads, in key order.
func (s *Server) Uploads() []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Upload, len(s.uploads))
	for i, u := range s.uploads {
		out[i] = Upload{Key: u.key, UploadID: u.id}
	}
	return out
}

// PartData returns the bytes stored for part number of an upload, and
// whether there is such a part.
func (s *Server) PartData(key, uploadID string, number int) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.findUpload(key, uploadID)
	if u == nil {
		return nil, false
	}
	p, ok := u.parts[number]
	return p.data, ok
}

// SetObject stores data as the object key.
func (s *Server) SetObject(key string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.objects[key] = data
}

// Object returns the object key, and whether it exists.
func (s *Server) Object(key string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	data, ok := s.objects[key]
	return data, ok
}

// ObjectCount returns the number of objects.
func (s *Server) ObjectCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.objects)
}

// Requests returns every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Recorded returns the requests with method whose query has queryKey
// ("uploads", "uploadId", "partNumber", "list-type", "delete", …).
func (s *Server) Recorded(method string, queryKey string) []Request {
	return s.requestsWhere(func(r Request) bool { return r.Method == method && r.Query.Has(queryKey) })
}

// PutObjectRequests returns the PutObject requests: PUTs that are not part
// uploads.
func (s *Server) PutObjectRequests() []Request {
	return s.requestsWhere(func(r Request) bool { return r.Method == http.MethodPut && !r.Query.Has("partNumber") })
}

func (s *Server) requestsWhere(match func(Request) bool) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if match(r) {
			out = append(out, r)
		}
	}
	return out
}

func (s *Server) findUpload(key, id string) *upload {
	for _, u := range s.uploads {
		if u.key == key && u.id == id {
			return u
		}
	}
	return nil
}

// writeXML answers status with v encoded as XML.
func writeXML(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, xml.Header)
	_ = xml.NewEncoder(w).Encode(v)
}

// xmlError is the body of an S3 error answer.
type xmlError struct {
	XMLName xml.Name `xml:"Error"`
	Code    string
	Message string
}

// writeError answers status with the S3 error code, or with a bare status
// to HEAD, as S3 does.
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

// ServeHTTP serves one S3 request on [Bucket], path-style addressed, and
// records it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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

	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Key: key, Query: q, Header: r.Header.Clone(), Body: body})
	intercept := s.intercept
	s.mu.Unlock()
	if intercept != nil && intercept(w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()

	if bucket != Bucket || s.bucketMissing {
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
		s.listUploads(w, r, q)
	case key == "" && q.Get("list-type") == "2":
		s.listObjects(w, q)
	case key == "" && q.Has("delete") && r.Method == http.MethodPost:
		s.deleteObjects(w, r, body)
	case r.Method == http.MethodPost && q.Has("uploads"):
		id := s.addUpload(key)
		writeXML(w, http.StatusOK, struct {
			XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
			Bucket   string
			Key      string
			UploadId string
		}{Bucket: bucket, Key: key, UploadId: id})
	case r.Method == http.MethodPut && q.Has("uploadId"):
		u := s.findUpload(key, q.Get("uploadId"))
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
		u.parts[n] = part{etag: etag, data: body}
		w.Header().Set("ETag", `"`+etag+`"`)
		w.WriteHeader(http.StatusOK)
	case r.Method == http.MethodGet && q.Has("uploadId"):
		s.listParts(w, r, key, q)
	case r.Method == http.MethodPost && q.Has("uploadId"):
		s.complete(w, r, key, q.Get("uploadId"), body)
	case r.Method == http.MethodDelete && q.Has("uploadId"):
		// MinIO answers success for unknown upload IDs too.
		if u := s.findUpload(key, q.Get("uploadId")); u != nil {
			s.uploads = slices.DeleteFunc(s.uploads, func(x *upload) bool { return x == u })
		}
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodPut:
		if _, ok := s.objects[key]; ok && r.Header.Get("If-None-Match") == "*" {
			writeError(w, r, http.StatusPreconditionFailed, "PreconditionFailed")
			return
		}
		s.objects[key] = body
		sum := md5.Sum(body)
		w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
		w.WriteHeader(http.StatusOK)
	case r.Method == http.MethodHead || r.Method == http.MethodGet:
		data, ok := s.objects[key]
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

// xmlUpload is an upload in a ListMultipartUploads answer.
type xmlUpload struct {
	Key       string
	UploadId  string
	Initiated string
}

// listUploads answers ListMultipartUploads.
func (s *Server) listUploads(w http.ResponseWriter, r *http.Request, q url.Values) {
	prefix, keyMarker, idMarker := q.Get("prefix"), q.Get("key-marker"), q.Get("upload-id-marker")
	max, _ := strconv.Atoi(q.Get("max-uploads"))
	if max <= 0 {
		max = multipart.MaxListPageSize
	}
	var candidates []*upload
	for _, u := range s.uploads {
		if strings.HasPrefix(u.key, prefix) {
			candidates = append(candidates, u)
		}
	}
	start := 0
	switch {
	case keyMarker == "":
	case s.versityGWMarkers:
		// Keys after key-marker only; upload-id-marker must name an
		// upload of the first of them.
		candidates = slices.DeleteFunc(candidates, func(u *upload) bool { return u.key <= keyMarker })
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
		candidates = slices.DeleteFunc(candidates, func(u *upload) bool {
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
	}{Bucket: Bucket, KeyMarker: keyMarker, UploadIdMarker: idMarker, Prefix: prefix, MaxUploads: max}
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

// listObjects answers ListObjectsV2.
func (s *Server) listObjects(w http.ResponseWriter, q url.Values) {
	prefix := q.Get("prefix")
	max, _ := strconv.Atoi(q.Get("max-keys"))
	if max <= 0 {
		max = multipart.MaxListPageSize
	}
	var keys []string
	for k := range s.objects {
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
	}{Name: Bucket, Prefix: prefix, MaxKeys: max, ContinuationToken: q.Get("continuation-token")}
	for i := start; i < len(keys); i++ {
		if i-start == max {
			res.IsTruncated = true
			res.NextContinuationToken = fmt.Sprintf("tok-%d", i)
			break
		}
		sum := md5.Sum(s.objects[keys[i]])
		res.Contents = append(res.Contents, content{
			Key: keys[i], Size: len(s.objects[keys[i]]), ETag: `"` + hex.EncodeToString(sum[:]) + `"`,
			LastModified: "2026-01-02T03:04:05.000Z",
		})
	}
	res.KeyCount = len(res.Contents)
	writeXML(w, http.StatusOK, res)
}

// listParts answers ListParts.
func (s *Server) listParts(w http.ResponseWriter, r *http.Request, key string, q url.Values) {
	u := s.findUpload(key, q.Get("uploadId"))
	if u == nil {
		writeError(w, r, http.StatusNotFound, "NoSuchUpload")
		return
	}
	max, _ := strconv.Atoi(q.Get("max-parts"))
	if max <= 0 {
		max = multipart.MaxListPageSize
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
	}{Bucket: Bucket, Key: key, UploadId: u.id, PartNumberMarker: marker, MaxParts: max}
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

// complete answers CompleteMultipartUpload, with its conditions.
func (s *Server) complete(w http.ResponseWriter, r *http.Request, key, id string, body []byte) {
	u := s.findUpload(key, id)
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
	existing, exists := s.objects[key]
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
	s.objects[key] = data
	s.uploads = slices.DeleteFunc(s.uploads, func(x *upload) bool { return x == u })
	writeXML(w, http.StatusOK, struct {
		XMLName xml.Name `xml:"CompleteMultipartUploadResult"`
		Bucket  string
		Key     string
		ETag    string
	}{Bucket: Bucket, Key: key, ETag: fmt.Sprintf(`"fake-%d"`, len(req.Part))})
}

// deleteObjects answers DeleteObjects.
func (s *Server) deleteObjects(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		Quiet  bool
		Object []struct{ Key string }
	}
	if err := xml.Unmarshal(body, &req); err != nil {
		writeError(w, r, http.StatusBadRequest, "MalformedXML")
		return
	}
	if len(req.Object) > multipart.MaxDeleteKeys {
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
		if code, ok := s.deleteErrors[o.Key]; ok {
			res.Error = append(res.Error, failed{Key: o.Key, Code: code, Message: code + " (fake)"})
			continue
		}
		delete(s.objects, o.Key)
		if !req.Quiet {
			res.Deleted = append(res.Deleted, deleted{Key: o.Key})
		}
	}
	writeXML(w, http.StatusOK, res)
}
