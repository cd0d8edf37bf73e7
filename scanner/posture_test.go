package scanner_test

import (
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/dnstest"
	"github.com/mxscope/mxscope/scanner/mtasts"
	"github.com/mxscope/mxscope/scanner/mtasts/ststest"
	"github.com/mxscope/mxscope/scanner/resolve"
)

// rsaKeyB64 is base64 DER (SubjectPublicKeyInfo) for an RSA public key
// whose modulus has exactly bits bits: the DKIM check counts bits, and
// crypto/rsa no longer makes keys under 1024 bits.
func rsaKeyB64(t *testing.T, bits int) string {
	t.Helper()
	n := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
	n.Add(n, big.NewInt(1))
	der, err := x509.MarshalPKIXPublicKey(&rsa.PublicKey{N: n, E: 65537})
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

// txt writes s as a TXT record's data: quoted character-strings of at
// most 255 bytes, which a receiver concatenates.
func txt(s string) string {
	var parts []string
	for len(s) > 200 {
		parts = append(parts, `"`+s[:200]+`"`)
		s = s[200:]
	}
	return strings.Join(append(parts, `"`+s+`"`), " ")
}

// postureZone holds a domain for every case of the DKIM, BIMI, SPF ptr,
// IPv6 and parking checks.
func postureZone(t *testing.T) string {
	k2048, k1024, k512 := rsaKeyB64(t, 2048), rsaKeyB64(t, 1024), rsaKeyB64(t, 512)
	ed, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`
$TTL 300
mx.host.example.        A    192.0.2.10
mx.host.example.        AAAA 2001:db8::10
mx4.host.example.       A    192.0.2.11
mx6fail.host.example.   A    192.0.2.12
mx6fail.host.example.   AAAA 2001:db8::12
in1-smtp.messagingengine.com. A 192.0.2.20
in1-smtp.messagingengine.com. AAAA 2001:db8::20

; --- DKIM ---------------------------------------------------------------
dkimgood.example.            MX  10 mx.host.example.
dkimgood.example.            TXT "v=spf1 ip4:192.0.2.0/24 -all"
google._domainkey.dkimgood.example. TXT %s
ed._domainkey.dkimgood.example. TXT "v=DKIM1; k=ed25519; p=%s"

dkimweak.example.            MX  10 mx.host.example.
default._domainkey.dkimweak.example. TXT %s
selector1._domainkey.dkimweak.example. TXT %s

dkimtest.example.            MX  10 mx.host.example.
dkim._domainkey.dkimtest.example. TXT %s

dkimrevoked.example.         MX  10 mx.host.example.
s1._domainkey.dkimrevoked.example. TXT "v=DKIM1; p="

dkiminvalid.example.         MX  10 mx.host.example.
mail._domainkey.dkiminvalid.example. TXT "v=DKIM1; k=rsa; p=bm90IGEga2V5"
k1._domainkey.dkiminvalid.example. TXT %s

dkimnone.example.            MX  10 mx.host.example.

dkimunknown.example.         MX  10 mx.host.example.
custom2024._domainkey.dkimunknown.example. TXT %s

dkimfail.example.            MX  10 mx.host.example.
google._domainkey.dkimfail.example. TXT %s

dkimwild.example.            MX  10 mx.host.example.
dkimwild.example.            TXT "v=spf1 ip4:192.0.2.0/24 -all"
*.dkimwild.example.          TXT "v=spf1 -all"

fastmail.example.            MX  10 in1-smtp.messagingengine.com.
fm1._domainkey.fastmail.example. TXT %s

; --- parking ---------------------------------------------------------------
parked.example.              MX  0 .
parked.example.              TXT "v=spf1 -all"
_dmarc.parked.example.       TXT "v=DMARC1; p=reject"
parkedtesting.example.       MX  0 .
parkedtesting.example.       TXT "v=spf1 -all"
_dmarc.parkedtesting.example. TXT "v=DMARC1; p=reject; t=y"
parkednomx.example.          TXT "v=spf1 -all"
_dmarc.parkednomx.example.   TXT "v=DMARC1; p=reject; rua=mailto:d@parkednomx.example"
halfparked.example.          MX  0 .
halfparked.example.          TXT "v=spf1 -all"
_dmarc.halfparked.example.   TXT "v=DMARC1; p=quarantine"
leakyparked.example.         MX  0 .
leakyparked.example.         TXT "v=spf1 ip4:192.0.2.1 -all"
_dmarc.leakyparked.example.  TXT "v=DMARC1; p=reject"

; --- SPF ptr -------------------------------------------------------------------
ptr.example.                 MX  10 mx.host.example.
ptr.example.                 TXT "v=spf1 ptr -all"
ptrinc.example.              MX  10 mx.host.example.
ptrinc.example.              TXT "v=spf1 include:_spf.vendor.example -all"
_spf.vendor.example.         TXT "v=spf1 ptr:vendor.example ~all"

; --- IPv6 -------------------------------------------------------------------------
v6.example.                  MX  10 mx.host.example.
v4.example.                  MX  10 mx.host.example.
v4.example.                  MX  20 mx4.host.example.
v6fail.example.              MX  10 mx6fail.host.example.

; --- BIMI -----------------------------------------------------------------------------
bimiok.example.              MX  10 mx.host.example.
_dmarc.bimiok.example.       TXT "v=DMARC1; p=reject; rua=mailto:d@bimiok.example"
default._bimi.bimiok.example. TXT "v=BIMI1; l=https://bimiok.example/logo.svg; a=https://bimiok.example/vmc.pem"
bimiweak.example.            MX  10 mx.host.example.
_dmarc.bimiweak.example.     TXT "v=DMARC1; p=none; rua=mailto:d@bimiweak.example"
default._bimi.bimiweak.example. TXT "v=BIMI1; l=https://bimiweak.example/logo.svg"
bimipct.example.             MX  10 mx.host.example.
_dmarc.bimipct.example.      TXT "v=DMARC1; p=quarantine; pct=50; rua=mailto:d@bimipct.example"
default._bimi.bimipct.example. TXT "v=BIMI1; l=https://bimipct.example/logo.svg"
bimitesting.example.         MX  10 mx.host.example.
_dmarc.bimitesting.example.  TXT "v=DMARC1; p=reject; t=y; rua=mailto:d@bimitesting.example"
default._bimi.bimitesting.example. TXT "v=BIMI1; l=https://bimitesting.example/logo.svg"
bimibad.example.             MX  10 mx.host.example.
default._bimi.bimibad.example. TXT "v=BIMI1; l=http://bimibad.example/logo.svg"
bimideclined.example.        MX  10 mx.host.example.
default._bimi.bimideclined.example. TXT "v=BIMI1; l=; a=;"
bimifail.example.            MX  10 mx.host.example.
`,
		txt("v=DKIM1; k=rsa; p="+k2048), base64.StdEncoding.EncodeToString(ed),
		txt("v=DKIM1; p="+k512), txt("v=DKIM1; p="+k1024),
		txt("v=DKIM1; t=y; p="+k2048),
		txt("v=DKIM1; p="+k2048),
		txt("v=DKIM1; p="+k2048),
		txt("v=DKIM1; p="+k2048),
		txt("v=DKIM1; p="+k2048))
}

