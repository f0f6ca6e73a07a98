package awsstore

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"github.com/s3commit/s3commit/multipart"
	"github.com/s3commit/s3commit/multipart/storekit"
)

// Defaults applied to zero-valued [Options] fields.
const (
	// DefaultMaxConnections is the default of [Options.MaxConnections]: 64
	// connections.
	DefaultMaxConnections = storekit.DefaultMaxConnections
	// DefaultListPageSize is the default of [Options.ListPageSize], and the
	// largest page S3 returns.
	DefaultListPageSize = multipart.MaxListPageSize
	// DefaultRetryMaxAttempts is the default of [Options.RetryMaxAttempts]:
	// one attempt per request, no retries by the SDK.
	DefaultRetryMaxAttempts = storekit.DefaultRetryMaxAttempts
	// DefaultRegion is the region used when an endpoint is set but no region
	// is configured anywhere; S3-compatible stores usually accept any
	// region and most default to this one.
	DefaultRegion = "us-east-1"
)

// Checksums selects when the SDK adds request checksums and validates
// response checksums.
type Checksums int

const (
	// ChecksumWhenRequired (the default) adds request checksums only to
	// operations that require one (DeleteObjects) and validates response
	// checksums only where required. It sets both the client's
	// RequestChecksumCalculation and ResponseChecksumValidation to
	// WhenRequired. This is what works on MinIO, versitygw and FlashBlade.
	ChecksumWhenRequired Checksums = iota
	// ChecksumWhenSupported keeps the SDK's own default (or what the
	// environment and shared config say): a CRC checksum on every upload
	// and validation of every response checksum. AWS S3 supports it; some
	// S3-compatible stores reject the checksums.
	ChecksumWhenSupported
)

// String returns the constant's name.
func (c Checksums) String() string {
	switch c {
	case ChecksumWhenRequired:
		return "ChecksumWhenRequired"
	case ChecksumWhenSupported:
		return "ChecksumWhenSupported"
	}
	return fmt.Sprintf("Checksums(%d)", int(c))
}

// PayloadSigning selects whether request bodies of UploadPart and PutObject
// are included in the SigV4 signature.
type PayloadSigning int

const (
	// SignPayload (the default) signs the SHA-256 of the body, as the SDK
	// does by default. The SDK reads each body twice: once to hash it, once
	// to send it.
	SignPayload PayloadSigning = iota
	// UnsignedPayload sends X-Amz-Content-Sha256: UNSIGNED-PAYLOAD for
	// UploadPart and PutObject, saving the SHA-256 pass over every byte.
	// The body is then protected only by TCP (and TLS where used) and the
	// Content-Length check. Use it on a trusted network, where hashing
	// costs a CPU core per few hundred MB/s of upload.
	//
	// It takes effect with [ChecksumWhenRequired]. With
	// [ChecksumWhenSupported] over plain HTTP the SDK computes the CRC
	// checksum and the SHA-256 in one pass and signs the SHA-256 anyway;
	// over HTTPS it then sends a trailing checksum and no SHA-256.
	UnsignedPayload
)

// String returns the constant's name.
func (p PayloadSigning) String() string {
	switch p {
	case SignPayload:
		return "SignPayload"
	case UnsignedPayload:
		return "UnsignedPayload"
	}
	return fmt.Sprintf("PayloadSigning(%d)", int(p))
}

// Options configure a [Store]. The zero value of every field is a working
// default; only Bucket is required.
//
// [New] uses all fields. [NewFromClient] uses only PayloadSigning,
// ListPageSize and Logger: the client's own configuration decides the rest.
type Options struct {
	// Bucket is the bucket the store operates on. Required; a name that
	// breaks S3's naming rules is refused (see
	// [multipart.ValidateBucketName]).
	Bucket string

	// EndpointURL is the S3 endpoint with its scheme, for example
	// "http://127.0.0.1:9000". Empty uses the standard AWS endpoint
	// resolution, which honours AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_S3.
	// [New] refuses an endpoint with credentials (user:password@), from
	// here or the environment: give the keys with Credentials or the
	// standard AWS variables.
	EndpointURL string

	// Region is the signing region. Empty takes it from the environment
	// (AWS_REGION) or the shared config profile; if none is configured and
	// an endpoint is set (EndpointURL or AWS_ENDPOINT_URL), [DefaultRegion]
	// is used.
	Region string

	// UsePathStyle addresses buckets as http://host/bucket/key instead of
	// http://bucket.host/key. MinIO, versitygw and FlashBlade need it
	// unless they are set up for virtual-host addressing.
	UsePathStyle bool

	// Credentials provides the access keys. Nil uses the standard AWS
	// credential chain: environment (AWS_ACCESS_KEY_ID,
	// AWS_SECRET_ACCESS_KEY), shared credentials and config files
	// (AWS_PROFILE or Profile), web identity, container and EC2 roles.
	// For explicit keys use
	// credentials.NewStaticCredentialsProvider(accessKey, secretKey, "")
	// from github.com/aws/aws-sdk-go-v2/credentials.
	Credentials aws.CredentialsProvider

	// Profile selects a shared config profile; empty uses AWS_PROFILE or
	// "default".
	Profile string

	// Checksums selects request and response checksum behaviour; the zero
	// value is [ChecksumWhenRequired].
	Checksums Checksums

	// PayloadSigning selects whether part and object bodies are signed; the
	// zero value is [SignPayload].
	PayloadSigning PayloadSigning

	// MaxConnections sizes the HTTP connection pool: the transport's
	// MaxIdleConns and MaxIdleConnsPerHost are set to it, so that idle
	// connections are reused rather than closed and re-opened when many
	// requests run at once. Set it at least as high as the number of
	// concurrent uploads, part uploads and completions you run. Zero means
	// [DefaultMaxConnections]. Ignored when HTTPClient is set.
	MaxConnections int

	// HTTPClient replaces the SDK's HTTP client. Nil builds one from the
	// SDK's defaults with the MaxConnections pool. When AWS_CA_BUNDLE is
	// set, the SDK requires an *awshttp.BuildableClient
	// (github.com/aws/aws-sdk-go-v2/aws/transport/http) here. Either way
	// the Store reads the bodies of the answers only up to a bound (1 MiB
	// for error answers, 16 MiB for others but an object's content; see
	// [multipart.ErrResponseTooLarge]).
	HTTPClient aws.HTTPClient

	// RetryMaxAttempts is the number of attempts the SDK's retryer makes per
	// request. s3commit retries in one layer, [multipart.RetryingStore]
	// (the Uploader puts one around its store); the SDK's retryer makes one
	// attempt unless you set this. Zero means [DefaultRetryMaxAttempts]
	// (1), whatever AWS_MAX_ATTEMPTS or the profile's max_attempts say. Set
	// it above 1 only where the Store is used without a RetryingStore:
	// inside one, the attempts multiply.
	RetryMaxAttempts int

	// ListPageSize is the number of entries requested per list page
	// (ListObjectsV2, ListMultipartUploads, ListParts), 1 to 1000. Zero
	// means [DefaultListPageSize]. Tests set it small to exercise paging.
	ListPageSize int32

	// Logger receives a debug record per request (operation, key, duration,
	// error). Nil disables logging.
	Logger *slog.Logger
}

