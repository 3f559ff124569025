package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/medusa-go/medusa/internal/config"
)

// SSHOptions are the executor's settings that medusa.ini does not hold.
type SSHOptions struct {
	// ConnectTimeout bounds the TCP connection and the SSH handshake with
	// one host (default 10 s).
	ConnectTimeout time.Duration
	// KillGrace is how long a cancelled command is given, after SIGTERM,
	// before its session is closed (default 5 s).
	KillGrace time.Duration
	// Home is the directory "~/" stands for, where the default keys and
	// known_hosts live (default: the home of the user running medusa).
	Home string
	// Getenv reads $SSH_AUTH_SOCK (default os.Getenv).
	Getenv func(string) string
	// Logger receives connection events (default: discarded).
	Logger *slog.Logger
}

// SSH runs commands on hosts over SSH ([ssh] of medusa.ini): one
// connection per host, opened on first use and shared by the commands run
// on that host (a session each). Host keys are checked against a
// known_hosts file. Safe for concurrent use.
type SSH struct {
	cfg   config.SSH
	opts  SSHOptions
	home  string
	auth  *authSetup
	keys  *hostKeys
	mu    sync.Mutex
	conns map[string]*sshConn
}

// sshConn is the connection to one host; ready is closed once the dial
// ended (err set on failure), dead once the connection is gone.
type sshConn struct {
	addr    string
	ready   chan struct{}
	err     error
	client  *ssh.Client
	dead    chan struct{}
	deadErr error
	once    sync.Once
}

func (c *sshConn) kill(err error) {
	c.once.Do(func() {
		c.deadErr = err
		close(c.dead)
		if c.client != nil {
			_ = c.client.Close()
		}
	})
}

// ConfigError is a problem of the [ssh] settings or the files they name
// (key, certificate): the user must fix them, retrying cannot help.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// IsConfigError reports whether err comes from the [ssh] settings (a
// usage error: exit 2).
func IsConfigError(err error) bool {
	var ce *ConfigError
	return errors.As(err, &ce)
}

// NewSSH builds the executor from [ssh]: it reads the key (or finds the
// agent or a default key) now, so that a bad key_file is reported before
// any host is contacted; hosts are dialled on first use.
func NewSSH(cfg config.SSH, opts SSHOptions) (*SSH, error) {
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 10 * time.Second
	}
	if opts.KillGrace <= 0 {
		opts.KillGrace = 5 * time.Second
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Port == 0 {
		cfg.Port = 22
	}
	if cfg.Username == "" {
		return nil, &ConfigError{errors.New("[ssh] username is empty (its default, $USER, is unset): set it, or pass --ssh-username")}
	}
	s := &SSH{cfg: cfg, opts: opts, home: opts.Home, conns: map[string]*sshConn{}}
	if s.home == "" {
		h, err := os.UserHomeDir()
		if err != nil && (cfg.KeyFile == "" || strings.HasPrefix(cfg.KnownHostsFile, "~") || cfg.KnownHostsFile == "") {
			return nil, &ConfigError{errors.New("ssh: the home directory is unknown ($HOME unset); set [ssh] key_file and known_hosts_file to absolute paths")}
		}
		s.home = h
	}
	khf := cfg.KnownHostsFile
	if khf == "" {
		khf = "~/.ssh/known_hosts"
	}
	s.keys = &hostKeys{file: s.expand(khf), acceptNew: cfg.HostKeyPolicy == config.HostKeyAcceptNew}
	if p := cfg.HostKeyPolicy; p != "" && p != config.HostKeyStrict && p != config.HostKeyAcceptNew {
		return nil, &ConfigError{fmt.Errorf("[ssh] host_key_policy = %q: must be %s or %s", p, config.HostKeyStrict, config.HostKeyAcceptNew)}
	}
	auth, err := s.buildAuth(s.expand(cfg.KeyFile), s.expand(cfg.CertFile))
	if err != nil {
		return nil, &ConfigError{err}
	}
	s.auth = auth
	return s, nil
}

// expand replaces a leading "~/" with the home directory.
func (s *SSH) expand(p string) string {
	if p == "~" {
		return s.home
	}
	if strings.HasPrefix(p, "~/") {
		return filepath.Join(s.home, p[2:])
	}
	return p
}

// who is user@host:port, the prefix of every error about host.
func (s *SSH) who(host string) string {
	return "ssh " + s.cfg.Username + "@" + hostAddr(host, s.cfg.Port)
}

// Check connects to host and logs in (once per host; the connection is
// kept for Run).
func (s *SSH) Check(ctx context.Context, host string) error {
	_, err := s.conn(ctx, host)
	return err
}

