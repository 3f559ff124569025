package remote

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/medusa-go/medusa/internal/config"
)

// sshFixture is a fake server with an authorized client key and a
// known_hosts file that knows it.
type sshFixture struct {
	srv   *fakeSSH
	dir   string
	key   string
	host  string
	port  int
	known string
	stop  chan struct{}
}

func newSSHFixture(t *testing.T) *sshFixture {
	t.Helper()
	x := &sshFixture{srv: newFakeSSH(t), dir: t.TempDir(), stop: make(chan struct{})}
	t.Cleanup(func() { close(x.stop) })
	var signer ssh.Signer
	x.key, signer = writeKey(t, x.dir, "id_ed25519", "")
	x.srv.Authorize(signer.PublicKey())
	h, p, _ := net.SplitHostPort(x.srv.Addr)
	x.host = h
	fmt.Sscan(p, &x.port)
	x.known = filepath.Join(x.dir, "known_hosts")
	line := knownhosts.Line([]string{knownhosts.Normalize(x.srv.Addr)}, x.srv.HostKey.PublicKey()) + "\n"
	if err := os.WriteFile(x.known, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	x.srv.Handler = x.handle
	return x
}

// handle plays a few commands by name.
func (x *sshFixture) handle(cmd string, stdout, stderr io.Writer, signals <-chan string) int {
	switch {
	case strings.Contains(cmd, "say-hello"):
		fmt.Fprintln(stdout, "hello")
		fmt.Fprintln(stderr, "a warning")
		return 0
	case strings.Contains(cmd, "exit-3"):
		return 3
	case strings.Contains(cmd, "wait-term"):
		select {
		case sig := <-signals:
			fmt.Fprintln(stderr, "got", sig)
			return 143
		case <-x.stop:
			return 1
		}
	case strings.Contains(cmd, "hang"):
		<-x.stop
		return 1
	case strings.Contains(cmd, "no-status"):
		return -1
	}
	return 0
}

func (x *sshFixture) cfg() config.SSH {
	return config.SSH{Username: "medusa", KeyFile: x.key, Port: x.port, KnownHostsFile: x.known,
		HostKeyPolicy: config.HostKeyStrict}
}

func (x *sshFixture) executor(t *testing.T, cfg config.SSH) *SSH {
	t.Helper()
	e, err := NewSSH(cfg, x.opts())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func (x *sshFixture) opts() SSHOptions {
	return SSHOptions{Home: x.dir, Getenv: func(string) string { return "" }, ConnectTimeout: 5 * time.Second,
		KillGrace: time.Second}
}

func TestSSHRunExitCodesAndOutput(t *testing.T) {
	t.Parallel()
	x := newSSHFixture(t)
	e := x.executor(t, x.cfg())
	var out, errb strings.Builder
	if err := e.Run(t.Context(), x.host, Command{Argv: []string{"medusa", "say-hello", "a b"}}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if out.String() != "hello\n" || errb.String() != "a warning\n" {
		t.Errorf("stdout %q stderr %q", out.String(), errb.String())
	}
	// One PrefixWriter for both streams (as the cluster runner does).
	var both strings.Builder
	pw := &PrefixWriter{W: &both, Prefix: "[h] "}
	for range 20 {
		if err := e.Run(t.Context(), x.host, Command{Argv: []string{"medusa", "say-hello"}}, pw, pw); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(both.String(), "[h] hello\n"); n != 20 || strings.Count(both.String(), "[h] a warning\n") != 20 {
		t.Errorf("shared writer: %d hello lines of 20:\n%s", n, both.String())
	}
	err := e.Run(t.Context(), x.host, Command{Argv: []string{"medusa", "exit-3"}}, io.Discard, io.Discard)
	if code, ok := ExitCode(err); !ok || code != 3 || !strings.Contains(err.Error(), x.host) {
		t.Errorf("exit 3: err = %v", err)
	}
	if err := e.Check(t.Context(), x.host); err != nil {
		t.Fatal(err)
	}
	if n := x.srv.handshakes.Load(); n != 1 {
		t.Errorf("%d connections for 22 runs and a check, want 1", n)
	}
	_ = e.Run(t.Context(), x.host, Command{Argv: []string{"medusa", "x"}, Dir: "/var/tmp/a b", Sudo: true}, io.Discard, io.Discard)
	cmds := x.srv.Commands()
	want := []string{"medusa say-hello 'a b' 3<&- </dev/null &", "medusa exit-3 3<&- </dev/null &",
		"{ mkdir -p '/var/tmp/a b' && cd '/var/tmp/a b'; } || exit 1; exec 3<&0; ", "; sudo -n -- medusa x 3<&- </dev/null &"}
	if len(cmds) != 23 {
		t.Fatalf("commands sent: %q", cmds)
	}
	cmds = []string{cmds[0], cmds[21], cmds[22], cmds[22]} // without the 20 runs of the shared writer
	for i, w := range want {
		if !strings.Contains(cmds[i], w) {
			t.Errorf("command %d sent: %q, want it to contain %q", i, cmds[i], w)
		}
	}
}

func TestSSHLoginShellAndPTY(t *testing.T) {
	t.Parallel()
	x := newSSHFixture(t)
	cfg := x.cfg()
	cfg.LoginShell, cfg.UsePTY = true, true
	e := x.executor(t, cfg)
	if err := e.Run(t.Context(), x.host, Command{Argv: []string{"medusa", "it's"}}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	plain := &SSH{cfg: cfg}
	plain.cfg.LoginShell = false
	want := `exec "${SHELL:-/bin/sh}" -lc ` + Quote(plain.line(Command{Argv: []string{"medusa", "it's"}}))
	if got := x.srv.Commands(); len(got) != 1 || got[0] != want {
		t.Errorf("command = %q, want %q", got, want)
	}
	if x.srv.ptys != 1 {
		t.Errorf("pty requests = %d, want 1", x.srv.ptys)
	}
}

func TestSSHHostKeys(t *testing.T) {
	t.Parallel()
	x := newSSHFixture(t)
	unknown := filepath.Join(x.dir, "sub", "known_hosts")

	// Strict: an unknown host is refused, saying what to run.
	cfg := x.cfg()
	cfg.KnownHostsFile = unknown
	err := x.executor(t, cfg).Check(t.Context(), x.host)
	wantCmd := fmt.Sprintf("ssh-keyscan -p %d %s >> %s", x.port, x.host, unknown)
	if err == nil || !strings.Contains(err.Error(), wantCmd) || !strings.Contains(err.Error(), "host_key_policy = accept-new") ||
		!strings.Contains(err.Error(), "medusa@"+x.srv.Addr) {
		t.Fatalf("unknown host: err = %v, want the ssh-keyscan line %q", err, wantCmd)
	}

	// accept-new adds it; a strict executor then knows it.
	cfg.HostKeyPolicy = config.HostKeyAcceptNew
	if err := x.executor(t, cfg).Check(t.Context(), x.host); err != nil {
		t.Fatalf("accept-new: %v", err)
	}
	b, _ := os.ReadFile(unknown)
	if !strings.HasPrefix(string(b), knownhosts.Normalize(x.srv.Addr)+" ssh-ed25519 ") {
		t.Errorf("known_hosts after accept-new:\n%s", b)
	}
	cfg.HostKeyPolicy = config.HostKeyStrict
	if err := x.executor(t, cfg).Check(t.Context(), x.host); err != nil {
		t.Fatalf("strict after accept-new: %v", err)
	}

	// A changed key is refused, accept-new or not.
	other := newSigner(t)
	line := knownhosts.Line([]string{knownhosts.Normalize(x.srv.Addr)}, other.PublicKey()) + "\n"
	if err := os.WriteFile(x.known, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg = x.cfg()
	cfg.HostKeyPolicy = config.HostKeyAcceptNew
	err = x.executor(t, cfg).Check(t.Context(), x.host)
	if err == nil || !strings.Contains(err.Error(), "CHANGED") || !strings.Contains(err.Error(), "ssh-keygen -R") {
		t.Errorf("changed key: err = %v", err)
	}
	if b, _ := os.ReadFile(x.known); string(b) != line {
		t.Errorf("known_hosts changed after a refused key:\n%s", b)
	}
}

func TestSSHAuth(t *testing.T) {
	t.Parallel()
	x := newSSHFixture(t)

	// A key the server does not accept: the error names user, host, port
	// and the key file.
	cfg := x.cfg()
	cfg.KeyFile, _ = writeKey(t, x.dir, "other", "")
	err := x.executor(t, cfg).Check(t.Context(), x.host)
	if err == nil || !strings.Contains(err.Error(), "medusa@"+x.srv.Addr) || !strings.Contains(err.Error(), cfg.KeyFile) ||
		!strings.Contains(err.Error(), "login refused") {
		t.Errorf("refused key: err = %v", err)
	}

	// No username.
	nouser := x.cfg()
	nouser.Username = ""
	if _, err := NewSSH(nouser, x.opts()); !IsConfigError(err) || !strings.Contains(err.Error(), "[ssh] username") {
		t.Errorf("no username: err = %v", err)
	}

	// An encrypted key: a clear error, nothing of the key in it.
	cfg.KeyFile, _ = writeKey(t, x.dir, "encrypted", "s3cret-pass")
	_, err = NewSSH(cfg, x.opts())
	if !IsConfigError(err) || !strings.Contains(err.Error(), "passphrase") || strings.Contains(err.Error(), "s3cret") ||
		strings.Contains(err.Error(), "PRIVATE KEY") {
		t.Errorf("encrypted key: err = %v", err)
	}

	// Not a key at all.
	bad := filepath.Join(x.dir, "bad")
	_ = os.WriteFile(bad, []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAsecret\n-----END OPENSSH PRIVATE KEY-----\n"), 0o600)
	cfg.KeyFile = bad
	if _, err = NewSSH(cfg, x.opts()); err == nil || strings.Contains(err.Error(), "AAAAsecret") || !strings.Contains(err.Error(), bad) {
		t.Errorf("bad key: err = %v", err)
	}

	// No key_file, no agent, no default key: says what was tried.
	cfg.KeyFile = ""
	opts := x.opts()
	opts.Home = t.TempDir()
	_, err = NewSSH(cfg, opts)
	if err == nil || !strings.Contains(err.Error(), "SSH_AUTH_SOCK") || !strings.Contains(err.Error(), filepath.Join(opts.Home, ".ssh", "id_ed25519")) {
		t.Errorf("no key: err = %v", err)
	}

	// The default key ~/.ssh/id_ed25519.
	if err := os.MkdirAll(filepath.Join(opts.Home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(x.key, filepath.Join(opts.Home, ".ssh", "id_ed25519")); err != nil {
		t.Fatal(err)
	}
	e, err := NewSSH(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := e.Check(t.Context(), x.host); err != nil {
		t.Errorf("default key: %v", err)
	}
}

func TestSSHAgentAndCertificate(t *testing.T) {
	t.Parallel()
	x := newSSHFixture(t)
	ca := newSigner(t)
	x.srv.userCA = ca.PublicKey()

	// A key only the CA vouches for, with its certificate.
	key, signer := writeKey(t, x.dir, "certified", "")
	cert := &ssh.Certificate{Key: signer.PublicKey(), CertType: ssh.UserCert, ValidPrincipals: []string{"medusa"},
		ValidBefore: ssh.CertTimeInfinity}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	certFile := key + "-cert.pub"
	if err := os.WriteFile(certFile, ssh.MarshalAuthorizedKey(cert), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := x.cfg()
	cfg.KeyFile = key
	if err := x.executor(t, cfg).Check(t.Context(), x.host); err == nil {
		t.Fatal("the certified key logged in without its certificate")
	}
	cfg.CertFile = certFile
	if err := x.executor(t, cfg).Check(t.Context(), x.host); err != nil {
		t.Errorf("certificate login: %v", err)
	}
	cfg.CertFile = x.key + ".nope"
	if _, err := NewSSH(cfg, x.opts()); err == nil || !strings.Contains(err.Error(), "cert_file") {
		t.Errorf("missing cert_file: err = %v", err)
	}

	// The agent at $SSH_AUTH_SOCK when key_file is empty.
	sock := filepath.Join(t.TempDir(), "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ring := agent.NewKeyring()
	_, priv := mustRawKey(t, x)
	if err := ring.Add(agent.AddedKey{PrivateKey: priv}); err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _ = agent.ServeAgent(ring, c) }()
		}
	}()
	cfg = x.cfg()
	cfg.KeyFile = ""
	opts := x.opts()
	opts.Getenv = func(k string) string {
		if k == "SSH_AUTH_SOCK" {
			return sock
		}
		return ""
	}
	e, err := NewSSH(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := e.Check(t.Context(), x.host); err != nil {
		t.Errorf("agent login: %v", err)
	}
}

// mustRawKey reads the fixture's client key as a raw private key.
func mustRawKey(t *testing.T, x *sshFixture) (ssh.PublicKey, any) {
	t.Helper()
	b, err := os.ReadFile(x.key)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.ParseRawPrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := ssh.NewSignerFromKey(k)
	return s.PublicKey(), k
}

func TestSSHCancel(t *testing.T) {
	t.Parallel()
	x := newSSHFixture(t)
	e := x.executor(t, x.cfg())
	ctx, cancel := context.WithCancel(t.Context())
	var errb strings.Builder
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx, x.host, Command{Argv: []string{"medusa", "wait-term"}}, io.Discard, &errb) }()
	time.Sleep(200 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if !strings.Contains(errb.String(), "got TERM") {
		t.Errorf("the command saw no SIGTERM; stderr %q", errb.String())
	}
	// The connection is still usable.
	if err := e.Run(t.Context(), x.host, Command{Argv: []string{"medusa", "say-hello"}}, io.Discard, io.Discard); err != nil {
		t.Errorf("run after a cancelled one: %v", err)
	}
}

func TestSSHDeadPeerAndLostConnection(t *testing.T) {
	t.Parallel()
	x := newSSHFixture(t)
	cfg := x.cfg()
	cfg.KeepaliveSeconds = 1
	e := x.executor(t, cfg)
	err := e.Run(t.Context(), x.host, Command{Argv: []string{"medusa", "no-status"}}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "outcome on the host is unknown") {
		t.Errorf("no exit status: err = %v", err)
	}
	done := make(chan error, 1)
	go func() {
		done <- e.Run(t.Context(), x.host, Command{Argv: []string{"medusa", "backup", "hang"}}, io.Discard, io.Discard)
	}()
	time.Sleep(300 * time.Millisecond)
	x.srv.Freeze()
	began := time.Now()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), x.srv.Addr) || !strings.Contains(err.Error(), "outcome on the host is unknown") ||
			!strings.Contains(err.Error(), "keepalive") {
			t.Errorf("dead peer: err = %v", err)
		}
		t.Logf("dead peer noticed after %s: %v", time.Since(began).Round(time.Millisecond), err)
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not notice the dead peer")
	}
}

func TestSSHUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	x := newSSHFixture(t)
	cfg := x.cfg()
	cfg.Port = port
	err = x.executor(t, cfg).Run(t.Context(), "127.0.0.1", Command{Argv: []string{"medusa"}}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("medusa@127.0.0.1:%d", port)) || !strings.Contains(err.Error(), "cannot connect") {
		t.Errorf("closed port: err = %v", err)
	}
}
