package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestPrometheusTextfilesWiring: with monitoring_provider = prometheus,
// report-last-backup and purge write their textfiles (report-last-backup
// also the backup age: n1's last complete backup is b2, long ago, so
// overdue), while a listing and a dry run write none.
func TestPrometheusTextfilesWiring(t *testing.T) {
	dir := t.TempDir()
	f := newCatFixture(t, "[monitoring]\nmonitoring_provider = prometheus\nprometheus_textfile_dir = "+dir+"\n")
	f.populate(t)
	for _, args := range [][]string{{"list-backups"}, {"purge", "--dry-run"}} {
		if _, errOut, code := f.run(t, nil, args...); code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, errOut)
		}
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Fatalf("list-backups and purge --dry-run wrote %v", names)
	}
	for _, args := range [][]string{{"report-last-backup"}, {"purge"}} {
		if _, errOut, code := f.run(t, nil, args...); code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, errOut)
		}
	}
	want := []string{"medusa_backup_age.prom", "medusa_purge.prom", "medusa_report_last_backup.prom"}
	if names := dirNames(t, dir); !slices.Equal(names, want) {
		t.Fatalf("textfiles %v, want %v", names, want)
	}
	for file, want := range map[string][]string{
		"medusa_backup_age.prom": {
			`medusa_backup_overdue{node="n1.example.com"} 1`,
		},
		"medusa_report_last_backup.prom": {
			`medusa_command_last_success{command="report-last-backup",node="n1.example.com"} 1`,
			`medusa_command_runs_total{command="report-last-backup",node="n1.example.com"} 1`,
		},
		"medusa_purge.prom": {`medusa_purge_last_success{command="purge",node="n1.example.com"} 1`},
	} {
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		p := expfmt.NewTextParser(model.UTF8Validation)
		mfs, err := p.TextToMetricFamilies(strings.NewReader(string(b)))
		if err != nil {
			t.Fatalf("%s does not parse: %v\n%s", file, err, b)
		}
		if mf, ok := mfs["medusa_backup_last_complete_timestamp_seconds"]; ok {
			if v := mf.GetMetric()[0].GetGauge().GetValue(); v != float64(fxT0+fxDay+90) {
				t.Errorf("last complete backup at %v, want b2's finish %d", v, fxT0+fxDay+90)
			}
		} else if file == "medusa_backup_age.prom" {
			t.Errorf("%s lacks medusa_backup_last_complete_timestamp_seconds:\n%s", file, b)
		}
		for _, w := range want {
			if !strings.Contains(string(b), w+"\n") {
				t.Errorf("%s lacks %q:\n%s", file, w, b)
			}
		}
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}