func newPostureScanner(t *testing.T, zone string, hook dnstest.Hook, opts scanner.Options) *scanner.Scanner {
	t.Helper()
	srv := dnstest.New(t, zone)
	faults := dnstest.RcodeFor(dns.RcodeServerFailure,
		"google._domainkey.dkimfail.example.", "default._bimi.bimifail.example.", "mta-sts.stsdnsfail.example.")
	srv.SetHook(func(q dnstest.Query) dnstest.Action {
		if q.Name == "mx6fail.host.example." && q.Type == dns.TypeAAAA {
			return dnstest.Action{Rcode: dns.RcodeServerFailure}
		}
		if a := faults(q); a.Rcode != 0 {
			return a
		}
		if hook != nil {
			return hook(q)
		}
		return dnstest.Action{}
	})
	c, err := resolve.NewClient(resolve.Config{Servers: []string{srv.Addr()}, Timeout: 500 * time.Millisecond, Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return scanner.New(c, opts)
}

func hasFinding(r *scanner.Result, id string, sev scanner.Severity) bool {
	return slices.ContainsFunc(r.Findings, func(f scanner.Finding) bool {
		return f.ID == id && (sev == "" || f.Severity == sev)
	})
}

func TestDKIM(t *testing.T) {
	s := newPostureScanner(t, postureZone(t), nil, scanner.Options{})
	type sel struct {
		name, status, keyType string
		bits                  int
		testing               bool
	}
	tests := []struct {
		domain    string
		status    string
		selectors []sel
		want      map[string]scanner.Severity // findings that must be present, with their severity
		notWant   []string
	}{
		{"dkimgood.example", "ok", []sel{{"google", "ok", "rsa", 2048, false}}, nil,
			[]string{"dkim-none-found", "dkim-weak-key", "lookup-failed"}},
		{"dkimweak.example", "ok", []sel{{"default", "ok", "rsa", 512, false}, {"selector1", "ok", "rsa", 1024, false}},
			map[string]scanner.Severity{"dkim-weak-key": ""}, []string{"dkim-none-found"}},
		{"dkimtest.example", "ok", []sel{{"dkim", "ok", "rsa", 2048, true}}, map[string]scanner.Severity{"dkim-testing": scanner.SeverityLow}, nil},
		{"dkimrevoked.example", "unknown", []sel{{"s1", "revoked", "", 0, false}},
			map[string]scanner.Severity{"dkim-revoked": scanner.SeverityInfo, "dkim-none-found": scanner.SeverityInfo}, nil},
		{"dkiminvalid.example", "ok", []sel{{"k1", "ok", "rsa", 2048, false}, {"mail", "invalid", "", 0, false}},
			map[string]scanner.Severity{"dkim-invalid": scanner.SeverityMedium}, []string{"dkim-none-found"}},
		// Proven absent (NXDOMAIN at _domainkey) is medium; not found at
		// the selectors guessed is only info, since selectors cannot be listed.
		{"dkimnone.example", "none", nil, map[string]scanner.Severity{"dkim-none-found": scanner.SeverityMedium}, nil},
		{"dkimunknown.example", "unknown", nil, map[string]scanner.Severity{"dkim-none-found": scanner.SeverityInfo}, nil},
		// A failed lookup is never "no DKIM".
		{"dkimfail.example", "temperror", nil, map[string]scanner.Severity{"lookup-failed": scanner.SeverityInfo}, []string{"dkim-none-found"}},
		// A wildcard answers every selector with an SPF record: no key there.
		{"dkimwild.example", "unknown", nil, map[string]scanner.Severity{"dkim-none-found": ""}, nil},
		// fm1 is no common selector: it is asked because the MX is Fastmail's.
		{"fastmail.example", "ok", []sel{{"fm1", "ok", "rsa", 2048, false}}, nil, []string{"dkim-none-found"}},
	}
	got := scanTable(t, s, tests)
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			r := got[tt.domain]
			if r.DKIM.Status != tt.status {
				t.Fatalf("dkim.status %q (%s); want %q", r.DKIM.Status, r.DKIM.Error, tt.status)
			}
			var sels []sel
			for _, s := range r.DKIM.Selectors {
				if s.Selector == "ed" {
					continue
				}
				sels = append(sels, sel{s.Selector, s.Status, s.KeyType, s.KeyBits, s.Testing})
			}
			if !slices.Equal(sels, tt.selectors) {
				t.Errorf("selectors %+v; want %+v", sels, tt.selectors)
			}
			for id, sev := range tt.want {
				if !hasFinding(r, id, sev) {
					t.Errorf("findings %v; want %s %s", findingIDs(r), id, sev)
				}
			}
			for _, id := range tt.notWant {
				if hasFinding(r, id, "") {
					t.Errorf("findings %v; must not contain %s", findingIDs(r), id)
				}
			}
		})
	}
	weak := got["dkimweak.example"]
	if !hasFinding(weak, "dkim-weak-key", scanner.SeverityHigh) || !hasFinding(weak, "dkim-weak-key", scanner.SeverityMedium) {
		t.Errorf("dkimweak.example: %+v; want dkim-weak-key high for 512 bits and medium for 1024", weak.Findings)
	}
	for _, f := range weak.Findings {
		if f.ID == "dkim-weak-key" && f.Severity == scanner.SeverityHigh && !strings.Contains(f.Fix, "default._domainkey.dkimweak.example") {
			t.Errorf("the 512-bit key's fix %q does not name its record", f.Fix)
		}
	}
	if f := got["dkimunknown.example"].Findings; !slices.ContainsFunc(f, func(f scanner.Finding) bool {
		return f.ID == "dkim-none-found" && strings.Contains(f.Message, "cannot list") && strings.Contains(f.Message, "selector1")
	}) {
		t.Errorf("dkimunknown.example: %+v; want a message that names the selectors asked and says selectors cannot be listed", f)
	}
}

