package remote_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/remote"
	"github.com/medusa-go/medusa/internal/testbed"
)

// realSSH starts OpenSSH's sshd on 127.0.0.2 and 127.0.0.3 (127.0.0.2 with
// its own /etc/medusa holding a medusa.ini) and returns it with an [ssh]
// section that logs in to it, host keys checked strictly.
func realSSH(t *testing.T) (*testbed.SSHD, config.SSH, string) {
	t.Helper()
	dir := t.TempDir()
	etc := filepath.Join(dir, "etc")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(etc, "medusa.ini"), []byte("[storage]\nfqdn = 127.0.0.2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	s := testbed.SSHDT(t, testbed.SSHDOptions{Hosts: []string{"127.0.0.2", "127.0.0.3"},
		EtcMedusa: map[string]string{"127.0.0.2": etc}, TmpDir: map[string]string{"127.0.0.2": dir}})
	t.Logf("sshd on 127.0.0.2-3 port %d up in %s", s.Port, time.Since(began).Round(time.Millisecond))
	cfg := config.SSH{Username: s.User, KeyFile: s.ClientKey, Port: s.Port, KnownHostsFile: s.KnownHosts,
		HostKeyPolicy: config.HostKeyStrict, KeepaliveSeconds: 5}
	return s, cfg, dir
}

