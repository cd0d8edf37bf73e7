package scanner_test

import (
	"strings"
	"testing"

	"github.com/mxscope/mxscope/scanner"
)

// Every fix names the domain and the values its lookups found, and a fix
// that could stop legitimate mail says what to check first.
func TestFixesNameTheDomainAndItsValues(t *testing.T) {
	s := newScanner(t, nil, scanner.Options{})
	tests := []struct {
		domain, id string
		want       []string // substrings of the fix
	}{
		{"bc.example", "dmarc-missing", []string{"_dmarc.bc.example", `"v=DMARC1; p=none; rua=mailto:dmarc@bc.example"`}},
		{"pp.example", "dmarc-not-enforced", []string{"first add rua=mailto:dmarc@pp.example", `the record at _dmarc.pp.example to "v=DMARC1; p=quarantine; rua=mailto:dmarc@pp.example"`}},
		{"pp.example", "dmarc-no-reports", []string{`"v=DMARC1; p=none; rua=mailto:dmarc@pp.example"`}},
		{"ms.example", "dmarc-partial", []string{"_dmarc.ms.example", `"v=DMARC1; p=quarantine; rua=mailto:d@ms.example"`, "check the aggregate reports"}},
		{"tenant-a.example", "spf-missing", []string{"record at tenant-a.example", `"v=spf1 include:spf.protection.outlook.com ~all"`}},
		{"plusall.example", "spf-pass-all", []string{"first make sure the record lists every service that sends as plusall.example", `"v=spf1 -all"`}},
		{"neutral.example", "spf-neutral-all", []string{`"v=spf1 ip4:192.0.2.1 ~all"`, "first make sure"}},
		{"softfail.example", "spf-softfail-all", []string{`"v=spf1 ip4:192.0.2.1 -all"`, "once every service that sends as softfail.example is listed"}},
		{"google.example", "spf-softfail-all", []string{"nothing to do while google.example's DMARC policy is p=reject"}},
		{"eleven.example", "spf-too-many-lookups", []string{"from 11 DNS lookups", "include:n1.spf.example (11)", "check first"}},
		{"incmissing.example", "spf-include-missing", []string{"remove include:nothing-here.example from the record at incmissing.example"}},
		{"twospf.example", "spf-multiple-records", []string{"merge the SPF records at twospf.example", "no sender listed in any of them is lost"}},
		{"ctrl.example", "spf-syntax", []string{"in the record at ctrl.example", `"v=spf1 ip4:192.0.2.1`}},
		{"loop.example", "spf-include-loop", []string{"loop.example's SPF", "already on the path"}},
		{"dangling.example", "mx-dangling", []string{"dangling.example → mail.gone.example", "whoever registers gone.example", "only MX"}},
		{"null.example", "null-mx", []string{`"v=DMARC1; p=reject" at _dmarc.null.example`}},
		{"nomail.example", "no-mail", []string{`"MX 0 ."`, `"v=spf1 -all" at nomail.example`}},
		{"implicit.example", "implicit-mx", []string{"publish an MX record for implicit.example"}},
		{"bc.example", "mta-sts-missing", []string{"_mta-sts.bc.example", "mx: d123456a.ess.barracudanetworks.com, mx: bc-example.mail.protection.outlook.com", "mode: testing"}},
		{"bc.example", "tls-rpt-missing", []string{"_smtp._tls.bc.example", "rua=mailto:tls-reports@bc.example"}},
		{"dmarcfail.example", "lookup-failed", []string{"scan dmarcfail.example again"}},
		// No example record to copy: p=none would weaken a domain whose
		// other record said reject.
		{"tworec.example", "dmarc-multiple-records", []string{"_dmarc.tworec.example", "the strongest, if unsure", "rua=mailto:dmarc@tworec.example"}},
	}
	got := scanTable(t, s, tests)
	for _, tt := range tests {
		t.Run(tt.domain+"/"+tt.id, func(t *testing.T) {
			var fix string
			for _, f := range got[tt.domain].Findings {
				if f.ID == tt.id {
					fix = f.Fix
				}
			}
			if fix == "" {
				t.Fatalf("no %s finding with a fix; findings: %v", tt.id, findingIDs(got[tt.domain]))
			}
			for _, w := range tt.want {
				if !strings.Contains(fix, w) {
					t.Errorf("fix = %q\nwant it to contain %q", fix, w)
				}
			}
		})
	}
	for d, r := range got {
		for _, f := range r.Findings {
			if strings.Contains(f.Fix, "<domain>") || !strings.Contains(f.Fix, d) {
				t.Errorf("%s %s: fix %q does not name the domain", d, f.ID, f.Fix)
			}
		}
	}
}

func TestFindingMessagesSayPermerrorOnce(t *testing.T) {
	s := newScanner(t, nil, scanner.Options{})
	for d, r := range scanAll(t, s, "ctrl.example", "loop.example", "incmissing.example") {
		for _, f := range r.Findings {
			if strings.Count(f.Message, "permerror") > 1 || strings.Contains(f.Message, "spf: ") {
				t.Errorf("%s %s: message %q repeats itself", d, f.ID, f.Message)
			}
		}
	}
}
