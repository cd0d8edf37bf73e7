package dmarc

import (
	"context"
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
		"v=DMARC1; p=reject; x=a\x01b",
		"v=DMARC1; p=reject; rua=mailto:d@example.com;\x00",
		"v=DMARC1; rua=mailto:nobody; p=\xff",
		"v=DMARC1; p=reject; psd=y; t=y; np=quarantine",
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
		if len(rec.Discarded) > len(rec.Warnings) {
			t.Fatalf("Parse(%q): %d discarded, only %d warnings", s, len(rec.Discarded), len(rec.Warnings))
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

// FuzzDiscover puts hostile records at a domain and two of its parents and
// holds discovery to its promises: at most MaxQueries queries, a policy
// exactly when the status is ok, an organizational domain that is the
// domain or one of its parents.
func FuzzDiscover(f *testing.F) {
	f.Add("a.b.example.test", "v=DMARC1; p=none", "v=DMARC1; p=reject; psd=n", "v=DMARC1; p=reject; psd=y", false, false)
	f.Add("x.y.z.a.b.c.d.e.f.example.com", "", "v=DMARC1; p=bogus", "v=DMARC1; t=y; p=reject", true, true)
	f.Fuzz(func(t *testing.T, domain, own, parent, top string, nx, two bool) {
		labels := strings.Split(domain, ".")
		txt := map[string][]string{"_dmarc." + domain: {own}}
		if two {
			txt["_dmarc."+domain] = []string{own, own}
		}
		if len(labels) > 1 {
			txt["_dmarc."+strings.Join(labels[1:], ".")] = []string{parent}
			txt["_dmarc."+labels[len(labels)-1]] = []string{top}
		}
		fr := &fakeResolver{txt: txt}
		got := Discover(context.Background(), fr, domain, DomainExists(!nx))
		if got.Queries > MaxQueries || len(fr.asked) != got.Queries {
			t.Fatalf("%d queries (%d asked)", got.Queries, len(fr.asked))
		}
		if (got.Status == StatusOK) != (got.Applied != "") {
			t.Fatalf("status %s with applied policy %q", got.Status, got.Applied)
		}
		d := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(domain)), ".")
		if got.OrgDomain != "" && got.OrgDomain != d && !strings.HasSuffix(d, "."+got.OrgDomain) {
			t.Fatalf("org domain %q is not %q or a parent", got.OrgDomain, d)
		}
	})
}
