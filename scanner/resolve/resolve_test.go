package resolve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxscope/mxscope/scanner/dnstest"
)

const testZone = `
example.com.            SOA   ns.example.com. host.example.com. 1 3600 600 86400 300
example.com.            A     192.0.2.1
example.com.            AAAA  2001:db8::1
example.com.            MX    20 MX2.Example.com.
example.com.            MX    10 mx1.example.com.
example.com.            TXT   "v=spf1 " "include:_spf.example.net -all"
mx1.example.com.        A     192.0.2.10
mx2.example.com.        A     192.0.2.11
nodata.example.com.     TXT   "only txt here"
www.example.com.        CNAME a.example.com.
a.example.com.          CNAME b.example.com.
b.example.com.          A     192.0.2.20
dangling.example.com.   CNAME gone.example.com.
raw.example.com.        TXT   "quote\"back\\slash\001\027end" "second"
null.example.com.       MX    0 .
10.2.0.192.in-addr.arpa. PTR  MX1.example.com.
`

// newClient starts a client on servers with retries and backoff suited to
// tests, closed at cleanup.
func newClient(t testing.TB, cfg Config) *Client {
	t.Helper()
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	c.backoff = func(int) time.Duration { return 0 }
	t.Cleanup(func() { c.Close() })
	return c
}

// deadServer binds a UDP port on 127.0.0.1 that never answers.
func deadServer(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().String()
}

