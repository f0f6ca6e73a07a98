// Command s3commit is the operator's tool for s3commit jobs and the
// multipart uploads they leave pending on S3-compatible stores (AWS S3,
// MinIO, versitygw, …).
//
// It lists and aborts uncompleted uploads under a prefix (also on MinIO,
// whose ListMultipartUploads matches only exact keys), lists the jobs in a
// staging dir and shows one with a reconciliation against the store,
// finishes or rolls back a job whose driver died, and prints pendingsets and
// _SUCCESS manifests. Run "s3commit help" for the commands, their flags, the
// JSON shapes of --json and the exit codes.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
