package scanner

import (
	"cmp"
	"hash/maphash"
	"math"
	"slices"
	"strings"
	"time"
)

// Meta describes a scan: the header of every report.
type Meta struct {
	Schema    int       `json:"schema"`
	Tool      string    `json:"tool"`
	Version   string    `json:"version"`
	Started   time.Time `json:"started"`
	Resolvers []string  `json:"resolvers"`
	Catalog   string    `json:"catalog"`
	Checks    string    `json:"checks"`
	// Replay is set when the results were derived again from an evidence
	// file (mxscope replay): Version and Catalog above are the rules and
	// catalog applied, Started is when that scan asked DNS.
	Replay *Replay `json:"replay,omitempty"`
	// TargetsSHA256 identifies the targets list: the hex SHA-256 of the
	// targets as read (domains, labels, invalid entries with their lines),
	// so that --resume can refuse a report of another list.
	TargetsSHA256 string `json:"targets_sha256,omitempty"`
	// Shard is "K/N" when the scan covered only shard K of N of the list
	// (targets.Shard); mxscope merge puts the N shards back together.
	Shard string `json:"shard,omitempty"`
}

// Replay says where replayed results come from.
type Replay struct {
	Evidence string    `json:"evidence"` // the evidence file, as named
	Version  string    `json:"version"`  // the mxscope that scanned
	Catalog  string    `json:"catalog"`  // the catalog that scan applied
	Replayed time.Time `json:"replayed"` // when the replay ran
	Complete bool      `json:"complete"` // the evidence holds every target of a finished scan
}

// Count is how many targets sit on one provider in one layer.
type Count struct {
	ID    string `json:"id"`
	Count int    `json:"count"`
}

// TenantGroup is a set of targets whose MX names the same customer tenant
// of one provider: two campaigns on one tenant share one mail system.
type TenantGroup struct {
	Provider string   `json:"provider"`
	Tenant   string   `json:"tenant"`
	Domains  []string `json:"domains"`
}

// Summary counts a scan's results. Provider layers count only domains whose
// lookups succeeded, so a timeout never counts as "unknown provider".
type Summary struct {
	Targets       int              `json:"targets"`
	Statuses      map[Status]int   `json:"statuses"`
	Scanned       int              `json:"scanned"` // targets with status ok
	Provider      []Count          `json:"provider"`
	Gateway       []Count          `json:"gateway"`
	Mailbox       []Count          `json:"mailbox"`
	Senders       []Count          `json:"senders"`
	SharedTenants []TenantGroup    `json:"shared_tenants"`
	Findings      map[Severity]int `json:"findings"`
	// Failed counts targets whose own lookup failed (every status but ok
	// and invalid); Invalid, entries that are not domains. Targets is
	// Scanned + Failed + Invalid: listed = resolved + failed + invalid.
	Failed  int `json:"failed"`
	Invalid int `json:"invalid"`
	// FindingTargets counts, per finding id, the resolved targets with at
	// least one such finding ("12 of 52 have no DMARC"), worst severity
	// first, then most common.
	FindingTargets []FindingCount `json:"finding_targets"`
	// Match counts what a --provider filter found, out of the whole
	// scan: Targets listed, Scanned resolved. Nil without a filter.
	Match *MatchCount `json:"match,omitempty"`
	// Partial says the scan was interrupted: the report holds only the
	// targets scanned before it stopped.
	Partial bool `json:"partial,omitempty"`
	// MailboxConfident is the mailbox layer at medium or high confidence
	// only: the answers worth a chart (the html report's).
	MailboxConfident []Count `json:"mailbox_confident"`
	// SPF counts resolved targets by SPF status. DMARC counts them by the
	// policy receivers apply (reject, quarantine, none: RFC 9989, one
	// step lower than p= with t=y) or by what stands in for one (missing,
	// invalid, temperror); DMARCTesting, the records among them that say
	// t=y. A target whose check did not run is in neither.
	SPF          []Count `json:"spf"`
	DMARC        []Count `json:"dmarc"`
	DMARCTesting int     `json:"dmarc_testing"`
}

// FindingCount is how many resolved targets have one finding id.
type FindingCount struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Targets  int      `json:"targets"`
}

