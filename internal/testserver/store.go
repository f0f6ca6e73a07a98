package testserver

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/awsstore"
)

// Store returns an awsstore on bucket of the server, with path-style
// addressing and the server's root credentials: the store tests use to set
// up and check what the code under test did, and to give to it.
//
// Like every awsstore it makes one attempt per request, so that code
// under test that retries (the staging committer, a multipart.Uploader)
// retries in one layer. Wrap it in multipart.NewRetryingStore where a
// test's own calls should be retried.
func (s *Server) Store(t testing.TB, bucket string) multipart.Store {
	t.Helper()
	st, err := awsstore.New(context.Background(), awsstore.Options{
		Bucket:       bucket,
		EndpointURL:  s.Endpoint,
		Region:       s.Region,
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKeyID, s.SecretAccessKey, ""),
	})
	if err != nil {
		t.Fatalf("testserver: awsstore on %s bucket %s: %v", s.Name, bucket, err)
	}
	return st
}
