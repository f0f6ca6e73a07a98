package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/s3commit/s3commit/multipart"
)

// doctorVerdict says what s3commit does about what a check of "s3commit
// doctor" found.
type doctorVerdict string

// The verdicts of a doctor row.
const (
	// verdictWorks: s3commit relies on it and it holds.
	verdictWorks doctorVerdict = "works"
	// verdictCost: s3commit works around it, at a cost the row names.
	verdictCost doctorVerdict = "works with a cost"
	// verdictRefuses: s3commit refuses to run this way; the row names the
	// option that changes that.
	verdictRefuses doctorVerdict = "refuses"
	// verdictUnsafe: s3commit runs, but a guarantee it gives does not
	// hold on this store or directory.
	verdictUnsafe doctorVerdict = "unsafe"
	// verdictUnknown: the check could not tell (the store refused the
	// question, or failed).
	verdictUnknown doctorVerdict = "unknown"
)

// doctorRow is one check of "s3commit doctor": what was probed, what the
// store (or directory) answered, and what s3commit does about it.
type doctorRow struct {
	// ID names the check for scripts, e.g. "put_if_none_match".
	ID string `json:"id"`
	// Check says what was probed.
	Check string `json:"check"`
	// Result is what the store answered, as the Store interface
	// classifies it.
	Result string `json:"result"`
	// Verdict is what s3commit does about it.
	Verdict doctorVerdict `json:"verdict"`
	// S3commit explains the verdict and names the option that changes
	// it, where one does.
	S3commit string `json:"s3commit"`
	// Required marks a check s3commit's guarantees rest on: when it
	// cannot tell (unknown), the store is not called safe.
	Required bool `json:"required"`
}

// blocks reports whether the row keeps the run from being called safe.
func (r doctorRow) blocks() bool {
	switch r.Verdict {
	case verdictRefuses, verdictUnsafe:
		return true
	case verdictUnknown:
		return r.Required
	}
	return false
}

// doctorReport is what "s3commit doctor" found: the --json document.
type doctorReport struct {
	// Target is the s3:// URL probed.
	Target string `json:"target"`
	// Endpoint is the endpoint URL the Date and Server headers came from;
	// empty when it was not asked.
	Endpoint string `json:"endpoint,omitempty"`
	// Server is the store's Server header, where it sent one.
	Server string `json:"server,omitempty"`
	// ProbePrefix is the prefix under which the probe wrote its keys.
	ProbePrefix string `json:"probe_prefix"`
	// Staging is the staging dir checked (--staging), if any.
	Staging string `json:"staging,omitempty"`
	// Safe is true when s3commit can run safely: no row refuses or is
	// unsafe, and every required check could tell.
	Safe bool `json:"safe"`
	// Interrupted is true when the probe was cut short (SIGINT, a
	// deadline): the rows are those it finished.
	Interrupted bool `json:"interrupted,omitempty"`
	// Rows are the checks, in the order they ran.
	Rows []doctorRow `json:"rows"`
	// Removed counts what the probe created and removed again.
	Removed doctorRemoved `json:"removed"`
	// Left lists what the clean-up could not remove (s3:// URLs of
	// objects, "s3://… upload ID" of uploads, paths); empty when nothing
	// was left behind.
	Left []string `json:"left"`
}

// doctorRemoved counts what the probe created and removed.
type doctorRemoved struct {
	Objects int `json:"objects"`
	Uploads int `json:"uploads"`
}

// finish sets Safe from the rows.
func (r *doctorReport) finish() {
	r.Safe = !r.Interrupted && len(r.Left) == 0
	for _, row := range r.Rows {
		if row.blocks() {
			r.Safe = false
		}
	}
	if r.Left == nil {
		r.Left = []string{}
	}
	if r.Rows == nil {
		r.Rows = []doctorRow{}
	}
}

// row returns the row with the given ID, or false.
func (r *doctorReport) row(id string) (doctorRow, bool) {
	for _, row := range r.Rows {
		if row.ID == id {
			return row, true
		}
	}
	return doctorRow{}, false
}

// kindNames names the kinds of package multipart as S3 error codes do.
var kindNames = map[error]string{
	multipart.ErrNotFound:           "NotFound",
	multipart.ErrNoSuchUpload:       "NoSuchUpload",
	multipart.ErrPreconditionFailed: "PreconditionFailed",
	multipart.ErrInvalidPart:        "InvalidPart",
	multipart.ErrThrottled:          "Throttled",
	multipart.ErrServer:             "ServerError",
	multipart.ErrNetwork:            "NetworkError",
	multipart.ErrAccessDenied:       "AccessDenied",
	multipart.ErrBucketNotFound:     "NoSuchBucket",
	multipart.ErrInvalidArgument:    "InvalidArgument",
	multipart.ErrChecksumMismatch:   "ChecksumMismatch",
}

