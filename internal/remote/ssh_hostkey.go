package remote

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// hostKeys checks host keys against a known_hosts file (OpenSSH's format,
// hashed names and @cert-authority lines included). With acceptNew, a host
// the file does not know is appended to it; a host whose key differs from
// the file's is always refused.
type hostKeys struct {
	file      string
	acceptNew bool
	mu        sync.Mutex
	cb        ssh.HostKeyCallback // nil until loaded; reloaded after an append
}

// callback loads the file (a missing file knows no host).
func (h *hostKeys) callback() (ssh.HostKeyCallback, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cb != nil {
		return h.cb, nil
	}
	if _, err := os.Stat(h.file); errors.Is(err, os.ErrNotExist) {
		return func(string, net.Addr, ssh.PublicKey) error {
			return &knownhosts.KeyError{}
		}, nil
	}
	cb, err := knownhosts.New(h.file)
	if err != nil {
		return nil, fmt.Errorf("[ssh] known_hosts_file %s: %w", h.file, err)
	}
	h.cb = cb
	return cb, nil
}

// check is the ssh.HostKeyCallback for a connection to addr (host:port).
func (h *hostKeys) check(addr string, remote net.Addr, key ssh.PublicKey) error {
	cb, err := h.callback()
	if err != nil {
		return err
	}
	err = cb(addr, remote, key)
	var ke *knownhosts.KeyError
	var re *knownhosts.RevokedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &re):
		return fmt.Errorf("host key of %s (%s) is marked @revoked in %s: refused", addr, fingerprint(key), h.file)
	case errors.As(err, &ke) && len(ke.Want) > 0:
		known := ke.Want[0]
		return fmt.Errorf("host key of %s has CHANGED: it offers %s but %s line %d has %s. Someone may be intercepting the connection, or the host was reinstalled; once you know which, remove the old key with `ssh-keygen -R %s -f %s` and connect again: refused",
			addr, fingerprint(key), known.Filename, known.Line, fingerprint(known.Key), shellWord(knownhosts.Normalize(addr)), h.file)
	case errors.As(err, &ke):
		if h.acceptNew {
			return h.add(addr, key)
		}
		host, port := splitAddr(addr)
		return fmt.Errorf("host %s is not in [ssh] known_hosts_file %s (it offers %s): refused. Check the key and add it with `ssh-keyscan -p %s %s >> %s`, or set [ssh] host_key_policy = accept-new to add unknown hosts on first use",
			addr, h.file, fingerprint(key), port, host, h.file)
	default:
		return fmt.Errorf("host key of %s: %w", addr, err)
	}
}

// add appends addr's key to the file (creating it and its directory).
func (h *hostKeys) add(addr string, key ssh.PublicKey) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(h.file), 0o700); err != nil {
		return fmt.Errorf("add %s to [ssh] known_hosts_file: %w", addr, err)
	}
	f, err := os.OpenFile(h.file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("add %s to [ssh] known_hosts_file: %w", addr, err)
	}
	line := knownhosts.Line([]string{knownhosts.Normalize(addr)}, key) + "\n"
	_, err = f.WriteString(line)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("add %s to [ssh] known_hosts_file %s: %w", addr, h.file, err)
	}
	h.cb = nil // reload with the new line
	return nil
}

// algorithms are the host key algorithms of the keys the file has for
// addr, so that a host with several keys shows the one we know (nil: the
// file knows none, any algorithm will do).
func (h *hostKeys) algorithms(addr string) []string {
	cb, err := h.callback()
	if err != nil {
		return nil
	}
	var ke *knownhosts.KeyError
	if !errors.As(cb(addr, &net.TCPAddr{}, probeKey{}), &ke) {
		return nil
	}
	var algos []string
	seen := map[string]bool{}
	for _, k := range ke.Want {
		t := k.Key.Type()
		names := []string{t}
		if t == ssh.KeyAlgoRSA {
			names = []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
		}
		for _, n := range names {
			if !seen[n] {
				seen[n] = true
				algos = append(algos, n)
			}
		}
	}
	return algos
}

// probeKey is a key no host has, to learn which keys the file knows.
type probeKey struct{}

func (probeKey) Type() string                        { return "medusa-probe" }
func (probeKey) Marshal() []byte                     { return []byte("medusa-probe") }
func (probeKey) Verify([]byte, *ssh.Signature) error { return errors.New("probe key") }

func splitAddr(addr string) (host, port string) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, "22"
	}
	return host, port
}

// shellWord quotes a known_hosts name such as [host]:port for the shell.
func shellWord(s string) string { return Quote(s) }

// hostAddr is host:port for a host that may carry its own port.
func hostAddr(host string, port int) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}
