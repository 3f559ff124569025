package kube

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// k8sPKI are the files of a Management API mTLS set-up as cert-manager
// issues them for k8ssandra (ca.crt, tls.crt, tls.key per side).
type k8sPKI struct {
	CA, ServerCert, ServerKey, ClientCert, ClientKey string
	ca                                               *x509.Certificate
}

// newK8sPKI writes a CA, a server certificate for 127.0.0.1/localhost and
// a client certificate with common name clientCN into dir.
func newK8sPKI(t *testing.T, dir, clientCN string) k8sPKI {
	t.Helper()
	caCert, caKey := issue(t, nil, nil, "k8smode test CA", true)
	srvCert, srvKey := issue(t, caCert, caKey, "management-api", false)
	cliCert, cliKey := issue(t, caCert, caKey, clientCN, false)
	p := k8sPKI{CA: filepath.Join(dir, "ca.crt"), ServerCert: filepath.Join(dir, "server.crt"),
		ServerKey: filepath.Join(dir, "server.key"), ClientCert: filepath.Join(dir, "tls.crt"),
		ClientKey: filepath.Join(dir, "tls.key"), ca: caCert}
	for path, block := range map[string]*pem.Block{
		p.CA: {Type: "CERTIFICATE", Bytes: caCert.Raw}, p.ServerCert: {Type: "CERTIFICATE", Bytes: srvCert.Raw},
		p.ClientCert: {Type: "CERTIFICATE", Bytes: cliCert.Raw},
		p.ServerKey:  keyBlock(t, srvKey), p.ClientKey: keyBlock(t, cliKey),
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// serverTLS is the Management API's side: its certificate, and client
// certificates required and verified against the CA.
func (p k8sPKI) serverTLS(t *testing.T) *tls.Config {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(p.ServerCert, p.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(p.ca)
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
}

func issue(t *testing.T, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, cn string, isCA bool) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:    []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	if isCA {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage, tmpl.DNSNames, tmpl.IPAddresses = nil, nil, nil
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func keyBlock(t *testing.T, k *ecdsa.PrivateKey) *pem.Block {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
}
