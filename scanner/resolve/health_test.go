package resolve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxscope/mxscope/scanner/dnstest"
)

// refusingServer returns an address on 127.0.0.1 where nothing listens:
// queries to it draw ICMP port unreachable, and TCP connections a reset.
func refusingServer(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	return addr
}

// flakyServer answers every UDP query with one A record, on a port that
// stays its own while it is stopped (nothing listens) and started again.
type flakyServer struct {
	t    *testing.T
	addr string
	mu   sync.Mutex
	pc   net.PacketConn
	done chan struct{}
}

func newFlakyServer(t *testing.T) *flakyServer {
	t.Helper()
	f := &flakyServer{t: t, addr: refusingServer(t)}
	f.start()
	t.Cleanup(f.stop)
	return f
}

func (f *flakyServer) start() {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	var pc net.PacketConn
	var err error
	for range 50 { // the port may linger a moment after a stop
		if pc, err = net.ListenPacket("udp", f.addr); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		f.t.Fatalf("restarting on %s: %v", f.addr, err)
	}
	f.pc, f.done = pc, make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var q dns.Msg
			if q.Unpack(buf[:n]) != nil || len(q.Question) != 1 {
				continue
			}
			r := new(dns.Msg)
			r.SetReply(&q)
			r.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(192, 0, 2, 1)}}
			if b, err := r.Pack(); err == nil {
				pc.WriteTo(b, from)
			}
		}
	}(f.done)
}

func (f *flakyServer) stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pc != nil {
		f.pc.Close()
		<-f.done
		f.pc = nil
	}
}

// eventually polls cond every 10ms for up to 10s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("still not %s after 10s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A resolver where nothing listens is set aside at its first ICMP port
// unreachable: the attempts waiting on it move on at once, and no query
// is sent to it again until a probe is answered.
func TestRefusingResolverIsSetAsideAtOnce(t *testing.T) {
	live := dnstest.New(t, testZone)
	c := newClient(t, Config{Servers: []string{refusingServer(t), live.Addr()}, Timeout: 30 * time.Second, Retries: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // far below what waiting out the timeout would take
	defer cancel()
	for i := range 20 {
		if a := c.Query(ctx, fmt.Sprintf("q%d.example.com", i), dns.TypeA); a.Status != StatusNXDomain {
			t.Fatalf("query %d: %v (%v); want nxdomain from the live resolver", i, a.Status, a.Err)
		}
	}
	dead := c.Servers()[0]
	if dead.Up || dead.SetAside != 1 || dead.Refused == 0 || dead.Queries > 2 {
		t.Errorf("the refusing resolver: %+v; want set aside once, after at most 2 queries", dead)
	}
	if st := c.Stats(); st.Timeouts != 0 {
		t.Errorf("stats %+v; want no attempt to wait out its timer", st)
	}
}

// A resolver that never answers while another does is set aside after
// silentLimit unanswered attempts; the queries go on to the other.
func TestSilentResolverIsSetAsideWhileAnotherAnswers(t *testing.T) {
	live := dnstest.New(t, testZone)
	c := newClient(t, Config{Servers: []string{deadServer(t), live.Addr()}, Timeout: 200 * time.Millisecond, Retries: 2})
	var wg sync.WaitGroup
	var bad atomic.Int32
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if a := c.Query(context.Background(), fmt.Sprintf("q%d.example.com", i), dns.TypeA); a.Status != StatusNXDomain {
				bad.Add(1)
			}
		}()
	}
	wg.Wait()
	if bad.Load() > 0 {
		t.Fatalf("%d queries were not answered", bad.Load())
	}
	silent := c.Servers()[0]
	if silent.Up || silent.SetAside != 1 || silent.Timeouts < silentLimit {
		t.Fatalf("the silent resolver: %+v; want set aside after %d timeouts", silent, silentLimit)
	}
	before, probes := silent.Queries, c.Stats().Probes
	for i := range 10 {
		c.Query(context.Background(), fmt.Sprintf("r%d.example.com", i), dns.TypeA)
	}
	if more, probed := c.Servers()[0].Queries-before, c.Stats().Probes-probes; more > probed {
		t.Errorf("the silent resolver got %d more queries while set aside, %d of them probes; want probes only", more, probed)
	}
}

