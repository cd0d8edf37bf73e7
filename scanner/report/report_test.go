package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mxscope/mxscope/providers"
	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/targets"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func intp(n int) *int       { return &n }
func int64p(n int64) *int64 { return &n }

// hostileRecord is TXT data an attacker controls: a colour escape, a bell, a
// bidi override, a newline, a table pipe and a backtick.
const hostileRecord = "v=spf1 \x1b[31mred\x07 \u202eevil| `code`\ninclude:x -all"

// fixtures are the results every format is tested with, in input order.
func fixtures() []*scanner.Result {
	return []*scanner.Result{
		{ // A Microsoft 365 domain, with labels of several types.
			Domain: "alpha2024.example",
			Labels: targets.Labels{{Key: "candidate", Value: "Alex Alpha"}, {Key: "party", Value: "DEM"}, {Key: "year", Value: 2024}},
			Line:   3, Status: scanner.StatusOK, Mail: scanner.MailMX,
			MX: []scanner.MX{{Preference: 0, Host: "alpha2024-example.mail.protection.outlook.com", Provider: "microsoft",
				Product: "microsoft365", Addresses: []string{"192.0.2.10"}, Status: "ok"}},
			Provider: "microsoft", Mailbox: "microsoft", Confidence: scanner.ConfidenceHigh,
			MailboxEvidence: []string{"mx alpha2024-example.mail.protection.outlook.com"},
			Tenant:          "alpha2024-example", Senders: []string{"microsoft"},
			SPF: scanner.SPF{Status: "ok", Record: "v=spf1 include:spf.protection.outlook.com -all", All: "fail",
				Lookups: 1, Includes: []string{"spf.protection.outlook.com"}},
			DMARC: scanner.DMARC{Status: "ok", Record: "v=DMARC1; p=reject; rua=mailto:d@alpha2024.example", Policy: "reject",
				RUA: []string{"mailto:d@alpha2024.example"}, Source: "_dmarc.alpha2024.example", AppliedPolicy: "reject"},
			MTASTS: scanner.Policy{Status: "none"}, TLSRPT: scanner.Policy{Status: "none"},
			DKIM: &scanner.DKIM{Status: "ok", Probed: 9, Selectors: []scanner.DKIMSelector{
				{Selector: "selector1", Status: "ok", KeyType: "rsa", KeyBits: 2048},
				{Selector: "selector2", Status: "revoked"},
			}},
			BIMI: &scanner.BIMI{Status: "ok", Record: "v=BIMI1; l=https://alpha2024.example/logo.svg", Logo: "https://alpha2024.example/logo.svg"},
			Findings: []scanner.Finding{
				{ID: "mta-sts-missing", Severity: scanner.SeverityLow, Message: "no MTA-STS record", Fix: "publish MTA-STS"},
				{ID: "tls-rpt-missing", Severity: scanner.SeverityLow, Message: "no TLS-RPT record", Fix: "publish TLS-RPT"},
			},
		},
		{ // Proofpoint in front of Microsoft, which only SPF suggests.
			Domain: "beta2020.example",
			Labels: targets.Labels{{Key: "candidate", Value: "Bea Beta"}, {Key: "party", Value: "REP"}, {Key: "year", Value: 2020}},
			Line:   4, Status: scanner.StatusOK, Mail: scanner.MailMX,
			MX: []scanner.MX{
				{Preference: 10, Host: "mx0a-0012ab34.pphosted.com", Provider: "proofpoint", Product: "proofpoint", Addresses: []string{"192.0.2.20"}, Status: "ok"},
				{Preference: 10, Host: "mx0b-0012ab34.pphosted.com", Provider: "proofpoint", Product: "proofpoint", Addresses: []string{"192.0.2.21"}, Status: "ok"},
			},
			Provider: "proofpoint", Gateway: "proofpoint", Mailbox: "microsoft", Confidence: scanner.ConfidenceLow,
			MailboxEvidence: []string{"spf include:spf.protection.outlook.com"},
			Tenant:          "0012ab34", Senders: []string{"proofpoint", "microsoft"},
			SPF: scanner.SPF{Status: "ok", Record: "v=spf1 include:spf-0012ab34.pphosted.com include:spf.protection.outlook.com ~all",
				All: "softfail", Lookups: 3, Includes: []string{"spf-0012ab34.pphosted.com", "spf.protection.outlook.com"}},
			DMARC: scanner.DMARC{Status: "ok", Record: "v=DMARC1; p=none; pct=50; t=y", Policy: "none", Pct: intp(50), Source: "_dmarc.beta2020.example",
				AppliedPolicy: "none", Testing: true, Warnings: []string{"pct is obsolete in RFC 9989, whose receivers ignore it (use t=y for testing)"}},
			MTASTS: scanner.Policy{Status: "ok", Record: "v=STSv1; id=1", Policy: &scanner.STSPolicy{
				Status: "ok", URL: "https://mta-sts.beta2020.example/.well-known/mta-sts.txt", Mode: "testing",
				MaxAge: int64p(0), MX: []string{"*.pphosted.com"}}},
			TLSRPT: scanner.Policy{Status: "ok", Record: "v=TLSRPTv1; rua=mailto:t@beta2020.example"},
			DKIM:   &scanner.DKIM{Status: "unknown", Probed: 9},
			BIMI:   &scanner.BIMI{Status: "invalid", Record: "v=BIMI1; l=http://beta2020.example/l.svg", Error: "bimi: not an https URI: l=http://beta2020.example/l.svg"},
			Findings: []scanner.Finding{
				{ID: "dmarc-not-enforced", Severity: scanner.SeverityMedium, Message: "DMARC policy is p=none", Fix: "move to p=quarantine"},
				{ID: "dmarc-partial", Severity: scanner.SeverityMedium, Message: "pct=50", Fix: "raise pct to 100"},
				{ID: "dmarc-no-reports", Severity: scanner.SeverityLow, Message: "no rua", Fix: "add rua=mailto:<address>"},
				{ID: "spf-softfail-all", Severity: scanner.SeverityInfo, Message: "SPF ends in ~all"},
			},
		},
		{ // A second domain on the first one's Microsoft tenant, without DMARC.
			Domain: "alphaforamerica.example",
			Labels: targets.Labels{{Key: "candidate", Value: "Alex Alpha"}, {Key: "year", Value: 2024}},
			Line:   5, Status: scanner.StatusOK, Mail: scanner.MailMX,
			MX: []scanner.MX{{Preference: 0, Host: "alpha2024-example.mail.protection.outlook.com", Provider: "microsoft",
				Product: "microsoft365", Addresses: []string{"192.0.2.10"}, Status: "ok"}},
			Provider: "microsoft", Mailbox: "microsoft", Confidence: scanner.ConfidenceHigh, Reseller: "godaddy",
			MailboxEvidence: []string{"mx alpha2024-example.mail.protection.outlook.com"},
			Tenant:          "alpha2024-example", Senders: []string{"microsoft"},
			SPF:    scanner.SPF{Status: "ok", Record: "v=spf1 include:spf.protection.outlook.com -all", All: "fail", Lookups: 1},
			DMARC:  scanner.DMARC{Status: "none"},
			MTASTS: scanner.Policy{Status: "temperror"}, TLSRPT: scanner.Policy{Status: "none"},
			Findings: []scanner.Finding{
				{ID: "dmarc-missing", Severity: scanner.SeverityHigh, Message: "no DMARC record at _dmarc.alphaforamerica.example", Fix: "publish v=DMARC1; p=none; rua=mailto:<reports address>"},
			},
		},
		{ // A domain that no longer exists.
			Domain: "gone2020.example", Labels: targets.Labels{{Key: "candidate", Value: "Gus Gone"}, {Key: "year", Value: 2020}},
			Line: 6, Status: scanner.StatusNXDomain, Error: "the domain does not exist", Mail: scanner.MailNone,
		},
		{ // A domain whose servers did not answer.
			Domain: "slow.example", Line: 7, Status: scanner.StatusTimeout, Error: "no answer after 3 tries", Mail: scanner.MailUnknown,
		},
		{ // An entry that is not a domain: nothing was queried.
			Input: "=1+2 not a domain", Line: 8, Status: scanner.StatusInvalid, Error: "invalid character ' '",
		},
		{ // DNSSEC and DANE: a signed domain whose MX hosts show each TLSA state.
			Domain: "delta2024.example", Status: scanner.StatusOK, Mail: scanner.MailMX,
			MX: []scanner.MX{
				{Preference: 10, Host: "mx1.delta2024.example", Provider: "self-hosted", Addresses: []string{"192.0.2.40"}, Status: "ok",
					TLSA: &scanner.TLSA{Status: scanner.TLSAOK, DNSSEC: scanner.DNSSECSecure, Records: []scanner.TLSARecord{
						{Usage: 3, Selector: 1, MatchingType: 1, Data: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
						{Usage: 1, Selector: 1, MatchingType: 1, Data: "00", Problem: "usage 1 (PKIX-EE) is not usable for SMTP"}}}},
				{Preference: 20, Host: "mx2.delta2024.example", Provider: "self-hosted", Addresses: []string{"192.0.2.41"}, Status: "ok",
					TLSA: &scanner.TLSA{Status: scanner.TLSANone, DNSSEC: scanner.DNSSECSecure}},
				{Preference: 30, Host: "mx.bogus.example", Provider: "unknown", Status: "servfail",
					TLSA: &scanner.TLSA{Status: scanner.TLSATemperror, DNSSEC: scanner.DNSSECBogus, Error: "TLSA lookup failed: \x1b[31mbogus"}},
				{Preference: 40, Host: "192.0.2.9", Provider: "unknown", Status: "ok"},
			},
			Provider: "self-hosted", Mailbox: "self-hosted", Confidence: scanner.ConfidenceMedium,
			MailboxEvidence: []string{}, Senders: []string{},
			SPF:    scanner.SPF{Status: "ok", Record: "v=spf1 mx -all", All: "fail", Lookups: 1, Includes: []string{}},
			DMARC:  scanner.DMARC{Status: "ok", Record: "v=DMARC1; p=reject", Policy: "reject", Source: "_dmarc.delta2024.example"},
			MTASTS: scanner.Policy{Status: "none"}, TLSRPT: scanner.Policy{Status: "none"},
			DNSSEC: &scanner.DNSSEC{Status: scanner.DNSSECSecure},
			Findings: []scanner.Finding{
				{ID: "dane-invalid", Severity: scanner.SeverityMedium, Message: "1 of the 2 TLSA records at _25._tcp.mx1.delta2024.example is unusable", Fix: "use DANE-EE"},
				{ID: "dane-missing", Severity: scanner.SeverityLow, Message: "MX host mx2.delta2024.example publishes no TLSA record", Fix: "publish TLSA"},
				{ID: "dnssec-bogus", Severity: scanner.SeverityHigh, Message: "the TLSA lookup for MX host mx.bogus.example fails DNSSEC validation", Fix: "repair the chain"},
			},
		},
		{ // A domain whose DNSSEC status is unknown: the resolver does not validate.
			Domain: "echo2024.example", Status: scanner.StatusOK, Mail: scanner.MailMX,
			MX: []scanner.MX{{Preference: 10, Host: "mx.echo2024.example", Provider: "self-hosted", Addresses: []string{"192.0.2.50"}, Status: "ok",
				TLSA: &scanner.TLSA{Status: scanner.TLSAOK, DNSSEC: scanner.DNSSECUnknown, Records: []scanner.TLSARecord{
					{Usage: 3, Selector: 0, MatchingType: 0, Data: "3082010a0282010100c0ffee0123456789abcdef0123456789abcdef0123456789..."}}}}},
			Provider: "self-hosted", Mailbox: "self-hosted", Confidence: scanner.ConfidenceMedium,
			SPF:    scanner.SPF{Status: "none"},
			DMARC:  scanner.DMARC{Status: "none"},
			MTASTS: scanner.Policy{Status: "none"}, TLSRPT: scanner.Policy{Status: "none"},
			DNSSEC: &scanner.DNSSEC{Status: scanner.DNSSECUnknown, Error: "the resolver does not validate DNSSEC"},
		},
		{ // Every field an attacker can reach holds something hostile.
			Domain: "hostile.example",
			Labels: targets.Labels{
				{Key: "candidate", Value: "=HYPERLINK(\"http://evil.example\",\"x\")"},
				{Key: "party", Value: "\x1b[31mred\x07\u009b2J"},
				{Key: "status", Value: "+collides with a column"},
			},
			Line: 9, Status: scanner.StatusOK, Mail: scanner.MailMX,
			MX: []scanner.MX{
				{Preference: 0, Host: "=cmd|' /C calc'!A0", Provider: "unknown", Status: "nxdomain"},
				{Preference: 1, Host: "+1", Provider: "unknown", Status: "nxdomain"},
				{Preference: 2, Host: "-2", Provider: "unknown", Status: "nxdomain"},
				{Preference: 3, Host: "@SUM(1)", Provider: "unknown", Status: "nxdomain"},
			},
			Provider: "unknown", Mailbox: "unknown", Confidence: scanner.ConfidenceLow,
			MailboxEvidence: []string{"spf include:\u202elive.com\U000e0041", "token \xff\xfe"},
			Tenant:          "=1+1", Senders: []string{"@SUM(1)", "-2"},
			SPF:   scanner.SPF{Status: "permerror", Record: hostileRecord, Lookups: 0, Error: "unknown term \"\x1b[31mred\x07\""},
			DMARC: scanner.DMARC{Status: "invalid", Record: "v=DMARC1; p=<script>", Error: "bad policy \"<script>\""},
			MTASTS: scanner.Policy{Status: "ok", Record: "v=STSv1; id=\x1b[2J", Policy: &scanner.STSPolicy{
				Status: "unreachable", URL: "https://mta-sts.hostile.example/.well-known/mta-sts.txt",
				Error: "HTTP 301 redirect to \"=HYPERLINK(\\\"x\\\")\x1b[31m\""}},
			TLSRPT: scanner.Policy{Status: "none"},
			DKIM: &scanner.DKIM{Status: "unknown", Selectors: []scanner.DKIMSelector{
				{Selector: "=evil", Status: "invalid", Error: "dkim: syntax error: \"<img src=x>\x07\" has no \"=\""},
			}},
			BIMI: &scanner.BIMI{Status: "ok", Record: "v=BIMI1; l=https://hostile.example/\u202e.svg", Logo: "https://hostile.example/\u202e.svg"},
			Findings: []scanner.Finding{
				{ID: "spf-syntax", Severity: scanner.SeverityHigh,
					Message: "unknown term in " + hostileRecord + " see https://evil.example/ www.evil.example [x](javascript:alert(1)) <img src=x> a@b.example **bold** _i_ # h",
					Fix:     "correct the term"},
				{ID: "evil`id", Severity: "critical\x1b[5m", Message: "| cell | split |"},
				{ID: "mx-dangling", Severity: scanner.SeverityHigh, Message: "MX host =cmd|' /C calc'!A0 does not exist"},
			},
		},
	}
}

var labelKeys = []string{"candidate", "party", "year", "status"}

func testMeta() scanner.Meta {
	return scanner.Meta{
		Schema: scanner.Schema, Tool: "mxscope", Version: "v0.1.0-test",
		Started:   time.Date(2026, 11, 21, 8, 30, 15, 123456789, time.FixedZone("EST", -5*3600)),
		Resolvers: []string{"192.0.2.53:53", "[2001:db8::53]:53"},
		Catalog:   "2026-11-21.1", Checks: "mx,addr,spf,dmarc,mta-sts,tls-rpt,mailbox",
	}
}

func testSummary(rs []*scanner.Result, providers ...string) scanner.Summary {
	z := scanner.NewSummarizer()
	if len(providers) > 0 {
		z.Filter(providers, false)
	}
	for _, r := range rs {
		z.Add(r)
	}
	return z.Summary()
}

// render writes the fixtures in format and returns the output.
func render(t *testing.T, format string, opt Options) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := New(format, &buf, opt)
	if err != nil {
		t.Fatal(err)
	}
	rs := fixtures()
	if err := w.Begin(testMeta()); err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		// As mxscope scan does with --provider (it also drops the rows
		// without a match; here every row is written).
		r.Match = scanner.MatchProviders(r, opt.Providers)
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.End(testSummary(rs, opt.Providers...)); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./scanner/report -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (run with -update to accept):\ngot:\n%s", name, path, got)
	}
}

