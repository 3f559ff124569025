package layout

import (
	"bytes"
	"testing"
)

func TestServerVersion(t *testing.T) {
	t.Parallel()
	for name, v := range map[string]ServerVersion{
		"server_version_python.json":     {ServerType: ServerTypeCassandra, ReleaseVersion: "4.1.3"},
		"server_version_dse_python.json": {ServerType: ServerTypeDSE, ReleaseVersion: "6.8.50"},
	} {
		want := readTestdata(t, name)
		if got := MarshalServerVersion(v); !bytes.Equal(got, want) {
			t.Errorf("MarshalServerVersion(%+v) = %s, want %s", v, got, want)
		}
		parsed, err := UnmarshalServerVersion(want)
		if err != nil || parsed != v {
			t.Errorf("UnmarshalServerVersion(%s) = %+v, %v", want, parsed, err)
		}
	}
	if got := DefaultServerVersion(); got != (ServerVersion{"cassandra", "unknown"}) {
		t.Errorf("DefaultServerVersion() = %+v", got)
	}
	if v, err := UnmarshalServerVersion([]byte(`{"server_type": null}`)); err != nil || v != (ServerVersion{}) {
		t.Errorf("null/missing fields: %+v, %v", v, err)
	}
	for _, doc := range []string{`[]`, `{"server_type": 1}`, `{} x`, ``} {
		if _, err := UnmarshalServerVersion([]byte(doc)); err == nil {
			t.Errorf("UnmarshalServerVersion(%q) succeeded", doc)
		}
	}
}

func TestMarkerContents(t *testing.T) {
	t.Parallel()
	if DifferentialMarker != "differential" {
		t.Errorf("DifferentialMarker = %q", DifferentialMarker)
	}
	if got := string(TimestampContent(1700000000)); got != "1700000000" {
		t.Errorf("TimestampContent = %q", got)
	}
	for in, want := range map[string]int64{"1700000000": 1700000000, "42\n": 42, "-1": -1} {
		if got, err := ParseTimestampContent([]byte(in)); err != nil || got != want {
			t.Errorf("ParseTimestampContent(%q) = %d, %v", in, got, err)
		}
	}
	if _, err := ParseTimestampContent([]byte("abc")); err == nil {
		t.Error("ParseTimestampContent(abc) succeeded")
	}
	if got := string(BackupNameContent("b1")); got != "b1" {
		t.Errorf("BackupNameContent = %q", got)
	}
	for in, want := range map[string]string{"b1": "b1", "b1\n": "b1", "b1\r\n": "b1", "b 1": "b 1"} {
		if got := ParseBackupNameContent([]byte(in)); got != want {
			t.Errorf("ParseBackupNameContent(%q) = %q", in, got)
		}
	}
}
