package main

import (
	"io"

	"github.com/spf13/cobra"
)

// newSuccessCommand returns "s3commit success" with show.
func newSuccessCommand(g *globalOptions, stdout, stderr io.Writer) *cobra.Command {
	cmd := newGroupCommand("success", "Print _SUCCESS manifests",
		`Print _SUCCESS manifests from the store or a local file.`)
	return cmd
}