// answer describes the outcome of a store call as the Store interface
// classifies it: "success", or the kind of the error ("NoSuchUpload"),
// with the HTTP status and the store's own error code where the error
// carries them and they add something ("412 PreconditionFailed",
// "PreconditionFailed (409 ConditionalRequestConflict)"). An error
// without a kind is quoted, cut short.
func answer(err error) string {
	if err == nil {
		return "success"
	}
	code, status := errorCodeStatus(err)
	kind := multipart.KindOf(err)
	name, ok := kindNames[kind]
	if !ok {
		msg := multipart.TruncateMessage(oneLine(err.Error()), 160)
		if code != "" {
			return fmt.Sprintf("error %s: %s", code, msg)
		}
		return "error: " + msg
	}
	switch {
	case code == "" && status == 0:
		return name
	case code == "" || code == name:
		if status == 0 {
			return name
		}
		return fmt.Sprintf("%d %s", status, name)
	case status == 0:
		return fmt.Sprintf("%s (%s)", name, code)
	}
	return fmt.Sprintf("%s (%d %s)", name, status, code)
}

// errorCodeStatus extracts the S3 error code and HTTP status of an error
// of the AWS SDK; either may be empty or zero.
func errorCodeStatus(err error) (code string, status int) {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code = apiErr.ErrorCode()
	}
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) && respErr.Response != nil && respErr.Response.Response != nil {
		status = respErr.Response.StatusCode
	}
	return code, status
}

// printDoctorReport prints the report as a table: each check with the
// verdict and what the store answered, and under it what s3commit does.
func printDoctorReport(w io.Writer, r *doctorReport) error {
	var b strings.Builder
	fmt.Fprintf(&b, "s3commit doctor %s", termText(r.Target))
	var about []string
	if r.Endpoint != "" {
		about = append(about, "endpoint "+termText(r.Endpoint))
	}
	if r.Server != "" {
		about = append(about, "server "+termText(r.Server))
	}
	if len(about) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(about, ", "))
	}
	fmt.Fprintf(&b, "\nprobe keys under %s\n", termText("s3://"+bucketOf(r.Target)+"/"+r.ProbePrefix))
	if r.Staging != "" {
		fmt.Fprintf(&b, "staging dir %s\n", termText(r.Staging))
	}
	b.WriteByte('\n')

	headers := [3]string{"CHECK", "VERDICT", "STORE ANSWERED"}
	widths := [2]int{utf8.RuneCountInString(headers[0]), utf8.RuneCountInString(headers[1])}
	cells := make([][3]string, len(r.Rows))
	for i, row := range r.Rows {
		cells[i] = [3]string{termText(row.Check), string(row.Verdict), termText(row.Result)}
		for j := range widths {
			widths[j] = max(widths[j], utf8.RuneCountInString(cells[i][j]))
		}
	}
	line := func(c [3]string) {
		fmt.Fprintf(&b, "%s  %s  %s\n", pad(c[0], widths[0]), pad(c[1], widths[1]), c[2])
	}
	line(headers)
	for i, row := range r.Rows {
		line(cells[i])
		fmt.Fprintf(&b, "    s3commit: %s\n", termText(row.S3commit))
	}
	b.WriteByte('\n')
	if r.Removed.Objects+r.Removed.Uploads > 0 || len(r.Left) == 0 {
		fmt.Fprintf(&b, "cleaned up: %s and %s the probe made were removed", count(r.Removed.Objects, "object"), count(r.Removed.Uploads, "upload"))
		if len(r.Left) == 0 {
			b.WriteString("; nothing is left behind")
		}
		b.WriteByte('\n')
	}
	for _, l := range r.Left {
		fmt.Fprintf(&b, "LEFT BEHIND: %s; remove it\n", termText(l))
	}
	switch {
	case r.Interrupted:
		b.WriteString("interrupted: the checks above are those that finished\n")
	case r.Safe:
		b.WriteString("s3commit can run safely here\n")
	default:
		b.WriteString("s3commit cannot run safely here: see the rows that refuse, are unsafe or could not tell\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// pad pads s with spaces to width runes.
func pad(s string, width int) string {
	if n := utf8.RuneCountInString(s); n < width {
		return s + strings.Repeat(" ", width-n)
	}
	return s
}

// bucketOf returns the bucket of an s3:// URL.
func bucketOf(target string) string {
	rest := strings.TrimPrefix(target, "s3://")
	bucket, _, _ := strings.Cut(rest, "/")
	return bucket
}
