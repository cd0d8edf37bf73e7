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