// validate checks the fields New uses.
func (o Options) validate() error {
	var errs []error
	if o.Bucket == "" {
		errs = append(errs, errors.New("Options.Bucket is required"))
	} else if err := multipart.ValidateBucketName(o.Bucket); err != nil {
		errs = append(errs, fmt.Errorf("Options.Bucket: %w", err))
	}
	if o.EndpointURL != "" {
		if err := validateEndpointURL(o.EndpointURL); err != nil {
			errs = append(errs, err)
		}
	}
	if err := o.validateShared(); err != nil {
		errs = append(errs, err)
	}
	if o.Checksums != ChecksumWhenRequired && o.Checksums != ChecksumWhenSupported {
		errs = append(errs, fmt.Errorf("Options.Checksums: unknown value %v", o.Checksums))
	}
	errs = append(errs,
		storekit.CheckNotNegative("MaxConnections", o.MaxConnections),
		storekit.CheckNotNegative("RetryMaxAttempts", o.RetryMaxAttempts))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("awsstore: %w", err)
	}
	return nil
}

// validateShared checks the fields NewFromClient uses as well.
func (o Options) validateShared() error {
	var errs []error
	if o.PayloadSigning != SignPayload && o.PayloadSigning != UnsignedPayload {
		errs = append(errs, fmt.Errorf("Options.PayloadSigning: unknown value %v", o.PayloadSigning))
	}
	errs = append(errs, storekit.CheckListPageSize(o.ListPageSize))
	return errors.Join(errs...)
}

// validateEndpointURL requires an absolute http or https URL without
// credentials, query or fragment. Errors quote the URL redacted
// ([storekit.RedactURL]): it may hold a password.
func validateEndpointURL(endpoint string) error {
	quoted := fmt.Sprintf("%q", storekit.RedactURL(endpoint))
	if lower := strings.ToLower(endpoint); !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
		return fmt.Errorf("Options.EndpointURL %s: must start with http:// or https://", quoted)
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err // without the URL
		}
		return fmt.Errorf("Options.EndpointURL %s: %w", quoted, err)
	}
	if u.User != nil {
		return credentialsInEndpoint("Options.EndpointURL", endpoint)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("Options.EndpointURL %s: must start with http:// or https://", quoted)
	}
	if u.Host == "" {
		return fmt.Errorf("Options.EndpointURL %s: no host", quoted)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("Options.EndpointURL %s: must not have a query or fragment", quoted)
	}
	return nil
}

// credentialsInEndpoint is the error of an endpoint URL, given as what,
// that holds user information (user:password@). The SDK would drop it
// silently and sign with other credentials; and a URL is printed and
// logged, which is no place for a password.
func credentialsInEndpoint(what, endpoint string) error {
	return fmt.Errorf("%s %q must not contain credentials (user:password@): "+
		"set the keys with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile (AWS_PROFILE) or Options.Credentials",
		what, storekit.RedactURL(endpoint))
}

// maxConnections returns MaxConnections or its default.
func (o Options) maxConnections() int {
	return storekit.OrDefault(o.MaxConnections, DefaultMaxConnections)
}

// retryMaxAttempts returns RetryMaxAttempts or its default.
func (o Options) retryMaxAttempts() int {
	return storekit.OrDefault(o.RetryMaxAttempts, DefaultRetryMaxAttempts)
}

// listPageSize returns ListPageSize or its default.
func (o Options) listPageSize() int32 {
	return storekit.OrDefault(o.ListPageSize, DefaultListPageSize)
}

// newHTTPClient returns the SDK's default HTTP client with an idle pool of
// maxConns connections per host.
func newHTTPClient(maxConns int) *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConns = maxConns
		tr.MaxIdleConnsPerHost = maxConns
	})
}
