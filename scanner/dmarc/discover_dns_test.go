package dmarc_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxscope/mxscope/scanner/dmarc"
	"github.com/mxscope/mxscope/scanner/dnstest"
	"github.com/mxscope/mxscope/scanner/resolve"
)

// The worked examples of RFC 9989 Appendix B.4 and §4.10.2, and the cases of
// issue 12, asked through real DNS messages: a dnstest server answers from
// zone text, a resolve.Client and Cache ask it, and whether the domain
// exists comes from an A query, as in a scan.

// dnsCase is one domain to discover and what RFC 9989 says about it.
type dnsCase struct {
	domain    string
	status    dmarc.Status
	policy    dmarc.Policy // as published for this domain (p, sp or np)
	applied   dmarc.Policy // after t=y; defaults to policy
	source    string
	inherited bool
	psd       bool // the Public Suffix Domain's record applies
	org       string
	asked     []string // the _dmarc names asked, in order, when set
	testing   bool     // the record that applies says t=y
	multiple  []string // the _dmarc names holding several records
	rule      string   // the RFC text the case checks, logged when it fails
}

func TestDiscoverThroughDNS(t *testing.T) {
	groups := []struct {
		name  string
		zone  string
		cases []dnsCase
	}{
		{
			// B.4.1: _dmarc.example.com and _dmarc.signing.example.com
			// have records, _dmarc.com does not.
			name: "RFC 9989 B.4.1 simple organizational and policy example",
			zone: `
example.com.                TXT "v=spf1 -all"
_dmarc.example.com.         TXT "v=DMARC1; p=reject; rua=mailto:dmarc-feedback@example.com"
signing.example.com.        A   192.0.2.1
_dmarc.signing.example.com. TXT "v=DMARC1; p=none"
`,
			cases: []dnsCase{
				{domain: "example.com", status: dmarc.StatusOK, policy: dmarc.PolicyReject, source: "_dmarc.example.com",
					org: "example.com", asked: []string{"_dmarc.example.com", "_dmarc.com"}},
				{domain: "signing.example.com", status: dmarc.StatusOK, policy: dmarc.PolicyNone, source: "_dmarc.signing.example.com",
					org: "example.com", asked: []string{"_dmarc.signing.example.com", "_dmarc.example.com", "_dmarc.com"}},
			},
		},
		{
			// B.4.2: a.b.c.d.e.f.g.h.i.j.k.example.com has no record; the
			// walk skips to seven labels and finds example.com's.
			name: "RFC 9989 B.4.2 deep tree walk",
			zone: `
a.b.c.d.e.f.g.h.i.j.k.example.com. A 192.0.2.2
_dmarc.example.com.         TXT "v=DMARC1; p=reject; sp=quarantine"
_dmarc.signing.example.com. TXT "v=DMARC1; p=none"
`,
			cases: []dnsCase{
				{domain: "a.b.c.d.e.f.g.h.i.j.k.example.com", status: dmarc.StatusOK, policy: dmarc.PolicyQuarantine,
					source: "_dmarc.example.com", inherited: true, org: "example.com",
					asked: []string{
						"_dmarc.a.b.c.d.e.f.g.h.i.j.k.example.com", "_dmarc.g.h.i.j.k.example.com",
						"_dmarc.h.i.j.k.example.com", "_dmarc.i.j.k.example.com", "_dmarc.j.k.example.com",
						"_dmarc.k.example.com", "_dmarc.example.com", "_dmarc.com",
					}},
				{domain: "signing.example.com", status: dmarc.StatusOK, policy: dmarc.PolicyNone, source: "_dmarc.signing.example.com",
					org: "example.com"},
			},
		},
		{
			// B.4.3: _dmarc.bank.example has psd=y, _dmarc.example has
			// nothing, _dmarc.giant.bank.example has a record without psd,
			// _dmarc.mega.bank.example and _dmarc.mail.mega.bank.example
			// have none.
			name: "RFC 9989 B.4.3 psd=y on a bank's domain",
			zone: `
giant.bank.example.          A   192.0.2.3
mail.giant.bank.example.     A   192.0.2.4
mail.mega.bank.example.      A   192.0.2.5
_dmarc.bank.example.         TXT "v=DMARC1; p=reject; sp=quarantine; np=reject; psd=y"
_dmarc.giant.bank.example.   TXT "v=DMARC1; p=none; sp=reject"
`,
			cases: []dnsCase{
				{domain: "giant.bank.example", status: dmarc.StatusOK, policy: dmarc.PolicyNone,
					source: "_dmarc.giant.bank.example", org: "giant.bank.example",
					asked: []string{"_dmarc.giant.bank.example", "_dmarc.bank.example"}},
				{domain: "mail.giant.bank.example", status: dmarc.StatusOK, policy: dmarc.PolicyReject,
					source: "_dmarc.giant.bank.example", inherited: true, org: "giant.bank.example",
					asked: []string{"_dmarc.mail.giant.bank.example", "_dmarc.giant.bank.example", "_dmarc.bank.example"}},
				{domain: "mail.mega.bank.example", status: dmarc.StatusOK, policy: dmarc.PolicyQuarantine,
					source: "_dmarc.bank.example", inherited: true, psd: true, org: "mega.bank.example",
					asked: []string{"_dmarc.mail.mega.bank.example", "_dmarc.mega.bank.example", "_dmarc.bank.example"}},
				// The PSD's np, for a name under it that does not exist.
				{domain: "gone.mega.bank.example", status: dmarc.StatusOK, policy: dmarc.PolicyReject,
					source: "_dmarc.bank.example", inherited: true, psd: true, org: "mega.bank.example"},
			},
		},
		{
			name: "RFC 9989 §4.10.2 examples",
			zone: `
a.mail.example.com.     A   192.0.2.6
_dmarc.mail.example.com. TXT "v=DMARC1; p=none"
_dmarc.example.com.     TXT "v=DMARC1; p=reject"
a.mail.example.net.     A   192.0.2.7
_dmarc.mail.example.net. TXT "v=DMARC1; p=none; sp=quarantine; psd=n"
_dmarc.example.net.     TXT "v=DMARC1; p=reject"
a.mail.example.org.     A   192.0.2.8
_dmarc.org.             TXT "v=DMARC1; p=reject; psd=y"
`,
			cases: []dnsCase{
				{domain: "a.mail.example.com", status: dmarc.StatusOK, policy: dmarc.PolicyReject,
					source: "_dmarc.example.com", inherited: true, org: "example.com"},
				{domain: "a.mail.example.net", status: dmarc.StatusOK, policy: dmarc.PolicyQuarantine,
					source: "_dmarc.mail.example.net", inherited: true, org: "mail.example.net",
					asked: []string{"_dmarc.a.mail.example.net", "_dmarc.mail.example.net"}},
				{domain: "a.mail.example.org", status: dmarc.StatusOK, policy: dmarc.PolicyReject,
					source: "_dmarc.org", inherited: true, psd: true, org: "example.org"},
			},
		},
		{
			name: "issue 12: np, t=y, the organizational domain, several records, syntax errors",
			zone: `
p1.example.              A   192.0.2.9
_dmarc.p1.example.       TXT "v=DMARC1; p=reject; sp=none; np=reject"
live.p1.example.         A   192.0.2.10
a.b.example.test.        A   192.0.2.11
_dmarc.b.example.test.   TXT "v=DMARC1; p=none"
_dmarc.example.test.     TXT "v=DMARC1; p=reject"
t1.example.              TXT "v=spf1 -all"
_dmarc.t1.example.       TXT "v=DMARC1; p=reject; t=y"
t2.example.              TXT "v=spf1 -all"
_dmarc.t2.example.       TXT "v=DMARC1; p=quarantine; t=y"
two.org2.example.        A   192.0.2.12
_dmarc.two.org2.example. TXT "v=DMARC1; p=none"
_dmarc.two.org2.example. TXT "v=DMARC1; p=reject"
_dmarc.org2.example.     TXT "v=DMARC1; p=reject; sp=quarantine"
ctl.example.             TXT "v=spf1 -all"
_dmarc.ctl.example.      TXT "v=DMARC1; p=reject; x=a\001b"
nul.example.             TXT "v=DMARC1; p=none"
_dmarc.nul.example.      TXT "v=DMARC1; p=quarantine; rua=mailto:d@nul.example;\000"
`,
			cases: []dnsCase{
				{domain: "nx.p1.example", status: dmarc.StatusOK, policy: dmarc.PolicyReject,
					source: "_dmarc.p1.example", inherited: true, org: "p1.example"},
				{domain: "live.p1.example", status: dmarc.StatusOK, policy: dmarc.PolicyNone,
					source: "_dmarc.p1.example", inherited: true, org: "p1.example"},
				{domain: "a.b.example.test", status: dmarc.StatusOK, policy: dmarc.PolicyReject,
					source: "_dmarc.example.test", inherited: true, org: "example.test"},
				{domain: "t1.example", status: dmarc.StatusOK, policy: dmarc.PolicyReject, applied: dmarc.PolicyQuarantine,
					source: "_dmarc.t1.example", org: "t1.example", testing: true},
				{domain: "t2.example", status: dmarc.StatusOK, policy: dmarc.PolicyQuarantine, applied: dmarc.PolicyNone,
					source: "_dmarc.t2.example", org: "t2.example", testing: true},
				{domain: "two.org2.example", status: dmarc.StatusOK, policy: dmarc.PolicyQuarantine,
					source: "_dmarc.org2.example", inherited: true, org: "org2.example", multiple: []string{"_dmarc.two.org2.example"}},
				{domain: "ctl.example", status: dmarc.StatusOK, policy: dmarc.PolicyReject,
					source: "_dmarc.ctl.example", org: "ctl.example"},
				{domain: "nul.example", status: dmarc.StatusOK, policy: dmarc.PolicyQuarantine,
					source: "_dmarc.nul.example", org: "nul.example"},
			},
		},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { runDNSCases(t, g.zone, g.cases) })
	}
}