func TestDKIMSelectorFlagFindsTheKey(t *testing.T) {
	s := newPostureScanner(t, postureZone(t), nil, scanner.Options{DKIMSelectors: []string{"Custom2024"}})
	r := scanAll(t, s, "dkimunknown.example")["dkimunknown.example"]
	if r.DKIM.Status != "ok" || len(r.DKIM.Selectors) != 1 || r.DKIM.Selectors[0].Selector != "custom2024" {
		t.Errorf("dkim %+v; want ok with custom2024", r.DKIM)
	}
}

func TestDKIMAsksNoSelectorBelowAMissingDomainkey(t *testing.T) {
	var log queryLog
	s := newPostureScanner(t, postureZone(t), log.record, scanner.Options{})
	scanAll(t, s, "dkimnone.example")
	for _, q := range log.asked(func(q dnstest.Query) string { return q.Name }) {
		if strings.HasSuffix(q, "._domainkey.dkimnone.example.") {
			t.Errorf("asked %s, though _domainkey.dkimnone.example does not exist", q)
		}
	}
}

// TestDKIMProbesShareTheCache: a gateway domain's DKIM selectors are asked
// by attribution and by the DKIM check; each name goes out once.
func TestDKIMProbesShareTheCache(t *testing.T) {
	var log queryLog
	s := newScanner(t, log.record, scanner.Options{Concurrency: 1})
	r := scanAll(t, s, "mc.example")["mc.example"]
	if r.Gateway != "mimecast" || r.DKIM.Status == "" {
		t.Fatalf("gateway %q, dkim %+v; want a gateway domain with the DKIM check run", r.Gateway, r.DKIM)
	}
	n := map[string]int{}
	for _, q := range log.asked(func(q dnstest.Query) string { return q.Name + " " + dns.TypeToString[q.Type] }) {
		if strings.Contains(q, "._domainkey.") {
			n[q]++
		}
	}
	if n["selector1._domainkey.mc.example. TXT"] != 1 || n["selector1._domainkey.mc.example. CNAME"] != 0 ||
		n["google._domainkey.mc.example. TXT"] != 1 {
		t.Errorf("selector1 asked %v; want one TXT question, shared", n)
	}
	for q, c := range n {
		if c > 1 {
			t.Errorf("%s asked %d times", q, c)
		}
	}
}

