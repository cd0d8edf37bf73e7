package dmarc

import (
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"v=DMARC1; p=reject; rua=mailto:d@example.com",
		"v=DMARC1; p=quarantine; sp=none; np=reject; pct=50; t=y; psd=n; adkim=s; aspf=r; fo=1:d; ri=3600; rf=afrf",
		"v = DMARC1 ; p = none ; rua = mailto:a@example.com!10m , https://r.example/x",
		"v=DMARC1; p=bogus; rua=mailto:d@example.com",
		"v=DMARC1; p=reject; p=none",
		"v=DMARC1; p=reject\x00",
		"V=DMARC1;;;",
		"v=DMARC1; rua=mailto:%40@x!99999999999999999999t",
		"p=reject; v=DMARC1",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rec, err := Parse(s)
		if err != nil {
			if rec != nil {
				t.Fatalf("Parse(%q) returned a record with error %v", s, err)
			}
			if !strings.HasPrefix(err.Error(), "dmarc: ") {
				t.Fatalf("error %q lacks the package prefix", err)
			}
			return
		}
		if !isDMARC(s) {
			t.Fatalf("Parse accepted %q, which Select would discard", s)
		}
		for _, p := range []Policy{rec.Policy, rec.SubdomainPolicy, rec.NonexistentPolicy} {
			if p != PolicyNone && p != PolicyQuarantine && p != PolicyReject {
				t.Fatalf("Parse(%q): policy %q", s, p)
			}
		}
		if rec.Pct < 0 || rec.Pct > 100 {
			t.Fatalf("Parse(%q): pct %d", s, rec.Pct)
		}
		for _, u := range append(rec.RUA, rec.RUF...) {
			if u.Scheme == "" || printable(u.Address) != u.Address {
				t.Fatalf("Parse(%q): URI %+v without scheme", s, u)
			}
		}
		for _, w := range rec.Warnings {
			if controlIndex(w) >= 0 {
				t.Fatalf("Parse(%q): warning %q carries a control byte", s, w)
			}
		}
	})
}
