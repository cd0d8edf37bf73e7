package diff

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mxscope/mxscope/scanner"
)

func pct(n int) *int { return &n }

// base is a healthy result that the cases below change one thing of.
func base() *scanner.Result {
	return &scanner.Result{
		Domain: "campaign.example", Status: scanner.StatusOK, Mail: scanner.MailMX,
		MX:       []scanner.MX{{Preference: 10, Host: "aspmx.l.google.com", Provider: "google"}},
		Provider: "google", Mailbox: "google", Confidence: scanner.ConfidenceHigh,
		SPF:    scanner.SPF{Status: "ok", Record: "v=spf1 include:_spf.google.com ~all", All: "softfail"},
		DMARC:  scanner.DMARC{Status: "ok", Record: "v=DMARC1; p=reject", Policy: "reject", SubdomainPolicy: "reject", Pct: pct(100)},
		MTASTS: scanner.Policy{Status: "ok"}, TLSRPT: scanner.Policy{Status: "ok"},
		Findings: []scanner.Finding{{ID: "spf-softfail-all", Severity: scanner.SeverityInfo}},
	}
}

// posture is base with every posture check run, and healthy.
func posture() *scanner.Result {
	r := base()
	r.MX[0].TLSA = &scanner.TLSA{Status: scanner.TLSAOK, DNSSEC: scanner.DNSSECSecure,
		Records: []scanner.TLSARecord{{Usage: 3, Selector: 1, MatchingType: 1, Data: "aa11"}}}
	r.DNSSEC = &scanner.DNSSEC{Status: scanner.DNSSECSecure}
	r.DKIM = &scanner.DKIM{Status: "ok", Probed: 10, Selectors: []scanner.DKIMSelector{
		{Selector: "google", Status: "ok", KeyType: "rsa", KeyBits: 2048},
		{Selector: "ed", Status: "ok", KeyType: "ed25519"},
	}}
	maxAge := int64(604800)
	r.MTASTS.Policy = &scanner.STSPolicy{Status: "ok", URL: "https://mta-sts.campaign.example/.well-known/mta-sts.txt",
		Mode: "enforce", MaxAge: &maxAge, MX: []string{"aspmx.l.google.com", "*.aspmx.l.google.com"}}
	r.BIMI = &scanner.BIMI{Status: "ok", Record: "v=BIMI1; l=https://campaign.example/logo.svg", Logo: "https://campaign.example/logo.svg"}
	return r
}

func finding(r *scanner.Result, id string, sev scanner.Severity) {
	r.Findings = append(r.Findings, scanner.Finding{ID: id, Severity: sev})
}

