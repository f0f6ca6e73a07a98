package awsstore

import (
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// listedKey returns a key (or key marker) of a listing as it is stored.
// Listings ask for URL-encoded keys (encoding-type=url): XML 1.0 cannot
// carry most control characters, which S3 allows in keys, and MinIO lists
// them as U+FFFD or as XML that does not parse. A store that ignores the
// request answers without the EncodingType element, and its keys are taken
// as they are.
func listedKey(s *string, encoded bool) (string, error) {
	key := aws.ToString(s)
	if !encoded {
		return key, nil
	}
	decoded, err := url.QueryUnescape(key)
	if err != nil {
		return "", fmt.Errorf("the store listed the URL-encoded key %q, which does not decode: %w", key, err)
	}
	return decoded, nil
}
