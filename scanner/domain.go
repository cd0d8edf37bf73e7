package scanner

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"
	"golang.org/x/net/publicsuffix"

	"github.com/mxscope/mxscope/providers"
	"github.com/mxscope/mxscope/scanner/dmarc"
	"github.com/mxscope/mxscope/scanner/mtasts"
	"github.com/mxscope/mxscope/scanner/resolve"
	"github.com/mxscope/mxscope/scanner/smtptls"
	"github.com/mxscope/mxscope/scanner/spf"
)

// domainScan carries what one domain's lookups found that the Result does
// not show directly but attribution and findings need.
type domainScan struct {
	s        *Scanner
	r        *Result
	spf      *spf.Analysis
	dmarc    *dmarc.Result
	external []dmarc.ExternalCheck
	// a null MX stood beside real MX records (RFC 7505 §3 forbids it)
	nullMixed bool
	// per MX host: what its address lookups said (nil without the addr check)
	mxFacts map[string]hostFacts
	reg     string // the scanned domain's registered domain, once asked for
	// the domain's own answer (MX, or apex TXT without the mx check) and
	// its type, which DNSSEC reads
	apex     resolve.Answer
	apexType uint16
	// per MX host: its TLSA answer (nil without the dane check)
	daneFacts map[string]daneFacts
	dkim      dkimProbes // what the DKIM selectors said (the dkim check)
	// the MTA-STS policy fetched, with all its mx patterns (the Result keeps a few)
	stsPolicy *mtasts.Policy
	// MX hosts whose addresses were not looked up: past MaxMXAddressLookups
	mxUnchecked int
	// MX hosts not listed in the row: past MaxMXListed
	mxUnlisted int
}

// MaxMXListed caps the MX hosts a row lists, in preference order. A row
// waits in memory until the rows before it are written, and one with
// 3,000 MX hosts took about 350 KB: a thousand of them took the scan past
// its memory bound. The most preferred host, which names the provider, is
// always listed.
const MaxMXListed = 100

// MaxMXAddressLookups caps the MX hosts of one domain that are looked up
// (their addresses, A and AAAA; or whether they are aliases; and their TLSA
// records), in preference order. Real domains have a handful; a hostile one
// listed 3,000, which cost 6,025 queries. Hosts past the cap keep their
// provider but no address or status, and the row's lookups-capped finding
// says how many were left.
const MaxMXAddressLookups = 32

type hostFacts struct {
	status  resolve.Status
	literal bool // the exchange is an IP address, not a host name
	// what the AAAA lookup said: nodata means the host has no IPv6 address
	v6 resolve.Status
}

// registered returns the scanned domain's registered domain (eTLD+1), or
// the domain itself when the public suffix list has none.
func (d *domainScan) registered() string {
	if d.reg == "" {
		if d.reg, _ = publicsuffix.EffectiveTLDPlusOne(d.r.Domain); d.reg == "" {
			d.reg = d.r.Domain
		}
	}
	return d.reg
}

// chain is one of a domain's independent lookup chains. The chains of a
// domain run concurrently and each writes only its own fields of the
// Result; attribution and findings wait for all of them.
type chain uint8

const (
	chainMX      chain = iota // MX, its hosts' addresses (or the apex TXT, for a status, without the mx check)
	chainSPF                  // the SPF walk
	chainDMARC                // DMARC discovery and external report authorisations
	chainSMTPTLS              // MTA-STS and TLS-RPT records, and the MTA-STS policy over HTTPS
	chainDKIM                 // _domainkey and the DKIM selectors every domain is asked for
	chainBIMI                 // the BIMI record
)

// chains lists the lookup chains the checks need; the MX chain always runs,
// because it gives the domain its status.
func (c Checks) chains() []chain {
	cs := []chain{chainMX}
	if c[CheckSPF] {
		cs = append(cs, chainSPF)
	}
	if c[CheckDMARC] {
		cs = append(cs, chainDMARC)
	}
	if c[CheckMTASTS] || c[CheckTLSRPT] || c[CheckMTASTSPolicy] {
		cs = append(cs, chainSMTPTLS)
	}
	if c[CheckDKIM] {
		cs = append(cs, chainDKIM)
	}
	if c[CheckBIMI] {
		cs = append(cs, chainBIMI)
	}
	return cs
}