// runDNSCases serves zone from a dnstest server and discovers each case's
// domain through a resolve.Client and a fresh Cache, as a scan does.
func runDNSCases(t *testing.T, zone string, cases []dnsCase) {
	t.Helper()
	srv := dnstest.New(t, zone)
	var mu sync.Mutex
	var asked []string
	srv.SetHook(func(q dnstest.Query) dnstest.Action {
		if q.Type == dns.TypeTXT {
			mu.Lock()
			asked = append(asked, strings.TrimSuffix(q.Name, "."))
			mu.Unlock()
		}
		return dnstest.Action{}
	})
	c, err := resolve.NewClient(resolve.Config{Servers: []string{srv.Addr()}, Timeout: time.Second, Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	for _, tc := range cases {
		t.Run(tc.domain, func(t *testing.T) {
			cache := resolve.NewCache(c) // a fresh cache, so every name asked reaches the server
			mu.Lock()
			asked = nil
			mu.Unlock()
			exists := dmarc.DomainExistence(func(ctx context.Context) dmarc.Existence {
				switch cache.Query(ctx, tc.domain, dns.TypeA).Status {
				case resolve.StatusNXDomain:
					return dmarc.NotExists
				case resolve.StatusOK, resolve.StatusNoData:
					return dmarc.Exists
				}
				return dmarc.ExistenceUnknown
			})
			got := dmarc.Discover(context.Background(), cache, tc.domain, exists)
			if tc.rule != "" {
				t.Logf("rule: %s", tc.rule)
			}
			applied := tc.applied
			if applied == "" {
				applied = tc.policy
			}
			if got.Status != tc.status || got.Policy != tc.policy || got.Applied != applied {
				t.Errorf("status, policy, applied = %s, %q, %q (%s); want %s, %q, %q",
					got.Status, got.Policy, got.Applied, got.Err, tc.status, tc.policy, applied)
			}
			if got.Source != tc.source || got.Inherited != tc.inherited || got.PSD != tc.psd || got.OrgDomain != tc.org {
				t.Errorf("source, inherited, psd, org = %q, %v, %v, %q; want %q, %v, %v, %q",
					got.Source, got.Inherited, got.PSD, got.OrgDomain, tc.source, tc.inherited, tc.psd, tc.org)
			}
			if tc.testing != got.Testing {
				t.Errorf("testing = %v; want %v", got.Testing, tc.testing)
			}
			if !slices.Equal(got.Multiple, tc.multiple) {
				t.Errorf("multiple = %q; want %q", got.Multiple, tc.multiple)
			}
			mu.Lock()
			defer mu.Unlock()
			if tc.asked != nil && !slices.Equal(asked, tc.asked) {
				t.Errorf("asked %q; want %q", asked, tc.asked)
			}
			if len(asked) > dmarc.MaxQueries {
				t.Errorf("asked %d names; RFC 9989 §4.10 allows %d", len(asked), dmarc.MaxQueries)
			}
		})
	}
}
