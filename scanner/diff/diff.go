// Package diff compares two scans, result by result: what moved (MX hosts,
// provider, gateway, mailbox), whether SPF, DMARC and the posture checks
// (DNSSEC, DANE, DKIM, the MTA-STS policy, BIMI) got stronger or weaker,
// which findings appeared or went away, which targets came and went.
//
// It exists so that a reporter can say what changed since last month, a
// researcher what moved between two runs, and a campaign's CI when DMARC
// weakened or mail moved. It promises never to read a failure as a change of
// the records: when a lookup failed in either run, the field is "could not
// compare" (KindUncompared), never "record removed". It reads reports as
// they stream, holding only an index of the old report (its keys and
// offsets), never its rows.
package diff

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/targets"
)

// Schema is the version of the diff output contract (README, "Comparing two
// scans"), separate from the scan report's.
const Schema = 1

// Kind says what happened between the two runs.
type Kind string

const (
	KindAdded        Kind = "added"             // a target, or a finding, that is new in the new run
	KindRemoved      Kind = "removed"           // a target the new run did not scan
	KindResolved     Kind = "resolved"          // a finding of the old run that is gone
	KindChanged      Kind = "changed"           // a value changed, neither stronger nor weaker
	KindStrengthened Kind = "strengthened"      // stronger, in README's order for the field
	KindWeakened     Kind = "weakened"          // weaker, in README's order for the field
	KindUncompared   Kind = "could-not-compare" // a lookup failed in either run: nothing is claimed
)

// Field names what a Change is about.
type Field string

const (
	FieldTarget   Field = "target"   // the target itself (added, removed)
	FieldStatus   Field = "status"   // the domain's own status
	FieldMX       Field = "mx"       // the MX hosts with their preferences, or how mail is received without them
	FieldProvider Field = "provider" // the most preferred MX's provider
	FieldGateway  Field = "gateway"  // the security gateway or forwarder in front
	FieldMailbox  Field = "mailbox"  // the mailbox host
	FieldSPF      Field = "spf"      // SPF strength, or the record
	FieldDMARC    Field = "dmarc"    // DMARC strength, or the record
	FieldFinding  Field = "finding"  // one finding id

	FieldDNSSEC       Field = "dnssec"         // the domain's DNSSEC status
	FieldTLSA         Field = "tlsa"           // one MX host's TLSA records (DANE)
	FieldDKIM         Field = "dkim"           // DKIM keys, or one selector's key
	FieldMTASTSPolicy Field = "mta-sts-policy" // what MTA-STS asks of senders: the policy's mode, or its mx patterns
	FieldBIMI         Field = "bimi"           // the BIMI record
)

// Change is one line of a diff: one field of one target.
type Change struct {
	Domain   string           `json:"domain"`
	Input    string           `json:"input,omitempty"` // the entry as written, for a target that is not a valid domain
	Labels   targets.Labels   `json:"labels,omitempty"`
	Field    Field            `json:"field"`
	Kind     Kind             `json:"change"`
	Old      string           `json:"old,omitempty"`
	New      string           `json:"new,omitempty"`
	Severity scanner.Severity `json:"severity,omitempty"` // of a finding
	Note     string           `json:"note,omitempty"`
}

// Weakens reports whether c is what --fail-on weakened looks for: any
// field weaker (SPF, DMARC, DNSSEC, TLSA, DKIM, the MTA-STS policy), or a
// new finding of low severity or worse.
func (c Change) Weakens() bool {
	return c.Kind == KindWeakened || c.Field == FieldFinding && c.Kind == KindAdded && c.Severity.Rank() >= scanner.SeverityLow.Rank()
}

// Run describes one side of a diff.
type Run struct {
	File     string    `json:"file"`
	Kind     string    `json:"kind"` // "report", or "evidence" (replayed first)
	Started  time.Time `json:"started"`
	Version  string    `json:"version"`  // the mxscope whose rules gave these results
	Catalog  string    `json:"catalog"`  // the catalog they applied
	Checks   string    `json:"checks"`   // the lookups that ran
	Replayed bool      `json:"replayed"` // the results were derived again from evidence
}

