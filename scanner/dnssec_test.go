package scanner_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/dnstest"
	"github.com/mxscope/mxscope/scanner/resolve"
)

// signedWorld is served with dnstest.Validating: the answers carry the
// verdicts a validating resolver would give, zone by zone (signedZones).
const signedWorld = `
$TTL 300
.                        DNSKEY 257 3 13 n+ts7a+524mL9Jh3RD+d00S8OLOguxfcqmnQlGJ6PYvsCfL4rq8ocHMtDgDLO/jD20Tw4T3JxfN2VBmsTsrz3Q==
; secure, with a DANE-EE record
secure.example.          MX   10 mx.secure.example.
mx.secure.example.       A    192.0.2.1
_25._tcp.mx.secure.example. TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
; secure, without TLSA
nodane.example.          MX   10 mx.nodane.example.
mx.nodane.example.       A    192.0.2.2
; secure, a dangling MX host: mx-dangling, not dane-missing
dangle.example.          MX   10 gone.dangle.example.
; secure, implicit MX without TLSA
implicit.example.        A    192.0.2.3
; secure, only PKIX usages
pkix.example.            MX   10 mx.pkix.example.
mx.pkix.example.         A    192.0.2.4
_25._tcp.mx.pkix.example. TLSA 1 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
_25._tcp.mx.pkix.example. TLSA 0 0 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
; secure, one usable record and one with a short digest
mixed.example.           MX   10 mx.mixed.example.
mx.mixed.example.        A    192.0.2.5
_25._tcp.mx.mixed.example. TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
_25._tcp.mx.mixed.example. TLSA 3 1 1 0123456789abcdef
; insecure, with TLSA
plain.example.           MX   10 mx.plain.example.
mx.plain.example.        A    192.0.2.6
_25._tcp.mx.plain.example. TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
; secure domain whose MX host lives in a bogus zone
awaymx.example.          MX   10 mx.broken.example.
mx.broken.example.       A    192.0.2.7
; bogus itself
bad.example.             MX   10 mx.secure.example.
; a server failure that no CD cures
sf.example.              MX   10 mx.secure.example.
`

var signedZones = map[string]dnstest.Verdict{
	".":              dnstest.Secure,
	"plain.example":  dnstest.Insecure,
	"broken.example": dnstest.Bogus,
	"bad.example":    dnstest.Bogus,
}

