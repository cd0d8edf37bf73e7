package providers

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary catalog files: Parse may reject them but must not
// panic or hang, and what it accepts must index and match without panicking.
func FuzzParse(f *testing.F) {
	// The head of the real catalog: large enough to be realistic, small
	// enough that the fuzzer spends its time mutating rather than minimising.
	if i := bytes.Index(embedded, []byte("  - key: google-workspace")); i > 0 {
		f.Add(embedded[:i])
	}
	f.Add([]byte("version: x\nproviders:" + okEntry))
	f.Add([]byte("version: x\nproviders:\n  - key: a\n    id: a\n    kind: gateway\n    mx: [\"*.pphosted.com\"]\n"))
	f.Add([]byte("version: x\nproviders:\n  - &a {key: a, id: a, kind: mailbox}\n  - *a\n"))
	f.Add([]byte("version: x\nproviders:\n  - key: a\n    id: a\n    kind: mailbox\n    tokens: [\"MS=\"]\n"))
	f.Add([]byte(""))
	f.Add([]byte("- a\n- b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, p := range c.Providers {
			for _, pat := range p.MX {
				if got := c.MatchMX("x." + pat); got == nil {
					t.Errorf("MatchMX(x.%s) = nil; want a match", pat)
				}
			}
			for _, tok := range p.Tokens {
				if c.MatchToken(tok) == nil {
					t.Errorf("MatchToken(%q) = nil; want a match", tok)
				}
			}
		}
		_ = Default().Merge(c).IDs()
	})
}

// FuzzMatchMX checks that any name either matches nothing or matches through
// a pattern of the returned entry that is a label-boundary suffix of it.
func FuzzMatchMX(f *testing.F) {
	for _, h := range benchHosts {
		f.Add(h)
	}
	for _, h := range []string{"", ".", "..", "evilgoogle.com", "google.com.evil.example", "A.ASPMX.L.GOOGLE.COM.",
		"%{i}.spf.hc6813-64.iphmx.com", "x%{i}iphmx.com", "%{", "%", "a/24", "mx0a-00909a01.pphosted.com", "mx.\u212aundenserver.de",
		"fortimail01.example.fi", "SEPPMAIL-2.gemeinde.ch"} {
		f.Add(h)
	}
	c := Default()
	f.Fuzz(func(t *testing.T, host string) {
		h := c.mx.match(host)
		norm := lowerASCII(strings.TrimSuffix(host, "."))
		if h.p != nil {
			if !strings.HasSuffix(norm, h.pattern) || (norm != h.pattern && !strings.HasSuffix(norm, "."+h.pattern)) {
				t.Fatalf("MatchMX(%q) matched %s via %q, which is not a label-boundary suffix", host, h.p.Key, h.pattern)
			}
			if !slices.Contains(h.p.MX, h.pattern) {
				t.Fatalf("MatchMX(%q) returned %s via %q, not one of its patterns", host, h.p.Key, h.pattern)
			}
		}
		if len(norm) <= maxName {
			if want, wantPat := oracle(c, func(p *Provider) []string { return p.MX }, host); want != h.p || wantPat != h.pattern {
				t.Fatalf("MatchMX(%q) = %s via %q; want %s via %q", host, keyOf(h.p), h.pattern, keyOf(want), wantPat)
			}
		}
		// The other matchers and Tenant share the guarantees: no panics.
		c.MatchSPF(host)
		c.MatchDKIM(host)
		c.MatchAutodiscover(host)
		c.MatchToken(host)
		Tenant(h.p, host)
		IsSubdomainOf(host, "google.com")
		// An appliance names a label in front of the registered domain,
		// never the registered domain itself.
		if i := strings.IndexByte(norm, '.'); i > 0 {
			reg := norm[i+1:]
			if p := c.MatchAppliance(host, reg); p != nil && len(p.Appliance) == 0 {
				t.Fatalf("MatchAppliance(%q, %q) = %s, which names no appliance", host, reg, p.Key)
			}
			if c.MatchAppliance(reg, reg) != nil {
				t.Fatalf("MatchAppliance(%q, %q) matched the registered domain itself", reg, reg)
			}
		}
	})
}
