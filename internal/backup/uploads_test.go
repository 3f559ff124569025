package backup

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/storage"
)

// cleanerStore is the test store with incomplete uploads and the
// UploadCleaner capability, behind a decorator-like wrapper.
type cleanerStore struct {
	*store
	uploads  []storage.IncompleteUpload
	aborted  []string
	listErr  error
	abortErr error
}

func (c *cleanerStore) IncompleteUploads(_ context.Context, prefix string) ([]storage.IncompleteUpload, error) {
	var out []storage.IncompleteUpload
	for _, u := range c.uploads {
		if strings.HasPrefix(u.Key, prefix) {
			out = append(out, u)
		}
	}
	return out, c.listErr
}

func (c *cleanerStore) AbortUpload(_ context.Context, u storage.IncompleteUpload) error {
	if c.abortErr != nil {
		return c.abortErr
	}
	c.aborted = append(c.aborted, u.UploadID)
	return nil
}

func (c *cleanerStore) AbortCommand(u storage.IncompleteUpload) string { return "abort " + u.UploadID }

// wrapped hides the capability one decorator deep, as retry/limit do.
type wrapped struct{ storage.Backend }

func (w wrapped) Unwrap() storage.Backend { return w.Backend }

// TestIncompleteUploadsClassification: which incomplete uploads of the
// node a backup aborts (older than UploadMaxAge, or started since a killed
// backup's marker), which it keeps and reports, and that a store refusing
// the listing or the abort only gives a warning.
func TestIncompleteUploadsClassification(t *testing.T) {
	now := newFakeClock().Now()
	up := func(id, node string, age time.Duration) storage.IncompleteUpload {
		return storage.IncompleteUpload{Key: node + "/data/ks1/t/" + id, UploadID: id, Initiated: now.Add(-age)}
	}
	uploads := []storage.IncompleteUpload{
		up("old", fqdn, 30*time.Hour), up("hour", fqdn, time.Hour), up("fresh", fqdn, time.Minute),
		up("other-node", "node2.example.com", 30*time.Hour),
		// A running `commitlog sync`: no killed backup's marker ends it.
		{Key: fqdn + "/commitlogs/1765000000000-CommitLog-7-1.log.zst", UploadID: "sync", Initiated: now.Add(-time.Minute)},
	}
	denied := fmt.Errorf("s3: %w", storage.ErrAccessDenied)
	tests := []struct {
		name        string
		maxAge      time.Duration
		markerAge   time.Duration // 0: no stale marker
		listErr     error
		abortErr    error
		wantAborted []string
		wantLog     []string
	}{
		{"by age", 0, 0, nil, nil, []string{"old"}, []string{"Aborted 1 ", "3 incomplete multipart uploads of this node were kept", "abort fresh"}},
		{"stale marker of a killed backup", 0, 2 * time.Hour, nil, nil, []string{"old", "hour", "fresh"}, []string{"Aborted 3 ", "abort sync"}},
		{"marker younger than the upload's start", 0, 30 * time.Minute, nil, nil, []string{"old", "fresh"}, []string{"abort hour"}},
		{"never by age", -1, 0, nil, nil, nil, []string{"4 incomplete multipart uploads", "abort_incomplete_uploads_after_hours = 0"}},
		{"listing denied", 0, 0, denied, nil, nil, []string{"Could not list", "s3:ListBucketMultipartUploads"}},
		{"abort denied", 0, 0, nil, denied, nil, []string{"Could not abort", "s3:AbortMultipartUpload", "abort old"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, "")
			c := &cleanerStore{store: e.st, uploads: uploads, listErr: tt.listErr, abortErr: tt.abortErr}
			if tt.markerAge > 0 {
				marker := filepath.Join(e.lockDir, MarkerName)
				// The owner record of a killed run of ours (an empty marker,
				// Python Medusa's, is never taken as one).
				dead := ownerRecord{PID: 1 << 30, Start: "1"}
				if err := os.WriteFile(marker, dead.marshal(), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Chtimes(marker, now.Add(-tt.markerAge), now.Add(-tt.markerAge)); err != nil {
					t.Fatal(err)
				}
			}
			var logs bytes.Buffer
			d := e.deps()
			d.Storage = wrapped{c}
			d.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			o := e.opts("b1", Full)
			o.UploadMaxAge = tt.maxAge
			if _, err := Run(t.Context(), d, o); err != nil {
				t.Fatalf("backup failed: %v", err)
			}
			slices.Sort(c.aborted)
			want := slices.Clone(tt.wantAborted)
			slices.Sort(want)
			if !slices.Equal(c.aborted, want) {
				t.Fatalf("aborted %v, want %v\n%s", c.aborted, want, logs.String())
			}
			for _, w := range tt.wantLog {
				if !strings.Contains(logs.String(), w) {
					t.Errorf("log lacks %q:\n%s", w, logs.String())
				}
			}
		})
	}
}
