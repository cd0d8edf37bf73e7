package scanner_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/dnstest"
	"github.com/mxscope/mxscope/scanner/resolve"
)

// evidenceWorld has a domain for every rule of mailbox attribution that
// README's "Seeing through the gateway" states. Every domain receives mail
// through a gateway (Proofpoint) unless its case says otherwise, so that
// the rule under test is the only thing that can name the mailbox host.
const evidenceWorld = `
$TTL 300
; --- providers ---------------------------------------------------------
mx0a-0012ab34.pphosted.com.    A     203.0.113.1
spf-0012ab34.pphosted.com.     TXT   "v=spf1 ip4:203.0.113.0/28 -all"
spf.protection.outlook.com.    TXT   "v=spf1 ip4:198.51.100.0/24 -all"
_spf.google.com.               TXT   "v=spf1 include:_netblocks.google.com include:_netblocks2.google.com include:_netblocks3.google.com ~all"
_netblocks.google.com.         TXT   "v=spf1 ip4:192.0.2.0/26 ~all"
_netblocks2.google.com.        TXT   "v=spf1 ip4:192.0.2.64/26 ~all"
_netblocks3.google.com.        TXT   "v=spf1 ip4:192.0.2.128/26 ~all"
zoho.eu.                       TXT   "v=spf1 include:spf1.zoho.eu include:spf2.zoho.eu include:spf3.zoho.eu include:spf4.zoho.eu ~all"
spf1.zoho.eu.                  TXT   "v=spf1 ip4:192.0.2.1 ~all"
spf2.zoho.eu.                  TXT   "v=spf1 ip4:192.0.2.2 ~all"
spf3.zoho.eu.                  TXT   "v=spf1 ip4:192.0.2.3 ~all"
spf4.zoho.eu.                  TXT   "v=spf1 ip4:192.0.2.4 ~all"
secureserver.net.              TXT   "v=spf1 include:spf-0.secureserver.net -all"
spf-0.secureserver.net.        TXT   "v=spf1 ip4:198.51.100.128/25 -all"
campaign-example.mail.protection.outlook.com. A 198.51.100.1
dk.mx1.mailanyone.net.         A     203.0.113.50
mx1.hc1234-56.iphmx.com.       A     203.0.113.40

; A web host's policy, which customers include; it names GoDaddy twice.
_spf.webhost.example.          TXT   "v=spf1 include:secureserver.net include:spf-0.secureserver.net -all"
; An ISP's policy that happens to include Outlook.
spf.isp.example.               TXT   "v=spf1 ip4:192.0.2.200 include:spf.protection.outlook.com -all"
mail.isp.example.              A     192.0.2.200
fortimail.itpartner.example.   A     192.0.2.210

; --- 1. a verification token alone is a hint ---------------------------
token.example.                 MX    10 mx0a-0012ab34.pphosted.com.
token.example.                 TXT   "MS=ms12345678"
token.example.                 TXT   "google-site-verification=abc"
token.example.                 TXT   "v=spf1 include:spf-0012ab34.pphosted.com -all"
tokenown.example.              MX    10 mail.tokenown.example.
mail.tokenown.example.         A     192.0.2.30
tokenown.example.              TXT   "MS=ms87654321"

; --- 2. one include tree counts once -----------------------------------
gtree.example.                 MX    10 mx0a-0012ab34.pphosted.com.
gtree.example.                 TXT   "v=spf1 include:_spf.google.com -all"
zoho.example.                  MX    10 mx0a-0012ab34.pphosted.com.
zoho.example.                  TXT   "v=spf1 include:zoho.eu -all"
hosted.example.                MX    10 mx0a-0012ab34.pphosted.com.
hosted.example.                TXT   "v=spf1 include:_spf.webhost.example include:spf.protection.outlook.com -all"
ownsplit.example.              MX    10 mx0a-0012ab34.pphosted.com.
ownsplit.example.              TXT   "v=spf1 include:_spf.ownsplit.example -all"
_spf.ownsplit.example.         TXT   "v=spf1 ip4:192.0.2.77 include:spf.protection.outlook.com -all"
viaisp.example.                MX    10 mx0a-0012ab34.pphosted.com.
viaisp.example.                TXT   "v=spf1 redirect=spf.isp.example"

; --- 3. a tie names nobody ---------------------------------------------
tie.example.                   MX    10 mx0a-0012ab34.pphosted.com.
tie.example.                   TXT   "v=spf1 include:spf.protection.outlook.com include:_spf.google.com -all"
tie2.example.                  MX    10 mx0a-0012ab34.pphosted.com.
tie2.example.                  TXT   "v=spf1 -all"
autodiscover.tie2.example.     CNAME autodiscover.outlook.com.
google._domainkey.tie2.example. TXT  "v=DKIM1; k=rsa; p=MIIBIjAN"

; --- 4. a record with one bad term is still evidence --------------------
badterm.example.               MX    10 mx0a-0012ab34.pphosted.com.
badterm.example.               TXT   "v=spf1 ipv4:192.0.2.1 include:spf.protection.outlook.com -all"

; --- 5. an MX host that is an alias -------------------------------------
alias.example.                 MX    10 mx.alias.example.
mx.alias.example.              CNAME campaign-example.mail.protection.outlook.com.
alias.example.                 TXT   "v=spf1 include:spf.protection.outlook.com -all"
chain.example.                 MX    10 mx.chain.example.
mx.chain.example.              CNAME relay.chain.example.
relay.chain.example.           CNAME mx1.hc1234-56.iphmx.com.
ownalias.example.              MX    10 mx.ownalias.example.
mx.ownalias.example.           CNAME mail.isp.example.
; The ISP's mail server, no gateway, with one SPF include of Outlook; and with autodiscover too.
ispmx.example.                 MX    10 mail.isp.example.
ispmx.example.                 TXT   "v=spf1 include:spf.protection.outlook.com -all"
ispmxad.example.               MX    10 mail.isp.example.
ispmxad.example.               TXT   "v=spf1 include:spf.protection.outlook.com -all"
autodiscover.ispmxad.example.  CNAME autodiscover.outlook.com.
; A self-run MX host with autodiscover to Outlook: the hybrid set-up.
hybrid.example.                MX    10 mail.hybrid.example.
mail.hybrid.example.           A     192.0.2.32
autodiscover.hybrid.example.   CNAME autodiscover.outlook.com.

; --- 6. gateways the catalog knows, and appliances under the owner's name
vipre.example.                 MX    10 dk.mx1.mailanyone.net.
kunta.example.                 MX    10 fortimail.kunta.example.
fortimail.kunta.example.       A     192.0.2.40
kunta.example.                 TXT   "v=spf1 include:spf.protection.outlook.com -all"
partner.example.               MX    10 fortimail.itpartner.example.

; --- confidence -------------------------------------------------------
dkimcname.example.             MX    10 mx0a-0012ab34.pphosted.com.
selector1._domainkey.dkimcname.example. CNAME selector1-dkimcname-example._domainkey.tenant.onmicrosoft.com.
adspf.example.                 MX    10 mx0a-0012ab34.pphosted.com.
adspf.example.                 TXT   "v=spf1 include:spf.protection.outlook.com -all"
autodiscover.adspf.example.    CNAME autodiscover.outlook.com.
selfspf.example.               MX    10 mail.selfspf.example.
mail.selfspf.example.          A     192.0.2.31
selfspf.example.               TXT   "v=spf1 mx include:spf.protection.outlook.com -all"
`

