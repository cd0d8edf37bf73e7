package spf

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Status is the state of a domain's SPF policy as a scan sees it, without a
// client address to evaluate.
type Status string

const (
	// StatusOK: one record, well formed, within the limits as far as walked.
	StatusOK Status = "ok"
	// StatusNone: no SPF record, or not a valid domain.
	StatusNone Status = "none"
	// StatusPermerror: the policy is broken: syntax, several records, a missing
	// include target, a loop, or too many (void) lookups. Receivers treat it as permerror.
	StatusPermerror Status = "permerror"
	// StatusTemperror: a DNS failure kept the walk from finishing.
	StatusTemperror Status = "temperror"
)

// Analysis is what Walk found. It is filled in as far as the walk got, also
// when Status is an error.
type Analysis struct {
	Status Status
	Record string // the apex record (the first one when there are several)
	// All is the effective "all": the result of the apex's all mechanism, or
	// of its redirect= target's, followed through redirects. ResultNone means
	// no all and no redirect: evaluation then ends in neutral (§4.7), as
	// "?all" would, but the record does not say so. It is "" when the record
	// that decides it was never read: the apex lookup, or a redirect target's,
	// failed (temperror), or when there is no record or it does not parse.
	All         Result
	Lookups     int     // DNS-querying terms over the tree (include a mx ptr exists redirect)
	VoidLookups int     // terms whose query found no name or no records
	Includes    []*Node // include and redirect targets of the apex, as a tree (macro-bearing ones are only in Targets)
	// Targets lists every domain that include, redirect, a, mx, exists and
	// ptr name across the tree, in walk order, each once per record that
	// names it: the senders the policy authorises. Macro-bearing names are
	// listed as written and never looked up.
	Targets []Target
	// Salvaged says the apex record did not parse (Status is permerror and
	// receivers ignore it), and Targets lists what its well-formed terms
	// name, from the apex record alone and without looking anything up:
	// evidence of whom the owner meant to authorise, not a policy.
	Salvaged       bool
	Multiple       bool   // more than one SPF record at the apex
	Loop           bool   // an include or redirect names a domain already on its path
	TooManyLookups bool   // more than MaxLookups lookups (§4.6.4)
	TooManyVoid    bool   // more than MaxVoidLookups void lookups
	Err            string // the first permerror or temperror met, naming the term
	// Cause is that error as an error value, so callers can tell its kind
	// with errors.Is (ErrTooManyMX, ErrTargetNoRecord, ErrSyntax, ...).
	Cause error
}

// Node is one include or redirect target in the tree.
type Node struct {
	Name     string
	Via      string // "include" or "redirect"
	Record   string // its SPF record, when found
	Status   Status // of this target's own record: fetched, single, parsed
	Err      string
	Children []*Node
}

// Target is a domain a term names.
type Target struct {
	Mechanism string // include, redirect, a, mx, exists or ptr
	Name      string
	// From is the domain whose record holds the term, lower case without
	// a trailing dot: the walked domain for the terms of its own record,
	// an include or redirect target for the terms of that target's record.
	// It tells the owner's choices from those of a policy it includes.
	From string
}

// WalkOptions bounds a walk, so that a hostile wide or deep tree costs a
// fixed number of queries. Zero values take the defaults.
type WalkOptions struct {
	MaxDepth   int // include/redirect nesting followed; default 10
	MaxQueries int // resolver calls in all, the apex included; default 50
	// Parsed, when set, memoizes record parsing across walks (a scan
	// shares one); nil parses every record afresh.
	Parsed *Parsed
}

