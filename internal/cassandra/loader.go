package cassandra

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// SSTableLoader runs Cassandra's sstableloader the way Medusa's
// restore-node --use-sstableloader does:
//
//	<bin> -d <host> --conf-path <cassandra.yaml> --username <u|foo> --password <p|foo>
//	  --no-progress --port <native port> [--storage-port <p> unless 7000]
//	  [-ts <truststore> -tspw <pw> -ks <keystore> -kspw <pw>] <table dir>
//
// Passwords never appear in errors or in Redacted.
type SSTableLoader struct {
	Bin         string // sstableloader_bin (default "sstableloader")
	Host        string // -d
	ConfigFile  string // --conf-path
	Username    string // cql_username ("foo" when unset, as Medusa)
	Password    string // cql_password ("foo" when unset)
	NativePort  int
	StoragePort int
	// The four TLS settings are passed only when all are set.
	Truststore, TruststorePassword, Keystore, KeystorePassword string
}

// Args returns the command line for one table directory.
func (l SSTableLoader) Args(dir string) []string {
	bin := l.Bin
	if bin == "" {
		bin = "sstableloader"
	}
	user, pw := l.Username, l.Password
	if user == "" {
		user = "foo"
	}
	if pw == "" {
		pw = "foo"
	}
	args := []string{bin, "-d", l.Host, "--conf-path", l.ConfigFile, "--username", user,
		"--password", pw, "--no-progress"}
	if l.NativePort > 0 {
		args = append(args, "--port", strconv.Itoa(l.NativePort))
	}
	if l.StoragePort > 0 && l.StoragePort != 7000 {
		args = append(args, "--storage-port", strconv.Itoa(l.StoragePort))
	}
	if l.Truststore != "" && l.TruststorePassword != "" && l.Keystore != "" && l.KeystorePassword != "" {
		args = append(args, "-ts", l.Truststore, "-tspw", l.TruststorePassword,
			"-ks", l.Keystore, "-kspw", l.KeystorePassword)
	}
	return append(args, dir)
}

// Redacted renders the command line for dir with every password hidden.
func (l SSTableLoader) Redacted(dir string) string {
	args := l.Args(dir)
	for i := 1; i < len(args); i++ {
		switch args[i-1] {
		case "--password", "-tspw", "-kspw":
			args[i] = "<redacted>"
		}
	}
	return strings.Join(args, " ")
}

// Load streams the SSTables of one table directory (<...>/<keyspace>/<table
// dir>) into the cluster and returns the loader's output.
func (l SSTableLoader) Load(ctx context.Context, dir string) (string, error) {
	args := l.Args(dir)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s: %w: %s", l.Redacted(dir), err, loaderCause(out.String()))
	}
	if skipped := skippedFiles(out.String()); len(skipped) > 0 {
		return out.String(), fmt.Errorf("%s: sstableloader exited 0 but did not load every file (does the table "+
			"exist in the cluster?): %s", l.Redacted(dir), strings.Join(skipped, " | "))
	}
	return out.String(), nil
}

// skippedFiles returns the loader's "Skipping file ..." lines: a file it
// could not open, or whose table the cluster does not have. sstableloader
// still exits 0 then, having loaded nothing of it.
func skippedFiles(out string) []string {
	var lines []string
	for _, line := range strings.Split(out, "\n") {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, "Skipping file") {
			lines = append(lines, line)
		}
	}
	return lines
}

// loaderCause picks what says why sstableloader failed from its output:
// the first exception or error line and the last "Caused by:" line (a
// Java stack trace's frames say nothing to an operator), else the last
// lines.
func loaderCause(out string) string {
	var first, cause string
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "at ") || line == "":
		case strings.HasPrefix(line, "Caused by:"):
			cause = line
		case first == "" && (strings.Contains(line, "Exception") || strings.Contains(line, "ERROR") ||
			strings.HasPrefix(line, "Error")):
			first = line
		}
	}
	switch {
	case first != "" && cause != "":
		return first + " | " + cause
	case first != "":
		return first
	case cause != "":
		return cause
	}
	return lastLines(out, 8)
}
