package cli

import (
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/layout"
)

func TestCatalogCommands(t *testing.T) {
	f := newCatFixture(t, "")
	f.populate(t)
	tests := []struct {
		name   string
		args   []string
		golden string // compared with stdout; "" means want is literal
		want   string
		code   int
	}{
		{"list-backups", []string{"list-backups"}, "list_backups.golden", "", 0},
		{"list-backups show all", []string{"list-backups", "--show-all"}, "list_backups_all.golden", "", 0},
		{"list-backups no-show-all", []string{"list-backups", "--show-all", "--no-show-all"}, "list_backups.golden", "", 0},
		{"list-backups json", []string{"list-backups", "--show-all", "--output", "json"}, "list_backups_all_json.golden", "", 0},
		{"list-backups bad output", []string{"list-backups", "--output", "yaml"}, "", "", 2},
		{"status incomplete", []string{"status", "--backup-name", "b1"}, "status_b1.golden", "", 0},
		{"status complete", []string{"status", "--backup-name", "b2"}, "status_b2.golden", "", 0},
		{"status json", []string{"status", "--backup-name", "b2", "-o", "json"}, "status_b2_json.golden", "", 0},
		{"status unknown", []string{"status", "--backup-name", "nope"}, "", "", 1},
		{"status unknown json", []string{"status", "--backup-name", "nope", "-o", "json"}, "", "{}\n", 1},
		{"status without name", []string{"status"}, "", "", 2},
		{"verify complete", []string{"verify", "--backup-name", "b2", "--enable-md5-checks"}, "",
			"Validating b2 ...\n- Completion: OK!\n- Manifest validated: OK!!\n", 0},
		{"verify incomplete", []string{"verify", "--backup-name", "b1"}, "", "Validating b1 ...\n" +
			"- Completion: Not complete!\n  - [n2.example.com] Backup started at 1700000000, but not finished yet\n" +
			"  - [n3.example.com] Backup missing\n", 1},
		{"verify unknown", []string{"verify", "--backup-name", "nope"}, "", "", 1},
		{"last complete", []string{"get-last-complete-cluster-backup"}, "", "b2\n", 0},
		{"fetch-tokenmap", []string{"fetch-tokenmap", "--backup-name", "b2"}, "fetch_tokenmap_b2.golden", "", 0},
		{"fetch-tokenmap unknown", []string{"fetch-tokenmap", "--backup-name", "nope"}, "", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := f.run(t, nil, tt.args...)
			if code != tt.code {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, tt.code, errOut)
			}
			if tt.golden != "" {
				catGolden(t, tt.golden, out)
			} else if out != tt.want {
				t.Errorf("stdout:\n%s\nwant:\n%s", out, tt.want)
			}
		})
	}
}

func TestVerifyCommandFailure(t *testing.T) {
	f := newCatFixture(t, "")
	f.populate(t)
	key := layout.New(fxPrefix).DataPrefix("n3.example.com", "b2") + "ks/t-0123456789abcdef0123456789abcdef/nb-1-big-Data.db"
	catMust(t, f.b.Delete(t.Context(), key))
	out, errOut, code := f.run(t, nil, "verify", "--backup-name", "b2")
	want := "Validating b2 ...\n- Completion: OK!\n- Manifest validation: Failed!\n  - [" + key + "] Doesn't exists\n"
	if code != 1 || out != want {
		t.Errorf("exit %d, stdout:\n%s\nwant:\n%s\nstderr:\n%s", code, out, want, errOut)
	}
}

func TestBuildIndexCommand(t *testing.T) {
	f := newCatFixture(t, "")
	f.populate(t)
	before, _, _ := f.run(t, nil, "list-backups", "--show-all")
	l := layout.New(fxPrefix)
	for obj, err := range f.b.List(t.Context(), l.IndexPrefix()) {
		catMust(t, err)
		catMust(t, f.b.Delete(t.Context(), obj.Key))
	}
	if out, _, code := f.run(t, nil, "list-backups", "--show-all"); code != 0 || out != "" {
		t.Fatalf("without an index: exit %d, %q", code, out)
	}
	out, _, code := f.run(t, nil, "build-index", "--noop")
	if code != 0 || !strings.Contains(out, "would write "+l.IndexTokenmapKey("b2", "n1.example.com")+"\n") {
		t.Fatalf("build-index --noop: exit %d\n%s", code, out)
	}
	if out, _, _ := f.run(t, nil, "list-backups", "--show-all"); out != "" {
		t.Fatalf("--noop wrote an index:\n%s", out)
	}
	out, errOut, code := f.run(t, nil, "build-index")
	if code != 0 || !strings.Contains(out, "wrote "+l.LatestBackupNameKey("n1.example.com")+"\n") {
		t.Fatalf("build-index: exit %d\n%s\n%s", code, out, errOut)
	}
	// b1's n2 never finished, so it is not indexed and counts as missing.
	after, _, _ := f.run(t, nil, "list-backups", "--show-all")
	if after != before {
		t.Errorf("list-backups after build-index:\n%s\nbefore:\n%s", after, before)
	}
}

