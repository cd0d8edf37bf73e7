package scanner

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/mxscope/mxscope/providers"
	"github.com/mxscope/mxscope/scanner/dmarc"
	"github.com/mxscope/mxscope/scanner/spf"
)

// A finding's fix names the domain and the values its lookups found: the
// record to publish, at which name, and, where the change could stop
// legitimate mail, what to check first. Rules[i].Fix is the same advice in
// general terms, for README and for a rule whose fix below has nothing
// specific to say.

// fixer writes the fix of one finding of d. subject is what the finding is
// about when a domain can have several (an MX host); "" otherwise. An empty
// result falls back to the rule's general fix.
type fixer func(d *domainScan, subject string) string

// fixes holds the specific fix of every rule, by id.
var fixes = map[string]fixer{
	"dmarc-missing": func(d *domainScan, _ string) string {
		return fmt.Sprintf(`publish a TXT record at _dmarc.%s: "v=DMARC1; p=none; rua=mailto:dmarc@%s" (a mailbox you read); after a few weeks of reports showing every legitimate sender passing, move to p=quarantine, then p=reject`, d.r.Domain, d.r.Domain)
	},
	"dmarc-invalid": func(d *domainScan, _ string) string {
		at := dmarcName(d)
		return fmt.Sprintf(`replace what is at %s with exactly one valid record, such as "v=DMARC1; p=none; rua=mailto:dmarc@%s"; receivers apply no policy while it is broken`, at, d.r.Domain)
	},
	"dmarc-not-enforced": func(d *domainScan, _ string) string {
		rec, ok := dmarcRecord(d)
		if !ok {
			return ""
		}
		first := "first read the aggregate reports: every service that sends as " + d.r.Domain + " must pass SPF or DKIM aligned with it, or its mail will be quarantined"
		if p := d.dmarc.Parsed; p != nil && len(p.RUA) == 0 {
			first = "first add rua=mailto:dmarc@" + d.r.Domain + " and read a few weeks of reports: without them you cannot see which legitimate senders would be quarantined"
			rec = setTag(rec, "rua", "mailto:dmarc@"+d.r.Domain)
		}
		return fmt.Sprintf(`%s; then change the record at %s to %q, and later to p=reject%s`, first, dmarcName(d), setTag(rec, "p", "quarantine"), inheritedNote(d))
	},
	"dmarc-partial": func(d *domainScan, _ string) string {
		rec, ok := dmarcRecord(d)
		if !ok {
			return ""
		}
		return fmt.Sprintf(`check the aggregate reports for legitimate mail that fails, then remove pct from the record at %s: %q`, dmarcName(d), dropTag(rec, "pct"))
	},
	"dmarc-subdomain-not-enforced": func(d *domainScan, _ string) string {
		rec, ok := dmarcRecord(d)
		if !ok {
			return ""
		}
		return fmt.Sprintf(`check first that subdomains of %s that send mail pass SPF or DKIM, then set sp=quarantine or sp=reject (or remove sp, so that subdomains follow p) in the record at %s: %q`, d.r.Domain, dmarcName(d), setTag(rec, "sp", "quarantine"))
	},
	"dmarc-multiple-records": func(d *domainScan, _ string) string {
		// No example record: the records are not kept, and a p=none
		// example would weaken a domain whose other record said reject.
		return fmt.Sprintf(`delete all but one of the v=DMARC1 records at _dmarc.%s (or at the name the message gives), keeping the one with the policy you mean (the strongest, if unsure) and with rua=mailto:dmarc@%s so that reports arrive; until then RFC 9989 receivers ignore them and RFC 7489 receivers apply no policy`, d.r.Domain, d.r.Domain)
	},
	"dmarc-testing": func(d *domainScan, _ string) string {
		rec, ok := dmarcRecord(d)
		if !ok {
			return ""
		}
		return fmt.Sprintf(`first read the aggregate reports: every service that sends as %s must pass SPF or DKIM aligned with it; then remove t=y from the record at %s: %q%s`, d.r.Domain, dmarcName(d), dropTag(rec, "t"), inheritedNote(d))
	},
	"dmarc-syntax": func(d *domainScan, _ string) string {
		if d.dmarc == nil || d.dmarc.Parsed == nil || len(d.dmarc.Parsed.Discarded) == 0 {
			return ""
		}
		return fmt.Sprintf(`correct or remove these parts of the record at %s, which receivers discard: %s`, dmarcName(d), strings.Join(d.dmarc.Parsed.Discarded, "; "))
	},
	"dmarc-no-reports": func(d *domainScan, _ string) string {
		rec, ok := dmarcRecord(d)
		if !ok {
			return ""
		}
		return fmt.Sprintf(`add an address you read to the record at %s: %q`, dmarcName(d), setTag(rec, "rua", "mailto:dmarc@"+d.r.Domain))
	},
	"dmarc-external-reports-unauthorized": func(d *domainScan, _ string) string {
		var asks []string
		more := 0
		for _, x := range d.external {
			if x.Err == "" && !x.Authorized && !x.Skipped {
				if len(asks) == 3 { // a record may list hundreds
					more++
					continue
				}
				asks = append(asks, fmt.Sprintf(`%q at %s (for %s)`, "v=DMARC1", x.Name, x.URI))
			}
		}
		if len(asks) == 0 {
			return ""
		}
		if more > 0 {
			asks = append(asks, fmt.Sprintf("and so on for the %d others", more))
		}
		return "ask each report receiver to publish " + strings.Join(asks, ", ") + ", or send the reports to an address at " + d.r.Domain
	},
	"spf-missing": func(d *domainScan, _ string) string {
		if d.r.Mail == MailNullMX || d.r.Mail == MailNone {
			return fmt.Sprintf(`if %s sends no mail, publish a TXT record at %s: "v=spf1 -all"`, d.r.Domain, d.r.Domain)
		}
		include := ""
		if inc := d.mailboxSPF(); inc != "" {
			include = " include:" + inc
		}
		return fmt.Sprintf(`publish one TXT record at %s listing every service that sends as it: "v=spf1%s ~all" (add the others' include: or ip4:/ip6: terms), then change ~all to -all once the DMARC reports show every sender passing`, d.r.Domain, include)
	},
	"spf-multiple-records": func(d *domainScan, _ string) string {
		return fmt.Sprintf(`merge the SPF records at %s into one that starts v=spf1, holds every include: and ip4:/ip6: term of all of them, and ends with one all; check that no sender listed in any of them is lost (the first is %q)`, d.r.Domain, quoteCap(spfRecord(d)))
	},
	"spf-syntax": func(d *domainScan, _ string) string {
		if d.spf == nil || d.spf.Err == "" {
			return ""
		}
		return fmt.Sprintf(`correct the term named above in the record at %s, %q: one bad term makes SPF a permerror for all of %s's mail`, d.r.Domain, quoteCap(spfRecord(d)), d.r.Domain)
	},
	"spf-too-many-lookups": func(d *domainScan, _ string) string {
		if d.spf == nil {
			return ""
		}
		costly := costliest(d.spf.Includes, 3)
		return fmt.Sprintf(`bring %s's SPF from %d DNS lookups to 10 or fewer; the includes that cost the most: %s. Remove those of services you no longer use, or replace one with the ip4:/ip6: ranges it publishes (and keep them current); check first that each service you remove no longer sends as %s`, d.r.Domain, d.spf.Lookups, costly, d.r.Domain)
	},
	"spf-too-many-void-lookups": func(d *domainScan, _ string) string {
		missing := voidTargets(d)
		if missing == "" {
			missing = "the include:, a:, mx: and exists: targets that do not exist or publish nothing"
		}
		return fmt.Sprintf(`remove from the record at %s the terms that find nothing (%s): more than two such lookups is a permerror`, d.r.Domain, missing)
	},
	"spf-include-loop": func(d *domainScan, _ string) string {
		if d.spf == nil {
			return ""
		}
		return fmt.Sprintf(`remove the include or redirect in %s's SPF that leads back to a record already on the path (%s)`, d.r.Domain, spf.Reason(d.spf.Err))
	},
	"spf-include-missing": func(d *domainScan, _ string) string {
		missing := voidTargets(d)
		if missing == "" {
			return ""
		}
		return fmt.Sprintf(`remove %s from the record at %s, or correct the name: it publishes no SPF record; if that service still sends for you, ask it for its current include`, missing, d.r.Domain)
	},
	"spf-mx-too-many-hosts": func(d *domainScan, _ string) string {
		return fmt.Sprintf(`replace the mx term in the record at %s with the ip4:/ip6: ranges of the hosts that send, or the mail provider's include: an mx term may name at most 10 hosts`, d.r.Domain)
	},
	"spf-pass-all": func(d *domainScan, _ string) string {
		return fmt.Sprintf(`first make sure the record lists every service that sends as %s (now: %s), or its mail will fail SPF; then replace +all with -all: %q`, d.r.Domain, sendersNow(d), replaceAll(spfRecord(d), "-all"))
	},
	"spf-neutral-all": func(d *domainScan, _ string) string {
		return fmt.Sprintf(`end the record at %s with ~all, and with -all once the DMARC reports show every sender passing; first make sure it lists every service that sends as %s (now: %s): %q`, d.r.Domain, d.r.Domain, sendersNow(d), replaceAll(spfRecord(d), "~all"))
	},
	"spf-softfail-all": func(d *domainScan, _ string) string {
		if d.dmarc != nil && d.dmarc.Status == dmarc.StatusOK && d.dmarc.Policy == dmarc.PolicyReject {
			return fmt.Sprintf(`nothing to do while %s's DMARC policy is p=reject; -all adds little`, d.r.Domain)
		}
		return fmt.Sprintf(`once every service that sends as %s is listed (now: %s), change ~all to -all: %q; an enforcing DMARC policy does more`, d.r.Domain, sendersNow(d), replaceAll(spfRecord(d), "-all"))
	},
	"mx-dangling": func(d *domainScan, host string) string {
		reg, _ := publicsuffix.EffectiveTLDPlusOne(host)
		if reg == "" {
			reg = host
		}
		if d.registered() == reg {
			return fmt.Sprintf(`give %s an address in your own zone, or remove the MX record %s → %s%s`, host, d.r.Domain, host, onlyMXNote(d))
		}
		return fmt.Sprintf(`remove the MX record %s → %s, or point it at a host that exists; until then whoever registers %s can receive %s's mail%s`, d.r.Domain, host, reg, d.r.Domain, onlyMXNote(d))
	},
	"mx-no-address": func(d *domainScan, host string) string {
		return fmt.Sprintf(`give %s an A or AAAA record, or remove the MX record %s → %s%s`, host, d.r.Domain, host, onlyMXNote(d))
	},
	"mx-ip-literal": func(d *domainScan, host string) string {
		ip := strings.Trim(host, "[]")
		return fmt.Sprintf(`publish a host name for %s (mail.%s A %s, say) and point the MX record of %s at it instead of %s`, ip, d.r.Domain, ip, d.r.Domain, host)
	},
	"mx-cname": func(d *domainScan, host string) string {
		return fmt.Sprintf(`point %s's MX at the name that %s's CNAME leads to, not at the alias %s`, d.r.Domain, host, host)
	},
	"null-mx-mixed": func(d *domainScan, _ string) string {
		return fmt.Sprintf(`if %s receives mail at %s, remove the null MX ("MX 0 ."); if it takes no mail, remove those MX records instead`, d.r.Domain, mxHosts(d))
	},
	"null-mx": func(d *domainScan, _ string) string {
		return noSendingAdvice(d, false)
	},
	"no-mail": func(d *domainScan, _ string) string {
		return noSendingAdvice(d, true)
	},
	"implicit-mx": func(d *domainScan, _ string) string {
		return fmt.Sprintf(`publish an MX record for %s naming the host that should receive its mail (today senders fall back to %s's own address); if it takes no mail, publish "MX 0 ." instead`, d.r.Domain, d.r.Domain)
	},
	"mta-sts-missing": func(d *domainScan, _ string) string {
		return fmt.Sprintf(`publish "v=STSv1; id=1" at _mta-sts.%s and a policy at https://mta-sts.%s/.well-known/mta-sts.txt naming %s in mode: testing; move to mode: enforce only when TLS-RPT reports show every MX host with a valid certificate, or senders will stop delivering`, d.r.Domain, d.r.Domain, mxPolicyLines(d))
	},
	"mta-sts-invalid": func(d *domainScan, _ string) string {
		return fmt.Sprintf(`keep exactly one valid record at _mta-sts.%s, "v=STSv1; id=<a new id each time the policy changes>"; the one there is unusable (%s)`, d.r.Domain, d.r.MTASTS.Error)
	},
	"tls-rpt-missing": func(d *domainScan, _ string) string {
		return fmt.Sprintf(`publish "v=TLSRPTv1; rua=mailto:tls-reports@%s" (a mailbox you read) at _smtp._tls.%s to hear about TLS delivery failures`, d.r.Domain, d.r.Domain)
	},
	"tls-rpt-invalid": func(d *domainScan, _ string) string {
		return fmt.Sprintf(`keep exactly one valid record at _smtp._tls.%s, "v=TLSRPTv1; rua=mailto:tls-reports@%s"; the one there is unusable (%s)`, d.r.Domain, d.r.Domain, d.r.TLSRPT.Error)
	},
	"dnssec-bogus": func(d *domainScan, host string) string {
		if host == "" {
			return fmt.Sprintf(`repair the DNSSEC chain of %s now: the DS record at the parent (the registrar) must match a DNSKEY that the zone publishes, and its signatures must be current; until then resolvers that validate return nothing for %s, and mail to it fails`, d.r.Domain, d.r.Domain)
		}
		return fmt.Sprintf(`have whoever runs the zone of %s repair its DNSSEC chain (the DS record at its parent, or the zone's signatures): the TLSA lookup for _25._tcp.%s fails validation, so senders that validate will not deliver %s's mail to it`, host, host, d.r.Domain)
	},
	"dnssec-insecure": func(d *domainScan, _ string) string {
		return fmt.Sprintf(`sign the zone of %s with DNSSEC at its DNS host and publish the DS record the host gives you at the registrar; check first that the DNS host signs automatically and keeps the signatures current, since a broken chain stops %s from resolving at all`, d.r.Domain, d.r.Domain)
	},
	"dane-invalid": func(d *domainScan, host string) string {
		return fmt.Sprintf(`replace the unusable TLSA records at _25._tcp.%s with DANE-EE records, "3 1 1 <SHA-256 of the host's public key>", so that senders to %s can authenticate the host; senders ignore usages 0 and 1, unknown parameters and digests of the wrong length`, host, d.r.Domain)
	},
	"dane-without-dnssec": func(d *domainScan, host string) string {
		return fmt.Sprintf(`sign the zone of %s with DNSSEC (with a DS record at its parent), or remove the TLSA records at _25._tcp.%s: senders to %s use TLSA records only from a signed zone`, host, host, d.r.Domain)
	},
	"dane-missing": func(d *domainScan, host string) string {
		return fmt.Sprintf(`publish a TLSA record at _25._tcp.%s, "3 1 1 <SHA-256 of the host's public key>", or ask the provider that runs %s to; publish the next key's record before every key change, or senders to %s that use DANE will stop delivering`, host, host, d.r.Domain)
	},
	"lookup-failed": func(d *domainScan, _ string) string {
		return fmt.Sprintf(`scan %s again later, or through another resolver (--resolver); a lookup that failed is not evidence that a record is missing`, d.r.Domain)
	},
	"spf-ptr":                    fixSPFPtr,
	"mx-no-ipv6":                 fixNoIPv6,
	"dkim-none-found":            fixDKIMNone,
	"dkim-weak-key":              fixDKIMWeak,
	"dkim-testing":               fixDKIMTesting,
	"dkim-revoked":               fixDKIMRevoked,
	"dkim-invalid":               fixDKIMInvalid,
	"mta-sts-policy-unreachable": fixSTSUnreachable,
	"mta-sts-policy-invalid":     fixSTSInvalid,
	"mta-sts-testing":            fixSTSTesting,
	"mta-sts-mx-mismatch":        fixSTSMismatch,
	"bimi-invalid":               fixBIMIInvalid,
	"bimi-without-enforcement":   fixBIMIUnenforced,
	"lookups-capped": func(d *domainScan, _ string) string {
		return fmt.Sprintf(`check that the MX records and the DMARC report addresses of %s are the ones you mean: so many are unusual, and mxscope looks at the first ones only`, d.r.Domain)
	},
}

