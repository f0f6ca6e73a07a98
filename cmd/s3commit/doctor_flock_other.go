//go:build !unix

package main

import "fmt"

// flockTwice is not implemented where flock(2) does not exist.
func flockTwice(string) (first, second, err error) {
	return nil, nil, fmt.Errorf("%w", errFlockUnsupported)
}