func TestParkedDomains(t *testing.T) {
	s := newPostureScanner(t, postureZone(t), nil, scanner.Options{})
	tests := []struct {
		domain string
		parked bool
	}{
		{"parked.example", true},
		{"parkednomx.example", true},
		{"halfparked.example", false},    // DMARC quarantine
		{"parkedtesting.example", false}, // DMARC reject, but t=y
		{"leakyparked.example", false},   // SPF authorises a sender
		{"dkimnone.example", false},      // takes mail
	}
	got := scanTable(t, s, tests)
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			r := got[tt.domain]
			if r.Parked != tt.parked {
				t.Errorf("parked = %v; want %v (mail %s, spf %q, dmarc %s)", r.Parked, tt.parked, r.Mail, r.SPF.Record, r.DMARC.Policy)
			}
			if tt.parked {
				for _, f := range r.Findings {
					if strings.HasPrefix(f.ID, "dkim-") || strings.HasPrefix(f.ID, "mta-sts") {
						t.Errorf("a parked domain is nagged: %s %s", f.ID, f.Message)
					}
				}
			}
		})
	}
	if r := got["leakyparked.example"]; !hasFinding(r, "dkim-none-found", "") {
		t.Errorf("leakyparked.example (it may send) findings %v; want dkim-none-found", findingIDs(r))
	}
}

