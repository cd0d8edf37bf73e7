package scanner

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/mxscope/mxscope/providers"
	"github.com/mxscope/mxscope/scanner/resolve"
)

// Signal weights for mailbox attribution behind a gateway. A signal that
// only the mailbox tenant could have published (a lower-preference MX, a
// DKIM key delegated to the tenant) outweighs one anybody can publish (an SPF
// include, which authorises a sender and proves nothing about mailboxes).
const (
	weightMX           = 3 // a lower-preference MX of a mailbox host
	weightDKIMCNAME    = 3 // selector._domainkey delegated to the provider
	weightDKIMKey      = 2 // a DKIM key published under the provider's selector
	weightAutodiscover = 2 // autodiscover CNAME to the provider
	weightToken        = 1 // a domain-verification TXT token (stays after a migration)
	weightSPF          = 1 // an SPF include of the provider
)

type signal struct {
	provider *providers.Provider
	weight   int
	evidence string
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
	if p != nil {
		r.Tenant = providers.Tenant(p, primary.Host)
		if p.Kind == providers.KindGateway || p.Kind == providers.KindForwarding {
			r.Gateway = p.ID
		}
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
	best, score, top := pickMailbox(sigs)
	switch {
	case best != nil:
		r.Mailbox = best.ID
		for _, s := range sigs {
			if s.provider.ID == best.ID {
				r.MailboxEvidence = append(r.MailboxEvidence, s.evidence)
			}
		}
		switch {
		case top >= weightMX:
			r.Confidence = ConfidenceHigh
		case top >= 2 || score >= 3:
			r.Confidence = ConfidenceMedium
		default:
			r.Confidence = ConfidenceLow
		}
		if r.Tenant == "" {
			for _, m := range r.MX {
				if m.Provider == best.ID {
					r.Tenant = providers.Tenant(cat.ByKey(m.Product), m.Host)
				}
			}
		}
		d.reseller(best.ID)
	case primary.Provider == ProviderSelfHosted:
		r.Mailbox = ProviderSelfHosted
		r.Confidence = ConfidenceMedium
		r.MailboxEvidence = []string{fmt.Sprintf("mx %d %s (under the domain itself)", primary.Preference, primary.Host)}
	default:
		r.Mailbox = ProviderUnknown
	}
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
	add := func(p *providers.Provider, w int, ev string) {
		if p != nil && hostsMailboxes(p.Kind) {
			sigs = append(sigs, signal{p, w, ev})
		}
	}
	for _, m := range r.MX[1:] {
		add(cat.ByKey(m.Product), weightMX, fmt.Sprintf("mx %d %s", m.Preference, m.Host))
	}
	if d.s.opts.Checks[CheckMailbox] && ctx.Err() == nil {
		d.probeDKIM(ctx, add)
		a := d.s.dns.Query(ctx, "autodiscover."+r.Domain, dns.TypeCNAME)
		for _, rr := range a.Records {
			if c, ok := rr.(*dns.CNAME); ok {
				t := normalizeName(c.Target)
				add(cat.MatchAutodiscover(t), weightAutodiscover, "autodiscover cname "+t)
			}
		}
		txts, _ := d.s.dns.LookupTXT(ctx, r.Domain)
		for _, t := range txts {
			if p := cat.MatchToken(t); p != nil {
				add(p, weightToken, "txt "+tokenPrefix(t))
			}
		}
	}
	if d.spf != nil {
		for _, t := range d.spf.Targets {
			add(cat.MatchSPF(t.Name), weightSPF, fmt.Sprintf("spf %s:%s", t.Mechanism, t.Name))
		}
	}
	return sigs
}

// probeDKIM asks for the DKIM selectors the catalog's mailbox providers
// use. A CNAME into the provider's domain is tenant-specific; a key under a
// provider-specific selector is good evidence too.
func (d *domainScan) probeDKIM(ctx context.Context, add func(*providers.Provider, int, string)) {
	for _, sel := range d.s.selectors() {
		name := sel.selector + "._domainkey." + d.r.Domain
		if sel.cname {
			a := d.s.dns.Query(ctx, name, dns.TypeCNAME)
			for _, rr := range a.Records {
				if c, ok := rr.(*dns.CNAME); ok {
					t := normalizeName(c.Target)
					add(d.s.cat.MatchDKIM(t), weightDKIMCNAME, "dkim "+sel.selector+" cname "+t)
				}
			}
			continue
		}
		a := d.s.dns.Query(ctx, name, dns.TypeTXT)
		if a.Status != resolve.StatusOK {
			continue
		}
		for _, rr := range a.Records {
			if t, ok := rr.(*dns.TXT); ok && strings.Contains(strings.ToLower(resolve.TXTString(t)), "p=") {
				add(sel.provider, weightDKIMKey, "dkim "+sel.selector+" key published")
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

// pickMailbox returns the provider with the highest summed weight, its
// score, and its strongest single signal. Ties go to the provider whose
// signal came first (the strongest kind).
func pickMailbox(sigs []signal) (best *providers.Provider, score, top int) {
	scores := map[string]int{}
	tops := map[string]int{}
	var order []*providers.Provider
	for _, s := range sigs {
		if _, ok := scores[s.provider.ID]; !ok {
			order = append(order, s.provider)
		}
		scores[s.provider.ID] += s.weight
		tops[s.provider.ID] = max(tops[s.provider.ID], s.weight)
	}
	for _, p := range order {
		if best == nil || scores[p.ID] > score {
			best, score, top = p, scores[p.ID], tops[p.ID]
		}
	}
	return best, score, top
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
