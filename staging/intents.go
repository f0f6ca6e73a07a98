package staging

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/s3commit/s3commit/multipart"
)

// intent is one line of an attempt's intents file: a key the attempt is
// about to upload (UploadID empty), an upload it created, or a creation
// whose outcome is unknown (Uncertain: the request failed, possibly after
// the store carried it out, leaving an upload nobody knows the ID of).
//
// Every run of an attempt records the keys it plans before its first
// CreateMultipartUpload, and each creation right after its answer, so a
// key planned more often than an upload was recorded there is a key where
// an upload nobody knows the ID of may exist: the process died between a
// creation and its record, or the record was torn.
type intent struct {
	Key       string `json:"key"`
	UploadID  string `json:"uploadId,omitempty"`
	Uncertain bool   `json:"uncertain,omitempty"`
}

// intentLog appends an attempt's intents, fsyncing each.
type intentLog struct {
	f *appendFile
}

func openIntentLog(fsys fsys, path string) (*intentLog, error) {
	f, err := openAppend(fsys, path)
	if err != nil {
		return nil, fmt.Errorf("open intent record: %w", err)
	}
	return &intentLog{f: f}, nil
}

func (l *intentLog) record(_ context.Context, in ...intent) error {
	buf, err := encodeIntents(in)
	if err != nil {
		return err
	}
	return l.f.append(buf)
}

// flush has nothing to do: record writes and fsyncs each line.
func (l *intentLog) flush(context.Context) error { return nil }

// encodeIntents encodes intents as lines of JSON.
func encodeIntents(in []intent) ([]byte, error) {
	var buf []byte
	for _, i := range in {
		line, err := json.Marshal(i)
		if err != nil {
			return nil, err
		}
		buf = append(append(buf, line...), '\n')
	}
	return buf, nil
}

func (l *intentLog) Close() error { return l.f.Close() }

// readIntents reads one intents file as written. Damaged lines are left
// out and reported in problems; err is an error reading the file
// (fs.ErrNotExist for a missing one).
func readIntents(fsys fsys, path string) (in []intent, problems []error, err error) {
	lines, problems, err := readLines(fsys, path, maxIntentsBytes)
	if err != nil {
		return nil, nil, err
	}
	in, bad := decodeIntents(lines, fsys.Path(path))
	return in, append(problems, bad...), nil
}

// decodeIntents decodes the lines of an intent record read from where; a
// line that is not an intent is reported and left out.
func decodeIntents(lines []line, where string) (in []intent, problems []error) {
	for _, l := range lines {
		var i intent
		if err := json.Unmarshal(l.data, &i); err != nil {
			problems = append(problems, fmt.Errorf("%s line %d: %w: the record is left out", where, l.n, err))
			continue
		}
		in = append(in, i)
	}
	return in, problems
}

func readIntentsByAttempt(fsys fsys, dir string) (map[string][]intent, []error) {
	entries, err := fsys.ReadDir(dir)
	if err != nil {
		if isNotExist(err) {
			return nil, nil
		}
		return nil, []error{fmt.Errorf("list the attempts' intents in %s: %w", fsys.Path(dir), err)}
	}
	out := make(map[string][]intent)
	var problems []error
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), intentsSuffix) || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := path.Join(dir, e.Name())
		in, bad, err := readIntents(fsys, path)
		problems = append(problems, bad...)
		if err != nil {
			if !isNotExist(err) {
				problems = append(problems, fmt.Errorf("read intents %s: %w", fsys.Path(path), err))
			}
			continue
		}
		name := strings.TrimSuffix(e.Name(), intentsSuffix)
		out[name] = append(out[name], in...)
	}
	return out, problems
}

// recordingStore wraps the store of an attempt's Uploader, inside its
// retry layer: every upload it creates is recorded in the intent log
// before the uploader sees its ID, so a crash never loses track of an
// upload whose creation was answered, and every creation attempt that
// failed is recorded as uncertain (the store may have carried it out).
type recordingStore struct {
	multipart.Store
	log intentWriter
}

func (s *recordingStore) CreateUpload(ctx context.Context, key string, opts multipart.CreateOptions) (string, error) {
	id, err := s.Store.CreateUpload(ctx, key, opts)
	if err != nil {
		// The store may have created the upload and lost the answer:
		// mark the key so that the job sweeps it for orphans.
		if rerr := s.log.record(ctx, intent{Key: key, Uncertain: true}); rerr != nil {
			return "", errors.Join(err, fmt.Errorf("record the uncertain creation of an upload of %s: %w", key, rerr))
		}
		return id, err
	}
	if err := s.log.record(ctx, intent{Key: key, UploadID: id}); err != nil {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if aerr := s.Store.AbortUpload(actx, key, id); aerr != nil && !errors.Is(aerr, multipart.ErrNoSuchUpload) {
			err = errors.Join(err, fmt.Errorf("the unrecorded upload %s of %s could not be aborted: %w", id, key, aerr))
		}
		return "", fmt.Errorf("record the upload of %s in the staging dir: %w", key, err)
	}
	return id, nil
}