func TestQueryAnswersRecords(t *testing.T) {
	srv := dnstest.New(t, testZone)
	c := newClient(t, Config{Servers: []string{srv.Addr()}})
	tests := []struct {
		name  string
		qtype uint16
		want  []string // records' rdata
	}{
		{"example.com", dns.TypeA, []string{"192.0.2.1"}},
		{"EXAMPLE.com.", dns.TypeA, []string{"192.0.2.1"}},
		{"example.com", dns.TypeAAAA, []string{"2001:db8::1"}},
		{"example.com", dns.TypeMX, []string{"20 MX2.Example.com.", "10 mx1.example.com."}},
		{"example.com", dns.TypeTXT, []string{`"v=spf1 " "include:_spf.example.net -all"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+dns.TypeToString[tt.qtype], func(t *testing.T) {
			a := c.Query(context.Background(), tt.name, tt.qtype)
			if a.Status != StatusOK || a.Err != nil || a.Rcode != dns.RcodeSuccess {
				t.Fatalf("got %v (%v, rcode %d); want ok", a.Status, a.Err, a.Rcode)
			}
			if got := rdata(a.Records); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}

func rdata(rrs []dns.RR) []string {
	var out []string
	for _, rr := range rrs {
		s := rr.String()
		out = append(out, s[len(rr.Header().String()):])
	}
	return out
}

func TestStatusesStayDistinct(t *testing.T) {
	srv := dnstest.New(t, testZone)
	srv.SetHook(func(q dnstest.Query) dnstest.Action {
		switch q.Name {
		case "servfail.example.com.":
			return dnstest.Action{Rcode: dns.RcodeServerFailure}
		case "refused.example.com.":
			return dnstest.Action{Rcode: dns.RcodeRefused}
		case "formerr.example.com.":
			return dnstest.Action{Rcode: dns.RcodeFormatError}
		case "notimp.example.com.":
			return dnstest.Action{Rcode: dns.RcodeNotImplemented}
		case "badvers.example.com.":
			// An extended rcode: the upper bits travel in the OPT record.
			return dnstest.Action{Mutate: func(m *dns.Msg) {
				m.Answer = nil
				if m.IsEdns0() == nil {
					m.SetEdns0(1232, false)
				}
				m.Rcode = dns.RcodeBadVers
			}}
		case "timeout.example.com.":
			return dnstest.Action{Drop: true}
		}
		return dnstest.Action{}
	})
	c := newClient(t, Config{Servers: []string{srv.Addr()}, Timeout: 100 * time.Millisecond, Retries: 1})
	tests := []struct {
		name    string
		want    Status
		rcode   int
		wantErr error
	}{
		{"example.com", StatusOK, dns.RcodeSuccess, nil},
		{"nodata.example.com", StatusNoData, dns.RcodeSuccess, nil},
		{"missing.example.com", StatusNXDomain, dns.RcodeNameError, nil},
		{"servfail.example.com", StatusServFail, dns.RcodeServerFailure, ErrServFail},
		{"refused.example.com", StatusRefused, dns.RcodeRefused, ErrRefused},
		{"timeout.example.com", StatusTimeout, NoRcode, ErrTimeout},
		{"formerr.example.com", StatusError, dns.RcodeFormatError, ErrRcode},
		{"notimp.example.com", StatusError, dns.RcodeNotImplemented, ErrRcode},
		{"badvers.example.com", StatusError, dns.RcodeBadVers, ErrRcode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := c.Query(context.Background(), tt.name, dns.TypeA)
			if a.Status != tt.want || a.Rcode != tt.rcode {
				t.Errorf("got %v rcode %d; want %v rcode %d", a.Status, a.Rcode, tt.want, tt.rcode)
			}
			if !errors.Is(a.Err, tt.wantErr) || (tt.wantErr == nil) != (a.Err == nil) {
				t.Errorf("got err %v; want %v", a.Err, tt.wantErr)
			}
			if got, want := a.Void(), tt.want == StatusNoData || tt.want == StatusNXDomain; got != want {
				t.Errorf("Void() = %v; want %v", got, want)
			}
		})
	}
	if a := c.Query(context.Background(), "notimp.example.com", dns.TypeA); !strings.Contains(a.Err.Error(), "NOTIMP") {
		t.Errorf("got %q; want the rcode name in the error", a.Err)
	}
	// miekg/dns names 16 BADSIG (its TSIG meaning); in a reply it is BADVERS.
	if a := c.Query(context.Background(), "badvers.example.com", dns.TypeA); !strings.Contains(a.Err.Error(), "BADVERS") {
		t.Errorf("got %q; want BADVERS in the error", a.Err)
	}
}

func TestRetryPolicy(t *testing.T) {
	tests := []struct {
		name        string
		rcode       int  // what the first server (or the only one) answers
		twoServers  bool // the second server answers normally
		retries     int
		wantStatus  Status
		wantQueries int64 // queries seen by the failing server
		wantRetries uint64
	}{
		{"servfail from one of two servers moves on", dns.RcodeServerFailure, true, 2, StatusOK, 1, 1},
		{"refused from one of two servers moves on", dns.RcodeRefused, true, 2, StatusOK, 1, 1},
		{"servfail from a single server is retried once", dns.RcodeServerFailure, false, 3, StatusServFail, 2, 1},
		{"refused from a single server is final", dns.RcodeRefused, false, 3, StatusRefused, 1, 0},
		{"no retries means one attempt", dns.RcodeServerFailure, false, 0, StatusServFail, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := dnstest.New(t, testZone)
			bad.SetHook(dnstest.RcodeFor(tt.rcode, "example.com"))
			servers := []string{bad.Addr()}
			if tt.twoServers {
				servers = append(servers, dnstest.New(t, testZone).Addr())
			}
			c := newClient(t, Config{Servers: servers, Retries: tt.retries})
			a := c.Query(context.Background(), "example.com", dns.TypeA)
			if a.Status != tt.wantStatus {
				t.Errorf("got %v; want %v", a.Status, tt.wantStatus)
			}
			if got := bad.Queries(); got != tt.wantQueries {
				t.Errorf("failing server saw %d queries; want %d", got, tt.wantQueries)
			}
			if got := c.Stats().Retries; got != tt.wantRetries {
				t.Errorf("got %d retries; want %d", got, tt.wantRetries)
			}
		})
	}
}

func TestTruncatedReplyFallsBackToTCP(t *testing.T) {
	var zone strings.Builder
	for i := range 30 {
		fmt.Fprintf(&zone, "big.example.com. TXT \"%02d%s\"\n", i, strings.Repeat("x", 198))
	}
	srv := dnstest.New(t, zone.String())
	c := newClient(t, Config{Servers: []string{srv.Addr()}})
	a := c.Query(context.Background(), "big.example.com", dns.TypeTXT)
	if a.Status != StatusOK || len(a.Records) != 30 {
		t.Fatalf("got %v with %d records (%v); want ok with 30", a.Status, len(a.Records), a.Err)
	}
	for _, rr := range a.Records {
		if got := len(TXTString(rr.(*dns.TXT))); got != 200 {
			t.Errorf("got a %d-byte record; want 200", got)
		}
	}
	if got := c.Stats().TCPFallbacks; got != 1 {
		t.Errorf("got %d TCP fallbacks; want 1", got)
	}
	if got := srv.Queries(); got != 2 {
		t.Errorf("server saw %d queries; want 2 (UDP, then TCP)", got)
	}
}

func TestTruncatedFlagAloneFallsBackToTCP(t *testing.T) {
	srv := dnstest.New(t, testZone)
	srv.SetHook(func(dnstest.Query) dnstest.Action { return dnstest.Action{Truncate: true} })
	c := newClient(t, Config{Servers: []string{srv.Addr()}})
	a := c.Query(context.Background(), "example.com", dns.TypeMX)
	if a.Status != StatusOK || len(a.Records) != 2 {
		t.Errorf("got %v with %d records; want ok with 2", a.Status, len(a.Records))
	}
}

func TestDeadFirstResolverThenLiveOne(t *testing.T) {
	live := dnstest.New(t, testZone)
	c := newClient(t, Config{Servers: []string{deadServer(t), live.Addr()}, Timeout: 100 * time.Millisecond, Retries: 1})
	a := c.Query(context.Background(), "example.com", dns.TypeA) // the first query starts at the first server
	if a.Status != StatusOK {
		t.Fatalf("got %v (%v); want ok", a.Status, a.Err)
	}
	st := c.Stats()
	if st.Retries != 1 || st.Timeouts != 1 || st.Queries != 2 || st.Responses != 1 {
		t.Errorf("got %+v; want 1 retry, 1 timeout, 2 queries, 1 response", st)
	}
}

func TestAllAttemptsTimingOutGiveTimeout(t *testing.T) {
	c := newClient(t, Config{Servers: []string{deadServer(t), deadServer(t)}, Timeout: 50 * time.Millisecond, Retries: 2})
	a := c.Query(context.Background(), "example.com", dns.TypeA)
	if a.Status != StatusTimeout || !errors.Is(a.Err, ErrTimeout) || a.Rcode != NoRcode {
		t.Errorf("got %v (%v, rcode %d); want timeout", a.Status, a.Err, a.Rcode)
	}
	// Two UDP attempts time out; the last try goes over TCP, which the
	// dead servers refuse: each refusing one is set aside, and the try
	// moves to the other, uncounted, until none is left. The query still
	// reports a timeout.
	if st := c.Stats(); st.Timeouts != 2 || st.Retries != 3 || st.TCPFallbacks != 2 || st.SetAside != 2 {
		t.Errorf("got %+v; want 2 UDP timeouts, 3 retries, 2 TCP attempts, 2 resolvers set aside", st)
	}
}

func TestForgedRepliesAreDiscarded(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*dns.Msg)
	}{
		{"wrong id", func(m *dns.Msg) { m.Id++ }},
		{"other name", func(m *dns.Msg) { m.Question[0].Name = "evil.example.com." }},
		{"other type", func(m *dns.Msg) { m.Question[0].Qtype = dns.TypeAAAA }},
		{"other class", func(m *dns.Msg) { m.Question[0].Qclass = dns.ClassCHAOS }},
		{"no question", func(m *dns.Msg) { m.Question = nil }},
		{"not a response", func(m *dns.Msg) { m.Response = false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := dnstest.New(t, testZone)
			srv.SetHook(func(dnstest.Query) dnstest.Action { return dnstest.Action{Mutate: tt.mutate} })
			c := newClient(t, Config{Servers: []string{srv.Addr()}, Timeout: 100 * time.Millisecond})
			a := c.Query(context.Background(), "example.com", dns.TypeA)
			if a.Status != StatusTimeout {
				t.Errorf("got %v; want timeout", a.Status)
			}
			if st := c.Stats(); st.Discarded == 0 || st.Responses != 0 {
				t.Errorf("got %+v; want the reply discarded", st)
			}
		})
	}
}

func TestQuestionMatchIgnoresCase(t *testing.T) {
	srv := dnstest.New(t, testZone)
	srv.SetHook(func(dnstest.Query) dnstest.Action {
		return dnstest.Action{Mutate: func(m *dns.Msg) { m.Question[0].Name = strings.ToUpper(m.Question[0].Name) }}
	})
	c := newClient(t, Config{Servers: []string{srv.Addr()}})
	if a := c.Query(context.Background(), "example.com", dns.TypeA); a.Status != StatusOK {
		t.Errorf("got %v (%v); want ok (0x20 case changes are legal)", a.Status, a.Err)
	}
}

func TestGarbageRepliesNeverPanic(t *testing.T) {
	tests := []struct {
		name string
		raw  []byte
	}{
		{"short", []byte{1, 2, 3}},
		{"text", []byte("HTTP/1.1 400 Bad Request\r\n\r\n")},
		{"header only", make([]byte, 12)},
		{"huge", make([]byte, 60000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := dnstest.New(t, testZone)
			srv.SetHook(func(dnstest.Query) dnstest.Action { return dnstest.Action{Raw: tt.raw} })
			c := newClient(t, Config{Servers: []string{srv.Addr()}, Timeout: 50 * time.Millisecond})
			if a := c.Query(context.Background(), "example.com", dns.TypeA); a.Status != StatusTimeout {
				t.Errorf("got %v; want timeout", a.Status)
			}
		})
	}
}

func TestCNAMEChain(t *testing.T) {
	srv := dnstest.New(t, testZone)
	c := newClient(t, Config{Servers: []string{srv.Addr()}})
	tests := []struct {
		name       string
		qtype      uint16
		want       Status
		wantCNAMEs []string
		wantN      int
	}{
		{"www.example.com", dns.TypeA, StatusOK, []string{"a.example.com", "b.example.com"}, 1},
		{"www.example.com", dns.TypeAAAA, StatusNoData, []string{"a.example.com", "b.example.com"}, 0},
		{"www.example.com", dns.TypeCNAME, StatusOK, nil, 1},
		{"dangling.example.com", dns.TypeA, StatusNXDomain, []string{"gone.example.com"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+dns.TypeToString[tt.qtype], func(t *testing.T) {
			a := c.Query(context.Background(), tt.name, tt.qtype)
			if a.Status != tt.want || len(a.Records) != tt.wantN || !reflect.DeepEqual(a.CNAMEs, tt.wantCNAMEs) {
				t.Errorf("got %v %d records CNAMEs %q; want %v %d records CNAMEs %q",
					a.Status, len(a.Records), a.CNAMEs, tt.want, tt.wantN, tt.wantCNAMEs)
			}
			for _, rr := range a.Records {
				if rr.Header().Rrtype != tt.qtype {
					t.Errorf("got a %s record; want only %s", dns.TypeToString[rr.Header().Rrtype], dns.TypeToString[tt.qtype])
				}
			}
		})
	}
}

func TestAnswerFromIgnoresRecordsOutsideTheChain(t *testing.T) {
	rr := func(s string) dns.RR { return mustRR(t, s) }
	tests := []struct {
		name    string
		answer  []dns.RR
		want    Status
		wantN   int
		wantLen int // CNAMEs
	}{
		{"unrelated owner", []dns.RR{rr("evil.example. A 192.0.2.66")}, StatusNoData, 0, 0},
		{"cname loop", []dns.RR{rr("q.example. CNAME r.example."), rr("r.example. CNAME q.example.")}, StatusError, 0, 1},
		{"mixed-case owner", []dns.RR{rr("Q.Example. A 192.0.2.1"), rr("q.example. A 192.0.2.2")}, StatusOK, 2, 0},
		{"other type at the name", []dns.RR{rr("q.example. TXT x"), rr("q.example. A 192.0.2.1")}, StatusOK, 1, 0},
		{"other class", []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: "q.example.", Rrtype: dns.TypeA, Class: dns.ClassCHAOS}, A: net.IPv4(1, 2, 3, 4)}}, StatusNoData, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := new(dns.Msg)
			m.Answer = tt.answer
			a := answerFrom(m, "q.example.", dns.TypeA, "test")
			if a.Status != tt.want || len(a.Records) != tt.wantN || len(a.CNAMEs) != tt.wantLen {
				t.Errorf("got %v %d records %q; want %v %d records %d CNAMEs", a.Status, len(a.Records), a.CNAMEs, tt.want, tt.wantN, tt.wantLen)
			}
		})
	}
}

func TestCancelReturnsPromptlyAndIsNotCached(t *testing.T) {
	srv := dnstest.New(t, testZone)
	srv.SetHook(func(dnstest.Query) dnstest.Action { return dnstest.Action{Drop: true} })
	// An hour-long timeout: only the cancellation can end the query.
	c := newClient(t, Config{Servers: []string{srv.Addr()}, Timeout: time.Hour})
	cache := NewCache(c)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Answer)
	go func() { done <- cache.Query(ctx, "example.com", dns.TypeA) }()
	for srv.Queries() == 0 {
		runtime.Gosched()
	}
	cancel()
	a := <-done
	if a.Status != StatusError || !errors.Is(a.Err, context.Canceled) {
		t.Errorf("got %v (%v); want error wrapping context.Canceled", a.Status, a.Err)
	}
	srv.SetHook(nil)
	if a := cache.Query(context.Background(), "example.com", dns.TypeA); a.Status != StatusOK {
		t.Errorf("after cancel: got %v (%v); want ok (the cancelled answer must not be cached)", a.Status, a.Err)
	}
	if st := cache.Stats(); st.Misses != 2 {
		t.Errorf("got %+v; want 2 misses", st)
	}
	for _, s := range c.servers[0].socks {
		s.mu.Lock()
		n := s.npend
		s.mu.Unlock()
		if n != 0 {
			t.Errorf("got %d pending queries on a socket; want 0", n)
		}
	}
}

func TestCancelledContextBeforeQuery(t *testing.T) {
	srv := dnstest.New(t, testZone)
	c := newClient(t, Config{Servers: []string{srv.Addr()}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if a := c.Query(ctx, "example.com", dns.TypeA); a.Status != StatusError || !errors.Is(a.Err, context.Canceled) {
		t.Errorf("got %v (%v); want error wrapping context.Canceled", a.Status, a.Err)
	}
	if got := srv.Queries(); got != 0 {
		t.Errorf("server saw %d queries; want 0", got)
	}
}

func TestCacheCollapsesConcurrentIdenticalQueries(t *testing.T) {
	srv := dnstest.New(t, testZone)
	srv.SetHook(func(dnstest.Query) dnstest.Action { return dnstest.Action{Delay: 50 * time.Millisecond} })
	cache := NewCache(newClient(t, Config{Servers: []string{srv.Addr()}}))
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			if a := cache.Query(context.Background(), "Example.COM", dns.TypeTXT); a.Status != StatusOK {
				t.Errorf("got %v; want ok", a.Status)
			}
		})
	}
	wg.Wait()
	if got := srv.Queries(); got != 1 {
		t.Errorf("server saw %d queries; want 1", got)
	}
	if st := cache.Stats(); st.Misses != 1 || st.Hits != 99 {
		t.Errorf("got %+v; want 1 miss, 99 hits", st)
	}
}

func TestCacheKeepsFailuresButNotClosedClient(t *testing.T) {
	fake := &countingQuerier{answers: map[string]Answer{
		"timeout.example.": {Status: StatusTimeout, Err: ErrTimeout},
		"closed.example.":  {Status: StatusError, Err: ErrClosed},
	}}
	cache := NewCache(fake)
	for range 3 {
		cache.Query(context.Background(), "timeout.example", dns.TypeA)
		cache.Query(context.Background(), "closed.example", dns.TypeA)
	}
	if got, want := fake.calls, map[string]int{"timeout.example.": 1, "closed.example.": 3}; !reflect.DeepEqual(got, want) {
		t.Errorf("got calls %v; want %v", got, want)
	}
}

// Shard maps are keyed by a 64-bit hash; a second key with the same hash
// must be asked, never answered with the first key's answer.
func TestCacheNeverAnswersForAnotherKeyWithTheSameHash(t *testing.T) {
	fake := &countingQuerier{answers: map[string]Answer{
		"a.example.": {Status: StatusOK},
		"b.example.": {Status: StatusNXDomain},
	}}
	cache := NewCache(fake)
	ctx := context.Background()
	cache.Query(ctx, "a.example", dns.TypeA)
	// Put a.example's entry where b.example's hash leads, as a collision would.
	ha, hb := cache.hash(cacheKey{name: "a.example", qtype: dns.TypeA}), cache.hash(cacheKey{name: "b.example", qtype: dns.TypeA})
	sa, sb := &cache.shards[ha&(cacheShards-1)], &cache.shards[hb&(cacheShards-1)]
	sb.m[hb] = sa.m[ha]
	for range 2 {
		if got := cache.Query(ctx, "b.example", dns.TypeA); got.Status != StatusNXDomain {
			t.Fatalf("b.example: got %s; want nxdomain, its own answer", got.Status)
		}
	}
	if got, want := fake.calls, map[string]int{"a.example.": 1, "b.example.": 2}; !reflect.DeepEqual(got, want) {
		t.Errorf("got calls %v; want %v (a colliding key is asked every time)", got, want)
	}
}

// mustQuery is newQuery for a query the test packed itself.
func mustQuery(fqdn string, qtype uint16, packed []byte) *query {
	q, ok := newQuery(fqdn, qtype, packed)
	if !ok {
		panic("mustQuery: the packed query has no well-formed question")
	}
	return &q
}

// mxQuery packs an MX query for name as a resolver would send it (EDNS0,
// 1232 bytes) and returns the message, to build replies from, and the query.
func mxQuery(tb testing.TB, name string) (*dns.Msg, *query) {
	tb.Helper()
	q := new(dns.Msg)
	q.SetQuestion(name, dns.TypeMX)
	q.SetEdns0(1232, false)
	packed, err := q.Pack()
	if err != nil {
		tb.Fatal(err)
	}
	return q, mustQuery(name, dns.TypeMX, packed)
}

// mustRR parses one record in zone-file syntax.
func mustRR(tb testing.TB, s string) dns.RR {
	tb.Helper()
	r, err := dns.NewRR(s)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

type countingQuerier struct {
	mu      sync.Mutex
	answers map[string]Answer
	calls   map[string]int
}

func (q *countingQuerier) Query(_ context.Context, name string, _ uint16) Answer {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.calls == nil {
		q.calls = make(map[string]int)
	}
	q.calls[name]++
	return q.answers[name]
}

func TestLookupsApplyTheVoidConvention(t *testing.T) {
	srv := dnstest.New(t, testZone)
	srv.SetHook(dnstest.RcodeFor(dns.RcodeServerFailure, "_dmarc.example.com"))
	cache := NewCache(newClient(t, Config{Servers: []string{srv.Addr()}}))
	ctx := context.Background()
	check := func(t *testing.T, got any, err error, want any) {
		t.Helper()
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("got %v, %v; want %v, nil", got, err, want)
		}
	}
	t.Run("TXT raw bytes, strings concatenated", func(t *testing.T) {
		got, err := cache.LookupTXT(ctx, "raw.example.com")
		check(t, got, err, []string{"quote\"back\\slash\x01\x1bendsecond"})
	})
	t.Run("TXT", func(t *testing.T) {
		got, err := cache.LookupTXT(ctx, "example.com")
		check(t, got, err, []string{"v=spf1 include:_spf.example.net -all"})
	})
	t.Run("A", func(t *testing.T) {
		got, err := cache.LookupA(ctx, "www.example.com")
		check(t, got, err, []netip.Addr{netip.MustParseAddr("192.0.2.20")})
	})
	t.Run("AAAA", func(t *testing.T) {
		got, err := cache.LookupAAAA(ctx, "example.com")
		check(t, got, err, []netip.Addr{netip.MustParseAddr("2001:db8::1")})
	})
	t.Run("MX by preference, lower case", func(t *testing.T) {
		got, err := cache.LookupMX(ctx, "example.com")
		check(t, got, err, []string{"mx1.example.com", "mx2.example.com"})
	})
	t.Run("null MX", func(t *testing.T) {
		got, err := cache.LookupMX(ctx, "null.example.com")
		check(t, got, err, []string{"."})
	})
	t.Run("PTR", func(t *testing.T) {
		got, err := cache.LookupPTR(ctx, netip.MustParseAddr("192.0.2.10"))
		check(t, got, err, []string{"mx1.example.com"})
	})
	t.Run("NODATA is void", func(t *testing.T) {
		got, err := cache.LookupA(ctx, "nodata.example.com")
		check(t, got, err, []netip.Addr(nil))
	})
	t.Run("NXDOMAIN is void", func(t *testing.T) {
		got, err := cache.LookupTXT(ctx, "missing.example.com")
		check(t, got, err, []string(nil))
	})
	t.Run("SERVFAIL is an error", func(t *testing.T) {
		got, err := cache.LookupTXT(ctx, "_dmarc.example.com.")
		var e *Error
		if got != nil || !errors.As(err, &e) || e.Status != StatusServFail || !errors.Is(err, ErrServFail) {
			t.Fatalf("got %v, %v; want nil and a servfail *Error", got, err)
		}
		if want := "resolve: _dmarc.example.com TXT: servfail"; err.Error() != want {
			t.Errorf("got %q; want %q", err.Error(), want)
		}
	})
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Name: "example.com", Type: dns.TypeMX, Status: StatusTimeout, Err: ErrTimeout}, "resolve: example.com MX: timeout"},
		{&Error{Name: "example.com", Type: dns.TypeA, Status: StatusError, Err: fmt.Errorf("%w FORMERR from x", ErrRcode)}, "resolve: example.com A: error: unexpected response code FORMERR from x"},
		{&Error{Name: "example.com", Type: 65280, Status: StatusRefused}, "resolve: example.com TYPE65280: refused"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q; want %q", got, tt.want)
		}
	}
}

func TestTXTString(t *testing.T) {
	tests := []struct {
		name string
		txt  []string // as miekg/dns holds them: presentation form
		want string
	}{
		{"plain", []string{"v=spf1 -all"}, "v=spf1 -all"},
		{"concatenated with nothing", []string{"v=spf1 ", "include:x", " -all"}, "v=spf1 include:x -all"},
		{"quote and backslash", []string{`a\"b\\c`}, `a"b\c`},
		{"decimal escapes", []string{`\000\001\027\127\255`}, "\x00\x01\x1b\x7f\xff"},
		{"escape across strings", []string{`x\`, `092`}, `x\092`},
		{"value above 255 is not a byte", []string{`\256`}, "256"},
		{"short digits", []string{`\12`}, "12"},
		{"empty", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TXTString(&dns.TXT{Txt: tt.txt}); got != tt.want {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
	if got := TXTString(nil); got != "" {
		t.Errorf("got %q; want empty for nil", got)
	}
}

func TestParseServer(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"1.2.3.4", "1.2.3.4:53", false},
		{"1.2.3.4:5353", "1.2.3.4:5353", false},
		{" 9.9.9.9 ", "9.9.9.9:53", false},
		{"::1", "[::1]:53", false},
		{"2001:DB8::1", "[2001:db8::1]:53", false},
		{"[::1]:5353", "[::1]:5353", false},
		{"[::1]", "[::1]:53", false},
		{"localhost", "localhost:53", false},
		{"Resolver.Example:5300", "resolver.example:5300", false},
		{"", "", true},
		{"1.2.3.4:", "", true},
		{"1.2.3.4:0", "", true},
		{"1.2.3.4:65536", "", true},
		{"1.2.3.4:dns", "", true},
		{"[1.2.3.4]:53", "", true},
		{"[localhost]:53", "", true},
		{"1.2.3.4:53:53", "", true},
		{"bad host", "", true},
		{"-bad.example", "", true},
		{"https://1.1.1.1/dns-query", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseServer(tt.in)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Fatalf("got %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
			}
			if err != nil && (!errors.Is(err, ErrBadServer) || !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.in))) {
				t.Errorf("got %q; want an ErrBadServer naming the input", err)
			}
		})
	}
}

func TestSystemServers(t *testing.T) {
	dir := t.TempDir()
	write := func(text string) {
		resolvConf = filepath.Join(dir, "resolv.conf")
		if err := os.WriteFile(resolvConf, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := resolvConf
	t.Cleanup(func() { resolvConf = old })

	write("# comment\nnameserver 192.0.2.53\nnameserver 2001:db8::53\nsearch example.com\n")
	got, err := SystemServers()
	if want := []string{"192.0.2.53:53", "[2001:db8::53]:53"}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
	write("search example.com\n")
	if _, err := SystemServers(); !errors.Is(err, ErrNoServers) || !strings.Contains(err.Error(), "hint:") {
		t.Errorf("got %v; want ErrNoServers with a hint", err)
	}
	resolvConf = filepath.Join(dir, "missing")
	if _, err := SystemServers(); !errors.Is(err, ErrNoServers) {
		t.Errorf("got %v; want ErrNoServers", err)
	}
}

func TestNewClientRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{{}, {Servers: []string{"1.2.3.4:99999"}}} {
		if c, err := NewClient(cfg); err == nil {
			c.Close()
			t.Errorf("NewClient(%+v): got no error; want one", cfg)
		}
	}
}

func TestInvalidNameIsAnError(t *testing.T) {
	c := newClient(t, Config{Servers: []string{deadServer(t)}})
	for _, name := range []string{strings.Repeat("a", 64) + ".example", strings.Repeat("abcdefghi.", 30)} {
		if a := c.Query(context.Background(), name, dns.TypeA); a.Status != StatusError || !errors.Is(a.Err, ErrBadName) {
			t.Errorf("got %v (%v); want error ErrBadName", a.Status, a.Err)
		}
	}
}

func TestManyConcurrentQueriesUnderLoss(t *testing.T) {
	var zone strings.Builder
	const names = 200
	for i := range names {
		fmt.Fprintf(&zone, "h%d.example.com. A 192.0.2.%d\n", i, i%250)
	}
	srv := dnstest.New(t, zone.String())
	srv.SetHook(dnstest.Lossy(0.05, time.Millisecond, 1))
	c := newClient(t, Config{Servers: []string{srv.Addr(), srv.Addr()}, Timeout: 100 * time.Millisecond, Retries: 6, Sockets: 2})
	const goroutines = 50
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range names / 2 {
				name := fmt.Sprintf("h%d.example.com", (i+g*7)%names)
				if a := c.Query(context.Background(), name, dns.TypeA); a.Status != StatusOK || len(a.Records) != 1 {
					t.Errorf("%s: got %v (%v); want ok", name, a.Status, a.Err)
				}
			}
		})
	}
	wg.Wait()
	if st := c.Stats(); st.Responses < goroutines*names/2 {
		t.Errorf("got %+v; want at least %d responses", st, goroutines*names/2)
	}
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	srv1, srv2 := dnstest.New(t, testZone), dnstest.New(t, testZone)
	srv1.SetHook(dnstest.DropNames("dropped.example.com"))
	srv2.SetHook(dnstest.DropNames("dropped.example.com"))
	before := runtime.NumGoroutine()
	c, err := NewClient(Config{Servers: []string{srv1.Addr(), srv2.Addr()}, Sockets: 3, Timeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		c.Query(context.Background(), "example.com", dns.TypeA)
	}
	c.Query(context.Background(), "missing.example.com", dns.TypeTXT)
	waiting := make(chan Answer)
	go func() { waiting <- c.Query(context.Background(), "dropped.example.com", dns.TypeA) }()
	for srv1.Queries()+srv2.Queries() < 12 {
		runtime.Gosched()
	}
	c.Close()
	if a := <-waiting; !errors.Is(a.Err, ErrClosed) {
		t.Errorf("a query waiting at Close: got %v (%v); want ErrClosed", a.Status, a.Err)
	}
	if a := c.Query(context.Background(), "example.com", dns.TypeA); !errors.Is(a.Err, ErrClosed) {
		t.Errorf("after Close: got %v (%v); want ErrClosed", a.Status, a.Err)
	}
	// Close waits for its readers; the goroutines still have to finish exiting.
	for i := 0; runtime.NumGoroutine() > before; i++ {
		if i == 1000 {
			t.Fatalf("got %d goroutines; want %d", runtime.NumGoroutine(), before)
		}
		time.Sleep(time.Millisecond)
	}
}

// blockingQuerier answers "ok" once released, or fails when its ctx ends.
type blockingQuerier struct {
	release chan struct{}
	calls   chan struct{} // one value per call
	panics  bool
}

func (q *blockingQuerier) Query(ctx context.Context, name string, qtype uint16) Answer {
	q.calls <- struct{}{}
	if q.panics {
		panic("querier bug")
	}
	select {
	case <-q.release:
		return Answer{Status: StatusOK, Rcode: dns.RcodeSuccess}
	case <-ctx.Done():
		return ctxAnswer(ctx.Err())
	}
}

func TestCacheWaiterOutlivesCancelledLeader(t *testing.T) {
	q := &blockingQuerier{release: make(chan struct{}), calls: make(chan struct{}, 2)}
	cache := NewCache(q)
	leaderCtx, cancel := context.WithCancel(context.Background())
	leader := make(chan Answer)
	go func() { leader <- cache.Query(leaderCtx, "example.com", dns.TypeA) }()
	<-q.calls // the leader's query is in flight
	follower := make(chan Answer)
	go func() { follower <- cache.Query(context.Background(), "example.com", dns.TypeA) }()
	// The follower may join the leader's flight or come after it; either
	// way it must end up with a real answer once the leader is cancelled.
	cancel()
	if a := <-leader; !errors.Is(a.Err, context.Canceled) {
		t.Errorf("leader: got %v (%v); want cancelled", a.Status, a.Err)
	}
	<-q.calls // the follower asks again itself
	close(q.release)
	if a := <-follower; a.Status != StatusOK {
		t.Errorf("follower: got %v (%v); want ok", a.Status, a.Err)
	}
	if a := cache.Query(context.Background(), "example.com", dns.TypeA); a.Status != StatusOK {
		t.Errorf("afterwards: got %v; want ok from the cache", a.Status)
	}
	if st := cache.Stats(); st.Misses != 2 {
		t.Errorf("got %+v; want 2 misses", st)
	}
}

func TestCacheForgetsAQueryThatPanicked(t *testing.T) {
	q := &blockingQuerier{release: make(chan struct{}), calls: make(chan struct{}, 2), panics: true}
	cache := NewCache(q)
	for range 2 {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("got no panic; want the querier's")
				}
			}()
			cache.Query(context.Background(), "example.com", dns.TypeA)
		}()
	}
	if got := len(q.calls); got != 2 {
		t.Errorf("querier called %d times; want 2 (the panicked query is not remembered)", got)
	}
}

func TestIPv6Resolver(t *testing.T) {
	pc, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	mux := dns.NewServeMux()
	mux.HandleFunc(".", func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		m.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: req.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET}, A: net.IPv4(192, 0, 2, 6)}}
		w.WriteMsg(m)
	})
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: mux, NotifyStartedFunc: func() { close(started) }}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	<-started
	c := newClient(t, Config{Servers: []string{pc.LocalAddr().String()}})
	if a := c.Query(context.Background(), "v6.example", dns.TypeA); a.Status != StatusOK {
		t.Errorf("got %v (%v); want ok", a.Status, a.Err)
	}
}

func TestOversizedUDPReplyIsNotLost(t *testing.T) {
	srv := dnstest.New(t, testZone)
	// The server ignores our EDNS0 size and sends ~6 KB over UDP without TC.
	srv.SetHook(func(dnstest.Query) dnstest.Action {
		return dnstest.Action{Mutate: func(m *dns.Msg) {
			for i := range 30 {
				m.Answer = append(m.Answer, &dns.TXT{
					Hdr: dns.RR_Header{Name: "example.com.", Rrtype: dns.TypeTXT, Class: dns.ClassINET},
					Txt: []string{fmt.Sprintf("%02d%s", i, strings.Repeat("y", 198))},
				})
			}
		}}
	})
	c := newClient(t, Config{Servers: []string{srv.Addr()}})
	a := c.Query(context.Background(), "example.com", dns.TypeTXT)
	if a.Status != StatusOK || len(a.Records) < 30 {
		t.Fatalf("got %v with %d records (%v); want ok with at least 30", a.Status, len(a.Records), a.Err)
	}
	if runtime.GOOS == "linux" && c.Stats().TCPFallbacks != 1 {
		// Batched reads use 4 KiB buffers: a longer datagram is cut by
		// the kernel and must be asked again over TCP.
		t.Errorf("got %+v; want 1 TCP fallback", c.Stats())
	}
}

func TestLastAttemptUsesTCPWhenUDPKeepsTimingOut(t *testing.T) {
	srv := dnstest.New(t, "lossy.example. TXT \"v=spf1 -all\"\n")
	// Every UDP query is lost; TCP gets through, as on a lossy link.
	srv.SetHook(func(q dnstest.Query) dnstest.Action { return dnstest.Action{Drop: q.Proto == "udp"} })
	c, err := NewClient(Config{Servers: []string{srv.Addr()}, Timeout: 100 * time.Millisecond, Retries: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a := c.Query(context.Background(), "lossy.example", dns.TypeTXT)
	if a.Status != StatusOK {
		t.Fatalf("status %s (%v); want ok from the TCP attempt", a.Status, a.Err)
	}
	if st := c.Stats(); st.TCPFallbacks != 1 || st.Timeouts != 2 {
		t.Errorf("stats %+v; want 2 UDP timeouts then 1 TCP attempt", st)
	}
}

func TestCacheStaysBoundedAndKeepsSharedNames(t *testing.T) {
	fake := &countingQuerier{}
	c := NewCacheSize(fake, 256) // 4 answers per shard
	ctx := context.Background()
	for i := range 10000 {
		c.Query(ctx, fmt.Sprintf("d%d.example", i), dns.TypeMX)
		// A name every domain shares, as _spf.google.com is.
		c.Query(ctx, "_spf.shared.example", dns.TypeTXT)
	}
	held := 0
	for i := range c.shards {
		held += len(c.shards[i].m)
	}
	if held > 256 {
		t.Errorf("the cache holds %d answers; want at most 256", held)
	}
	if n := fake.calls["_spf.shared.example."]; n != 1 {
		t.Errorf("the shared name was asked %d times; want 1 (it is used on every sweep, so it survives)", n)
	}
	if n := fake.calls["d0.example."]; n != 1 {
		t.Errorf("a one-off name was asked %d times; want 1", n)
	}
}

// The AD bit comes back from a validating resolver because every query
// sets AD (RFC 6840 §5.7), over UDP and over TCP; QueryCD sets CD, which
// gets the data of a name that fails validation, and the cache keeps the
// two questions apart.
func TestADAndCheckingDisabled(t *testing.T) {
	srv := dnstest.New(t, testZone+"signed.example.org. A 192.0.2.50\nbad.example.org. A 192.0.2.51\n")
	validating := dnstest.Validating(map[string]dnstest.Verdict{"example.org": dnstest.Secure, "bad.example.org": dnstest.Bogus})
	for _, proto := range []string{"udp", "tcp"} {
		t.Run(proto, func(t *testing.T) {
			srv.SetHook(func(q dnstest.Query) dnstest.Action {
				act := validating(q)
				act.Truncate = proto == "tcp" // a truncated UDP reply sends the query to TCP
				return act
			})
			cache := NewCache(newClient(t, Config{Servers: []string{srv.Addr()}, Retries: 0}))
			ctx := context.Background()
			check := func(what string, a Answer, status Status, ad bool) {
				t.Helper()
				if a.Status != status || a.AD != ad {
					t.Errorf("%s: got %s ad=%v (%v); want %s ad=%v", what, a.Status, a.AD, a.Err, status, ad)
				}
			}
			check("signed", cache.Query(ctx, "signed.example.org", dns.TypeA), StatusOK, true)
			check("signed NODATA", cache.Query(ctx, "signed.example.org", dns.TypeMX), StatusNoData, true)
			check("unsigned", cache.Query(ctx, "example.com", dns.TypeA), StatusOK, false)
			check("bogus", cache.Query(ctx, "bad.example.org", dns.TypeA), StatusServFail, false)
			check("bogus with CD", cache.QueryCD(ctx, "bad.example.org", dns.TypeA), StatusOK, false)
			check("bogus again, from the cache", cache.Query(ctx, "bad.example.org", dns.TypeA), StatusServFail, false)
		})
	}
}

func TestQueryCDThroughAQuerierWithoutIt(t *testing.T) {
	cache := NewCache(&countingQuerier{answers: map[string]Answer{"a.example.": {Status: StatusOK}}})
	a := cache.QueryCD(context.Background(), "a.example", dns.TypeA)
	if a.Status != StatusError || !errors.Is(a.Err, ErrNoCD) {
		t.Errorf("got %s (%v); want error wrapping ErrNoCD", a.Status, a.Err)
	}
}

// A reply truncated even over TCP is incomplete: an error, never NODATA.
func TestReplyTruncatedOverTCPIsAnError(t *testing.T) {
	srv := dnstest.New(t, testZone)
	srv.SetHook(func(q dnstest.Query) dnstest.Action {
		return dnstest.Action{Mutate: func(m *dns.Msg) { m.Truncated, m.Answer = true, nil }}
	})
	c := newClient(t, Config{Servers: []string{srv.Addr()}})
	a := c.Query(context.Background(), "example.com", dns.TypeMX)
	if a.Status != StatusError || !errors.Is(a.Err, ErrTruncated) || !a.TCP {
		t.Errorf("got %v (%v), tcp %v; want error ErrTruncated over TCP", a.Status, a.Err, a.TCP)
	}
}
