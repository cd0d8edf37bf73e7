package dmarc

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/mxscope/mxscope/scanner/internal/dnsname"
)

// Resolver looks up TXT records. Convention: NXDOMAIN or NODATA returns (nil, nil); any other failure
// (SERVFAIL, REFUSED, timeout) returns a non-nil error. Strings are raw bytes, the character-strings of
// one record already concatenated with nothing.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// Result is what policy discovery found for one domain.
type Result struct {
	Status    Status
	Record    string  // the DMARC record that applies (or the unusable one), raw
	Source    string  // the name the record came from, e.g. "_dmarc.example.com"; empty when none
	Inherited bool    // the record belongs to a parent (organizational or public suffix) domain
	Parsed    *Record // nil unless Status is StatusOK
	// Policy is what applies to THIS domain: p from its own record; when
	// inherited, sp (np when the domain does not exist, see DomainExists),
	// each already falling back to p. Empty unless Status is StatusOK.
	Policy Policy

	// OrgDomain is the RFC 7489 Organizational Domain: public suffix + 1 label
	// from the Public Suffix List embedded in golang.org/x/net/publicsuffix;
	// empty when the domain is itself a public suffix.
	OrgDomain string
	// TreeWalkOrg is the Organizational Domain the RFC 9989 tree walk settled on:
	// the domain whose record applies (its own or a parent's), one label below a
	// psd=y record, or the domain itself when no record was found. Empty when a
	// lookup failed first.
	TreeWalkOrg string
	// Disagree is set when OrgDomain and TreeWalkOrg are both known and differ:
	// receivers on the two RFCs may then look in different places.
	Disagree bool

	// Fallback is set only when _dmarc.<domain> holds several DMARC records.
	// RFC 7489 §6.6.3 then applies no policy at all (Status is StatusInvalid:
	// that is what the domain owner must fix), while RFC 9989 §4.10 discards
	// them and walks on to the parents; Fallback is what that walk found.
	Fallback *Result

	Queries int      // DNS queries sent, Fallback's included
	Notes   []string // what the walk passed over, e.g. parents with several records
	Err     string   // why Status is not StatusOK (empty for StatusNone)
}

// Option adjusts Discover.
type Option func(*options)

type options struct{ exists bool }

// DomainExists tells Discover whether the domain itself exists in DNS (the
// caller knows from its other lookups; the default is true). When it does not
// and the policy is inherited, the parent's np applies instead of sp
// (RFC 9989 §4.10.1).
func DomainExists(exists bool) Option { return func(o *options) { o.exists = exists } }

// Discover finds the DMARC policy that applies to domain (RFC 7489 §6.6.3,
// RFC 9989 §4.10.1): first _dmarc.<domain>, then, if that holds no record,
// the RFC 9989 DNS tree walk over the parents up to and including the TLD,
// at most MaxQueries queries in all (a name of more than eight labels jumps
// to its last seven after the first query).
//
// The walk stops at the first name holding exactly one DMARC record, and so
// also at any record with psd=y or psd=n. That record is the policy source; a
// full RFC 9989 §4.10.2 alignment walk, which goes on past it to the record
// with the fewest labels, would differ only when several parents publish
// records, and would cost every domain a query for its TLD. Names holding
// several records are passed over (and noted). A failed lookup stops
// everything with StatusTemperror: never a false "no DMARC" because a query
// timed out.
func Discover(ctx context.Context, r Resolver, domain string, opts ...Option) *Result {
	o := options{exists: true}
	for _, opt := range opts {
		opt(&o)
	}
	domain = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(domain)), ".")
	res := &Result{}
	if !dnsname.Valid(domain) {
		res.Status, res.Err = StatusInvalid, fmt.Sprintf("%v: %s", ErrInvalidDomain, printable(domain))
		return res
	}
	if org, err := publicsuffix.EffectiveTLDPlusOne(domain); err == nil {
		res.OrgDomain = org
	}
	w := walker{ctx: ctx, r: r, exists: o.exists, labels: strings.Split(domain, ".")}

	// The domain's own record.
	name := "_dmarc." + domain
	txts, err := w.lookup(name)
	if err != nil {
		res.Status, res.Err, res.Queries = StatusTemperror, err.Error(), w.queries
		return res
	}
	rec, serr := Select(txts)
	switch {
	case serr == nil:
		w.apply(res, name, rec, 0)
	case errors.Is(serr, ErrMultipleRecords):
		res.Status, res.Source = StatusInvalid, name
		res.Err = fmt.Sprintf("%s: %v (RFC 7489 §6.6.3)", name, serr)
		res.TreeWalkOrg = domain
		fb := &Result{OrgDomain: res.OrgDomain}
		w.walk(fb)
		fb.Queries = w.queries - 1
		fb.Disagree = disagree(fb)
		res.Fallback = fb
	default: // ErrNoRecord
		w.walk(res)
	}
	res.Queries = w.queries
	res.Disagree = disagree(res)
	return res
}