func evidenceScanner(t *testing.T, checks string) *scanner.Scanner {
	t.Helper()
	srv := dnstest.New(t, evidenceWorld)
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

func hasEvidence(r *scanner.Result, substr string) bool {
	return slices.ContainsFunc(r.MailboxEvidence, func(e string) bool { return strings.Contains(e, substr) })
}

// TestAttributionRules holds each rule of README's "Seeing through the
// gateway" to a domain scanned through DNS.
func TestAttributionRules(t *testing.T) {
	tests := []struct {
		rule, domain       string
		provider, gateway  string
		mailbox            string
		confidence         scanner.Confidence
		evidence, notEvide []string // substrings that must (not) be among mailbox_evidence
	}{
		{"a lone MS= token is a hint, not a mailbox", "token.example", "proofpoint", "proofpoint", "unknown", "",
			[]string{"candidate microsoft: txt MS=… (hint only)", "candidate google: txt google-site-verification=… (hint only)"}, nil},
		{"a token does not outweigh the domain's own server", "tokenown.example", "self-hosted", "", "self-hosted", scanner.ConfidenceMedium,
			[]string{"mx 10 mail.tokenown.example (under the domain itself)", "candidate microsoft: txt MS=… (hint only)"}, nil},

		{"Google's include and its three nested _netblocks count once", "gtree.example", "proofpoint", "proofpoint", "google", scanner.ConfidenceLow,
			[]string{"spf include:_spf.google.com", "spf include:_netblocks.google.com (via _spf.google.com) (hint only)"}, nil},
		{"five names of one Zoho chain are one SPF signal, never medium", "zoho.example", "proofpoint", "proofpoint", "zoho", scanner.ConfidenceLow,
			[]string{"spf include:zoho.eu"}, nil},
		{"a web host's chain naming GoDaddy twice does not outweigh a direct Outlook include", "hosted.example", "proofpoint", "proofpoint", "microsoft", scanner.ConfidenceLow,
			[]string{"spf include:spf.protection.outlook.com", "candidate godaddy: spf include:secureserver.net (via _spf.webhost.example) (hint only)"}, nil},
		{"the owner's own split policy counts as its own record", "ownsplit.example", "proofpoint", "proofpoint", "microsoft", scanner.ConfidenceLow,
			[]string{"spf include:spf.protection.outlook.com"}, []string{"via"}},
		{"an ISP's policy the domain redirects to is a hint", "viaisp.example", "proofpoint", "proofpoint", "unknown", "",
			[]string{"candidate microsoft: spf include:spf.protection.outlook.com (via spf.isp.example) (hint only)"}, nil},

		{"two SPF providers tie: nobody is named", "tie.example", "proofpoint", "proofpoint", "unknown", "",
			[]string{"tie: google and microsoft weigh the same", "candidate google: spf include:_spf.google.com", "candidate microsoft: spf include:spf.protection.outlook.com"}, nil},
		{"autodiscover and a DKIM key tie: nobody is named", "tie2.example", "proofpoint", "proofpoint", "unknown", "",
			[]string{"tie: google and microsoft weigh the same", "candidate microsoft: autodiscover cname autodiscover.outlook.com", "candidate google: dkim google key published"}, nil},

		{"a record with one bad term still names Outlook", "badterm.example", "proofpoint", "proofpoint", "microsoft", scanner.ConfidenceLow,
			[]string{"spf include:spf.protection.outlook.com (in a record with a syntax error)"}, nil},

		{"an MX alias of Microsoft is Microsoft's", "alias.example", "microsoft", "", "microsoft", scanner.ConfidenceHigh,
			[]string{"mx 10 mx.alias.example"}, nil},
		{"a chain of aliases ends at Cisco's gateway", "chain.example", "cisco", "cisco", "unknown", "", nil, nil},
		{"the domain's own name aliased to an ISP is the ISP's host", "ownalias.example", "unknown", "", "unknown", "", nil, nil},

		{"VIPRE (Electric Mail) is a gateway", "vipre.example", "vipre", "vipre", "unknown", "", nil, nil},
		{"a FortiMail under the domain's own name is its own gateway", "kunta.example", "self-hosted", "self-hosted", "microsoft", scanner.ConfidenceLow,
			[]string{"spf include:spf.protection.outlook.com"}, []string{"under the domain itself"}},
		{"a FortiMail under an IT partner's name is the partner's gateway", "partner.example", "unknown", "unknown", "unknown", "", nil, nil},

		{"a DKIM selector delegated to the tenant is high", "dkimcname.example", "proofpoint", "proofpoint", "microsoft", scanner.ConfidenceHigh,
			[]string{"dkim selector1 cname selector1-dkimcname-example._domainkey.tenant.onmicrosoft.com"}, nil},
		{"autodiscover and SPF agreeing are medium", "adspf.example", "proofpoint", "proofpoint", "microsoft", scanner.ConfidenceMedium,
			[]string{"autodiscover cname autodiscover.outlook.com", "spf include:spf.protection.outlook.com"}, nil},
		{"the domain's own server outweighs one SPF include", "selfspf.example", "self-hosted", "", "self-hosted", scanner.ConfidenceMedium,
			[]string{"candidate microsoft: spf include:spf.protection.outlook.com"}, nil},
		{"one SPF include names nobody when the MX is no gateway", "ispmx.example", "unknown", "", "unknown", "",
			[]string{"one SPF include alone, and the MX host is no known gateway", "candidate microsoft: spf include:spf.protection.outlook.com"}, nil},
		{"autodiscover and SPF name the mailbox behind an ISP's MX", "ispmxad.example", "unknown", "", "microsoft", scanner.ConfidenceMedium,
			[]string{"autodiscover cname autodiscover.outlook.com"}, nil},
		{"autodiscover to Outlook outweighs the domain's own MX host (hybrid)", "hybrid.example", "self-hosted", "", "microsoft", scanner.ConfidenceMedium,
			[]string{"autodiscover cname autodiscover.outlook.com", "candidate self-hosted: mx 10 mail.hybrid.example (under the domain itself)"}, nil},
	}
	got := scanTable(t, evidenceScanner(t, ""), tests)
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			r := got[tt.domain]
			if r.Status != scanner.StatusOK {
				t.Fatalf("status %s (%s); want ok", r.Status, r.Error)
			}
			if r.Provider != tt.provider || r.Gateway != tt.gateway || r.Mailbox != tt.mailbox || r.Confidence != tt.confidence {
				t.Errorf("provider/gateway/mailbox/confidence = %q/%q/%q/%q; want %q/%q/%q/%q (evidence %q)",
					r.Provider, r.Gateway, r.Mailbox, r.Confidence, tt.provider, tt.gateway, tt.mailbox, tt.confidence, r.MailboxEvidence)
			}
			for _, e := range tt.evidence {
				if !hasEvidence(r, e) {
					t.Errorf("mailbox_evidence = %q; want an entry containing %q", r.MailboxEvidence, e)
				}
			}
			for _, e := range tt.notEvide {
				if hasEvidence(r, e) {
					t.Errorf("mailbox_evidence = %q; want no entry containing %q", r.MailboxEvidence, e)
				}
			}
		})
	}
}

