package staging

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/s3commit/s3commit/multipart"
)

// intent is one line of an attempt's intents file: a key the attempt is
// about to upload (UploadID empty), an upload it created, or a creation
// whose outcome is unknown (Uncertain: the request failed, possibly after
// the store carried it out, leaving an upload nobody knows the ID of).
type intent struct {
	Key       string `json:"key"`
	UploadID  string `json:"uploadId,omitempty"`
	Uncertain bool   `json:"uncertain,omitempty"`
}

// intentLog appends an attempt's intents, fsyncing each.
type intentLog struct {
	f *appendFile
}

func openIntentLog(path string) (*intentLog, error) {
	f, err := openAppend(path)
	if err != nil {
		return nil, fmt.Errorf("open intent record: %w", err)
	}
	return &intentLog{f: f}, nil
}

func (l *intentLog) record(in ...intent) error {
	var buf []byte
	for _, i := range in {
		line, err := json.Marshal(i)
		if err != nil {
			return err
		}
		buf = append(append(buf, line...), '\n')
	}
	return l.f.append(buf)
}

func (l *intentLog) Close() error { return l.f.Close() }

// readIntents reads one intents file.
func readIntents(path string) ([]intent, error) {
	var out []intent
	err := readLines(path, func(line []byte) error {
		var i intent
		if err := json.Unmarshal(line, &i); err != nil {
			return err
		}
		if i.Key == "" {
			return errors.New("intent without a key")
		}
		out = append(out, i)
		return nil
	})
	return out, err
}

// readAllIntents reads every intents file of a job's attempts directory.
func readAllIntents(dir string) ([]intent, error) {
	by, err := readIntentsByAttempt(dir)
	var out []intent
	for _, in := range by {
		out = append(out, in...)
	}
	return out, err
}

// readIntentsByAttempt reads every intents file of a job's attempts
// directory, by attempt name ("<taskID>_<attempt>").
func readIntentsByAttempt(dir string) (map[string][]intent, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if isNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	out := make(map[string][]intent)
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), intentsSuffix) || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		in, err := readIntents(filepath.Join(dir, e.Name()))
		if err != nil && !isNotExist(err) {
			return nil, err
		}
		name := strings.TrimSuffix(e.Name(), intentsSuffix)
		out[name] = append(out[name], in...)
	}
	return out, nil
}

// recordingStore wraps the Store given to an attempt's Uploader: every
// upload it creates is recorded in the intent log before the uploader
// sees its ID, so a crash never loses track of an upload whose creation
// was answered.
type recordingStore struct {
	multipart.Store
	log *intentLog
}

func (s *recordingStore) CreateUpload(ctx context.Context, key string, opts multipart.CreateOptions) (string, error) {
	id, err := s.Store.CreateUpload(ctx, key, opts)
	if err != nil {
		// The store may have created the upload and lost the answer:
		// mark the key so that the job sweeps it for orphans.
		if rerr := s.log.record(intent{Key: key, Uncertain: true}); rerr != nil {
			return "", errors.Join(err, fmt.Errorf("record the uncertain creation of an upload of %s: %w", key, rerr))
		}
		return id, err
	}
	if err := s.log.record(intent{Key: key, UploadID: id}); err != nil {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if aerr := s.Store.AbortUpload(actx, key, id); aerr != nil && !errors.Is(aerr, multipart.ErrNoSuchUpload) {
			err = errors.Join(err, fmt.Errorf("the unrecorded upload %s of %s could not be aborted: %w", id, key, aerr))
		}
		return "", fmt.Errorf("record the upload of %s in the staging dir: %w", key, err)
	}
	return id, nil
}