func TestSPFPtrAndIPv6AndBIMI(t *testing.T) {
	s := newPostureScanner(t, postureZone(t), nil, scanner.Options{})
	tests := []struct {
		domain  string
		bimi    string
		want    []string
		notWant []string
	}{
		{"ptr.example", "none", []string{"spf-ptr"}, nil},
		{"ptrinc.example", "none", []string{"spf-ptr"}, nil},
		{"dkimgood.example", "none", nil, []string{"spf-ptr", "mx-no-ipv6"}},
		{"v6.example", "none", nil, []string{"mx-no-ipv6"}},
		{"v4.example", "none", []string{"mx-no-ipv6"}, nil},
		// An AAAA lookup that failed is not "no IPv6".
		{"v6fail.example", "none", []string{"lookup-failed"}, []string{"mx-no-ipv6"}},
		{"bimiok.example", "ok", nil, []string{"bimi-invalid", "bimi-without-enforcement"}},
		{"bimiweak.example", "ok", []string{"bimi-without-enforcement"}, nil},
		{"bimipct.example", "ok", []string{"bimi-without-enforcement"}, nil},
		{"bimitesting.example", "ok", []string{"bimi-without-enforcement"}, nil},
		{"bimibad.example", "invalid", []string{"bimi-invalid"}, nil},
		{"bimideclined.example", "none", nil, []string{"bimi-invalid", "bimi-without-enforcement"}},
		{"bimifail.example", "temperror", []string{"lookup-failed"}, []string{"bimi-invalid"}},
	}
	got := scanTable(t, s, tests)
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			r := got[tt.domain]
			if r.BIMI.Status != tt.bimi {
				t.Errorf("bimi.status %q (%s); want %q", r.BIMI.Status, r.BIMI.Error, tt.bimi)
			}
			for _, id := range tt.want {
				if !hasFinding(r, id, "") {
					t.Errorf("findings %v; want %s", findingIDs(r), id)
				}
			}
			for _, id := range tt.notWant {
				if hasFinding(r, id, "") {
					t.Errorf("findings %v; must not contain %s", findingIDs(r), id)
				}
			}
		})
	}
	if r := got["v4.example"]; !slices.ContainsFunc(r.Findings, func(f scanner.Finding) bool {
		return f.ID == "mx-no-ipv6" && strings.Contains(f.Message, "mx4.host.example") && !strings.Contains(f.Message, "mx.host.example")
	}) {
		t.Errorf("v4.example: %+v; want mx-no-ipv6 naming mx4.host.example only", r.Findings)
	}
	if b := got["bimiok.example"].BIMI; b.Logo != "https://bimiok.example/logo.svg" || b.Authority != "https://bimiok.example/vmc.pem" {
		t.Errorf("bimi %+v", b)
	}
}