// The posture checks, each in its documented order; a failure on either
// side is could-not-compare, and the findings that depend on it are not
// compared.
func TestComparePosture(t *testing.T) {
	tls := func(r *scanner.Result) *scanner.TLSA { return r.MX[0].TLSA }
	key := func(r *scanner.Result) *scanner.DKIMSelector { return &r.DKIM.Selectors[0] }
	pol := func(r *scanner.Result) *scanner.STSPolicy { return r.MTASTS.Policy }
	tests := []struct {
		name   string
		change func(o, n *scanner.Result)
		want   string
	}{
		{"nothing", func(o, n *scanner.Result) {}, ""},

		{"DNSSEC secure to insecure", func(o, n *scanner.Result) {
			n.DNSSEC.Status = scanner.DNSSECInsecure
			finding(n, "dnssec-insecure", scanner.SeverityMedium)
		}, `dnssec weakened "secure"→"insecure"; finding added ""→"dnssec-insecure"`},
		{"DNSSEC insecure to secure", func(o, n *scanner.Result) { o.DNSSEC.Status = scanner.DNSSECInsecure },
			`dnssec strengthened "insecure"→"secure"`},
		{"DNSSEC insecure to bogus", func(o, n *scanner.Result) {
			o.DNSSEC.Status, n.DNSSEC.Status = scanner.DNSSECInsecure, scanner.DNSSECBogus
		}, `dnssec weakened "insecure"→"bogus"`},
		{"DNSSEC unknown in the new run", func(o, n *scanner.Result) {
			o.DNSSEC.Status = scanner.DNSSECInsecure
			finding(o, "dnssec-insecure", scanner.SeverityMedium)
			n.DNSSEC.Status = scanner.DNSSECUnknown
		}, `dnssec could-not-compare "insecure"→"unknown"`},
		{"DNSSEC unknown in both: nothing known, nothing said", func(o, n *scanner.Result) {
			o.DNSSEC.Status, n.DNSSEC.Status = scanner.DNSSECUnknown, scanner.DNSSECUnknown
		}, ""},
		{"DNSSEC not checked in one", func(o, n *scanner.Result) { n.DNSSEC = nil }, ""},

		{"TLSA removed from a signed zone", func(o, n *scanner.Result) {
			*tls(n) = scanner.TLSA{Status: scanner.TLSANone, DNSSEC: scanner.DNSSECSecure}
			finding(n, "dane-missing", scanner.SeverityLow)
		}, `tlsa weakened "aspmx.l.google.com: ok (secure)"→"aspmx.l.google.com: none (secure)"; finding added ""→"dane-missing"`},
		{"TLSA published", func(o, n *scanner.Result) {
			*tls(o) = scanner.TLSA{Status: scanner.TLSANone, DNSSEC: scanner.DNSSECSecure}
		},
			`tlsa strengthened "aspmx.l.google.com: none (secure)"→"aspmx.l.google.com: ok (secure)"`},
		{"TLSA's zone went bogus", func(o, n *scanner.Result) {
			*tls(n) = scanner.TLSA{Status: scanner.TLSATemperror, DNSSEC: scanner.DNSSECBogus}
			finding(n, "dnssec-bogus", scanner.SeverityHigh)
		}, `tlsa weakened "aspmx.l.google.com: ok (secure)"→"aspmx.l.google.com: bogus"; finding added ""→"dnssec-bogus"`},
		{"TLSA lookup failed", func(o, n *scanner.Result) {
			*tls(n) = scanner.TLSA{Status: scanner.TLSATemperror, DNSSEC: scanner.DNSSECUnknown}
			finding(o, "dane-invalid", scanner.SeverityMedium)
		}, `tlsa could-not-compare "aspmx.l.google.com: ok (secure)"→"aspmx.l.google.com: temperror"`},
		{"TLSA records rotated", func(o, n *scanner.Result) {
			tls(n).Records = []scanner.TLSARecord{{Usage: 3, Selector: 1, MatchingType: 1, Data: "bb22"}}
		}, `tlsa changed "aspmx.l.google.com: ok (secure)"→"aspmx.l.google.com: ok (secure)"`},
		{"TLSA in an unsigned zone removed: senders ignored it", func(o, n *scanner.Result) {
			*tls(o) = scanner.TLSA{Status: scanner.TLSAOK, DNSSEC: scanner.DNSSECInsecure}
			*tls(n) = scanner.TLSA{Status: scanner.TLSANone, DNSSEC: scanner.DNSSECInsecure}
		}, `tlsa changed "aspmx.l.google.com: ok (insecure)"→"aspmx.l.google.com: none (insecure)"`},
		{"TLSA without a validating resolver both times", func(o, n *scanner.Result) {
			*tls(o) = scanner.TLSA{Status: scanner.TLSAOK, DNSSEC: scanner.DNSSECUnknown}
			*tls(n) = scanner.TLSA{Status: scanner.TLSAOK, DNSSEC: scanner.DNSSECUnknown}
		}, ""},
		{"TLSA whose zone's DNSSEC became unknown", func(o, n *scanner.Result) {
			tls(n).DNSSEC = scanner.DNSSECUnknown
		}, `tlsa could-not-compare "aspmx.l.google.com: ok (secure)"→"aspmx.l.google.com: ok (unknown)"`},
		{"a new MX host: the mx line says so, no tlsa line", func(o, n *scanner.Result) {
			n.MX = append(n.MX, scanner.MX{Preference: 20, Host: "alt1.aspmx.l.google.com", Provider: "google",
				TLSA: &scanner.TLSA{Status: scanner.TLSANone, DNSSEC: scanner.DNSSECSecure}})
		}, `mx changed "10 aspmx.l.google.com"→"10 aspmx.l.google.com, 20 alt1.aspmx.l.google.com"`},

		{"DKIM key shortened", func(o, n *scanner.Result) {
			key(n).KeyBits = 1024
			finding(n, "dkim-weak-key", scanner.SeverityMedium)
		}, `dkim weakened "google: rsa 2048"→"google: rsa 1024"; finding added ""→"dkim-weak-key"`},
		{"DKIM key lengthened", func(o, n *scanner.Result) { key(o).KeyBits = 512 },
			`dkim strengthened "google: rsa 512"→"google: rsa 2048"`},
		{"DKIM key 2048 to 4096: same tier", func(o, n *scanner.Result) { key(n).KeyBits = 4096 },
			`dkim changed "google: rsa 2048"→"google: rsa 4096"`},
		{"DKIM key put in testing", func(o, n *scanner.Result) { key(n).Testing = true },
			`dkim weakened "google: rsa 2048"→"google: rsa 2048 t=y"`},
		{"DKIM key revoked", func(o, n *scanner.Result) { *key(n) = scanner.DKIMSelector{Selector: "google", Status: "revoked"} },
			`dkim weakened "google: rsa 2048"→"google: revoked"`},
		{"DKIM selector added and one gone", func(o, n *scanner.Result) {
			n.DKIM.Selectors = []scanner.DKIMSelector{n.DKIM.Selectors[0], {Selector: "k2", Status: "ok", KeyType: "rsa", KeyBits: 2048}}
		}, `dkim changed ""→"k2: rsa 2048"; dkim changed "ed: ed25519"→""`},
		{"DKIM gone: _domainkey no longer exists", func(o, n *scanner.Result) {
			n.DKIM = &scanner.DKIM{Status: "none"}
			finding(n, "dkim-none-found", scanner.SeverityMedium)
		}, `dkim weakened "google: rsa 2048, ed: ed25519"→"none (no _domainkey)"; finding added ""→"dkim-none-found"`},
		{"DKIM published", func(o, n *scanner.Result) { o.DKIM = &scanner.DKIM{Status: "none"} },
			`dkim strengthened "none (no _domainkey)"→"google: rsa 2048, ed: ed25519"`},
		{"DKIM keys not found at the selectors asked", func(o, n *scanner.Result) {
			n.DKIM = &scanner.DKIM{Status: "unknown", Probed: 10}
			finding(n, "dkim-none-found", scanner.SeverityMedium)
		}, `dkim could-not-compare "google: rsa 2048, ed: ed25519"→"unknown"`},
		{"DKIM unknown both times", func(o, n *scanner.Result) {
			o.DKIM = &scanner.DKIM{Status: "unknown"}
			n.DKIM = &scanner.DKIM{Status: "unknown"}
		}, ""},
		{"DKIM lookup failed", func(o, n *scanner.Result) { o.DKIM = &scanner.DKIM{Status: "temperror"} },
			`dkim could-not-compare "temperror"→"ok"`},

		{"MTA-STS enforce to testing", func(o, n *scanner.Result) {
			pol(n).Mode = "testing"
			finding(n, "mta-sts-testing", scanner.SeverityLow)
		}, `mta-sts-policy weakened "mode enforce"→"mode testing"; finding added ""→"mta-sts-testing"`},
		{"MTA-STS testing to enforce", func(o, n *scanner.Result) { pol(o).Mode = "testing" },
			`mta-sts-policy strengthened "mode testing"→"mode enforce"`},
		{"MTA-STS policy withdrawn (mode none)", func(o, n *scanner.Result) { pol(n).Mode = "none" },
			`mta-sts-policy weakened "mode enforce"→"mode none"`},
		{"MTA-STS policy unreachable", func(o, n *scanner.Result) {
			*pol(n) = scanner.STSPolicy{Status: "unreachable", Error: "connection refused"}
			finding(n, "mta-sts-policy-unreachable", scanner.SeverityMedium)
		}, `mta-sts-policy weakened "mode enforce"→"policy unreachable"; finding added ""→"mta-sts-policy-unreachable"`},
		{"MTA-STS record removed", func(o, n *scanner.Result) {
			n.MTASTS = scanner.Policy{Status: "none"}
			finding(n, "mta-sts-missing", scanner.SeverityLow)
		}, `mta-sts-policy weakened "mode enforce"→"no _mta-sts record"; finding added ""→"mta-sts-missing"`},
		{"MTA-STS fetch failed: never removed", func(o, n *scanner.Result) {
			finding(o, "mta-sts-mx-mismatch", scanner.SeverityHigh)
			*pol(n) = scanner.STSPolicy{Status: "temperror", Error: "no answer within 15s"}
		}, `mta-sts-policy could-not-compare "mode enforce"→"policy temperror"`},
		{"MTA-STS record lookup failed", func(o, n *scanner.Result) { n.MTASTS = scanner.Policy{Status: "temperror"} },
			`mta-sts-policy could-not-compare "mode enforce"→"temperror (the _mta-sts lookup failed)"`},
		{"MTA-STS mx patterns changed", func(o, n *scanner.Result) {
			pol(n).MX = []string{"*.mail.protection.outlook.com"}
			finding(n, "mta-sts-mx-mismatch", scanner.SeverityHigh)
		}, `mta-sts-policy changed "mx: aspmx.l.google.com, *.aspmx.l.google.com"→"mx: *.mail.protection.outlook.com"; finding added ""→"mta-sts-mx-mismatch"`},
		{"MTA-STS policy not fetched in one run (checks)", func(o, n *scanner.Result) {
			n.MTASTS.Policy = nil
			finding(o, "mta-sts-testing", scanner.SeverityLow)
		}, ""},

		{"BIMI removed", func(o, n *scanner.Result) { n.BIMI = &scanner.BIMI{Status: "none"} },
			`bimi changed "ok"→"none"`},
		{"BIMI logo moved", func(o, n *scanner.Result) { n.BIMI.Record = "v=BIMI1; l=https://cdn.example/logo.svg" },
			`bimi changed "v=BIMI1; l=https://campaign.example/logo.svg"→"v=BIMI1; l=https://cdn.example/logo.svg"`},
		{"BIMI lookup failed", func(o, n *scanner.Result) {
			n.BIMI = &scanner.BIMI{Status: "temperror"}
			finding(o, "bimi-invalid", scanner.SeverityLow)
		}, `bimi could-not-compare "ok"→"temperror"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, n := posture(), posture()
			tt.change(o, n)
			cs := Compare(o, n)
			if got := describe(cs); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func describe(cs []Change) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, fmt.Sprintf("%s %s %q→%q", c.Field, c.Kind, c.Old, c.New))
	}
	return strings.Join(parts, "; ")
}

func TestCompare(t *testing.T) {
	tests := []struct {
		name   string
		change func(o, n *scanner.Result)
		want   string
	}{
		{"nothing", func(o, n *scanner.Result) {}, ""},
		{"MX moved to another provider", func(o, n *scanner.Result) {
			n.MX = []scanner.MX{{Preference: 0, Host: "campaign-example.mail.protection.outlook.com", Provider: "microsoft"}}
			n.Provider, n.Mailbox = "microsoft", "microsoft"
		}, `mx changed "10 aspmx.l.google.com"→"0 campaign-example.mail.protection.outlook.com"; provider changed "google"→"microsoft"; mailbox changed "google"→"microsoft"`},
		{"a gateway put in front", func(o, n *scanner.Result) {
			n.MX = []scanner.MX{{Preference: 10, Host: "mx0a-1.pphosted.com", Provider: "proofpoint"}}
			n.Provider, n.Gateway, n.Confidence = "proofpoint", "proofpoint", scanner.ConfidenceLow
		}, `mx changed "10 aspmx.l.google.com"→"10 mx0a-1.pphosted.com"; provider changed "google"→"proofpoint"; gateway changed ""→"proofpoint"`},
		{"a preference changed", func(o, n *scanner.Result) { n.MX = []scanner.MX{{Preference: 5, Host: "aspmx.l.google.com"}} },
			`mx changed "10 aspmx.l.google.com"→"5 aspmx.l.google.com"`},
		{"null MX", func(o, n *scanner.Result) { n.Mail, n.MX = scanner.MailNullMX, nil }, `mx changed "10 aspmx.l.google.com"→"null MX"`},
		{"MX lookup failed in the new run", func(o, n *scanner.Result) {
			n.Mail, n.MX, n.Provider, n.Mailbox = scanner.MailUnknown, nil, "unknown", "unknown"
			n.Findings = append(n.Findings, scanner.Finding{ID: "lookup-failed", Severity: scanner.SeverityInfo})
		}, `mx could-not-compare "10 aspmx.l.google.com"→"unknown (lookup failed)"`},

		{"DMARC reject to none", func(o, n *scanner.Result) {
			n.DMARC = scanner.DMARC{Status: "ok", Record: "v=DMARC1; p=none", Policy: "none", SubdomainPolicy: "none", Pct: pct(100)}
			n.Findings = append(n.Findings, scanner.Finding{ID: "dmarc-not-enforced", Severity: scanner.SeverityMedium})
		}, `dmarc weakened "p=reject"→"p=none"; finding added ""→"dmarc-not-enforced"`},
		{"DMARC removed", func(o, n *scanner.Result) {
			n.DMARC = scanner.DMARC{Status: "none"}
			n.Findings = append(n.Findings, scanner.Finding{ID: "dmarc-missing", Severity: scanner.SeverityHigh})
		}, `dmarc weakened "p=reject"→"missing"; finding added ""→"dmarc-missing"`},
		{"DMARC lookup failed: never removed", func(o, n *scanner.Result) {
			n.DMARC = scanner.DMARC{Status: "temperror", Error: "timeout"}
			n.Findings = append(n.Findings, scanner.Finding{ID: "lookup-failed", Severity: scanner.SeverityInfo})
		}, `dmarc could-not-compare "ok"→"temperror"`},
		{"DMARC pct lowered", func(o, n *scanner.Result) { n.DMARC.Pct = pct(50) }, `dmarc weakened "p=reject"→"p=reject pct=50"`},
		{"quarantine at 10% beats none", func(o, n *scanner.Result) {
			o.DMARC = scanner.DMARC{Status: "ok", Policy: "none", SubdomainPolicy: "none", Pct: pct(100)}
			n.DMARC = scanner.DMARC{Status: "ok", Policy: "quarantine", SubdomainPolicy: "quarantine", Pct: pct(10)}
		}, `dmarc strengthened "p=none"→"p=quarantine pct=10"`},
		{"reject at 10% beats quarantine", func(o, n *scanner.Result) {
			o.DMARC = scanner.DMARC{Status: "ok", Policy: "quarantine", SubdomainPolicy: "quarantine"}
			n.DMARC = scanner.DMARC{Status: "ok", Policy: "reject", SubdomainPolicy: "reject", Pct: pct(10)}
		}, `dmarc strengthened "p=quarantine"→"p=reject pct=10"`},
		{"sp=none only", func(o, n *scanner.Result) {
			n.DMARC.SubdomainPolicy = "none"
			n.Findings = append(n.Findings, scanner.Finding{ID: "dmarc-subdomain-not-enforced", Severity: scanner.SeverityMedium})
		}, `dmarc weakened "p=reject"→"p=reject sp=none"; finding added ""→"dmarc-subdomain-not-enforced"`},
		{"stronger apex, weaker subdomains", func(o, n *scanner.Result) {
			o.DMARC = scanner.DMARC{Status: "ok", Policy: "quarantine", SubdomainPolicy: "quarantine"}
			n.DMARC = scanner.DMARC{Status: "ok", Policy: "reject", SubdomainPolicy: "none"}
		}, `dmarc changed "p=quarantine"→"p=reject sp=none"`},
		{"t=y: reject applied as quarantine", func(o, n *scanner.Result) {
			n.DMARC.Testing, n.DMARC.AppliedPolicy = true, "quarantine"
			n.Findings = append(n.Findings, scanner.Finding{ID: "dmarc-testing", Severity: scanner.SeverityMedium})
		}, `dmarc weakened "p=reject"→"p=reject t=y"; finding added ""→"dmarc-testing"`},
		{"quarantine to reject with t=y applies the same", func(o, n *scanner.Result) {
			o.DMARC = scanner.DMARC{Status: "ok", Policy: "quarantine", AppliedPolicy: "quarantine"}
			n.DMARC = scanner.DMARC{Status: "ok", Policy: "reject", AppliedPolicy: "quarantine", Testing: true, SubdomainPolicy: "quarantine"}
		}, `dmarc changed "p=quarantine"→"p=reject t=y sp=quarantine"`},
		{"np=none for nonexistent subdomains", func(o, n *scanner.Result) { n.DMARC.NonexistentPolicy = "none" },
			`dmarc weakened "p=reject"→"p=reject np=none"`},
		{"sp up, np down", func(o, n *scanner.Result) {
			o.DMARC.SubdomainPolicy, o.DMARC.NonexistentPolicy = "quarantine", "quarantine"
			n.DMARC.SubdomainPolicy, n.DMARC.NonexistentPolicy = "reject", "none"
		}, `dmarc changed "p=reject sp=quarantine"→"p=reject np=none"`},
		{"DMARC record reworded", func(o, n *scanner.Result) { n.DMARC.Record = "v=DMARC1; p=reject; rua=mailto:d@campaign.example" },
			`dmarc changed "v=DMARC1; p=reject"→"v=DMARC1; p=reject; rua=mailto:d@campaign.example"`},
		{"DMARC invalid from missing", func(o, n *scanner.Result) {
			o.DMARC = scanner.DMARC{Status: "none"}
			n.DMARC = scanner.DMARC{Status: "invalid", Record: "v=DMARC1; p=bogus"}
		}, `dmarc changed "missing"→"invalid"`},

		{"SPF softfail to fail", func(o, n *scanner.Result) {
			n.SPF.All, n.SPF.Record = "fail", "v=spf1 include:_spf.google.com -all"
			n.Findings = nil
		}, `spf strengthened "~all"→"-all"; finding resolved "spf-softfail-all"→""`},
		{"SPF to +all", func(o, n *scanner.Result) {
			n.SPF.All, n.SPF.Record = "pass", "v=spf1 +all"
			n.Findings = []scanner.Finding{{ID: "spf-pass-all", Severity: scanner.SeverityHigh}}
		}, `spf weakened "~all"→"+all"; finding added ""→"spf-pass-all"; finding resolved "spf-softfail-all"→""`},
		{"SPF include swapped", func(o, n *scanner.Result) { n.SPF.Record = "v=spf1 include:spf.protection.outlook.com ~all" },
			`spf changed "v=spf1 include:_spf.google.com ~all"→"v=spf1 include:spf.protection.outlook.com ~all"`},
		{"SPF temperror", func(o, n *scanner.Result) {
			o.SPF = scanner.SPF{Status: "temperror"}
			o.Findings = nil
		}, `spf could-not-compare "temperror"→"ok"`},

		{"the domain stopped answering", func(o, n *scanner.Result) {
			*n = scanner.Result{Domain: n.Domain, Status: scanner.StatusServFail, Mail: scanner.MailUnknown, Provider: "unknown",
				SPF: scanner.SPF{Status: "temperror"}, DMARC: scanner.DMARC{Status: "temperror"}}
		}, `status could-not-compare "ok"→"servfail"`},
		{"the domain is gone", func(o, n *scanner.Result) {
			*n = scanner.Result{Domain: n.Domain, Status: scanner.StatusNXDomain, Mail: scanner.MailNone, SPF: scanner.SPF{Status: "none"}}
		}, `status changed "ok"→"nxdomain"`},
		{"a second dangling MX host", func(o, n *scanner.Result) {
			o.Findings = append(o.Findings, scanner.Finding{ID: "mx-dangling", Severity: scanner.SeverityHigh, Message: "a"})
			n.Findings = append(n.Findings, scanner.Finding{ID: "mx-dangling", Severity: scanner.SeverityHigh, Message: "a"},
				scanner.Finding{ID: "mx-dangling", Severity: scanner.SeverityHigh, Message: "b"})
		}, `finding added ""→"mx-dangling"`},
		{"a check that did not run in one", func(o, n *scanner.Result) { n.DMARC = scanner.DMARC{} }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, n := base(), base()
			tt.change(o, n)
			cs := Compare(o, n)
			if got := describe(cs); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			for _, c := range cs {
				if c.Domain != "campaign.example" {
					t.Errorf("a change without its domain: %+v", c)
				}
			}
		})
	}
}

func TestWeakens(t *testing.T) {
	tests := []struct {
		c    Change
		want bool
	}{
		{Change{Field: FieldDMARC, Kind: KindWeakened}, true},
		{Change{Field: FieldSPF, Kind: KindStrengthened}, false},
		{Change{Field: FieldFinding, Kind: KindAdded, Severity: scanner.SeverityMedium}, true},
		{Change{Field: FieldFinding, Kind: KindAdded, Severity: scanner.SeverityInfo}, false},
		{Change{Field: FieldMX, Kind: KindChanged}, false},
		{Change{Field: FieldStatus, Kind: KindUncompared}, false},
		{Change{Field: FieldDNSSEC, Kind: KindWeakened}, true},
		{Change{Field: FieldTLSA, Kind: KindWeakened}, true},
		{Change{Field: FieldDKIM, Kind: KindWeakened}, true},
		{Change{Field: FieldMTASTSPolicy, Kind: KindWeakened}, true},
		{Change{Field: FieldMTASTSPolicy, Kind: KindUncompared}, false},
		{Change{Field: FieldBIMI, Kind: KindChanged}, false},
	}
	for _, tt := range tests {
		if got := tt.c.Weakens(); got != tt.want {
			t.Errorf("%+v: got %v; want %v", tt.c, got, tt.want)
		}
	}
}

// Diff streams the new report against the old one's index: changes in the
// new run's order, removed targets last in the old run's, json and jsonl
// alike.
func TestDiffOfTwoReports(t *testing.T) {
	dir := t.TempDir()
	oldJSONL := `{"type":"meta","schema":1,"tool":"mxscope","version":"v1","started":"2026-01-01T00:00:00Z","resolvers":[],"catalog":"c1","checks":"mx"}
{"domain":"a.example","labels":{"candidate":"A"},"status":"ok","mail":"mx","mx":[{"preference":10,"host":"mx.a.example","provider":"self-hosted","addresses":[]}],"provider":"self-hosted","gateway":"","mailbox":"self-hosted","mailbox_evidence":[],"senders":[],"spf":{"status":"","lookups":0,"void_lookups":0,"includes":[]},"dmarc":{"status":""},"mta_sts":{"status":""},"tls_rpt":{"status":""},"findings":[]}
{"domain":"gone.example","status":"ok","mail":"none","mx":[],"provider":"none","gateway":"","mailbox":"","mailbox_evidence":[],"senders":[],"spf":{"status":"","lookups":0,"void_lookups":0,"includes":[]},"dmarc":{"status":""},"mta_sts":{"status":""},"tls_rpt":{"status":""},"findings":[]}
{"domain":"same.example","status":"ok","mail":"none","mx":[],"provider":"none","gateway":"","mailbox":"","mailbox_evidence":[],"senders":[],"spf":{"status":"","lookups":0,"void_lookups":0,"includes":[]},"dmarc":{"status":""},"mta_sts":{"status":""},"tls_rpt":{"status":""},"findings":[]}
{"input":"not a domain","status":"invalid","error":"bad","mx":[],"provider":"none","gateway":"","mailbox":"","mailbox_evidence":[],"senders":[],"spf":{"status":"","lookups":0,"void_lookups":0,"includes":[]},"dmarc":{"status":""},"mta_sts":{"status":""},"tls_rpt":{"status":""},"findings":[]}
{"type":"summary","targets":4}
`
	newJSON := `{
  "schema": 1, "tool": "mxscope", "version": "v2", "started": "2026-02-01T00:00:00Z", "resolvers": [], "catalog": "c2", "checks": "mx",
  "results": [
    {"domain":"new.example","labels":{"party":"D"},"status":"ok","mail":"none","mx":[],"provider":"none","gateway":"","mailbox":"","mailbox_evidence":[],"senders":[],"spf":{"status":"","lookups":0,"void_lookups":0,"includes":[]},"dmarc":{"status":""},"mta_sts":{"status":""},"tls_rpt":{"status":""},"findings":[]},
    {"domain":"same.example","status":"ok","mail":"none","mx":[],"provider":"none","gateway":"","mailbox":"","mailbox_evidence":[],"senders":[],"spf":{"status":"","lookups":0,"void_lookups":0,"includes":[]},"dmarc":{"status":""},"mta_sts":{"status":""},"tls_rpt":{"status":""},"findings":[]},
    {"domain":"a.example","labels":{"candidate":"A"},"status":"ok","mail":"mx","mx":[{"preference":10,"host":"aspmx.l.google.com","provider":"google","addresses":[]}],"provider":"google","gateway":"","mailbox":"google","mailbox_evidence":[],"senders":[],"spf":{"status":"","lookups":0,"void_lookups":0,"includes":[]},"dmarc":{"status":""},"mta_sts":{"status":""},"tls_rpt":{"status":""},"findings":[]},
    {"input":"not a domain","status":"invalid","error":"bad","mx":[],"provider":"none","gateway":"","mailbox":"","mailbox_evidence":[],"senders":[],"spf":{"status":"","lookups":0,"void_lookups":0,"includes":[]},"dmarc":{"status":""},"mta_sts":{"status":""},"tls_rpt":{"status":""},"findings":[]}
  ],
  "summary": {"targets": 4}
}
`
	oldPath, newPath := filepath.Join(dir, "old.jsonl"), filepath.Join(dir, "new.json")
	os.WriteFile(oldPath, []byte(oldJSONL), 0o644)
	os.WriteFile(newPath, []byte(newJSON), 0o644)
	old, err := Open(oldPath, true)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	nw, err := Open(newPath, false)
	if err != nil {
		t.Fatal(err)
	}
	defer nw.Close()
	if old.Meta.Version != "v1" || nw.Meta.Version != "v2" || nw.Meta.Catalog != "c2" || old.Rows != 4 || nw.Rows != 4 {
		t.Errorf("metas %+v %+v, rows %d %d", old.Meta, nw.Meta, old.Rows, nw.Rows)
	}
	if strings.Join(nw.Keys, ",") != "party,candidate" {
		t.Errorf("label keys %v", nw.Keys)
	}
	var got []string
	sum, err := Diff(old, nw, func(c Change) error {
		got = append(got, fmt.Sprintf("%s %s %s %q→%q", c.Domain, c.Field, c.Kind, c.Old, c.New))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`new.example target added ""→"new.example"`,
		`a.example mx changed "10 mx.a.example"→"10 aspmx.l.google.com"`,
		`a.example provider changed "self-hosted"→"google"`,
		`a.example mailbox changed "self-hosted"→"google"`,
		`gone.example target removed "gone.example"→""`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if sum.Compared != 3 || sum.Changed != 1 || sum.Unchanged != 2 || sum.Added != 1 || sum.Removed != 1 || sum.Changes[KindChanged] != 3 {
		t.Errorf("summary %+v", sum)
	}
}

func TestOpenRefusesWhatIsNotAReport(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"evidence": `{"type":"meta","format":"mxscope-evidence","format_version":1}` + "\n",
		"empty":    "",
		"text":     "hello\n",
		"list":     "[1,2]\n",
		"bad row":  `{"type":"meta","schema":1}` + "\n{nope\n",
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o644)
		if r, err := Open(p, true); err == nil {
			r.Close()
			t.Errorf("%s: opened", name)
		}
	}
}
