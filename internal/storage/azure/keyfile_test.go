package azure

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseKeyFile(t *testing.T) {
	const key = "c2VjcmV0LWtleS1TRUNSRVQ=" // base64 of "secret-key-SECRET"
	tests := []struct {
		name        string
		data        string
		wantAccount string
		wantErr     string // substring; "" means success
	}{
		{"ok", `{"storage_account": "medusabackups", "key": "` + key + `"}`, "medusabackups", ""},
		{"extra fields and spaces", `{"storage_account": " acct1 ", "key": " ` + key + ` ", "x": 1}`, "acct1", ""},
		{"bad json", `{"storage_account": "a", "key": "` + key + `"`, "", "is not valid JSON"},
		{"not an object", `"` + key + `"`, "", "is not a JSON object"},
		{"number account", `{"storage_account": 5, "key": "` + key + `"}`, "", "is not a JSON object of strings"},
		{"no account", `{"key": "` + key + `"}`, "", `has no "storage_account"`},
		{"no key", `{"storage_account": "a"}`, "", `has no "key"`},
		{"empty", `{}`, "", `has no "storage_account" and no "key"`},
		{"key not base64", `{"storage_account": "a", "key": "SECRET not base64!"}`, "", `"key" is not base64`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			account, gotKey, err := parseKeyFile("/etc/medusa/azure.json", []byte(tc.data))
			if tc.wantErr == "" {
				if err != nil || account != tc.wantAccount || gotKey != key {
					t.Fatalf("parseKeyFile = %q, %q, %v; want %q and the key", account, gotKey, err, tc.wantAccount)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("parseKeyFile error = %v, want one containing %q", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), "/etc/medusa/azure.json") {
				t.Errorf("error %q does not name the file", err)
			}
			if strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), key) {
				t.Errorf("error %q leaks the key", err)
			}
		})
	}
}

func TestReadKeyFilePermissions(t *testing.T) {
	tests := []struct {
		mode              os.FileMode
		wantErr, wantWarn bool
	}{
		{0o600, false, false},
		{0o440, false, true},
		{0o604, false, true},
		{0o660, true, false},
		{0o606, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.mode.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "azure.json")
			if err := os.WriteFile(path, []byte(`{}`), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			_, err := readKeyFile(path, slog.New(slog.NewTextHandler(&logs, nil)))
			if (err != nil) != tc.wantErr {
				t.Fatalf("readKeyFile error = %v, want error %v", err, tc.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "chmod 600 "+path) {
				t.Errorf("refusal %q does not tell the chmod", err)
			}
			if warned := strings.Contains(logs.String(), "chmod 600"); warned != tc.wantWarn {
				t.Errorf("warned = %v (log %q), want %v", warned, logs.String(), tc.wantWarn)
			}
		})
	}
}

func TestExpandHome(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	for in, want := range map[string]string{
		"~/.azure/medusa.json": filepath.Join(home, ".azure/medusa.json"),
		"/etc/medusa.json":     "/etc/medusa.json",
		"~x/medusa.json":       "~x/medusa.json",
	} {
		if got, err := expandHome(in); err != nil || got != want {
			t.Errorf("expandHome(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
