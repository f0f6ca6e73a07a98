package awsstore

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// credentialsError marks a failure to obtain credentials (none configured,
// an unreadable profile, no instance role, an STS failure): classified as
// ErrAccessDenied, not as the network error it may contain, because
// retrying does not help and the fix is in the configuration.
type credentialsError struct{ err error }

func (e *credentialsError) Error() string { return "retrieve credentials: " + e.err.Error() }
func (e *credentialsError) Unwrap() error { return e.err }

// markedCredentials wraps the configured provider (usually an
// *aws.CredentialsCache) so that its failures are credentialsErrors. It
// adds no caching of its own.
type markedCredentials struct{ provider aws.CredentialsProvider }

func (m markedCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	creds, err := m.provider.Retrieve(ctx)
	if err != nil && ctx.Err() == nil {
		return creds, &credentialsError{err: err}
	}
	return creds, err
}

// IsCredentialsProvider lets the SDK see through the wrapper (for example
// to recognise aws.AnonymousCredentials).
func (m markedCredentials) IsCredentialsProvider(target aws.CredentialsProvider) bool {
	return aws.IsCredentialsProvider(m.provider, target)
}

// ProviderSources reports where the wrapped provider came from.
func (m markedCredentials) ProviderSources() []aws.CredentialSource {
	if src, ok := m.provider.(aws.CredentialProviderSource); ok {
		return src.ProviderSources()
	}
	return nil
}
