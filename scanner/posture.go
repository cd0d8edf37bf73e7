package scanner

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/mxscope/mxscope/providers"
	"github.com/mxscope/mxscope/scanner/bimi"
	"github.com/mxscope/mxscope/scanner/dkim"
	"github.com/mxscope/mxscope/scanner/dmarc"
	"github.com/mxscope/mxscope/scanner/internal/dnsname"
	"github.com/mxscope/mxscope/scanner/mtasts"
	"github.com/mxscope/mxscope/scanner/resolve"
	"github.com/mxscope/mxscope/scanner/spf"
)

// The posture checks that go beyond MX, SPF and DMARC: DKIM keys, the
// MTA-STS policy over HTTPS, BIMI, and the facts that say a domain is
// parked.

// commonSelectors are the DKIM selectors asked of every domain, whoever
// its providers: the defaults of common signing software and services
// (OpenDKIM and cPanel "default", Microsoft 365 "selector1/2", Google
// Workspace "google", Mailchimp "k1", SendGrid "s1/s2", and the generic
// "dkim" and "mail").
var commonSelectors = []string{"default", "selector1", "selector2", "google", "k1", "s1", "s2", "dkim", "mail"}

// ValidSelector reports whether s can be a DKIM selector: dot-separated
// labels of letters, digits, hyphens (and underscores, which some signers
// use), lower case, as --dkim-selector takes them.
func ValidSelector(s string) bool { return dnsname.Valid(s) }

