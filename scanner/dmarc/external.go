package dmarc

import (
	"context"
	"slices"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/mxscope/mxscope/scanner/internal/dnsname"
)

// ExternalCheck is the outcome of one external report destination check
// (RFC 7489 §7.1; RFC 9990 §3.2.3 in the RFC 9989 set).
type ExternalCheck struct {
	URI        string // the rua or ruf URI as written
	Name       string // <policy-domain>._report._dmarc.<destination>
	Authorized bool   // a TXT record starting with v=DMARC1 exists at Name
	Err        string // the lookup failed: authorisation is unknown, not refused
	Skipped    bool   // not looked up: Name is past the first MaxExternalChecks names
}

// MaxExternalChecks caps the distinct names CheckExternal looks up for one
// record. A record may list any number of report addresses, each at another
// organization (one hostile record listed 176, a query each); receivers
// send reports to a few at most (RFC 7489 §6.2 asks them to support two).
const MaxExternalChecks = 10

// ExternalReportDestinations returns, without duplicates and in record order,
// the names a receiver must find a v=DMARC1 record at before it sends reports
// to a mailto: rua or ruf address whose Organizational Domain (Public Suffix
// List) differs from the policy domain's: <policyDomain>._report._dmarc.<host>.
// Without that record, reports to the address are never sent.
func ExternalReportDestinations(policyDomain string, rec *Record) []string {
	var names []string
	for _, d := range externalDests(policyDomain, rec) {
		if !slices.Contains(names, d.name) {
			names = append(names, d.name)
		}
	}
	return names
}

// CheckExternal looks up each name from ExternalReportDestinations, one check
// per URI. A failed lookup is reported in Err, never as unauthorised. Names
// past the first MaxExternalChecks are not looked up: their checks are
// Skipped.
func CheckExternal(ctx context.Context, r Resolver, policyDomain string, rec *Record) []ExternalCheck {
	type answer struct {
		ok, skipped bool
		err         string
	}
	seen := map[string]answer{}
	var out []ExternalCheck
	for _, d := range externalDests(policyDomain, rec) {
		a, ok := seen[d.name]
		if !ok && len(seen) >= MaxExternalChecks {
			a, ok = answer{skipped: true}, true
		}
		if !ok {
			txts, err := r.LookupTXT(ctx, d.name)
			if err != nil {
				a.err = d.name + ": " + err.Error()
			}
			for _, t := range txts {
				a.ok = a.ok || isDMARC(t)
			}
			seen[d.name] = a
		}
		out = append(out, ExternalCheck{URI: d.uri, Name: d.name, Authorized: a.ok, Err: a.err, Skipped: a.skipped})
	}
	return out
}

type dest struct{ uri, name string }

func externalDests(policyDomain string, rec *Record) []dest {
	if rec == nil {
		return nil
	}
	policyDomain = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(policyDomain)), ".")
	if !dnsname.Valid(policyDomain) {
		return nil
	}
	policyOrg := orgDomain(policyDomain)
	var out []dest
	for _, u := range append(append([]URI(nil), rec.RUA...), rec.RUF...) {
		host := u.Domain()
		if host == "" || !dnsname.Valid(host) || orgDomain(host) == policyOrg {
			continue
		}
		out = append(out, dest{uri: u.Raw, name: policyDomain + "._report._dmarc." + host})
	}
	return out
}

// orgDomain returns the PSL Organizational Domain of name, or name itself
// when it is a public suffix.
func orgDomain(name string) string {
	if org, err := publicsuffix.EffectiveTLDPlusOne(name); err == nil {
		return org
	}
	return name
}