// A lossy resolver is not silent: its timeouts come between replies, and
// a resolver alone is never set aside for timeouts.
func TestLossyResolverIsNotSetAside(t *testing.T) {
	srv := dnstest.New(t, testZone)
	srv.SetHook(dnstest.Lossy(0.5, 0, 1))
	c := newClient(t, Config{Servers: []string{srv.Addr()}, Timeout: 100 * time.Millisecond, MinRTO: 20 * time.Millisecond, Retries: 6})
	for i := range 50 {
		c.Query(context.Background(), fmt.Sprintf("q%d.example.com", i), dns.TypeA)
	}
	if s := c.Servers()[0]; !s.Up || s.SetAside != 0 || s.Timeouts == 0 {
		t.Errorf("%+v; want it up, never set aside, with timeouts", s)
	}
}

// A resolver set aside is probed, and the first reply brings it back.
func TestResolverSetAsideComesBackWhenAProbeIsAnswered(t *testing.T) {
	flaky := newFlakyServer(t)
	live := dnstest.New(t, testZone)
	c := newClient(t, Config{Servers: []string{flaky.addr, live.Addr()}, Timeout: time.Second})
	ctx := context.Background()
	c.Query(ctx, "a.example.com", dns.TypeA)
	flaky.stop()
	eventually(t, "set aside", func() bool {
		c.Query(ctx, "b.example.com", dns.TypeA)
		return !c.Servers()[0].Up
	})
	flaky.start()
	eventually(t, "back", func() bool { return c.Servers()[0].Up })
	s := c.Servers()[0]
	if s.Restored != 1 || c.Stats().Probes == 0 {
		t.Errorf("%+v, %d probes; want it restored once, by a probe", s, c.Stats().Probes)
	}
}