func newDomainScan(s *Scanner, r *Result) *domainScan {
	return &domainScan{s: s, r: r}
}

// run runs one lookup chain.
func (d *domainScan) run(ctx context.Context, c chain) {
	switch c {
	case chainMX:
		if d.s.opts.Checks[CheckMX] {
			d.lookupMX(ctx)
		} else {
			d.lookupApex(ctx)
		}
		d.lookupDNSSEC(ctx)
		d.lookupDANE(ctx)
	case chainSPF:
		d.lookupSPF(ctx)
	case chainDMARC:
		d.lookupDMARC(ctx)
	case chainSMTPTLS:
		d.lookupSMTPTLS(ctx)
	case chainDKIM:
		d.lookupDKIM(ctx)
	case chainBIMI:
		d.lookupBIMI(ctx)
	}
}

// lookupApex gives the domain its status without the mx check, from its
// apex TXT lookup, which the SPF walk shares through the cache.
func (d *domainScan) lookupApex(ctx context.Context) {
	r := d.r
	a := d.s.dns.Query(ctx, r.Domain, dns.TypeTXT)
	d.apex, d.apexType = apexFacts(a), dns.TypeTXT
	r.Status = statusOf(a.Status)
	if r.Status != StatusOK {
		r.Error = d.lookupError("", a)
	}
}

// conclude attributes the domain and evaluates its findings, once every
// chain has finished.
func (d *domainScan) conclude(ctx context.Context) {
	d.attribute(ctx)
	if d.s.opts.Checks[CheckDKIM] {
		d.concludeDKIM(ctx) // the selectors of the providers attribution found
	}
	d.r.Parked = d.parked()
	d.r.Findings = evaluate(d)
}

func answerError(a resolve.Answer) string {
	if a.Err != nil {
		return sanitizeError(a.Err.Error())
	}
	return string(a.Status)
}