// Meta heads a diff.
type Meta struct {
	Schema  int    `json:"schema"`
	Tool    string `json:"tool"`
	Version string `json:"version"`
	Old     Run    `json:"old"`
	New     Run    `json:"new"`
}

// Summary counts a diff.
type Summary struct {
	Old        int          `json:"old"`        // targets in the old run
	New        int          `json:"new"`        // targets in the new run
	Compared   int          `json:"compared"`   // targets in both
	Unchanged  int          `json:"unchanged"`  // of those, with nothing to report
	Changed    int          `json:"changed"`    // of those, with at least one change
	Uncompared int          `json:"uncompared"` // of those, with something that could not be compared
	Added      int          `json:"added"`      // targets only in the new run
	Removed    int          `json:"removed"`    // targets only in the old run
	Changes    map[Kind]int `json:"changes"`    // lines by kind
	Weakened   int          `json:"weakened"`   // lines that meet --fail-on weakened
}

func (s *Summary) count(cs []Change) {
	if s.Changes == nil {
		s.Changes = map[Kind]int{}
	}
	for _, c := range cs {
		s.Changes[c.Kind]++
		if c.Weakens() {
			s.Weakened++
		}
	}
}

// Compare lists what changed between the old and the new result of one
// target, in a fixed order of fields. An empty list: nothing to report.
func Compare(o, n *scanner.Result) []Change {
	var out []Change
	add := func(f Field, k Kind, old, new, note string) {
		out = append(out, Change{Field: f, Kind: k, Old: old, New: new, Note: note})
	}
	switch {
	case failed(o.Status) || failed(n.Status):
		add(FieldStatus, KindUncompared, string(o.Status), string(n.Status), whichFailed(failed(o.Status), failed(n.Status))+": nothing else was compared")
		return label(out, n)
	case o.Status != n.Status:
		add(FieldStatus, KindChanged, string(o.Status), string(n.Status), "")
		return label(out, n)
	case o.Status != scanner.StatusOK:
		return nil // nxdomain or invalid both times
	}

	mxOK := compareMX(o, n, add)
	spfOK := compareSPF(o.SPF, n.SPF, add)
	dmarcOK := compareDMARC(o.DMARC, n.DMARC, add)
	dnssecOK := compareDNSSEC(o.DNSSEC, n.DNSSEC, add)
	daneOK := compareTLSA(o, n, add)
	dkimOK := compareDKIM(o.DKIM, n.DKIM, add)
	stsOK := compareSTSPolicy(o.MTASTS, n.MTASTS, add)
	bimiOK := compareBIMI(o.BIMI, n.BIMI, add)
	compareFindings(o, n, func(id string) bool {
		switch {
		case id == "lookup-failed":
			return false // a failure, not a posture: its coming and going is no change
		case id == "bimi-without-enforcement":
			return bimiOK && dmarcOK
		case strings.HasPrefix(id, "bimi-"):
			return bimiOK
		case strings.HasPrefix(id, "dmarc-"):
			return dmarcOK
		case strings.HasPrefix(id, "spf-"):
			return spfOK
		case strings.HasPrefix(id, "mx-"), strings.HasPrefix(id, "null-mx"), id == "no-mail", id == "implicit-mx":
			return mxOK
		case strings.HasPrefix(id, "dnssec-"):
			return dnssecOK && daneOK // dnssec-bogus is also said of an MX host's TLSA
		case strings.HasPrefix(id, "dane-"):
			return daneOK && mxOK
		case strings.HasPrefix(id, "dkim-"):
			return dkimOK
		case id == "mta-sts-mx-mismatch":
			return stsOK && mxOK
		case strings.HasPrefix(id, "mta-sts-policy-"), id == "mta-sts-testing":
			return stsOK
		case strings.HasPrefix(id, "mta-sts-"):
			return comparable(o.MTASTS.Status) && comparable(n.MTASTS.Status)
		case strings.HasPrefix(id, "tls-rpt-"):
			return comparable(o.TLSRPT.Status) && comparable(n.TLSRPT.Status)
		}
		return true
	}, &out)
	return label(out, n)
}

