package testbed

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// SSHDPath is Debian's OpenSSH server (package openssh-server), installed
// by scripts/setup.sh (scripts/testbed/ssh/install.sh).
const SSHDPath = "/usr/sbin/sshd"

// EtcMedusa is the directory every node's sshd shows with that node's own
// files (medusa.ini at its default path, /etc/medusa/medusa.ini).
const EtcMedusa = "/etc/medusa"

// SSHDOptions configures StartSSHD.
type SSHDOptions struct {
	// Dir holds the keys, known_hosts, each sshd's configuration and log.
	Dir string
	// Hosts are the loopback addresses to serve, one sshd each.
	Hosts []string
	// Port is the port of every sshd (0: one free on every host).
	Port int
	// EtcMedusa maps a host to the directory its sshd bind-mounts at
	// /etc/medusa (in its own mount namespace; the machine's /etc/medusa is
	// left as it is). A host without an entry sees the machine's.
	EtcMedusa map[string]string
	// TmpDir maps a host to the TMPDIR of its logins.
	TmpDir map[string]string
	// PathDirs come first in the PATH of every login (e.g. the directory of
	// a freshly built medusa binary).
	PathDirs []string
	// HostPathDirs maps a host to directories that come next in the PATH of
	// its logins (after PathDirs): one command name, a different program on
	// each node, as on real hosts.
	HostPathDirs map[string][]string
	// Binds maps a host to more bind mounts of its sshd's mount namespace:
	// mount point -> directory. A mount point missing on the machine is
	// created (empty); what the machine has there is left as it is.
	Binds map[string]map[string]string
	// Env holds more KEY=VALUE variables of every login (no spaces).
	Env []string
}

// SSHD is one OpenSSH server per host address, all on the same port, with
// key-only login for the current user (root: the servers need a mount
// namespace each) with ClientKey. KnownHosts lists the host key under each
// [host]:port, so clients can verify it strictly.
type SSHD struct {
	Hosts      []string
	Port       int
	User       string // the login user: the user running the test bed
	ClientKey  string // ed25519 private key file, OpenSSH format, no passphrase
	KnownHosts string // known_hosts naming every [host]:port
	HostKey    ssh.PublicKey
	Dir        string

	procs map[string]*Proc
}

// StartSSHD starts one sshd per host and returns once each accepts
// connections; Stop ends them. Each runs as
//
//	unshare -m --propagation private sh -c 'mount --bind <etc> /etc/medusa && exec sshd -f <cfg> -D -e'
//
// so a login on that address sees its own /etc/medusa (and, when sudo is
// installed, its own sudo policy: see Sudoers), and the directories of
// opts.Binds at their mount points.
func StartSSHD(ctx context.Context, opts SSHDOptions) (*SSHD, error) {
	if err := sshdCheckHost(); err != nil {
		return nil, err
	}
	u, err := user.Current()
	if err != nil {
		return nil, fmt.Errorf("ssh test bed: current user: %w", err)
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("ssh test bed: %w", err)
	}
	s := &SSHD{Hosts: opts.Hosts, User: u.Username, Dir: dir, procs: map[string]*Proc{}}
	if err := s.writeKeys(); err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		port := opts.Port
		if port == 0 {
			if port, err = freePortOn(opts.Hosts); err != nil {
				return nil, fmt.Errorf("ssh test bed: %w", err)
			}
		}
		s.Port = port
		err = s.startAll(ctx, opts)
		if err == nil {
			return s, s.writeKnownHosts()
		}
		s.Stop()
		if opts.Port != 0 || attempt == 3 || !strings.Contains(err.Error(), "Address already in use") {
			return nil, err
		}
	}
}

// sshdCheckHost says what is missing for the test bed's sshds.
func sshdCheckHost() error {
	if _, err := os.Stat(SSHDPath); err != nil {
		return fmt.Errorf("ssh test bed: %s not found: run scripts/setup.sh (it installs Debian's openssh-server)", SSHDPath)
	}
	if os.Geteuid() != 0 {
		return errors.New("ssh test bed: needs root (each node's sshd runs in its own mount namespace with unshare -m)")
	}
	// sshd's privilege separation directory.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return fmt.Errorf("ssh test bed: %w", err)
	}
	if err := os.MkdirAll(EtcMedusa, 0o755); err != nil {
		return fmt.Errorf("ssh test bed: create the mount point %s: %w", EtcMedusa, err)
	}
	return nil
}