// Walk analyses domain's SPF policy with no client address, as a scan does:
// it fetches and selects the record, parses it, and follows include: and
// redirect= through r, counting lookups and void lookups over the whole
// tree. To keep to one query per term it asks a and exists targets for A
// records and mx targets for MX records (to see void answers and count MX
// names) and asks nothing for ptr. Unlike check_host() it goes on past
// errors and limits where it can, so the tree and Targets stay useful;
// Status reports what a receiver would conclude. Terms after an all
// mechanism are never evaluated and are skipped.
func Walk(ctx context.Context, r Resolver, domain string, opts WalkOptions) *Analysis {
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = 10
	}
	if opts.MaxQueries <= 0 {
		opts.MaxQueries = 50
	}
	w := &walker{ctx: ctx, r: r, opts: opts, a: &Analysis{Status: StatusOK, All: ResultNone}}
	a := w.a
	name, ok := validDomain(domain)
	if !ok {
		a.Status, a.Err = StatusNone, fmt.Sprintf("%v %+q", ErrInvalidDomain, domain)
		a.All = "" // there is no record to read
		return a
	}
	txts, err := w.lookupTXT(name)
	if err != nil {
		w.fail(StatusTemperror, err)
		a.All = "" // nothing was read
		return a
	}
	recs := spfRecords(txts)
	if len(recs) == 0 {
		a.Status, a.Err = StatusNone, fmt.Sprintf("%v at %s", ErrNoRecord, name)
		a.All = "" // there is no record to read
		return a
	}
	a.Record = recs[0]
	if len(recs) > 1 {
		a.Multiple = true
		w.fail(StatusPermerror, fmt.Errorf("%w at %s", ErrMultipleRecords, name))
	}
	rec, err := opts.Parsed.Parse(recs[0])
	if err != nil {
		w.fail(StatusPermerror, err)
		a.All = "" // a record that does not parse says nothing about its all
		w.salvage(recs[0], name)
		return a
	}
	w.path = []string{strings.ToLower(name)}
	a.Includes, a.All = w.walkRecord(rec, name, 0)
	return a
}

// salvage lists the targets of the well-formed terms of an apex record
// that did not parse, looking nothing up: one bad term makes the record a
// permerror for receivers, but its other terms still say whom the owner
// meant to authorise.
func (w *walker) salvage(record, domain string) {
	rec := ParseLenient(record)
	if rec == nil {
		return
	}
	from := fromName(domain)
	for i := range rec.Mechanisms {
		m := &rec.Mechanisms[i]
		if m.Kind == KindAll {
			break // nothing after all is evaluated
		}
		if !m.Kind.lookupKind() {
			continue
		}
		if name, _ := w.targetOf(m.spec, m.Domain, domain); name != "" {
			w.addTarget(string(m.Kind), name, from)
		}
	}
	if rec.redirectSpec != nil {
		if name, _ := w.targetOf(rec.redirectSpec, rec.Redirect, domain); name != "" {
			w.addTarget("redirect", name, from)
		}
	}
	w.a.Salvaged = len(w.a.Targets) > 0
}

// fromName is a domain as Target.From holds it.
func fromName(domain string) string {
	return strings.ToLower(strings.TrimSuffix(domain, "."))
}

type walker struct {
	ctx     context.Context
	r       Resolver
	opts    WalkOptions
	a       *Analysis
	queries int
	path    []string        // lower-case names being walked, apex first
	seen    map[Target]bool // lower-cased Targets, once there are many
}

// fail records the first error of the walk.
func (w *walker) fail(s Status, err error) {
	if w.a.Status == StatusOK {
		w.a.Status, w.a.Err, w.a.Cause = s, err.Error(), err
	}
}

