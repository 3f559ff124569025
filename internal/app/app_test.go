package app

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/backup"
	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/remote"
	"github.com/medusa-go/medusa/internal/restore"
	"github.com/medusa-go/medusa/internal/storage"
)

// nodeINI is a local bucket and a node that never runs (cassandra.yaml and
// a data directory); missingYAML points config_file nowhere instead.
func nodeINI(t *testing.T, extra string, missingYAML bool) string {
	t.Helper()
	dir := t.TempDir()
	yaml := filepath.Join(dir, "cassandra.yaml")
	content := "data_file_directories:\n  - " + filepath.Join(dir, "data") + "\ncommitlog_directory: " +
		filepath.Join(dir, "commitlog") + "\nlisten_address: 127.0.0.1\nnative_transport_port: 1\nstorage_port: 2\n"
	if !missingYAML {
		if err := os.WriteFile(yaml, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return "[storage]\nstorage_provider = local\nbucket_name = b\nbase_path = " + dir + "\nfqdn = n1\n" +
		"prefix = p\nconcurrent_transfers = 3\n" + extra + "[cassandra]\nconfig_file = " + yaml + "\n"
}

// TestEveryServiceUsesTheStorageSeam: each service a command runs opens
// its storage through WrapStorage (download and restore-node included).
func TestEveryServiceUsesTheStorageSeam(t *testing.T) {
	tests := []struct {
		name        string
		missingYAML bool
		open        func(ctx context.Context, a *App) error
	}{
		{"catalog", false, func(ctx context.Context, a *App) error {
			c, err := a.Catalog(ctx)
			if err == nil {
				c.Backend.Close()
			}
			return err
		}},
		{"purge", false, func(ctx context.Context, a *App) error {
			e, err := a.Purger(ctx, true)
			if err == nil {
				e.Backend.Close()
			}
			return err
		}},
		{"restore", false, func(ctx context.Context, a *App) error {
			rs, err := a.OpenRestore(ctx)
			if err == nil {
				rs.Close()
			}
			return err
		}},
		{"download", false, func(ctx context.Context, a *App) error {
			_, err := a.Download(ctx, restore.DownloadOptions{Backup: "nope", Destination: t.TempDir()}, nil)
			if !errors.Is(err, layout.ErrBackupNotFound) {
				t.Errorf("download of an unknown backup: %v, want layout.ErrBackupNotFound", err)
			}
			return nil
		}},
		{"backup (fails on cassandra.yaml after opening storage)", true, func(ctx context.Context, a *App) error {
			_, err := a.Backup(ctx, backup.Options{Name: "b1", Mode: backup.Full, LockDir: t.TempDir()}, nil)
			if err == nil || !strings.Contains(err.Error(), "cassandra.yaml") {
				t.Errorf("backup error %v, want one about cassandra.yaml", err)
			}
			return nil
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := New(parse(t, nodeINI(t, "", tc.missingYAML)), nil)
			wrapped := 0
			a.WrapStorage = func(b storage.Backend) storage.Backend { wrapped++; return b }
			if err := tc.open(t.Context(), a); err != nil {
				t.Fatal(err)
			}
			if wrapped != 1 {
				t.Fatalf("WrapStorage called %d times, want once", wrapped)
			}
		})
	}
}

// TestRestoreOptionsFromConfig: the configuration's part of a restore's
// options is set in one place.
func TestRestoreOptionsFromConfig(t *testing.T) {
	tests := []struct {
		name           string
		extra          string
		manage, noHash bool
	}{
		{"plain", "", true, false},
		{"kms: the store's hashes are not MD5s", "kms_id = key-1\n", true, true},
		{"kubernetes: Cassandra is not stopped or started", "[kubernetes]\nenabled = True\n", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ini := nodeINI(t, "", false)
			if strings.HasPrefix(tc.extra, "[") {
				ini += tc.extra
			} else {
				ini = strings.Replace(ini, "[cassandra]", tc.extra+"[cassandra]", 1)
			}
			rs, err := New(parse(t, ini), nil).OpenRestore(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			defer rs.Close()
			o := rs.Options(restore.Options{Backup: "b1"})
			if o.FQDN != "n1" || o.Prefix != "p" || o.Concurrency != 3 || o.Backup != "b1" ||
				o.ManageCassandra != tc.manage || o.SkipContentHash != tc.noHash || o.Node != rs.Paths {
				t.Fatalf("options %+v", o)
			}
		})
	}
}

// TestExecutor: the SSH executor comes from [ssh]; a key_file that is not
// there is a configuration error (exit 2) naming the file; Remote wins.
func TestExecutor(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "id_nope")
	a := New(&config.Config{SSH: config.SSH{Username: "u", KeyFile: missing, Port: 22,
		KnownHostsFile: filepath.Join(t.TempDir(), "known_hosts"), HostKeyPolicy: config.HostKeyStrict}}, nil)
	_, err := a.Executor()
	if !remote.IsConfigError(err) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing key_file: err = %v, want a config error naming %s", err, missing)
	}
	a.Remote = nopExecutor{}
	if e, err := a.Executor(); err != nil || e != a.Remote {
		t.Errorf("Remote: %v, %v", e, err)
	}
}

// nopExecutor is a remote.Executor that runs nothing.
type nopExecutor struct{}

func (nopExecutor) Check(context.Context, string) error { return nil }
func (nopExecutor) Run(context.Context, string, remote.Command, io.Writer, io.Writer) error {
	return nil
}
func (nopExecutor) Close() error { return nil }
