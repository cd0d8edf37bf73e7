package dkim

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"
	"testing"
)

// rsaKey returns base64 key data for an RSA public key whose modulus has
// exactly bits bits: only the length matters here, and crypto/rsa no longer
// generates keys under 1024 bits. pkcs1 selects the bare RSAPublicKey form.
func rsaKey(t testing.TB, bits int, pkcs1 bool) string {
	t.Helper()
	n := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
	n.Add(n, big.NewInt(1))
	pub := &rsa.PublicKey{N: n, E: 65537}
	if pkcs1 {
		return base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(pub))
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

func edKey(t testing.TB, spki bool) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !spki {
		return base64.StdEncoding.EncodeToString(pub)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

func TestParseKey(t *testing.T) {
	k2048 := rsaKey(t, 2048, false)
	x, err := ecdh.X25519().GenerateKey(zeroReader{})
	if err != nil {
		t.Fatal(err)
	}
	xder, _ := x509.MarshalPKIXPublicKey(x.PublicKey())
	tests := []struct {
		name    string
		record  string
		typ     KeyType
		bits    int
		revoked bool
		testing bool
		err     error
	}{
		{"rsa 2048, SubjectPublicKeyInfo", "v=DKIM1; k=rsa; p=" + k2048, KeyRSA, 2048, false, false, nil},
		{"k= defaults to rsa", "p=" + k2048, KeyRSA, 2048, false, false, nil},
		{"bare RSAPublicKey", "v=DKIM1; p=" + rsaKey(t, 1024, true), KeyRSA, 1024, false, false, nil},
		{"rsa 512", "v=DKIM1; p=" + rsaKey(t, 512, false), KeyRSA, 512, false, false, nil},
		{"rsa 4096", "v=DKIM1; p=" + rsaKey(t, 4096, false), KeyRSA, 4096, false, false, nil},
		{"base64 folded with white space", "v=DKIM1; p=" + k2048[:40] + " \t" + k2048[40:], KeyRSA, 2048, false, false, nil},
		{"unpadded base64", "p=" + strings.TrimRight(k2048, "="), KeyRSA, 2048, false, false, nil},
		{"ed25519 (RFC 8463)", "v=DKIM1; k=ed25519; p=" + edKey(t, false), KeyEd25519, 256, false, false, nil},
		{"testing", "v=DKIM1; t=y; p=" + k2048, KeyRSA, 2048, false, true, nil},
		{"testing among other flags, any case", "v=DKIM1; t = s:Y ; p=" + k2048, KeyRSA, 2048, false, true, nil},
		{"revoked", "v=DKIM1; k=rsa; p=", KeyRSA, 0, true, false, nil},
		{"revoked, spaces only", "v=DKIM1; p=  ;", KeyRSA, 0, true, false, nil},
		{"trailing semicolon and spaces", "v=DKIM1; p=" + k2048 + "; ", KeyRSA, 2048, false, false, nil},
		{"unknown tags are ignored", "v=DKIM1; x_new=1; n=hello there; p=" + k2048, KeyRSA, 2048, false, false, nil},
		{"service email", "v=DKIM1; s=email; p=" + k2048, KeyRSA, 2048, false, false, nil},
		{"hash list with sha256", "v=DKIM1; h=sha1:sha256; p=" + k2048, KeyRSA, 2048, false, false, nil},

		{"v= not first", "k=rsa; v=DKIM1; p=" + k2048, "", 0, false, false, ErrVersion},
		{"v=DKIM2", "v=DKIM2; p=" + k2048, "", 0, false, false, ErrVersion},
		{"duplicate p", "v=DKIM1; p=" + k2048 + "; p=" + k2048, "", 0, false, false, ErrDuplicate},
		{"no p", "v=DKIM1; k=rsa", "", 0, false, false, ErrNoKey},
		{"unknown key type", "v=DKIM1; k=dsa; p=" + k2048, "", 0, false, false, ErrKeyType},
		{"not for email", "v=DKIM1; s=other; p=" + k2048, "", 0, false, false, ErrService},
		{"sha1 only", "v=DKIM1; h=sha1; p=" + k2048, "", 0, false, false, ErrHash},
		{"not base64", "v=DKIM1; p=MIIB!!!!", "", 0, false, false, ErrKeyData},
		{"base64 but not a key", "v=DKIM1; p=aGVsbG8gd29ybGQ=", "", 0, false, false, ErrKeyData},
		{"ed25519 wrapped in SubjectPublicKeyInfo", "v=DKIM1; k=ed25519; p=" + edKey(t, true), "", 0, false, false, ErrKeyData},
		{"k=rsa with an ed25519 SubjectPublicKeyInfo", "v=DKIM1; k=rsa; p=" + edKey(t, true), "", 0, false, false, ErrKeyData},
		{"k=rsa with an X25519 key", "v=DKIM1; p=" + base64.StdEncoding.EncodeToString(xder), "", 0, false, false, ErrKeyData},
		{"no equals sign", "v=DKIM1; garbage; p=" + k2048, "", 0, false, false, ErrSyntax},
		{"bad tag name", "v=DKIM1; 1x=2; p=" + k2048, "", 0, false, false, ErrSyntax},
		{"control character", "v=DKIM1; n=\x1b[31m; p=" + k2048, "", 0, false, false, ErrControlChar},
		{"too long", "v=DKIM1; n=" + strings.Repeat("a", MaxRecordLen) + "; p=" + k2048, "", 0, false, false, ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParseKey(tt.record)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v; want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if k.Type != tt.typ || k.Bits != tt.bits || k.Revoked != tt.revoked || k.Testing != tt.testing {
				t.Errorf("got %s/%d revoked=%v testing=%v; want %s/%d revoked=%v testing=%v",
					k.Type, k.Bits, k.Revoked, k.Testing, tt.typ, tt.bits, tt.revoked, tt.testing)
			}
		})
	}
}

func TestTestingFlagIsCaseInsensitive(t *testing.T) {
	k, err := ParseKey("v=DKIM1; t=s:Y; p=" + rsaKey(t, 2048, false))
	if err != nil || !k.Testing || !k.Strict {
		t.Errorf("got %+v, %v; want testing and strict", k, err)
	}
}

func TestJudge(t *testing.T) {
	k := rsaKey(t, 2048, false)
	tests := []struct {
		name string
		txts []string
		want Status
	}{
		{"nothing", nil, StatusAbsent},
		{"one key", []string{"v=DKIM1; p=" + k}, StatusOK},
		{"a key among other TXT strings", []string{"v=spf1 -all", "v=DKIM1; p=" + k, "MS=ms123"}, StatusOK},
		{"only an SPF record (a wildcard)", []string{"v=spf1 include:_spf.example -all"}, StatusAbsent},
		{"a verification token", []string{"google-site-verification=abc"}, StatusAbsent},
		{"revoked", []string{"v=DKIM1; p="}, StatusRevoked},
		{"two key records", []string{"v=DKIM1; p=" + k, "v=DKIM1; p=" + k}, StatusInvalid},
		{"broken key record", []string{"v=DKIM1; k=rsa; p=notbase64!"}, StatusInvalid},
		{"broken syntax that still names a key", []string{"v=DKIM1 p=" + k}, StatusInvalid},
		{"v=DKIM1 with no key", []string{"v=DKIM1"}, StatusInvalid},
		{"another version is not DKIM", []string{"v=DKIM2; p=" + k}, StatusAbsent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := Judge(tt.txts)
			if j.Status != tt.want {
				t.Fatalf("status %s (%s); want %s", j.Status, j.Err, tt.want)
			}
			if (j.Status == StatusInvalid) != (j.Err != "") {
				t.Errorf("status %s with error %q", j.Status, j.Err)
			}
			if (j.Status == StatusOK || j.Status == StatusRevoked) && j.Key == nil {
				t.Errorf("status %s without a key", j.Status)
			}
		})
	}
}

// zeroReader makes key generation deterministic where determinism is all
// a test needs.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
