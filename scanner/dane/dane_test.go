package dane

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

// testCert makes a self-signed certificate and returns its DER and its
// SubjectPublicKeyInfo.
func testCert(t testing.TB) (cert, spki []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mx.example.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     []string{"mx.example.test"},
	}
	cert, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	spki, err = x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return cert, spki
}

func TestProblem(t *testing.T) {
	cert, spki := testCert(t)
	sum := sha256.Sum256(spki)
	sha256Hex := hex.EncodeToString(sum[:])
	sha512Hex := strings.Repeat("ab", 64)
	tests := []struct {
		name                          string
		usage, selector, matchingType uint8
		data                          string
		want                          string // a part of the problem; "" when usable
	}{
		{"DANE-EE SPKI SHA-256, the usual record", 3, 1, 1, sha256Hex, ""},
		{"DANE-EE cert SHA-512", 3, 0, 2, sha512Hex, ""},
		{"DANE-TA SPKI SHA-256", 2, 1, 1, sha256Hex, ""},
		{"DANE-EE full certificate", 3, 0, 0, hex.EncodeToString(cert), ""},
		{"DANE-EE full SPKI", 3, 1, 0, hex.EncodeToString(spki), ""},
		{"upper-case hex", 3, 1, 1, strings.ToUpper(sha256Hex), ""},
		{"PKIX-TA", 0, 1, 1, sha256Hex, "usage 0 (PKIX-TA) is not usable for SMTP"},
		{"PKIX-EE", 1, 1, 1, sha256Hex, "usage 1 (PKIX-EE) is not usable for SMTP"},
		{"PrivCert usage", 255, 1, 1, sha256Hex, "unknown usage 255"},
		{"unknown selector", 3, 2, 1, sha256Hex, "unknown selector 2"},
		{"unknown matching type", 3, 1, 3, sha256Hex, "unknown matching type 3"},
		{"SHA-256 digest too short", 3, 1, 1, sha256Hex[:62], "a SHA-256 digest is 32 bytes, not 31"},
		{"SHA-256 type with a SHA-512 digest", 3, 1, 1, sha512Hex, "a SHA-256 digest is 32 bytes, not 64"},
		{"SHA-512 type with a SHA-256 digest", 3, 1, 2, sha256Hex, "a SHA-512 digest is 64 bytes, not 32"},
		{"empty digest", 3, 1, 1, "", "a SHA-256 digest is 32 bytes, not 0"},
		{"full certificate that is an SPKI", 3, 0, 0, hex.EncodeToString(spki), "not a DER-encoded certificate"},
		{"full SPKI that is a certificate", 3, 1, 0, hex.EncodeToString(cert), "not a DER-encoded SubjectPublicKeyInfo"},
		{"full SPKI with bytes after it", 3, 1, 0, hex.EncodeToString(spki) + "00", "not a DER-encoded SubjectPublicKeyInfo"},
		{"full certificate, empty", 3, 0, 0, "", "not a DER-encoded certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse(tt.usage, tt.selector, tt.matchingType, tt.data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got := r.Problem()
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}

func TestParseRejectsDataThatIsNotHex(t *testing.T) {
	for _, data := range []string{"abc", "zz", "ab cd", "\x00"} {
		if _, err := Parse(3, 1, 1, data); !errors.Is(err, ErrData) {
			t.Errorf("%q: got %v; want ErrData", data, err)
		}
	}
}