// titles names each finding for the summary's counts ("2 of 4 targets:
// no DMARC record").
var titles = map[string]string{
	"dmarc-missing":                       "no DMARC record",
	"dmarc-invalid":                       "an unusable DMARC record",
	"dmarc-not-enforced":                  "DMARC at p=none",
	"dmarc-partial":                       "DMARC applied to part of the mail (pct)",
	"dmarc-subdomain-not-enforced":        "DMARC sp=none for subdomains",
	"dmarc-no-reports":                    "no DMARC aggregate reports (rua)",
	"dmarc-multiple-records":              "several DMARC records at one name",
	"dmarc-testing":                       "DMARC in testing mode (t=y)",
	"dmarc-syntax":                        "DMARC record parts receivers discard",
	"dmarc-external-reports-unauthorized": "DMARC reports to an address that has not agreed",
	"spf-missing":                         "no SPF record",
	"spf-multiple-records":                "more than one SPF record",
	"spf-syntax":                          "an SPF syntax error",
	"spf-too-many-lookups":                "SPF over 10 DNS lookups",
	"spf-too-many-void-lookups":           "SPF over 2 void lookups",
	"spf-include-loop":                    "an SPF include loop",
	"spf-include-missing":                 "an SPF include without a record",
	"spf-mx-too-many-hosts":               "an SPF mx term over 10 hosts",
	"spf-pass-all":                        "SPF +all: anyone may send",
	"spf-neutral-all":                     "SPF ?all or no all",
	"spf-softfail-all":                    "SPF ~all",
	"mx-dangling":                         "an MX host that does not exist",
	"mx-no-address":                       "an MX host without an address",
	"mx-ip-literal":                       "an MX that is an IP address",
	"mx-cname":                            "an MX host that is an alias",
	"null-mx-mixed":                       "a null MX beside other MX records",
	"null-mx":                             "a null MX: takes no mail",
	"no-mail":                             "no MX and no address",
	"implicit-mx":                         "no MX: mail goes to the domain's address",
	"mta-sts-missing":                     "no MTA-STS",
	"mta-sts-invalid":                     "an unusable MTA-STS record",
	"tls-rpt-missing":                     "no TLS-RPT",
	"tls-rpt-invalid":                     "an unusable TLS-RPT record",
	"dnssec-bogus":                        "DNSSEC validation failing (bogus)",
	"dnssec-insecure":                     "no DNSSEC",
	"dane-invalid":                        "unusable TLSA records",
	"dane-without-dnssec":                 "TLSA records without DNSSEC",
	"dane-missing":                        "a signed MX host without TLSA",
	"lookup-failed":                       "lookups that failed",
	"spf-ptr":                             "SPF uses ptr",
	"mx-no-ipv6":                          "MX hosts without IPv6",
	"dkim-none-found":                     "no DKIM key found",
	"dkim-weak-key":                       "a weak DKIM key",
	"dkim-testing":                        "a DKIM key in testing mode",
	"dkim-revoked":                        "a revoked DKIM key",
	"dkim-invalid":                        "an unusable DKIM key record",
	"mta-sts-policy-unreachable":          "an MTA-STS policy senders cannot fetch",
	"mta-sts-policy-invalid":              "an unusable MTA-STS policy",
	"mta-sts-testing":                     "MTA-STS in testing mode",
	"mta-sts-mx-mismatch":                 "MX hosts the MTA-STS policy does not name",
	"bimi-invalid":                        "an unusable BIMI record",
	"bimi-without-enforcement":            "BIMI without an enforcing DMARC policy",
	"lookups-capped":                      "more MX hosts or report addresses than mxscope checks",
}