// label names the target on every change.
func label(cs []Change, r *scanner.Result) []Change {
	for i := range cs {
		cs[i].Domain, cs[i].Labels = r.Domain, r.Labels
		if r.Domain == "" {
			cs[i].Input = r.Input
		}
	}
	return cs
}

// Added and Removed are the lines for a target in one run only.
func Added(n *scanner.Result) Change {
	return label([]Change{{Field: FieldTarget, Kind: KindAdded, New: targetValue(n)}}, n)[0]
}

func Removed(o *scanner.Result) Change {
	return label([]Change{{Field: FieldTarget, Kind: KindRemoved, Old: targetValue(o)}}, o)[0]
}

func targetValue(r *scanner.Result) string {
	if r.Domain == "" {
		return r.Input
	}
	return r.Domain
}

// failed: the domain's own lookup failed, so nothing about it is known.
func failed(s scanner.Status) bool {
	switch s {
	case scanner.StatusServFail, scanner.StatusTimeout, scanner.StatusRefused, scanner.StatusError:
		return true
	}
	return false
}

// comparable: a sub-lookup ran and did not fail.
func comparable(status string) bool { return status != "" && status != "temperror" }

func whichFailed(old, new bool) string {
	switch {
	case old && new:
		return "the lookups failed in both runs"
	case old:
		return "the old run's lookups failed"
	}
	return "the new run's lookups failed"
}

type adder func(f Field, k Kind, old, new, note string)

// compareMX compares how mail is received, then the three layers. It
// reports whether MX-based findings can be compared.
func compareMX(o, n *scanner.Result, add adder) bool {
	switch {
	case o.Mail == "" || n.Mail == "":
		return false // the mx check did not run in one of them
	case o.Mail == scanner.MailUnknown || n.Mail == scanner.MailUnknown:
		add(FieldMX, KindUncompared, mxValue(o), mxValue(n), whichFailed(o.Mail == scanner.MailUnknown, n.Mail == scanner.MailUnknown)+" (MX)")
		return false
	}
	if a, b := mxValue(o), mxValue(n); a != b {
		add(FieldMX, KindChanged, a, b, "")
	}
	if o.Provider != n.Provider {
		add(FieldProvider, KindChanged, o.Provider, n.Provider, "")
	}
	if o.Gateway != n.Gateway {
		add(FieldGateway, KindChanged, o.Gateway, n.Gateway, "")
	}
	if o.Mailbox != n.Mailbox {
		note := ""
		if o.Confidence != n.Confidence {
			note = "confidence " + string(or(o.Confidence)) + " → " + string(or(n.Confidence))
		}
		add(FieldMailbox, KindChanged, o.Mailbox, n.Mailbox, note)
	}
	return true
}

func or(c scanner.Confidence) scanner.Confidence {
	if c == "" {
		return "-"
	}
	return c
}

// mxValue is how mail is received: "10 a.example, 20 b.example", or what
// stands in for MX records.
func mxValue(r *scanner.Result) string {
	switch r.Mail {
	case scanner.MailMX:
		parts := make([]string, len(r.MX))
		for i, m := range r.MX {
			parts[i] = strconv.Itoa(int(m.Preference)) + " " + m.Host
		}
		return strings.Join(parts, ", ")
	case scanner.MailNullMX:
		return "null MX"
	case scanner.MailImplicit:
		return "no MX (implicit: the domain's own address)"
	case scanner.MailNone:
		return "none"
	case scanner.MailUnknown:
		return "unknown (lookup failed)"
	}
	return string(r.Mail)
}

