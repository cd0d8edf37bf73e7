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

// Result is what policy discovery found for one domain, as RFC 9989 §4.10
// determines it.
type Result struct {
	Status Status
	Record string // the DMARC record that applies (or the unusable one), raw
	Source string // the name the record came from, e.g. "_dmarc.example.com"; empty when none
	// Inherited: the record is the Organizational Domain's or the Public
	// Suffix Domain's, not the domain's own.
	Inherited bool
	// PSD: the record is a Public Suffix Domain's (psd=y), applied because
	// the Organizational Domain below it publishes none (RFC 9989 §4.10.1).
	PSD    bool
	Parsed *Record // nil unless Status is StatusOK
	// Policy is the tag RFC 9989 §4.10.1 takes for THIS domain: p from its
	// own record; when inherited, np if the domain does not exist, else sp,
	// each already falling back (np to sp, sp to p). Empty unless Status is
	// StatusOK.
	Policy Policy
	// Applied is the policy receivers apply: Policy, one step lower when the
	// record says t=y (RFC 9989 §4.7). Empty unless Status is StatusOK.
	Applied Policy
	// Testing: the record that applies says t=y.
	Testing bool

	// OrgDomain is the Organizational Domain the RFC 9989 §4.10.2 tree walk
	// determines: the name of a psd=n record; one label below a psd=y
	// record; else the record with the fewest labels; the domain itself when
	// the walk found none. Empty when a lookup failed before it was known.
	OrgDomain string
	// PSLOrgDomain is RFC 7489's Organizational Domain: public suffix + 1
	// label from the Public Suffix List embedded in golang.org/x/net/publicsuffix;
	// empty when the domain is itself a public suffix.
	PSLOrgDomain string

	// Multiple lists the _dmarc names the walk found several DMARC records
	// at, which RFC 9989 §4.10 discards before walking on (RFC 7489 §6.6.3
	// instead applies no policy when it is the domain's own name).
	Multiple []string

	Queries  int      // DNS queries sent
	Warnings []string // the applied record's warnings (Record.Warnings), also when it is unusable
	Notes    []string // what the walk passed over or could not finish
	Err      string   // why Status is not StatusOK (empty for StatusNone)
}

// Option adjusts Discover.
type Option func(*options)

type options struct {
	existence func(context.Context) Existence
}

// DomainExists tells Discover whether the domain exists, a fact the caller
// already knows. Without it (or DomainExistence) the domain is taken to exist.
func DomainExists(exists bool) Option {
	e := Exists
	if !exists {
		e = NotExists
	}
	return DomainExistence(func(context.Context) Existence { return e })
}

// DomainExistence gives Discover the caller's way of telling whether the
// domain exists. Discover calls f at most once, and only when the answer
// decides the policy: the record is inherited and its np differs from its
// sp (RFC 9989 §4.10.1). An ExistenceUnknown answer then makes the result
// StatusTemperror.
func DomainExistence(f func(context.Context) Existence) Option {
	return func(o *options) { o.existence = f }
}

// Discover finds the DMARC policy that applies to domain by RFC 9989 §4.10:
// the DNS tree walk from _dmarc.<domain> up to the TLD (at most MaxQueries
// queries: a name of more than eight labels jumps to its last seven after
// the first query), discarding names with several DMARC records and
// stopping at a record with psd=y or psd=n. The policy then comes from the
// domain's own record (p), else from the Organizational Domain's record,
// else from the Public Suffix Domain's (sp, or np for a domain that does not
// exist). A failed lookup that leaves the policy unknown makes the result
// StatusTemperror: never a false "no DMARC" because a query timed out. One
// that fails after the domain's own record was found leaves the policy
// standing and only OrgDomain unknown.
func Discover(ctx context.Context, r Resolver, domain string, opts ...Option) *Result {
	o := options{}
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
		res.PSLOrgDomain = org
	}
	w := walker{ctx: ctx, r: r, domain: domain, starts: labelStarts(domain)}
	found, werr := w.walk(res)
	res.Queries = w.queries

	if len(found) > 0 && found[0].n == len(w.starts) {
		// The domain's own record applies whatever lies above it; the walk
		// went on only to name the Organizational Domain.
		if werr != nil {
			res.Notes = append(res.Notes, "organizational domain unknown: "+werr.Error())
		} else {
			res.OrgDomain = w.orgDomain(found)
		}
		w.apply(ctx, res, found[0], o)
		return res
	}
	if werr != nil {
		res.Status, res.Err = StatusTemperror, werr.Error()
		return res
	}
	res.OrgDomain = w.orgDomain(found)
	var use *entry
	for i := range found {
		if w.suffix(found[i].n) == res.OrgDomain {
			use = &found[i]
		}
	}
	if last := len(found) - 1; use == nil && last >= 0 && found[last].rec.PSD == "y" {
		// The Organizational Domain publishes nothing: the Public Suffix
		// Domain's record applies.
		use = &found[last]
		res.PSD = true
	}
	if use == nil {
		res.Status = StatusNone
		return res
	}
	w.apply(ctx, res, *use, o)
	return res
}

