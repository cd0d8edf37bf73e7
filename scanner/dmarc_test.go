package scanner_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/dnstest"
	"github.com/mxscope/mxscope/scanner/resolve"
)

// dmarcWorld holds one domain for each way RFC 9989 discovery and
// evaluation can go (issue 12), scanned end to end.
var dmarcWorld = `
$TTL 300
mx.host.example.          A   192.0.2.1
; np: the target does not exist
p1.example.               MX  10 mx.host.example.
_dmarc.p1.example.        TXT "v=DMARC1; p=reject; sp=none; np=reject; rua=mailto:d@p1.example"
live.p1.example.          MX  10 mx.host.example.
; t=y
t1.example.               MX  10 mx.host.example.
_dmarc.t1.example.        TXT "v=DMARC1; p=reject; t=y; rua=mailto:d@t1.example"
t2.example.               MX  10 mx.host.example.
_dmarc.t2.example.        TXT "v=DMARC1; p=quarantine; t=y; rua=mailto:d@t2.example"
; the Organizational Domain, not the nearest parent
a.b.example.test.         MX  10 mx.host.example.
_dmarc.b.example.test.    TXT "v=DMARC1; p=none"
_dmarc.example.test.      TXT "v=DMARC1; p=reject; rua=mailto:d@example.test"
; several records
tworec.example.           MX  10 mx.host.example.
_dmarc.tworec.example.    TXT "v=DMARC1; p=reject"
_dmarc.tworec.example.    TXT "v=DMARC1; p=none"
two.org2.example.         MX  10 mx.host.example.
_dmarc.two.org2.example.  TXT "v=DMARC1; p=reject"
_dmarc.two.org2.example.  TXT "v=DMARC1; p=none"
_dmarc.org2.example.      TXT "v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@org2.example"
; syntax errors in the remainder
ctl.example.              MX  10 mx.host.example.
_dmarc.ctl.example.       TXT "v=DMARC1; p=reject; rua=mailto:d@ctl.example; x=a\001b"
; Public Suffix Domain policy
city.gov.test.            MX  10 mx.host.example.
_dmarc.gov.test.          TXT "v=DMARC1; p=reject; psd=y; rua=mailto:psd@gov.test"
; sp and np at the Organizational Domain only
nosub.example.            MX  10 mx.host.example.
_dmarc.nosub.example.     TXT "v=DMARC1; p=reject; sp=none; rua=mailto:d@nosub.example"
nonx.example.             MX  10 mx.host.example.
_dmarc.nonx.example.      TXT "v=DMARC1; p=reject; np=none; rua=mailto:d@nonx.example"
sub.own.example.          MX  10 mx.host.example.
_dmarc.sub.own.example.   TXT "v=DMARC1; p=reject; sp=none; rua=mailto:d@own.example"
_dmarc.own.example.       TXT "v=DMARC1; p=reject; rua=mailto:d@own.example"
; no valid p, and one valid rua URI among malformed ones: p=none
ruatab.example.           MX  10 mx.host.example.
_dmarc.ruatab.example.    TXT "v=DMARC1; p=bogus; rua=mailto:d@ruatab.example\000,\009mailto:e@ruatab.example"
; a tag written twice
dup.example.              MX  10 mx.host.example.
_dmarc.dup.example.       TXT "v=DMARC1; p=reject; p=none; rua=mailto:d@dup.example"
`

// bigRecord is a DMARC record of more than 4,096 bytes in 255-byte
// character-strings, valid by its content.
func bigRecord() string {
	rec := "v=DMARC1; p=reject; rua=mailto:d@big.example; x=" + strings.Repeat("a", 4200)
	var parts []string
	for len(rec) > 0 {
		n := min(255, len(rec))
		parts = append(parts, `"`+rec[:n]+`"`)
		rec = rec[n:]
	}
	return "big.example. MX 10 mx.host.example.\n_dmarc.big.example. TXT " + strings.Join(parts, " ") + "\n"
}