// spfLevel orders SPF as README says: +all < missing = permerror < ?all =
// no all < ~all < -all. ok is false for a status that says nothing.
func spfLevel(s scanner.SPF) (level int, name string, ok bool) {
	switch s.Status {
	case "none":
		return 1, "missing", true
	case "permerror":
		return 1, "permerror", true
	case "ok":
		switch s.All {
		case "pass":
			return 0, "+all", true
		case "neutral":
			return 2, "?all", true
		case "none", "":
			return 2, "no all", true
		case "softfail":
			return 3, "~all", true
		case "fail":
			return 4, "-all", true
		}
	}
	return 0, s.Status, false
}

// compareSPF reports whether SPF findings can be compared.
func compareSPF(o, n scanner.SPF, add adder) bool {
	switch {
	case o.Status == "" || n.Status == "":
		return false
	case o.Status == "temperror" || n.Status == "temperror":
		add(FieldSPF, KindUncompared, o.Status, n.Status, whichFailed(o.Status == "temperror", n.Status == "temperror")+" (SPF)")
		return false
	}
	lo, no, ok1 := spfLevel(o)
	ln, nn, ok2 := spfLevel(n)
	switch {
	case !ok1 || !ok2:
		if o.Status != n.Status || o.Record != n.Record {
			add(FieldSPF, KindChanged, o.Status, n.Status, records(o.Record, n.Record))
		}
	case ln > lo:
		add(FieldSPF, KindStrengthened, no, nn, records(o.Record, n.Record))
	case ln < lo:
		add(FieldSPF, KindWeakened, no, nn, records(o.Record, n.Record))
	case no != nn:
		add(FieldSPF, KindChanged, no, nn, records(o.Record, n.Record))
	case o.Record != n.Record:
		add(FieldSPF, KindChanged, o.Record, n.Record, "")
	}
	return true
}

// records says what the records were and are, for a note.
func records(o, n string) string {
	if o == n {
		return ""
	}
	q := func(s string) string {
		if s == "" {
			return "none"
		}
		return strconv.Quote(s)
	}
	return "record " + q(o) + " → " + q(n)
}

// dmarcStrength places a DMARC result in README's order: the policy
// receivers apply (missing or invalid < p=none < quarantine < reject; with
// t=y one step below p), then, at the same policy, the share of mail it
// covers (pct, which RFC 7489 receivers honour); the subdomain policies (sp,
// and np for subdomains that do not exist) are weighed on their own.
type dmarcStrength struct {
	policy int // 0 missing or invalid, 1 none, 2 quarantine, 3 reject
	pct    int // 0-100; 100 unless an enforcing policy is partial
	sub    int // sp on the same scale (0 when policy is 0)
	np     int // np on the same scale (0 when policy is 0)
}

func policyLevel(p string) int {
	switch p {
	case "reject":
		return 3
	case "quarantine":
		return 2
	}
	return 1 // none, or a record without a policy, which receivers treat as none
}

func dmarcLevel(d scanner.DMARC) (dmarcStrength, string, bool) {
	switch d.Status {
	case "none":
		return dmarcStrength{pct: 100}, "missing", true
	case "invalid":
		return dmarcStrength{pct: 100}, "invalid", true
	case "ok":
	default:
		return dmarcStrength{}, d.Status, false
	}
	applied := d.AppliedPolicy
	if applied == "" {
		applied = d.Policy
	}
	s := dmarcStrength{policy: policyLevel(applied), pct: 100}
	name := "p=" + d.Policy
	if d.Policy == "" {
		name = "p=none (none given)"
	}
	if d.Testing {
		name += " t=y"
	}
	if d.Pct != nil && *d.Pct < 100 && s.policy >= 2 {
		s.pct = max(*d.Pct, 0)
		name += " pct=" + strconv.Itoa(*d.Pct)
	}
	s.sub = s.policy
	if d.SubdomainPolicy != "" {
		s.sub = policyLevel(d.SubdomainPolicy)
		if d.SubdomainPolicy != d.Policy {
			name += " sp=" + d.SubdomainPolicy
		}
	}
	s.np = s.sub
	if d.NonexistentPolicy != "" {
		s.np = policyLevel(d.NonexistentPolicy)
		if sp := cmp.Or(d.SubdomainPolicy, d.Policy); d.NonexistentPolicy != sp {
			name += " np=" + d.NonexistentPolicy
		}
	}
	return s, name, true
}

