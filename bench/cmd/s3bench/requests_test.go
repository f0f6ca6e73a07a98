package main

import (
	"compress/gzip"
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInputKey(t *testing.T) {
	tests := []struct {
		name   string
		params any
		want   string
	}{
		{"put", &s3.PutObjectInput{Key: aws.String("a/b")}, "a/b"},
		{"complete", &s3.CompleteMultipartUploadInput{Key: aws.String("out/x")}, "out/x"},
		{"list", &s3.ListObjectsV2Input{Prefix: aws.String("dir/")}, "dir/"},
		{"list uploads", &s3.ListMultipartUploadsInput{Prefix: aws.String("k")}, "k"},
		{"delete objects", &s3.DeleteObjectsInput{Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("d/1")}, {Key: aws.String("e")}}}}, "d/1"},
		{"delete nothing", &s3.DeleteObjectsInput{}, ""},
		{"bucket", &s3.HeadBucketInput{Bucket: aws.String("b")}, ""},
		{"no key set", &s3.GetObjectInput{}, ""},
		{"nil", (*s3.GetObjectInput)(nil), ""},
		{"not a pointer", 3, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, inputKey(tt.params))
		})
	}
}

func TestRequestCounts(t *testing.T) {
	n := requestCounts{
		{op: "PutObject"}:                  1,
		{op: "PutObject", watched: true}:   3,
		{op: "GetObject", watched: true}:   2,
		{op: "CompleteMultipartUpload"}:    5,
		{op: "HeadBucket", watched: false}: 1,
	}
	assert.Equal(t, map[string]int64{"PutObject": 4, "GetObject": 2, "CompleteMultipartUpload": 5, "HeadBucket": 1}, n.byOperation())
	assert.Equal(t, map[string]int64{"PutObject": 3, "GetObject": 2}, n.watched())
	assert.Nil(t, requestCounts{{op: "PutObject"}: 1}.watched())
}

func TestWriteTrace(t *testing.T) {
	t0 := time.Now()
	path := filepath.Join(t.TempDir(), "requests", "001-small-files-staging-store.csv.gz")
	err := writeTrace(path, "out/dest", "out/dest-staging-dir", []tracePhase{
		{name: "task_commit", start: t0, reqs: []tracedRequest{
			{op: "UploadPart", key: "out/dest/part-1.bin", status: 200, start: t0.Add(5 * time.Millisecond), duration: 2 * time.Millisecond},
			{op: "GetObject", key: "out/dest-staging-dir/job/job.json", watched: true, status: 200, start: t0.Add(time.Millisecond), duration: time.Millisecond},
		}},
		{name: "job_commit", start: t0.Add(time.Second), reqs: []tracedRequest{
			{op: "HeadBucket", start: t0.Add(time.Second + 1500*time.Microsecond), duration: 500 * time.Microsecond},
		}},
	})
	require.NoError(t, err)
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	rows, err := csv.NewReader(zr).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, [][]string{
		{"phase", "start_ms", "duration_ms", "operation", "status", "staging_dir", "key"},
		{"task_commit", "1.000", "1.000", "GetObject", "200", "true", "job/job.json"},
		{"task_commit", "5.000", "2.000", "UploadPart", "200", "false", "part-1.bin"},
		{"job_commit", "1.500", "0.500", "HeadBucket", "0", "false", ""},
	}, rows)
}