// When every resolver is set aside, a query waits for one to come back
// instead of spending its attempts, and is answered when it does.
func TestQueryWaitsForAResolverToComeBack(t *testing.T) {
	flaky := newFlakyServer(t)
	c := newClient(t, Config{Servers: []string{flaky.addr}, Timeout: time.Second, Retries: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if a := c.Query(ctx, "a.example.com", dns.TypeA); a.Status != StatusOK {
		t.Fatalf("first query: %v (%v)", a.Status, a.Err)
	}
	flaky.stop()
	done := make(chan Answer, 1)
	go func() { done <- c.Query(ctx, "b.example.com", dns.TypeA) }()
	eventually(t, "set aside", func() bool { return !c.Servers()[0].Up })
	select {
	case a := <-done:
		t.Fatalf("the query ended (%v, %v) while its only resolver was away; want it to wait", a.Status, a.Err)
	case <-time.After(300 * time.Millisecond):
	}
	flaky.start()
	if a := <-done; a.Status != StatusOK {
		t.Errorf("after the resolver came back: %v (%v); want ok", a.Status, a.Err)
	}
	if st := c.Stats(); st.Retries > 2 {
		t.Errorf("stats %+v; want the wait to spend no retries", st)
	}
}

// Resolvers that never answered are not waited for: with all of them
// refusing, a query fails at once.
func TestNoResolverEverAnsweringFailsAtOnce(t *testing.T) {
	c := newClient(t, Config{Servers: []string{refusingServer(t), refusingServer(t)}, Timeout: 30 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a := c.Query(ctx, "example.com", dns.TypeA)
	if a.Status != StatusTimeout || ctx.Err() != nil || errors.Is(a.Err, context.DeadlineExceeded) {
		t.Errorf("got %v (%v); want a timeout long before the context's deadline", a.Status, a.Err)
	}
}

// A query whose datagram is lost is sent again after the resolver's
// retransmission timeout, taken from the replies it measured, rather than
// after the whole Timeout.
func TestLostQueryIsSentAgainAfterTheRetransmissionTimeout(t *testing.T) {
	srv := dnstest.New(t, testZone)
	var lost sync.Map
	srv.SetHook(func(q dnstest.Query) dnstest.Action {
		if q.Name == "lost.example.com." {
			_, seen := lost.LoadOrStore(q.Name, true)
			return dnstest.Action{Drop: !seen}
		}
		return dnstest.Action{}
	})
	c := newClient(t, Config{Servers: []string{srv.Addr()}, Timeout: time.Minute, MinRTO: 50 * time.Millisecond, Retries: 2})
	for range 20 { // replies to measure
		c.Query(context.Background(), "example.com", dns.TypeA)
	}
	if rto := c.Servers()[0].RTO; rto >= c.timeout {
		t.Fatalf("RTO %v after 20 quick replies; want less than the timeout", rto)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // well below Timeout
	defer cancel()
	a := c.Query(ctx, "lost.example.com", dns.TypeA)
	if a.Status != StatusNXDomain {
		t.Fatalf("got %v (%v); want the second attempt's nxdomain", a.Status, a.Err)
	}
	if st := c.Stats(); st.Timeouts != 1 || st.Retries != 1 {
		t.Errorf("stats %+v; want 1 timeout, 1 retry", st)
	}
}

// An earlier attempt keeps listening after the next is sent: its reply,
// however late, answers the query.
func TestLateReplyToAnEarlierAttemptIsTaken(t *testing.T) {
	srv := dnstest.New(t, testZone)
	var n atomic.Int32
	srv.SetHook(func(q dnstest.Query) dnstest.Action {
		if q.Name != "slow.example.com." {
			return dnstest.Action{}
		}
		if n.Add(1) == 1 {
			return dnstest.Action{Delay: 1500 * time.Millisecond} // the first attempt's reply comes late
		}
		return dnstest.Action{Drop: true} // later attempts, UDP and TCP, go unanswered
	})
	c := newClient(t, Config{Servers: []string{srv.Addr()}, Timeout: 5 * time.Second, MinRTO: 50 * time.Millisecond, Retries: 3})
	for range 20 {
		c.Query(context.Background(), "example.com", dns.TypeA)
	}
	a := c.Query(context.Background(), "slow.example.com", dns.TypeA)
	if a.Status != StatusNXDomain {
		t.Fatalf("got %v (%v); want the first attempt's late nxdomain", a.Status, a.Err)
	}
	if st := c.Stats(); st.Late != 1 || st.Retries == 0 {
		t.Errorf("stats %+v; want the query sent again and 1 late reply", st)
	}
	if a.Server != c.servers[0].addr || a.TCP || a.RTT < 1400*time.Millisecond {
		t.Errorf("answer from %q, tcp %v, rtt %v; want the UDP reply's server and its round trip", a.Server, a.TCP, a.RTT)
	}
	// For batching, the attempt answered late was no loss; the UDP ones
	// after it, never answered, were.
	if lost, retries := c.lost.Load(), c.Stats().Retries; lost != retries-1 {
		t.Errorf("%d attempts counted lost after %d retries (one over TCP); want %d", lost, retries, retries-1)
	}
}

// The context's deadline ends a query as a timeout (no answer came in
// time), its cancellation as an error; neither is cached.
func TestDeadlineIsATimeoutAndCancellationAnError(t *testing.T) {
	srv := dnstest.New(t, testZone)
	srv.SetHook(func(dnstest.Query) dnstest.Action { return dnstest.Action{Drop: true} })
	c := newClient(t, Config{Servers: []string{srv.Addr()}, Timeout: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if a := c.Query(ctx, "example.com", dns.TypeA); a.Status != StatusTimeout || !errors.Is(a.Err, context.DeadlineExceeded) || !errors.Is(a.Err, ErrTimeout) {
		t.Errorf("deadline: %v (%v); want timeout wrapping context.DeadlineExceeded", a.Status, a.Err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel2)
	if a := c.Query(ctx2, "example.com", dns.TypeA); a.Status != StatusError || !errors.Is(a.Err, context.Canceled) {
		t.Errorf("cancelled: %v (%v); want error wrapping context.Canceled", a.Status, a.Err)
	}
}

func TestRetransmissionTimeoutFollowsTheMeasuredRTT(t *testing.T) {
	c := &Client{timeout: 2 * time.Second, minRTO: 250 * time.Millisecond, tick: 10 * time.Millisecond}
	s := &server{}
	if got := c.rto(s); got != time.Second {
		t.Errorf("before any reply: %v; want 1s (RFC 6298)", got)
	}
	for range 50 {
		s.sample(time.Millisecond)
	}
	if got := c.rto(s); got != c.minRTO {
		t.Errorf("after quick replies: %v; want the floor %v", got, c.minRTO)
	}
	for i := range 200 { // 0-200ms, as through the lossy proxy
		s.sample(time.Duration(i%201) * time.Millisecond)
	}
	if got := c.rto(s); got < 200*time.Millisecond || got > 600*time.Millisecond {
		t.Errorf("after replies of 0-200ms: %v; want a few hundred ms", got)
	}
	for range 50 {
		s.sample(10 * time.Second)
	}
	if got := c.rto(s); got != c.timeout {
		t.Errorf("after 10s replies: %v; want the ceiling %v", got, c.timeout)
	}
}

func TestWheelFiresEachTimerOnceWhenDue(t *testing.T) {
	var wh wheel
	ws := make([]*waiter, 6)
	ticks := []int64{1, 5, 5, wheelSlots + 5, 3*wheelSlots + 1, 0}
	for i := range ws {
		ws[i] = &waiter{}
		wh.insert(ws[i], ticks[i])
	}
	wh.remove(ws[2])
	fired := map[*waiter]int64{}
	for now := int64(1); now <= 4*wheelSlots; now += 3 {
		wh.advance(now, func(w *waiter) {
			if _, again := fired[w]; again {
				t.Errorf("timer %d fired twice", w.tick)
			}
			fired[w] = now
		})
	}
	for i, w := range ws {
		at, ok := fired[w]
		want := max(ticks[i], 1) // a tick already swept fires at the next
		switch {
		case i == 2 && ok:
			t.Errorf("a removed timer fired")
		case i != 2 && (!ok || at < want || at > want+2):
			t.Errorf("timer for tick %d fired at %d (%v); want at the first sweep from %d", ticks[i], at, ok, want)
		}
	}
	if wh.n != 0 {
		t.Errorf("%d timers left armed", wh.n)
	}
}

func TestCacheIsBoundedInBytes(t *testing.T) {
	var txt []dns.RR
	for i := range 200 {
		txt = append(txt, &dns.TXT{Hdr: dns.RR_Header{Name: "x.", Rrtype: dns.TypeTXT, Class: dns.ClassINET, Rdlength: 200}, Txt: []string{fmt.Sprintf("%0199d", i)}})
	}
	fat := Answer{Status: StatusOK, Records: txt} // about 100 KB by answerSize
	var calls atomic.Int32
	q := querierFunc(func(ctx context.Context, name string, qtype uint16) Answer {
		calls.Add(1)
		if name == "fat.example." {
			return fat
		}
		return Answer{Status: StatusOK, Records: txt[:4]}
	})
	const limit = 64 * 40 << 10 // 40 KB a shard
	c := NewCacheLimits(q, 1<<16, limit)
	ctx := context.Background()
	for i := range 5000 {
		c.Query(ctx, fmt.Sprintf("d%d.example", i), dns.TypeTXT)
	}
	held := 0
	for i := range c.shards {
		sh := &c.shards[i]
		held += sh.bytes
		if sh.bytes > sh.maxBytes {
			t.Errorf("shard %d holds %d bytes; want at most %d", i, sh.bytes, sh.maxBytes)
		}
		n := 0
		for _, sl := range sh.ring {
			if sl.e != nil {
				n += sl.e.size
			}
		}
		if n != sh.bytes {
			t.Errorf("shard %d counts %d bytes; its ring holds %d", i, sh.bytes, n)
		}
	}
	if held > limit {
		t.Errorf("the cache holds %d bytes; want at most %d", held, limit)
	}
	// Too big to keep: asked again, yet still an answer.
	before := calls.Load()
	for range 3 {
		if a := c.Query(ctx, "fat.example", dns.TypeTXT); len(a.Records) != len(txt) {
			t.Fatalf("fat answer: %d records; want %d", len(a.Records), len(txt))
		}
	}
	if got := calls.Load() - before; got != 3 {
		t.Errorf("the answer too big to keep was asked %d times; want 3", got)
	}
}

type querierFunc func(ctx context.Context, name string, qtype uint16) Answer

func (f querierFunc) Query(ctx context.Context, name string, qtype uint16) Answer {
	return f(ctx, name, qtype)
}

func TestCNAMEChainLimit(t *testing.T) {
	chain := func(n int, end string) []dns.RR {
		var rrs []dns.RR
		owner := "q.example."
		for i := range n {
			target := fmt.Sprintf("c%d.example.", i)
			rrs = append(rrs, mustRR(t, owner+" CNAME "+target))
			owner = target
		}
		if end != "" {
			rrs = append(rrs, mustRR(t, owner+" "+end))
		}
		return rrs
	}
	tests := []struct {
		name   string
		answer []dns.RR
		rcode  int
		want   Status
		chain  bool // ErrCNAMEChain
	}{
		{"16 CNAMEs to an address", chain(MaxCNAMEChain, "A 192.0.2.1"), dns.RcodeSuccess, StatusOK, false},
		{"16 CNAMEs to nothing", chain(MaxCNAMEChain, ""), dns.RcodeSuccess, StatusNoData, false},
		{"17 CNAMEs", chain(MaxCNAMEChain+1, "A 192.0.2.1"), dns.RcodeSuccess, StatusError, true},
		{"17 CNAMEs, NXDOMAIN", chain(MaxCNAMEChain+1, ""), dns.RcodeNameError, StatusError, true},
		{"a CNAME to itself", []dns.RR{mustRR(t, "q.example. CNAME q.example.")}, dns.RcodeSuccess, StatusError, true},
		{"a loop further on", append(chain(3, ""), mustRR(t, "c2.example. CNAME c0.example.")), dns.RcodeSuccess, StatusError, true},
		{"a chain to a name that does not exist", chain(2, ""), dns.RcodeNameError, StatusNXDomain, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := new(dns.Msg)
			m.Rcode, m.Answer = tt.rcode, tt.answer
			a := answerFrom(m, "q.example.", dns.TypeA, "test")
			if a.Status != tt.want || errors.Is(a.Err, ErrCNAMEChain) != tt.chain || tt.chain && len(a.Records) > 0 {
				t.Errorf("got %v (%v), %d records; want %v, ErrCNAMEChain %v", a.Status, a.Err, len(a.Records), tt.want, tt.chain)
			}
		})
	}
}

// A query whose every attempt went unanswered, the TCP one too, keeps
// listening as long as it waited when each attempt waited Timeout: a slow
// resolver's late reply is still the answer.
func TestSlowReplyAfterTheLastAttemptIsTaken(t *testing.T) {
	srv := dnstest.New(t, testZone)
	var n atomic.Int32
	srv.SetHook(func(q dnstest.Query) dnstest.Action {
		if q.Name != "slow.example.com." {
			return dnstest.Action{}
		}
		if n.Add(1) == 1 {
			return dnstest.Action{Delay: 1500 * time.Millisecond}
		}
		return dnstest.Action{Drop: true}
	})
	c := newClient(t, Config{Servers: []string{srv.Addr()}, Timeout: 500 * time.Millisecond, MinRTO: 50 * time.Millisecond, Retries: 3})
	for range 20 {
		c.Query(context.Background(), "example.com", dns.TypeA)
	}
	a := c.Query(context.Background(), "slow.example.com", dns.TypeA)
	if a.Status != StatusNXDomain {
		t.Fatalf("got %v (%v); want the first attempt's nxdomain, 1.5s late", a.Status, a.Err)
	}
	if st := c.Stats(); st.TCPFallbacks != 1 || st.Late != 1 {
		t.Errorf("stats %+v; want the TCP try, then the late reply", st)
	}
}
