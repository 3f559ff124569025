package testbed

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// MTLSFiles are the PEM files of a test certificate authority and the
// certificates k8ssandra-operator's gRPC encryption uses: the server Secret
// (ca.crt, tls.crt, tls.key, mounted in the medusa container) and the
// client Secret the operator presents. OtherCert/OtherKey are signed by an
// unrelated CA, for clients that must be refused.
type MTLSFiles struct {
	CACert, ServerCert, ServerKey string
	ClientCert, ClientKey         string
	OtherCert, OtherKey           string
}

// WriteMTLS writes a fresh CA and certificates into dir, shaped like the
// operator's e2e fixture (cert-manager defaults): RSA 2048 keys in PKCS#1,
// the server certificate with DNS name localhost and IPs 127.0.0.1 and ::1
// and no extended key usage, so it also serves as the probe's client
// certificate.
func WriteMTLS(dir string) (MTLSFiles, error) {
	f := MTLSFiles{
		CACert: filepath.Join(dir, "ca.crt"), ServerCert: filepath.Join(dir, "tls.crt"),
		ServerKey: filepath.Join(dir, "tls.key"), ClientCert: filepath.Join(dir, "client.crt"),
		ClientKey: filepath.Join(dir, "client.key"), OtherCert: filepath.Join(dir, "other.crt"),
		OtherKey: filepath.Join(dir, "other.key"),
	}
	ca, caKey, err := selfSignedCA("medusa test grpc CA")
	if err != nil {
		return f, err
	}
	other, otherKey, err := selfSignedCA("unrelated CA")
	if err != nil {
		return f, err
	}
	if err := writePEM(f.CACert, "CERTIFICATE", ca.Raw); err != nil {
		return f, err
	}
	server := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "medusa-server"},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}
	for _, c := range []struct {
		tmpl      *x509.Certificate
		parent    *x509.Certificate
		parentKey *rsa.PrivateKey
		cert, key string
	}{
		{server, ca, caKey, f.ServerCert, f.ServerKey},
		{&x509.Certificate{Subject: pkix.Name{CommonName: "k8ssandra-operator"},
			KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment}, ca, caKey, f.ClientCert, f.ClientKey},
		{&x509.Certificate{Subject: pkix.Name{CommonName: "intruder"}, DNSNames: []string{"localhost"},
			KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment}, other, otherKey, f.OtherCert, f.OtherKey},
	} {
		if err := issue(c.tmpl, c.parent, c.parentKey, c.cert, c.key); err != nil {
			return f, err
		}
	}
	return f, nil
}

func selfSignedCA(cn string) (*x509.Certificate, *rsa.PrivateKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create CA %q: %w", cn, err)
	}
	c, err := x509.ParseCertificate(der)
	return c, key, err
}

func issue(tmpl, parent *x509.Certificate, parentKey *rsa.PrivateKey, certPath, keyPath string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return err
	}
	tmpl.SerialNumber = serial
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return fmt.Errorf("issue %s: %w", certPath, err)
	}
	if err := writePEM(certPath, "CERTIFICATE", der); err != nil {
		return err
	}
	return writePEM(keyPath, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key))
}

func writePEM(path, typ string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
}

// OperatorClientTLS is the TLS configuration k8ssandra-operator's gRPC
// client uses against a medusa container with encryption on: it presents
// cert/key and verifies the server's chain against ca, without any host
// name check (InsecureSkipVerify plus its own VerifyPeerCertificate).
func OperatorClientTLS(ca, cert, key string) (*tls.Config, error) {
	caPEM, err := os.ReadFile(ca)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("%s: no PEM certificate", ca)
	}
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		Certificates:       []tls.Certificate{pair},
		InsecureSkipVerify: true, // the chain is verified below, the host name is not
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return errors.New("server presented no certificate")
			}
			certs := make([]*x509.Certificate, len(raw))
			for i, r := range raw {
				c, err := x509.ParseCertificate(r)
				if err != nil {
					return err
				}
				certs[i] = c
			}
			inter := x509.NewCertPool()
			for _, c := range certs[1:] {
				inter.AddCert(c)
			}
			_, err := certs[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter})
			return err
		},
	}, nil
}