// walkRecord walks the terms of one record. It returns the include and
// redirect nodes under it and its effective all.
func (w *walker) walkRecord(rec *Record, domain string, depth int) (nodes []*Node, all Result) {
	from := fromName(domain)
	for i := range rec.Mechanisms {
		m := &rec.Mechanisms[i]
		if m.Kind == KindAll {
			return nodes, m.Qualifier.Result() // nothing after all is evaluated, redirect included
		}
		if !m.Kind.lookupKind() {
			continue
		}
		w.countLookup(m.Term)
		name, lookup := w.targetOf(m.spec, m.Domain, domain)
		w.addTarget(string(m.Kind), name, from)
		if !lookup {
			continue
		}
		switch m.Kind {
		case KindInclude:
			n, _ := w.follow(name, "include", m.Term, depth+1)
			nodes = append(nodes, n)
		case KindA, KindExists:
			w.queryA(name, m.Term)
		case KindMX:
			w.queryMX(name, m.Term)
		}
	}
	if rec.redirectSpec == nil {
		return nodes, ResultNone
	}
	term := "redirect=" + rec.Redirect
	w.countLookup(term)
	name, lookup := w.targetOf(rec.redirectSpec, rec.Redirect, domain)
	w.addTarget("redirect", name, from)
	if !lookup {
		return nodes, ResultNone
	}
	n, all := w.follow(name, "redirect", term, depth+1)
	return append(nodes, n), all
}

// targetOf names the target of a term: the current domain when the term
// has none, the domain-spec as written when it holds macros (not looked
// up: its value depends on the message), else the name to query.
func (w *walker) targetOf(spec macroString, raw, domain string) (name string, lookup bool) {
	if spec == nil {
		return domain, true
	}
	if spec.hasMacro() {
		return raw, false
	}
	s, err := spec.expand(&macroEnv{}) // only the escapes %% %_ %- remain
	if err != nil {
		return raw, false
	}
	if name, ok := targetName(s); ok {
		return name, true
	}
	return raw, false
}

// addTarget lists a target once per record that names it, names compared
// without case. A policy names a handful of targets, so a scan of the list
// is cheaper than a map built for every walk; a hostile tree can name
// thousands (macro targets cost no query), so past a few dozen a map takes
// over.
func (w *walker) addTarget(mechanism, name, from string) {
	key := Target{Mechanism: mechanism, Name: name, From: from}
	if w.seen == nil && len(w.a.Targets) < 32 {
		for _, t := range w.a.Targets {
			if t.Mechanism == mechanism && t.From == from && strings.EqualFold(t.Name, name) {
				return
			}
		}
	} else {
		if w.seen == nil {
			w.seen = make(map[Target]bool, 2*len(w.a.Targets))
			for _, t := range w.a.Targets {
				w.seen[Target{Mechanism: t.Mechanism, Name: strings.ToLower(t.Name), From: t.From}] = true
			}
		}
		lower := Target{Mechanism: mechanism, Name: strings.ToLower(name), From: from}
		if w.seen[lower] {
			return
		}
		w.seen[lower] = true
	}
	w.a.Targets = append(w.a.Targets, key)
}

func (w *walker) countLookup(term string) {
	w.a.Lookups++
	if w.a.Lookups > MaxLookups && !w.a.TooManyLookups {
		w.a.TooManyLookups = true
		w.fail(StatusPermerror, fmt.Errorf("%w: %s is lookup %d", ErrTooManyLookups, term, w.a.Lookups))
	}
}

func (w *walker) void(name string) {
	w.a.VoidLookups++
	if w.a.VoidLookups > MaxVoidLookups && !w.a.TooManyVoid {
		w.a.TooManyVoid = true
		w.fail(StatusPermerror, fmt.Errorf("%w: %s is void lookup %d", ErrTooManyVoidLookups, name, w.a.VoidLookups))
	}
}

