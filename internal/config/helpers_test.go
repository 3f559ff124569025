package config

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// fakeResolver answers from fixed tables; missing entries are errors.
type fakeResolver struct {
	local string
	ips   map[string]string
	names map[string][]string
	err   error // returned by LocalFQDN when set
}

func (f fakeResolver) LocalFQDN(context.Context) (string, error) { return f.local, f.err }

func (f fakeResolver) LookupIP(_ context.Context, host string) (string, error) {
	if ip, ok := f.ips[host]; ok {
		return ip, nil
	}
	return "", fmt.Errorf("lookup %s: no such host", host)
}

func (f fakeResolver) LookupAddr(_ context.Context, addr string) ([]string, error) {
	if n, ok := f.names[addr]; ok {
		return n, nil
	}
	return nil, fmt.Errorf("lookup %s: no PTR record", addr)
}

// testResolver: node1.example.com is 10.0.0.5 and back.
var testResolver = fakeResolver{
	local: "node1.example.com",
	ips:   map[string]string{"node1.example.com": "10.0.0.5"},
	names: map[string][]string{"10.0.0.5": {"node1.example.com"}},
}

// envOf returns an env function backed by m.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// validINI is the smallest valid medusa.ini.
const validINI = "[storage]\nstorage_provider = local\nbucket_name = backups\nbase_path = /mnt/backups\n"

func strp(s string) *string { return &s }

// parseText parses text as "medusa.ini" with testResolver and USER=cassandra
// plus env.
func parseText(t *testing.T, text string, ov Overrides, env map[string]string) (*Config, []Warning, error) {
	t.Helper()
	all := map[string]string{"USER": "cassandra"}
	for k, v := range env {
		all[k] = v
	}
	l := &Loader{Resolver: testResolver}
	return l.Parse(t.Context(), "medusa.ini", strings.NewReader(text), ov, envOf(all))
}

// mustParse parses text and fails the test on any error.
func mustParse(t *testing.T, text string, ov Overrides, env map[string]string) (*Config, []Warning) {
	t.Helper()
	cfg, warns, err := parseText(t, text, ov, env)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return cfg, warns
}

// problemLines returns the lines of a *ValidationError, failing otherwise.
func problemLines(t *testing.T, err error) []string {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error = %v (%T), want *ValidationError", err, err)
	}
	return strings.Split(ve.Error(), "\n")
}

func warningLines(ws []Warning) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.String()
	}
	return out
}

// equalLines fails with both lists when got != want.
func equalLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\ngot:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
