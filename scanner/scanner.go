// Package scanner resolves the public DNS records that say where a domain's
// mail lives and how well it is defended, and turns them into one Result per
// target.
//
// The scanner promises three things that callers build on: every target yields
// exactly one Result; Results are delivered in input order, whatever order the
// lookups finish in; and a DNS failure is data (a status on the Result), never
// an error that stops the scan. Only the caller's context stops a scan.
package scanner

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mxscope/mxscope/providers"
	"github.com/mxscope/mxscope/scanner/mtasts"
	"github.com/mxscope/mxscope/scanner/resolve"
	"github.com/mxscope/mxscope/scanner/spf"
	"github.com/mxscope/mxscope/scanner/targets"
)

// Check names one group of lookups the scanner can run.
type Check string

const (
	CheckMX      Check = "mx"      // MX records, null and implicit MX
	CheckAddr    Check = "addr"    // the addresses of every MX host (finds dangling MX hosts)
	CheckSPF     Check = "spf"     // the apex SPF record and its include tree
	CheckDMARC   Check = "dmarc"   // DMARC policy discovery, with organizational-domain fallback
	CheckMTASTS  Check = "mta-sts" // the _mta-sts TXT record (RFC 8461)
	CheckTLSRPT  Check = "tls-rpt" // the _smtp._tls TXT record (RFC 8460)
	CheckMailbox Check = "mailbox" // extra probes (DKIM, autodiscover, tokens) behind a gateway
	CheckDNSSEC  Check = "dnssec"  // the domain's DNSSEC status, from a validating resolver
	CheckDANE    Check = "dane"    // the TLSA records of every MX host (RFC 7672)
	CheckDKIM    Check = "dkim"    // DKIM keys at the common selectors and those of the domain's providers
	// CheckMTASTSPolicy fetches the MTA-STS policy over HTTPS when the
	// _mta-sts record exists: the only request mxscope makes that is not DNS.
	CheckMTASTSPolicy Check = "mta-sts-policy"
	CheckBIMI         Check = "bimi" // the BIMI record at default._bimi.<domain>
)

// AllChecks is the default: every lookup mxscope knows.
var AllChecks = []Check{CheckMX, CheckAddr, CheckSPF, CheckDMARC, CheckMTASTS, CheckTLSRPT, CheckMailbox, CheckDNSSEC, CheckDANE,
	CheckDKIM, CheckMTASTSPolicy, CheckBIMI}

// Checks is a set of checks.
type Checks map[Check]bool

// ParseChecks reads a comma-separated list such as "mx,spf,dmarc". "all" or
// an empty string selects every check.
func ParseChecks(s string) (Checks, error) {
	c := Checks{}
	if strings.TrimSpace(s) == "" || strings.TrimSpace(s) == "all" {
		for _, k := range AllChecks {
			c[k] = true
		}
		return c, nil
	}
	for _, f := range strings.Split(s, ",") {
		k := Check(strings.ToLower(strings.TrimSpace(f)))
		known := false
		for _, a := range AllChecks {
			if a == k {
				known = true
			}
		}
		if !known {
			names := make([]string, len(AllChecks))
			for i, a := range AllChecks {
				names[i] = string(a)
			}
			return nil, fmt.Errorf("unknown check %q (known: %s)", f, strings.Join(names, ", "))
		}
		c[k] = true
	}
	return c, nil
}

// String lists the checks in their canonical order.
func (c Checks) String() string {
	var out []string
	for _, k := range AllChecks {
		if c[k] {
			out = append(out, string(k))
		}
	}
	return strings.Join(out, ",")
}

