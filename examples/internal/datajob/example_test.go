package datajob_test

import (
	"context"
	"fmt"
	"os"

	"github.com/s3commit/s3commit/examples/internal/datajob"
)

// CheckArgs validates a command line without running it, as the test of
// the Kubernetes manifests does; variable references that the kubelet
// expands are accepted.
func ExampleCheckArgs() {
	fmt.Println(datajob.CheckArgs([]string{"task",
		"--dest", "s3://$(BUCKET)/events", "--staging-dir", "/shared/staging",
		"--job-id", "$(JOB_ID)", "--tasks", "8"}))
	fmt.Println(datajob.CheckArgs([]string{"task",
		"--dest", "s3://lake/events", "--staging-dir", "/shared/staging"}))
	// Output:
	// <nil>
	// task needs --job-id ID: the ID the job was (or will be) set up with
}

func ExampleSubcommands() {
	for _, sub := range datajob.Subcommands() {
		fmt.Println(sub, len(datajob.Flags(sub)))
	}
	// Output:
	// run 23
	// setup 21
	// task 23
	// commit 21
	// abort 21
	// verify 21
}

// Main returns exit code 2, with one line saying what is wrong and what to
// do, for a command line it refuses.
func ExampleMain() {
	code := datajob.Main(context.Background(),
		[]string{"run", "--dest", "s3://lake", "--staging-dir", "/shared/staging"}, os.Stdout, os.Stdout)
	fmt.Println("exit code", code)
	// Output:
	// datajob: --dest "s3://lake" has no prefix; write s3://BUCKET/PREFIX (the job writes under a prefix, not the bucket's root)
	// exit code 2
}