// newSignedScanner scans signedWorld through a server that answers as a
// validating resolver; extra, if not nil, runs first and may override.
func newSignedScanner(t *testing.T, extra dnstest.Hook, opts scanner.Options) *scanner.Scanner {
	t.Helper()
	srv := dnstest.New(t, signedWorld)
	validating := dnstest.Validating(signedZones)
	sf := dnstest.RcodeFor(dns.RcodeServerFailure, "sf.example")
	srv.SetHook(func(q dnstest.Query) dnstest.Action {
		if extra != nil {
			if a := extra(q); a.Drop || a.Rcode != 0 {
				return a
			}
		}
		if a := sf(q); a.Rcode != 0 {
			return a
		}
		return validating(q)
	})
	c, err := resolve.NewClient(resolve.Config{Servers: []string{srv.Addr()}, Timeout: 300 * time.Millisecond, Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return scanner.New(c, opts)
}

func tlsaStatuses(r *scanner.Result) []string {
	var out []string
	for _, m := range r.MX {
		if m.TLSA == nil {
			out = append(out, m.Host+"=-")
			continue
		}
		out = append(out, m.Host+"="+string(m.TLSA.Status)+"/"+string(m.TLSA.DNSSEC))
	}
	return out
}

func TestDNSSECAndDANEVerdicts(t *testing.T) {
	s := newSignedScanner(t, nil, scanner.Options{})
	tests := []struct {
		domain   string
		dnssec   scanner.DNSSECStatus
		tlsa     []string
		findings []string // the DNSSEC, DANE and lookup-failed findings, in order
	}{
		{"secure.example", scanner.DNSSECSecure, []string{"mx.secure.example=ok/secure"}, nil},
		{"nodane.example", scanner.DNSSECSecure, []string{"mx.nodane.example=none/secure"}, []string{"dane-missing"}},
		{"dangle.example", scanner.DNSSECSecure, []string{"gone.dangle.example=none/secure"}, nil},
		{"implicit.example", scanner.DNSSECSecure, []string{"implicit.example=none/secure"}, []string{"dane-missing"}},
		{"pkix.example", scanner.DNSSECSecure, []string{"mx.pkix.example=invalid/secure"}, []string{"dane-invalid"}},
		{"mixed.example", scanner.DNSSECSecure, []string{"mx.mixed.example=ok/secure"}, []string{"dane-invalid"}},
		{"plain.example", scanner.DNSSECInsecure, []string{"mx.plain.example=ok/insecure"}, []string{"dnssec-insecure", "dane-without-dnssec"}},
		{"awaymx.example", scanner.DNSSECSecure, []string{"mx.broken.example=temperror/bogus"}, []string{"dnssec-bogus", "lookup-failed"}},
		{"bad.example", scanner.DNSSECBogus, nil, []string{"dnssec-bogus", "lookup-failed"}},
		{"sf.example", scanner.DNSSECUnknown, nil, []string{"lookup-failed"}},
	}
	got := scanTable(t, s, tests)
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			r := got[tt.domain]
			if r.DNSSEC == nil || r.DNSSEC.Status != tt.dnssec {
				t.Errorf("dnssec: got %+v; want %s", r.DNSSEC, tt.dnssec)
			}
			if st := tlsaStatuses(r); !slices.Equal(st, tt.tlsa) {
				t.Errorf("tlsa: got %v; want %v", st, tt.tlsa)
			}
			var ids []string
			for _, id := range findingIDs(r) {
				if strings.HasPrefix(id, "dnssec-") || strings.HasPrefix(id, "dane-") || id == "lookup-failed" {
					ids = append(ids, id)
				}
			}
			if !slices.Equal(ids, tt.findings) {
				t.Errorf("findings: got %v; want %v\n%+v", ids, tt.findings, r.Findings)
			}
		})
	}

	// Every fix names the domain, and a DANE fix names the MX host too.
	for d, r := range got {
		for _, f := range r.Findings {
			if !strings.Contains(f.Fix, d) {
				t.Errorf("%s %s: fix %q does not name the domain", d, f.ID, f.Fix)
			}
			if strings.HasPrefix(f.ID, "dane-") && !strings.Contains(f.Fix, "_25._tcp."+r.MX[0].Host) {
				t.Errorf("%s %s: fix %q does not name the TLSA name of %s", d, f.ID, f.Fix, r.MX[0].Host)
			}
		}
	}

	// What the records say, and why one is unusable.
	mixed := got["mixed.example"].MX[0].TLSA
	if len(mixed.Records) != 2 || mixed.Records[0].Problem != "" || !strings.Contains(mixed.Records[1].Problem, "32 bytes, not 8") {
		t.Errorf("mixed.example records: got %+v", mixed.Records)
	}
	if r := got["bad.example"]; r.Status != scanner.StatusServFail || !strings.Contains(r.DNSSEC.Error, "checking disabled") {
		t.Errorf("bad.example: got status %s, dnssec %+v; want servfail, and why it is bogus", r.Status, r.DNSSEC)
	}
	if v, known := s.Validates(); !v || !known {
		t.Errorf("Validates: got %v, %v; want true, true", v, known)
	}
}

// A resolver that does not validate gives no verdicts: every status is
// unknown, with the reason, and no DNSSEC or DANE finding claims anything.
func TestDNSSECFromAResolverThatDoesNotValidate(t *testing.T) {
	// The same data with no verdicts at all: nothing gets AD.
	srv := dnstest.New(t, signedWorld)
	c, err := resolve.NewClient(resolve.Config{Servers: []string{srv.Addr()}, Timeout: 300 * time.Millisecond, Retries: 0})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s := scanner.New(c, scanner.Options{})
	got := scanAll(t, s, "plain.example", "nodane.example")
	for d, r := range got {
		if r.DNSSEC == nil || r.DNSSEC.Status != scanner.DNSSECUnknown || !strings.Contains(r.DNSSEC.Error, "does not validate") {
			t.Errorf("%s: dnssec %+v; want unknown, saying the resolver does not validate", d, r.DNSSEC)
		}
		if st := r.MX[0].TLSA.DNSSEC; st != scanner.DNSSECUnknown {
			t.Errorf("%s: tlsa dnssec %s; want unknown", d, st)
		}
		for _, id := range findingIDs(r) {
			if strings.HasPrefix(id, "dnssec-") || strings.HasPrefix(id, "dane-missing") || strings.HasPrefix(id, "dane-without") {
				t.Errorf("%s: finding %s from a resolver that does not validate", d, id)
			}
		}
	}
	if v, known := s.Validates(); v || !known {
		t.Errorf("Validates: got %v, %v; want false, true", v, known)
	}
}

