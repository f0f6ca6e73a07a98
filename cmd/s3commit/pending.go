package main

import (
	"io"

	"github.com/spf13/cobra"
)

// newPendingCommand returns "s3commit pending" with show.
func newPendingCommand(g *globalOptions, stdout, stderr io.Writer) *cobra.Command {
	cmd := newGroupCommand("pending", "Print pendingsets (s3commit's or Hadoop's)",
		`Print pendingset files: the uncompleted uploads a committed task recorded.`)
	return cmd
}
