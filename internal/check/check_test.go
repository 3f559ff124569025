package check

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestRunAndRender(t *testing.T) {
	checks := []Check{
		{Name: "a/ok", Run: func(context.Context) Result { return ok("fine") }},
		{Name: "a/warn", Run: func(context.Context) Result { return warn("do this", "hm") }},
		{Name: "a/slow", Run: func(ctx context.Context) Result { <-ctx.Done(); return warn("x", "late") }},
		{Name: "a/skip", Run: func(context.Context) Result { return skip("n/a") }},
	}
	var streamed []string
	rep := Run(t.Context(), checks, 20*time.Millisecond, func(r Result) { streamed = append(streamed, r.Name) })
	if rep.OK != 1 || rep.Warn != 1 || rep.Fail != 1 || rep.Skip != 1 || !rep.Failed() {
		t.Errorf("counts %+v", rep)
	}
	if len(streamed) != 4 {
		t.Errorf("streamed %v", streamed)
	}
	if r := rep.Results[2]; r.Status != FAIL || !strings.Contains(r.Detail, "no answer within 20ms") {
		t.Errorf("a check that outlives its timeout: %+v", r)
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"OK    a/ok", "WARN  a/warn", "-> do this", "FAIL  a/slow", "1 ok, 1 warnings, 1 failed, 1 skipped: fix the FAIL lines"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, text.String())
		}
	}
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back.Results) != 4 || back.Fail != 1 || back.Results[1].Fix != "do this" {
		t.Errorf("JSON round trip: %v %+v\n%s", err, back, js.String())
	}
}

func TestCredentialsSource(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name   string
		creds  aws.Credentials
		status Status
		want   []string
	}{
		{"key file", aws.Credentials{AccessKeyID: "AKIAABCDEFGHWXYZ", SecretAccessKey: "s3cr3t", Source: "medusa key_file /etc/medusa/credentials (profile default)"},
			OK, []string{"****WXYZ", "from medusa key_file /etc/medusa/credentials (profile default)"}},
		{"instance role", aws.Credentials{AccessKeyID: "ASIAROLE1234", SecretAccessKey: "s3cr3t", SessionToken: "SESSIONTOKEN", Source: "EC2RoleProvider",
			CanExpire: true, Expires: now.Add(5 * time.Minute)}, OK, []string{"EC2RoleProvider", "expire at 2026-01-02T03:09:05Z", "refreshed automatically"}},
		{"web identity", aws.Credentials{AccessKeyID: "ASIAWEB12345", SecretAccessKey: "s3cr3t", SessionToken: "SESSIONTOKEN", Source: "WebIdentityCredentials",
			CanExpire: true, Expires: now.Add(time.Hour)}, OK, []string{"WebIdentityCredentials", "in 1h0m0s"}},
		{"expired", aws.Credentials{AccessKeyID: "ASIAOLD12345", SecretAccessKey: "s3cr3t", SessionToken: "SESSIONTOKEN", Source: "SharedConfigCredentials: x",
			CanExpire: true, Expires: now.Add(-time.Minute)}, FAIL, []string{"expired at 2026-01-02T03:03:05Z"}},
		{"expiring, not refreshed", aws.Credentials{AccessKeyID: "ASIASOON1234", SecretAccessKey: "s3cr3t", SessionToken: "SESSIONTOKEN", Source: "EnvConfigCredentials",
			CanExpire: true, Expires: now.Add(10 * time.Minute)}, WARN, []string{"in 10m0s"}},
		{"session token in a file", aws.Credentials{AccessKeyID: "ASIAFILE1234", SecretAccessKey: "s3cr3t", SessionToken: "SESSIONTOKEN", Source: "medusa key_file f (profile p)"},
			WARN, []string{"session token without a known expiry"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &S3{Now: func() time.Time { return now },
				Credentials: func(context.Context) (aws.Credentials, error) { return c.creds, nil }}
			r := s.checkCredentials(t.Context())
			if r.Status != c.status {
				t.Errorf("status %s, want %s: %s", r.Status, c.status, r.Detail)
			}
			for _, w := range c.want {
				if !strings.Contains(r.Detail, w) {
					t.Errorf("%q lacks %q", r.Detail, w)
				}
			}
			if strings.Contains(r.Detail+r.Fix, "s3cr3t") || strings.Contains(r.Detail+r.Fix, "SESSIONTOKEN") || strings.Contains(r.Detail, c.creds.AccessKeyID) {
				t.Errorf("a secret or the whole key id is printed: %s", r.Detail)
			}
		})
	}
}

func TestKeyFileMode(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		mode   os.FileMode
		status Status
		want   string
	}{
		{0o600, OK, "mode 0600"},
		{0o400, OK, "mode 0400"},
		{0o640, WARN, "readable by its group"},
		{0o644, FAIL, "readable by every user"},
		{0o620, FAIL, "writable by group or others"},
	} {
		p := filepath.Join(dir, c.mode.String())
		if err := os.WriteFile(p, []byte("[default]\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, c.mode); err != nil {
			t.Fatal(err)
		}
		r := KeyFileMode(p, "AWS credentials file")
		if r.Status != c.status || !strings.Contains(r.Detail, c.want) {
			t.Errorf("mode %#o: %s %q, want %s %q", c.mode, r.Status, r.Detail, c.status, c.want)
		}
		if c.status != OK && !strings.Contains(r.Fix, "chmod 600 "+p) {
			t.Errorf("mode %#o: fix %q", c.mode, r.Fix)
		}
	}
	if r := KeyFileMode(filepath.Join(dir, "missing"), "x"); r.Status != FAIL {
		t.Errorf("missing file: %+v", r)
	}
}

func TestTempDir(t *testing.T) {
	dir := t.TempDir()
	c := &Cassandra{TempDir: dir,
		FreeBytes:     func(string) (uint64, error) { return 10 << 30, nil },
		LargestBackup: func(context.Context) (string, int64, error) { return "b7", 12 << 30, nil }}
	r := c.checkTempDir(t.Context())
	if r.Status != FAIL || !strings.Contains(r.Detail, "10.0 GiB free, less than the node's largest backup b7 (12.0 GiB)") ||
		!strings.Contains(r.Fix, "free 2.0 GiB") {
		t.Errorf("%+v", r)
	}
	c.LargestBackup = func(context.Context) (string, int64, error) { return "", 0, nil }
	if r := c.checkTempDir(t.Context()); r.Status != OK || !strings.Contains(r.Detail, "no backup yet") {
		t.Errorf("%+v", r)
	}
	c.FreeBytes = nil // statfs of a real directory
	c.LargestBackup = func(context.Context) (string, int64, error) { return "b1", 1, nil }
	if r := c.checkTempDir(t.Context()); r.Status != OK || !strings.Contains(r.Detail, "room for the node's largest backup b1") {
		t.Errorf("%+v", r)
	}
	c.TempDir = filepath.Join(dir, "nope")
	if r := c.checkTempDir(t.Context()); r.Status != FAIL {
		t.Errorf("%+v", r)
	}
}

func TestSSHKnownHosts(t *testing.T) {
	s := &SSH{KnownHostsFile: filepath.Join(t.TempDir(), "known_hosts"), Strict: true}
	if r := s.checkKnownHosts(t.Context()); r.Status != WARN || !strings.Contains(r.Fix, "ssh-keyscan") {
		t.Errorf("strict, no file: %+v", r)
	}
	s.Strict = false
	if r := s.checkKnownHosts(t.Context()); r.Status != OK {
		t.Errorf("accept-new, no file: %+v", r)
	}
}