// cases are the format and option combinations under test.
var cases = []struct {
	name, format string
	opt          Options
	tabs         bool // tabs are the column separator
}{
	{"table-terminal", "table", Options{Terminal: true, LabelKeys: labelKeys}, false},
	{"table-piped", "table", Options{LabelKeys: labelKeys}, true},
	{"table-terminal-provider", "table", Options{Terminal: true, Providers: []string{"microsoft"}}, false},
	{"table-piped-providers", "table", Options{Providers: []string{"proofpoint", "microsoft"}, LabelKeys: labelKeys}, true},
	{"json", "json", Options{LabelKeys: labelKeys}, false},
	{"jsonl", "jsonl", Options{LabelKeys: labelKeys}, false},
	{"csv", "csv", Options{LabelKeys: labelKeys}, false},
	{"markdown", "markdown", Options{LabelKeys: labelKeys}, false},
	{"csv-providers", "csv", Options{Providers: []string{"microsoft", "proofpoint"}}, false},
	{"json-provider", "json", Options{Providers: []string{"microsoft"}}, false},
	{"markdown-provider", "markdown", Options{Providers: []string{"microsoft"}}, false},
	{"html", "html", Options{LabelKeys: labelKeys}, false},
	{"html-provider", "html", Options{Providers: []string{"microsoft"}}, false},
}