// stsZone points every mta-sts.<domain> at the test HTTPS server on
// 127.0.0.1, but stsdown's at 127.0.0.2, where nothing listens.
const stsZone = `
$TTL 300
mx1.stsok.example.            A   192.0.2.30
mx2.stsok.example.            A   192.0.2.31
a.b.stswild.example.          A   192.0.2.32
mail.elsewhere.example.       A   192.0.2.33

stsok.example.                MX  10 mx1.stsok.example.
stsok.example.                MX  20 mx2.stsok.example.
_mta-sts.stsok.example.       TXT "v=STSv1; id=1"
mta-sts.stsok.example.        A   127.0.0.1

stswild.example.              MX  10 a.b.stswild.example.
_mta-sts.stswild.example.     TXT "v=STSv1; id=1"
mta-sts.stswild.example.      CNAME policyhost.stswild.example.
policyhost.stswild.example.   A   127.0.0.1

stsmismatch.example.          MX  10 mail.elsewhere.example.
_mta-sts.stsmismatch.example. TXT "v=STSv1; id=1"
mta-sts.stsmismatch.example.  A   127.0.0.1

ststesting.example.           MX  10 mail.elsewhere.example.
_mta-sts.ststesting.example.  TXT "v=STSv1; id=1"
mta-sts.ststesting.example.   A   127.0.0.1

stsinvalid.example.           MX  10 mx1.stsok.example.
_mta-sts.stsinvalid.example.  TXT "v=STSv1; id=1"
mta-sts.stsinvalid.example.   A   127.0.0.1

stswrongcert.example.         MX  10 mx1.stsok.example.
_mta-sts.stswrongcert.example. TXT "v=STSv1; id=1"
mta-sts.stswrongcert.example. A   127.0.0.1

stsredirect.example.          MX  10 mx1.stsok.example.
_mta-sts.stsredirect.example. TXT "v=STSv1; id=1"
mta-sts.stsredirect.example.  A   127.0.0.1

stsdown.example.              MX  10 mx1.stsok.example.
_mta-sts.stsdown.example.     TXT "v=STSv1; id=1"
mta-sts.stsdown.example.      A   127.0.0.2

stsnohost.example.            MX  10 mx1.stsok.example.
_mta-sts.stsnohost.example.   TXT "v=STSv1; id=1"

stsdnsfail.example.           MX  10 mx1.stsok.example.
_mta-sts.stsdnsfail.example.  TXT "v=STSv1; id=1"

stsmany.example.              MX  10 mx150.stsmany.example.
mx150.stsmany.example.        A   192.0.2.34
_mta-sts.stsmany.example.     TXT "v=STSv1; id=1"
mta-sts.stsmany.example.      A   127.0.0.1
`

// manyPatterns is mx1.stsmany.example to mx<n>.stsmany.example.
func manyPatterns(n int) []string {
	var out []string
	for i := 1; i <= n; i++ {
		out = append(out, fmt.Sprintf("mx%d.stsmany.example", i))
	}
	return out
}

func policy(mode string, mx ...string) string {
	var b strings.Builder
	b.WriteString("version: STSv1\r\nmode: " + mode + "\r\n")
	for _, m := range mx {
		b.WriteString("mx: " + m + "\r\n")
	}
	b.WriteString("max_age: 604800\r\n")
	return b.String()
}

// stsScanner scans stsZone with the policy hosts served over HTTPS by a
// server whose certificate, from a test CA, names every policy host but
// stswrongcert's.
func stsScanner(t *testing.T, checks string) *scanner.Scanner {
	t.Helper()
	c, err := scanner.ParseChecks(checks)
	if err != nil {
		t.Fatal(err)
	}
	return stsScannerWith(t, scanner.Options{Checks: c})
}

