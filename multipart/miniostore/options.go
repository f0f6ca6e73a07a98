package miniostore

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

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
	// one attempt per request, no retries by minio-go.
	DefaultRetryMaxAttempts = storekit.DefaultRetryMaxAttempts
)

// Options configure a [Store]. The zero value of every field is a working
// default; Bucket and Endpoint are required.
//
// [New] uses all fields. [NewFromCore] uses only UnsignedPayload,
// ListPageSize and Logger: the client's own configuration decides the rest.
type Options struct {
	// Bucket is the bucket the store operates on. Required; a name that
	// breaks S3's naming rules is refused (see
	// [multipart.ValidateBucketName]).
	Bucket string

	// Endpoint is the store's address: "host:port", or a URL
	// "http://host:port" or "https://host:port" whose scheme decides
	// Secure. Required. It must not contain credentials (user:password@):
	// give the keys with AccessKeyID and SecretAccessKey or the
	// environment.
	Endpoint string

	// Secure selects HTTPS for an Endpoint given without a scheme. With a
	// scheme it must agree with it (or be false for https://).
	Secure bool

	// Region is the signing region. Empty lets minio-go ask the store for
	// the bucket's location once (GetBucketLocation) and cache it.
	Region string

	// AccessKeyID, SecretAccessKey and SessionToken are static credentials.
	// When AccessKeyID and SecretAccessKey are empty the credentials come
	// from the environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
	// AWS_SESSION_TOKEN, then MINIO_ROOT_USER / MINIO_ROOT_PASSWORD or
	// MINIO_ACCESS_KEY / MINIO_SECRET_KEY), then from the shared AWS
	// credentials file (AWS_SHARED_CREDENTIALS_FILE, profile AWS_PROFILE).
	AccessKeyID, SecretAccessKey, SessionToken string

	// PathStyle forces path-style addressing (http://host/bucket/key).
	// False lets minio-go choose: path style for IP addresses and most
	// non-AWS hosts, virtual-host style where it knows the host supports it.
	PathStyle bool

	// MaxConnections sizes the HTTP connection pool: the transport's
	// MaxIdleConns and MaxIdleConnsPerHost are set to it, so that idle
	// connections are reused rather than closed and re-opened when many
	// requests run at once. Set it at least as high as the number of
	// concurrent uploads, part uploads and completions you run. Zero means
	// [DefaultMaxConnections]. Ignored when Transport is set.
	MaxConnections int

	// Transport replaces minio-go's default HTTP transport. Either way the
	// Store reads the bodies of the answers only up to a bound (1 MiB for
	// error answers, 16 MiB for others but an object's content; see
	// [multipart.ErrResponseTooLarge]) and watches the pages of object
	// listings (see [Store.ListObjects]).
	Transport http.RoundTripper

	// RetryMaxAttempts is the number of attempts minio-go makes per
	// request. s3commit retries in one layer, [multipart.RetryingStore]
	// (the Uploader puts one around its store); minio-go makes one attempt
	// unless you set this. Zero means [DefaultRetryMaxAttempts] (1), not
	// minio-go's own default of 10. Set it above 1 only where the Store is
	// used without a RetryingStore: inside one, the attempts multiply.
	RetryMaxAttempts int

	// UnsignedPayload sends part and object bodies with
	// X-Amz-Content-Sha256: UNSIGNED-PAYLOAD instead of minio-go's
	// streaming SHA-256 signature, which it uses over plain HTTP. It saves
	// the SHA-256 pass over every byte; the body is then protected only by
	// TCP and the Content-Length check. Over HTTPS minio-go sends bodies
	// unsigned anyway.
	UnsignedPayload bool

	// ListPageSize is the number of entries requested per list page
	// (ListObjectsV2, ListMultipartUploads, ListParts), 1 to 1000. Zero
	// means [DefaultListPageSize]. Tests set it small to exercise paging.
	ListPageSize int

	// Logger receives a debug record per request (operation, key, duration,
	// error). Nil disables logging.
	Logger *slog.Logger
}

