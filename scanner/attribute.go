package scanner

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/mxscope/mxscope/providers"
	"github.com/mxscope/mxscope/scanner/resolve"
)

// Mailbox attribution behind a gateway is one scoring function (decide)
// over typed signals. The probes only gather; what a kind of evidence is
// worth is a row of signalRules, and a rule about which records give which
// signal is a small function of signals. A wrong "yes" is the worst answer
// mxscope can give, so the table is calibrated to say less: a verification
// token or a policy the domain merely includes is a hint, shown but never
// deciding; a tie leaves the mailbox unknown.

// signalKind is one kind of mailbox evidence.
type signalKind uint8

const (
	sigLowerMX      signalKind = iota // a lower-preference MX names a mailbox host
	sigDKIMCNAME                      // a DKIM selector is delegated (CNAME) into the provider: tenant-specific
	sigDKIMKey                        // a DKIM key is published under a selector only that provider uses
	sigAutodiscover                   // autodiscover.<domain> is a CNAME to the provider
	sigOwnMX                          // the most preferred MX is the domain's own host: a candidate "self-hosted"
	sigSPF                            // the domain's own SPF record names the provider
	sigSPFVia                         // only a policy the domain includes (a host's, an ISP's) names the provider
	sigToken                          // a domain-verification TXT token: a tenant exists, not where mailboxes are
)

// signalRules weighs the kinds, in half points (README prints them in
// points: 3, 3, 2, 2, 1.5, 1). Kinds of one group count once per provider,
// the heaviest: one include tree is one SPF signal however many of the
// provider's names it holds, two DKIM selectors one DKIM signal. Weight 0
// is a hint. The domain's own MX host weighs a little less than a
// provider-specific signal: an autodiscover CNAME to Outlook beside a
// self-run MX host is the usual hybrid set-up, mailboxes in the cloud.
var signalRules = [...]struct {
	group  int
	weight int
}{
	sigLowerMX:      {0, 6},
	sigDKIMCNAME:    {1, 6},
	sigDKIMKey:      {1, 4},
	sigAutodiscover: {2, 4},
	sigOwnMX:        {3, 3},
	sigSPF:          {4, 2},
	sigSPFVia:       {4, 0},
	sigToken:        {5, 0},
}

const (
	signalGroups = 6
	// weightStrong is evidence only the mailbox tenant could have
	// published; it alone can make an answer high.
	weightStrong = 6
	// weightSPF is one SPF signal: a total of no more is a low answer.
	weightSPF = 2
)

type signal struct {
	kind     signalKind
	id       string              // provider id, or ProviderSelfHosted
	provider *providers.Provider // the catalog entry; nil for self-hosted
	evidence string
}

// candidate is one provider's tally.
type candidate struct {
	id       string
	provider *providers.Provider
	score    int
	top      int // its heaviest signal
}

// decide scores the candidates and names the mailbox host, or nobody.
// Each group counts once per provider, with its heaviest signal. The
// highest score wins, and the confidence follows the evidence:
//
//	high    a weight-3 signal, and no other candidate scores 3
//	medium  more than one SPF signal's worth (a weight-2 signal, the
//	        domain's own MX host, or several kinds agreeing)
//	low     one SPF term of the domain's own record and nothing else, and
//	        only behind a gateway
//
// A tie for the highest score names nobody: tied lists the candidates. So
// does a tally of hints alone (every score 0), and one SPF signal when no
// gateway stands in front: a gateway must hand the mail on, and the
// provider the owner authorises is where it most likely goes, but an MX
// host that is no gateway (an ISP's, an IT provider's) may well hold the
// mailboxes itself.
func decide(sigs []signal, gateway bool) (best *candidate, conf Confidence, tied []*candidate) {
	cands := tally(sigs)
	if len(cands) == 0 || cands[0].score == 0 {
		return nil, "", nil
	}
	runner := 0
	if len(cands) > 1 {
		runner = cands[1].score
	}
	if runner == cands[0].score {
		for _, c := range cands {
			if c.score == cands[0].score {
				tied = append(tied, c)
			}
		}
		return nil, "", tied
	}
	best = cands[0]
	if best.score <= weightSPF && !gateway {
		return nil, "", nil
	}
	switch {
	case best.top >= weightStrong && runner < weightStrong:
		conf = ConfidenceHigh
	case best.score > weightSPF:
		conf = ConfidenceMedium
	default:
		conf = ConfidenceLow
	}
	return best, conf, nil
}

