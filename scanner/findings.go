package scanner

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mxscope/mxscope/scanner/dmarc"
	"github.com/mxscope/mxscope/scanner/resolve"
	"github.com/mxscope/mxscope/scanner/spf"
)

// Rule describes one posture finding: a stable id, how bad it is, and what
// a campaign should do about it. README documents every rule.
type Rule struct {
	ID       string
	Severity Severity
	Fix      string
}

// Rules is the catalogue of findings, in the order they are reported.
var Rules = []Rule{
	{"dmarc-missing", SeverityHigh, "publish a TXT record at _dmarc.<domain>: start with \"v=DMARC1; p=none; rua=mailto:<reports address>\", then move to p=quarantine and p=reject once reports show no legitimate failures"},
	{"dmarc-invalid", SeverityHigh, "keep exactly one valid v=DMARC1 record at _dmarc.<domain>; receivers apply no policy at all while it is broken"},
	{"dmarc-not-enforced", SeverityMedium, "publish p=quarantine after a few weeks of aggregate reports show no legitimate failures, then p=reject"},
	{"dmarc-partial", SeverityMedium, "raise pct to 100 (or drop pct): only that share of failing mail is subject to the policy"},
	{"dmarc-subdomain-not-enforced", SeverityMedium, "set sp=quarantine or sp=reject (or drop sp=none) so that look-alike subdomains cannot be spoofed"},
	{"dmarc-no-reports", SeverityLow, "add rua=mailto:<address> to receive aggregate reports; without them you cannot see who sends as your domain"},
	{"dmarc-external-reports-unauthorized", SeverityLow, "ask the report receiver to publish v=DMARC1 at <domain>._report._dmarc.<receiver domain> (RFC 7489 §7.1), or receivers will not send reports there"},
	{"dmarc-multiple-records", SeverityHigh, "keep exactly one v=DMARC1 record at the name: RFC 9989 receivers discard them all and look further up, RFC 7489 receivers apply no policy"},
	{"dmarc-testing", SeverityMedium, "remove t=y once aggregate reports show no legitimate failures: while it is set receivers apply the policy one step lower"},
	{"dmarc-syntax", SeverityLow, "correct or remove the parts named in the message: receivers discard them and use the defaults"},
	{"spf-missing", SeverityMedium, "publish one TXT record starting v=spf1 that lists your senders and ends in -all (or ~all while you test)"},
	{"spf-multiple-records", SeverityHigh, "merge the SPF records into one: with two, every receiver returns permerror (RFC 7208 §4.5)"},
	{"spf-syntax", SeverityHigh, "correct the SPF term named in the message: any syntax error makes the whole record a permerror"},
	{"spf-too-many-lookups", SeverityHigh, "cut DNS-querying terms (include, a, mx, ptr, exists, redirect) to 10 or fewer across all includes; replace includes you no longer use, or ip4:/ip6: ranges you own"},
	{"spf-too-many-void-lookups", SeverityMedium, "remove the terms that name domains without records: more than two void lookups is a permerror (RFC 7208 §4.6.4)"},
	{"spf-include-loop", SeverityHigh, "break the include loop: an include chain that returns to itself is a permerror"},
	{"spf-include-missing", SeverityHigh, "remove or correct includes of names that publish no SPF record: each is a permerror (RFC 7208 §5.2)"},
	{"spf-mx-too-many-hosts", SeverityHigh, "an mx mechanism may name a domain with at most 10 MX hosts (RFC 7208 §4.6.4); list the senders with ip4:/ip6: or include: instead"},
	{"spf-pass-all", SeverityHigh, "replace +all with -all: +all authorises every server on the internet to send as your domain"},
	{"spf-neutral-all", SeverityMedium, "replace ?all (or a record with no all) with ~all or -all: neutral gives receivers no guidance"},
	{"spf-softfail-all", SeverityInfo, "when DMARC is at p=reject, ~all is fine; otherwise consider -all once every sender is listed"},
	{"mx-dangling", SeverityHigh, "remove the MX record or point it at a host that exists: whoever registers that name can receive your mail"},
	{"mx-no-address", SeverityMedium, "give the MX host an A or AAAA record, or remove the MX: senders cannot deliver to it"},
	{"mx-ip-literal", SeverityMedium, "MX records must name a host, not an IP address (RFC 5321 §5.1); publish a host name with an A record"},
	{"mx-cname", SeverityLow, "point the MX at the canonical host name, not at an alias (RFC 2181 §10.3)"},
	{"null-mx-mixed", SeverityMedium, "a null MX (\"MX 0 .\") must be the only MX record (RFC 7505 §3): remove it, or remove the others"},
	{"null-mx", SeverityInfo, "the domain says it accepts no mail (RFC 7505); also publish \"v=spf1 -all\" and a DMARC p=reject record so nobody can send as it"},
	{"no-mail", SeverityInfo, "if the domain sends no mail, publish a null MX (\"MX 0 .\"), \"v=spf1 -all\" and DMARC p=reject"},
	{"implicit-mx", SeverityLow, "publish an explicit MX record; relying on the domain's address (RFC 5321 §5.1 implicit MX) is fragile"},
	{"mta-sts-missing", SeverityLow, "publish MTA-STS (a _mta-sts TXT record and a policy at https://mta-sts.<domain>/.well-known/mta-sts.txt) so senders insist on TLS"},
	{"mta-sts-invalid", SeverityLow, "keep exactly one valid \"v=STSv1; id=...\" record at _mta-sts.<domain>"},
	{"tls-rpt-missing", SeverityLow, "publish \"v=TLSRPTv1; rua=mailto:<address>\" at _smtp._tls.<domain> to hear about TLS delivery failures"},
	{"tls-rpt-invalid", SeverityLow, "keep exactly one valid \"v=TLSRPTv1; rua=...\" record at _smtp._tls.<domain>"},
	{"dnssec-bogus", SeverityHigh, "repair the DNSSEC chain now: the DS record at the parent (your registrar) must match a DNSKEY the zone publishes, and the zone's signatures must be current; until then validating resolvers return nothing for the name, and mail that depends on it fails"},
	{"dnssec-insecure", SeverityMedium, "sign the zone with DNSSEC at your DNS host and publish its DS record at your registrar, so that answers about the domain (MX, SPF, DMARC) cannot be forged and DANE can protect its mail"},
	{"dane-invalid", SeverityMedium, "replace unusable TLSA records with DANE-EE records (\"3 1 1 <SHA-256 of the server's public key>\"): senders ignore usages 0 and 1, unknown parameters and digests of the wrong length (RFC 7672 §3.1)"},
	{"dane-without-dnssec", SeverityMedium, "sign the MX host's zone with DNSSEC (with a DS record at its parent), or remove the TLSA records: senders use TLSA records only from a signed zone"},
	{"dane-missing", SeverityLow, "publish a TLSA record at _25._tcp.<mx host> (\"3 1 1 <SHA-256 of the server's public key>\") and update it before each key change, or ask the mail provider to: the host's zone is already signed, so senders that validate would authenticate it"},
	{"lookup-failed", SeverityInfo, "re-run the scan; a lookup that failed is not evidence that a record is missing"},
	{"spf-ptr", SeverityLow, "replace ptr with ip4:/ip6: ranges or include: (RFC 7208 §5.5: ptr is slow, unreliable, and some receivers skip it)"},
	{"mx-no-ipv6", SeverityInfo, "give the MX hosts AAAA records (or ask the mail provider to) so that IPv6-only senders can deliver"},
	{"dkim-none-found", SeverityMedium, "sign outgoing mail with DKIM and publish the key at <selector>._domainkey.<domain>; if you already sign under a selector mxscope did not ask for, name it with --dkim-selector"},
	{"dkim-weak-key", SeverityHigh, "publish a 2048-bit RSA key (or Ed25519 beside it) under a new selector, switch signing to it, then revoke the old key with an empty p="},
	{"dkim-testing", SeverityLow, "remove t=y from the key record once signing works: receivers may treat test-mode signatures as no signature"},
	{"dkim-revoked", SeverityInfo, "nothing, if no mail is still signed with these selectors; an empty p= is the right way to retire a key"},
	{"dkim-invalid", SeverityMedium, "correct the key record at <selector>._domainkey.<domain> (one \"v=DKIM1; k=rsa; p=<base64 key>\" record): signatures under it fail"},
	{"mta-sts-policy-unreachable", SeverityMedium, "serve the policy at https://mta-sts.<domain>/.well-known/mta-sts.txt with a certificate valid for that name, status 200 and no redirect, or remove the _mta-sts record"},
	{"mta-sts-policy-invalid", SeverityMedium, "serve a text/plain policy of \"version: STSv1\", \"mode:\", one \"mx:\" line per MX host or pattern, and \"max_age:\" (RFC 8461 §3.2)"},
	{"mta-sts-testing", SeverityLow, "once TLS-RPT reports show no failures, change the policy to mode: enforce (and change the id in the _mta-sts record)"},
	{"mta-sts-mx-mismatch", SeverityHigh, "add an mx: line matching every MX host to the policy (and change the id in the _mta-sts record), or correct the MX records"},
	{"bimi-invalid", SeverityLow, "publish one \"v=BIMI1; l=https://<logo>.svg; a=https://<certificate>.pem\" record at default._bimi.<domain>"},
	{"bimi-without-enforcement", SeverityLow, "move DMARC to p=quarantine or p=reject at pct=100, without t=y: mailbox providers show the logo only then"},
	{"lookups-capped", SeverityInfo, "check that the records are intended: so many MX hosts or report addresses are unusual, and mxscope looks up only the first ones"},
}

