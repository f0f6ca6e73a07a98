package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/s3commit/s3commit/multipart/awsstore"
	"github.com/s3commit/s3commit/staging"
)

// commitMain is `s3peers commit`, the process measured as s3commit: it
// commits the files of a directory to s3://bucket/dest through the staging
// committer at its defaults, one job of one task, as a job that wrote the
// files into its task attempt's buffer directory would. The files are
// hard-linked into the attempt's directory (the buffer directory must be
// on the same file system as the source), which costs one link per file
// and leaves the source as it is; the task commit removes the links (the
// job commit, for files it defers: --deferred-put-threshold).
// Credentials come from the standard AWS variables.
func commitMain(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("s3peers commit", flag.ContinueOnError)
	endpoint := fs.String("endpoint-url", "", "S3 endpoint (empty for AWS)")
	bucket := fs.String("bucket", "", "bucket")
	region := fs.String("region", "", "signing region")
	pathStyle := fs.Bool("path-style", true, "address buckets by path")
	dest := fs.String("dest", "", "destination prefix")
	work := fs.String("work", "", "directory for the staging and buffer directories, on the source's file system")
	deferred := fs.Int64("deferred-put-threshold", 0, "staging.Options.DeferredPutThreshold: files of at most this many bytes are written by the job commit (0: none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *bucket == "" || *dest == "" || *work == "" {
		return errors.New("usage: s3peers commit --bucket B --dest PREFIX --work DIR [--endpoint-url URL --region R --path-style] SOURCE-DIR")
	}
	src := fs.Arg(0)
	store, err := awsstore.New(ctx, awsstore.Options{
		Bucket:       *bucket,
		EndpointURL:  *endpoint,
		Region:       *region,
		UsePathStyle: *pathStyle,
	})
	if err != nil {
		return err
	}
	c, err := staging.New(store, staging.Options{
		StagingDir:  filepath.Join(*work, "staging"),
		BufferDir:   filepath.Join(*work, "buffer"),
		Destination: *dest,
		// One process: the driver sees the task's buffer dir.
		DeferredPutThreshold: *deferred,
	})
	if err != nil {
		return err
	}
	id := make([]byte, 4)
	_, _ = rand.Read(id)
	job, err := c.SetupJob(ctx, "s3peers-"+hex.EncodeToString(id))
	if err != nil {
		return err
	}
	task, err := job.SetupTask(ctx, "task-0000", 0)
	if err != nil {
		return err
	}
	if err := linkTree(src, task.Dir()); err != nil {
		return err
	}
	if err := task.CommitTask(ctx); err != nil {
		return err
	}
	return job.CommitJob(ctx)
}

// linkTree hard-links every regular file under src to the same path under
// dst, creating the directories.
func linkTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case !d.Type().IsRegular():
			return fmt.Errorf("%s is not a regular file", p)
		}
		if err := os.Link(p, to); err != nil {
			return fmt.Errorf("link the source into the task attempt (the work directory must be on the source's file system): %w", err)
		}
		return nil
	})
}
