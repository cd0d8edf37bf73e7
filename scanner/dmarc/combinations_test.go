package dmarc

import (
	"context"
	"fmt"
	"testing"
)

// TestDiscoverEveryCombination runs discovery over every combination of
// p, sp, np, t and psd, a record of the domain's own or inherited, a domain
// that exists or not, several records at the domain's own name or not, and
// a syntax error in the remainder or not, against what RFC 9989 §4.7,
// §4.8 and §4.10 say a receiver applies. The expectations are spelled out
// here from the RFC's text, rule by rule, not from the code under test.
func TestDiscoverEveryCombination(t *testing.T) {
	policies := []string{"none", "quarantine", "reject"}
	optional := []string{"", "none", "quarantine", "reject"}
	lower := map[string]string{"reject": "quarantine", "quarantine": "none", "none": "none"}
	n := 0
	for _, p := range policies {
		for _, sp := range optional {
			for _, np := range optional {
				for _, tflag := range []string{"", "y", "n"} {
					for _, psd := range []string{"", "n", "y"} {
						for _, own := range []bool{true, false} {
							for _, exists := range []bool{true, false} {
								for _, multiple := range []bool{false, true} {
									for _, syntax := range []string{"", "; x=a\x01b", "; adkim=q", ";\x00"} {
										n++
										rec := "v=DMARC1; p=" + p
										if sp != "" {
											rec += "; sp=" + sp
										}
										if np != "" {
											rec += "; np=" + np
										}
										if tflag != "" {
											rec += "; t=" + tflag
										}
										if psd != "" {
											rec += "; psd=" + psd
										}
										rec += syntax
										// The domain is x.org.example; the record sits at its own
										// name or at org.example. "multiple" puts two more records
										// at the domain's own name.
										domain := "x.org.example"
										at := "_dmarc.org.example"
										if own {
											at = "_dmarc.x.org.example"
										}
										txt := map[string][]string{at: {rec}}
										if multiple {
											txt["_dmarc.x.org.example"] = append(txt["_dmarc.x.org.example"], "v=DMARC1; p=reject", "v=DMARC1; p=none")
										}

										// RFC 9989 §4.10 steps 2 and 6: several records are
										// discarded, so an own record among them is gone too.
										wantStatus, wantPolicy, wantSource, wantPSD := StatusOK, "", at, false
										wantOrg := ""
										switch {
										case own && multiple:
											wantStatus, wantSource = StatusNone, ""
											wantOrg = domain // the walk found nothing
										case own:
											wantPolicy = p   // §4.10.1: the Author Domain's record, its p
											wantOrg = domain // psd=n: rule 1; else nothing above it: rule 3
										default:
											// §4.10.1: the Organizational Domain's record, sp if
											// the domain exists, np if not; np falls back to sp,
											// sp to p.
											wantPolicy = p
											if sp != "" {
												wantPolicy = sp
											}
											if !exists && np != "" {
												wantPolicy = np
											}
											wantOrg = "org.example" // rule 1 (psd=n) or rule 3
											if psd == "y" {
												// Rule 2: one label below the psd=y record, which
												// publishes nothing, so the PSD's record applies.
												wantOrg, wantPSD = domain, true
											}
										}
										wantApplied := wantPolicy
										if tflag == "y" && wantPolicy != "" {
											wantApplied = lower[wantPolicy] // §4.7 t=y: one step lower
										}

										name := fmt.Sprintf("%q at %s exists=%v multiple=%v", rec, at, exists, multiple)
										got := Discover(context.Background(), &fakeResolver{txt: txt}, domain, DomainExists(exists))
										if got.Status != wantStatus || string(got.Policy) != wantPolicy || string(got.Applied) != wantApplied {
											t.Errorf("%s: status %s policy %q applied %q (%s); want %s %q %q",
												name, got.Status, got.Policy, got.Applied, got.Err, wantStatus, wantPolicy, wantApplied)
											continue
										}
										if got.Source != wantSource || got.OrgDomain != wantOrg || got.PSD != wantPSD || got.Testing != (tflag == "y" && wantStatus == StatusOK) {
											t.Errorf("%s: source %q org %q psd %v testing %v; want %q %q %v %v",
												name, got.Source, got.OrgDomain, got.PSD, got.Testing, wantSource, wantOrg, wantPSD, tflag == "y")
										}
										if multiple != (len(got.Multiple) == 1) {
											t.Errorf("%s: multiple %q", name, got.Multiple)
										}
										if syntax != "" && wantStatus == StatusOK && len(got.Parsed.Discarded) == 0 {
											t.Errorf("%s: nothing named as discarded", name)
										}
									}
								}
							}
						}
					}
				}
			}
		}
	}
	t.Logf("%d combinations", n)
}
