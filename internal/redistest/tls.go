package redistest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TLSFiles are PEM files of a throwaway CA and of a server certificate
// (127.0.0.1, ::1, localhost) it signed, for a redis-server with TLS.
type TLSFiles struct {
	CA, Cert, Key string
	// Args are the redis-server arguments that use them; clients need no
	// certificate (they log in with an ACL user).
	Args []string
}

// NewTLS makes a fresh CA and server certificate in a test folder. Two
// calls give two unrelated CAs: a client trusting one refuses the other.
func NewTLS(tb testing.TB) TLSFiles {
	tb.Helper()
	dir := tb.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "waakvlam test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		tb.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		tb.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:    []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		tb.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	f := TLSFiles{CA: filepath.Join(dir, "ca.pem"), Cert: filepath.Join(dir, "server.pem"), Key: filepath.Join(dir, "server.key")}
	for path, block := range map[string]*pem.Block{
		f.CA: {Type: "CERTIFICATE", Bytes: caDER}, f.Cert: {Type: "CERTIFICATE", Bytes: der}, f.Key: {Type: "PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	f.Args = []string{"--tls-cert-file", f.Cert, "--tls-key-file", f.Key, "--tls-ca-cert-file", f.CA, "--tls-auth-clients", "no"}
	return f
}

// ShippedACL writes deploy/users.acl (found from the test's package
// folder) with the placeholders replaced by the SHA-256 of the passwords
// given per user, and returns its path.
func ShippedACL(tb testing.TB, passwords map[string]string) string {
	tb.Helper()
	src := ShippedACLPath(tb)
	b, err := os.ReadFile(src)
	if err != nil {
		tb.Fatal(err)
	}
	s := string(b)
	for user, pw := range passwords {
		sum := sha256.Sum256([]byte(pw))
		ph := "#replace-with-sha256-of-the-" + user + "-password"
		if !strings.Contains(s, ph) {
			tb.Fatalf("%s has no placeholder %s", src, ph)
		}
		s = strings.ReplaceAll(s, ph, "#"+hex.EncodeToString(sum[:]))
	}
	out := filepath.Join(tb.TempDir(), "users.acl")
	if err := os.WriteFile(out, []byte(s), 0o600); err != nil {
		tb.Fatal(err)
	}
	return out
}

// ShippedACLPath is deploy/users.acl of this repository.
func ShippedACLPath(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		p := filepath.Join(dir, "deploy", "users.acl")
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("deploy/users.acl not found above the test's folder")
		}
		dir = parent
	}
}