// FindingTitle is a short description of a finding id for summaries, or
// "" for an id without one.
func FindingTitle(id string) string { return titles[id] }

// fix returns the fix of one finding of rule about subject.
func (d *domainScan) fix(rule Rule, subject string) string {
	if f := fixes[rule.ID]; f != nil {
		if s := f(d, subject); s != "" {
			return s
		}
	}
	if d.r.Domain == "" {
		return rule.Fix
	}
	return strings.ReplaceAll(rule.Fix, "<domain>", d.r.Domain)
}

// maxQuoted caps a record quoted in a fix: the fix names it, it need not
// repeat a record of several kilobytes.
const maxQuoted = 255

func quoteCap(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	cut := maxQuoted
	for cut > 0 && s[cut]&0xc0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…"
}

// dmarcName is where the domain's DMARC record is, or would be.
func dmarcName(d *domainScan) string {
	if d.dmarc != nil && d.dmarc.Source != "" {
		return d.dmarc.Source
	}
	return "_dmarc." + d.r.Domain
}

// dmarcRecord is the domain's usable DMARC record.
func dmarcRecord(d *domainScan) (string, bool) {
	if d.dmarc == nil || d.dmarc.Status != dmarc.StatusOK || d.dmarc.Record == "" {
		return "", false
	}
	return quoteCap(d.dmarc.Record), true
}