// conn returns the live connection to host, dialling it when there is
// none (concurrent callers wait for one dial).
func (s *SSH) conn(ctx context.Context, host string) (*sshConn, error) {
	s.mu.Lock()
	c := s.conns[host]
	if c != nil {
		select {
		case <-c.dead:
			c = nil
		default:
		}
	}
	if c == nil {
		c = &sshConn{addr: hostAddr(host, s.cfg.Port), ready: make(chan struct{}), dead: make(chan struct{})}
		s.conns[host] = c
		go s.dial(host, c)
	}
	s.mu.Unlock()
	select {
	case <-c.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if c.err != nil {
		s.mu.Lock()
		if s.conns[host] == c {
			delete(s.conns, host) // the next call dials again
		}
		s.mu.Unlock()
		return nil, c.err
	}
	return c, nil
}

// dial connects and logs in within ConnectTimeout, then watches the
// connection (keepalives, end).
func (s *SSH) dial(host string, c *sshConn) {
	defer close(c.ready)
	began := time.Now()
	d := net.Dialer{Timeout: s.opts.ConnectTimeout}
	tcp, err := d.Dial("tcp", c.addr)
	if err != nil {
		c.err = fmt.Errorf("%s: cannot connect: %w", s.who(host), err)
		c.kill(c.err)
		return
	}
	_ = tcp.SetDeadline(time.Now().Add(s.opts.ConnectTimeout))
	cfg := &ssh.ClientConfig{
		User:              s.cfg.Username,
		Auth:              []ssh.AuthMethod{s.auth.method},
		HostKeyCallback:   s.keys.check,
		HostKeyAlgorithms: s.keys.algorithms(c.addr),
		Timeout:           s.opts.ConnectTimeout,
	}
	conn, chans, reqs, err := ssh.NewClientConn(tcp, c.addr, cfg)
	if err != nil {
		_ = tcp.Close()
		c.err = s.dialError(host, err, began)
		c.kill(c.err)
		return
	}
	_ = tcp.SetDeadline(time.Time{})
	c.client = ssh.NewClient(conn, chans, reqs)
	s.opts.Logger.Debug("ssh connected", "host", c.addr, "user", s.cfg.Username, "took", time.Since(began).Round(time.Millisecond))
	go func() {
		err := c.client.Wait()
		c.kill(fmt.Errorf("connection closed (%v)", err))
	}()
	if s.cfg.KeepaliveSeconds > 0 {
		go s.keepalive(c, time.Duration(s.cfg.KeepaliveSeconds)*time.Second)
	}
}

// dialError explains a failed handshake.
func (s *SSH) dialError(host string, err error, began time.Time) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "unable to authenticate"):
		return fmt.Errorf("%s: login refused: the server accepted none of %s; add the public key to ~%s/.ssh/authorized_keys on %s, or set [ssh] username / key_file",
			s.who(host), s.auth.desc, s.cfg.Username, host)
	case errors.Is(err, os.ErrDeadlineExceeded) || strings.Contains(msg, "i/o timeout"):
		return fmt.Errorf("%s: no SSH handshake within %s (is an SSH server listening on that port?)", s.who(host), time.Since(began).Round(time.Second))
	}
	return fmt.Errorf("%s: %w", s.who(host), err)
}

// keepalive sends keepalive@openssh.com every interval; a connection that
// leaves one unanswered for three intervals is closed as dead.
func (s *SSH) keepalive(c *sshConn, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-c.dead:
			return
		}
		res := make(chan error, 1)
		go func() {
			_, _, err := c.client.SendRequest("keepalive@openssh.com", true, nil)
			res <- err
		}()
		select {
		case err := <-res:
			if err != nil {
				c.kill(fmt.Errorf("keepalive failed: %v", err))
				return
			}
		case <-time.After(3 * interval):
			c.kill(fmt.Errorf("no answer to SSH keepalives for %s ([ssh] keepalive_seconds = %d)", 3*interval, s.cfg.KeepaliveSeconds))
			return
		case <-c.dead:
			return
		}
	}
}

// Close closes every connection (and the agent's).
func (s *SSH) Close() error {
	s.mu.Lock()
	conns := s.conns
	s.conns = map[string]*sshConn{}
	s.mu.Unlock()
	for _, c := range conns {
		<-c.ready
		c.kill(errors.New("executor closed"))
	}
	if s.auth != nil && s.auth.agent != nil {
		return s.auth.agent.Close()
	}
	return nil
}

// line is the shell line sent for cmd. The command runs in the
// background of the remote shell, which passes on SIGTERM, SIGHUP and
// SIGINT to it and also sends it SIGTERM when the session's standard input
// ends (the session closed or the connection dropped): sshd delivers
// signal requests only to non-root logins, so the end of input is what
// stops a cancelled command everywhere. The shell exits with the command's
// status.
func (s *SSH) line(cmd Command) string {
	c := cmd
	c.Dir = ""
	// The trap is set before the command starts, so a SIGTERM that comes
	// early ends the line instead of leaving the command orphaned.
	line := "exec 3<&0; p=; trap 'if [ -n \"$p\" ]; then kill -TERM $p 2>/dev/null; else exit 143; fi' TERM HUP INT; " +
		c.String() + " 3<&- </dev/null & p=$!; " +
		"(read -r eof <&3; kill -TERM $p) >/dev/null 2>&1 & w=$!; exec 3<&-; " +
		"wait $p; s=$?; while [ $s -gt 128 ] && kill -0 $p 2>/dev/null; do wait $p; s=$?; done; " +
		"kill $w 2>/dev/null; exit $s"
	if cmd.Dir != "" {
		line = "{ mkdir -p " + Quote(cmd.Dir) + " && cd " + Quote(cmd.Dir) + "; } || exit 1; " + line
	}
	if s.cfg.LoginShell {
		line = `exec "${SHELL:-/bin/sh}" -lc ` + Quote(line)
	}
	return line
}

