package grpcserver

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"os"
	"time"
)

// configWatch polls a configuration file's content, like Medusa's container
// entrypoint polls the md5 of /etc/medusa/medusa.ini every 5 s.
type configWatch struct {
	path   string
	busy   func() bool // nil: never busy
	every  time.Duration
	logger *slog.Logger
}

// hash is the SHA-256 of the file's content; "" when it cannot be read.
func (w configWatch) hash() string {
	b, err := os.ReadFile(w.path)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return string(sum[:])
}

// wait returns true once the file's content differs from base, has read
// the same on two polls in a row (a file being written in place is not
// taken half-way) and busy reports false; false when ctx ends first. A file
// that cannot be read is no change: a ConfigMap volume is swapped
// atomically, so that is a transient state or a deleted mount, and
// restarting would not help.
// Waiting because of busy is logged once per change.
func (w configWatch) wait(ctx context.Context, base string) bool {
	every := w.every
	if every <= 0 {
		every = DefaultConfigPoll
	}
	t := time.NewTicker(every)
	defer t.Stop()
	unreadable, pending, deferred := false, "", ""
	for {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
		h := w.hash()
		if h == "" {
			if !unreadable {
				w.logger.Warn("cannot read the configuration file to watch it for changes", "config_file", w.path)
			}
			unreadable = true
			continue
		}
		unreadable = false
		if h == base {
			pending = ""
			continue
		}
		if h != pending { // new content must read the same twice: not a half-written file
			pending = h
			continue
		}
		if w.busy != nil && w.busy() {
			if deferred != h {
				w.logger.Info("medusa.ini changed; restart postponed until the running operation ends",
					"config_file", w.path)
				deferred = h
			}
			continue
		}
		return true
	}
}
