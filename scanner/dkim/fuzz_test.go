package dkim

import (
	"strings"
	"testing"
)

func FuzzParseKey(f *testing.F) {
	k := rsaKey(f, 1024, false)
	for _, s := range []string{
		"v=DKIM1; k=rsa; p=" + k,
		"v=DKIM1; p=" + rsaKey(f, 512, true),
		"v=DKIM1; k=ed25519; p=" + edKey(f, false),
		"v=DKIM1; k=ed25519; p=" + edKey(f, true),
		"v=DKIM1; t=y:s; h=sha256; s=email; n=note; p=" + k,
		"v=DKIM1; p=",
		"v=DKIM1; p=" + k + "; p=",
		"v=DKIM1 p=" + k,
		"k=rsa; v=DKIM1; p=" + k,
		"v=DKIM1; h=sha1; p=" + k,
		"p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC",
		"v=spf1 -all",
		"v=DKIM1; n=\x1b[31m; p=",
		";;; =; p",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKey(s)
		if err != nil {
			if k != nil {
				t.Fatalf("ParseKey(%q) returned a key with error %v", s, err)
			}
			if !strings.HasPrefix(err.Error(), "dkim: ") {
				t.Fatalf("error %q lacks the package prefix", err)
			}
			for _, c := range err.Error() {
				if c < 0x20 || c == 0x7f {
					t.Fatalf("error %q carries a control character", err)
				}
			}
			return
		}
		if k.Type != KeyRSA && k.Type != KeyEd25519 {
			t.Fatalf("ParseKey(%q): key type %q", s, k.Type)
		}
		if k.Revoked != (k.Bits == 0) {
			t.Fatalf("ParseKey(%q): revoked %v with %d bits", s, k.Revoked, k.Bits)
		}
		if k.Type == KeyEd25519 && !k.Revoked && k.Bits != 256 {
			t.Fatalf("ParseKey(%q): ed25519 with %d bits", s, k.Bits)
		}
		j := Judge([]string{s})
		if j.Status != StatusOK && j.Status != StatusRevoked {
			t.Fatalf("ParseKey accepted %q, but Judge says %s (%s)", s, j.Status, j.Err)
		}
	})
}