// validate checks the fields New uses and returns the endpoint's host and
// whether to use TLS.
func (o Options) validate() (host string, secure bool, err error) {
	var errs []error
	if o.Bucket == "" {
		errs = append(errs, errors.New("Options.Bucket is required"))
	} else if err := multipart.ValidateBucketName(o.Bucket); err != nil {
		errs = append(errs, fmt.Errorf("Options.Bucket: %w", err))
	}
	host, secure, err = parseEndpoint(o.Endpoint, o.Secure)
	if err != nil {
		errs = append(errs, err)
	}
	if (o.AccessKeyID == "") != (o.SecretAccessKey == "") {
		errs = append(errs, errors.New("Options.AccessKeyID and Options.SecretAccessKey must be set together"))
	}
	if o.SessionToken != "" && o.AccessKeyID == "" {
		errs = append(errs, errors.New("Options.SessionToken needs Options.AccessKeyID and Options.SecretAccessKey"))
	}
	if err := o.validateShared(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs,
		storekit.CheckNotNegative("MaxConnections", o.MaxConnections),
		storekit.CheckNotNegative("RetryMaxAttempts", o.RetryMaxAttempts))
	if err := errors.Join(errs...); err != nil {
		return "", false, fmt.Errorf("miniostore: %w", err)
	}
	return host, secure, nil
}

// validateShared checks the fields NewFromCore uses as well.
func (o Options) validateShared() error {
	return storekit.CheckListPageSize(o.ListPageSize)
}

// parseEndpoint accepts "host", "host:port" or an http(s) URL without path
// and returns the host[:port] minio-go expects and whether to use TLS.
// Errors quote the endpoint redacted ([storekit.RedactURL]): it may hold
// a password.
func parseEndpoint(endpoint string, secure bool) (string, bool, error) {
	if endpoint == "" {
		return "", false, errors.New("Options.Endpoint is required")
	}
	quoted := fmt.Sprintf("%q", storekit.RedactURL(endpoint))
	if strings.Contains(endpoint, "://") {
		u, err := url.Parse(endpoint)
		if err != nil {
			var urlErr *url.Error
			if errors.As(err, &urlErr) {
				err = urlErr.Err // without the URL
			}
			return "", false, fmt.Errorf("Options.Endpoint %s: %w", quoted, err)
		}
		switch u.Scheme {
		case "https":
			secure = true
		case "http":
			if secure {
				return "", false, fmt.Errorf("Options.Endpoint %s: http:// contradicts Options.Secure", quoted)
			}
		default:
			return "", false, fmt.Errorf("Options.Endpoint %s: scheme must be http or https", quoted)
		}
		if u.User != nil {
			return "", false, credentialsInEndpoint(endpoint)
		}
		if u.Host == "" {
			return "", false, fmt.Errorf("Options.Endpoint %s: no host", quoted)
		}
		if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return "", false, fmt.Errorf("Options.Endpoint %s: must be scheme://host[:port] without path or query", quoted)
		}
		return u.Host, secure, nil
	}
	if strings.Contains(endpoint, "@") {
		return "", false, credentialsInEndpoint(endpoint)
	}
	if strings.ContainsAny(endpoint, "/?# ") {
		return "", false, fmt.Errorf("Options.Endpoint %s: must be host[:port] or scheme://host[:port]", quoted)
	}
	return endpoint, secure, nil
}

// credentialsInEndpoint is the error of an endpoint that holds user
// information (user:password@): minio-go has no use for it, and an
// endpoint is printed and logged, which is no place for a password.
func credentialsInEndpoint(endpoint string) error {
	return fmt.Errorf("Options.Endpoint %q must not contain credentials (user:password@): "+
		"set Options.AccessKeyID and Options.SecretAccessKey, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
		storekit.RedactURL(endpoint))
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
func (o Options) listPageSize() int {
	return storekit.OrDefault(o.ListPageSize, DefaultListPageSize)
}