func disagree(r *Result) bool {
	return r.OrgDomain != "" && r.TreeWalkOrg != "" && r.OrgDomain != r.TreeWalkOrg
}

type walker struct {
	ctx     context.Context
	r       Resolver
	exists  bool
	labels  []string // of the domain being discovered
	queries int
}

func (w *walker) lookup(name string) ([]string, error) {
	if err := w.ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	w.queries++
	txts, err := w.r.LookupTXT(w.ctx, name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return txts, nil
}

// suffix returns the domain's last n labels.
func (w *walker) suffix(n int) string { return strings.Join(w.labels[len(w.labels)-n:], ".") }

// walk runs the RFC 9989 §4.10 tree walk over the parents of the domain and
// fills res. The domain's own name has already been queried.
func (w *walker) walk(res *Result) {
	n := len(w.labels) - 1
	if n > 7 {
		n = 7 // step 4: more than eight labels jump to seven
	}
	for ; n >= 1 && w.queries < MaxQueries; n-- {
		name := "_dmarc." + w.suffix(n)
		txts, err := w.lookup(name)
		if err != nil {
			res.Status, res.Err = StatusTemperror, err.Error()
			return
		}
		rec, serr := Select(txts)
		if errors.Is(serr, ErrMultipleRecords) {
			res.Notes = append(res.Notes, fmt.Sprintf("%s: %v; passed over (RFC 9989 §4.10)", name, serr))
			continue
		}
		if serr == nil {
			w.apply(res, name, rec, n)
			return
		}
	}
	// RFC 9989 §4.10.2: when the walk determines nothing, the domain is its own
	// Organizational Domain.
	res.Status, res.TreeWalkOrg = StatusNone, w.suffix(len(w.labels))
}

// apply fills res from the single DMARC record found at name, which holds the
// last n labels of the domain (n == 0: the domain's own record).
func (w *walker) apply(res *Result, name, record string, n int) {
	res.Record, res.Source, res.Inherited = record, name, n > 0
	if n == 0 {
		n = len(w.labels)
	}
	rec, err := Parse(record)
	if err != nil {
		res.Status, res.Err = StatusInvalid, fmt.Sprintf("%s: %v", name, err)
		res.TreeWalkOrg = w.suffix(n)
		return
	}
	res.Status, res.Parsed = StatusOK, rec
	res.TreeWalkOrg = w.suffix(n)
	if rec.PSD == "y" && res.Inherited {
		// RFC 9989 §4.10.2 rule 2: below a public suffix domain's record, the
		// Organizational Domain is one label further down.
		res.TreeWalkOrg = w.suffix(n + 1)
	}
	switch {
	case !res.Inherited:
		res.Policy = rec.Policy
	case !w.exists:
		res.Policy = rec.NonexistentPolicy
	default:
		res.Policy = rec.SubdomainPolicy
	}
}
