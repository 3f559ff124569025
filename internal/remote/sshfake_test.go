package remote

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/pem"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/ssh"
)

// fakeSSH is an in-process SSH server for unit tests: public key (and
// certificate) login, exec requests handed to a handler, signals, and a
// switch that makes it stop answering (a dead peer).
type fakeSSH struct {
	Addr    string
	HostKey ssh.Signer
	// Handler runs one command; it returns the exit status, or -1 to close
	// the session without one.
	Handler func(cmd string, stdout, stderr io.Writer, signals <-chan string) int

	authorized map[string]bool
	userCA     ssh.PublicKey
	frozen     atomic.Bool
	handshakes atomic.Int32
	mu         sync.Mutex
	commands   []string
	ptys       int
	ln         net.Listener
	conns      []net.Conn
}

func newFakeSSH(t *testing.T) *fakeSSH {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSSH{Addr: ln.Addr().String(), HostKey: newSigner(t), authorized: map[string]bool{}, ln: ln}
	go f.serve()
	t.Cleanup(f.close)
	return f
}

func (f *fakeSSH) close() {
	_ = f.ln.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		_ = c.Close()
	}
}

// Authorize lets key log in.
func (f *fakeSSH) Authorize(key ssh.PublicKey) { f.authorized[string(key.Marshal())] = true }

// Freeze makes the server stop reading and answering on every connection.
func (f *fakeSSH) Freeze() { f.frozen.Store(true) }

func (f *fakeSSH) Commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.commands...)
}

func (f *fakeSSH) serve() {
	checker := &ssh.CertChecker{
		IsUserAuthority: func(k ssh.PublicKey) bool {
			return f.userCA != nil && string(k.Marshal()) == string(f.userCA.Marshal())
		},
		UserKeyFallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			if f.authorized[string(k.Marshal())] {
				return &ssh.Permissions{}, nil
			}
			return nil, io.EOF
		},
	}
	cfg := &ssh.ServerConfig{PublicKeyCallback: checker.Authenticate}
	cfg.AddHostKey(f.HostKey)
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conns = append(f.conns, c)
		f.mu.Unlock()
		go f.handle(&freezable{Conn: c, f: f}, cfg)
	}
}

// freezable blocks reads once the server is frozen (writes are dropped),
// so the peer sees a connection that no longer answers.
type freezable struct {
	net.Conn
	f *fakeSSH
}

func (c *freezable) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if c.f.frozen.Load() {
		select {} // never answer again; the test's cleanup closes the socket
	}
	return n, err
}

func (c *freezable) Write(b []byte) (int, error) {
	if c.f.frozen.Load() {
		return len(b), nil
	}
	return c.Conn.Write(b)
}

func (f *fakeSSH) handle(c net.Conn, cfg *ssh.ServerConfig) {
	_, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	f.handshakes.Add(1)
	go ssh.DiscardRequests(reqs) // answers keepalives (with false: still an answer)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "session only")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			return
		}
		go f.session(ch, creqs)
	}
}

func (f *fakeSSH) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	signals := make(chan string, 4)
	for r := range reqs {
		switch r.Type {
		case "pty-req":
			f.mu.Lock()
			f.ptys++
			f.mu.Unlock()
			_ = r.Reply(true, nil)
		case "exec":
			var p struct{ Cmd string }
			_ = ssh.Unmarshal(r.Payload, &p)
			f.mu.Lock()
			f.commands = append(f.commands, p.Cmd)
			f.mu.Unlock()
			_ = r.Reply(true, nil)
			go func() {
				code := f.Handler(p.Cmd, ch, ch.Stderr(), signals)
				if code >= 0 {
					var b [4]byte
					binary.BigEndian.PutUint32(b[:], uint32(code))
					_, _ = ch.SendRequest("exit-status", false, b[:])
				}
				_ = ch.Close()
			}()
		case "signal":
			var p struct{ Signal string }
			_ = ssh.Unmarshal(r.Payload, &p)
			select {
			case signals <- p.Signal:
			default:
			}
		default:
			_ = r.Reply(false, nil)
		}
	}
}

func newSigner(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// writeKey writes a new ed25519 key (OpenSSH format; encrypted when
// passphrase is set) to dir/name and returns its signer.
func writeKey(t *testing.T, dir, name, passphrase string) (string, ssh.Signer) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	if passphrase != "" {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "test", []byte(passphrase))
	} else {
		block, err = ssh.MarshalPrivateKey(priv, "test")
	}
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return path, s
}
