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
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mxscope/mxscope/providers"
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
)

// AllChecks is the default: every lookup mxscope knows.
var AllChecks = []Check{CheckMX, CheckAddr, CheckSPF, CheckDMARC, CheckMTASTS, CheckTLSRPT, CheckMailbox}

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
}

// Scanner scans domains through one shared, cached resolver.
type Scanner struct {
	dns  *resolve.Cache
	cat  *providers.Catalog
	opts Options

	selOnce sync.Once
	sel     []dkimProbe // DKIM selectors worth probing, from the catalog

	spfParsed *spf.Parsed // SPF records parsed once per scan, however many domains include them
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
	return &Scanner{dns: resolve.NewCache(q), cat: opts.Catalog, opts: opts, spfParsed: spf.NewParsed(4096)}
}

// Cache exposes the scan's lookup cache, for statistics.
func (s *Scanner) Cache() *resolve.Cache { return s.dns }

// Scan scans every target of the sequence and calls emit once per target,
// in input order, from a single goroutine. The sequence is read as the scan
// goes, so it may stream from a file. Lookups run concurrently
// (Options.Concurrency), and at most a small multiple of that many finished
// results wait for an earlier slow one, so memory is bounded by the
// concurrency window, not by the input.
//
// When ctx ends, Scan stops starting domains, emits the contiguous run of
// results that finished before the interruption, and returns ctx's error. The
// emitted rows are then always a prefix of the input, which is what --resume
// relies on. An error from emit stops the scan and is returned.
func (s *Scanner) Scan(ctx context.Context, ts iter.Seq[targets.Target], emit func(*Result) error) error {
	window := 4 * s.opts.Concurrency
	order := make(chan chan *Result, window)

	// The producer starts domains in input order; the errgroup caps how many
	// run at once, and the order channel caps how far ahead of the writer
	// they may get.
	scanCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(scanCtx)
	g.SetLimit(s.opts.Concurrency)
	go func() {
		defer close(order)
		for t := range ts {
			done := make(chan *Result, 1)
			select {
			case order <- done:
			case <-gctx.Done():
				return
			}
			g.Go(func() error {
				done <- s.ScanTarget(gctx, t)
				return nil
			})
		}
	}()

	var emitErr error
	for done := range order {
		r := <-done
		if ctx.Err() != nil && r.Status == StatusError && r.interrupted {
			break
		}
		if err := emit(r); err != nil {
			emitErr = err
			break
		}
	}
	cancel()
	// Drain so that no goroutine is left blocked on a send.
	for done := range order {
		<-done
	}
	_ = g.Wait()
	if emitErr != nil {
		return emitErr
	}
	return ctx.Err()
}

// ScanTarget scans one target. It never fails: problems are statuses.
func (s *Scanner) ScanTarget(ctx context.Context, t targets.Target) *Result {
	r := &Result{
		Domain:  t.Domain,
		Input:   t.Input,
		Unicode: t.Unicode,
		Labels:  t.Labels,
		Line:    t.Line,
	}
	if t.Invalid != "" {
		r.Status = StatusInvalid
		r.Error = t.Invalid
		r.Provider = ProviderNone
		finish(r)
		return r
	}
	if ctx.Err() != nil {
		r.Status = StatusError
		r.Error = "scan interrupted before this domain was queried"
		r.interrupted = true
		finish(r)
		return r
	}
	dctx, cancel := context.WithTimeout(ctx, s.opts.DomainTimeout)
	defer cancel()
	s.scanDomain(dctx, r)
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
	return r
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