// inheritedNote says where to change a policy the domain inherits.
func inheritedNote(d *domainScan) string {
	if d.dmarc == nil || !d.dmarc.Inherited {
		return ""
	}
	return fmt.Sprintf(" (the policy is inherited from %s: change it there, or publish one of %s's own at _dmarc.%s)", d.dmarc.Source, d.r.Domain, d.r.Domain)
}

// setTag returns a DMARC record with tag set to value: replaced where the
// record has it, appended otherwise.
func setTag(rec, tag, value string) string {
	parts := strings.Split(rec, ";")
	for i, p := range parts {
		k, _, ok := strings.Cut(p, "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), tag) {
			lead := p[:len(p)-len(strings.TrimLeft(p, " \t"))]
			parts[i] = lead + tag + "=" + value
			return strings.Join(parts, ";")
		}
	}
	rec = strings.TrimRight(rec, " \t;")
	return rec + "; " + tag + "=" + value
}

// dropTag returns a DMARC record without tag.
func dropTag(rec, tag string) string {
	parts := strings.Split(rec, ";")
	out := parts[:0]
	for _, p := range parts {
		k, _, ok := strings.Cut(p, "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), tag) {
			continue
		}
		out = append(out, p)
	}
	return strings.Join(out, ";")
}

func spfRecord(d *domainScan) string {
	if d.spf == nil {
		return ""
	}
	return quoteCap(d.spf.Record)
}