func newExec(t *testing.T, cfg config.SSH) *remote.SSH {
	t.Helper()
	e, err := remote.NewSSH(cfg, remote.SSHOptions{Getenv: func(string) string { return "" }, KillGrace: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// TestSSHRealServer runs commands through OpenSSH's sshd: output, exit
// status, the node's own /etc/medusa and TMPDIR, working directory, pty,
// login shell, parallel sessions on one connection, certificate login.
func TestSSHRealServer(t *testing.T) {
	s, cfg, tmp := realSSH(t)
	e := newExec(t, cfg)
	ctx := t.Context()
	run := func(cmd remote.Command) (string, string, error) {
		var out, errb strings.Builder
		err := e.Run(ctx, "127.0.0.2", cmd, &out, &errb)
		return out.String(), errb.String(), err
	}
	out, errs, err := run(remote.Command{Argv: []string{"sh", "-c", `cat /etc/medusa/medusa.ini; echo "tmp=$TMPDIR"; echo oops >&2`}})
	if err != nil || !strings.Contains(out, "fqdn = 127.0.0.2") || !strings.Contains(out, "tmp="+tmp) || errs != "oops\n" {
		t.Errorf("run: %v\nstdout %q\nstderr %q", err, out, errs)
	}
	_, _, err = run(remote.Command{Argv: []string{"sh", "-c", "exit 7"}})
	if code, ok := remote.ExitCode(err); !ok || code != 7 {
		t.Errorf("exit 7: err = %v", err)
	}
	work := filepath.Join(tmp, "work dir")
	if out, _, err := run(remote.Command{Argv: []string{"pwd"}, Dir: work}); err != nil || strings.TrimSpace(out) != work {
		t.Errorf("Dir: %v %q", err, out)
	}
	// 2 MB of output streams through.
	if out, _, err := run(remote.Command{Argv: []string{"seq", "1", "300000"}}); err != nil || strings.Count(out, "\n") != 300000 {
		t.Errorf("seq: %v, %d lines", err, strings.Count(out, "\n"))
	}
	// Parallel sessions on the one connection.
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out strings.Builder
			if err := e.Run(ctx, "127.0.0.2", remote.Command{Argv: []string{"echo", strconv.Itoa(i)}}, &out, io.Discard); err != nil {
				errc <- err
			} else if strings.TrimSpace(out.String()) != strconv.Itoa(i) {
				errc <- fmt.Errorf("echo %d printed %q", i, out.String())
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Errorf("parallel run: %v", err)
	}

	pty := cfg
	pty.UsePTY, pty.LoginShell = true, true
	if out, _, err := newExecRun(t, pty, "127.0.0.3", "sh", "-c", "test -t 1 && echo has-pty"); err != nil || strings.TrimSpace(out) != "has-pty" {
		t.Errorf("use_pty + login_shell: %q: %v", out, err)
	}

	// A certificate signed by the CA the servers trust.
	key := filepath.Join(t.TempDir(), "id_cert")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	certFile, err := s.SignUserCert(key)
	if err != nil {
		t.Fatal(err)
	}
	certCfg := cfg
	certCfg.KeyFile = key
	if _, _, err := newExecRun(t, certCfg, "127.0.0.2", "true"); err == nil {
		t.Error("a key neither authorized nor certified logged in")
	}
	certCfg.CertFile = certFile
	if _, _, err := newExecRun(t, certCfg, "127.0.0.2", "true"); err != nil {
		t.Errorf("certificate login: %v", err)
	}
}

func newExecRun(t *testing.T, cfg config.SSH, host string, argv ...string) (string, string, error) {
	t.Helper()
	e, err := remote.NewSSH(cfg, remote.SSHOptions{Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var out, errb strings.Builder
	err = e.Run(t.Context(), host, remote.Command{Argv: argv}, &out, &errb)
	return out.String(), errb.String(), err
}

// TestSSHRealCancel: a cancelled Run sends SIGTERM to the command on the
// host (it is gone afterwards) and returns context.Canceled.
func TestSSHRealCancel(t *testing.T) {
	_, cfg, tmp := realSSH(t)
	e := newExec(t, cfg)
	pidFile := filepath.Join(tmp, "pid")
	script := fmt.Sprintf(`echo $$ > %s; trap 'echo got-term >&2; exit 143' TERM; echo ready; while :; do sleep 0.1; done`, pidFile)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var errb strings.Builder
	ready := make(chan struct{})
	out := &remote.PrefixWriter{Line: func(l string) {
		if l == "ready" {
			close(ready)
		}
	}}
	done := make(chan error, 1)
	go func() {
		done <- e.Run(ctx, "127.0.0.2", remote.Command{Argv: []string{"sh", "-c", script}}, out, &errb)
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("the command ended early: %v (stderr %q)", err, errb.String())
	case <-time.After(20 * time.Second):
		t.Fatal("the command did not start")
	}
	began := time.Now()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	t.Logf("cancelled in %s", time.Since(began).Round(time.Millisecond))
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	deadline := time.Now().Add(5 * time.Second)
	for pid > 0 && syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("the command (pid %d) still runs on the host after the cancel", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(errb.String(), "got-term") {
		t.Errorf("the command saw no SIGTERM (stderr %q)", errb.String())
	}
}

// TestSSHRealHostKeys: a host missing from known_hosts is refused with the
// command that adds it, which works as printed; accept-new adds a host on
// first use; a host that is not listening is named.
func TestSSHRealHostKeys(t *testing.T) {
	s, cfg, _ := realSSH(t)
	known := filepath.Join(t.TempDir(), "known_hosts")
	cfg.KnownHostsFile = known
	err := newExec(t, cfg).Check(t.Context(), "127.0.0.2")
	want := fmt.Sprintf("ssh-keyscan -p %d 127.0.0.2 >> %s", s.Port, known)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("unknown host: err = %v, want it to say %q", err, want)
	}
	if out, err := exec.Command("sh", "-c", want+" 2>/dev/null").CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", want, err, out)
	}
	if err := newExec(t, cfg).Check(t.Context(), "127.0.0.2"); err != nil {
		t.Errorf("after %s: %v", want, err)
	}

	cfg.HostKeyPolicy = config.HostKeyAcceptNew
	if _, _, err := newExecRun(t, cfg, "127.0.0.3", "true"); err != nil {
		t.Fatalf("accept-new: %v", err)
	}
	b, _ := os.ReadFile(known)
	if !strings.Contains(string(b), fmt.Sprintf("[127.0.0.3]:%d ssh-ed25519 ", s.Port)) {
		t.Errorf("known_hosts after accept-new lacks [127.0.0.3]:%d:\n%s", s.Port, b)
	}
	// The system ssh client accepts the file we wrote.
	args := s.SSHArgs("127.0.0.3")
	for i, a := range args {
		if a == "UserKnownHostsFile="+s.KnownHosts {
			args[i] = "UserKnownHostsFile=" + known
		}
	}
	if out, err := exec.Command("ssh", append(args, "true")...).CombinedOutput(); err != nil {
		t.Errorf("ssh with our known_hosts: %v\n%s", err, out)
	}

	err = newExec(t, cfg).Check(t.Context(), "127.0.0.9")
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%s@127.0.0.9:%d", cfg.Username, s.Port)) {
		t.Errorf("no server: err = %v", err)
	}
}