// entry is one DMARC record the walk found.
type entry struct {
	n   int     // labels of the name it was found under
	raw string  // as published
	rec *Record // as far as it could be read; never nil
	err error   // why it is unusable, or nil
}

type walker struct {
	ctx     context.Context
	r       Resolver
	domain  string // being discovered
	starts  []int  // where each of its labels starts
	queries int
}

// labelStarts returns the offset of each label of a valid domain name.
func labelStarts(domain string) []int {
	starts := make([]int, 1, 8)
	for i := 0; i < len(domain); i++ {
		if domain[i] == '.' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// suffix returns the domain's last n labels.
func (w *walker) suffix(n int) string { return w.domain[w.starts[len(w.starts)-n]:] }

// walk runs the RFC 9989 §4.10 DNS tree walk from the domain itself and
// returns the single DMARC records it found, longest name first, with the
// error of the lookup that stopped it, if one did.
func (w *walker) walk(res *Result) ([]entry, error) {
	var found []entry
	n := len(w.starts)
	for n >= 1 {
		name := "_dmarc." + w.suffix(n)
		if err := w.ctx.Err(); err != nil {
			return found, fmt.Errorf("%s: %w", name, err)
		}
		w.queries++
		txts, err := w.r.LookupTXT(w.ctx, name)
		if err != nil {
			return found, fmt.Errorf("%s: %w", name, err)
		}
		raw, serr := Select(txts)
		switch {
		case errors.Is(serr, ErrMultipleRecords):
			// Steps 2 and 6: several records are all discarded.
			res.Multiple = append(res.Multiple, name)
			res.Notes = append(res.Notes, fmt.Sprintf("%s: %v, discarded (RFC 9989 §4.10)", name, serr))
		case serr == nil:
			rec, perr := parse(raw)
			found = append(found, entry{n: n, raw: raw, rec: rec, err: perr})
			if rec.PSD == "y" || rec.PSD == "n" {
				return found, nil
			}
		}
		// Step 4: from more than seven labels straight to seven; then one
		// label at a time (step 7).
		if n > 7 {
			n = 7
		} else {
			n--
		}
	}
	return found, nil
}

// orgDomain selects the Organizational Domain from a finished walk
// (RFC 9989 §4.10.2), from the longest name to the shortest.
func (w *walker) orgDomain(found []entry) string {
	for _, e := range found {
		switch {
		case e.rec.PSD == "n":
			return w.suffix(e.n)
		case e.rec.PSD == "y" && e.n < len(w.starts):
			// Rule 2: one label below a psd=y record other than the
			// domain's own.
			return w.suffix(e.n + 1)
		}
	}
	if len(found) > 0 {
		return w.suffix(found[len(found)-1].n) // rule 3: the fewest labels
	}
	return w.domain // the walk determined nothing
}

// apply fills res from the record that applies to the domain.
func (w *walker) apply(ctx context.Context, res *Result, e entry, o options) {
	res.Record, res.Source, res.Inherited = e.raw, "_dmarc."+w.suffix(e.n), e.n < len(w.starts)
	res.Warnings = e.rec.Warnings
	if e.err != nil {
		res.Status, res.Err = StatusInvalid, fmt.Sprintf("%s: %v", res.Source, e.err)
		return
	}
	rec := e.rec
	policy := rec.Policy
	if res.Inherited {
		policy = rec.SubdomainPolicy
		if rec.NonexistentPolicy != rec.SubdomainPolicy {
			ex := Exists
			if o.existence != nil {
				ex = o.existence(ctx)
			}
			switch ex {
			case NotExists:
				policy = rec.NonexistentPolicy
			case ExistenceUnknown:
				res.Status = StatusTemperror
				res.Err = fmt.Sprintf("whether %s exists is unknown, and %s says sp=%s but np=%s",
					w.domain, res.Source, rec.SubdomainPolicy, rec.NonexistentPolicy)
				return
			}
		}
	}
	res.Status, res.Parsed, res.Policy, res.Applied, res.Testing = StatusOK, rec, policy, policy, rec.Testing
	if rec.Testing {
		res.Applied = policy.Tested()
	}
}
