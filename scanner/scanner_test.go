package scanner_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/dmarc"
	"github.com/mxscope/mxscope/scanner/dnstest"
	"github.com/mxscope/mxscope/scanner/resolve"
	"github.com/mxscope/mxscope/scanner/targets"
)

// world is one DNS tree with a domain for every case the scanner must get
// right. Provider hosts live under their real names, served on loopback.
const world = `
$TTL 300
; --- providers ---------------------------------------------------------
aspmx.l.google.com.            A     192.0.2.1
alt1.aspmx.l.google.com.       A     192.0.2.2
_spf.google.com.               TXT   "v=spf1 ip4:192.0.2.0/24 ~all"
spf.protection.outlook.com.    TXT   "v=spf1 ip4:198.51.100.0/24 -all"
ms-example.mail.protection.outlook.com.     A 198.51.100.1
bc-example.mail.protection.outlook.com.     A 198.51.100.2
gd-example.mail.protection.outlook.com.     A 198.51.100.3
contoso-com.mail.protection.outlook.com.    A 198.51.100.4
mx0a-0012ab34.pphosted.com.    A     203.0.113.1
spf-0012ab34.pphosted.com.     TXT   "v=spf1 ip4:203.0.113.0/28 -all"
us-smtp-inbound-1.mimecast.com. A    203.0.113.20
us._netblocks.mimecast.com.    TXT   "v=spf1 ip4:203.0.113.16/28 ~all"
d123456a.ess.barracudanetworks.com. A 203.0.113.30
mx1.hc1234-56.iphmx.com.       A     203.0.113.40
secureserver.net.              TXT   "v=spf1 include:spf-0.secureserver.net -all"
spf-0.secureserver.net.        TXT   "v=spf1 ip4:192.0.2.128/25 include:spf.protection.outlook.com -all"
route1.mx.cloudflare.net.      A     203.0.113.50
route2.mx.cloudflare.net.      A     203.0.113.51
_spf.mx.cloudflare.net.        TXT   "v=spf1 ip4:203.0.113.48/28 ~all"

; --- Google, directly ----------------------------------------------------
google.example.         MX  1 aspmx.l.google.com.
google.example.         MX  5 alt1.aspmx.l.google.com.
google.example.         TXT "v=spf1 include:_spf.google.com ~all"
_dmarc.google.example.  TXT "v=DMARC1; p=reject; rua=mailto:dmarc@google.example"

; --- Microsoft, directly -------------------------------------------------
ms.example.             MX  0 ms-example.mail.protection.outlook.com.
ms.example.             TXT "v=spf1 include:spf.protection.outlook.com -all"
_dmarc.ms.example.      TXT "v=DMARC1; p=quarantine; pct=50; rua=mailto:d@ms.example"

; --- Proofpoint in front of Microsoft, known only from SPF (low) ----------
pp.example.             MX  10 mx0a-0012ab34.pphosted.com.
pp.example.             TXT "v=spf1 include:spf-0012ab34.pphosted.com include:spf.protection.outlook.com -all"
_dmarc.pp.example.      TXT "v=DMARC1; p=none"

; --- Mimecast in front of Google, with Google's DKIM key (medium) ---------
mc.example.             MX  10 us-smtp-inbound-1.mimecast.com.
mc.example.             TXT "v=spf1 include:us._netblocks.mimecast.com -all"
google._domainkey.mc.example. TXT "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC"

; --- Barracuda with a lower-preference Microsoft MX (high) ---------------
bc.example.             MX  10 d123456a.ess.barracudanetworks.com.
bc.example.             MX  20 bc-example.mail.protection.outlook.com.

; --- Cisco, SPF split across character-strings mid-term ------------------
cisco.example.          MX  10 mx1.hc1234-56.iphmx.com.
cisco.example.          TXT "v=spf1 exists:%{i}.spf.hc1234-56.ip" "hmx.com include:spf.protection.outlook.com -all"

; --- Microsoft 365 bought through GoDaddy ---------------------------------
gd.example.             MX  0 gd-example.mail.protection.outlook.com.
gd.example.             TXT "v=spf1 include:secureserver.net -all"

; --- Google with no Google SPF include ------------------------------------
gnospf.example.         MX  1 aspmx.l.google.com.
gnospf.example.         TXT "v=spf1 ip4:203.0.113.5 -all"

; --- Cloudflare Email Routing (a forwarder: mailbox unknown) --------------
cf.example.             MX  13 route1.mx.cloudflare.net.
cf.example.             MX  86 route2.mx.cloudflare.net.
cf.example.             TXT "v=spf1 include:_spf.mx.cloudflare.net ~all"

; --- two campaigns on one Microsoft tenant --------------------------------
tenant-a.example.       MX  0 contoso-com.mail.protection.outlook.com.
tenant-b.example.       MX  0 contoso-com.mail.protection.outlook.com.

; --- mail states -----------------------------------------------------------
implicit.example.       A   192.0.2.99
nomail.example.         TXT "hello"
null.example.           MX  0 .
null.example.           TXT "v=spf1 -all"
dangling.example.       MX  10 mail.gone.example.
selfhost.example.       MX  10 mail.selfhost.example.
mail.selfhost.example.  A   192.0.2.77

; --- DMARC edge cases -----------------------------------------------------
dmarcfail.example.      MX  0 ms-example.mail.protection.outlook.com.
dmarcfail.example.      TXT "v=spf1 include:spf.protection.outlook.com -all"
_dmarc.dmarcfail.example. TXT "v=DMARC1; p=reject"
org.example.            TXT "v=spf1 -all"
_dmarc.org.example.     TXT "v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@org.example"
sub.org.example.        MX  0 ms-example.mail.protection.outlook.com.

; --- SPF faults -------------------------------------------------------------
; --- SPF verdicts, case by case ---------------------------------------------
n1.spf.example.   TXT "v=spf1 include:n2.spf.example -all"
n2.spf.example.   TXT "v=spf1 include:n3.spf.example -all"
n3.spf.example.   TXT "v=spf1 include:n4.spf.example -all"
n4.spf.example.   TXT "v=spf1 include:n5.spf.example -all"
n5.spf.example.   TXT "v=spf1 include:n6.spf.example -all"
n6.spf.example.   TXT "v=spf1 include:n7.spf.example -all"
n7.spf.example.   TXT "v=spf1 include:n8.spf.example -all"
n8.spf.example.   TXT "v=spf1 include:n9.spf.example -all"
n9.spf.example.   TXT "v=spf1 include:n10.spf.example -all"
n10.spf.example.  TXT "v=spf1 include:n11.spf.example -all"
n11.spf.example.  TXT "v=spf1 ip4:192.0.2.0/24 -all"
eleven.example.   TXT "v=spf1 include:n1.spf.example -all"
ten.example.      TXT "v=spf1 include:n2.spf.example -all"
loop.example.     TXT "v=spf1 include:loop2.example -all"
loop2.example.    TXT "v=spf1 include:loop.example -all"
redirect.example. TXT "v=spf1 redirect=_spf.google.com"
neutral.example.  TXT "v=spf1 ip4:192.0.2.1 ?all"
softfail.example. TXT "v=spf1 ip4:192.0.2.1 ~all"
noall.example.    TXT "v=spf1 ip4:192.0.2.1"
incmissing.example. TXT "v=spf1 include:nothing-here.example -all"
void3.example.    TXT "v=spf1 a:v1.gone.example a:v2.gone.example a:v3.gone.example -all"
mx25.example.     TXT "v=spf1 mx:many.example -all"
split.example.    TXT "v=spf1 include:_spf.goo" "gle.com -all"
ctrl.example.     TXT "v=spf1 ip4:192.0.2.1 \027[31m -all"

; --- DMARC verdicts, case by case --------------------------------------------
_dmarc.tworec.example.  TXT "v=DMARC1; p=reject"
_dmarc.tworec.example.  TXT "v=DMARC1; p=none"
_dmarc.norua.example.   TXT "v=DMARC1; rua=mailto:d@norua.example"
_dmarc.bogus.example.   TXT "v=DMARC1; p=bogus"
many.example.      MX 10 mx0.many.example.
many.example.      MX 10 mx1.many.example.
many.example.      MX 10 mx2.many.example.
many.example.      MX 10 mx3.many.example.
many.example.      MX 10 mx4.many.example.
many.example.      MX 10 mx5.many.example.
many.example.      MX 10 mx6.many.example.
many.example.      MX 10 mx7.many.example.
many.example.      MX 10 mx8.many.example.
many.example.      MX 10 mx9.many.example.
many.example.      MX 10 mx10.many.example.
many.example.      MX 10 mx11.many.example.
many.example.      MX 10 mx12.many.example.
many.example.      MX 10 mx13.many.example.
many.example.      MX 10 mx14.many.example.
many.example.      MX 10 mx15.many.example.
many.example.      MX 10 mx16.many.example.
many.example.      MX 10 mx17.many.example.
many.example.      MX 10 mx18.many.example.
many.example.      MX 10 mx19.many.example.
many.example.      MX 10 mx20.many.example.
many.example.      MX 10 mx21.many.example.
many.example.      MX 10 mx22.many.example.
many.example.      MX 10 mx23.many.example.
many.example.      MX 10 mx24.many.example.
twospf.example.         TXT "v=spf1 -all"
twospf.example.         TXT "v=spf1 ~all"
plusall.example.        TXT "v=spf1 +all"
`