// MatchCount is what a --provider filter found. A target counts once, in
// the first layer that matched it: MX, then mailbox, then possible.
type MatchCount struct {
	Providers      []string `json:"providers"`       // the filter
	MX             int      `json:"mx"`              // targets with an MX host on one of the providers
	Mailbox        int      `json:"mailbox"`         // the rest whose mailbox host is one of them, medium or high confidence
	Possible       int      `json:"possible"`        // the rest whose mailbox host is one of them with low confidence
	PossibleListed bool     `json:"possible_listed"` // whether possible matches were listed (--possible)
}

// Summarizer accumulates a Summary as results stream past. Its memory grows
// with the number of distinct providers and tenants, not with the rows.
type Summarizer struct {
	s                                   Summary
	provider, gateway, mailbox, senders map[string]int
	filter                              []string // the --provider filter, when there is one
	// confident, spf and dmarc count MailboxConfident, SPF and DMARC.
	confident, spf, dmarc map[string]int
	// tenants maps a hash of (provider, tenant) to the first domain seen
	// on it, and to its group once a second domain shares it. Most tenants
	// have one domain, so a million rows cost a hash and a name each, kept
	// free of pointers (names in one byte arena) so that the collector
	// never scans them: as pointers they were, measured, about half of a
	// 1M-domain scan's live heap and made every late GC cycle dearer.
	seed    maphash.Seed
	tenants map[uint64]tenantRef
	firsts  []byte // the first domain of each tenant, back to back
	groups  []*TenantGroup
	// byID counts targets per finding id; the ids come from the rules, so
	// it stays as small as the rule table.
	byID map[string]*FindingCount
}

// tenantRef locates a tenant's first domain in Summarizer.firsts.
type tenantRef struct {
	off   uint32 // start of its first domain in firsts
	n     uint8  // its length (a DNS name has at most 253 bytes)
	group int32  // index in groups plus one; 0 while the tenant has one domain
}

// maxGroupDomains caps the names listed per shared tenant: a summary lists
// examples, not every row.
const maxGroupDomains = 20

// NewSummarizer returns an empty Summarizer.
func NewSummarizer() *Summarizer {
	return &Summarizer{
		s:        Summary{Statuses: map[Status]int{}, Findings: map[Severity]int{}},
		provider: map[string]int{}, gateway: map[string]int{}, mailbox: map[string]int{}, senders: map[string]int{},
		seed: maphash.MakeSeed(), tenants: map[uint64]tenantRef{},
		byID: map[string]*FindingCount{},
	}
}

// Filter makes the summary count what a --provider filter over ids finds
// (Summary.Match), while Add still counts every result of the scan, so
// that a match is told as "N of M resolved", never "N of N". listed says
// whether possible matches are listed.
func (z *Summarizer) Filter(ids []string, listed bool) {
	z.filter = slices.Clone(ids)
	z.s.Match = &MatchCount{Providers: z.filter, PossibleListed: listed}
}

// Add counts one result.
func (z *Summarizer) Add(r *Result) {
	z.s.Targets++
	z.s.Statuses[r.Status]++
	for _, f := range r.Findings {
		z.s.Findings[f.Severity]++
	}
	switch r.Status {
	case StatusOK:
	case StatusInvalid:
		z.s.Invalid++
		return
	default:
		z.s.Failed++
		return
	}
	z.s.Scanned++
	z.countFindingIDs(r.Findings)
	if z.s.Match != nil {
		z.addMatch(r)
	}
	z.provider[r.Provider]++
	if r.Gateway != "" {
		z.gateway[r.Gateway]++
	}
	if r.Mailbox != "" {
		z.mailbox[r.Mailbox]++
	}
	for _, s := range r.Senders {
		z.senders[s]++
	}
	if r.Tenant != "" && r.Provider != "" {
		z.addTenant(r.Provider, r.Tenant, r.Domain)
	}
	z.addPosture(r)
}

// addPosture counts a resolved target's confident mailbox host, SPF status
// and DMARC state.
func (z *Summarizer) addPosture(r *Result) {
	if z.dmarc == nil {
		z.confident, z.spf, z.dmarc = map[string]int{}, map[string]int{}, map[string]int{}
	}
	if r.Mailbox != "" && (r.Confidence == ConfidenceHigh || r.Confidence == ConfidenceMedium) {
		z.confident[r.Mailbox]++
	}
	if r.SPF.Status != "" {
		z.spf[r.SPF.Status]++
	}
	if st := dmarcState(r.DMARC); st != "" {
		z.dmarc[st]++
	}
	if r.DMARC.Status == "ok" && r.DMARC.Testing {
		z.s.DMARCTesting++
	}
}

