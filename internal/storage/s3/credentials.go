package s3

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"gopkg.in/ini.v1"

	"github.com/medusa-go/medusa/internal/storage"
)

// keyFileSourcePrefix marks credentials read from a key_file in
// aws.Credentials.Source, followed by the path and profile.
const keyFileSourcePrefix = "medusa key_file "

// keyFileProvider serves the static credentials of one profile of a key_file.
type keyFileProvider struct{ creds aws.Credentials }

func (p keyFileProvider) Retrieve(context.Context) (aws.Credentials, error) { return p.creds, nil }

// loadKeyFile reads profile (empty: "default") from an AWS shared-credentials
// file after checking its permissions: writable by group or others is
// refused, readable by them is logged as a warning. Errors name the file and
// what to do, never a key.
func loadKeyFile(path, profile string, log *slog.Logger) (aws.CredentialsProvider, error) {
	path, err := expandHome(path)
	if err != nil {
		return nil, err
	}
	if err := checkKeyFileMode(path, log); err != nil {
		return nil, err
	}
	if profile == "" {
		profile = "default"
	}
	f, err := ini.LoadSources(ini.LoadOptions{InsensitiveKeys: true, IgnoreInlineComment: true}, path)
	if err != nil {
		// The parser's message may quote a line of the file, i.e. a secret.
		return nil, fmt.Errorf("key_file %s is not an AWS credentials file (INI with [%s] aws_access_key_id = ..., aws_secret_access_key = ...)", path, profile)
	}
	sec, err := f.GetSection(profile)
	if err != nil {
		return nil, fmt.Errorf("key_file %s has no profile [%s] (profiles: %s); fix api_profile or the file", path, profile, strings.Join(profileNames(f), ", "))
	}
	ak := strings.TrimSpace(sec.Key("aws_access_key_id").String())
	sk := strings.TrimSpace(sec.Key("aws_secret_access_key").String())
	if ak == "" || sk == "" {
		return nil, fmt.Errorf("key_file %s profile [%s] needs both aws_access_key_id and aws_secret_access_key", path, profile)
	}
	token := strings.TrimSpace(sec.Key("aws_session_token").String())
	if token == "" {
		token = strings.TrimSpace(sec.Key("aws_security_token").String())
	}
	return keyFileProvider{creds: aws.Credentials{
		AccessKeyID:     ak,
		SecretAccessKey: sk,
		SessionToken:    token,
		Source:          fmt.Sprintf("%s%s (profile %s)", keyFileSourcePrefix, path, profile),
	}}, nil
}

func profileNames(f *ini.File) []string {
	var names []string
	for _, s := range f.Sections() {
		if s.Name() != ini.DefaultSection || len(s.Keys()) > 0 {
			names = append(names, s.Name())
		}
	}
	if len(names) == 0 {
		return []string{"none"}
	}
	return names
}

// describeCredentials turns aws.Credentials.Source into words for error
// messages. It never looks at the keys.
func describeCredentials(source string) string {
	switch s := source; {
	case strings.HasPrefix(s, keyFileSourcePrefix):
		return "key_file " + strings.TrimPrefix(s, keyFileSourcePrefix)
	case s == "EC2RoleProvider":
		return "the IAM role via instance metadata"
	case s == "EnvConfigCredentials":
		return "the environment (AWS_ACCESS_KEY_ID)"
	case strings.HasPrefix(s, "SharedConfigCredentials"):
		file := strings.TrimSpace(strings.TrimPrefix(s, "SharedConfigCredentials:"))
		return "the shared credentials file " + file + profileSuffix()
	case s == "WebIdentityCredentials":
		return "web identity (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN)"
	case s == "AssumeRoleProvider":
		return "an assumed role from the shared config" + profileSuffix()
	case s == "CredentialsEndpointProvider":
		return "the container credentials endpoint (ECS/EKS)"
	case s == "SSOProvider":
		return "AWS SSO" + profileSuffix()
	case s == "ProcessProvider":
		return "credential_process" + profileSuffix()
	case s == "":
		return "an unknown source"
	default:
		return s
	}
}

func profileSuffix() string {
	if p := os.Getenv("AWS_PROFILE"); p != "" {
		return " (profile " + p + ")"
	}
	return ""
}

func expandHome(path string) (string, error) { return storage.ExpandHome(path) }

func checkKeyFileMode(path string, log *slog.Logger) error {
	return storage.CheckKeyFile(path, "an AWS credentials file",
		"fix key_file in [storage], or remove it to use the default AWS credential chain (environment, ~/.aws, IAM role)", log)
}