func newScanner(t *testing.T, hook dnstest.Hook, opts scanner.Options) *scanner.Scanner {
	t.Helper()
	srv := dnstest.New(t, world)
	// Faults the zone cannot express: a SERVFAIL for one domain, and for
	// one _dmarc name while the rest of its domain resolves.
	faults := dnstest.RcodeFor(dns.RcodeServerFailure, "sf.example.", "_dmarc.dmarcfail.example.")
	srv.SetHook(func(q dnstest.Query) dnstest.Action {
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

func scanAll(t *testing.T, s *scanner.Scanner, domains ...string) map[string]*scanner.Result {
	t.Helper()
	ts, _ := targets.FromArgs(domains)
	out := map[string]*scanner.Result{}
	var order []string
	err := s.Scan(context.Background(), slices.Values(ts), func(r *scanner.Result) error {
		order = append(order, r.Domain)
		out[r.Domain] = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(order) != len(ts) {
		t.Fatalf("got %d results for %d targets", len(order), len(ts))
	}
	return out
}

// scanTable scans the domain field of every case of a table test, in order.
func scanTable(t *testing.T, s *scanner.Scanner, cases any) map[string]*scanner.Result {
	t.Helper()
	v := reflect.ValueOf(cases)
	names := make([]string, v.Len())
	for i := range names {
		names[i] = v.Index(i).FieldByName("domain").String()
	}
	return scanAll(t, s, names...)
}

func findingIDs(r *scanner.Result) []string {
	var ids []string
	for _, f := range r.Findings {
		ids = append(ids, f.ID)
	}
	return ids
}

func TestAttribution(t *testing.T) {
	s := newScanner(t, nil, scanner.Options{})
	tests := []struct {
		domain, provider, gateway, mailbox string
		confidence                         scanner.Confidence
		evidence                           string // a substring of one mailbox_evidence entry
		tenant, reseller                   string
		senders                            []string
	}{
		{"google.example", "google", "", "google", scanner.ConfidenceHigh, "mx 1 aspmx.l.google.com", "", "", []string{"google"}},
		{"ms.example", "microsoft", "", "microsoft", scanner.ConfidenceHigh, "mx 0 ms-example.mail.protection.outlook.com", "ms-example", "", []string{"microsoft"}},
		{"pp.example", "proofpoint", "proofpoint", "microsoft", scanner.ConfidenceLow, "spf include:spf.protection.outlook.com", "0012ab34", "", []string{"proofpoint", "microsoft"}},
		{"mc.example", "mimecast", "mimecast", "google", scanner.ConfidenceMedium, "dkim google key published", "", "", []string{"mimecast"}},
		{"bc.example", "barracuda", "barracuda", "microsoft", scanner.ConfidenceHigh, "mx 20 bc-example.mail.protection.outlook.com", "d123456", "", nil},
		{"cisco.example", "cisco", "cisco", "microsoft", scanner.ConfidenceLow, "spf include:spf.protection.outlook.com", "hc1234-56", "", []string{"cisco", "microsoft"}},
		{"gd.example", "microsoft", "", "microsoft", scanner.ConfidenceHigh, "godaddy resells microsoft", "gd-example", "godaddy", []string{"godaddy", "microsoft"}},
		{"gnospf.example", "google", "", "google", scanner.ConfidenceHigh, "mx 1 aspmx.l.google.com", "", "", nil},
		{"cf.example", "cloudflare", "cloudflare", "unknown", "", "", "", "", []string{"cloudflare"}},
		{"selfhost.example", "self-hosted", "", "self-hosted", scanner.ConfidenceMedium, "mail.selfhost.example", "", "", nil},
	}
	got := scanTable(t, s, tests)
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			r := got[tt.domain]
			if r.Status != scanner.StatusOK {
				t.Fatalf("status %s (%s); want ok", r.Status, r.Error)
			}
			if r.Provider != tt.provider || r.Gateway != tt.gateway || r.Mailbox != tt.mailbox {
				t.Errorf("provider/gateway/mailbox = %q/%q/%q; want %q/%q/%q", r.Provider, r.Gateway, r.Mailbox, tt.provider, tt.gateway, tt.mailbox)
			}
			if r.Confidence != tt.confidence {
				t.Errorf("confidence = %q; want %q (evidence %q)", r.Confidence, tt.confidence, r.MailboxEvidence)
			}
			if tt.evidence != "" && !slices.ContainsFunc(r.MailboxEvidence, func(e string) bool { return strings.Contains(e, tt.evidence) }) {
				t.Errorf("mailbox_evidence = %q; want an entry containing %q", r.MailboxEvidence, tt.evidence)
			}
			if r.Tenant != tt.tenant || r.Reseller != tt.reseller {
				t.Errorf("tenant/reseller = %q/%q; want %q/%q", r.Tenant, r.Reseller, tt.tenant, tt.reseller)
			}
			if tt.senders == nil {
				tt.senders = []string{}
			}
			if !slices.Equal(r.Senders, tt.senders) {
				t.Errorf("senders = %q; want %q", r.Senders, tt.senders)
			}
		})
	}
}

func TestSharedTenantIsSummarised(t *testing.T) {
	s := newScanner(t, nil, scanner.Options{})
	got := scanAll(t, s, "tenant-a.example", "tenant-b.example", "ms.example")
	sum := scanner.NewSummarizer()
	for _, d := range []string{"tenant-a.example", "tenant-b.example", "ms.example"} {
		sum.Add(got[d])
	}
	groups := sum.Summary().SharedTenants
	if len(groups) != 1 || groups[0].Provider != "microsoft" || groups[0].Tenant != "contoso-com" ||
		!slices.Equal(groups[0].Domains, []string{"tenant-a.example", "tenant-b.example"}) {
		t.Fatalf("shared tenants = %+v; want microsoft contoso-com: tenant-a.example, tenant-b.example", groups)
	}
}

func TestMailStatesAndStatuses(t *testing.T) {
	s := newScanner(t, nil, scanner.Options{})
	tests := []struct {
		domain   string
		status   scanner.Status
		mail     scanner.Mail
		provider string
		finding  string // a finding id that must be present ("" for none required)
	}{
		{"implicit.example", scanner.StatusOK, scanner.MailImplicit, "self-hosted", "implicit-mx"},
		{"nomail.example", scanner.StatusOK, scanner.MailNone, "none", "no-mail"},
		{"null.example", scanner.StatusOK, scanner.MailNullMX, "none", "null-mx"},
		{"dangling.example", scanner.StatusOK, scanner.MailMX, "unknown", "mx-dangling"},
		{"nx.example", scanner.StatusNXDomain, scanner.MailNone, "none", ""},
		{"sf.example", scanner.StatusServFail, scanner.MailUnknown, "unknown", ""},
	}
	got := scanTable(t, s, tests)
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			r := got[tt.domain]
			if r.Status != tt.status || r.Mail != tt.mail || r.Provider != tt.provider {
				t.Errorf("status/mail/provider = %s/%s/%s; want %s/%s/%s", r.Status, r.Mail, r.Provider, tt.status, tt.mail, tt.provider)
			}
			if tt.finding != "" && !slices.Contains(findingIDs(r), tt.finding) {
				t.Errorf("findings = %v; want %s among them", findingIDs(r), tt.finding)
			}
			if tt.status != scanner.StatusOK && r.Error == "" {
				t.Errorf("status %s without an error message", r.Status)
			}
		})
	}
}