// dkimSelectors is the common list followed by the user's, each once.
func dkimSelectors(extra []string) []string {
	out := slices.Clone(commonSelectors)
	for _, s := range extra {
		if s = strings.ToLower(strings.TrimSuffix(s, ".")); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// dkimProbes records what the DKIM selectors of one domain said.
type dkimProbes struct {
	root      resolve.Status // of _domainkey.<domain>
	rootAlias bool           // _domainkey.<domain> is a CNAME
	rootErr   string
	asked     map[string]bool
	order     []string // the selectors asked, in order
	probed    int
	found     []dkimFound // selectors with a key record, in the order asked
	failed    []string    // "selector: why", for lookups that failed
}

type dkimFound struct {
	selector string
	j        dkim.Judgement
}

// nothingBelow reports that _domainkey.<domain> does not exist, so no
// selector under it can (RFC 8020).
func (p *dkimProbes) nothingBelow() bool {
	return p.root == resolve.StatusNXDomain && !p.rootAlias
}

// lookupDKIM is the DKIM chain: _domainkey.<domain>, then the selectors
// asked of every domain. The selectors of the domain's providers wait for
// attribution (concludeDKIM); every question goes through the scan's cache,
// which attribution's own DKIM probes share.
func (d *domainScan) lookupDKIM(ctx context.Context) {
	p := &d.dkim
	p.asked = map[string]bool{}
	a := d.s.dns.Query(ctx, "_domainkey."+d.r.Domain, dns.TypeTXT)
	p.root, p.rootAlias = a.Status, len(a.CNAMEs) > 0
	if !a.Void() && a.Status != resolve.StatusOK {
		p.rootErr = answerError(a)
	}
	if p.nothingBelow() {
		return
	}
	for _, sel := range d.s.dkimSel {
		d.probeSelector(ctx, sel)
	}
}

// concludeDKIM probes the selectors of the providers attribution found,
// then sums the probes up in the Result.
func (d *domainScan) concludeDKIM(ctx context.Context) {
	p := &d.dkim
	if p.asked != nil && !p.nothingBelow() {
		for _, sel := range d.providerSelectors() {
			if !p.asked[sel] {
				d.probeSelector(ctx, sel)
			}
		}
	}
	out := DKIM{Probed: p.probed}
	ok := false
	for _, f := range p.found {
		s := DKIMSelector{Selector: f.selector, Status: string(f.j.Status), Error: f.j.Err}
		if k := f.j.Key; k != nil {
			s.Testing = k.Testing
			if !k.Revoked {
				s.KeyType, s.KeyBits = string(k.Type), k.Bits
			}
		}
		ok = ok || f.j.Status == dkim.StatusOK
		out.Selectors = append(out.Selectors, s)
	}
	switch {
	case ok:
		out.Status = "ok"
	case p.nothingBelow():
		out.Status = "none"
	case len(p.failed) > 0:
		out.Status = "temperror"
		out.Error = "lookups failed for " + clip(strings.Join(p.failed, "; "), 300)
	default:
		out.Status = "unknown"
		if p.rootErr != "" {
			out.Error = "could not tell whether _domainkey." + d.r.Domain + " exists: " + p.rootErr
		}
	}
	d.r.DKIM = &out
}

// probeSelector asks for one selector's key record.
func (d *domainScan) probeSelector(ctx context.Context, sel string) {
	p := &d.dkim
	p.asked[sel] = true
	p.order = append(p.order, sel)
	name := sel + "._domainkey." + d.r.Domain
	if len(name) > 253 {
		return // no such name can exist
	}
	p.probed++
	a := d.s.dns.Query(ctx, name, dns.TypeTXT)
	switch {
	case a.Status == resolve.StatusOK:
		txts := make([]string, 0, len(a.Records))
		for _, rr := range a.Records {
			if t, ok := rr.(*dns.TXT); ok {
				txts = append(txts, resolve.TXTString(t))
			}
		}
		if j := dkim.Judge(txts); j.Status != dkim.StatusAbsent {
			p.found = append(p.found, dkimFound{sel, j})
		}
	case a.Void():
	default:
		p.failed = append(p.failed, sel+": "+answerError(a))
	}
}

// providerSelectors lists the catalog's DKIM selectors of the providers
// the domain uses: its MX hosts', its gateway's, its mailbox host's, its
// reseller's and its SPF senders'.
func (d *domainScan) providerSelectors() []string {
	r, cat := d.r, d.s.cat
	var ps []*providers.Provider
	for _, m := range r.MX {
		if p := cat.ByKey(m.Product); p != nil {
			ps = append(ps, p)
		}
	}
	for _, id := range append([]string{r.Gateway, r.Mailbox, r.Reseller}, r.Senders...) {
		if id != "" {
			ps = append(ps, cat.ByID(id)...)
		}
	}
	var out []string
	for _, p := range ps {
		for _, s := range p.DKIMSelectors {
			if s = strings.ToLower(s); !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// fetchSTSPolicy fetches the MTA-STS policy from the addresses the scan
// resolves for mta-sts.<domain>, through its resolvers and cache (in a
// replay, reads the fetch the evidence recorded).
func (d *domainScan) fetchSTSPolicy(ctx context.Context) *STSPolicy {
	host := mtasts.Host(d.r.Domain)
	out := &STSPolicy{URL: mtasts.URL(d.r.Domain)}
	addrs, st, _, _ := d.addresses(ctx, host)
	switch st {
	case resolve.StatusOK:
	case resolve.StatusNXDomain:
		out.Status, out.Error = string(mtasts.StatusNone), host+" does not exist (NXDOMAIN)"
		return out
	case resolve.StatusNoData:
		out.Status, out.Error = string(mtasts.StatusNone), host+" has no A or AAAA record"
		return out
	default:
		out.Status, out.Error = string(mtasts.StatusTemperror), "looking up "+host+": "+string(st)
		return out
	}
	ips := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		if ip, err := netip.ParseAddr(a); err == nil {
			ips = append(ips, ip)
		}
	}
	// A scan asks the network; a replay, the response the evidence
	// recorded. Either is judged by the same code.
	res := mtasts.Judge(d.s.getPolicy(ctx, d.r.Domain, ips))
	out.Status, out.Error = string(res.Status), res.Err
	if p := res.Policy; p != nil {
		maxAge := p.MaxAge
		out.Mode, out.MaxAge = string(p.Mode), &maxAge
		// The MX hosts are matched against every pattern; the Result,
		// which may wait in the scan's window, keeps the first few.
		d.stsPolicy = p
		out.MX = p.MX[:min(len(p.MX), maxReportedPatterns)]
	}
	return out
}

// maxReportedPatterns caps the mx patterns a Result keeps: a policy may
// hold thousands within its 64 KiB, and a thousand Results wait in the
// scan's window at once.
const maxReportedPatterns = 100

func (d *domainScan) lookupBIMI(ctx context.Context) {
	res := bimi.Lookup(ctx, d.s.dns, d.r.Domain)
	out := BIMI{Status: string(res.Status), Record: res.Record, Error: res.Err}
	if p := res.Parsed; p != nil {
		out.Logo, out.Authority = p.Logo, p.Authority
	}
	d.r.BIMI = &out
}

// parked reports a domain parked as it should be: no MX (a null MX, or
// none at all), an SPF record that authorises nobody, and DMARC p=reject
// at 100% (and not in testing, t=y). Each of the three must have been
// checked and answered.
func (d *domainScan) parked() bool {
	r := d.r
	if r.Status != StatusOK || (r.Mail != MailNullMX && r.Mail != MailNone && r.Mail != MailImplicit) {
		return false
	}
	res := d.dmarc
	return d.spfDeniesAll() && res != nil && res.Status == dmarc.StatusOK && res.Applied == dmarc.PolicyReject &&
		res.Parsed != nil && res.Parsed.Pct == 100
}

// spfDeniesAll reports an SPF record that is "v=spf1 -all" and nothing
// more that authorises: the domain sends no mail.
func (d *domainScan) spfDeniesAll() bool {
	a := d.spf
	if a == nil || a.Status != spf.StatusOK {
		return false
	}
	rec, err := d.s.spfParsed.Parse(a.Record)
	return err == nil && rec.Redirect == "" && len(rec.Mechanisms) == 1 &&
		rec.Mechanisms[0].Kind == spf.KindAll && rec.Mechanisms[0].Qualifier == spf.QualifierFail
}

// emitFunc adds a finding about subject ("" for the domain as a whole)
// with a severity of its own (a rule whose severity depends on the case,
// such as dkim-weak-key).
type emitFunc func(id, subject string, sev Severity, format string, args ...any)

// postureFindings evaluates the checks of this file, and spf-ptr and
// mx-no-ipv6, and returns what could not be checked.
func postureFindings(d *domainScan, emit emitFunc) (failed []string) {
	r := d.r
	add := func(id, format string, args ...any) { emit(id, "", ruleByID[id].Severity, format, args...) }

	if d.spf != nil && d.spf.Status != spf.StatusTemperror {
		if where := d.spfPTR(); len(where) > 0 {
			add("spf-ptr", "SPF uses the ptr mechanism (%s), which RFC 7208 §5.5 says not to publish", strings.Join(where, ", "))
		}
	}

	if r.Mail == MailMX && d.mxFacts != nil {
		var no6 []string
		for _, m := range r.MX {
			f, ok := d.mxFacts[m.Host]
			switch {
			case !ok || f.literal || f.status != resolve.StatusOK:
			case f.v6 == resolve.StatusNoData || f.v6 == resolve.StatusNXDomain:
				no6 = append(no6, m.Host)
			case f.v6 != resolve.StatusOK:
				failed = append(failed, "IPv6 address of "+m.Host)
			}
		}
		if len(no6) > 0 {
			add("mx-no-ipv6", "MX hosts without an IPv6 address (AAAA): %s", strings.Join(no6, ", "))
		}
	}

	// A parked domain, or one whose SPF authorises nobody, sends no mail:
	// DKIM has nothing to sign.
	if r.DKIM != nil && !r.Parked && !d.spfDeniesAll() {
		failed = append(failed, dkimFindings(d, emit)...)
	}

	if p := r.MTASTS.Policy; p != nil && r.Mail == MailMX && !r.Parked {
		switch mtasts.Status(p.Status) {
		case mtasts.StatusOK:
			stsPolicyFindings(r, p, d.stsPolicy, emit)
		case mtasts.StatusNone, mtasts.StatusUnreachable:
			add("mta-sts-policy-unreachable", "the _mta-sts record announces a policy, but senders cannot fetch %s: %s", p.URL, p.Error)
		case mtasts.StatusInvalid:
			add("mta-sts-policy-invalid", "the MTA-STS policy at %s is unusable: %s", p.URL, p.Error)
		case mtasts.StatusTemperror:
			failed = append(failed, "the MTA-STS policy ("+p.Error+")")
		}
	}

	if r.BIMI != nil {
		switch bimi.Status(r.BIMI.Status) {
		case bimi.StatusInvalid:
			add("bimi-invalid", "BIMI record unusable: %s", r.BIMI.Error)
		case bimi.StatusTemperror:
			failed = append(failed, "BIMI")
		case bimi.StatusOK:
			if why := bimiUnenforced(d.dmarc); why != "" {
				add("bimi-without-enforcement", "a BIMI record is published, but %s: mailbox providers show no logo", why)
			}
		}
	}
	return failed
}

// bimiUnenforced says why DMARC does not meet BIMI's requirement
// (quarantine or reject, applied to all mail), or "" when it does or when
// DMARC was not checked or failed (lookup-failed covers that).
func bimiUnenforced(res *dmarc.Result) string {
	switch {
	case res == nil || res.Status == dmarc.StatusTemperror:
		return ""
	case res.Status != dmarc.StatusOK || res.Parsed == nil:
		return "there is no usable DMARC policy"
	case res.Testing:
		return "DMARC is in testing (t=y), so receivers apply " + string(res.Applied) + " rather than " + string(res.Policy)
	case res.Applied != dmarc.PolicyQuarantine && res.Applied != dmarc.PolicyReject:
		return "DMARC is at p=" + string(res.Applied)
	case res.Parsed.Pct < 100:
		return fmt.Sprintf("DMARC applies to pct=%d%% of mail", res.Parsed.Pct)
	}
	return ""
}

func dkimFindings(d *domainScan, emit emitFunc) (failed []string) {
	r := d.r
	add := func(id, format string, args ...any) { emit(id, "", ruleByID[id].Severity, format, args...) }
	var revoked []string
	for _, s := range r.DKIM.Selectors {
		switch s.Status {
		case string(dkim.StatusRevoked):
			revoked = append(revoked, s.Selector)
		case string(dkim.StatusInvalid):
			emit("dkim-invalid", s.Selector, ruleByID["dkim-invalid"].Severity, "the DKIM key record at selector %s is unusable: %s", s.Selector, s.Error)
		case string(dkim.StatusOK):
			switch {
			case s.KeyType == string(dkim.KeyRSA) && s.KeyBits < 1024:
				emit("dkim-weak-key", s.Selector, SeverityHigh, "the DKIM key at selector %s is RSA %d bits: receivers treat signatures with keys under 1024 bits as no signature (RFC 8301)", s.Selector, s.KeyBits)
			case s.KeyType == string(dkim.KeyRSA) && s.KeyBits < 2048:
				emit("dkim-weak-key", s.Selector, SeverityMedium, "the DKIM key at selector %s is RSA %d bits, within reach of a well-funded attacker; RFC 8301 asks for 2048", s.Selector, s.KeyBits)
			}
		}
		if s.Testing && s.Status == string(dkim.StatusOK) {
			emit("dkim-testing", s.Selector, ruleByID["dkim-testing"].Severity, "the DKIM key at selector %s is in testing mode (t=y)", s.Selector)
		}
	}
	if len(revoked) > 0 {
		add("dkim-revoked", "DKIM keys revoked (empty p=) at selector %s", strings.Join(revoked, ", "))
	}
	switch r.DKIM.Status {
	case "none":
		add("dkim-none-found", "no DKIM keys: _domainkey.%s does not exist, so no selector under it can (RFC 8020)", r.Domain)
	case "unknown":
		// Not proof: the domain may sign under a selector nobody guessed.
		// Said, as what it is, at info, so that it neither hides nor
		// trips a --fail-on gate over a guess.
		emit("dkim-none-found", "", SeverityInfo, "no usable DKIM key at the %d selectors probed (%s); DNS cannot list a domain's selectors, so a key may exist under another",
			r.DKIM.Probed, strings.Join(d.dkim.order, ", "))
	case "temperror":
		failed = append(failed, "DKIM")
	}
	return failed
}

// stsPolicyFindings judges a fetched policy against the MX records.
func stsPolicyFindings(r *Result, p *STSPolicy, pol *mtasts.Policy, emit emitFunc) {
	if pol == nil {
		pol = &mtasts.Policy{MX: p.MX}
	}
	var miss []string
	for _, m := range r.MX {
		if !pol.Matches(m.Host) {
			miss = append(miss, m.Host)
		}
	}
	switch mtasts.Mode(p.Mode) {
	case mtasts.ModeEnforce:
		if len(miss) > 0 {
			emit("mta-sts-mx-mismatch", "", SeverityHigh, "MTA-STS is enforced, and no mx pattern of the policy matches MX %s: senders that honour MTA-STS will not deliver there", strings.Join(miss, ", "))
		}
	case mtasts.ModeTesting:
		emit("mta-sts-testing", "", ruleByID["mta-sts-testing"].Severity, "the MTA-STS policy is in testing mode: senders report failures but deliver anyway")
		if len(miss) > 0 {
			emit("mta-sts-mx-mismatch", "", SeverityMedium, "no mx pattern of the MTA-STS policy matches MX %s: enforcing it as it stands would stop mail there", strings.Join(miss, ", "))
		}
	}
}

// spfPTR says where the SPF policy uses ptr: the record itself, or the
// includes and redirects that do.
func (d *domainScan) spfPTR() []string {
	var where []string
	usesPTR := func(record string) bool {
		rec, err := d.s.spfParsed.Parse(record)
		if err != nil {
			return false
		}
		for _, m := range rec.Mechanisms {
			if m.Kind == spf.KindPTR {
				return true
			}
		}
		return false
	}
	if usesPTR(d.spf.Record) {
		where = append(where, "in the record itself")
	}
	var walk func(ns []*spf.Node)
	walk = func(ns []*spf.Node) {
		for _, n := range ns {
			if n.Record != "" && usesPTR(n.Record) {
				where = append(where, n.Via+":"+n.Name)
			}
			walk(n.Children)
		}
	}
	walk(d.spf.Includes)
	return where
}

// clip cuts s to n bytes.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// The fixes of the posture findings, named in fixes.go's table.

func fixSPFPtr(d *domainScan, _ string) string {
	var own, vendors []string
	for _, w := range d.spfPTR() {
		if w == "in the record itself" {
			own = append(own, w)
		} else {
			vendors = append(vendors, w)
		}
	}
	var steps []string
	if len(own) > 0 {
		steps = append(steps, fmt.Sprintf(`replace the ptr term in the record at %s, %q, with the ip4:/ip6: ranges or the include: of the hosts it was meant to cover`, d.r.Domain, spfRecord(d)))
	}
	if len(vendors) > 0 {
		steps = append(steps, fmt.Sprintf(`ask the provider behind %s to drop ptr from its record, or list that provider's ranges yourself`, strings.Join(vendors, ", ")))
	}
	return strings.Join(steps, "; ")
}

func fixNoIPv6(d *domainScan, _ string) string {
	var own, theirs []string
	for _, m := range d.r.MX {
		f, ok := d.mxFacts[m.Host]
		if !ok || f.v6 != resolve.StatusNoData && f.v6 != resolve.StatusNXDomain {
			continue
		}
		if m.Provider == ProviderSelfHosted || m.Provider == ProviderUnknown {
			own = append(own, m.Host)
		} else {
			theirs = append(theirs, m.Host+" ("+m.Provider+")")
		}
	}
	var steps []string
	if len(own) > 0 {
		steps = append(steps, "give "+strings.Join(own, ", ")+" an AAAA record and an IPv6 listener")
	}
	if len(theirs) > 0 {
		steps = append(steps, "nothing to do in "+d.r.Domain+"'s own DNS for "+strings.Join(theirs, ", ")+": the provider runs those hosts")
	}
	return strings.Join(steps, "; ")
}

func fixDKIMNone(d *domainScan, _ string) string {
	via := ""
	switch d.r.Mailbox {
	case "", ProviderUnknown, ProviderNone, ProviderSelfHosted:
	default:
		via = " (for mail sent through " + d.r.Mailbox + ", its admin console gives the record)"
	}
	return fmt.Sprintf(`turn DKIM signing on for every service that sends as %s and publish each key at <selector>._domainkey.%s%s; if %s already signs under a selector not asked here, scan again with --dkim-selector <selector>`,
		d.r.Domain, d.r.Domain, via, d.r.Domain)
}

func fixDKIMWeak(d *domainScan, sel string) string {
	return fmt.Sprintf(`publish a 2048-bit RSA key under a new selector (<new>._domainkey.%s), switch signing to it, and once no mail is signed with the old key, revoke it with "v=DKIM1; p=" at %s._domainkey.%s`, d.r.Domain, sel, d.r.Domain)
}

func fixDKIMTesting(d *domainScan, sel string) string {
	return fmt.Sprintf(`once signatures under %s verify (DMARC reports show DKIM passing), remove t=y from the record at %s._domainkey.%s`, sel, sel, d.r.Domain)
}

func fixDKIMRevoked(d *domainScan, _ string) string {
	var sels []string
	for _, s := range d.r.DKIM.Selectors { // the finding fired, so DKIM is set
		if s.Status == string(dkim.StatusRevoked) {
			sels = append(sels, s.Selector)
		}
	}
	return fmt.Sprintf(`nothing, if no mail from %s is still signed with %s; an empty p= is the right way to retire a key`, d.r.Domain, strings.Join(sels, ", "))
}

func fixDKIMInvalid(d *domainScan, sel string) string {
	return fmt.Sprintf(`replace what is at %s._domainkey.%s with the one key record the signing service gives, "v=DKIM1; k=rsa; p=<base64 public key>": every signature under %s fails while it is broken`, sel, d.r.Domain, sel)
}

func fixSTSUnreachable(d *domainScan, _ string) string {
	p := d.r.MTASTS.Policy
	if p == nil {
		return ""
	}
	return fmt.Sprintf(`serve the policy at %s from a host with a certificate valid for mta-sts.%s, with status 200 and no redirect; or, if %s does not want MTA-STS, remove the record at _mta-sts.%s`,
		p.URL, d.r.Domain, d.r.Domain, d.r.Domain)
}

func fixSTSInvalid(d *domainScan, _ string) string {
	p := d.r.MTASTS.Policy
	if p == nil {
		return ""
	}
	return fmt.Sprintf(`serve at %s a text/plain file of "version: STSv1", "mode: testing", %s, "max_age: 604800", one per line, and publish a new id at _mta-sts.%s`,
		p.URL, mxPolicyLines(d), d.r.Domain)
}

func fixSTSTesting(d *domainScan, _ string) string {
	url := "the policy"
	if p := d.r.MTASTS.Policy; p != nil {
		url = p.URL
	}
	return fmt.Sprintf(`when TLS-RPT reports show every MX host of %s with a valid certificate, change %s to "mode: enforce" and publish a new id at _mta-sts.%s`, d.r.Domain, url, d.r.Domain)
}

func fixSTSMismatch(d *domainScan, _ string) string {
	p := d.r.MTASTS.Policy
	if p == nil {
		return ""
	}
	pol := d.stsPolicy
	if pol == nil {
		pol = &mtasts.Policy{MX: p.MX}
	}
	var lines []string
	for _, m := range d.r.MX {
		if !pol.Matches(m.Host) {
			lines = append(lines, "mx: "+m.Host)
		}
	}
	return fmt.Sprintf(`add %s to the policy at %s and publish a new id at _mta-sts.%s; or, if those MX records are the mistake, correct them`, strings.Join(lines, ", "), p.URL, d.r.Domain)
}

func fixBIMIInvalid(d *domainScan, _ string) string {
	return fmt.Sprintf(`replace what is at default._bimi.%s with one record, "v=BIMI1; l=https://<your logo>.svg; a=https://<your mark certificate>.pem"`, d.r.Domain)
}

func fixBIMIUnenforced(d *domainScan, _ string) string {
	return fmt.Sprintf(`once the DMARC reports show every legitimate sender passing, move the policy at %s to p=quarantine or p=reject, with pct=100: mailbox providers show %s's logo only then`, dmarcName(d), d.r.Domain)
}