func (s *SSHD) startAll(ctx context.Context, opts SSHDOptions) error {
	for _, h := range opts.Hosts {
		cfg := filepath.Join(s.Dir, "sshd_config-"+h)
		if err := os.WriteFile(cfg, []byte(s.config(h, opts)), 0o600); err != nil {
			return fmt.Errorf("ssh test bed: %w", err)
		}
		script := `exec ` + SSHDPath + ` -f "$1" -D -e`
		path, args := "sh", []string{"-c", script, "sshd", cfg}
		if etc := opts.EtcMedusa[h]; etc != "" || len(opts.Binds[h]) > 0 {
			// Positional parameters: $1 the configuration, then pairs of
			// source and mount point.
			var mounts []string
			bind := func(src, dst string, mkdir bool) {
				n := len(mounts) + 2
				step := fmt.Sprintf(`mount --bind "${%d}" "${%d}" && `, n, n+1)
				if mkdir {
					step = fmt.Sprintf(`mkdir -p "${%d}" && `, n+1) + step
				}
				script = step + script
				mounts = append(mounts, src, dst)
			}
			if etc != "" {
				sudoers, err := s.writeSudoers(h, opts)
				if err != nil {
					return err
				}
				if sudoers != "" {
					bind(sudoers, Sudoers, false)
				}
				bind(etc, EtcMedusa, false)
			}
			for _, dst := range slices.Sorted(maps.Keys(opts.Binds[h])) {
				bind(opts.Binds[h][dst], dst, true)
			}
			path = "unshare"
			args = append([]string{"-m", "--propagation", "private", "sh", "-c", script, "sshd", cfg}, mounts...)
		}
		p, err := StartProc(ProcSpec{Name: "sshd-" + h, Path: path, Args: args, Dir: s.Dir})
		if err != nil {
			return err
		}
		s.procs[h] = p
		if err := p.WaitTCP(ctx, net.JoinHostPort(h, strconv.Itoa(s.Port)), 20*time.Second); err != nil {
			return fmt.Errorf("ssh test bed: sshd on %s: %w", h, err)
		}
	}
	return nil
}

// config is the sshd_config of host's server.
func (s *SSHD) config(host string, opts SSHDOptions) string {
	env := "PATH=" + strings.Join(loginPath(host, opts), ":")
	if tmp := opts.TmpDir[host]; tmp != "" {
		env += " TMPDIR=" + tmp
	}
	for _, kv := range opts.Env {
		env += " " + kv
	}
	lines := []string{
		"# Generated by medusa's test bed (internal/testbed): " + host,
		fmt.Sprintf("ListenAddress %s:%d", host, s.Port),
		"HostKey " + filepath.Join(s.Dir, "ssh_host_ed25519_key"),
		"AuthorizedKeysFile " + filepath.Join(s.Dir, "authorized_keys"),
		"TrustedUserCAKeys " + filepath.Join(s.Dir, "user_ca.pub"),
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"PermitRootLogin prohibit-password",
		"UsePAM no",
		"StrictModes no",
		"PrintMotd no",
		"MaxStartups 100",
		"MaxSessions 100",
		"PidFile " + filepath.Join(s.Dir, "sshd-"+host+".pid"),
		"SetEnv " + env,
	}
	return strings.Join(lines, "\n") + "\n"
}

// loginPath is the PATH of host's logins.
func loginPath(host string, opts SSHDOptions) []string {
	path := append(append([]string{}, opts.PathDirs...), opts.HostPathDirs[host]...)
	return append(path, "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
}

// writeKeys generates the host key, the client key (authorized) and a user
// CA (trusted by the servers, for certificate logins: SignUserCert).
func (s *SSHD) writeKeys() error {
	host, err := writeEd25519(filepath.Join(s.Dir, "ssh_host_ed25519_key"), "testbed host")
	if err != nil {
		return err
	}
	s.HostKey = host
	s.ClientKey = filepath.Join(s.Dir, "id_ed25519")
	client, err := writeEd25519(s.ClientKey, "testbed client")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(s.Dir, "authorized_keys"), ssh.MarshalAuthorizedKey(client), 0o600); err != nil {
		return fmt.Errorf("ssh test bed: %w", err)
	}
	ca, err := writeEd25519(filepath.Join(s.Dir, "user_ca"), "testbed user CA")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(s.Dir, "user_ca.pub"), ssh.MarshalAuthorizedKey(ca), 0o600)
}

