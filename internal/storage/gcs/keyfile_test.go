package gcs

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cloud.google.com/go/auth/credentials"
)

func TestParseKeyFile(t *testing.T) {
	const secret = "-----BEGIN PRIVATE KEY-----\nSECRETSECRET\n-----END PRIVATE KEY-----\n"
	tests := []struct {
		name    string
		data    string
		want    credentials.CredType
		wantErr string // substring of the error; "" means success
	}{
		{"service account", `{"type":"service_account","client_email":"a@b.iam.gserviceaccount.com","private_key":"` + strings.ReplaceAll(secret, "\n", `\n`) + `"}`,
			credentials.ServiceAccount, ""},
		{"authorized user", `{"type":"authorized_user","client_id":"x","client_secret":"y","refresh_token":"z"}`, credentials.AuthorizedUser, ""},
		{"bad json", `{"type":"service_account", "private_key": "SECRETSECRET"`, "", "is not valid JSON"},
		{"not an object", `["service_account"]`, "", "is not a JSON object"},
		{"no type", `{"client_email":"a@b","private_key":"SECRETSECRET"}`, "", `has no "type" field`},
		{"other type", `{"type":"gdch_service_account"}`, "", `has type "gdch_service_account"`},
		{"missing email", `{"type":"service_account","private_key":"SECRETSECRET"}`, "", "without client_email"},
		{"missing key", `{"type":"service_account","client_email":"a@b"}`, "", "without private_key"},
		{"missing both", `{"type":"service_account"}`, "", "without client_email and private_key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseKeyFile("/etc/medusa/gcs.json", []byte(tc.data))
			if tc.wantErr == "" {
				if err != nil || got != tc.want {
					t.Fatalf("parseKeyFile = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("parseKeyFile error = %v, want one containing %q", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), "/etc/medusa/gcs.json") {
				t.Errorf("error %q does not name the file", err)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error %q leaks the file content", err)
			}
		})
	}
}

func TestReadKeyFilePermissions(t *testing.T) {
	tests := []struct {
		mode     os.FileMode
		wantErr  bool
		wantWarn bool
	}{
		{0o600, false, false},
		{0o400, false, false},
		{0o640, false, true},
		{0o644, false, true},
		{0o620, true, false},
		{0o602, true, false},
		{0o666, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.mode.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "key.json")
			if err := os.WriteFile(path, []byte(`{"type":"service_account"}`), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			data, err := readKeyFile(path, slog.New(slog.NewTextHandler(&logs, nil)))
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), "chmod 600 "+path) {
					t.Fatalf("readKeyFile error = %v, want a refusal naming chmod 600", err)
				}
				return
			}
			if err != nil || len(data) == 0 {
				t.Fatalf("readKeyFile = %q, %v", data, err)
			}
			warned := strings.Contains(logs.String(), "chmod 600 "+path)
			if warned != tc.wantWarn {
				t.Errorf("warned = %v (log %q), want %v", warned, logs.String(), tc.wantWarn)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		_, err := readKeyFile(filepath.Join(t.TempDir(), "nope.json"), slog.New(slog.DiscardHandler))
		if err == nil || !strings.Contains(err.Error(), "nope.json") {
			t.Fatalf("readKeyFile of a missing file: %v", err)
		}
	})
	t.Run("directory", func(t *testing.T) {
		_, err := readKeyFile(t.TempDir(), slog.New(slog.DiscardHandler))
		if err == nil || !strings.Contains(err.Error(), "is a directory") {
			t.Fatalf("readKeyFile of a directory: %v", err)
		}
	})
}

func TestExpandHome(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	tests := []struct{ in, want string }{
		{"~", home},
		{"~/keys/gcs.json", filepath.Join(home, "keys/gcs.json")},
		{"/abs/gcs.json", "/abs/gcs.json"},
		{"rel/gcs.json", "rel/gcs.json"},
		{"~other/gcs.json", "~other/gcs.json"},
	}
	for _, tc := range tests {
		got, err := expandHome(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("expandHome(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