func TestReportLastBackupLocalMetrics(t *testing.T) {
	f := newCatFixture(t, "[monitoring]\nmonitoring_provider = local\n")
	f.populate(t)
	t.Chdir(f.dir)
	_, errOut, code := f.run(t, nil, "report-last-backup", "--push-metrics")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	data, err := os.ReadFile("metrics.json")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	now := time.Now().Unix()
	ago := func(epoch int64) string { return strconv.FormatInt(now-epoch, 10) }
	want := []string{
		`{"seq": 0, "tags": ["medusa-node-backup", "seconds-since-backup", "b2"], "value": ` + ago(fxT0+fxDay+90) + `}`,
		`{"seq": 1, "tags": ["medusa-cluster-backup", "seconds-since-backup", "b2"], "value": ` + ago(fxT0+fxDay+90) + `}`,
		`{"seq": 2, "tags": ["medusa-cluster-backup", "complete-backups-node-count", "b3"], "value": 1}`,
		`{"seq": 3, "tags": ["medusa-cluster-backup", "incomplete-backups-node-count", "b3"], "value": 0}`,
		`{"seq": 4, "tags": ["medusa-cluster-backup", "missing-backups-node-count", "b3"], "value": 2}`,
		`{"seq": 5, "tags": ["medusa-cluster-backup", "backup-total-size", "b3"], "value": 150}`,
		`{"seq": 6, "tags": ["medusa-cluster-backup", "backup-total-file-count", "b3"], "value": 2}`,
		`{"seq": 7, "tags": ["medusa-cluster-backup", "damaged-backups-node-count", "b3"], "value": 0}`,
	}
	if len(lines) != len(want) {
		t.Fatalf("metrics.json:\n%s", data)
	}
	for i := range want {
		// The age may be one second off if the clock ticked meanwhile.
		if lines[i] != want[i] && !(i < 2 && strings.HasPrefix(lines[i], want[i][:strings.LastIndex(want[i], ":")])) {
			t.Errorf("line %d:\n got %s\nwant %s", i, lines[i], want[i])
		}
	}
	for _, s := range []string{"Latest node backup finished", "- Name: b2", "- Name: b3", "- Total size: 150.00 B",
		"- Missing backup: 2 nodes are not running backups"} {
		if !strings.Contains(errOut, s) {
			t.Errorf("log lacks %q:\n%s", s, errOut)
		}
	}
}

func TestReportLastBackupDogStatsd(t *testing.T) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	f := newCatFixture(t, "[monitoring]\nmonitoring_provider = dog-statsd\nsend_backup_name_tag = true\n")
	f.populate(t)
	_, port, _ := net.SplitHostPort(conn.LocalAddr().String())
	env := map[string]string{"DD_AGENT_HOST": "127.0.0.1", "DD_DOGSTATSD_PORT": port}
	if _, errOut, code := f.run(t, env, "report-last-backup", "--push-metrics"); code != 0 {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	var got []string
	buf := make([]byte, 1500)
	for range 7 {
		catMust(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
		n, _, err := conn.ReadFrom(buf)
		if err != nil {
			t.Fatalf("after %q: %v", got, err)
		}
		got = append(got, string(buf[:n]))
	}
	if !strings.HasPrefix(got[0], "medusa-node-backup.seconds-since-backup:") || !strings.HasSuffix(got[0], "|g|#backup_name:b2\n") {
		t.Errorf("first datagram %q", got[0])
	}
	if want := "medusa-cluster-backup.backup-total-size:150|g|#backup_name:b3\n"; got[5] != want {
		t.Errorf("datagram 6 %q, want %q", got[5], want)
	}
}

func TestCatalogCommandsHelp(t *testing.T) {
	f := newCatFixture(t, "")
	for _, c := range []struct{ cmd, flag string }{{"list-backups", "--show-all"}, {"status", "--backup-name"},
		{"verify", "--enable-md5-checks"}, {"get-last-complete-cluster-backup", ""}, {"fetch-tokenmap", "--backup-name"},
		{"build-index", "--noop"}, {"report-last-backup", "--push-metrics"}} {
		out, _, code := f.run(t, nil, c.cmd, "--help")
		if code != 0 || !strings.Contains(out, "Exit codes") || !strings.Contains(out, c.flag) {
			t.Errorf("%s --help: exit %d\n%s", c.cmd, code, out)
		}
	}
}

// TestStatusAndReportDamaged: with a data object of b2 (the only complete
// backup) deleted, status shows b2 damaged with the key and what to run
// (exit 0, as for an incomplete backup), and report-last-backup no longer
// counts it as the latest complete backup.
func TestStatusAndReportDamaged(t *testing.T) {
	f := newCatFixture(t, "[monitoring]\nmonitoring_provider = local\n")
	f.populate(t)
	t.Chdir(f.dir)
	key := layout.New(fxPrefix).DataPrefix("n3.example.com", "b2") + "ks/t-0123456789abcdef0123456789abcdef/nb-1-big-Data.db"
	catMust(t, f.b.Delete(t.Context(), key))
	out, errOut, code := f.run(t, nil, "status", "--backup-name", "b2")
	for _, want := range []string{"b2 [Damaged!]\n", "- Damaged nodes:", "    n3.example.com: 1 of ",
		"      missing: " + key + "\n", "medusa verify --backup-name b2"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("status: exit %d, lacks %q:\n%s\n%s", code, want, out, errOut)
		}
	}
	_, errOut, code = f.run(t, nil, "report-last-backup", "--push-metrics")
	for _, want := range []string{"Backup b2 is not counted as complete: node n3.example.com: 1 of ",
		"(first: " + key + ")", "has no complete backup yet"} {
		if code != 0 || !strings.Contains(errOut, want) {
			t.Errorf("report-last-backup: exit %d, lacks %q:\n%s", code, want, errOut)
		}
	}
	data, err := os.ReadFile("metrics.json")
	catMust(t, err)
	if strings.Contains(string(data), `"medusa-cluster-backup", "seconds-since-backup", "b2"`) {
		t.Errorf("the damaged backup was pushed as the latest complete one:\n%s", data)
	}
}
