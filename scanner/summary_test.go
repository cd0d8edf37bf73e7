package scanner

import (
	"fmt"
	"slices"
	"testing"
)

func TestSummarizerGroupsOnlySharedTenants(t *testing.T) {
	z := NewSummarizer()
	add := func(domain, provider, tenant string) {
		z.Add(&Result{Domain: domain, Status: StatusOK, Provider: provider, Tenant: tenant})
	}
	for i := range 1000 {
		add(fmt.Sprintf("d%d.example", i), "microsoft", fmt.Sprintf("d%d-example", i))
	}
	add("a.example", "microsoft", "shared")
	add("b.example", "proofpoint", "shared") // same tenant string, another provider
	add("c.example", "microsoft", "shared")
	for i := range maxGroupDomains + 5 {
		add(fmt.Sprintf("m%d.example", i), "microsoft", "d7-example")
	}
	groups := z.Summary().SharedTenants
	if len(groups) != 2 {
		t.Fatalf("got %d groups, want 2: %+v", len(groups), groups)
	}
	if g := groups[0]; g.Provider != "microsoft" || g.Tenant != "shared" || !slices.Equal(g.Domains, []string{"a.example", "c.example"}) {
		t.Errorf("first group = %+v", g)
	}
	g := groups[1]
	if g.Tenant != "d7-example" || g.Domains[0] != "d7.example" || len(g.Domains) != maxGroupDomains {
		t.Errorf("second group = %s with %d domains starting %v; want d7-example, %d domains from d7.example", g.Tenant, len(g.Domains), g.Domains[:2], maxGroupDomains)
	}
}

func TestSummaryCountsListedResolvedFailedInvalidAndTargetsPerFinding(t *testing.T) {
	z := NewSummarizer()
	missing := Finding{ID: "dmarc-missing", Severity: SeverityHigh}
	dangling := Finding{ID: "mx-dangling", Severity: SeverityHigh}
	low := Finding{ID: "tls-rpt-missing", Severity: SeverityLow}
	z.Add(&Result{Domain: "a.example", Status: StatusOK, Findings: []Finding{missing, dangling, dangling, low}})
	z.Add(&Result{Domain: "b.example", Status: StatusOK, Findings: []Finding{missing}})
	z.Add(&Result{Domain: "c.example", Status: StatusOK})
	z.Add(&Result{Domain: "d.example", Status: StatusNXDomain})
	z.Add(&Result{Domain: "e.example", Status: StatusTimeout, Findings: []Finding{{ID: "lookup-failed", Severity: SeverityInfo}}})
	z.Add(&Result{Input: "not a domain", Status: StatusInvalid})
	s := z.Summary()
	if s.Targets != 6 || s.Scanned != 3 || s.Failed != 2 || s.Invalid != 1 {
		t.Errorf("targets %d, resolved %d, failed %d, invalid %d; want 6, 3, 2, 1", s.Targets, s.Scanned, s.Failed, s.Invalid)
	}
	// Two mx-dangling findings on one domain count one target; findings
	// of targets that did not resolve are not counted against the resolved.
	want := []FindingCount{{"dmarc-missing", SeverityHigh, 2}, {"mx-dangling", SeverityHigh, 1}, {"tls-rpt-missing", SeverityLow, 1}}
	if !slices.Equal(s.FindingTargets, want) {
		t.Errorf("finding targets = %v; want %v", s.FindingTargets, want)
	}
}

func TestSummaryCountsConfidentMailboxesSPFAndTheDMARCPolicyApplied(t *testing.T) {
	z := NewSummarizer()
	for _, r := range []*Result{
		{Status: StatusOK, Mailbox: "microsoft", Confidence: ConfidenceHigh, SPF: SPF{Status: "ok"},
			DMARC: DMARC{Status: "ok", Policy: "reject", AppliedPolicy: "reject"}},
		{Status: StatusOK, Mailbox: "microsoft", Confidence: ConfidenceLow, SPF: SPF{Status: "ok"},
			DMARC: DMARC{Status: "ok", Policy: "reject", AppliedPolicy: "quarantine", Testing: true}}, // t=y
		{Status: StatusOK, Mailbox: "self-hosted", Confidence: ConfidenceMedium, SPF: SPF{Status: "none"},
			DMARC: DMARC{Status: "none"}},
		{Status: StatusOK, Mailbox: "unknown", SPF: SPF{Status: "temperror"}, DMARC: DMARC{Status: "temperror"}},
		{Status: StatusOK, Mailbox: "none", SPF: SPF{Status: "permerror"}, DMARC: DMARC{Status: "invalid"}},
		// Two records at _dmarc, both discarded: no policy, but not "missing".
		{Status: StatusOK, Mailbox: "none", DMARC: DMARC{Status: "none", MultipleRecords: []string{"_dmarc.two.example"}}},
		{Status: StatusOK, Mailbox: "google", Confidence: ConfidenceHigh}, // --checks mx: neither SPF nor DMARC
		{Status: StatusTimeout, SPF: SPF{Status: "temperror"}, DMARC: DMARC{Status: "temperror"}},
	} {
		z.Add(r)
	}
	s := z.Summary()
	for _, tt := range []struct {
		name      string
		got, want []Count
	}{
		{"mailbox at medium or high confidence", s.MailboxConfident, []Count{{"google", 1}, {"microsoft", 1}, {"self-hosted", 1}}},
		{"spf", s.SPF, []Count{{"ok", 2}, {"none", 1}, {"permerror", 1}, {"temperror", 1}}},
		{"dmarc", s.DMARC, []Count{{"invalid", 1}, {"missing", 1}, {"multiple", 1}, {"quarantine", 1}, {"reject", 1}, {"temperror", 1}}},
	} {
		if !slices.Equal(tt.got, tt.want) {
			t.Errorf("%s: got %v; want %v", tt.name, tt.got, tt.want)
		}
	}
	if s.DMARCTesting != 1 {
		t.Errorf("dmarc_testing: got %d; want 1", s.DMARCTesting)
	}
}