func TestPostureFindings(t *testing.T) {
	s := newScanner(t, nil, scanner.Options{})
	tests := []struct {
		domain  string
		want    []string // finding ids that must be present
		notWant []string // finding ids that must be absent
	}{
		{"google.example", []string{"spf-softfail-all"}, []string{"dmarc-missing", "dmarc-not-enforced", "spf-missing"}},
		{"ms.example", []string{"dmarc-partial"}, []string{"dmarc-missing", "dmarc-no-reports"}},
		{"pp.example", []string{"dmarc-not-enforced", "dmarc-no-reports"}, []string{"dmarc-missing"}},
		{"twospf.example", []string{"spf-multiple-records", "dmarc-missing"}, nil},
		{"plusall.example", []string{"spf-pass-all"}, nil},
		{"bc.example", []string{"spf-missing", "dmarc-missing", "mta-sts-missing", "tls-rpt-missing"}, nil},
		// A SERVFAIL at _dmarc is a temperror, never "no DMARC".
		{"dmarcfail.example", []string{"lookup-failed"}, []string{"dmarc-missing", "dmarc-invalid"}},
	}
	got := scanTable(t, s, tests)
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			ids := findingIDs(got[tt.domain])
			for _, w := range tt.want {
				if !slices.Contains(ids, w) {
					t.Errorf("findings = %v; want %s", ids, w)
				}
			}
			for _, w := range tt.notWant {
				if slices.Contains(ids, w) {
					t.Errorf("findings = %v; must not contain %s", ids, w)
				}
			}
		})
	}
	r := got["dmarcfail.example"]
	if r.DMARC.Status != "temperror" || r.Status != scanner.StatusOK || r.SPF.Status != "ok" || r.Mailbox != "microsoft" {
		t.Errorf("dmarcfail.example: dmarc %s, status %s, spf %s, mailbox %s; want temperror there and everything else intact",
			r.DMARC.Status, r.Status, r.SPF.Status, r.Mailbox)
	}
}

