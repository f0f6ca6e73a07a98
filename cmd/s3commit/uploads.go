package main

import (
	"io"

	"github.com/spf13/cobra"
)

// newUploadsCommand returns "s3commit uploads" with list and abort.
func newUploadsCommand(g *globalOptions, stdout, stderr io.Writer) *cobra.Command {
	cmd := newGroupCommand("uploads", "List and abort uncompleted multipart uploads under a prefix",
		`List and abort uncompleted multipart uploads under an s3:// prefix.`)
	return cmd
}
