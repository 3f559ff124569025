package faults_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/testbed"
)

// runTimeout bounds one medusa command of the suite.
const runTimeout = 5 * time.Minute

// env is one medusa.ini of the suite: the shared node, the S3 server
// through the fault proxy, its own storage prefix.
type env struct {
	t      *testing.T
	ini    string
	prefix string
	dir    string
	// extraEnv is added to medusa's environment (after the test's, minus
	// its AWS_ variables).
	extraEnv []string
}

// newEnv writes a medusa.ini for prefix; extra sets more keys.
func newEnv(t *testing.T, prefix string, extra map[string]map[string]string) *env {
	t.Helper()
	return newEnvOn(t, bed.node, prefix, extra)
}

// newEnvOn is newEnv for another node than the shared one.
func newEnvOn(t *testing.T, node *testbed.Node, prefix string, extra map[string]map[string]string) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{t: t, ini: filepath.Join(dir, "medusa.ini"), prefix: prefix, dir: dir}
	ex := map[string]map[string]string{"storage": {
		"port":                        strconv.Itoa(bed.proxy.Port),
		"multi_part_upload_threshold": "65536",
		"multipart_chunksize":         "5MB",
		"concurrent_transfers":        "4",
		"backup_grace_period_in_days": "0",
	}}
	for sec, kv := range extra {
		if ex[sec] == nil {
			ex[sec] = map[string]string{}
		}
		maps.Copy(ex[sec], kv)
	}
	err := testbed.MedusaINI{S3: bed.srv, KeyFile: filepath.Join(dir, "credentials"), User: bed.srv.Restricted,
		Bucket: bed.srv.Bucket, Prefix: prefix, Node: node, FQDN: node.Host, Extra: ex}.Write(e.ini)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// result is what a user sees of one command.
type result struct {
	args []string
	code int
	out  string // stdout and stderr
	dur  time.Duration
}

var errorLine = regexp.MustCompile(`(?i)\b(error|failed|interrupted|refus|incomplete|not complete|does not exist|already exists)`)

// logStamp is the timestamp of a log line; tmpPath a temporary path of
// this machine. Both are dropped from the results table.
var (
	logStamp = regexp.MustCompile(`^\[[0-9-]+ [0-9:,]+\] `)
	tmpPath  = regexp.MustCompile("/tmp/[^\\s\"=,;:`]*")
)

// message is the line a user reads first: after a failure the first
// error-like line, else the last line.
func (r result) message() string {
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	msg := lines[len(lines)-1]
	if r.code != 0 {
		for _, l := range lines {
			if errorLine.MatchString(l) {
				msg = l
				break
			}
		}
	}
	msg = logStamp.ReplaceAllString(strings.TrimSpace(msg), "")
	return tmpPath.ReplaceAllString(msg, "<tmp>")
}

// saw is "exit N: <message>" for the results table.
func (r result) saw() string { return fmt.Sprintf("exit %d: %s", r.code, clip(r.message(), 160)) }

// sawFirst is saw with, when the command succeeded, the first line
// matching re as the message (else the last line).
func (r result) sawFirst(re *regexp.Regexp) string {
	if r.code == 0 {
		for _, l := range strings.Split(r.out, "\n") {
			if re.MatchString(l) {
				l = tmpPath.ReplaceAllString(logStamp.ReplaceAllString(strings.TrimSpace(l), ""), "<tmp>")
				return fmt.Sprintf("exit 0: %s", clip(l, 160))
			}
		}
	}
	return r.saw()
}

func (r result) String() string {
	return fmt.Sprintf("medusa %s: exit %d after %s\n%s", strings.Join(r.args, " "), r.code, r.dur.Round(time.Millisecond), r.out)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// command prepares a run of the binary with args.
func (e *env) command(ctx context.Context, out *bytes.Buffer, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bed.bin, append([]string{"--config-file", e.ini}, args...)...)
	cmd.Env = append(append(cleanEnv(), "TMPDIR="+bed.tmp, "TZ=UTC"), e.extraEnv...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGKILL) }
	return cmd
}

// cleanEnv is the test's environment without AWS settings, so only the
// ini's key_file gives credentials.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			out = append(out, kv)
		}
	}
	return out
}

// run runs medusa with args to its end.
func (e *env) run(args ...string) result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.t.Context(), runTimeout)
	defer cancel()
	var out bytes.Buffer
	began := time.Now()
	err := e.command(ctx, &out, args...).Run()
	return finished(args, err, out.String(), time.Since(began), e.t)
}

// runFor runs medusa with args for at most d, then sends sig.
func (e *env) runFor(d time.Duration, sig syscall.Signal, args ...string) result {
	e.t.Helper()
	var out bytes.Buffer
	cmd := e.command(e.t.Context(), &out, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(sig) }
	ctx, cancel := context.WithTimeout(e.t.Context(), d)
	defer cancel()
	began := time.Now()
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	stop := context.AfterFunc(ctx, func() { _ = cmd.Process.Signal(sig) })
	defer stop()
	err := cmd.Wait()
	return finished(args, err, out.String(), time.Since(began), e.t)
}

// finished makes the result of a command that ended with err.
func finished(args []string, err error, out string, d time.Duration, t *testing.T) result {
	t.Helper()
	r := result{args: args, out: out, dur: d}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		r.code = ee.ExitCode()
	case errors.As(err, &ee):
		r.code = -1 // killed
	default:
		t.Fatalf("medusa %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// must runs medusa and fails the test unless it exits 0.
func (e *env) must(args ...string) result {
	e.t.Helper()
	r := e.run(args...)
	if r.code != 0 {
		e.t.Fatalf("%s", r)
	}
	return r
}

// listedComplete returns the backups list-backups shows as finished.
func (e *env) listedComplete() []string {
	e.t.Helper()
	r := e.must("list-backups")
	var out []string
	for _, l := range strings.Split(r.out, "\n") {
		name, rest, ok := strings.Cut(l, " (started: ")
		if ok && !strings.Contains(rest, "Incomplete") && strings.Contains(rest, "finished: ") {
			out = append(out, name)
		}
	}
	return out
}

// completeVerify checks that every backup listed as complete verifies;
// it returns them.
func (e *env) completeVerify() []string {
	e.t.Helper()
	names := e.listedComplete()
	for _, n := range names {
		if r := e.run("verify", "--backup-name", n); r.code != 0 {
			e.t.Errorf("backup %s lists as complete but does not verify: %s", n, r)
		}
	}
	return names
}
