package azure

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
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
// file others may write is refused, a file others may read is used with a
// warning.
func readKeyFile(path string, log *slog.Logger) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("key_file: %w", err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("key_file %s is a directory, not a JSON credentials file", path)
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

// keyFile is Medusa's Azure credentials file.
type keyFile struct {
	Account string `json:"storage_account"`
	Key     string `json:"key"`
}

// parseKeyFile decodes {"storage_account": "...", "key": "..."}. Messages
// name the file and the problem, never the key.
func parseKeyFile(path string, data []byte) (account, key string, err error) {
	var f keyFile
	if err := json.Unmarshal(data, &f); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return "", "", fmt.Errorf(`key_file %s is not valid JSON (syntax error at byte %d); want {"storage_account": "...", "key": "..."}`,
				path, syn.Offset)
		}
		return "", "", fmt.Errorf(`key_file %s is not a JSON object of strings; want {"storage_account": "...", "key": "..."}`, path)
	}
	f.Account, f.Key = strings.TrimSpace(f.Account), strings.TrimSpace(f.Key)
	var missing []string
	if f.Account == "" {
		missing = append(missing, `"storage_account"`)
	}
	if f.Key == "" {
		missing = append(missing, `"key"`)
	}
	if len(missing) > 0 {
		return "", "", fmt.Errorf("key_file %s has no %s", path, strings.Join(missing, " and no "))
	}
	if _, err := base64.StdEncoding.DecodeString(f.Key); err != nil {
		return "", "", fmt.Errorf(`key_file %s: "key" is not base64 (an Azure storage account key is); copy it again from the portal`, path)
	}
	return f.Account, f.Key, nil
}