func TestGoldenFiles(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			golden(t, c.name, render(t, c.format, c.opt))
		})
	}
}

// assertSafe fails when out holds anything Clean would escape other than
// newlines (and tabs where they separate columns).
func assertSafe(t *testing.T, out string, tabs bool) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("output is not valid UTF-8")
	}
	for i, r := range out {
		if r == '\n' || r == '\t' && tabs {
			continue
		}
		if r < 0x20 || r == 0x7f || hidden(r) {
			line := strings.Count(out[:i], "\n") + 1
			t.Errorf("line %d: raw %U reaches the output", line, r)
		}
	}
}

func TestNoControlCharactersReachTheOutput(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assertSafe(t, render(t, c.format, c.opt), c.tabs)
		})
	}
}

// rows extracts the data rows of a rendered report, one string per row.
func rows(t *testing.T, format, out string) []string {
	t.Helper()
	lines := strings.Split(out, "\n")
	switch format {
	case "table":
		end := 1
		for end < len(lines) && lines[end] != "" {
			end++
		}
		return lines[1:end]
	case "csv":
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var rs []string
		for _, r := range recs[1:] {
			rs = append(rs, strings.Join(r, ","))
		}
		return rs
	case "jsonl":
		return lines[1 : len(lines)-2]
	case "json":
		var doc struct{ Results []json.RawMessage }
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		var rs []string
		for _, r := range doc.Results {
			rs = append(rs, string(r))
		}
		return rs
	case "markdown":
		start := strings.Index(out, "## Domains\n\n") + len("## Domains\n\n")
		block, _, _ := strings.Cut(out[start:], "\n\n")
		return strings.Split(block, "\n")[2:]
	case "html":
		return htmlRows(t, out)
	}
	t.Fatalf("no row parser for %s", format)
	return nil
}