// dmarcState is how Summary.DMARC counts a DMARC result: the applied
// policy, or missing, multiple (no policy because several records were
// discarded: the owner published one too many, not none), invalid,
// temperror; "" when it was not checked.
func dmarcState(d DMARC) string {
	switch d.Status {
	case "ok":
		if d.AppliedPolicy != "" {
			return d.AppliedPolicy
		}
		if d.Policy != "" {
			return d.Policy
		}
	case "none":
		if len(d.MultipleRecords) > 0 {
			return "multiple"
		}
		return "missing"
	}
	return d.Status
}

// countFindingIDs counts one target once under each finding id it has.
func (z *Summarizer) countFindingIDs(fs []Finding) {
	for i, f := range fs {
		seen := false
		for _, g := range fs[:i] {
			if g.ID == f.ID {
				seen = true
				break
			}
		}
		if seen {
			continue
		}
		c := z.byID[f.ID]
		if c == nil {
			c = &FindingCount{ID: strings.Clone(f.ID), Severity: f.Severity}
			z.byID[c.ID] = c
		}
		c.Targets++
	}
}

// addMatch counts a result in the first layer the filter found it in.
func (z *Summarizer) addMatch(r *Result) {
	found := MatchProviders(r, z.filter)
	for _, l := range []Layer{LayerMX, LayerMailbox, LayerPossible} {
		if slices.ContainsFunc(found, func(m Match) bool { return m.Layer == l }) {
			switch l {
			case LayerMX:
				z.s.Match.MX++
			case LayerMailbox:
				z.s.Match.Mailbox++
			default:
				z.s.Match.Possible++
			}
			return
		}
	}
}

func (z *Summarizer) addTenant(provider, tenant, domain string) {
	var h maphash.Hash
	h.SetSeed(z.seed)
	h.WriteString(provider)
	h.WriteByte(0)
	h.WriteString(tenant)
	k := h.Sum64()
	ref, seen := z.tenants[k]
	switch {
	case !seen:
		if len(domain) > math.MaxUint8 || len(z.firsts) > math.MaxUint32-math.MaxUint8 {
			return // not a DNS name, or 4 GiB of names: not worth a group
		}
		z.tenants[k] = tenantRef{off: uint32(len(z.firsts)), n: uint8(len(domain))}
		z.firsts = append(z.firsts, domain...)
	case ref.group == 0:
		first := string(z.firsts[ref.off : ref.off+uint32(ref.n)])
		z.groups = append(z.groups, &TenantGroup{Provider: provider, Tenant: strings.Clone(tenant), Domains: []string{first, domain}})
		ref.group = int32(len(z.groups))
		z.tenants[k] = ref
	default:
		if g := z.groups[ref.group-1]; len(g.Domains) < maxGroupDomains {
			g.Domains = append(g.Domains, domain)
		}
	}
}

// Summary returns the counts so far, providers most common first.
func (z *Summarizer) Summary() Summary {
	s := z.s
	if s.Match != nil {
		m := *s.Match
		m.Providers = slices.Clone(m.Providers)
		s.Match = &m
	}
	s.Provider, s.Gateway, s.Mailbox, s.Senders = counts(z.provider), counts(z.gateway), counts(z.mailbox), counts(z.senders)
	s.MailboxConfident, s.SPF, s.DMARC = counts(z.confident), counts(z.spf), counts(z.dmarc)
	s.SharedTenants = []TenantGroup{}
	for _, g := range z.groups {
		s.SharedTenants = append(s.SharedTenants, TenantGroup{Provider: g.Provider, Tenant: g.Tenant, Domains: slices.Clone(g.Domains)})
	}
	s.FindingTargets = make([]FindingCount, 0, len(z.byID))
	for _, c := range z.byID {
		s.FindingTargets = append(s.FindingTargets, *c)
	}
	slices.SortFunc(s.FindingTargets, func(a, b FindingCount) int {
		if c := cmp.Compare(b.Severity.Rank(), a.Severity.Rank()); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Targets, a.Targets); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return s
}

func counts(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for id, n := range m {
		out = append(out, Count{id, n})
	}
	slices.SortFunc(out, func(a, b Count) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}