// tally sums each candidate's groups, highest score first, then by id:
// never by the order the probes happened to run in.
func tally(sigs []signal) []*candidate {
	var cands []*candidate
	groups := map[string]*[signalGroups]int{}
	for _, s := range sigs {
		g, ok := groups[s.id]
		if !ok {
			g = new([signalGroups]int)
			groups[s.id] = g
			cands = append(cands, &candidate{id: s.id, provider: s.provider})
		}
		rule := signalRules[s.kind]
		g[rule.group] = max(g[rule.group], rule.weight)
	}
	for _, c := range cands {
		for _, w := range groups[c.id] {
			c.score += w
			c.top = max(c.top, w)
		}
	}
	slices.SortStableFunc(cands, func(a, b *candidate) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	return cands
}

// evidenceLines renders the signals: the winner's as they are, everybody
// else's as "candidate <id>: ...", a hint marked as one, and a tie said first.
func evidenceLines(sigs []signal, best *candidate, tied []*candidate) []string {
	var out []string
	if len(tied) > 0 {
		ids := make([]string, len(tied))
		for i, c := range tied {
			ids[i] = c.id
		}
		out = append(out, fmt.Sprintf("tie: %s weigh the same, so no mailbox host is named", strings.Join(ids, " and ")))
	}
	line := func(s signal) string {
		e := s.evidence
		if signalRules[s.kind].weight == 0 {
			e += " (hint only)"
		}
		return e
	}
	if best != nil {
		for _, s := range sigs {
			if s.id == best.id {
				out = append(out, line(s))
			}
		}
	}
	for _, c := range tally(sigs) {
		if best != nil && c.id == best.id {
			continue
		}
		for _, s := range sigs {
			if s.id == c.id {
				out = append(out, "candidate "+c.id+": "+line(s))
			}
		}
	}
	return out
}

// attribute fills the three layers (gateway, mailbox, senders), the tenant
// and the reseller, from the MX set, the SPF targets, and, only when the MX
// does not already name a mailbox host, the extra probes.
func (d *domainScan) attribute(ctx context.Context) {
	r, cat := d.r, d.s.cat
	d.senders()

	switch r.Mail {
	case MailNullMX, MailNone:
		r.Provider, r.Mailbox = ProviderNone, ProviderNone
		return
	case MailUnknown, "":
		if len(r.MX) == 0 {
			r.Provider = ProviderUnknown
			r.Mailbox = ProviderUnknown
			return
		}
	}
	primary := r.MX[0]
	r.Provider = primary.Provider
	p := cat.ByKey(primary.Product)
	switch {
	case p != nil:
		r.Tenant = providers.Tenant(p, primary.Host)
		if p.Kind == providers.KindGateway || p.Kind == providers.KindForwarding {
			r.Gateway = p.ID
		}
	case primary.Appliance != "":
		// A vendor's appliance under its owner's name: a gateway, run
		// by the domain itself (self-hosted) or by a third party
		// (unknown), never the vendor's cloud.
		r.Gateway = primary.Provider
	}
	if p != nil && hostsMailboxes(p.Kind) {
		r.Mailbox = p.ID
		r.Confidence = ConfidenceHigh
		r.MailboxEvidence = []string{fmt.Sprintf("mx %d %s", primary.Preference, primary.Host)}
		d.reseller(p.ID)
		return
	}

	// The MX is a gateway, a forwarder, the domain's own server or an
	// unknown host: look behind it.
	sigs := d.signals(ctx)
	best, conf, tied := decide(sigs, r.Gateway != "")
	r.MailboxEvidence = evidenceLines(sigs, best, tied)
	if best == nil && tied == nil && slices.ContainsFunc(sigs, func(s signal) bool { return signalRules[s.kind].weight > 0 }) {
		r.MailboxEvidence = append([]string{"one SPF include alone, and the MX host is no known gateway (it may hold the mailboxes itself): no mailbox host is named"}, r.MailboxEvidence...)
	}
	if best == nil {
		r.Mailbox = ProviderUnknown
		return
	}
	r.Mailbox, r.Confidence = best.id, conf
	if best.provider == nil {
		return // self-hosted
	}
	if r.Tenant == "" {
		for _, m := range r.MX {
			if m.Provider == best.id {
				r.Tenant = providers.Tenant(cat.ByKey(m.Product), m.Host)
			}
		}
	}
	d.reseller(best.id)
}

func hostsMailboxes(k providers.Kind) bool {
	return k == providers.KindMailbox || k == providers.KindConsumer || k == providers.KindHosting
}

// senders lists the providers the SPF tree authorises, in walk order.
func (d *domainScan) senders() {
	if d.spf == nil {
		return
	}
	for _, t := range d.spf.Targets {
		if p := d.s.cat.MatchSPF(t.Name); p != nil && !slices.Contains(d.r.Senders, p.ID) {
			d.r.Senders = append(d.r.Senders, p.ID)
		}
	}
}

// reseller names the SPF sender that resells the mailbox provider, such as
// GoDaddy selling Microsoft 365 (Microsoft MX, include:secureserver.net).
func (d *domainScan) reseller(mailbox string) {
	if d.spf == nil {
		return
	}
	for _, t := range d.spf.Targets {
		p := d.s.cat.MatchSPF(t.Name)
		if p != nil && p.ID != mailbox && resells(d.s.cat, p.ID, mailbox) {
			d.r.Reseller = p.ID
			d.r.MailboxEvidence = append(d.r.MailboxEvidence,
				fmt.Sprintf("spf %s:%s (%s resells %s)", t.Mechanism, t.Name, p.ID, mailbox))
			return
		}
	}
}

// resells reports whether the catalog says company id sells mailbox's
// service (an entry of id with reseller_of: mailbox).
func resells(cat *providers.Catalog, id, mailbox string) bool {
	for _, p := range cat.ByID(id) {
		if p.ResellerOf == mailbox {
			return true
		}
	}
	return false
}

// signals gathers mailbox evidence, strongest kind first.
func (d *domainScan) signals(ctx context.Context) []signal {
	r, cat := d.r, d.s.cat
	var sigs []signal
	add := func(kind signalKind, p *providers.Provider, ev string) {
		if p != nil && hostsMailboxes(p.Kind) {
			sigs = append(sigs, signal{kind, p.ID, p, ev})
		}
	}
	if m := r.MX[0]; m.Provider == ProviderSelfHosted && m.Appliance == "" {
		sigs = append(sigs, signal{sigOwnMX, ProviderSelfHosted, nil, fmt.Sprintf("mx %d %s (under the domain itself)", m.Preference, m.Host)})
	}
	for _, m := range r.MX[1:] {
		add(sigLowerMX, cat.ByKey(m.Product), fmt.Sprintf("mx %d %s", m.Preference, m.Host))
	}
	if d.s.opts.Checks[CheckMailbox] && ctx.Err() == nil {
		d.probeDKIM(ctx, add)
		a := d.s.dns.Query(ctx, "autodiscover."+r.Domain, dns.TypeCNAME)
		for _, rr := range a.Records {
			if c, ok := rr.(*dns.CNAME); ok {
				t := normalizeName(c.Target)
				add(sigAutodiscover, cat.MatchAutodiscover(t), "autodiscover cname "+t)
			}
		}
		txts, _ := d.s.dns.LookupTXT(ctx, r.Domain)
		for _, t := range txts {
			add(sigToken, cat.MatchToken(t), "txt "+tokenPrefix(t))
		}
	}
	d.spfSignals(add)
	return sigs
}

// spfSignals turns the SPF targets into signals. A name the domain's own
// record names (or a record under the domain's own registered domain, its
// policy split in parts) is the owner's choice; a name only a third party's
// policy names (a web host's include that in turn includes Outlook) is that
// party's business: a hint. A record that is a permerror still says whom
// the owner meant to authorise.
func (d *domainScan) spfSignals(add func(signalKind, *providers.Provider, string)) {
	if d.spf == nil {
		return
	}
	for _, t := range d.spf.Targets {
		p := d.s.cat.MatchSPF(t.Name)
		if p == nil {
			continue
		}
		kind, ev := sigSPF, fmt.Sprintf("spf %s:%s", t.Mechanism, t.Name)
		if !d.ownName(t.From) {
			kind, ev = sigSPFVia, ev+" (via "+t.From+")"
		}
		if d.spf.Salvaged {
			ev += " (in a record with a syntax error)"
		}
		add(kind, p, ev)
	}
}

// ownName reports whether name is the scanned domain or under its
// registered domain.
func (d *domainScan) ownName(name string) bool {
	return name == d.r.Domain || providers.IsSubdomainOf(name, d.registered())
}

// probeDKIM asks for the DKIM selectors the catalog's mailbox providers
// use. A CNAME into the provider's domain is tenant-specific; a key under a
// provider-specific selector is good evidence too.
func (d *domainScan) probeDKIM(ctx context.Context, add func(signalKind, *providers.Provider, string)) {
	if d.dkim.nothingBelow() {
		return // the DKIM check found no _domainkey.<domain>: no selector exists
	}
	for _, sel := range d.s.selectors() {
		name := sel.selector + "._domainkey." + d.r.Domain
		if sel.cname {
			// The TXT answer carries the CNAME; asking TXT rather than
			// CNAME shares the question with the DKIM check's probe.
			a := d.s.dns.Query(ctx, name, dns.TypeTXT)
			if len(a.CNAMEs) > 0 {
				t := a.CNAMEs[0]
				add(sigDKIMCNAME, d.s.cat.MatchDKIM(t), "dkim "+sel.selector+" cname "+t)
			}
			continue
		}
		a := d.s.dns.Query(ctx, name, dns.TypeTXT)
		if a.Status != resolve.StatusOK {
			continue
		}
		for _, rr := range a.Records {
			if t, ok := rr.(*dns.TXT); ok && strings.Contains(strings.ToLower(resolve.TXTString(t)), "p=") {
				add(sigDKIMKey, sel.provider, "dkim "+sel.selector+" key published")
				break
			}
		}
	}
}

type dkimProbe struct {
	selector string
	cname    bool // the provider delegates the selector with a CNAME
	provider *providers.Provider
}

// selectors lists each mailbox provider's DKIM selectors once, in catalog
// order.
func (s *Scanner) selectors() []dkimProbe {
	s.selOnce.Do(func() {
		seen := map[string]bool{}
		for _, p := range s.cat.Providers {
			if !hostsMailboxes(p.Kind) {
				continue
			}
			for _, sel := range p.DKIMSelectors {
				if seen[sel] {
					continue
				}
				seen[sel] = true
				s.sel = append(s.sel, dkimProbe{selector: sel, cname: len(p.DKIM) > 0, provider: p})
			}
		}
	})
	return s.sel
}

// tokenPrefix shows a verification token's name without its secret value.
func tokenPrefix(t string) string {
	if i := strings.IndexAny(t, "=:"); i >= 0 && i < 64 {
		return t[:i+1] + "…"
	}
	if len(t) > 32 {
		return t[:32] + "…"
	}
	return t
}