// writeKnownHosts writes KnownHosts: the host key under every [host]:port.
func (s *SSHD) writeKnownHosts() error {
	s.KnownHosts = filepath.Join(s.Dir, "known_hosts")
	var b strings.Builder
	for _, h := range s.Hosts {
		fmt.Fprintf(&b, "[%s]:%d %s", h, s.Port, ssh.MarshalAuthorizedKey(s.HostKey))
	}
	if err := os.WriteFile(s.KnownHosts, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("ssh test bed: %w", err)
	}
	return nil
}

// SignUserCert writes an OpenSSH user certificate for the public key of
// keyFile (signed by the CA the servers trust, valid for an hour for the
// login user) to keyFile-cert.pub and returns that path.
func (s *SSHD) SignUserCert(keyFile string) (string, error) {
	caSigner, err := readSigner(filepath.Join(s.Dir, "user_ca"))
	if err != nil {
		return "", err
	}
	key, err := readSigner(keyFile)
	if err != nil {
		return "", err
	}
	cert := &ssh.Certificate{
		Key: key.PublicKey(), CertType: ssh.UserCert, KeyId: "testbed", ValidPrincipals: []string{s.User},
		ValidAfter: uint64(time.Now().Add(-time.Minute).Unix()), ValidBefore: uint64(time.Now().Add(time.Hour).Unix()),
		Permissions: ssh.Permissions{Extensions: map[string]string{"permit-pty": ""}},
	}
	if err := cert.SignCert(rand.Reader, caSigner); err != nil {
		return "", fmt.Errorf("ssh test bed: sign a user certificate: %w", err)
	}
	path := keyFile + "-cert.pub"
	return path, os.WriteFile(path, ssh.MarshalAuthorizedKey(cert), 0o600)
}

// Stop ends every sshd (and the logins they serve). Safe to call twice.
func (s *SSHD) Stop() {
	for _, p := range s.procs {
		p.Stop()
	}
}

// LogTail returns the last n lines of host's sshd log (sshd -e).
func (s *SSHD) LogTail(host string, n int) string {
	if p := s.procs[host]; p != nil {
		return p.LogTail(n)
	}
	return "(no sshd on " + host + ")"
}

// Addr is host:port of host's sshd.
func (s *SSHD) Addr(host string) string { return net.JoinHostPort(host, strconv.Itoa(s.Port)) }

// SSHArgs are the arguments of the system ssh client that log in to host
// as the login user with the client key, verifying the host key strictly
// against KnownHosts; append the remote command.
func (s *SSHD) SSHArgs(host string) []string {
	return []string{"-F", "none", "-i", s.ClientKey, "-p", strconv.Itoa(s.Port),
		"-o", "UserKnownHostsFile=" + s.KnownHosts, "-o", "GlobalKnownHostsFile=none",
		"-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
		"-o", "ConnectTimeout=10", s.User + "@" + host}
}

// writeEd25519 writes a new ed25519 private key (OpenSSH format, mode 0600,
// no passphrase) and its .pub beside it, and returns the public key.
func writeEd25519(path, comment string) (ssh.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return nil, fmt.Errorf("ssh test bed: %w", err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, fmt.Errorf("ssh test bed: %w", err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return sp, os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(sp), 0o644)
}

func readSigner(path string) (ssh.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ssh test bed: %w", err)
	}
	sg, err := ssh.ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("ssh test bed: parse %s: %w", path, err)
	}
	return sg, nil
}

// freePortOn returns a port that was free a moment ago on every host.
func freePortOn(hosts []string) (int, error) {
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		held := []net.Listener{l}
		ok := cassFreeOn(hosts, port, &held)
		for _, h := range held {
			_ = h.Close()
		}
		if ok {
			return port, nil
		}
	}
	return 0, errors.New("no port free on every host address after 50 tries")
}

// SSHDT starts sshds for a test (opts.Dir defaults to a t.TempDir()) and
// stops them when it ends, logging each sshd's log tail if it failed.
// Skips under -short; servers that cannot start fail the test.
func SSHDT(t testing.TB, opts SSHDOptions) *SSHD {
	t.Helper()
	if testing.Short() {
		t.Skip("needs OpenSSH's sshd; run without -short")
	}
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	s, err := StartSSHD(t.Context(), opts)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, h := range s.Hosts {
				t.Logf("sshd on %s:\n%s", h, s.LogTail(h, 30))
			}
		}
		s.Stop()
	})
	return s
}