var ruleByID = func() map[string]Rule {
	m := make(map[string]Rule, len(Rules))
	for _, r := range Rules {
		m[r.ID] = r
	}
	return m
}()

// evaluate applies the rules to one scanned domain. A rule that asserts
// something is missing fires only when the lookup that would have found it
// answered: a timeout is never reported as "no DMARC".
func evaluate(d *domainScan) []Finding {
	r := d.r
	if r.Status == StatusInvalid || r.Status == StatusNXDomain {
		return nil
	}
	var out []Finding
	// emit adds a finding about subject, one of several things of the
	// domain that the rule can fire for (an MX host, a DKIM selector),
	// whose fix names it, at a severity of its own (a rule such as
	// dkim-weak-key is worse in some cases than others).
	emit := func(id, subject string, sev Severity, format string, args ...any) {
		out = append(out, Finding{ID: id, Severity: sev, Message: fmt.Sprintf(format, args...), Fix: d.fix(ruleByID[id], subject)})
	}
	addOn := func(id, subject, format string, args ...any) {
		emit(id, subject, ruleByID[id].Severity, format, args...)
	}
	add := func(id, format string, args ...any) { addOn(id, "", format, args...) }
	if r.DNSSEC != nil && r.DNSSEC.Status == DNSSECBogus {
		add("dnssec-bogus", "%s fails DNSSEC validation (bogus): validating resolvers answer SERVFAIL for it, so senders that validate cannot find its MX, SPF or DMARC records", r.Domain)
	}
	if r.Status != StatusOK {
		// The domain's own lookup failed: whatever its other lookups
		// said, no claim about missing records is safe to make.
		add("lookup-failed", "the domain's own lookup failed (%s), so nothing is concluded about its records", r.Status)
		return out
	}
	var failed []string

	// Mail exchangers.
	switch r.Mail {
	case MailNullMX:
		add("null-mx", "the domain publishes a null MX: it accepts no mail")
	case MailNone:
		add("no-mail", "the domain has no MX records and no address: it cannot receive mail")
	case MailImplicit:
		add("implicit-mx", "no MX records: mail goes to the domain's own address (implicit MX)")
	case MailUnknown:
		failed = append(failed, "MX")
	}
	if d.nullMixed {
		add("null-mx-mixed", "a null MX stands beside other MX records")
	}
	for _, m := range r.MX {
		if r.Mail == MailImplicit {
			continue
		}
		if f, ok := d.mxFacts[m.Host]; ok {
			switch {
			case f.literal:
				addOn("mx-ip-literal", m.Host, "MX %s is an IP address, not a host name", m.Host)
			case f.status == resolve.StatusNXDomain:
				addOn("mx-dangling", m.Host, "MX host %s does not exist (NXDOMAIN)", m.Host)
			case f.status == resolve.StatusNoData:
				addOn("mx-no-address", m.Host, "MX host %s has no A or AAAA record", m.Host)
			case f.status != resolve.StatusOK:
				failed = append(failed, "address of "+m.Host)
			}
		}
		if m.Canonical != "" {
			addOn("mx-cname", m.Host, "MX host %s is an alias (CNAME) of %s", m.Host, m.Canonical)
		}
	}

	failed = append(failed, dnssecFindings(d, add, addOn)...)
	if a := d.spf; a != nil {
		failed = append(failed, spfFindings(a, add)...)
	}
	if res := d.dmarc; res != nil {
		failed = append(failed, dmarcFindings(r.Domain, res, d.external, add)...)
	}

	receives := r.Mail == MailMX
	if d.s.opts.Checks[CheckMTASTS] && receives {
		switch r.MTASTS.Status {
		case "none":
			add("mta-sts-missing", "no MTA-STS record at _mta-sts.%s", r.Domain)
		case "invalid":
			add("mta-sts-invalid", "MTA-STS record unusable: %s", r.MTASTS.Error)
		case "temperror":
			failed = append(failed, "MTA-STS")
		}
	}
	if d.s.opts.Checks[CheckTLSRPT] && receives {
		switch r.TLSRPT.Status {
		case "none":
			add("tls-rpt-missing", "no TLS-RPT record at _smtp._tls.%s", r.Domain)
		case "invalid":
			add("tls-rpt-invalid", "TLS-RPT record unusable: %s", r.TLSRPT.Error)
		case "temperror":
			failed = append(failed, "TLS-RPT")
		}
	}
	failed = append(failed, postureFindings(d, emit)...)
	if len(failed) > 0 {
		add("lookup-failed", "could not check %s: the lookups failed, so nothing is concluded about them", strings.Join(failed, ", "))
	}
	if capped := cappedLookups(d); len(capped) > 0 {
		add("lookups-capped", "not looked up, to bound the cost of a hostile record: %s", strings.Join(capped, "; "))
	}
	return out
}

