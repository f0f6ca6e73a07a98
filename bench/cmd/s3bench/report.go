package main

import (
	"fmt"
	"log"

	"github.com/s3commit/s3commit/bench/report"
)

// writeReport writes the Markdown report and charts next to the results
// file.
func writeReport(resultsPath string) error {
	written, err := report.WriteFromResults(resultsPath)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	for _, p := range written {
		log.Printf("report: %s", p)
	}
	return nil
}
