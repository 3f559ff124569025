package k8s

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestReadEnv(t *testing.T) {
	vars := map[string]string{EnvBackupName: " b1 ", EnvRestoreKey: "k1\n", EnvPodName: "dc1-sts-0"}
	e := ReadEnv(func(k string) string { return vars[k] })
	if e.BackupName != "b1" || e.RestoreKey != "k1" || e.PodName != "dc1-sts-0" || e.Mapping != "" || e.TmpDir != DefaultTmpDir {
		t.Fatalf("ReadEnv = %+v", e)
	}
	vars[EnvTmpDir] = "/data/tmp"
	if e := ReadEnv(func(k string) string { return vars[k] }); e.TmpDir != "/data/tmp" {
		t.Fatalf("TmpDir = %q", e.TmpDir)
	}
}

func TestParseMapping(t *testing.T) {
	// The operator's own rendering of MedusaRestoreMapping.
	m, err := ParseMapping([]byte(`{"in_place":false,"host_map":{"dc1-sts-0":{"source":["old-sts-1"],"seed":false},` +
		`"dc1-sts-1":{"source":["old-sts-0"],"seed":true}},"future":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if m.InPlace || len(m.HostMap) != 2 || m.HostMap["dc1-sts-0"].Source[0] != "old-sts-1" || !m.HostMap["dc1-sts-1"].Seed {
		t.Fatalf("ParseMapping = %+v", m)
	}
	// Written back, it is what the operator and Medusa read.
	b, err := json.Marshal(Mapping{InPlace: true, HostMap: map[string]HostMapping{"p": {Source: []string{"p"}}}})
	if err != nil || string(b) != `{"in_place":true,"host_map":{"p":{"source":["p"],"seed":false}}}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	for _, bad := range []string{``, `{`, `[]`, `{"host_map":{}}`, `{"in_place":null}`, `{"in_place":"yes"}`,
		`{"in_place":true} {}`} {
		if _, err := ParseMapping([]byte(bad)); err == nil {
			t.Errorf("ParseMapping(%q) accepted", bad)
		}
	}
}

func TestDecide(t *testing.T) {
	remote := `{"in_place": false, "host_map": {"dc1-sts-0": {"source": ["old-sts-2"], "seed": false}}}`
	base := Env{BackupName: "b1", RestoreKey: "k2", PodName: "dc1-sts-0", TmpDir: "/var/lib/cassandra"}
	with := func(f func(*Env)) Env { e := base; f(&e); return e }
	tests := []struct {
		name    string
		env     Env
		last    string
		want    Decision
		wantErr string // the *EnvError's variable
	}{
		{"no backup name", with(func(e *Env) { e.BackupName = "" }), "", Decision{Action: NotRequested}, ""},
		{"no restore key", with(func(e *Env) { e.RestoreKey = "" }), "k2", Decision{Action: NotRequested}, ""},
		{"same key", with(func(e *Env) { e.Mapping = "not even JSON" }), "k2", Decision{Action: AlreadyDone}, ""},
		{"no mapping: in place", base, "k1", Decision{Action: Restore, InPlace: true}, ""},
		{"in place mapping", with(func(e *Env) {
			e.Mapping = `{"in_place":true,"host_map":{"dc1-sts-0":{"source":["dc1-sts-0"],"seed":false}}}`
		}), "", Decision{Action: Restore, InPlace: true}, ""},
		{"remote", with(func(e *Env) { e.Mapping = remote }), "k1", Decision{Action: Restore, FQDN: "old-sts-2"}, ""},
		{"remote, pod not mapped", with(func(e *Env) { e.Mapping, e.PodName = remote, "dc1-sts-3" }), "",
			Decision{Action: NotMapped}, ""},
		{"remote, no pod name", with(func(e *Env) { e.Mapping, e.PodName = remote, "" }), "", Decision{}, EnvPodName},
		{"bad JSON", with(func(e *Env) { e.Mapping = `{"in_place": fals` }), "", Decision{}, EnvRestoreMapping},
		{"empty source", with(func(e *Env) {
			e.Mapping = `{"in_place":false,"host_map":{"dc1-sts-0":{"source":[]}}}`
		}), "", Decision{}, EnvRestoreMapping},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decide(tt.env, tt.last)
			if tt.wantErr != "" {
				var ee *EnvError
				if !errors.As(err, &ee) || ee.Var != tt.wantErr || !strings.HasPrefix(err.Error(), tt.wantErr+": ") {
					t.Fatalf("err = %v, want an EnvError for %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Action != tt.want.Action || got.InPlace != tt.want.InPlace || got.FQDN != tt.want.FQDN || got.Reason == "" {
				t.Fatalf("Decide = %+v, want %+v", got, tt.want)
			}
		})
	}
}
