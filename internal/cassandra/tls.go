package cassandra

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// clientTLS is Medusa's CQL TLS context: TLS 1.2 or later, the server
// certificate must chain to the CA in caFile (CERT_REQUIRED), the host name
// is not compared with the certificate (Python's SSLContext(PROTOCOL_TLSv1_2)
// leaves check_hostname off), and certFile/keyFile, when both are set, are
// the client certificate.
func clientTLS(caFile, certFile, keyFile string) (*tls.Config, error) {
	roots, err := loadCertPool(caFile)
	if err != nil {
		return nil, fmt.Errorf("certfile: %w", err)
	}
	tc := &tls.Config{
		MinVersion: tls.VersionTLS12,
		// Verification happens in VerifyConnection: the chain, not the name.
		InsecureSkipVerify: true, //nolint:gosec // chain verified below
		VerifyConnection:   verifyChain(roots),
	}
	switch {
	case certFile != "" && keyFile != "":
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("usercert/userkey: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	case certFile != "" || keyFile != "":
		return nil, errors.New("usercert and userkey must be set together")
	}
	return tc, nil
}

// loadCertPool reads the PEM certificates of path into a new pool.
func loadCertPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate found", path)
	}
	return pool, nil
}

// verifyChain checks that the peer's certificate chains to roots, with
// any intermediates the peer sent, for server authentication.
func verifyChain(roots *x509.CertPool) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("tls: the server sent no certificate")
		}
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
			Roots:         roots,
			Intermediates: inter,
			KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		})
		if err != nil {
			return fmt.Errorf("tls: server certificate: %w", err)
		}
		return nil
	}
}