func TestOneRowPerResultInInputOrder(t *testing.T) {
	rs := fixtures()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := rows(t, c.format, render(t, c.format, c.opt))
			if len(got) != len(rs) {
				t.Fatalf("got %d rows; want %d:\n%s", len(got), len(rs), strings.Join(got, "\n"))
			}
			for i, r := range rs {
				name := Clean(domainOf(r))
				if c.format == "markdown" {
					name = mdEscape(domainOf(r))
				}
				if !strings.Contains(got[i], name) {
					t.Errorf("row %d: got %q; want the row of %q", i, got[i], name)
				}
			}
		})
	}
}

func TestCSVHasNoFormulaCellsAndStableColumns(t *testing.T) {
	out := render(t, "csv", Options{LabelKeys: labelKeys})
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll() // also checks every row has the header's width
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := "domain,candidate,party,year,label_status,status,mail,provider,gateway,mailbox,confidence,mx_hosts,senders," +
		"spf_status,spf_all,spf_lookups,dmarc_status,dmarc_policy,dmarc_pct,findings,error,tenant,reseller,mailbox_evidence," +
		"dmarc_applied_policy,dmarc_testing,match,dnssec,mx_tlsa," +
		"dkim_status,dkim_selectors,mta_sts_policy,mta_sts_mode,bimi_status,parked"
	if got := strings.Join(recs[0], ","); got != wantHeader {
		t.Errorf("got header %s; want %s", got, wantHeader)
	}
	for i, rec := range recs {
		for j, cell := range rec {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Errorf("row %d column %s: got %q; a spreadsheet would run it as a formula", i, recs[0][j], cell)
			}
		}
	}
	hostile := recs[len(recs)-1]
	if got, want := hostile[11], "'=cmd|' /C calc'!A0;+1;-2;@SUM(1)"; got != want {
		t.Errorf("mx_hosts: got %q; want %q", got, want)
	}
}

