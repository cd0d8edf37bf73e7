package resolve

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxscope/mxscope/scanner/dnstest"
)

// An evidence file records, per answer, the resolver that gave it, the
// transport and the reply's AD and TC flags: the Client fills them in.
func TestAnswerSaysHowItWasExchanged(t *testing.T) {
	srv := dnstest.New(t, testZone)
	srv.SetHook(func(q dnstest.Query) dnstest.Action {
		switch q.Name {
		case "mx1.example.com.":
			return dnstest.Action{Mutate: func(m *dns.Msg) { m.AuthenticatedData = true }}
		case "mx2.example.com.":
			return dnstest.Action{Truncate: true}
		case "servfail.example.com.":
			return dnstest.Action{Rcode: dns.RcodeServerFailure}
		}
		return dnstest.Action{}
	})
	dead := deadServer(t)
	c := newClient(t, Config{Servers: []string{srv.Addr()}, Timeout: 100 * time.Millisecond, Retries: 1})
	tests := []struct {
		name        string
		status      Status
		tcp, ad, tc bool
		server      string
	}{
		{"example.com", StatusOK, false, false, false, srv.Addr()},
		{"mx1.example.com", StatusOK, false, true, false, srv.Addr()},
		{"mx2.example.com", StatusOK, true, false, true, srv.Addr()},
		{"servfail.example.com", StatusServFail, false, false, false, srv.Addr()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := c.Query(context.Background(), tt.name, dns.TypeA)
			if a.Status != tt.status || a.TCP != tt.tcp || a.AD != tt.ad || a.TC != tt.tc || a.Server != tt.server {
				t.Errorf("got status %v tcp %v ad %v tc %v server %q; want %v %v %v %v %q",
					a.Status, a.TCP, a.AD, a.TC, a.Server, tt.status, tt.tcp, tt.ad, tt.tc, tt.server)
			}
			if !a.Time.IsZero() || a.Latency != 0 {
				t.Errorf("the client set Time %v and Latency %v; a recording Querier sets them", a.Time, a.Latency)
			}
		})
	}
	t.Run("timeout names the last resolver asked", func(t *testing.T) {
		c := newClient(t, Config{Servers: []string{dead}, Timeout: 50 * time.Millisecond, Retries: 0})
		a := c.Query(context.Background(), "example.com", dns.TypeA)
		if a.Status != StatusTimeout || a.Server != dead || a.Rcode != NoRcode {
			t.Errorf("got %v from %q (rcode %d); want timeout from %s", a.Status, a.Server, a.Rcode, dead)
		}
	})
}

// An Interceptor sees every question the cache is asked, hits included, and
// may answer in the cache's place.
func TestInterceptSeesEveryQuestionAndMayAnswer(t *testing.T) {
	fake := &countingQuerier{answers: map[string]Answer{
		"a.example.": {Status: StatusOK, Records: []dns.RR{mustRR(t, "a.example. 60 IN TXT \"x\"")}},
	}}
	cache := NewCache(fake)
	var seen []string
	cache.Intercept(func(ctx context.Context, name string, qtype uint16, next Querier) Answer {
		seen = append(seen, name)
		if name == "b.example" {
			return Answer{Status: StatusNXDomain, Rcode: dns.RcodeNameError}
		}
		return next.Query(ctx, name, qtype)
	})
	for range 3 {
		if a := cache.Query(context.Background(), "a.example", dns.TypeTXT); a.Status != StatusOK {
			t.Fatalf("a.example: got %v; want ok", a.Status)
		}
	}
	if txt, err := cache.LookupTXT(context.Background(), "b.example"); err != nil || txt != nil {
		t.Errorf("LookupTXT(b.example) = %q, %v; want the interceptor's NXDOMAIN", txt, err)
	}
	if len(seen) != 4 {
		t.Errorf("the interceptor saw %q; want every question, hits included (4)", seen)
	}
	if got := fake.calls["a.example."]; got != 1 {
		t.Errorf("the querier behind the cache was asked %d times; want 1", got)
	}
}

// A TCP try that fails in transport (the resolver closes the connection:
// it does that at its TCP limit) is not the end: one more datagram goes,
// waiting the whole timeout.
func TestFailedTCPTryIsFollowedByOneMoreDatagram(t *testing.T) {
	srv := dnstest.New(t, testZone)
	var udp atomic.Int32
	srv.SetHook(func(q dnstest.Query) dnstest.Action {
		if q.Proto == "tcp" {
			return dnstest.Action{Hangup: true}
		}
		if udp.Add(1) <= 3 { // the three datagrams before the TCP try are lost
			return dnstest.Action{Drop: true}
		}
		return dnstest.Action{}
	})
	c := newClient(t, Config{Servers: []string{srv.Addr()}, Timeout: 300 * time.Millisecond, Retries: 3})
	a := c.Query(context.Background(), "example.com", dns.TypeA)
	if a.Status != StatusOK || a.TCP {
		t.Fatalf("got %v (tcp %v, %v); want ok from the datagram after the failed TCP try", a.Status, a.TCP, a.Err)
	}
	if st := c.Stats(); st.TCPFallbacks != 1 || st.Queries != 5 || udp.Load() != 4 {
		t.Errorf("queries %d, TCP %d, datagrams %d; want 3 datagrams, the TCP try, 1 datagram", st.Queries, st.TCPFallbacks, udp.Load())
	}
}

// However many queries fall back to TCP at once, no more than
// maxTCPPerServer connections are open to one resolver, and every query
// is answered.
func TestTCPConnectionsToOneResolverAreCapped(t *testing.T) {
	srv := dnstest.New(t, testZone)
	var open, most atomic.Int32
	srv.SetHook(func(q dnstest.Query) dnstest.Action {
		if q.Proto == "udp" {
			return dnstest.Action{Truncate: true}
		}
		n := open.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		return dnstest.Action{Delay: 20 * time.Millisecond, Mutate: func(*dns.Msg) { open.Add(-1) }}
	})
	c := newClient(t, Config{Servers: []string{srv.Addr()}, Timeout: 5 * time.Second, Retries: 1})
	var wg sync.WaitGroup
	failed := atomic.Int32{}
	for i := range 64 {
		wg.Go(func() {
			if a := c.Query(context.Background(), fmt.Sprintf("q%d.example.com", i), dns.TypeTXT); a.Status != StatusNXDomain {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if failed.Load() > 0 {
		t.Errorf("%d of 64 queries were not answered over TCP", failed.Load())
	}
	// unbound takes 10 TCP connections a thread by default.
	if m := most.Load(); m > maxTCPPerServer || m > 10 || m < 2 {
		t.Errorf("at most %d TCP queries were open at once; want 2 to %d", m, min(maxTCPPerServer, 10))
	}
}