// replaceAll returns an SPF record with its all mechanism, whatever its
// qualifier, replaced by term; a record without one gets term at the end.
func replaceAll(rec, term string) string {
	fields := strings.Fields(rec)
	for i, f := range fields {
		if strings.EqualFold(strings.TrimLeft(f, "+-~?"), "all") {
			fields[i] = term
			return strings.Join(fields, " ")
		}
	}
	return strings.Join(append(fields, term), " ")
}

// sendersNow lists what the domain's SPF authorises, for a fix that asks to
// check it before tightening.
func sendersNow(d *domainScan) string {
	if d.spf == nil {
		return "nothing"
	}
	var names []string
	for _, t := range d.spf.Targets {
		if len(names) == 6 {
			names = append(names, "…")
			break
		}
		names = append(names, t.Mechanism+":"+t.Name)
	}
	// The walk parsed the record already; the scan's memo has it.
	if p, err := d.s.spfParsed.Parse(d.spf.Record); err == nil {
		for _, m := range p.Mechanisms {
			if m.Kind == spf.KindIP4 || m.Kind == spf.KindIP6 {
				names = append(names, "ip4/ip6 ranges")
				break
			}
		}
	}
	if len(names) == 0 {
		return "no sender at all"
	}
	return strings.Join(names, ", ")
}

