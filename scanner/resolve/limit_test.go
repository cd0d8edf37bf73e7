package resolve

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxscope/mxscope/scanner/dnstest"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct{ t time.Time }

func (f *fakeClock) now() time.Time          { return f.t }
func (f *fakeClock) advance(d time.Duration) { f.t = f.t.Add(d) }

func TestBucketReservesTokensInOrder(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	b := newBucket(10, clock.now) // burst 1: one token every 100ms
	var got []time.Duration
	for range 4 {
		got = append(got, b.reserve())
	}
	want := []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("reservation %d: got %v; want %v", i, got[i], want[i])
		}
	}
	b.cancel() // the last caller gave up
	clock.advance(300 * time.Millisecond)
	if d := b.reserve(); d != 0 {
		t.Errorf("after the wait: got %v; want 0", d)
	}
	clock.advance(time.Hour) // an idle hour saves up no more than the burst
	if d1, d2 := b.reserve(), b.reserve(); d1 != 0 || d2 != 100*time.Millisecond {
		t.Errorf("after idling: got %v, %v; want 0, 100ms", d1, d2)
	}
}

func TestBucketBurstScalesWithRate(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	tests := []struct {
		rate float64
		free int // reservations granted without waiting
	}{{0.5, 1}, {10, 1}, {100, 5}, {150000, 7500}}
	for _, tt := range tests {
		b := newBucket(tt.rate, clock.now)
		free := 0
		for b.reserve() == 0 {
			free++
		}
		if free != tt.free {
			t.Errorf("rate %v: got %d free tokens; want %d", tt.rate, free, tt.free)
		}
	}
}

func TestQPSCapHoldsQueriesBack(t *testing.T) {
	srv := dnstest.New(t, testZone)
	c := newClient(t, Config{Servers: []string{srv.Addr()}, QPS: 1})
	clock := &fakeClock{t: time.Unix(1000, 0)}
	c.limit = newBucket(1, clock.now) // time stands still: the second token never comes due
	if a := c.Query(context.Background(), "example.com", dns.TypeA); a.Status != StatusOK {
		t.Fatalf("first query: got %v; want ok", a.Status)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Answer)
	go func() { done <- c.Query(ctx, "example.com", dns.TypeMX) }()
	for c.Stats().Throttled == 0 {
		runtime.Gosched()
	}
	cancel()
	if a := <-done; !errors.Is(a.Err, context.Canceled) {
		t.Errorf("held-back query: got %v (%v); want cancelled", a.Status, a.Err)
	}
	if got := srv.Queries(); got != 1 {
		t.Errorf("server saw %d queries; want 1", got)
	}
	if st := c.Stats(); st.Queries != 1 || st.Throttled != 1 {
		t.Errorf("got %+v; want 1 query sent, 1 throttled", st)
	}
}
