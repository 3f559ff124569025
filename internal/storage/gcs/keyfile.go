package gcs

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"cloud.google.com/go/auth/credentials"
)

// expandHome replaces a leading "~" or "~/" with the user's home directory.
func expandHome(path string) (string, error) {
	if path != "~" && !strings.HasPrefix(path, "~/") {
		return path, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("expand %s: %w", path, err)
	}
	return filepath.Join(home, strings.TrimPrefix(path, "~")), nil
}

// readKeyFile reads a credentials file after checking its permissions: a
// file others may write is refused (anyone could swap the identity), a
// file others may read is used with a warning.
func readKeyFile(path string, log *slog.Logger) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("key_file: %w", err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("key_file %s is a directory, not a service-account JSON file", path)
	}
	perm := fi.Mode().Perm()
	if perm&0o022 != 0 {
		return nil, fmt.Errorf("key_file %s is writable by group or others (mode %04o); refusing to use it: run chmod 600 %s",
			path, perm, path)
	}
	if perm&0o044 != 0 {
		log.Warn("key_file is readable by group or others; run chmod 600 on it",
			"path", path, "mode", fmt.Sprintf("%04o", perm), "fix", "chmod 600 "+path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key_file: %w", err)
	}
	return data, nil
}

// keyFileFields is the part of a Google credentials JSON file that is
// checked before it is handed to the auth library.
type keyFileFields struct {
	Type        string `json:"type"`
	ClientEmail string `json:"client_email"`
	PrivateKey  string `json:"private_key"`
}

// parseKeyFile checks that data is a Google credentials JSON file and
// returns its credential type. Messages name the file and the missing
// field, never the content.
func parseKeyFile(path string, data []byte) (credentials.CredType, error) {
	var f keyFileFields
	if err := json.Unmarshal(data, &f); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return "", fmt.Errorf("key_file %s is not valid JSON (syntax error at byte %d); it must be a service-account key file",
				path, syn.Offset)
		}
		return "", fmt.Errorf("key_file %s is not a JSON object with string fields; it must be a service-account key file", path)
	}
	switch t := credentials.CredType(f.Type); t {
	case credentials.ServiceAccount:
		var missing []string
		if f.ClientEmail == "" {
			missing = append(missing, "client_email")
		}
		if f.PrivateKey == "" {
			missing = append(missing, "private_key")
		}
		if len(missing) > 0 {
			return "", fmt.Errorf("key_file %s is a service-account file without %s", path, strings.Join(missing, " and "))
		}
		return t, nil
	case credentials.AuthorizedUser, credentials.ExternalAccount, credentials.ImpersonatedServiceAccount:
		return t, nil
	case "":
		return "", fmt.Errorf("key_file %s has no \"type\" field; it must be a service-account key file (\"type\": \"service_account\")", path)
	default:
		return "", fmt.Errorf("key_file %s has type %q; medusa needs a service-account key file (\"type\": \"service_account\")", path, f.Type)
	}
}
