// Command datajob is the example data job of s3commit: it writes events as
// day-partitioned Parquet files (or gzip-compressed JSON lines, --format
// jsonl) to an S3-compatible store through the staging committer, with tasks in separate processes that may
// fail or be killed, and checks that the committed output holds every
// event exactly once. Run "datajob help" for its subcommands and flags;
// see package examples/internal/datajob for what each does.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/s3commit/s3commit/examples/internal/datajob"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := datajob.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