// follow fetches, parses and walks the record of an include or redirect target.
func (w *walker) follow(name, via, term string, depth int) (*Node, Result) {
	n := &Node{Name: name, Via: via, Status: StatusOK}
	failNode := func(s Status, err error) (*Node, Result) {
		n.Status, n.Err = s, err.Error()
		w.fail(s, err)
		if s == StatusTemperror {
			return n, "" // a redirect target that was not read decides nothing
		}
		return n, ResultNone
	}
	lower := strings.ToLower(name)
	for _, p := range w.path {
		if p == lower {
			w.a.Loop = true
			return failNode(StatusPermerror, fmt.Errorf("%w: %s names %s, already on the path", ErrLoop, term, name))
		}
	}
	if depth > w.opts.MaxDepth {
		return failNode(StatusPermerror, fmt.Errorf("%w: %s nested deeper than %d", ErrTooManyLookups, term, w.opts.MaxDepth))
	}
	txts, err := w.lookupTXT(name)
	if err != nil {
		if errors.Is(err, errQueryCap) {
			return failNode(StatusPermerror, err)
		}
		return failNode(StatusTemperror, fmt.Errorf("%w (via %s)", err, term))
	}
	if len(txts) == 0 {
		w.void(name)
	}
	recs := spfRecords(txts)
	switch {
	case len(recs) == 0:
		return failNode(StatusPermerror, fmt.Errorf("%w: %s", ErrTargetNoRecord, term))
	case len(recs) > 1:
		n.Record = recs[0]
		return failNode(StatusPermerror, fmt.Errorf("%w at %s (via %s)", ErrMultipleRecords, name, term))
	}
	n.Record = recs[0]
	rec, err := w.opts.Parsed.Parse(recs[0])
	if err != nil {
		return failNode(StatusPermerror, fmt.Errorf("%w (via %s)", err, term))
	}
	w.path = append(w.path, lower)
	var all Result
	n.Children, all = w.walkRecord(rec, name, depth)
	w.path = w.path[:len(w.path)-1]
	return n, all
}

// errQueryCap stops a walk that has spent WalkOptions.MaxQueries. It can
// only be met after more than MaxLookups lookups, so it is a permerror.
var errQueryCap = fmt.Errorf("%w: walk stopped at its query cap", ErrTooManyLookups)

// spend takes one query from the budget.
func (w *walker) spend() error {
	if w.queries >= w.opts.MaxQueries {
		return errQueryCap
	}
	if err := w.ctx.Err(); err != nil {
		return err
	}
	w.queries++
	return nil
}

func (w *walker) lookupTXT(name string) ([]string, error) {
	if err := w.spend(); err != nil {
		if errors.Is(err, errQueryCap) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: txt %s: %w", ErrDNS, name, err)
	}
	txts, err := w.r.LookupTXT(w.ctx, name)
	if err != nil {
		return nil, fmt.Errorf("%w: txt %s: %w", ErrDNS, name, err)
	}
	return txts, nil
}

// queryA looks up the A records of an a or exists target, to see a void answer.
func (w *walker) queryA(name, term string) {
	if err := w.spend(); err != nil {
		w.spendFailed(err, "a", name, term)
		return
	}
	addrs, err := w.r.LookupA(w.ctx, name)
	switch {
	case err != nil:
		w.fail(StatusTemperror, fmt.Errorf("%w: a %s (via %s): %w", ErrDNS, name, term, err))
	case len(addrs) == 0:
		w.void(name)
	}
}

// queryMX looks up the MX records of an mx target: a void answer, or more
// than 10 names, which is a permerror (§4.6.4).
func (w *walker) queryMX(name, term string) {
	if err := w.spend(); err != nil {
		w.spendFailed(err, "mx", name, term)
		return
	}
	hosts, err := w.r.LookupMX(w.ctx, name)
	switch {
	case err != nil:
		w.fail(StatusTemperror, fmt.Errorf("%w: mx %s (via %s): %w", ErrDNS, name, term, err))
	case len(hosts) == 0:
		w.void(name)
	case len(hosts) > maxMXNames:
		w.fail(StatusPermerror, fmt.Errorf("%w: %s (via %s) has %d", ErrTooManyMX, name, term, len(hosts)))
	}
}

func (w *walker) spendFailed(err error, qtype, name, term string) {
	if errors.Is(err, errQueryCap) {
		w.fail(StatusPermerror, err)
		return
	}
	w.fail(StatusTemperror, fmt.Errorf("%w: %s %s (via %s): %w", ErrDNS, qtype, name, term, err))
}
