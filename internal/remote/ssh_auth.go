package remote

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// defaultKeyNames are tried, in this order, in ~/.ssh when [ssh] key_file
// is empty and no SSH agent is running (OpenSSH's own defaults).
var defaultKeyNames = []string{"id_ed25519", "id_ecdsa", "id_rsa"}

// authSetup is how the executor logs in: its auth method and a
// description of what it offers, for errors (file names and key
// fingerprints; never key material).
type authSetup struct {
	method ssh.AuthMethod
	desc   string
	agent  net.Conn // closed by Close
}

// buildAuth builds the login from [ssh] key_file and cert_file, or from
// the SSH agent at $SSH_AUTH_SOCK, or from the default keys of ~/.ssh.
func (s *SSH) buildAuth(keyFile, certFile string) (*authSetup, error) {
	var cert *ssh.Certificate
	if certFile != "" {
		c, err := readCert(certFile)
		if err != nil {
			return nil, err
		}
		cert = c
	}
	if keyFile != "" {
		signer, err := readKey(keyFile)
		if err != nil {
			return nil, err
		}
		desc := "key_file " + keyFile + " (" + fingerprint(signer.PublicKey()) + ")"
		if cert != nil {
			if signer, err = ssh.NewCertSigner(cert, signer); err != nil {
				return nil, fmt.Errorf("[ssh] cert_file %s does not certify the key of key_file %s: %v", certFile, keyFile, err)
			}
			desc += " with the certificate cert_file " + certFile
		}
		return &authSetup{method: ssh.PublicKeys(signer), desc: desc}, nil
	}
	if sock := s.opts.Getenv("SSH_AUTH_SOCK"); sock != "" {
		return agentAuth(sock, cert, certFile)
	}
	if cert != nil {
		return nil, fmt.Errorf("[ssh] cert_file %s is set but key_file is empty and no SSH agent is running ($SSH_AUTH_SOCK unset): set key_file to the certificate's private key", certFile)
	}
	var signers []ssh.Signer
	var tried, used []string
	for _, name := range defaultKeyNames {
		p := filepath.Join(s.home, ".ssh", name)
		signer, err := readKey(p)
		switch {
		case errors.Is(err, os.ErrNotExist):
			tried = append(tried, p+" (missing)")
		case err != nil:
			tried = append(tried, p+" (unusable: "+err.Error()+")")
		default:
			signers = append(signers, signer)
			used = append(used, p+" ("+fingerprint(signer.PublicKey())+")")
		}
	}
	if len(signers) == 0 {
		return nil, fmt.Errorf("no SSH key to log in with: [ssh] key_file is empty, no SSH agent is running ($SSH_AUTH_SOCK unset), and no default key is usable: %s; set [ssh] key_file (or --ssh-key-file)",
			strings.Join(tried, ", "))
	}
	return &authSetup{method: ssh.PublicKeys(signers...), desc: "the default keys " + strings.Join(used, ", ")}, nil
}

// agentAuth logs in with the keys of the SSH agent at sock; with a
// certificate, with the agent's key that it certifies.
func agentAuth(sock string, cert *ssh.Certificate, certFile string) (*authSetup, error) {
	conn, err := net.Dial("unix", sock)
	if err != nil {
		return nil, fmt.Errorf("[ssh] key_file is empty and the SSH agent at $SSH_AUTH_SOCK (%s) cannot be reached: %v; start ssh-agent or set key_file", sock, err)
	}
	client := agent.NewClient(conn)
	desc := "the keys of the SSH agent at " + sock
	if cert == nil {
		return &authSetup{method: ssh.PublicKeysCallback(client.Signers), desc: desc, agent: conn}, nil
	}
	signers := func() ([]ssh.Signer, error) {
		all, err := client.Signers()
		if err != nil {
			return nil, err
		}
		for _, sg := range all {
			if string(sg.PublicKey().Marshal()) == string(cert.Key.Marshal()) {
				cs, err := ssh.NewCertSigner(cert, sg)
				if err != nil {
					return nil, err
				}
				return []ssh.Signer{cs}, nil
			}
		}
		return nil, fmt.Errorf("the SSH agent holds no key certified by [ssh] cert_file %s (%s)", certFile, fingerprint(cert.Key))
	}
	return &authSetup{method: ssh.PublicKeysCallback(signers), agent: conn,
		desc: desc + " with the certificate cert_file " + certFile}, nil
}

// readKey reads an unencrypted private key; errors name the file, never
// its content.
func readKey(path string) (ssh.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("[ssh] key_file: %w", err)
	}
	signer, err := ssh.ParsePrivateKey(b)
	var pm *ssh.PassphraseMissingError
	if errors.As(err, &pm) {
		return nil, fmt.Errorf("[ssh] key_file %s is protected by a passphrase, which medusa does not ask for: load the key into ssh-agent (ssh-add %s) and leave key_file empty, or use a key without a passphrase", path, path)
	}
	if err != nil {
		return nil, fmt.Errorf("[ssh] key_file %s is not a private key medusa can read (OpenSSH, PKCS#1/#8 or SEC1 PEM expected)", path)
	}
	return signer, nil
}

// readCert reads an OpenSSH certificate (a *-cert.pub file).
func readCert(path string) (*ssh.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("[ssh] cert_file: %w", err)
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		return nil, fmt.Errorf("[ssh] cert_file %s is not an OpenSSH certificate: %v", path, err)
	}
	cert, ok := pub.(*ssh.Certificate)
	if !ok {
		return nil, fmt.Errorf("[ssh] cert_file %s holds a plain public key (%s), not a certificate (ssh-keygen -s ca_key -I id -n user %s signs one)", path, pub.Type(), path)
	}
	return cert, nil
}

// fingerprint is the key's type and SHA256 fingerprint, as ssh-keygen -l
// shows it.
func fingerprint(k ssh.PublicKey) string {
	return k.Type() + " " + ssh.FingerprintSHA256(k)
}