func TestJSONParsesBackWithOrderAndLabelsKept(t *testing.T) {
	rs := fixtures()
	check := func(t *testing.T, results []json.RawMessage) {
		if len(results) != len(rs) {
			t.Fatalf("got %d results; want %d", len(results), len(rs))
		}
		for i, raw := range results {
			var got struct {
				Domain string
				Input  string
				Labels json.RawMessage
				SPF    struct{ Record string }
			}
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			if got.Domain != rs[i].Domain || got.Input != rs[i].Input {
				t.Errorf("result %d: got %q; want %q", i, got.Domain, rs[i].Domain)
			}
			if got.SPF.Record != rs[i].SPF.Record {
				t.Errorf("result %d: got record %q; want %q (JSON must keep the data exact)", i, got.SPF.Record, rs[i].SPF.Record)
			}
			if keys, want := objectKeys(t, got.Labels), rs[i].Labels.Keys(); strings.Join(keys, ",") != strings.Join(want, ",") {
				t.Errorf("result %d: got label keys %v; want %v", i, keys, want)
			}
		}
	}
	t.Run("json", func(t *testing.T) {
		var doc struct {
			Schema  int
			Started string
			Results []json.RawMessage
			Summary scanner.Summary
		}
		if err := json.Unmarshal([]byte(render(t, "json", Options{})), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Schema != 1 || doc.Started != "2026-11-21T13:30:15Z" {
			t.Errorf("got schema %d, started %q; want 1, 2026-11-21T13:30:15Z", doc.Schema, doc.Started)
		}
		if doc.Summary.Targets != len(rs) {
			t.Errorf("got summary of %d targets; want %d", doc.Summary.Targets, len(rs))
		}
		check(t, doc.Results)
	})
	t.Run("jsonl", func(t *testing.T) {
		lines := strings.Split(strings.TrimSuffix(render(t, "jsonl", Options{}), "\n"), "\n")
		var results []json.RawMessage
		for i, l := range lines {
			var v struct {
				Type    string
				Started string
				Targets int
			}
			if err := json.Unmarshal([]byte(l), &v); err != nil {
				t.Fatalf("line %d: %v", i+1, err)
			}
			switch {
			case i == 0:
				if v.Type != "meta" || v.Started != "2026-11-21T13:30:15Z" {
					t.Errorf("first line: got type %q started %q; want meta, 2026-11-21T13:30:15Z", v.Type, v.Started)
				}
			case i == len(lines)-1:
				if v.Type != "summary" || v.Targets != len(rs) {
					t.Errorf("last line: got type %q targets %d; want summary, %d", v.Type, v.Targets, len(rs))
				}
			default:
				if v.Type != "" {
					t.Errorf("line %d: got type %q; a result line has none", i+1, v.Type)
				}
				results = append(results, json.RawMessage(l))
			}
		}
		check(t, results)
	})
}

// objectKeys returns the keys of a JSON object in document order.
func objectKeys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	if len(raw) == 0 {
		return []string{}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	keys := []string{}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestStreamingFormatsWriteEachRowAtOnce(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := New(c.format, &buf, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Begin(testMeta()); err != nil {
				t.Fatal(err)
			}
			r := fixtures()[0]
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
			got := strings.Contains(buf.String(), r.Domain)
			// Only an aligned table waits for every row, and the html
			// page, whose charts come first (it spools its rows).
			want := !c.opt.Terminal && c.format != "html"
			if got != want {
				t.Errorf("row written before End: got %v; want %v", got, want)
			}
		})
	}
}