// costliest names the n includes that add the most lookups, with their cost.
func costliest(nodes []*spf.Node, n int) string {
	type cost struct {
		term string
		n    int
	}
	var cs []cost
	for _, x := range nodes {
		cs = append(cs, cost{x.Via + ":" + x.Name, x.Cost()})
	}
	slices.SortStableFunc(cs, func(a, b cost) int { return cmp.Compare(b.n, a.n) })
	var parts []string
	for _, c := range cs[:min(n, len(cs))] {
		parts = append(parts, c.term+" ("+strconv.Itoa(c.n)+")")
	}
	if len(parts) == 0 {
		return "none: the lookups are the record's own a, mx, ptr and exists terms"
	}
	return strings.Join(parts, ", ")
}

// voidTargets names the include and redirect targets that publish no SPF
// record.
func voidTargets(d *domainScan) string {
	if d.spf == nil {
		return ""
	}
	var out []string
	var walk func([]*spf.Node)
	walk = func(ns []*spf.Node) {
		for _, n := range ns {
			if strings.HasPrefix(n.Err, spf.ErrTargetNoRecord.Error()) {
				out = append(out, n.Via+":"+n.Name)
			}
			walk(n.Children)
		}
	}
	walk(d.spf.Includes)
	return strings.Join(out, ", ")
}