// compareDMARC reports whether DMARC findings can be compared.
func compareDMARC(o, n scanner.DMARC, add adder) bool {
	switch {
	case o.Status == "" || n.Status == "":
		return false
	case o.Status == "temperror" || n.Status == "temperror":
		add(FieldDMARC, KindUncompared, o.Status, n.Status, whichFailed(o.Status == "temperror", n.Status == "temperror")+" (DMARC)")
		return false
	}
	so, no, ok1 := dmarcLevel(o)
	sn, nn, ok2 := dmarcLevel(n)
	if !ok1 || !ok2 {
		if o.Status != n.Status || o.Record != n.Record {
			add(FieldDMARC, KindChanged, o.Status, n.Status, records(o.Record, n.Record))
		}
		return true
	}
	// Each is 1 when the new record is the stronger.
	main := cmp.Or(cmp.Compare(sn.policy, so.policy), cmp.Compare(sn.pct, so.pct))
	sub, np := cmp.Compare(sn.sub, so.sub), cmp.Compare(sn.np, so.np)
	if sub == 0 || sub == np {
		sub = np
	} else if np != 0 {
		sub = 2 // sp and np moved apart
	}
	switch {
	case main == 0 && sub == 0:
		if no != nn {
			add(FieldDMARC, KindChanged, no, nn, records(o.Record, n.Record))
		} else if o.Record != n.Record {
			add(FieldDMARC, KindChanged, o.Record, n.Record, "")
		}
	case sub == 2:
		add(FieldDMARC, KindChanged, no, nn, "stronger for some subdomains, weaker for others")
	case main >= 0 && sub >= 0:
		add(FieldDMARC, KindStrengthened, no, nn, records(o.Record, n.Record))
	case main <= 0 && sub <= 0:
		add(FieldDMARC, KindWeakened, no, nn, records(o.Record, n.Record))
	default:
		note := "stronger for the domain, weaker for its subdomains"
		if main < 0 {
			note = "weaker for the domain, stronger for its subdomains"
		}
		add(FieldDMARC, KindChanged, no, nn, note)
	}
	return true
}

// compareFindings lists findings added and resolved, by id (a second
// finding of an id, for a second dangling MX host, counts on its own),
// for the ids whose lookups can be compared.
func compareFindings(o, n *scanner.Result, comparable func(id string) bool, out *[]Change) {
	count := func(fs []scanner.Finding) map[string]int {
		m := map[string]int{}
		for _, f := range fs {
			m[f.ID]++
		}
		return m
	}
	oc, nc := count(o.Findings), count(n.Findings)
	seen := map[string]int{}
	for _, f := range n.Findings {
		if seen[f.ID]++; comparable(f.ID) && seen[f.ID] > oc[f.ID] {
			*out = append(*out, Change{Field: FieldFinding, Kind: KindAdded, New: f.ID, Severity: f.Severity, Note: f.Message})
		}
	}
	clear(seen)
	for _, f := range o.Findings {
		if seen[f.ID]++; comparable(f.ID) && seen[f.ID] > nc[f.ID] {
			*out = append(*out, Change{Field: FieldFinding, Kind: KindResolved, Old: f.ID, Severity: f.Severity, Note: f.Message})
		}
	}
}

// Kinds lists every Kind, in the order summaries show them.
var Kinds = []Kind{KindWeakened, KindStrengthened, KindChanged, KindAdded, KindResolved, KindRemoved, KindUncompared}

// String is "3 changed, 1 weakened" in Kinds order, or "no changes".
func (s Summary) String() string {
	var parts []string
	for _, k := range Kinds {
		if n := s.Changes[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	if len(parts) == 0 {
		return "no changes"
	}
	return strings.Join(parts, ", ")
}