func TestEmptyScan(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, _ := New(c.format, &buf, c.opt)
			if err := w.Begin(testMeta()); err != nil {
				t.Fatal(err)
			}
			if err := w.End(testSummary(nil)); err != nil {
				t.Fatal(err)
			}
			docs := []string{buf.String()}
			if c.format == "jsonl" {
				docs = strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
			}
			for _, d := range docs {
				if strings.HasPrefix(c.format, "json") && !json.Valid([]byte(d)) {
					t.Fatalf("not valid JSON:\n%s", d)
				}
			}
			if got := len(rows(t, c.format, buf.String())); got != 0 {
				t.Errorf("got %d rows; want 0", got)
			}
		})
	}
}

type failWriter struct{}

var errDiskFull = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestWriteErrorsAreReturned(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, _ := New(c.format, failWriter{}, c.opt)
			err := errors.Join(w.Begin(testMeta()), w.Write(fixtures()[0]), w.End(testSummary(nil)))
			if !errors.Is(err, errDiskFull) {
				t.Errorf("got %v; want %v", err, errDiskFull)
			}
		})
	}
}

func TestNewRejectsAnUnknownFormat(t *testing.T) {
	_, err := New("yaml", io.Discard, Options{})
	if !errors.Is(err, ErrUnknownFormat) {
		t.Fatalf("got %v; want %v", err, ErrUnknownFormat)
	}
	for _, f := range Formats {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("got %q; want it to list %q", err, f)
		}
	}
	if err := WriteCatalog("yaml", io.Discard, testCatalog(t), Options{}); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("WriteCatalog: got %v; want %v", err, ErrUnknownFormat)
	}
	for _, f := range Formats {
		if _, err := New(f, io.Discard, Options{}); err != nil {
			t.Errorf("New(%q): got %v; want a writer", f, err)
		}
	}
}