// mailboxSPF is the SPF include of the mailbox provider that receives the
// domain's mail, for a record to start from. The catalog lists SPF name
// suffixes, some of which are no include of their own; only a name whose
// first label is spf or _spf is the provider's published include.
func (d *domainScan) mailboxSPF() string {
	if len(d.r.MX) == 0 {
		return ""
	}
	p := d.s.cat.ByKey(d.r.MX[0].Product) // the most preferred MX receives the mail
	if p == nil || p.Kind != providers.KindMailbox {
		return ""
	}
	for _, name := range p.SPF {
		if strings.HasPrefix(name, "spf.") || strings.HasPrefix(name, "_spf.") {
			return name
		}
	}
	return ""
}

// onlyMXNote warns when the MX to remove is the domain's only one.
func onlyMXNote(d *domainScan) string {
	if len(d.r.MX) == 1 {
		return "; it is " + d.r.Domain + "'s only MX, so removing it leaves mail to the domain's own address: point it at your mail provider's host instead"
	}
	return ""
}

func mxHosts(d *domainScan) string {
	var hs []string
	for _, m := range d.r.MX {
		hs = append(hs, m.Host)
	}
	if len(hs) == 0 {
		return "its MX hosts"
	}
	return strings.Join(hs, ", ")
}

// mxPolicyLines is the mx: lines of an MTA-STS policy for the domain's MX
// hosts.
func mxPolicyLines(d *domainScan) string {
	var hs []string
	for _, m := range d.r.MX {
		hs = append(hs, "mx: "+m.Host)
	}
	if len(hs) == 0 {
		return "its MX hosts"
	}
	return strings.Join(hs, ", ")
}

// noSendingAdvice completes a domain that takes no mail (null MX, or none
// at all) with what else stops others sending as it.
func noSendingAdvice(d *domainScan, withNullMX bool) string {
	var steps []string
	if withNullMX {
		steps = append(steps, fmt.Sprintf(`a null MX at %s ("MX 0 .")`, d.r.Domain))
	}
	if d.spf == nil || d.spf.Status != spf.StatusOK || d.spf.All != spf.ResultFail || len(d.spf.Targets) > 0 {
		steps = append(steps, fmt.Sprintf(`"v=spf1 -all" at %s`, d.r.Domain))
	}
	if d.dmarc == nil || d.dmarc.Status != dmarc.StatusOK || d.dmarc.Policy != dmarc.PolicyReject {
		steps = append(steps, fmt.Sprintf(`"v=DMARC1; p=reject" at _dmarc.%s`, d.r.Domain))
	}
	if len(steps) == 0 {
		return fmt.Sprintf("nothing to do: %s takes no mail and says so in SPF and DMARC", d.r.Domain)
	}
	lead := d.r.Domain + " takes no mail; so that nobody can send as it either, publish "
	if withNullMX {
		lead = "if " + d.r.Domain + " sends and receives no mail, publish "
	}
	return lead + strings.Join(steps, ", ")
}
