package scanner

import (
	"context"
	"fmt"
	"net/netip"
	"sync"

	"github.com/mxscope/mxscope/scanner/mtasts"
	"github.com/mxscope/mxscope/scanner/resolve"
)

// Asked is one question a domain's lookups asked and the answer they used.
type Asked struct {
	Name   string // as the lookups asked it: lower case, no trailing dot
	Type   uint16 // dns.TypeMX, ...
	CD     bool   // asked with checking disabled (the DNSSEC checks, after a SERVFAIL)
	Answer resolve.Answer
}

// Lookups is every answer one target's verdicts used, each question once,
// in the order first asked.
type Lookups struct {
	Asked []Asked
	// Fetches are the HTTPS requests the verdicts used (the MTA-STS
	// policy), each URL once, at most MaxFetches.
	Fetches []mtasts.Response
	// Truncated: the domain asked more than MaxAsked questions and the
	// rest were not kept. The scan's own caps keep a domain far below it.
	Truncated bool
}

// MaxAsked bounds the questions kept per domain for Options.Record. The
// SPF walk (RFC 7208's limits), DMARC discovery, the MX hosts and the
// mailbox probes come to a few dozen; the bound only stops hostile data
// from making one target's evidence unbounded.
const MaxAsked = 1024

// MaxFetches bounds the HTTPS responses kept per domain: a scan makes one
// (the MTA-STS policy), and each holds at most its 64 KiB body.
const MaxFetches = 4

// maxHeldBodies bounds the policy bodies a recording scan holds for rows
// not yet written: finished rows wait in the scan's window (4 ×
// concurrency), and hostile policy hosts could each send 64 KiB. Past it,
// a response is recorded without its body, as not kept, and its replay is
// temperror; the scan's own verdict is unchanged.
const maxHeldBodies = 32 << 20

// domainDNS travels in a domain's lookup context when the scan records or
// replays answers: the Interceptor in front of the scan's cache finds it
// there and knows whose question it is.
type domainDNS struct {
	q      resolve.Querier // replay: answers this domain's questions; nil: the cache does
	record bool

	mu      sync.Mutex
	lookups Lookups
	held    int64 // bytes of policy bodies counted in Scanner.heldBodies
}

type domainDNSKey struct{}

// intercept stands in front of the scan's cache (resolve.Cache.Intercept)
// when Options.Record or Options.Answers is set.
func (s *Scanner) intercept(ctx context.Context, name string, qtype uint16, next resolve.Querier) resolve.Answer {
	dd, _ := ctx.Value(domainDNSKey{}).(*domainDNS)
	if dd == nil {
		return next.Query(ctx, name, qtype)
	}
	var a resolve.Answer
	if dd.q != nil {
		a = dd.q.Query(ctx, name, qtype)
	} else {
		a = next.Query(ctx, name, qtype)
	}
	if dd.record {
		dd.add(name, qtype, false, a)
	}
	return a
}

// queryCD asks (name, qtype) with checking disabled. The cache's
// Interceptor never sees such a question (see resolve.Cache.QueryCD), so it
// is recorded and replayed here: a replay answers it from the domain's
// evidence when its Querier can ask with CD, and otherwise says it cannot.
func (s *Scanner) queryCD(ctx context.Context, name string, qtype uint16) resolve.Answer {
	dd, _ := ctx.Value(domainDNSKey{}).(*domainDNS)
	var a resolve.Answer
	switch {
	case dd == nil || dd.q == nil:
		a = s.dns.QueryCD(ctx, name, qtype)
	default:
		a = resolve.QueryCD(ctx, dd.q, name, qtype)
	}
	if dd != nil && dd.record {
		dd.add(name, qtype, true, a)
	}
	return a
}

