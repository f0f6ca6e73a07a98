package main

import (
	"io"

	"github.com/spf13/cobra"
)

// newJobsCommand is a placeholder until the jobs commands land; jobs.go
// replaces this file.
func newJobsCommand(_ *globalOptions, _, _ io.Writer) *cobra.Command {
	return newGroupCommand("jobs", "Inspect, finish and abort the jobs in a staging dir", "Inspect, finish and abort the jobs in a staging dir (not built yet).")
}
