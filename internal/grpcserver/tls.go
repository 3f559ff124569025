package grpcserver

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/medusa-go/medusa/internal/config"
)

// tlsFiles are the three files of [grpc] that turn mutual TLS on.
type tlsFiles struct{ caCert, tlsCert, tlsKey string }

// tlsFilesOf returns the files of g, nil when none of ca_cert, tls_cert and
// tls_key is set (plaintext, the operator's default) and an error when only
// some are.
func tlsFilesOf(g config.GRPC) (*tlsFiles, error) {
	keys := []struct{ name, path string }{
		{"ca_cert", g.CACert}, {"tls_cert", g.TLSCert}, {"tls_key", g.TLSKey},
	}
	var set, missing []string
	for _, k := range keys {
		if strings.TrimSpace(k.path) == "" {
			missing = append(missing, k.name)
		} else {
			set = append(set, k.name)
		}
	}
	if len(set) == 0 {
		return nil, nil
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("medusa.ini [grpc]: ca_cert, tls_cert and tls_key must be set together "+
			"for mutual TLS, or none of them for plaintext; %s set but %s missing",
			strings.Join(set, ", "), strings.Join(missing, ", "))
	}
	return &tlsFiles{caCert: g.CACert, tlsCert: g.TLSCert, tlsKey: g.TLSKey}, nil
}

// tlsSource serves the mutual-TLS configuration of [grpc] ca_cert, tls_cert
// and tls_key, as k8ssandra-operator sets them when
// spec.medusa.serviceProperties.encryption is used: TLS 1.2 or newer, the
// server presents tls_cert/tls_key and every client must present a
// certificate that chains to ca_cert (the operator's client and the
// grpc_health_probe exec probe both do; Go's default verification applies,
// so a client certificate without any extended key usage is accepted).
//
// The files are read again for every new connection and parsed when their
// content changed, so a renewed certificate (cert-manager rewrites the
// mounted Secret) is served without a restart. A rewrite that does not
// parse keeps the last good configuration and is logged.
type tlsSource struct {
	files  tlsFiles
	logger *slog.Logger

	mu   sync.Mutex
	raw  [3][]byte // ca, cert, key as last parsed
	cfg  *tls.Config
	warn string // last warning logged, not to repeat it on every connection
}

// newTLSSource loads the files once; any problem is an error naming the
// key and the file, never the key material.
func newTLSSource(files tlsFiles, logger *slog.Logger) (*tlsSource, error) {
	s := &tlsSource{files: files, logger: logger}
	raw, err := s.read()
	if err != nil {
		return nil, err
	}
	cfg, err := s.parse(raw)
	if err != nil {
		return nil, err
	}
	s.raw, s.cfg = raw, cfg
	return s, nil
}

// serverConfig is the configuration given to the gRPC server: every
// handshake takes the current files' configuration.
func (s *tlsSource) serverConfig() *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		NextProtos:         []string{"h2"},
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return s.current(), nil },
	}
}

func (s *tlsSource) current() *tls.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	raw, err := s.read()
	if err == nil {
		if sameBytes(raw, s.raw) {
			return s.cfg
		}
		var cfg *tls.Config
		if cfg, err = s.parse(raw); err == nil {
			s.raw, s.cfg, s.warn = raw, cfg, ""
			s.logger.Info("grpc server: TLS certificate files changed, serving the new ones",
				"tls_cert", s.files.tlsCert, "ca_cert", s.files.caCert)
			return cfg
		}
	}
	if err != nil && err.Error() != s.warn {
		s.warn = err.Error()
		s.logger.Warn("grpc server: keeping the previous TLS certificates", "error", err)
	}
	return s.cfg
}

func sameBytes(a, b [3][]byte) bool {
	return bytes.Equal(a[0], b[0]) && bytes.Equal(a[1], b[1]) && bytes.Equal(a[2], b[2])
}

func (s *tlsSource) read() ([3][]byte, error) {
	var raw [3][]byte
	for i, f := range []struct{ key, path string }{
		{"ca_cert", s.files.caCert}, {"tls_cert", s.files.tlsCert}, {"tls_key", s.files.tlsKey},
	} {
		b, err := os.ReadFile(f.path)
		if err != nil {
			return raw, fmt.Errorf("medusa.ini [grpc] %s: cannot read %s: %w", f.key, f.path, pathErr(err))
		}
		raw[i] = b
	}
	return raw, nil
}

func (s *tlsSource) parse(raw [3][]byte) (*tls.Config, error) {
	pool, err := parseCAPool(s.files.caCert, raw[0])
	if err != nil {
		return nil, err
	}
	cert, err := tls.X509KeyPair(raw[1], raw[2])
	if err != nil {
		// crypto/tls's messages describe the problem (no PEM block, key
		// does not match the certificate) without quoting the key.
		return nil, fmt.Errorf("medusa.ini [grpc] tls_cert %s and tls_key %s: not a usable certificate and "+
			"private key pair (PEM, the key matching the certificate): %w",
			s.files.tlsCert, s.files.tlsKey, err)
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		NextProtos:   []string{"h2"}, // what gRPC speaks
	}, nil
}

// parseCAPool parses the PEM certificates of [grpc] ca_cert.
func parseCAPool(path string, data []byte) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	n := 0
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("medusa.ini [grpc] ca_cert %s: certificate %d is invalid: %w", path, n+1, err)
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("medusa.ini [grpc] ca_cert %s: no PEM CERTIFICATE block found "+
			"(want the CA that signs the clients' certificates, e.g. the Secret's ca.crt)", path)
	}
	return pool, nil
}

// pathErr drops the path of an *fs.PathError the message already names.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
