package gcs

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"cloud.google.com/go/auth/credentials"

	"github.com/medusa-go/medusa/internal/storage"
)

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

func expandHome(path string) (string, error) { return storage.ExpandHome(path) }

func readKeyFile(path string, log *slog.Logger) ([]byte, error) {
	return storage.ReadKeyFile(path, "a service-account JSON file",
		"fix key_file in [storage], or remove it to use application default credentials", log)
}
