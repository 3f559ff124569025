package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
)

// TestLoadFile loads a real file; File is the path given.
func TestLoadFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "medusa.ini")
	writeFile(t, path, validINI+"[storage_typo]\n")
	l := &Loader{Resolver: testResolver}
	cfg, warns, err := l.Load(t.Context(), path, Overrides{}, envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "File", cfg.File, path)
	eq(t, "bucket", cfg.Storage.BucketName, "backups")
	equalLines(t, "warnings", warningLines(warns), []string{"[storage_typo]: unknown section, ignored"})

	// An invalid file names its path in every problem line.
	writeFile(t, path, "[storage]\n")
	_, _, err = l.Load(t.Context(), path, Overrides{}, envOf(nil))
	equalLines(t, "problems", problemLines(t, err), []string{
		path + ": [storage] storage_provider: required, not set",
		path + ": [storage] bucket_name: required, not set",
	})
}

// TestLoadFileErrors: files that cannot be read give a clear error that is
// not a *ValidationError.
func TestLoadFileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.ini")
	dangling := filepath.Join(dir, "link.ini")
	if err := os.Symlink(missing, dangling); err != nil {
		t.Fatal(err)
	}
	denied := func(name string) ([]byte, error) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.EACCES}
	}
	tests := []struct {
		name     string
		path     string
		readFile func(string) ([]byte, error)
		want     string
		is       error
	}{
		{"missing file", missing, nil,
			"config file " + missing + " does not exist; pass --config-file with the path of your medusa.ini", fs.ErrNotExist},
		{"dangling symlink", dangling, nil,
			"config file " + dangling + " is a symbolic link to " + missing +
				", which does not exist; pass --config-file with the path of your medusa.ini", fs.ErrNotExist},
		{"directory", dir, nil,
			"config file " + dir + " is a directory, not a file; pass --config-file with the path of your medusa.ini", syscall.EISDIR},
		{"permission denied", "/etc/medusa/medusa.ini", denied,
			"cannot read config file /etc/medusa/medusa.ini: permission denied", fs.ErrPermission},
		{"empty path", "", nil,
			"no config file given; pass --config-file with the path of your medusa.ini", fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &Loader{ReadFile: tt.readFile, Resolver: testResolver}
			cfg, _, err := l.Load(t.Context(), tt.path, Overrides{}, envOf(nil))
			if cfg != nil || err == nil {
				t.Fatalf("Load = %v, %v; want an error", cfg, err)
			}
			eq(t, "error", err.Error(), tt.want)
			if !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
			var ve *ValidationError
			if errors.As(err, &ve) {
				t.Errorf("got a *ValidationError for an unreadable file")
			}
		})
	}
}

// TestLoadReallyUnreadable reads a file that root can open but not read:
// /proc/self/mem fails at offset 0 with EIO.
func TestLoadReallyUnreadable(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("needs /proc/self/mem (Linux)")
	}
	_, _, err := (&Loader{Resolver: testResolver}).Load(t.Context(), "/proc/self/mem", Overrides{}, envOf(nil))
	if err == nil {
		t.Fatal("Load(/proc/self/mem) succeeded")
	}
	eq(t, "error", err.Error(), "cannot read config file /proc/self/mem: input/output error")
}

// TestParseReaderErrors: a failing or oversized reader is a plain error.
func TestParseReaderErrors(t *testing.T) {
	t.Parallel()
	l := &Loader{Resolver: testResolver}
	_, _, err := l.Parse(t.Context(), "stdin", iotest.ErrReader(errors.New("broken pipe")), Overrides{}, envOf(nil))
	if err == nil || err.Error() != "cannot read config stdin: broken pipe" {
		t.Errorf("failing reader: err = %v", err)
	}
	big := strings.NewReader(strings.Repeat("#", maxFileSize+1))
	_, _, err = l.Parse(t.Context(), "stdin", big, Overrides{}, envOf(nil))
	if err == nil || err.Error() != "cannot read config stdin: larger than 16 MiB, not a medusa.ini" {
		t.Errorf("oversized reader: err = %v", err)
	}
}

// TestPackageLevelFunctions: Load and Parse use os.Getenv when env is nil
// and honour an explicit fqdn without any lookup.
func TestPackageLevelFunctions(t *testing.T) {
	t.Setenv("MEDUSA_CQL_USERNAME", "from-os-env")
	ini := validINI + "fqdn = fixed.example\n"
	cfg, _, err := (&Loader{}).Parse(t.Context(), "medusa.ini", strings.NewReader(ini), Overrides{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "cql_username", cfg.Cassandra.CQLUsername, "from-os-env")
	path := filepath.Join(t.TempDir(), "medusa.ini")
	writeFile(t, path, ini)
	cfg, _, err = Load(t.Context(), path, Overrides{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "fqdn", cfg.Storage.FQDN, "fixed.example")
}
