package scanner_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/dnstest"
	"github.com/mxscope/mxscope/scanner/targets"
)

// While one domain's DMARC query goes unanswered, Progress names it as the
// slowest, says which query it waits for, and counts the domains behind it
// as finished though none of them can be written before it.
func TestProgressNamesTheSlowestDomainAndItsQuery(t *testing.T) {
	s := newScanner(t, func(q dnstest.Query) dnstest.Action {
		if q.Name == "_dmarc.ms.example." {
			return dnstest.Action{Drop: true}
		}
		return dnstest.Action{}
	}, scanner.Options{Trace: true})
	ts, _ := targets.FromArgs([]string{"ms.example", "google.example", "pp.example", "not a domain!"})
	done := make(chan error, 1)
	go func() {
		done <- s.Scan(context.Background(), slices.Values(ts), func(*scanner.Result) error { return nil })
	}()
	var p scanner.Progress
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if p = s.Progress(); p.Waiting != "" && p.Finished == 3 {
			break
		}
	}
	if p.Slowest != "ms.example" || p.Waiting != "TXT _dmarc.ms.example" || p.Started != 4 || p.Finished != 3 || p.Since.IsZero() {
		t.Errorf("progress = %+v; want ms.example waiting for TXT _dmarc.ms.example, 4 started, 3 finished", p)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if p := s.Progress(); p.Finished != 4 || p.Slowest != "" {
		t.Errorf("after the scan: %+v; want 4 finished and nothing in flight", p)
	}
}

// Without Options.Trace nothing is recorded per query.
func TestProgressWithoutTraceCountsOnly(t *testing.T) {
	s := newScanner(t, nil, scanner.Options{})
	scanAll(t, s, "ms.example", "google.example")
	if p := s.Progress(); p.Started != 2 || p.Finished != 2 || p.Waiting != "" {
		t.Errorf("progress = %+v", p)
	}
}