// Options tune a Scanner. The zero value is usable.
type Options struct {
	Concurrency   int                // domains in flight (default 64)
	Checks        Checks             // which lookups to run (default: all)
	Catalog       *providers.Catalog // provider catalog (default: the built-in one)
	DomainTimeout time.Duration      // deadline for all lookups of one domain (default 60s)
	// Trace records, for Progress, when each domain started and which
	// query it waits for. It costs a little per query; a progress display
	// wants it, a batch run does not.
	Trace bool

	// Record, when set, is given every answer each target's lookups used
	// (an evidence file keeps them), once per emitted result, in input
	// order, just before emit; an error stops the scan like emit's. A
	// target without lookups (invalid) comes with none.
	Record func(r *Result, l Lookups) error
	// Answers, when set, answers each domain's lookups in place of the
	// Querier given to New and of the scan's cache: replay serves each
	// target the answers recorded for it. It is called once per domain
	// that is looked up, as it starts, from the goroutine that reads the
	// targets, before the next target is read.
	Answers func(r *Result) resolve.Querier
	// DKIMSelectors are probed for every domain besides the common ones
	// and those of its providers (--dkim-selector). Lower case; see
	// ValidSelector.
	DKIMSelectors []string
}

// Scanner scans domains through one shared, cached resolver.
type Scanner struct {
	dns  *resolve.Cache
	cat  *providers.Catalog
	opts Options

	selOnce sync.Once
	sel     []dkimProbe // DKIM selectors worth probing, from the catalog

	spfParsed *spf.Parsed // SPF records parsed once per scan, however many domains include them
	chains    []chain     // the lookup chains the checks need, the MX chain first

	// For Progress: targets taken from the input and targets finished,
	// and the job the writer waits for, the oldest still in flight.
	started, finished atomic.Int64
	head              atomic.Pointer[job]

	// validates is what the resolver's answer for the root zone's DNSKEY
	// records said about its DNSSEC validation (see Validates).
	validates atomic.Int32

	dkimSel []string        // the selectors the DKIM check probes for every domain
	sts     *mtasts.Fetcher // the MTA-STS policy fetcher, with its limits

	// heldBodies counts the policy bodies recorded for rows not yet
	// written, within bodyBudget (maxHeldBodies; tests set less).
	heldBodies atomic.Int64
	bodyBudget int64
}

// New returns a Scanner that sends its queries through q. All domains of a
// scan share one cache, so a name such as _spf.google.com is asked once.
func New(q resolve.Querier, opts Options) *Scanner {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 64
	}
	if opts.Checks == nil {
		opts.Checks, _ = ParseChecks("")
	}
	if opts.Catalog == nil {
		opts.Catalog = providers.Default()
	}
	if opts.DomainTimeout <= 0 {
		opts.DomainTimeout = 60 * time.Second
	}
	if opts.Trace {
		q = tracer{q}
	}
	s := &Scanner{
		dns: resolve.NewCache(q), cat: opts.Catalog, opts: opts, spfParsed: spf.NewParsed(4096), chains: opts.Checks.chains(),
		dkimSel: dkimSelectors(opts.DKIMSelectors),
		sts:     mtasts.NewFetcher(mtasts.Config{}),

		bodyBudget: maxHeldBodies,
	}
	if opts.Record != nil || opts.Answers != nil {
		s.dns.Intercept(s.intercept)
	}
	return s
}

// Cache exposes the scan's lookup cache, for statistics.
func (s *Scanner) Cache() *resolve.Cache { return s.dns }