// stsScannerWith is stsScanner with other options.
func stsScannerWith(t *testing.T, opts scanner.Options) *scanner.Scanner {
	t.Helper()
	ca := ststest.NewCA(t)
	hosts := ststest.Hosts{
		"mta-sts.stsok.example":        {Body: policy("enforce", "mx1.stsok.example", "*.stsok.example")},
		"mta-sts.stswild.example":      {Body: policy("enforce", "*.stswild.example")},
		"mta-sts.stsmismatch.example":  {Body: policy("enforce", "mail.stsmismatch.example")},
		"mta-sts.ststesting.example":   {Body: policy("testing", "mail.ststesting.example")},
		"mta-sts.stsinvalid.example":   {Body: "version: STSv1\r\nmode: enforce\r\nmax_age: 86400\r\n"},
		"mta-sts.stswrongcert.example": {Body: policy("enforce", "mx1.stsok.example")},
		"mta-sts.stsredirect.example":  {Status: http.StatusFound, Location: "https://www.stsredirect.example/mta-sts.txt"},
		"mta-sts.stsmany.example":      {Body: policy("enforce", manyPatterns(150)...)},
	}
	var names []string
	for h := range hosts {
		if h != "mta-sts.stswrongcert.example" {
			names = append(names, h)
		}
	}
	srv := ca.Serve(t, hosts, names...)
	s := newPostureScanner(t, stsZone, nil, opts)
	scanner.UsePolicyFetcher(s, mtasts.Config{Roots: ca.Pool(), Port: srv.Port(), Timeout: 5 * time.Second})
	return s
}

func TestMTASTSPolicy(t *testing.T) {
	s := stsScanner(t, "")
	tests := []struct {
		domain, status, mode string
		want                 map[string]scanner.Severity
		notWant              []string
	}{
		{"stsok.example", "ok", "enforce", nil, []string{"mta-sts-mx-mismatch", "mta-sts-testing", "mta-sts-policy-unreachable"}},
		// *.stswild.example matches one label only: a.b.stswild.example is not covered.
		{"stswild.example", "ok", "enforce", map[string]scanner.Severity{"mta-sts-mx-mismatch": scanner.SeverityHigh}, nil},
		{"stsmismatch.example", "ok", "enforce", map[string]scanner.Severity{"mta-sts-mx-mismatch": scanner.SeverityHigh}, nil},
		{"ststesting.example", "ok", "testing",
			map[string]scanner.Severity{"mta-sts-testing": scanner.SeverityLow, "mta-sts-mx-mismatch": scanner.SeverityMedium}, nil},
		{"stsinvalid.example", "invalid", "", map[string]scanner.Severity{"mta-sts-policy-invalid": scanner.SeverityMedium}, nil},
		{"stswrongcert.example", "unreachable", "", map[string]scanner.Severity{"mta-sts-policy-unreachable": scanner.SeverityMedium}, nil},
		{"stsredirect.example", "unreachable", "", map[string]scanner.Severity{"mta-sts-policy-unreachable": scanner.SeverityMedium}, nil},
		{"stsdown.example", "unreachable", "", map[string]scanner.Severity{"mta-sts-policy-unreachable": scanner.SeverityMedium}, nil},
		{"stsnohost.example", "none", "", map[string]scanner.Severity{"mta-sts-policy-unreachable": scanner.SeverityMedium}, nil},
		// The Result keeps 100 of 150 patterns; the 150th still matches.
		{"stsmany.example", "ok", "enforce", nil, []string{"mta-sts-mx-mismatch"}},
		// A DNS failure for the policy host is not "unreachable".
		{"stsdnsfail.example", "temperror", "", map[string]scanner.Severity{"lookup-failed": scanner.SeverityInfo}, []string{"mta-sts-policy-unreachable"}},
	}
	got := scanTable(t, s, tests)
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			r := got[tt.domain]
			p := r.MTASTS.Policy
			if r.MTASTS.Status != "ok" || p == nil {
				t.Fatalf("mta_sts %+v; want the record ok and a policy fetched", r.MTASTS)
			}
			if p.Status != tt.status || p.Mode != tt.mode {
				t.Fatalf("policy %s/%s (%s); want %s/%s", p.Status, p.Mode, p.Error, tt.status, tt.mode)
			}
			if (p.Status == "ok") != (p.Error == "") {
				t.Errorf("policy status %s with error %q", p.Status, p.Error)
			}
			for id, sev := range tt.want {
				if !hasFinding(r, id, sev) {
					t.Errorf("findings %+v; want %s %s", r.Findings, id, sev)
				}
			}
			for _, id := range tt.notWant {
				if hasFinding(r, id, "") {
					t.Errorf("findings %v; must not contain %s", findingIDs(r), id)
				}
			}
		})
	}
	ok := got["stsok.example"].MTASTS.Policy
	if ok.MaxAge == nil || *ok.MaxAge != 604800 || !slices.Equal(ok.MX, []string{"mx1.stsok.example", "*.stsok.example"}) ||
		ok.URL != "https://mta-sts.stsok.example/.well-known/mta-sts.txt" {
		t.Errorf("policy %+v", ok)
	}
	if n := len(got["stsmany.example"].MTASTS.Policy.MX); n != 100 {
		t.Errorf("stsmany.example: the Result keeps %d patterns; want 100", n)
	}
	if e := got["stswrongcert.example"].MTASTS.Policy.Error; !strings.Contains(e, "certificate") {
		t.Errorf("stswrongcert.example: error %q; want it to name the certificate", e)
	}
	for _, f := range got["stsmismatch.example"].Findings {
		if f.ID == "mta-sts-mx-mismatch" && !strings.Contains(f.Fix, "mx: mail.elsewhere.example") {
			t.Errorf("the mismatch's fix %q does not give the mx line to add", f.Fix)
		}
	}
	if e := got["stsredirect.example"].MTASTS.Policy.Error; !strings.Contains(e, "redirect") {
		t.Errorf("stsredirect.example: error %q; want it to name the redirect", e)
	}
}

