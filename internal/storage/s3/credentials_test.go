package s3

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/storage"
)

// writeKeyFile writes content to a new file with mode perm and returns its path.
func writeKeyFile(t *testing.T, content string, perm os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "medusa-s3-credentials")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil { // WriteFile's mode is filtered by the umask
		t.Fatal(err)
	}
	return path
}

const (
	testAccessKey = "AKIAMEDUSATEST000001"
	testSecret    = "s3cr3t/Secret+Key/DoNotLeak0000000000000"
	testToken     = "FwoGZXIvYXdzEMedusaSessionToken"
)

func TestKeyFilePermissions(t *testing.T) {
	content := "[default]\naws_access_key_id = " + testAccessKey + "\naws_secret_access_key = " + testSecret + "\n"
	tests := []struct {
		perm      os.FileMode
		wantErr   string // substring; "" = accepted
		wantWarn  bool
		wantChmod bool
	}{
		{0o600, "", false, false},
		{0o400, "", false, false},
		{0o644, "", true, true},
		{0o640, "", true, true},
		{0o604, "", true, true},
		{0o666, "writable by group or others", false, true},
		{0o620, "writable by group or others", false, true},
		{0o602, "writable by group or others", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.perm.String(), func(t *testing.T) {
			path := writeKeyFile(t, content, tc.perm)
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			_, err := loadKeyFile(path, "", log)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("loadKeyFile: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
			text := logs.String()
			if err != nil {
				text = err.Error()
			}
			if got := strings.Contains(text, "chmod 600 "+path); got != tc.wantChmod {
				t.Errorf("message %q: names `chmod 600 %s`: %v, want %v", text, path, got, tc.wantChmod)
			}
			if got := strings.Contains(logs.String(), "level=WARN"); got != tc.wantWarn {
				t.Errorf("warning logged: %v, want %v (log: %q)", got, tc.wantWarn, logs.String())
			}
			if strings.Contains(text, testSecret) || strings.Contains(logs.String(), testAccessKey) {
				t.Errorf("a key leaked: %q", text)
			}
		})
	}
}

func TestKeyFileContent(t *testing.T) {
	tests := []struct {
		name, content, profile string
		wantErr                string
		wantToken              string
	}{
		{"default profile", "[default]\naws_access_key_id = " + testAccessKey + "\naws_secret_access_key = " + testSecret + "\n", "", "", ""},
		{"session token honoured", "[default]\naws_access_key_id=" + testAccessKey + "\naws_secret_access_key=" + testSecret + "\naws_session_token=" + testToken + "\n", "", "", testToken},
		{"keys are case-insensitive", "[default]\nAWS_ACCESS_KEY_ID = " + testAccessKey + "\nAws_Secret_Access_Key = " + testSecret + "\n", "", "", ""},
		{"api_profile", "[default]\naws_access_key_id = X\naws_secret_access_key = Y\n[backup]\naws_access_key_id = " + testAccessKey + "\naws_secret_access_key = " + testSecret + "\n", "backup", "", ""},
		{"missing profile", "[default]\naws_access_key_id = X\naws_secret_access_key = Y\n", "backup", "has no profile [backup] (profiles: default)", ""},
		{"missing secret", "[default]\naws_access_key_id = " + testAccessKey + "\n", "", "needs both aws_access_key_id and aws_secret_access_key", ""},
		{"not INI", "[default\naws_secret_access_key " + testSecret + "\n", "", "is not an AWS credentials file", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeKeyFile(t, tc.content, 0o600)
			p, err := loadKeyFile(path, tc.profile, slog.New(slog.DiscardHandler))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), path) {
					t.Fatalf("error %v, want one naming %s and containing %q", err, path, tc.wantErr)
				}
				if strings.Contains(err.Error(), testSecret) {
					t.Errorf("error leaks the secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c, _ := p.Retrieve(t.Context())
			if c.AccessKeyID != testAccessKey || c.SecretAccessKey != testSecret || c.SessionToken != tc.wantToken {
				t.Errorf("credentials %q/%q token %q; want %q/secret token %q", c.AccessKeyID, "...", c.SessionToken, testAccessKey, tc.wantToken)
			}
			if d := describeCredentials(c.Source); !strings.Contains(d, "key_file "+path) {
				t.Errorf("described as %q, want it to name key_file %s", d, path)
			}
		})
	}
}

func TestKeyFileMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope")
	_, err := New(t.Context(), Options{Provider: "s3", Bucket: "b", KeyFile: path})
	if err == nil || !strings.Contains(err.Error(), "key_file "+path+" does not exist") {
		t.Fatalf("New with a missing key_file: %v", err)
	}
}

// TestSessionTokenSent checks that a key_file's aws_session_token reaches
// the wire (Medusa dropped it), and that the key_file wins over AWS_*
// environment variables.
func TestSessionTokenSent(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAFROMENVIRONMENT0")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "environment-secret")
	t.Setenv("AWS_SESSION_TOKEN", "environment-token")
	f := newFakeS3(t, "bkt")
	b := newFakeBackend(t, f, func(o *Options) {
		o.KeyFile = writeKeyFile(t, "[default]\naws_access_key_id="+testAccessKey+"\naws_secret_access_key="+testSecret+"\naws_session_token="+testToken+"\n", 0o600)
	})
	if _, err := b.Put(t.Context(), "k", strings.NewReader("v")); err != nil {
		t.Fatal(err)
	}
	for _, r := range f.ops() {
		if got := r.Header.Get("X-Amz-Security-Token"); got != testToken {
			t.Errorf("%s: X-Amz-Security-Token %q, want the key_file's session token", r.Op, got)
		}
		if !strings.Contains(r.Header.Get("Authorization"), "Credential="+testAccessKey+"/") {
			t.Errorf("%s: not signed with the key_file's access key", r.Op)
		}
	}
}

func TestDescribeCredentials(t *testing.T) {
	tests := []struct{ source, want string }{
		{"EC2RoleProvider", "the IAM role via instance metadata"},
		{"EnvConfigCredentials", "the environment (AWS_ACCESS_KEY_ID)"},
		{"SharedConfigCredentials: /home/cassandra/.aws/credentials", "the shared credentials file /home/cassandra/.aws/credentials"},
		{"WebIdentityCredentials", "web identity (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN)"},
		{"CredentialsEndpointProvider", "the container credentials endpoint (ECS/EKS)"},
		{keyFileSourcePrefix + "/etc/medusa/creds (profile default)", "key_file /etc/medusa/creds (profile default)"},
	}
	t.Setenv("AWS_PROFILE", "")
	for _, tc := range tests {
		if got := describeCredentials(tc.source); got != tc.want {
			t.Errorf("describeCredentials(%q) = %q, want %q", tc.source, got, tc.want)
		}
	}
}

// TestDeniedNamesCredentials checks the access-denied sentence end to end.
func TestDeniedNamesCredentials(t *testing.T) {
	f := newFakeS3(t, "medusa-bkt")
	f.fail = func(r *http.Request, op string) (int, string) { return http.StatusForbidden, "AccessDenied" }
	b := newFakeBackend(t, f, nil)
	_, err := b.Put(t.Context(), "meta/schema.cql", strings.NewReader("x"))
	if !errors.Is(err, storage.ErrAccessDenied) {
		t.Fatalf("error %v, want ErrAccessDenied", err)
	}
	msg := err.Error()
	for _, want := range []string{`bucket "medusa-bkt"`, "s3:PutObject", "key_file ", "(profile default)", "AccessDenied"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "fake-secret") || strings.Contains(msg, "AKIDFAKE") {
		t.Errorf("message leaks a key: %q", msg)
	}
}