// Scan scans every target of the sequence and calls emit once per target,
// in input order, from a single goroutine. The sequence is read as the scan
// goes, so it may stream from a file. Lookups run concurrently
// (Options.Concurrency domains at a time), and at most a small multiple of
// that many finished results wait for an earlier slow one, so memory is
// bounded by the concurrency window, not by the input.
//
// When ctx ends, Scan stops starting domains, emits the contiguous run of
// results that finished before the interruption, and returns ctx's error. The
// emitted rows are then always a prefix of the input, which is what --resume
// relies on. An error from emit stops the scan and is returned.
func (s *Scanner) Scan(ctx context.Context, ts iter.Seq[targets.Target], emit func(*Result) error) error {
	window := 4 * s.opts.Concurrency
	order := make(chan *job, window)
	scanCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	deadlines := &domainDeadlines{parent: scanCtx, d: s.opts.DomainTimeout}
	defer deadlines.stop()

	// A fixed pool of workers runs lookup chains, not whole domains: the
	// chains of one domain (MX, SPF, DMARC, ...) run side by side, and the
	// last to finish concludes the domain. Long-lived workers keep their
	// grown stacks; a goroutine per domain and per chain cost, measured,
	// 8% of a scan's CPU in stack growth alone.
	var g errgroup.Group
	steps := make(chan step)
	for range s.opts.Concurrency * len(s.chains) {
		g.Go(func() error {
			for st := range steps {
				st.j.step(st.c)
			}
			return nil
		})
	}
	// The producer starts domains in input order. The slots cap how many
	// are in flight (and so every chain of one finds a worker at once);
	// the order channel caps how far ahead of the writer they may get.
	slots := make(chan struct{}, s.opts.Concurrency)
	g.Go(func() error {
		defer close(order)
		defer close(steps)
		for t := range ts {
			j := &job{done: make(chan *Result, 1)}
			s.started.Add(1)
			if r, ok := s.begin(scanCtx, t); !ok {
				j.done <- r // invalid, or the scan is over: no lookups, no slot
				s.finished.Add(1)
			} else {
				select {
				case slots <- struct{}{}:
				case <-scanCtx.Done():
					return nil
				}
				s.start(scanCtx, deadlines.next(), j, r, slots)
			}
			select {
			case order <- j:
			case <-scanCtx.Done():
				if j.d != nil {
					j.release()
				}
				return nil
			}
			if j.d == nil {
				continue // no lookups
			}
			for _, c := range s.chains {
				select {
				case steps <- step{j, c}:
				case <-scanCtx.Done():
					// The scan is over: the chain's lookups fail at once,
					// so run it here rather than wait for a worker.
					j.step(c)
				}
			}
		}
		return nil
	})

	var emitErr error
	for j := range order {
		s.head.Store(j)
		r := <-j.done
		if ctx.Err() != nil && r.Status == StatusError && r.interrupted {
			s.release(j.dd)
			break
		}
		if s.opts.Record != nil {
			err := s.opts.Record(r, j.dd.taken())
			s.release(j.dd)
			if err != nil {
				emitErr = err
				break
			}
		}
		if err := emit(r); err != nil {
			emitErr = err
			break
		}
	}
	s.head.Store(nil)
	cancel()
	// Drain so that no domain is left half-done.
	for j := range order {
		<-j.done
		s.release(j.dd)
	}
	_ = g.Wait()
	if emitErr != nil {
		return emitErr
	}
	return ctx.Err()
}

// job is one domain on its way through the worker pool.
type job struct {
	d     *domainScan     // nil for a target that needs no lookups
	scan  context.Context // the scan's
	ctx   context.Context // the domain's: the scan's, with the per-domain deadline
	left  atomic.Int32    // chains not yet finished
	done  chan *Result    // receives the Result once
	slots chan struct{}   // the scan's in-flight slots; the job holds one
	dd    *domainDNS      // what the domain's lookups asked, when the scan records or replays

	// With Options.Trace: when its lookups started, and the queries its
	// chains have sent and wait for, oldest first.
	born  time.Time
	mu    sync.Mutex
	waits []*waiting
}

// step pairs a job with one of its chains.
type step struct {
	j *job
	c chain
}

// start readies j to look r's domain up within dctx, the scan's ctx with
// the domain's deadline; j holds one of the in-flight slots until it is
// released.
func (s *Scanner) start(ctx, dctx context.Context, j *job, r *Result, slots chan struct{}) {
	j.d = newDomainScan(s, r)
	j.scan, j.slots = ctx, slots
	j.ctx = dctx
	if s.opts.Trace {
		j.born = time.Now()
		j.ctx = context.WithValue(dctx, jobKey{}, j)
	}
	s.withDomainDNS(j, r)
	j.left.Store(int32(len(s.chains)))
}