func TestMTASTSPolicyIsLeftOutWithoutItsCheck(t *testing.T) {
	s := stsScanner(t, "mx,addr,spf,dmarc,mta-sts,tls-rpt")
	r := scanAll(t, s, "stsok.example")["stsok.example"]
	if r.MTASTS.Status != "ok" || r.MTASTS.Policy != nil {
		t.Errorf("mta_sts %+v; want the record and no policy fetched", r.MTASTS)
	}
}

// A replay (Options.Answers) asks no network: where the scan would fetch
// the policy over HTTPS, the replay says it did not, and never sends a
// request.
func TestReplayFetchesNoPolicy(t *testing.T) {
	ca := ststest.NewCA(t)
	var requests atomic.Int64
	srv := ca.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte(policy("enforce", "mx1.stsok.example")))
	}), "mta-sts.stsok.example")
	zone := dnstest.New(t, stsZone)
	c, err := resolve.NewClient(resolve.Config{Servers: []string{zone.Addr()}, Timeout: 500 * time.Millisecond, Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s := scanner.New(c, scanner.Options{Answers: func(*scanner.Result) resolve.Querier { return c }})
	scanner.UsePolicyFetcher(s, mtasts.Config{Roots: ca.Pool(), Port: srv.Port()})
	got := scanAll(t, s, "stsok.example", "stsnohost.example")
	if p := got["stsok.example"].MTASTS.Policy; p == nil || p.Status != "temperror" || !strings.Contains(p.Error, "replay") {
		t.Errorf("stsok.example policy %+v; want temperror, not fetched in a replay", p)
	}
	if p := got["stsnohost.example"].MTASTS.Policy; p == nil || p.Status != "none" {
		t.Errorf("stsnohost.example policy %+v; want none, from the DNS answers as in the scan", p)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("the replay sent %d HTTPS requests", n)
	}
}