// cappedLookups says what the per-domain caps left unchecked.
func cappedLookups(d *domainScan) []string {
	var out []string
	if n := d.mxUnlisted; n > 0 {
		out = append(out, fmt.Sprintf("%d more MX hosts after the %d listed (at most %d are listed)", n, len(d.r.MX), MaxMXListed))
	}
	if n := d.mxUnchecked; n > 0 {
		out = append(out, fmt.Sprintf("the addresses, aliases and TLSA records of %d of the %d MX hosts listed (at most %d are looked up)", n, len(d.r.MX), MaxMXAddressLookups))
	}
	skipped := map[string]bool{}
	for _, x := range d.external {
		if x.Skipped {
			skipped[x.Name] = true
		}
	}
	if n := len(skipped); n > 0 {
		out = append(out, fmt.Sprintf("the authorisation of %d more external DMARC report destinations (at most %d are checked)", n, dmarc.MaxExternalChecks))
	}
	return out
}

func spfFindings(a *spf.Analysis, add func(id, format string, args ...any)) (failed []string) {
	switch {
	case a.Status == spf.StatusTemperror:
		return []string{"SPF"}
	case a.Status == spf.StatusNone:
		add("spf-missing", "no SPF record")
		return nil
	case a.Multiple:
		add("spf-multiple-records", "more than one SPF record: SPF permerror")
		return nil
	case a.Loop:
		add("spf-include-loop", "SPF permerror: %s", spf.Reason(a.Err))
	case a.TooManyLookups:
		add("spf-too-many-lookups", "SPF needs %d DNS lookups; the limit is 10: SPF permerror", a.Lookups)
	case a.TooManyVoid:
		add("spf-too-many-void-lookups", "SPF makes %d void lookups; the limit is 2: SPF permerror", a.VoidLookups)
	case errors.Is(a.Cause, spf.ErrTargetNoRecord):
		add("spf-include-missing", "SPF permerror: %s", spf.Reason(a.Err))
	case errors.Is(a.Cause, spf.ErrTooManyMX):
		add("spf-mx-too-many-hosts", "SPF permerror: %s", spf.Reason(a.Err))
	case a.Status == spf.StatusPermerror:
		add("spf-syntax", "SPF permerror: %s", spf.Reason(a.Err))
	}
	switch a.All {
	case "pass":
		add("spf-pass-all", "SPF ends in +all: anyone may send as this domain")
	case "neutral":
		add("spf-neutral-all", "SPF ends in ?all: receivers get no verdict for unlisted senders")
	case "none":
		add("spf-neutral-all", "SPF has no all mechanism and no redirect: unlisted senders get neutral")
	case "softfail":
		add("spf-softfail-all", "SPF ends in ~all (softfail)")
	}
	return nil
}

