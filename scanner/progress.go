package scanner

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/mxscope/mxscope/scanner/resolve"
)

// Progress is a snapshot of a scan under way, for a display that shows it
// is not stuck: results are written in input order, so one slow domain
// holds the written count still while the scan goes on behind it.
type Progress struct {
	Started  int64 // targets taken from the input
	Finished int64 // targets whose lookups are over: written, or waiting for an earlier one
	// Slowest is the domain the writer waits for, the oldest in flight;
	// "" when none is. Since (zero without Options.Trace) is when its
	// lookups started.
	Slowest string
	Since   time.Time
	// Waiting is the query Slowest waits for, as "TXT _dmarc.example.com";
	// "" without Options.Trace, or while it waits for an answer another
	// domain asked for first, or for no query at all.
	Waiting string
}

// Progress returns a snapshot of the scan under way. It is safe to call
// from any goroutine while Scan runs; a Scanner runs one scan at a time.
func (s *Scanner) Progress() Progress {
	p := Progress{Started: s.started.Load(), Finished: s.finished.Load()}
	j := s.head.Load()
	if j == nil || j.d == nil || len(j.done) > 0 { // none, or finished after all
		return p
	}
	p.Slowest, p.Since = j.d.r.Domain, j.born
	j.mu.Lock()
	if len(j.waits) > 0 {
		w := j.waits[0]
		p.Waiting = dns.TypeToString[w.qtype] + " " + strings.TrimSuffix(w.name, ".")
	}
	j.mu.Unlock()
	return p
}

// waiting is one query a domain has sent and waits for.
type waiting struct {
	name  string
	qtype uint16
}

// jobKey keys the job in the context of its lookups (Options.Trace).
type jobKey struct{}

// tracer is the Querier under the scan's cache when Options.Trace is set:
// it notes on the asking domain's job which queries it waits for (one per
// chain at most, as the chains run side by side). The cache
// asks it only for names not yet answered, so a domain waiting for a
// query another domain sent first shows none.
type tracer struct{ q resolve.Querier }

func (t tracer) Query(ctx context.Context, name string, qtype uint16) resolve.Answer {
	j, ok := ctx.Value(jobKey{}).(*job)
	if !ok {
		return t.q.Query(ctx, name, qtype)
	}
	w := &waiting{name: name, qtype: qtype}
	j.mu.Lock()
	j.waits = append(j.waits, w)
	j.mu.Unlock()
	defer func() {
		j.mu.Lock()
		j.waits = slices.DeleteFunc(j.waits, func(x *waiting) bool { return x == w })
		j.mu.Unlock()
	}()
	return t.q.Query(ctx, name, qtype)
}