const catalogYAML = `version: "test.1"
providers:
  - key: microsoft365
    id: microsoft
    name: Microsoft 365 (Exchange Online)
    kind: mailbox
    mx: [mail.protection.outlook.com, mx.microsoft]
    spf: [spf.protection.outlook.com]
    source: "V [S11]"
  - key: proofpoint
    id: proofpoint
    name: Proofpoint Essentials | <Enterprise>
    kind: gateway
    mx: [pphosted.com]
    source: "=V [S20]"
  - key: google-workspace
    id: google
    name: Google Workspace
    kind: mailbox
    mx: [google.com, googlemail.com]
    spf: [_spf.google.com]
    source: "V"
`

func testCatalog(t *testing.T) *providers.Catalog {
	t.Helper()
	cat, err := providers.Parse(strings.NewReader(catalogYAML))
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func TestCatalogGoldenFiles(t *testing.T) {
	cat := testCatalog(t)
	for _, c := range []struct {
		name, format string
		opt          Options
		tabs         bool
	}{
		{"catalog-table-terminal", "table", Options{Terminal: true}, false},
		{"catalog-table-piped", "table", Options{}, true},
		{"catalog-json", "json", Options{}, false},
		{"catalog-jsonl", "jsonl", Options{}, false},
		{"catalog-csv", "csv", Options{}, false},
		{"catalog-markdown", "markdown", Options{}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteCatalog(c.format, &buf, cat, c.opt); err != nil {
				t.Fatal(err)
			}
			assertSafe(t, buf.String(), c.tabs)
			golden(t, c.name, buf.String())
		})
	}
}

