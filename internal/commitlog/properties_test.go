package commitlog

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

const shipped = `# comment kept
! bang comment
archive_command=
restore_command=/bin/cp -f %from %to

custom.key : some value \
    continued
restore_directories
precision=MICROSECONDS
`

func TestPropertiesRoundTrip(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), PropertiesFile)
	if err := os.WriteFile(path, []byte(shipped), 0o640); err != nil {
		t.Fatal(err)
	}
	p, err := ReadProperties(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(p.Bytes()) != shipped {
		t.Errorf("unchanged file renders differently:\n%s", p.Bytes())
	}
	for k, want := range map[string]string{"restore_command": "/bin/cp -f %from %to",
		"custom.key": "some value continued", "restore_directories": "", "precision": "MICROSECONDS"} {
		if got, ok := p.Get(k); !ok || got != want {
			t.Errorf("Get(%q) = %q, %v; want %q", k, got, ok, want)
		}
	}
	p.Set(KeyArchiveCommand, "/usr/bin/medusa --config-file /etc/medusa/medusa.ini commitlog archive %path %name")
	p.Set(KeyRestorePIT, FormatPIT(time.Date(2026, 12, 6, 1, 2, 3, 4005000, time.FixedZone("x", 3600))))
	if err := p.Write(); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v, want 0640 kept", st.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	want := `# comment kept
! bang comment
archive_command=/usr/bin/medusa --config-file /etc/medusa/medusa.ini commitlog archive %path %name
restore_command=/bin/cp -f %from %to

custom.key : some value \
    continued
restore_directories
precision=MICROSECONDS
restore_point_in_time=2026:12:06 00:02:03.004005
`
	if string(data) != want {
		t.Errorf("written file:\n%s\nwant:\n%s", data, want)
	}
	q, _ := ReadProperties(path)
	if v, _ := q.Get(KeyRestorePIT); v != "2026:12:06 00:02:03.004005" {
		t.Errorf("PIT read back = %q", v)
	}
	pit, err := ParsePIT("2026:12:06 00:02:03.004005")
	if err != nil || !pit.Equal(time.Date(2026, 12, 6, 0, 2, 3, 4005000, time.UTC)) {
		t.Errorf("ParsePIT = %v, %v", pit, err)
	}
}

func TestPropertiesMissingFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), PropertiesFile)
	p, err := ReadProperties(path)
	if err != nil {
		t.Fatal(err)
	}
	p.Set(KeyArchiveCommand, `C:\x  y`)
	if err := p.Write(); err != nil {
		t.Fatal(err)
	}
	q, _ := ReadProperties(path)
	if v, _ := q.Get(KeyArchiveCommand); v != `C:\x  y` {
		t.Errorf("escaped value read back as %q", v)
	}
}