func TestSubdomainInheritsOrganizationalDMARC(t *testing.T) {
	s := newScanner(t, nil, scanner.Options{})
	r := scanAll(t, s, "sub.org.example")["sub.org.example"]
	if r.DMARC.Status != "ok" || r.DMARC.Policy != "quarantine" || r.DMARC.Source != "_dmarc.org.example" || !r.DMARC.Inherited {
		t.Errorf("dmarc = %+v; want ok, policy quarantine (sp) from _dmarc.org.example, inherited", r.DMARC)
	}
}

func TestResultsComeInInputOrderWhateverOrderLookupsFinish(t *testing.T) {
	// The first domains answer slowly, so later ones finish first.
	slow := func(q dnstest.Query) dnstest.Action {
		if strings.HasSuffix(q.Name, "google.example.") || strings.HasSuffix(q.Name, "ms.example.") {
			return dnstest.Action{Delay: 150 * time.Millisecond}
		}
		return dnstest.Action{}
	}
	s := newScanner(t, slow, scanner.Options{Concurrency: 8})
	in := []string{"google.example", "ms.example", "pp.example", "not a domain!", "nx.example", "bc.example", "null.example", "cf.example"}
	ts, _ := targets.FromArgs(in)
	var got []string
	err := s.Scan(context.Background(), slices.Values(ts), func(r *scanner.Result) error {
		got = append(got, r.Domain+"|"+string(r.Status))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"google.example|ok", "ms.example|ok", "pp.example|ok", "|invalid", "nx.example|nxdomain", "bc.example|ok", "null.example|ok", "cf.example|ok"}
	if !slices.Equal(got, want) {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
}

func TestSharedNamesAreAskedOncePerScan(t *testing.T) {
	var spfQueries atomic.Int64
	count := func(q dnstest.Query) dnstest.Action {
		if q.Name == "spf.protection.outlook.com." {
			spfQueries.Add(1)
		}
		return dnstest.Action{}
	}
	s := newScanner(t, count, scanner.Options{Concurrency: 1})
	scanAll(t, s, "ms.example", "pp.example", "cisco.example", "dmarcfail.example")
	if n := spfQueries.Load(); n != 1 {
		t.Errorf("spf.protection.outlook.com was asked %d times; want 1", n)
	}
}

func TestInterruptedScanEmitsAPrefixOfTheInput(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	hold := func(q dnstest.Query) dnstest.Action {
		if strings.HasSuffix(q.Name, "bc.example.") {
			cancel() // interrupt while the third domain is in flight
			return dnstest.Action{Drop: true}
		}
		return dnstest.Action{}
	}
	s := newScanner(t, hold, scanner.Options{Concurrency: 1})
	ts, _ := targets.FromArgs([]string{"google.example", "ms.example", "bc.example", "pp.example"})
	var got []string
	err := s.Scan(ctx, slices.Values(ts), func(r *scanner.Result) error {
		got = append(got, r.Domain)
		return nil
	})
	if err != context.Canceled {
		t.Fatalf("Scan returned %v; want context.Canceled", err)
	}
	if !slices.Equal(got, []string{"google.example", "ms.example"}) {
		t.Fatalf("emitted %v; want the two domains finished before the interrupt", got)
	}
}

func TestChecksLimitTheLookups(t *testing.T) {
	checks, err := scanner.ParseChecks("mx,spf,dmarc")
	if err != nil {
		t.Fatal(err)
	}
	var log queryLog
	s := newScanner(t, log.record, scanner.Options{Concurrency: 1, Checks: checks})
	r := scanAll(t, s, "gnospf.example")["gnospf.example"]
	want := []string{"gnospf.example. MX", "gnospf.example. TXT", "_dmarc.gnospf.example. TXT", "_dmarc.example. TXT"}
	asked := log.asked(func(q dnstest.Query) string { return q.Name + " " + dns.TypeToString[q.Type] })
	slices.Sort(asked)
	slices.Sort(want)
	if !slices.Equal(asked, want) {
		t.Errorf("asked %v; want exactly %v", asked, want)
	}
	if r.Mailbox != "google" || r.MTASTS.Status != "" {
		t.Errorf("mailbox %q, mta_sts %q; want google and no MTA-STS lookup", r.Mailbox, r.MTASTS.Status)
	}
	if _, err := scanner.ParseChecks("mx,bogus"); err == nil {
		t.Error("ParseChecks accepted an unknown check")
	}
}

func TestReadmeDocumentsEveryFinding(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range scanner.Rules {
		if !strings.Contains(string(readme), "`"+r.ID+"` | "+string(r.Severity)+" |") {
			t.Errorf("README's findings table lacks %s with severity %s", r.ID, r.Severity)
		}
	}
}

func TestPreflightTellsDeadAndLyingResolversApart(t *testing.T) {
	live := dnstest.New(t, world)
	dead := dnstest.New(t, "")
	dead.SetHook(func(dnstest.Query) dnstest.Action { return dnstest.Action{Drop: true} })
	lying := dnstest.New(t, "")
	lying.SetHook(func(dnstest.Query) dnstest.Action { return dnstest.Action{Rcode: dns.RcodeNameError} })
	// A resolver that never answers about one domain, as when that
	// domain's own name servers are dead, answers the root all the same.
	deadNS := dnstest.New(t, world)
	deadNS.SetHook(dnstest.DropNames("google.example"))
	refusing := deadServer(t) // nothing listens: ICMP port unreachable
	tests := []struct {
		name  string
		addrs []string
		want  error
	}{
		{"live", []string{live.Addr()}, nil},
		{"a target's name servers are dead", []string{deadNS.Addr()}, nil},
		{"never answers", []string{dead.Addr()}, scanner.ErrNoAnswer},
		{"nothing listens", []string{refusing}, scanner.ErrNoAnswer},
		{"nothing listens at the first, the second answers", []string{refusing, live.Addr()}, nil},
		{"says even the root does not exist", []string{lying.Addr()}, scanner.ErrBrokenResolver},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := resolve.NewClient(resolve.Config{Servers: tt.addrs, Timeout: 100 * time.Millisecond, Retries: 0})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if got := scanner.Preflight(context.Background(), c); got != tt.want {
				t.Errorf("Preflight = %v; want %v", got, tt.want)
			}
		})
	}
}