func TestCells(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"mailbox, high confidence", mailboxCell(&scanner.Result{Mailbox: "microsoft", Confidence: "high"}), "microsoft"},
		{"mailbox, low confidence", mailboxCell(&scanner.Result{Mailbox: "microsoft", Confidence: "low"}), "microsoft (low)"},
		{"mailbox, not known", mailboxCell(&scanner.Result{}), "-"},
		{"spf with -all", spfCell(scanner.SPF{Status: "ok", All: "fail"}), "ok -all"},
		{"spf with ~all", spfCell(scanner.SPF{Status: "ok", All: "softfail"}), "ok ~all"},
		{"spf without all", spfCell(scanner.SPF{Status: "ok", All: "none"}), "ok"},
		{"spf missing", spfCell(scanner.SPF{Status: "none"}), "missing"},
		{"spf broken", spfCell(scanner.SPF{Status: "permerror"}), "permerror"},
		{"spf not looked up", spfCell(scanner.SPF{}), "-"},
		{"dmarc reject", dmarcCell(scanner.DMARC{Status: "ok", Policy: "reject"}), "p=reject"},
		{"dmarc monitoring", dmarcCell(scanner.DMARC{Status: "ok", Policy: "none"}), "p=none"},
		{"dmarc partial", dmarcCell(scanner.DMARC{Status: "ok", Policy: "quarantine", Pct: intp(25)}), "p=quarantine pct=25"},
		{"dmarc full pct", dmarcCell(scanner.DMARC{Status: "ok", Policy: "reject", Pct: intp(100)}), "p=reject"},
		{"dmarc testing", dmarcCell(scanner.DMARC{Status: "ok", Policy: "reject", AppliedPolicy: "quarantine", Testing: true}), "quarantine (t=y)"},
		{"dmarc missing", dmarcCell(scanner.DMARC{Status: "none"}), "missing"},
		// Several records, all discarded: not "missing", which would be a false "no DMARC".
		{"dmarc several records", dmarcCell(scanner.DMARC{Status: "none", MultipleRecords: []string{"_dmarc.example.org"}}), "multiple records"},
		{"dmarc lookup failed", dmarcCell(scanner.DMARC{Status: "temperror"}), "temperror"},
		{"no findings", findingsCell(&scanner.Result{}), "-"},
		{"findings worst first", findingsCell(&scanner.Result{Findings: []scanner.Finding{
			{Severity: "low"}, {Severity: "high"}, {Severity: "medium"}, {Severity: "high"}}}), "2 high, 1 medium, 1 low"},
		{"match one provider", matchCell(&scanner.Result{Match: []scanner.Match{{Provider: "proofpoint", Layer: "mx"}}},
			Options{Providers: []string{"proofpoint"}}, ","), "mx"},
		{"match several providers", matchCell(&scanner.Result{Match: []scanner.Match{{Provider: "proofpoint", Layer: "mx"}, {Provider: "microsoft", Layer: "possible"}}},
			Options{Providers: []string{"proofpoint", "microsoft", "google"}}, ";"), "proofpoint:mx;microsoft:possible"},
		{"match none", matchCell(&scanner.Result{}, Options{Providers: []string{"google"}}, ","), ""},
		{"match lines", strings.Join(matchLines(scanner.Summary{Targets: 61, Scanned: 52,
			Match: &scanner.MatchCount{Providers: []string{"microsoft"}, MX: 9, Mailbox: 5, Possible: 3}}), "\n"),
			"microsoft: 14 of 52 resolved targets (61 listed)\n" +
				"mx        9  an MX host is the provider's (what an inspection of MX records sees)\n" +
				"mailbox   5  not in the MX; the mailbox host behind it, medium or high confidence\n" +
				"possible  3  low confidence only; not listed (--possible lists them)"},
		{"no match lines without a filter", strings.Join(matchLines(scanner.Summary{Targets: 3}), ""), ""},
		{"targets, some failed", targetsLine(scanner.Summary{Targets: 7, Scanned: 3, Failed: 3, Invalid: 1,
			Statuses: map[scanner.Status]int{"ok": 3, "timeout": 2, "nxdomain": 1, "invalid": 1}}),
			"7 listed: 3 resolved (43%), 3 failed (43%: 2 timeout, 1 nxdomain), 1 invalid (14%)"},
		{"targets, none resolved", targetsLine(scanner.Summary{Targets: 2, Failed: 1, Invalid: 1,
			Statuses: map[scanner.Status]int{"nxdomain": 1, "invalid": 1}}),
			"2 listed: 0 resolved (0%), 1 failed (50%: 1 nxdomain), 1 invalid (50%)"},
		{"targets, all resolved", targetsLine(scanner.Summary{Targets: 3, Scanned: 3, Statuses: map[scanner.Status]int{"ok": 3}}),
			"3 listed: 3 resolved (100%)"},
		{"no targets", targetsLine(scanner.Summary{}), "0 listed: 0 resolved"},
		{"a share that rounds to nothing", pct(1, 1000), "<1%"},
		{"a share that rounds to all", pct(999, 1000), ">99%"},
		{"a third", pct(1, 3), "33%"},
		{"findings, short", findingsShort(&scanner.Result{Findings: []scanner.Finding{
			{Severity: "low"}, {Severity: "high"}, {Severity: "info"}, {Severity: "high"}}}), "2H 1L 1I"},
		{"findings, short, unknown severity", findingsShort(&scanner.Result{Findings: []scanner.Finding{{Severity: "dire"}}}), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q; want %q", tt.got, tt.want)
			}
		})
	}
}

func TestCSVLabelColumns(t *testing.T) {
	got := strings.Join(csvLabelColumns([]string{"candidate", "status", "domain", "label_status", "error"}), ",")
	want := "candidate,label_status,label_domain,label_label_status,label_error"
	if got != want {
		t.Errorf("got %s; want %s", got, want)
	}
}