// add keeps a for (name, qtype) unless the domain asked that question
// before: a domain that asks twice (its apex TXT, for SPF and for tokens)
// used the first answer.
func (dd *domainDNS) add(name string, qtype uint16, cd bool, a resolve.Answer) {
	if name = normalizeName(name); name == "" {
		name = "." // the root, which the DNSSEC checks ask about
	}
	dd.mu.Lock()
	defer dd.mu.Unlock()
	for _, x := range dd.lookups.Asked {
		if x.Type == qtype && x.Name == name && x.CD == cd {
			return
		}
	}
	if len(dd.lookups.Asked) >= MaxAsked {
		dd.lookups.Truncated = true
		return
	}
	dd.lookups.Asked = append(dd.lookups.Asked, Asked{Name: name, Type: qtype, CD: cd, Answer: a})
}

// getPolicy makes the MTA-STS policy request for domain: through the
// scan's Fetcher, or, in a replay, from the domain's answers when they can
// give one (an mtasts.Getter: the evidence file's), and otherwise not at
// all. A replay makes no request. The response is recorded as the DNS
// answers are, and judged alike either way (mtasts.Judge).
func (s *Scanner) getPolicy(ctx context.Context, domain string, addrs []netip.Addr) mtasts.Response {
	dd, _ := ctx.Value(domainDNSKey{}).(*domainDNS)
	var resp mtasts.Response
	switch {
	case dd == nil || dd.q == nil:
		resp = s.sts.Get(ctx, domain, addrs)
	default:
		if g, ok := dd.q.(mtasts.Getter); ok {
			resp = g.Get(ctx, domain, addrs)
		} else {
			resp = mtasts.NotRecorded(domain, "not fetched: a replay makes no HTTPS request, and its answers hold no recorded response")
		}
	}
	if dd != nil && dd.record {
		dd.addFetch(s.keep(dd, resp))
	}
	return resp
}

// keep returns resp as the evidence keeps it: whole while the bodies
// held stay within the scan's bound, and otherwise as a response not
// kept, which replays as temperror rather than as something invented.
func (s *Scanner) keep(dd *domainDNS, resp mtasts.Response) mtasts.Response {
	n := int64(len(resp.Body))
	if n == 0 {
		return resp
	}
	if s.heldBodies.Add(n) > s.bodyBudget {
		s.heldBodies.Add(-n)
		return mtasts.Response{URL: resp.URL, Class: mtasts.ClassNotRecorded, Time: resp.Time, Latency: resp.Latency,
			Err: fmt.Sprintf("not replayed: the scan kept no copy of this response (more than %d MiB of policy bodies waited to be written at once)", s.bodyBudget>>20)}
	}
	dd.mu.Lock()
	dd.held += n
	dd.mu.Unlock()
	return resp
}

// release gives back what dd's responses held, once its row is written
// (or will not be); nil-safe.
func (s *Scanner) release(dd *domainDNS) {
	if dd == nil {
		return
	}
	dd.mu.Lock()
	n := dd.held
	dd.held = 0
	dd.mu.Unlock()
	s.heldBodies.Add(-n)
}

// addFetch keeps resp unless the domain fetched its URL before.
func (dd *domainDNS) addFetch(resp mtasts.Response) {
	dd.mu.Lock()
	defer dd.mu.Unlock()
	for _, f := range dd.lookups.Fetches {
		if f.URL == resp.URL {
			return
		}
	}
	if len(dd.lookups.Fetches) >= MaxFetches {
		dd.lookups.Truncated = true
		return
	}
	dd.lookups.Fetches = append(dd.lookups.Fetches, resp)
}

// taken returns what the domain's lookups asked; nil-safe.
func (dd *domainDNS) taken() Lookups {
	if dd == nil {
		return Lookups{}
	}
	dd.mu.Lock()
	defer dd.mu.Unlock()
	return dd.lookups
}

// withDomainDNS readies j's context for recording or replay, when the scan
// does either.
func (s *Scanner) withDomainDNS(j *job, r *Result) {
	if s.opts.Record == nil && s.opts.Answers == nil {
		return
	}
	dd := &domainDNS{record: s.opts.Record != nil}
	if s.opts.Answers != nil {
		dd.q = s.opts.Answers(r)
	}
	j.dd = dd
	j.ctx = context.WithValue(j.ctx, domainDNSKey{}, dd)
}