// deadServer returns an address on 127.0.0.1 where nothing listens.
func deadServer(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	return addr
}

func TestSPFVerdictsFromTestZones(t *testing.T) {
	s := newScanner(t, nil, scanner.Options{})
	tests := []struct {
		domain, status, all string
		lookups             int
		finding             string // "" when none of the spf-* errors may fire
	}{
		{"twospf.example", "permerror", "", 0, "spf-multiple-records"},
		{"eleven.example", "permerror", "", 11, "spf-too-many-lookups"},
		{"ten.example", "ok", "fail", 10, ""},
		{"loop.example", "permerror", "", 0, "spf-include-loop"},
		{"redirect.example", "ok", "softfail", 1, ""},
		{"plusall.example", "ok", "pass", 0, "spf-pass-all"},
		{"neutral.example", "ok", "neutral", 0, "spf-neutral-all"},
		{"softfail.example", "ok", "softfail", 0, "spf-softfail-all"},
		{"noall.example", "ok", "none", 0, "spf-neutral-all"},
		{"incmissing.example", "permerror", "", 0, "spf-include-missing"},
		{"void3.example", "permerror", "", 0, "spf-too-many-void-lookups"},
		{"mx25.example", "permerror", "", 0, "spf-mx-too-many-hosts"},
		// The strings of one record join with nothing, even mid-term.
		{"split.example", "ok", "fail", 1, ""},
		// Control bytes inside the record are a syntax error, not a crash.
		{"ctrl.example", "permerror", "", 0, "spf-syntax"},
	}
	got := scanTable(t, s, tests)
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			r := got[tt.domain]
			if r.SPF.Status != tt.status {
				t.Errorf("spf.status = %s (%s); want %s", r.SPF.Status, r.SPF.Error, tt.status)
			}
			if tt.status == "ok" && (r.SPF.All != tt.all || r.SPF.Lookups != tt.lookups) {
				t.Errorf("spf.all/lookups = %s/%d; want %s/%d", r.SPF.All, r.SPF.Lookups, tt.all, tt.lookups)
			}
			if tt.lookups > 10 && r.SPF.Lookups != tt.lookups {
				t.Errorf("spf.lookups = %d; want %d", r.SPF.Lookups, tt.lookups)
			}
			ids := findingIDs(r)
			if tt.finding != "" && !slices.Contains(ids, tt.finding) {
				t.Errorf("findings = %v; want %s", ids, tt.finding)
			}
			if tt.finding == "" && slices.ContainsFunc(ids, func(id string) bool {
				return id != "spf-softfail-all" && strings.HasPrefix(id, "spf-")
			}) {
				t.Errorf("findings = %v; want no SPF fault", ids)
			}
		})
	}
	if rec := got["split.example"].SPF.Record; rec != "v=spf1 include:_spf.google.com -all" {
		t.Errorf("split record = %q; want the strings joined with nothing", rec)
	}
}

