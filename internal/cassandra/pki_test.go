package cassandra

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// testPKI holds PEM files of a throw-away CA, a server certificate for
// "localhost" only (no IP address: connecting to 127.0.0.1 proves that the
// host name is not checked), a client certificate and a second, unrelated CA.
type testPKI struct {
	CA, OtherCA           string // certificates
	ServerKeystore        string // server private key + certificate (Cassandra PEM keystore)
	ServerCert, ServerKey string
	ClientCert, ClientKey string
}

func newTestPKI(dir string) (testPKI, error) {
	p := testPKI{
		CA: filepath.Join(dir, "ca.pem"), OtherCA: filepath.Join(dir, "other-ca.pem"),
		ServerKeystore: filepath.Join(dir, "server-keystore.pem"),
		ServerCert:     filepath.Join(dir, "server.pem"), ServerKey: filepath.Join(dir, "server-key.pem"),
		ClientCert: filepath.Join(dir, "client.pem"), ClientKey: filepath.Join(dir, "client-key.pem"),
	}
	ca, caKey, caPEM, err := newCert(nil, nil, "medusa test CA", true, nil)
	if err != nil {
		return p, err
	}
	_, _, otherPEM, err := newCert(nil, nil, "unrelated CA", true, nil)
	if err != nil {
		return p, err
	}
	_, srvKey, srvPEM, err := newCert(ca, caKey, "localhost", false, []string{"localhost"})
	if err != nil {
		return p, err
	}
	_, cliKey, cliPEM, err := newCert(ca, caKey, "medusa client", false, nil)
	if err != nil {
		return p, err
	}
	srvKeyPEM, err := keyPEM(srvKey)
	if err != nil {
		return p, err
	}
	cliKeyPEM, err := keyPEM(cliKey)
	if err != nil {
		return p, err
	}
	files := map[string][]byte{
		p.CA: caPEM, p.OtherCA: otherPEM, p.ServerCert: srvPEM, p.ServerKey: srvKeyPEM,
		p.ServerKeystore: append(append([]byte{}, srvKeyPEM...), srvPEM...),
		p.ClientCert:     cliPEM, p.ClientKey: cliKeyPEM,
	}
	for path, data := range files {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return p, err
		}
	}
	return p, nil
}

func newCert(parent *x509.Certificate, parentKey *ecdsa.PrivateKey, cn string, isCA bool, dns []string) (*x509.Certificate, *ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return nil, nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		DNSNames:     dns,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	if isCA {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
		tmpl.ExtKeyUsage = nil
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, nil, err
	}
	return cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

func keyPEM(k *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}