// step runs one chain of the job; the last chain to finish concludes it.
func (j *job) step(c chain) {
	j.d.run(j.ctx, c)
	if j.left.Add(-1) == 0 {
		j.d.conclude(j.ctx)
		j.d.s.end(j.scan, j.ctx, j.d.r)
		j.d.s.finished.Add(1)
		j.done <- j.d.r
		j.release()
	}
}

// release gives back the job's in-flight slot.
func (j *job) release() {
	<-j.slots
}

// domainDeadlines hands out the per-domain deadline contexts of a scan.
// Domains that start within deadlineSlack of each other share one, so a
// domain's deadline falls between d-d/deadlineSlack and d after its start.
// A context.WithTimeout per domain, each with its runtime timer started and
// stopped, cost about 4% of a scan's CPU (make bench profile). Only the
// goroutine that starts domains calls next.
type domainDeadlines struct {
	parent  context.Context
	d       time.Duration
	cur     context.Context
	born    time.Time
	cancels []context.CancelFunc
}

// deadlineSlack: a new shared deadline every d/64 (about a second of the
// default 60s).
const deadlineSlack = 64

func (dl *domainDeadlines) next() context.Context {
	now := time.Now()
	if dl.cur == nil || now.Sub(dl.born) > dl.d/deadlineSlack {
		ctx, cancel := context.WithDeadline(dl.parent, now.Add(dl.d))
		dl.cur, dl.born = ctx, now
		dl.cancels = append(dl.cancels, cancel)
	}
	return dl.cur
}

// stop releases every deadline's timer.
func (dl *domainDeadlines) stop() {
	for _, cancel := range dl.cancels {
		cancel()
	}
}

// begin makes a target's Result. It reports false, with the Result final,
// when the target needs no lookups: it is invalid, or ctx has ended.
func (s *Scanner) begin(ctx context.Context, t targets.Target) (*Result, bool) {
	r := &Result{
		Domain:   t.Domain,
		Input:    t.Input,
		Unicode:  t.Unicode,
		Labels:   t.Labels,
		Line:     t.Line,
		Position: t.Position,
	}
	if t.Invalid != "" {
		// Nothing was looked up, so no provider is claimed, not even "none".
		r.Status = StatusInvalid
		r.Error = t.Invalid
		finish(r)
		return r, false
	}
	if ctx.Err() != nil {
		r.Status = StatusError
		r.Error = "scan interrupted before this domain was queried"
		r.interrupted = true
		finish(r)
		return r, false
	}
	return r, true
}

// end settles a scanned domain's Result: ctx is the scan's, dctx the
// domain's (with its deadline).
func (s *Scanner) end(ctx, dctx context.Context, r *Result) {
	if ctx.Err() != nil {
		// The whole scan was interrupted while this domain was in flight:
		// its partial answers are not a result worth publishing.
		r.Status = StatusError
		r.Error = "scan interrupted while this domain was being queried"
		r.interrupted = true
	} else if dctx.Err() != nil && r.Status == StatusOK {
		r.Error = fmt.Sprintf("some lookups did not finish within the per-domain deadline (%s)", s.opts.DomainTimeout)
	}
	finish(r)
}

// finish makes list fields non-nil so that JSON shows [] rather than null.
func finish(r *Result) {
	if r.MX == nil {
		r.MX = []MX{}
	}
	if r.MailboxEvidence == nil {
		r.MailboxEvidence = []string{}
	}
	if r.Senders == nil {
		r.Senders = []string{}
	}
	if r.SPF.Includes == nil {
		r.SPF.Includes = []string{}
	}
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	for i := range r.MX {
		if r.MX[i].Addresses == nil {
			r.MX[i].Addresses = []string{}
		}
	}
}