func TestDMARCVerdictsFromTestZones(t *testing.T) {
	s := newScanner(t, nil, scanner.Options{})
	tests := []struct {
		domain, status, policy string
		pct                    int // 0: not checked
		finding                string
	}{
		{"google.example", "ok", "reject", 100, ""},
		{"ms.example", "ok", "quarantine", 50, "dmarc-partial"},
		{"pp.example", "ok", "none", 0, "dmarc-not-enforced"},
		{"bc.example", "none", "", 0, "dmarc-missing"},
		{"tworec.example", "none", "", 0, "dmarc-multiple-records"},
		{"norua.example", "ok", "none", 0, "dmarc-not-enforced"},
		{"bogus.example", "invalid", "", 0, "dmarc-invalid"},
		{"sub.org.example", "ok", "quarantine", 0, ""},
		{"dmarcfail.example", "temperror", "", 0, "lookup-failed"},
	}
	got := scanTable(t, s, tests)
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			d := got[tt.domain].DMARC
			if d.Status != tt.status || d.Policy != tt.policy {
				t.Errorf("dmarc status/policy = %s/%s (%s); want %s/%s", d.Status, d.Policy, d.Error, tt.status, tt.policy)
			}
			if tt.pct != 0 && (d.Pct == nil || *d.Pct != tt.pct) {
				t.Errorf("dmarc pct = %v; want %d", d.Pct, tt.pct)
			}
			if ids := findingIDs(got[tt.domain]); tt.finding != "" && !slices.Contains(ids, tt.finding) {
				t.Errorf("findings = %v; want %s", ids, tt.finding)
			}
		})
	}
}

// queryLog is a dnstest hook that records the queries a server saw.
type queryLog struct {
	mu sync.Mutex
	qs []dnstest.Query
}

func (l *queryLog) record(q dnstest.Query) dnstest.Action {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.qs = append(l.qs, q)
	return dnstest.Action{}
}

// asked returns the queries seen so far, each written by format. It locks:
// the network is no happens-before edge the race detector sees.
func (l *queryLog) asked(format func(dnstest.Query) string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, len(l.qs))
	for i, q := range l.qs {
		out[i] = format(q)
	}
	return out
}

func TestOneTLSPolicyCheckAsksOnlyItsOwnName(t *testing.T) {
	checks, err := scanner.ParseChecks("mta-sts")
	if err != nil {
		t.Fatal(err)
	}
	var log queryLog
	s := newScanner(t, log.record, scanner.Options{Checks: checks})
	r := scanAll(t, s, "google.example")["google.example"]
	asked := log.asked(func(q dnstest.Query) string { return q.Name })
	if !slices.Contains(asked, "_mta-sts.google.example.") || slices.Contains(asked, "_smtp._tls.google.example.") {
		t.Errorf("asked %v; want _mta-sts and not _smtp._tls", asked)
	}
	if r.MTASTS.Status != "none" || r.TLSRPT.Status != "" {
		t.Errorf("mta_sts %q, tls_rpt %q; want none and not looked up", r.MTASTS.Status, r.TLSRPT.Status)
	}
}

