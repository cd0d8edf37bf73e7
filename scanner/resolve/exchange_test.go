package resolve

import (
	"context"
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