// When the question that shows whether the resolver validates goes
// unanswered, the statuses say so rather than guess.
func TestDNSSECWhenTheValidationProbeFails(t *testing.T) {
	drop := func(q dnstest.Query) dnstest.Action {
		return dnstest.Action{Drop: q.Name == "." && q.Type == dns.TypeDNSKEY}
	}
	s := newSignedScanner(t, drop, scanner.Options{})
	r := scanAll(t, s, "plain.example", "secure.example")
	if d := r["plain.example"].DNSSEC; d.Status != scanner.DNSSECUnknown || !strings.Contains(d.Error, "was timeout") {
		t.Errorf("plain.example: got %+v; want unknown because the probe timed out", d)
	}
	// AD vouches for itself: secure needs no probe.
	if d := r["secure.example"].DNSSEC; d.Status != scanner.DNSSECSecure {
		t.Errorf("secure.example: got %+v; want secure", d)
	}
	if _, known := s.Validates(); known {
		t.Error("Validates: known after the probe timed out")
	}
}

// The dnssec check alone asks the domain's apex TXT (for its status) and,
// only when that answer lacks AD, the root's DNSKEY: nothing else.
func TestDNSSECCheckAloneAsksLittle(t *testing.T) {
	checks, err := scanner.ParseChecks("dnssec")
	if err != nil {
		t.Fatal(err)
	}
	var log queryLog
	s := newSignedScanner(t, log.record, scanner.Options{Concurrency: 1, Checks: checks})
	r := scanAll(t, s, "secure.example", "plain.example")
	asked := log.asked(func(q dnstest.Query) string { return q.Name + " " + dns.TypeToString[q.Type] })
	want := []string{"secure.example. TXT", "plain.example. TXT", ". DNSKEY"}
	if !slices.Equal(asked, want) {
		t.Errorf("asked %v; want %v", asked, want)
	}
	if r["secure.example"].DNSSEC.Status != scanner.DNSSECSecure || r["plain.example"].DNSSEC.Status != scanner.DNSSECInsecure {
		t.Errorf("got %+v and %+v; want secure and insecure", r["secure.example"].DNSSEC, r["plain.example"].DNSSEC)
	}
}

// queryOnly hides the client's QueryCD, as a Querier that cannot ask with
// CD (a test fake, a replay) would.
type queryOnly struct{ q resolve.Querier }

func (o queryOnly) Query(ctx context.Context, name string, qtype uint16) resolve.Answer {
	return o.q.Query(ctx, name, qtype)
}

// Without a way to ask with CD, a SERVFAIL is never called bogus.
func TestBogusNeedsCheckingDisabled(t *testing.T) {
	srv := dnstest.New(t, signedWorld)
	srv.SetHook(dnstest.Validating(signedZones))
	c, err := resolve.NewClient(resolve.Config{Servers: []string{srv.Addr()}, Timeout: 300 * time.Millisecond, Retries: 0})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r := scanAll(t, scanner.New(queryOnly{c}, scanner.Options{}), "bad.example")["bad.example"]
	if r.DNSSEC.Status != scanner.DNSSECUnknown || !strings.Contains(r.DNSSEC.Error, "cannot be asked with checking disabled") {
		t.Errorf("got %+v; want unknown, saying CD cannot be asked", r.DNSSEC)
	}
	if slices.Contains(findingIDs(r), "dnssec-bogus") {
		t.Errorf("findings %v: dnssec-bogus without the CD answer that shows it", findingIDs(r))
	}
}