// A domain whose lookups outlast the per-domain deadline is reported with
// what it has and says why the rest is missing; a lookup cut short is a
// temporary error, never "no DMARC". Other domains are not affected.
func TestDomainDeadlineCutsOnlyThatDomainsLookups(t *testing.T) {
	slow := func(q dnstest.Query) dnstest.Action {
		if q.Name == "_dmarc.google.example." {
			return dnstest.Action{Delay: 400 * time.Millisecond} // the resolver waits 500ms
		}
		return dnstest.Action{}
	}
	s := newScanner(t, slow, scanner.Options{Concurrency: 4, DomainTimeout: 200 * time.Millisecond})
	got := scanAll(t, s, "google.example", "ms.example")
	g := got["google.example"]
	if g.Status != scanner.StatusOK || g.Mailbox != "google" {
		t.Errorf("google.example: status %s, mailbox %q; want ok, google (its MX answered in time)", g.Status, g.Mailbox)
	}
	if want := "per-domain deadline (200ms)"; !strings.Contains(g.Error, want) {
		t.Errorf("google.example: error %q; want it to mention %q", g.Error, want)
	}
	if g.DMARC.Status != "temperror" {
		t.Errorf("google.example: dmarc status %q; want temperror", g.DMARC.Status)
	}
	if ms := got["ms.example"]; ms.Error != "" || ms.DMARC.Status == "temperror" {
		t.Errorf("ms.example: error %q, dmarc %q; want no error", ms.Error, ms.DMARC.Status)
	}
}

// cnames makes a hook's reply a CNAME chain from the asked name through
// targets, with nothing at its end.
func cnames(name string, targets ...string) func(*dns.Msg) {
	return func(m *dns.Msg) {
		m.Rcode, m.Answer, m.Ns = dns.RcodeSuccess, nil, nil
		owner := name
		for _, t := range targets {
			m.Answer = append(m.Answer, &dns.CNAME{Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 300}, Target: t})
			owner = t
		}
	}
}

// A CNAME chain longer than the limit, or one that loops, is a failed
// lookup: the name does not resolve, which is not "no record". A domain
// whose MX lookup meets one is an error row with no claims about missing
// SPF or DMARC; an SPF lookup that meets one is a temporary error.
func TestCNAMEChainsPastTheLimitOrLoopingAreLookupErrors(t *testing.T) {
	var long []string
	for i := range resolve.MaxCNAMEChain + 1 {
		long = append(long, fmt.Sprintf("c%d.longchain.example.", i))
	}
	hook := func(q dnstest.Query) dnstest.Action {
		switch {
		case q.Name == "longchain.example." || strings.HasSuffix(q.Name, ".longchain.example."):
			return dnstest.Action{Mutate: cnames(q.Name, long...)}
		case q.Name == "loop.example." || strings.HasSuffix(q.Name, ".loop.example."):
			return dnstest.Action{Mutate: cnames(q.Name, "a.loopback.example.", "b.loopback.example.", "a.loopback.example.")}
		case q.Name == "ms.example." && q.Type == dns.TypeTXT:
			return dnstest.Action{Mutate: cnames(q.Name, "x.ms.example.", "ms.example.")}
		}
		return dnstest.Action{}
	}
	s := newScanner(t, hook, scanner.Options{})
	got := scanAll(t, s, "longchain.example", "loop.example", "ms.example")
	for _, d := range []string{"longchain.example", "loop.example"} {
		r := got[d]
		if r.Status != scanner.StatusError || r.Mail != scanner.MailUnknown || !strings.Contains(r.Error, "CNAME chain") {
			t.Errorf("%s: status %s, mail %s, error %q; want error, unknown, a CNAME chain error", d, r.Status, r.Mail, r.Error)
		}
		if ids := findingIDs(r); !slices.Equal(ids, []string{"lookup-failed"}) {
			t.Errorf("%s: findings %v; want only lookup-failed", d, ids)
		}
	}
	ms := got["ms.example"]
	if ms.Status != scanner.StatusOK || ms.SPF.Status != "temperror" || !strings.Contains(ms.SPF.Error, "CNAME chain") {
		t.Errorf("ms.example: status %s, spf %s (%q); want ok, temperror with a CNAME chain error", ms.Status, ms.SPF.Status, ms.SPF.Error)
	}
	if ids := findingIDs(ms); slices.Contains(ids, "spf-missing") || !slices.Contains(ids, "lookup-failed") {
		t.Errorf("ms.example: findings %v; want lookup-failed and no spf-missing", ids)
	}
}