// Run runs cmd on host in a new session of host's connection. A cancelled
// ctx sends SIGTERM to the command (a signal request, and the end of its
// session's input, see line), closes the session after KillGrace and
// returns ctx.Err().
func (s *SSH) Run(ctx context.Context, host string, cmd Command, stdout, stderr io.Writer) error {
	if len(cmd.Argv) == 0 {
		return fmt.Errorf("%s: empty command", s.who(host))
	}
	c, sess, err := s.session(ctx, host)
	if err != nil {
		return err
	}
	defer sess.Close()
	// The session copies stdout and stderr in two goroutines; callers
	// often pass one writer for both (a PrefixWriter), so writes take turns.
	var wmu sync.Mutex
	sess.Stdout, sess.Stderr = &lockedWriter{mu: &wmu, w: stdout}, &lockedWriter{mu: &wmu, w: stderr}
	// Kept open while the command runs: its end stops the command (line).
	stdin, err := sess.StdinPipe()
	if err != nil {
		return fmt.Errorf("%s: %w", s.who(host), err)
	}
	defer stdin.Close()
	if s.cfg.UsePTY {
		modes := ssh.TerminalModes{ssh.ECHO: 0, ssh.TTY_OP_ISPEED: 38400, ssh.TTY_OP_OSPEED: 38400}
		if err := sess.RequestPty("xterm", 50, 200, modes); err != nil {
			return fmt.Errorf("%s: request a pty ([ssh] use_pty): %w", s.who(host), err)
		}
	}
	if err := sess.Start(s.line(cmd)); err != nil {
		return fmt.Errorf("%s: start %s: %w", s.who(host), cmd.Argv[0], err)
	}
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	select {
	case err := <-done:
		return s.result(host, c, cmd, err)
	case <-ctx.Done():
		_ = sess.Signal(ssh.SIGTERM)
		_ = stdin.Close()
		select {
		case <-done:
		case <-time.After(s.opts.KillGrace):
			_ = sess.Close()
			<-done
		}
		return ctx.Err()
	case <-c.dead:
		_ = sess.Close()
		return s.lost(host, c, cmd)
	}
}

// session opens a session on host's connection; when the kept connection
// turns out dead, it dials once more (nothing ran yet).
func (s *SSH) session(ctx context.Context, host string) (*sshConn, *ssh.Session, error) {
	for attempt := 0; ; attempt++ {
		c, err := s.conn(ctx, host)
		if err != nil {
			return nil, nil, err
		}
		sess, err := c.client.NewSession()
		if err == nil {
			return c, sess, nil
		}
		c.kill(fmt.Errorf("open a session: %v", err))
		if attempt == 1 {
			return nil, nil, fmt.Errorf("%s: open a session: %w", s.who(host), err)
		}
	}
}

// result maps the end of a session to nil, *ExitError or a lost
// connection.
func (s *SSH) result(host string, c *sshConn, cmd Command, err error) error {
	var ee *ssh.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee):
		code := ee.ExitStatus()
		if sig := ee.Signal(); sig != "" {
			code = 128 + signalNumber(sig)
		}
		return &ExitError{Host: host, Code: code}
	}
	select {
	case <-c.dead:
		return s.lost(host, c, cmd)
	case <-time.After(100 * time.Millisecond):
	}
	var missing *ssh.ExitMissingError
	if errors.As(err, &missing) {
		return fmt.Errorf("%s: %s ended without an exit status (the session was closed): its outcome on the host is unknown; see the host's medusa log", s.who(host), cmd.Argv[0])
	}
	return fmt.Errorf("%s: %s: %w", s.who(host), cmd.Argv[0], err)
}

// lost is the error of a command whose connection died under it.
func (s *SSH) lost(host string, c *sshConn, cmd Command) error {
	return fmt.Errorf("%s: connection lost while %s was running (%v): its outcome on the host is unknown; see the host's medusa log before running it again",
		s.who(host), strings.Join(firstWords(cmd.Argv, 2), " "), c.deadErr)
}

func firstWords(argv []string, n int) []string {
	if len(argv) > n {
		return argv[:n]
	}
	return argv
}

// signalNumber is the Linux number of an SSH signal name (exit status
// 128+n, as a shell reports it).
func signalNumber(sig string) int {
	n := map[string]int{"HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "ABRT": 6, "FPE": 8, "KILL": 9, "SEGV": 11,
		"PIPE": 13, "ALRM": 14, "TERM": 15, "USR1": 10, "USR2": 12}[sig]
	if n == 0 {
		return 127
	}
	return n
}

// lockedWriter writes to w under mu (nil w discards).
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	if l.w == nil {
		return len(b), nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
