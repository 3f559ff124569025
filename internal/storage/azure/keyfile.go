package azure

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/medusa-go/medusa/internal/storage"
)

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

func expandHome(path string) (string, error) { return storage.ExpandHome(path) }

func readKeyFile(path string, log *slog.Logger) ([]byte, error) {
	return storage.ReadKeyFile(path, `a JSON credentials file {"storage_account", "key"}`,
		"fix key_file in [storage], or remove it to use DefaultAzureCredential with AZURE_STORAGE_ACCOUNT", log)
}