// TestPermerrorRecordStillNamesSenders: the SPF status stays permerror, with
// its finding, while the includes count as senders.
func TestPermerrorRecordStillNamesSenders(t *testing.T) {
	r := scanAll(t, evidenceScanner(t, ""), "badterm.example")["badterm.example"]
	if r.SPF.Status != "permerror" || !slices.Contains(findingIDs(r), "spf-syntax") {
		t.Errorf("spf status %q, findings %v; want permerror and spf-syntax", r.SPF.Status, findingIDs(r))
	}
	if !slices.Equal(r.Senders, []string{"microsoft"}) {
		t.Errorf("senders = %q; want [microsoft]", r.Senders)
	}
}

// TestMXAliasIsAttributedByItsTarget: the canonical name decides the
// provider, the alias keeps its mx-cname finding, with or without the addr
// check (without it, one CNAME query per unknown MX host finds the chain).
func TestMXAliasIsAttributedByItsTarget(t *testing.T) {
	for _, checks := range []string{"", "mx,spf,dmarc"} {
		t.Run("checks="+checks, func(t *testing.T) {
			got := scanAll(t, evidenceScanner(t, checks), "alias.example", "chain.example")
			r := got["alias.example"]
			m := r.MX[0]
			if m.Provider != "microsoft" || m.Product != "microsoft365" || m.Canonical != "campaign-example.mail.protection.outlook.com" {
				t.Errorf("mx = %+v; want provider microsoft (microsoft365), canonical campaign-example.mail.protection.outlook.com", m)
			}
			if r.Tenant != "" {
				t.Errorf("tenant = %q; want none: the tenant is read from the MX host's own name", r.Tenant)
			}
			if !slices.Contains(findingIDs(r), "mx-cname") {
				t.Errorf("findings = %v; want mx-cname kept", findingIDs(r))
			}
			if c := got["chain.example"].MX[0]; c.Provider != "cisco" || c.Canonical != "mx1.hc1234-56.iphmx.com" {
				t.Errorf("two-link chain: mx = %+v; want cisco, canonical mx1.hc1234-56.iphmx.com", c)
			}
		})
	}
}

// TestApplianceIsNotTheVendorsCloud: fortimail.<customer> names Fortinet as
// the appliance's vendor, never as the provider or the gateway, so that
// --provider fortinet does not list a domain that runs its own box.
func TestApplianceIsNotTheVendorsCloud(t *testing.T) {
	got := scanAll(t, evidenceScanner(t, ""), "kunta.example", "partner.example")
	for d, want := range map[string]string{"kunta.example": "self-hosted", "partner.example": "unknown"} {
		r := got[d]
		m := r.MX[0]
		if m.Appliance != "fortinet" || m.Provider != want || r.Gateway != want {
			t.Errorf("%s: mx appliance/provider %q/%q, gateway %q; want fortinet/%s, gateway %s", d, m.Appliance, m.Provider, r.Gateway, want, want)
		}
		if _, ok := r.ProviderLayer("fortinet"); ok {
			t.Errorf("%s matches --provider fortinet; want no match for a self-run appliance", d)
		}
	}
}
