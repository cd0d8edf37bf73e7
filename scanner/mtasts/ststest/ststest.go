// Package ststest runs MTA-STS policy hosts for tests: HTTPS servers on
// 127.0.0.1 with certificates from a certificate authority made at test
// time, so that the policy fetch is tested through a real TLS handshake and
// real certificate checks, without the internet and without port 443.
//
// Point mta-sts.<domain> at 127.0.0.1 in the test's DNS data, trust CA.Pool
// (or CA.PEM through SSL_CERT_FILE), and dial Server.Port.
package ststest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// CA is a certificate authority that exists only for one test.
type CA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
	pem  []byte
}

// NewCA makes a certificate authority.
func NewCA(tb testing.TB) *CA {
	tb.Helper()
	key := newKey(tb)
	tmpl := &x509.Certificate{
		SerialNumber:          serial(tb),
		Subject:               pkix.Name{CommonName: "mxscope test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatalf("ststest: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatalf("ststest: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &CA{cert: cert, key: key, pool: pool, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// Pool is a certificate pool holding only the CA.
func (ca *CA) Pool() *x509.CertPool { return ca.pool }

// PEM is the CA's certificate, PEM-encoded (for SSL_CERT_FILE).
func (ca *CA) PEM() []byte { return ca.pem }

// Issue makes a certificate for names, signed by the CA.
func (ca *CA) Issue(tb testing.TB, names ...string) tls.Certificate {
	tb.Helper()
	key := newKey(tb)
	tmpl := &x509.Certificate{
		SerialNumber: serial(tb),
		Subject:      pkix.Name{CommonName: names[0]},
		DNSNames:     names,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		tb.Fatalf("ststest: %v", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// Server is a running HTTPS server on 127.0.0.1.
type Server struct {
	srv *httptest.Server
}

// Serve starts an HTTPS server on 127.0.0.1 with a certificate from ca for
// names, answering with h, and stops it in tb.Cleanup.
func (ca *CA) Serve(tb testing.TB, h http.Handler, names ...string) *Server {
	tb.Helper()
	s := httptest.NewUnstartedServer(h)
	s.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Issue(tb, names...)}}
	// Handshakes that tests make fail on purpose are not worth a log line.
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.StartTLS()
	tb.Cleanup(s.Close)
	return &Server{srv: s}
}

// Close stops the server before the test ends: a policy host that is
// gone. Closing it twice is harmless.
func (s *Server) Close() { s.srv.Close() }

// Port is the port the server listens on.
func (s *Server) Port() int { return s.srv.Listener.Addr().(*net.TCPAddr).Port }

// Response is what a policy host answers for one Host.
type Response struct {
	Status      int    // 200 when zero
	ContentType string // "text/plain" when empty; "-" sends none
	Body        string
	Location    string // a Location header, for redirects
	Delay       time.Duration
}

// Hosts answers GET /.well-known/mta-sts.txt by the request's Host (lower
// case, without a port); other paths and unknown hosts get 404.
type Hosts map[string]Response

func (hs Hosts) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	resp, ok := hs[strings.ToLower(host)]
	if !ok || r.URL.Path != "/.well-known/mta-sts.txt" {
		http.NotFound(w, r)
		return
	}
	if resp.Delay > 0 {
		select {
		case <-time.After(resp.Delay):
		case <-r.Context().Done():
			// The client gave up: send nothing at all. Returning would
			// let the server write an empty 200, which a client still
			// reading could take for a policy served without a type.
			panic(http.ErrAbortHandler)
		}
	}
	switch resp.ContentType {
	case "":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	case "-":
		w.Header()["Content-Type"] = nil
	default:
		w.Header().Set("Content-Type", resp.ContentType)
	}
	if resp.Location != "" {
		w.Header().Set("Location", resp.Location)
	}
	if resp.Status != 0 {
		w.WriteHeader(resp.Status)
	}
	_, _ = w.Write([]byte(resp.Body))
}

func newKey(tb testing.TB) *ecdsa.PrivateKey {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatalf("ststest: %v", err)
	}
	return key
}

func serial(tb testing.TB) *big.Int {
	tb.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		tb.Fatalf("ststest: %v", err)
	}
	return n
}