func newDMARCScanner(t *testing.T, log *queryLog, checks string) *scanner.Scanner {
	t.Helper()
	srv := dnstest.New(t, dmarcWorld+bigRecord())
	if log != nil {
		srv.SetHook(log.record)
	}
	c, err := resolve.NewClient(resolve.Config{Servers: []string{srv.Addr()}, Timeout: 500 * time.Millisecond, Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	opts := scanner.Options{}
	if checks != "" {
		if opts.Checks, err = scanner.ParseChecks(checks); err != nil {
			t.Fatal(err)
		}
	}
	return scanner.New(c, opts)
}

func TestDMARCAsRFC9989EvaluatesIt(t *testing.T) {
	tests := []struct {
		domain  string
		status  scanner.Status // the domain's own
		dmarc   string
		policy  string
		applied string
		testing bool
		source  string
		org     string
		psd     bool
		want    []string // finding ids that must be there
		notWant []string // and must not
	}{
		// np for a target that does not exist; an NXDOMAIN row has no findings.
		{domain: "nx.p1.example", status: scanner.StatusNXDomain, dmarc: "ok", policy: "reject", applied: "reject",
			source: "_dmarc.p1.example", org: "p1.example"},
		{domain: "live.p1.example", status: scanner.StatusOK, dmarc: "ok", policy: "none", applied: "none",
			source: "_dmarc.p1.example", org: "p1.example", want: []string{"dmarc-not-enforced"}},
		// t=y lowers what receivers apply.
		{domain: "t1.example", status: scanner.StatusOK, dmarc: "ok", policy: "reject", applied: "quarantine", testing: true,
			source: "_dmarc.t1.example", org: "t1.example", want: []string{"dmarc-testing"}, notWant: []string{"dmarc-not-enforced"}},
		{domain: "t2.example", status: scanner.StatusOK, dmarc: "ok", policy: "quarantine", applied: "none", testing: true,
			source: "_dmarc.t2.example", org: "t2.example", want: []string{"dmarc-testing", "dmarc-not-enforced"}},
		// The Organizational Domain's record, not the nearest parent's.
		{domain: "a.b.example.test", status: scanner.StatusOK, dmarc: "ok", policy: "reject", applied: "reject",
			source: "_dmarc.example.test", org: "example.test", notWant: []string{"dmarc-not-enforced"}},
		// Several records: discarded, and the walk goes on.
		{domain: "tworec.example", status: scanner.StatusOK, dmarc: "none",
			org: "tworec.example", want: []string{"dmarc-multiple-records"}, notWant: []string{"dmarc-missing", "dmarc-invalid"}},
		{domain: "two.org2.example", status: scanner.StatusOK, dmarc: "ok", policy: "quarantine", applied: "quarantine",
			source: "_dmarc.org2.example", org: "org2.example", want: []string{"dmarc-multiple-records"}},
		// Syntax errors are named, p stands.
		{domain: "ctl.example", status: scanner.StatusOK, dmarc: "ok", policy: "reject", applied: "reject",
			source: "_dmarc.ctl.example", org: "ctl.example", want: []string{"dmarc-syntax"}, notWant: []string{"dmarc-invalid"}},
		{domain: "big.example", status: scanner.StatusOK, dmarc: "ok", policy: "reject", applied: "reject",
			source: "_dmarc.big.example", org: "big.example", notWant: []string{"dmarc-invalid", "dmarc-syntax"}},
		// A Public Suffix Domain's policy; its rua is not the domain's.
		{domain: "city.gov.test", status: scanner.StatusOK, dmarc: "ok", policy: "reject", applied: "reject",
			source: "_dmarc.gov.test", org: "city.gov.test", psd: true, notWant: []string{"dmarc-missing", "dmarc-no-reports"}},
		// sp and np speak only at the Organizational Domain.
		{domain: "nosub.example", status: scanner.StatusOK, dmarc: "ok", policy: "reject", applied: "reject",
			source: "_dmarc.nosub.example", org: "nosub.example", want: []string{"dmarc-subdomain-not-enforced"}},
		{domain: "nonx.example", status: scanner.StatusOK, dmarc: "ok", policy: "reject", applied: "reject",
			source: "_dmarc.nonx.example", org: "nonx.example", want: []string{"dmarc-subdomain-not-enforced"}},
		{domain: "sub.own.example", status: scanner.StatusOK, dmarc: "ok", policy: "reject", applied: "reject",
			source: "_dmarc.sub.own.example", org: "own.example", notWant: []string{"dmarc-subdomain-not-enforced"}},
		// RFC 9989 §4.10.1: a record without a valid p counts as p=none when
		// its rua holds one syntactically valid URI, read URI by URI.
		{domain: "ruatab.example", status: scanner.StatusOK, dmarc: "ok", policy: "none", applied: "none",
			source: "_dmarc.ruatab.example", org: "ruatab.example", want: []string{"dmarc-not-enforced", "dmarc-syntax"},
			notWant: []string{"dmarc-invalid", "dmarc-no-reports"}},
		// RFC 6376 §3.2, whose tag-value syntax RFC 9989 §4.7 adopts: a
		// repeated tag makes the tag list invalid.
		{domain: "dup.example", status: scanner.StatusOK, dmarc: "invalid",
			source: "_dmarc.dup.example", org: "dup.example", want: []string{"dmarc-invalid"}, notWant: []string{"dmarc-missing"}},
	}
	var log queryLog
	got := scanTable(t, newDMARCScanner(t, &log, ""), tests)
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			r := got[tt.domain]
			d := r.DMARC
			if r.Status != tt.status || d.Status != tt.dmarc || d.Policy != tt.policy || d.AppliedPolicy != tt.applied || d.Testing != tt.testing {
				t.Errorf("status %s, dmarc %s, policy %q, applied %q, testing %v (%s); want %s, %s, %q, %q, %v",
					r.Status, d.Status, d.Policy, d.AppliedPolicy, d.Testing, d.Error, tt.status, tt.dmarc, tt.policy, tt.applied, tt.testing)
			}
			if d.Source != tt.source || d.OrgDomain != tt.org || d.PSDPolicy != tt.psd {
				t.Errorf("source %q, org_domain %q, psd_policy %v; want %q, %q, %v", d.Source, d.OrgDomain, d.PSDPolicy, tt.source, tt.org, tt.psd)
			}
			ids := findingIDs(r)
			for _, id := range tt.want {
				if !slices.Contains(ids, id) {
					t.Errorf("findings %v; want %s", ids, id)
				}
			}
			for _, id := range tt.notWant {
				if slices.Contains(ids, id) {
					t.Errorf("findings %v; want no %s", ids, id)
				}
			}
		})
	}
	// Whether nx.p1.example exists came from the MX query the scan asks
	// anyway: one MX question on the wire, none of A or TXT for it.
	asked := log.asked(func(q dnstest.Query) string {
		if q.Name != "nx.p1.example." {
			return ""
		}
		return dns.TypeToString[q.Type]
	})
	if n := slices.Index(asked, "MX"); n < 0 || slices.Contains(asked[n+1:], "MX") {
		t.Errorf("nx.p1.example asked %q; want MX once", slices.DeleteFunc(asked, func(s string) bool { return s == "" }))
	}
	if w := got["ctl.example"].DMARC.Warnings; !slices.ContainsFunc(w, func(s string) bool { return strings.Contains(s, `x="a\x01b" ignored`) }) {
		t.Errorf("ctl.example warnings %q; want the discarded x tag named", w)
	}
	if m := got["tworec.example"].DMARC.MultipleRecords; !slices.Equal(m, []string{"_dmarc.tworec.example"}) {
		t.Errorf("tworec.example multiple_records %q; want [_dmarc.tworec.example]", m)
	}
}

// Without the mx check the scan learns that the domain does not exist from
// its apex TXT query, and np still applies.
func TestDMARCNonexistentDomainWithoutMXCheck(t *testing.T) {
	r := scanAll(t, newDMARCScanner(t, nil, "dmarc"), "nx.p1.example")["nx.p1.example"]
	if r.Status != scanner.StatusNXDomain || r.DMARC.Policy != "reject" || r.DMARC.AppliedPolicy != "reject" {
		t.Errorf("status %s, dmarc policy %q applied %q (%s); want nxdomain, reject, reject", r.Status, r.DMARC.Policy, r.DMARC.AppliedPolicy, r.DMARC.Error)
	}
}
