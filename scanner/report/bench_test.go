package report

import (
	"io"
	"testing"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/targets"
)

// benchResult is shaped like a typical result of `--checks mx,spf,dmarc`.
func benchResult() *scanner.Result {
	return &scanner.Result{
		Domain: "d0000001.bench.test", Line: 2, Status: scanner.StatusOK, Mail: scanner.MailMX,
		Labels: targets.Labels{{Key: "candidate", Value: "S1"}, {Key: "party", Value: "D"}},
		MX: []scanner.MX{{Preference: 0, Host: "d0000001-bench-test.mail.protection.outlook.com", Provider: "microsoft",
			Product: "microsoft365", Addresses: []string{}}},
		Provider: "microsoft", Mailbox: "microsoft", MailboxEvidence: []string{"mx 0 d0000001-bench-test.mail.protection.outlook.com"},
		Confidence: scanner.ConfidenceHigh, Tenant: "d0000001-bench-test", Senders: []string{"microsoft"},
		SPF: scanner.SPF{Status: "ok", Record: "v=spf1 include:spf.protection.outlook.com -all", All: "fail", Lookups: 1,
			Includes: []string{"spf.protection.outlook.com"},
			Tree:     []*scanner.SPFNode{{Name: "spf.protection.outlook.com", Via: "include", Status: "ok"}}},
		DMARC: scanner.DMARC{Status: "ok", Record: "v=DMARC1; p=reject; rua=mailto:dmarc@d0000001.bench.test", Policy: "reject",
			SubdomainPolicy: "reject", Pct: intp(100), RUA: []string{"mailto:dmarc@d0000001.bench.test"},
			Source: "_dmarc.d0000001.bench.test", OrgDomain: "bench.test"},
		Findings: []scanner.Finding{},
	}
}

// BenchmarkJSONLWrite measures one result line of the jsonl format.
func BenchmarkJSONLWrite(b *testing.B) {
	w := newJSONL(io.Discard)
	r := benchResult()
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Write(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHTMLWrite measures one result of the html format: its table row
// and its section, rendered and spooled.
func BenchmarkHTMLWrite(b *testing.B) {
	w := newHTML(io.Discard, Options{LabelKeys: []string{"candidate", "party"}})
	defer w.rows.Close()
	defer w.details.Close()
	r := benchResult()
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Write(r); err != nil {
			b.Fatal(err)
		}
	}
}