// sanitizeError keeps error text to one printable line; errors can quote
// DNS data.
func sanitizeError(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// apexFacts keeps of the domain's own answer what the DNSSEC status reads
// (dnssecOf: its status, AD flag and cause), not its records: an MX answer
// may hold thousands, and a domainScan lives until its last lookup ends;
// 256 domains in flight keeping 3,000 MX records each took a scan past its
// memory bound.
func apexFacts(a resolve.Answer) resolve.Answer {
	return resolve.Answer{Status: a.Status, Rcode: a.Rcode, Err: a.Err, AD: a.AD, Server: a.Server, TCP: a.TCP, TC: a.TC}
}

func (d *domainScan) lookupMX(ctx context.Context) {
	r, s := d.r, d.s
	a := s.dns.Query(ctx, r.Domain, dns.TypeMX)
	d.apex, d.apexType = apexFacts(a), dns.TypeMX
	r.Status = statusOf(a.Status)
	switch a.Status {
	case resolve.StatusOK:
		r.Mail = MailMX
		null := false
		for _, rr := range a.Records {
			mx, ok := rr.(*dns.MX)
			if !ok {
				continue
			}
			host := normalizeName(mx.Mx)
			if host == "" {
				// "MX 0 ." is RFC 7505's null MX; it means nothing
				// when other MX records stand beside it.
				null = true
				continue
			}
			r.MX = append(r.MX, MX{Preference: mx.Preference, Host: host})
		}
		slices.SortStableFunc(r.MX, func(a, b MX) int {
			if a.Preference != b.Preference {
				return int(a.Preference) - int(b.Preference)
			}
			return strings.Compare(a.Host, b.Host)
		})
		r.MX = slices.CompactFunc(r.MX, func(a, b MX) bool {
			return a.Preference == b.Preference && a.Host == b.Host
		})
		if n := len(r.MX); n > MaxMXListed {
			d.mxUnlisted = n - MaxMXListed
			r.MX = slices.Clone(r.MX[:MaxMXListed]) // a copy: the rest must not stay reachable
		}
		if null && len(r.MX) == 0 {
			r.Mail = MailNullMX
		}
		d.nullMixed = null && len(r.MX) > 0
		d.classifyMX()
		if s.opts.Checks[CheckAddr] {
			d.lookupMXAddresses(ctx)
		} else {
			d.lookupMXAliases(ctx)
		}
		d.classifyAliases()
	case resolve.StatusNoData:
		d.implicitMX(ctx)
	case resolve.StatusNXDomain:
		r.Mail = MailNone
		r.Error = "the domain does not exist (NXDOMAIN)"
	default:
		r.Mail = MailUnknown
		r.Error = d.lookupError("MX lookup failed: ", a)
	}
}

// lookupError explains the domain's own failed lookup: the per-domain
// deadline in words when it was what cut the lookup short (the status is
// then timeout), else the answer's cause after prefix.
func (d *domainScan) lookupError(prefix string, a resolve.Answer) string {
	if a.Status == resolve.StatusTimeout && errors.Is(a.Err, context.DeadlineExceeded) {
		return fmt.Sprintf("no answer within the per-domain deadline (--domain-timeout %s)", d.s.opts.DomainTimeout)
	}
	return prefix + answerError(a)
}

// implicitMX applies RFC 5321 §5.1: with no MX records, mail goes to the
// domain's own address, if it has one.
func (d *domainScan) implicitMX(ctx context.Context) {
	r := d.r
	addrs, st, _, _ := d.addresses(ctx, r.Domain)
	switch {
	case len(addrs) > 0:
		r.Mail = MailImplicit
		r.MX = []MX{{Preference: 0, Host: r.Domain, Provider: ProviderSelfHosted, Addresses: addrs, Status: resolve.StatusOK}}
	case st == resolve.StatusNoData || st == resolve.StatusNXDomain:
		r.Mail = MailNone
	default:
		r.Mail = MailUnknown
		r.Error = "no MX records, and the address lookup for implicit MX failed: " + string(st)
	}
}

// addresses resolves A and AAAA for name. The status is ok when either
// answered with addresses, an error status when either failed, and
// otherwise nodata or nxdomain. canonical is the end of the CNAME chain
// when name is an alias, else "". v6 is the AAAA answer's own status.
func (d *domainScan) addresses(ctx context.Context, name string) (addrs []string, st resolve.Status, canonical string, v6 resolve.Status) {
	a4 := d.s.dns.Query(ctx, name, dns.TypeA)
	a6 := d.s.dns.Query(ctx, name, dns.TypeAAAA)
	var out []string
	if n := len(a4.CNAMEs); n > 0 {
		canonical = a4.CNAMEs[n-1]
	} else if n := len(a6.CNAMEs); n > 0 {
		canonical = a6.CNAMEs[n-1]
	}
	for _, a := range []resolve.Answer{a4, a6} {
		for _, rr := range a.Records {
			switch v := rr.(type) {
			case *dns.A:
				if ip, ok := netip.AddrFromSlice(v.A); ok {
					out = append(out, ip.Unmap().String())
				}
			case *dns.AAAA:
				if ip, ok := netip.AddrFromSlice(v.AAAA); ok {
					out = append(out, ip.String())
				}
			}
		}
	}
	v6 = a6.Status
	switch {
	case len(out) > 0:
		return out, resolve.StatusOK, canonical, v6
	case !a4.Void():
		return nil, a4.Status, canonical, v6
	case !a6.Void():
		return nil, a6.Status, canonical, v6
	case a4.Status == resolve.StatusNXDomain || a6.Status == resolve.StatusNXDomain:
		return nil, resolve.StatusNXDomain, canonical, v6
	}
	return nil, resolve.StatusNoData, canonical, v6
}

func (d *domainScan) lookupMXAddresses(ctx context.Context) {
	n := min(len(d.r.MX), MaxMXAddressLookups)
	d.mxUnchecked = len(d.r.MX) - n
	d.mxFacts = make(map[string]hostFacts, n)
	for i := range n {
		m := &d.r.MX[i]
		if isAddress(m.Host) {
			d.mxFacts[m.Host] = hostFacts{status: resolve.StatusOK, literal: true}
			m.Status = resolve.StatusOK
			continue
		}
		addrs, st, canonical, v6 := d.addresses(ctx, m.Host)
		m.Addresses, m.Status, m.Canonical = addrs, st, canonical
		d.mxFacts[m.Host] = hostFacts{status: st, v6: v6}
	}
}

// maxAliasHops bounds the CNAME queries that follow one MX host's chain
// without the addr check.
const maxAliasHops = 8

// lookupMXAliases finds, without the addr check, which MX hosts the
// catalog does not know are aliases: the address lookups that would show
// the CNAME chain do not run, and one CNAME query per such host (a
// recursive resolver answers it with the first link only) costs little.
// Hosts the catalog knows are a provider's own names and are not asked.
func (d *domainScan) lookupMXAliases(ctx context.Context) {
	n := min(len(d.r.MX), MaxMXAddressLookups)
	d.mxUnchecked = len(d.r.MX) - n
	for i := range n {
		m := &d.r.MX[i]
		if m.Product != "" || isAddress(m.Host) {
			continue
		}
		name := m.Host
		for range maxAliasHops {
			a := d.s.dns.Query(ctx, name, dns.TypeCNAME)
			next := ""
			for _, rr := range a.Records {
				if c, ok := rr.(*dns.CNAME); ok {
					next = normalizeName(c.Target)
					break
				}
			}
			if next == "" || next == m.Host || next == name {
				break
			}
			name = next
		}
		if name != m.Host {
			m.Canonical = name
		}
	}
}

func isAddress(host string) bool {
	_, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil
}

// classifyMX names the provider of every MX host by its own name.
func (d *domainScan) classifyMX() {
	for i := range d.r.MX {
		d.classifyHost(&d.r.MX[i], d.r.MX[i].Host)
	}
}

// classifyAliases names the provider of an MX host that is an alias by its
// canonical name, where mail really goes: mx.campaign.example CNAME
// campaign-example.mail.protection.outlook.com is Microsoft's. A host the
// catalog knows by its own name keeps it.
func (d *domainScan) classifyAliases() {
	for i := range d.r.MX {
		if m := &d.r.MX[i]; m.Canonical != "" && m.Product == "" {
			d.classifyHost(m, m.Canonical)
		}
	}
}

// classifyHost sets m's provider from name: the catalog entry whose MX
// pattern it matches; else self-hosted when it is the domain or under its
// registered domain, unknown otherwise; and, for those, the vendor whose
// appliance it names (fortimail.example.fi), run by the host's owner.
func (d *domainScan) classifyHost(m *MX, name string) {
	m.Provider, m.Product, m.Appliance = "", "", ""
	if p := d.s.cat.MatchMX(name); p != nil {
		m.Provider, m.Product = p.ID, p.Key
		return
	}
	reg := d.registered()
	if name == d.r.Domain || providers.IsSubdomainOf(name, reg) {
		m.Provider = ProviderSelfHosted
	} else {
		m.Provider = ProviderUnknown
		if reg, _ = publicsuffix.EffectiveTLDPlusOne(name); reg == "" {
			return
		}
	}
	if p := d.s.cat.MatchAppliance(name, reg); p != nil {
		m.Appliance = p.ID
	}
}

func (d *domainScan) lookupSPF(ctx context.Context) {
	a := spf.Walk(ctx, d.s.dns, d.r.Domain, spf.WalkOptions{Parsed: d.s.spfParsed})
	d.spf = a
	out := SPF{
		Status:      string(a.Status),
		Record:      a.Record,
		All:         string(a.All),
		Lookups:     a.Lookups,
		VoidLookups: a.VoidLookups,
		Error:       a.Err,
	}
	var walk func(ns []*spf.Node) []*SPFNode
	walk = func(ns []*spf.Node) []*SPFNode {
		var tree []*SPFNode
		for _, n := range ns {
			out.Includes = append(out.Includes, n.Name)
			tree = append(tree, &SPFNode{Name: n.Name, Via: n.Via, Status: string(n.Status), Error: n.Err, Children: walk(n.Children)})
		}
		return tree
	}
	out.Tree = walk(a.Includes)
	d.r.SPF = out
}

func (d *domainScan) lookupDMARC(ctx context.Context) {
	res := dmarc.Discover(ctx, d.s.dns, d.r.Domain, dmarc.DomainExistence(d.existence))
	d.dmarc = res
	if res.Status == dmarc.StatusOK && !res.PSD {
		// Reports to another organization need its consent in DNS
		// (RFC 7489 §7.1); only external addresses cost a query. A Public
		// Suffix Domain's reporting addresses are not the domain's.
		d.external = dmarc.CheckExternal(ctx, d.s.dns, strings.TrimPrefix(res.Source, "_dmarc."), res.Parsed)
	}
	out := DMARC{
		Status:          string(res.Status),
		Record:          res.Record,
		Source:          res.Source,
		Inherited:       res.Inherited,
		OrgDomain:       res.OrgDomain,
		Error:           res.Err,
		Policy:          string(res.Policy),
		AppliedPolicy:   string(res.Applied),
		Testing:         res.Testing,
		PSDPolicy:       res.PSD,
		MultipleRecords: res.Multiple,
		Warnings:        append(slices.Clip(res.Notes), res.Warnings...),
	}
	if p := res.Parsed; p != nil {
		out.SubdomainPolicy = string(p.SubdomainPolicy)
		out.NonexistentPolicy = string(p.NonexistentPolicy)
		pct := p.Pct
		out.Pct = &pct
		for _, u := range p.RUA {
			out.RUA = append(out.RUA, u.Raw)
		}
		for _, u := range p.RUF {
			out.RUF = append(out.RUF, u.Raw)
		}
	}
	d.r.DMARC = out
}

// existence tells DMARC discovery whether the domain exists (RFC 9989
// Appendix A.4: NXDOMAIN says it does not). It asks what the MX chain asks
// (the MX, or without the mx check the apex TXT), so the cache answers it
// from that one query, and only when an inherited record's np and sp differ.
func (d *domainScan) existence(ctx context.Context) dmarc.Existence {
	qtype := dns.TypeTXT
	if d.s.opts.Checks[CheckMX] {
		qtype = dns.TypeMX
	}
	switch d.s.dns.Query(ctx, d.r.Domain, qtype).Status {
	case resolve.StatusNXDomain:
		return dmarc.NotExists
	case resolve.StatusOK, resolve.StatusNoData:
		return dmarc.Exists
	}
	return dmarc.ExistenceUnknown
}

func (d *domainScan) lookupSMTPTLS(ctx context.Context) {
	checks := d.s.opts.Checks
	if checks[CheckMTASTS] || checks[CheckMTASTSPolicy] {
		p := smtptls.LookupMTASTS(ctx, d.s.dns, d.r.Domain)
		d.r.MTASTS = Policy{Status: string(p.Status), Record: p.Record, Error: p.Err}
		if checks[CheckMTASTSPolicy] && p.Status == smtptls.StatusOK {
			d.r.MTASTS.Policy = d.fetchSTSPolicy(ctx)
		}
	}
	if d.s.opts.Checks[CheckTLSRPT] {
		p := smtptls.LookupTLSRPT(ctx, d.s.dns, d.r.Domain)
		d.r.TLSRPT = Policy{Status: string(p.Status), Record: p.Record, Error: p.Err}
	}
}

// normalizeName lower-cases a DNS name and drops the trailing dot. The root
// becomes "".
func normalizeName(s string) string {
	return strings.TrimSuffix(strings.ToLower(s), ".")
}