// The addresses of at most MaxMXAddressLookups MX hosts are looked up; the
// row keeps every host and says how many were left.
func TestMXAddressLookupsAreCapped(t *testing.T) {
	const hosts = scanner.MaxMXAddressLookups + 8
	var log queryLog
	hook := func(q dnstest.Query) dnstest.Action {
		log.record(q)
		if q.Name == "manymx.example." && q.Type == dns.TypeMX {
			return dnstest.Action{Mutate: func(m *dns.Msg) {
				m.Rcode, m.Ns = dns.RcodeSuccess, nil
				for i := range hosts {
					m.Answer = append(m.Answer, &dns.MX{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeMX, Class: dns.ClassINET, Ttl: 300},
						Preference: uint16(i), Mx: fmt.Sprintf("h%02d.google.example.", i)})
				}
			}}
		}
		return dnstest.Action{}
	}
	s := newScanner(t, hook, scanner.Options{})
	r := scanAll(t, s, "manymx.example")["manymx.example"]
	if len(r.MX) != hosts {
		t.Fatalf("mx: got %d hosts; want all %d", len(r.MX), hosts)
	}
	for i, m := range r.MX {
		if checked := m.Status != ""; checked != (i < scanner.MaxMXAddressLookups) {
			t.Errorf("mx[%d] %s: status %q; want looked up only for the first %d", i, m.Host, m.Status, scanner.MaxMXAddressLookups)
		}
	}
	addr := 0
	for _, q := range log.asked(func(q dnstest.Query) string { return q.Name + " " + dns.TypeToString[q.Type] }) {
		if strings.HasSuffix(q, ".google.example. A") || strings.HasSuffix(q, ".google.example. AAAA") {
			addr++
		}
	}
	if addr > 2*scanner.MaxMXAddressLookups {
		t.Errorf("%d address queries for MX hosts; want at most %d", addr, 2*scanner.MaxMXAddressLookups)
	}
	var capped []string
	for _, f := range r.Findings {
		if f.ID == "lookups-capped" {
			capped = append(capped, f.Message)
		}
	}
	if want := fmt.Sprintf("8 of the %d MX hosts", hosts); len(capped) != 1 || !strings.Contains(capped[0], want) {
		t.Errorf("lookups-capped findings %q; want one saying %q", capped, want)
	}
}

// However many external report addresses a DMARC record lists, at most
// dmarc.MaxExternalChecks names are asked, and the row has one finding
// about those that are not authorised, not one per address.
func TestExternalReportChecksAreCappedAndSummarised(t *testing.T) {
	var rua []string
	for i := range 40 {
		rua = append(rua, fmt.Sprintf("mailto:r@v%d.example", i))
	}
	record := "v=DMARC1; p=reject; rua=" + strings.Join(rua, ",")
	var log queryLog
	hook := func(q dnstest.Query) dnstest.Action {
		log.record(q)
		if q.Name == "_dmarc.ms.example." && q.Type == dns.TypeTXT {
			return dnstest.Action{Mutate: func(m *dns.Msg) {
				m.Rcode, m.Ns = dns.RcodeSuccess, nil
				m.Answer = []dns.RR{&dns.TXT{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 300}, Txt: splitTXT(record)}}
			}}
		}
		return dnstest.Action{}
	}
	s := newScanner(t, hook, scanner.Options{})
	r := scanAll(t, s, "ms.example")["ms.example"]
	n := 0
	for _, q := range log.asked(func(q dnstest.Query) string { return q.Name }) {
		if strings.Contains(q, "._report._dmarc.") {
			n++
		}
	}
	if n > dmarc.MaxExternalChecks {
		t.Errorf("asked %d report authorisations; want at most %d", n, dmarc.MaxExternalChecks)
	}
	count := map[string]int{}
	for _, f := range r.Findings {
		count[f.ID]++
	}
	if count["dmarc-external-reports-unauthorized"] != 1 || count["lookups-capped"] != 1 {
		t.Errorf("findings %v; want one dmarc-external-reports-unauthorized and one lookups-capped", findingIDs(r))
	}
}

// splitTXT cuts s into character-strings of at most 255 bytes.
func splitTXT(s string) []string {
	var out []string
	for len(s) > 255 {
		out = append(out, s[:255])
		s = s[255:]
	}
	return append(out, s)
}

// A row lists at most MaxMXListed MX hosts, the most preferred first, and
// says how many more there were.
func TestMXHostsListedAreCapped(t *testing.T) {
	const hosts = scanner.MaxMXListed + 50
	hook := func(q dnstest.Query) dnstest.Action {
		if q.Name == "manymx.example." && q.Type == dns.TypeMX {
			return dnstest.Action{Mutate: func(m *dns.Msg) {
				m.Rcode, m.Ns = dns.RcodeSuccess, nil
				for i := range hosts {
					m.Answer = append(m.Answer, &dns.MX{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeMX, Class: dns.ClassINET, Ttl: 300},
						Preference: uint16(hosts - i), Mx: fmt.Sprintf("h%03d.example.", i)})
				}
				m.Answer = append(m.Answer, &dns.MX{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeMX, Class: dns.ClassINET, Ttl: 300},
					Preference: 0, Mx: "aspmx.l.google.com."})
			}}
		}
		return dnstest.Action{}
	}
	s := newScanner(t, hook, scanner.Options{Checks: scanner.Checks{scanner.CheckMX: true}})
	r := scanAll(t, s, "manymx.example")["manymx.example"]
	if len(r.MX) != scanner.MaxMXListed || r.MX[0].Host != "aspmx.l.google.com" || r.Provider != "google" {
		t.Fatalf("mx: %d hosts, first %s, provider %s; want %d, aspmx.l.google.com first, google", len(r.MX), r.MX[0].Host, r.Provider, scanner.MaxMXListed)
	}
	var msg string
	for _, f := range r.Findings {
		if f.ID == "lookups-capped" {
			msg = f.Message
		}
	}
	if want := fmt.Sprintf("%d more MX hosts", hosts+1-scanner.MaxMXListed); !strings.Contains(msg, want) {
		t.Errorf("lookups-capped %q; want it to say %q", msg, want)
	}
}
