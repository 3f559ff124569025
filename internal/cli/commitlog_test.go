package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/app"
	"github.com/medusa-go/medusa/internal/commitlog"
)

// commitlogEnv writes a cassandra.yaml (commit log directory inside dir)
// and a medusa.ini with extra [cassandra] lines; it returns the ini and
// the commit log directory.
func commitlogEnv(t *testing.T, extra string) (dir, ini, cl string) {
	t.Helper()
	dir = t.TempDir()
	cl = filepath.Join(dir, "commitlog")
	if err := os.MkdirAll(filepath.Join(dir, "conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(cl, 0o755); err != nil {
		t.Fatal(err)
	}
	yaml := filepath.Join(dir, "conf", "cassandra.yaml")
	if err := os.WriteFile(yaml, []byte("commitlog_directory: "+cl+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ini = filepath.Join(dir, "medusa.ini")
	content := "[storage]\nstorage_provider = local\nbucket_name = b\nbase_path = " + dir + "\nfqdn = n1\n" +
		"[cassandra]\nconfig_file = " + yaml + "\n" + extra
	if err := os.WriteFile(ini, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, ini, cl
}

func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = Execute(t.Context(), Env{Args: args, Stdout: &o, Stderr: &e, Getenv: func(string) string { return "" }})
	return o.String(), e.String(), code
}

// TestCommitlogSectionRefusedByCLI: an ini with a [commitlog] section
// (which Python Medusa refuses) is a configuration error, exit 2, naming
// the file, the section and where the keys go.
func TestCommitlogSectionRefusedByCLI(t *testing.T) {
	t.Parallel()
	_, ini, _ := commitlogEnv(t, "commitlog_archiving = true\n[commitlog]\nenabled = true\n")
	_, errOut, code := runCLI(t, "--config-file", ini, "commitlog", "enable")
	if code != 2 || !strings.Contains(errOut, ini) || !strings.Contains(errOut, "[commitlog]") ||
		!strings.Contains(errOut, "enabled -> commitlog_archiving") {
		t.Errorf("enable with [commitlog]: exit %d, want 2 and an error naming %s, the section and the key's new name:\n%s", code, ini, errOut)
	}
}

func TestCommitlogEnableDisable(t *testing.T) {
	t.Parallel()
	dir, ini, _ := commitlogEnv(t, "")
	props := filepath.Join(dir, "conf", commitlog.PropertiesFile)
	if err := os.WriteFile(props, []byte("# shipped comment\nrestore_command=/bin/cp -f %from %to\narchive_command=\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, "--config-file", ini, "commitlog", "enable")
	if code != 0 || !strings.Contains(out, "restart") || !strings.Contains(out, "commitlog_archiving = true in the [cassandra] section") {
		t.Fatalf("enable: exit %d\n%s%s", code, out, errOut)
	}
	p, err := commitlog.ReadProperties(props)
	if err != nil {
		t.Fatal(err)
	}
	line, _ := p.Get(commitlog.KeyArchiveCommand)
	if !strings.HasPrefix(line, "/") || !strings.HasSuffix(line, " --config-file "+ini+" commitlog archive %path %name") {
		t.Errorf("archive_command=%q", line)
	}
	data, _ := os.ReadFile(props)
	if !strings.HasPrefix(string(data), "# shipped comment\nrestore_command=/bin/cp -f %from %to\narchive_command=/") {
		t.Errorf("properties lost their other lines:\n%s", data)
	}
	if out, _, code := runCLI(t, "--config-file", ini, "commitlog", "enable"); code != 0 || !strings.Contains(out, "nothing changed") {
		t.Errorf("enable again: exit %d\n%s", code, out)
	}
	if _, _, code := runCLI(t, "--config-file", ini, "commitlog", "disable"); code != 0 {
		t.Fatalf("disable: exit %d", code)
	}
	p, _ = commitlog.ReadProperties(props)
	if v, ok := p.Get(commitlog.KeyArchiveCommand); !ok || v != "" {
		t.Errorf("after disable archive_command=%q (%v), want empty", v, ok)
	}
	if v, _ := p.Get(commitlog.KeyRestoreCommand); v != "/bin/cp -f %from %to" {
		t.Errorf("disable changed restore_command to %q", v)
	}
}

func TestArchiveCommandRefusesSpaces(t *testing.T) {
	t.Parallel()
	if _, err := app.ArchiveCommand("/opt/my medusa/medusa", "/etc/medusa/medusa.ini"); err == nil {
		t.Error("a binary path with a space was accepted")
	}
	if _, err := app.ArchiveCommand("/usr/bin/medusa", "medusa.ini"); err == nil {
		t.Error("a relative ini path was accepted")
	}
	got, err := app.ArchiveCommand("/usr/bin/medusa", "/etc/medusa/medusa.ini")
	if err != nil || got != "/usr/bin/medusa --config-file /etc/medusa/medusa.ini commitlog archive %path %name" {
		t.Errorf("ArchiveCommand = %q, %v", got, err)
	}
}

// TestCommitlogArchiveSilent: the archive command prints nothing on
// success (Cassandra reads its output only after it exits), spools into
// the default spool beside the segment, and fails (exit 1, a message) on
// a name that is not a segment's.
func TestCommitlogArchiveSilent(t *testing.T) {
	t.Parallel()
	_, ini, cl := commitlogEnv(t, "")
	hdr, _ := commitlog.EncodeHeader(commitlog.Header{Version: 7, ID: 1765000000001})
	path := filepath.Join(cl, "CommitLog-7-1765000000001.log")
	if err := os.WriteFile(path, append(hdr, make([]byte, 4096)...), 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		out, errOut, code := runCLI(t, "--config-file", ini, "commitlog", "archive", path, filepath.Base(path))
		if code != 0 || out != "" || errOut != "" {
			t.Fatalf("archive: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(cl, commitlog.DefaultSpoolName, filepath.Base(path))); err != nil {
		t.Errorf("not spooled: %v", err)
	}
	_, errOut, code := runCLI(t, "--config-file", ini, "commitlog", "archive", path, "notasegment.log")
	if code != 1 || !strings.Contains(errOut, "not a commit log segment name") {
		t.Errorf("archive of a bad name: exit %d, stderr %q", code, errOut)
	}
}