func dmarcFindings(domain string, res *dmarc.Result, external []dmarc.ExternalCheck, add func(id, format string, args ...any)) (failed []string) {
	own := "_dmarc." + domain
	for _, name := range res.Multiple {
		// Only the names of the domain's own organization are its owner's
		// to fix; several records at a TLD's name are not.
		if name != own && !ownedBy(strings.TrimPrefix(name, "_dmarc."), res.PSLOrgDomain, res.OrgDomain) {
			continue
		}
		then := "find no other record"
		switch res.Status {
		case dmarc.StatusOK:
			then = "apply " + string(res.Applied) + " from " + res.Source
		case dmarc.StatusInvalid:
			then = "find only the unusable record at " + res.Source
		case dmarc.StatusTemperror:
			then = "could not be followed further (a lookup failed)"
		}
		if name == own {
			add("dmarc-multiple-records", "%s holds several DMARC records: RFC 9989 receivers discard them and %s; RFC 7489 receivers apply no DMARC policy", name, then)
		} else {
			add("dmarc-multiple-records", "%s holds several DMARC records: RFC 9989 receivers discard them and %s", name, then)
		}
	}
	switch res.Status {
	case dmarc.StatusTemperror:
		return []string{"DMARC"}
	case dmarc.StatusNone:
		if !slices.Contains(res.Multiple, own) {
			add("dmarc-missing", "no DMARC record at _dmarc.%s or any parent domain", domain)
		}
		return nil
	case dmarc.StatusInvalid:
		add("dmarc-invalid", "DMARC record unusable: %s", res.Err)
		return nil
	}
	p := res.Parsed
	if p == nil {
		return nil
	}
	if res.Applied == dmarc.PolicyNone {
		switch {
		case res.Testing && res.Policy != dmarc.PolicyNone:
			add("dmarc-not-enforced", "DMARC policy %s with t=y (testing): receivers apply none, so spoofed mail is reported, not stopped", res.Policy)
		case res.Inherited:
			add("dmarc-not-enforced", "DMARC policy for this domain, from %s, is none: spoofed mail is reported, not stopped", res.Source)
		default:
			add("dmarc-not-enforced", "DMARC policy is p=none: spoofed mail is reported, not stopped")
		}
	}
	if res.Testing && res.Policy != dmarc.PolicyNone {
		add("dmarc-testing", "DMARC t=y (testing): receivers apply %s instead of %s", res.Applied, res.Policy)
	}
	if p.Pct < 100 && res.Applied != dmarc.PolicyNone {
		add("dmarc-partial", "DMARC pct=%d: RFC 7489 receivers apply the policy to %d%% of failing mail (RFC 9989 receivers ignore pct)", p.Pct, p.Pct)
	}
	// sp and np speak for the subdomains only at the Organizational
	// Domain: a record lower down is never inherited (RFC 9989 §4.7).
	if !res.Inherited && res.OrgDomain == domain && p.Policy != dmarc.PolicyNone {
		switch {
		case p.SubdomainPolicy == dmarc.PolicyNone:
			add("dmarc-subdomain-not-enforced", "DMARC sp=none: subdomains can be spoofed")
		case p.NonexistentPolicy == dmarc.PolicyNone:
			add("dmarc-subdomain-not-enforced", "DMARC np=none: subdomains that do not exist can be spoofed")
		}
	}
	if res.PSD {
		// A Public Suffix Domain's record: its reports and its syntax are
		// not the domain owner's to fix.
		return nil
	}
	if len(p.RUA) == 0 {
		add("dmarc-no-reports", "DMARC record has no rua: no aggregate reports are sent")
	}
	if len(p.Discarded) > 0 {
		add("dmarc-syntax", "DMARC record at %s has errors receivers discard: %s", res.Source, strings.Join(p.Discarded, "; "))
	}
	// One finding and one failure at most, however many addresses the
	// record lists.
	var unauthorized, unknown []dmarc.ExternalCheck
	for _, x := range external {
		switch {
		case x.Skipped:
		case x.Err != "":
			unknown = append(unknown, x)
		case !x.Authorized:
			unauthorized = append(unauthorized, x)
		}
	}
	switch n := len(unauthorized); {
	case n == 1:
		x := unauthorized[0]
		add("dmarc-external-reports-unauthorized", "report address %s is at another organization, and %s does not authorise it", x.URI, x.Name)
	case n > 1:
		add("dmarc-external-reports-unauthorized", "%d report addresses are at other organizations that do not authorise them: %s", n, listURIs(unauthorized))
	}
	switch n := len(unknown); {
	case n == 1:
		failed = append(failed, "DMARC report authorisation for "+unknown[0].URI)
	case n > 1:
		failed = append(failed, fmt.Sprintf("DMARC report authorisation for %d addresses (%s)", n, listURIs(unknown)))
	}
	return failed
}

// ownedBy reports whether name is one of the organizational domains given
// (empty ones ignored) or below one.
func ownedBy(name string, orgs ...string) bool {
	for _, o := range orgs {
		if o != "" && (name == o || strings.HasSuffix(name, "."+o)) {
			return true
		}
	}
	return false
}

// listURIs names the first three checks' URIs and counts the rest.
func listURIs(xs []dmarc.ExternalCheck) string {
	var names []string
	for _, x := range xs[:min(len(xs), 3)] {
		names = append(names, x.URI)
	}
	s := strings.Join(names, ", ")
	if len(xs) > 3 {
		s += fmt.Sprintf(" and %d more", len(xs)-3)
	}
	return s
}
