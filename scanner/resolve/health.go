package resolve

import (
	"time"

	"github.com/miekg/dns"
)

// Resolver health, after unbound's infrastructure cache and BIND's server
// selection: the client keeps, per resolver, a smoothed round-trip time
// and its variation (RFC 6298), from which it takes the wait before
// sending an unanswered query again, and it sets aside a resolver that
// refuses (ICMP port unreachable on its connected UDP socket, a TCP
// connection refused or reset) or that has gone silent while another
// answers (TCP refused or reset counts only from a resolver that is not
// answering: see refusedTCP). A resolver set aside gets no queries; a
// probe (the root's NS, which every working resolver answers) goes to it
// now and then, less often each time it fails, and any reply brings it
// back. When every
// resolver is set aside, queries wait for one to come back (see pick)
// instead of spending their retries on resolvers known to be gone.

const (
	// DefaultMinRTO is the floor of a resolver's retransmission timeout.
	// unbound's is 50ms, for authoritative servers. A recursive
	// resolver's replies vary more: most come from its cache within a
	// millisecond, so the estimate settles near the floor, and a few need
	// a recursion. Measured through unbound on this project's busy
	// two-core machine, a 100ms floor sent 2% of a clean scan's queries
	// again (answered late, not lost); 250ms keeps a lost query's cost a
	// few hundred milliseconds, where the 30%-loss path's estimate sits
	// anyway.
	DefaultMinRTO = 250 * time.Millisecond
	// initialRTO is the retransmission timeout of a resolver that has
	// not answered yet (RFC 6298 §2.1; never more than Config.Timeout).
	initialRTO = time.Second
	// silentLimit is how many attempts in a row a resolver may leave
	// unanswered, all sent after its last reply, while another resolver
	// answers, before it is set aside.
	silentLimit = 5
	// probeFirst and probeMax bound the wait between probes of a
	// resolver set aside; it doubles after each unanswered probe.
	probeFirst = 250 * time.Millisecond
	probeMax   = 5 * time.Second
	// rttBand: resolvers whose smoothed RTT is within this of the
	// fastest share the queries; slower ones are asked only when the
	// fast ones are set aside or already tried (unbound's band is 400ms).
	rttBand = 400 * time.Millisecond
	// maxOutageWait bounds how long a query waits for a resolver to come
	// back when every one is set aside, for callers whose context has no
	// deadline (the scanner's per-domain deadline is shorter or equal).
	maxOutageWait = time.Minute
)

// ServerStats is what a Client has seen of one resolver.
type ServerStats struct {
	Addr     string        // "ip:port"
	Up       bool          // false: set aside, waiting for a probe to be answered
	Queries  uint64        // attempts sent to it, UDP and TCP, probes included
	Answers  uint64        // replies accepted from it, whatever their rcode
	Timeouts uint64        // attempts to it that went unanswered within their wait
	Refused  uint64        // times it refused: ICMP port unreachable, TCP refused or reset
	SRTT     time.Duration // smoothed round-trip time; 0 before its first reply
	RTO      time.Duration // the wait before an unanswered query to it is sent again
	SetAside uint64        // times it was set aside
	Restored uint64        // times it came back
}

// Servers returns what the client has seen of each resolver, in the order
// they were configured.
func (c *Client) Servers() []ServerStats {
	out := make([]ServerStats, len(c.servers))
	for i, s := range c.servers {
		out[i] = ServerStats{
			Addr:     s.addr,
			Up:       !s.down.Load(),
			Queries:  s.queries.Load(),
			Answers:  s.answers.Load(),
			Timeouts: s.timeouts.Load(),
			Refused:  s.refusals.Load(),
			SRTT:     time.Duration(s.srtt.Load()),
			RTO:      c.rto(s),
			SetAside: s.setAside.Load(),
			Restored: s.restored.Load(),
		}
	}
	return out
}

// clock is the time since the client started, in nanoseconds, never 0:
// the one clock of waits, round-trip times and health.
func (c *Client) clock() int64 { return int64(time.Since(c.epoch)) + 1 }

// sample folds one round-trip time into the resolver's estimate (RFC 6298
// §2.2-2.3). Concurrent samples may overwrite each other; an estimate that
// misses one loses nothing worth a lock on every reply.
func (s *server) sample(rtt time.Duration) {
	r := max(int64(rtt), 1)
	srtt := s.srtt.Load()
	if srtt == 0 {
		s.srtt.Store(r)
		s.rttvar.Store(r / 2)
		return
	}
	d := srtt - r
	if d < 0 {
		d = -d
	}
	v := s.rttvar.Load()
	s.rttvar.Store(v - v/4 + d/4)
	s.srtt.Store(srtt - srtt/8 + r/8)
}

// rto is the wait before an unanswered query to s is sent again: its
// smoothed RTT plus four times the RTT's variation (RFC 6298 §2.3), between
// the floor and the client's timeout.
func (c *Client) rto(s *server) time.Duration {
	srtt := s.srtt.Load()
	if srtt == 0 {
		return min(initialRTO, c.timeout)
	}
	r := time.Duration(srtt) + max(c.tick, time.Duration(4*s.rttvar.Load()))
	return min(max(r, c.minRTO), c.timeout)
}

// sampleGap spaces the RTT samples and heardAt stores of one resolver:
// at most one a millisecond. Storing on every reply made each reply write
// two more cache lines that both cores share, at 130,000 replies a second;
// a sample a millisecond is still many an RTT (RFC 7323 appendix G
// samples once per window for the same reason).
const sampleGap = int64(time.Millisecond)

// heard records a reply from s that arrived at now (clock), whatever its
// rcode: s is alive, and comes back if it was set aside. rtt, when not 0,
// is the reply's round-trip time.
func (c *Client) heard(s *server, now int64, rtt time.Duration) {
	s.answers.Add(1)
	if last := s.heardAt.Load(); last == 0 || now-last >= sampleGap {
		s.heardAt.Store(now)
		if rtt > 0 {
			s.sample(rtt)
		}
	}
	if s.silent.Load() != 0 {
		s.silent.Store(0)
	}
	if s.down.Load() {
		c.restore(s)
	}
}

// unanswered records that an attempt sent to s at sent went unanswered
// within its wait, and sets s aside when it has gone silent while another
// resolver answers. A timeout of an attempt sent before s's last reply is
// loss, not silence.
func (c *Client) unanswered(s *server, sent int64) {
	s.timeouts.Add(1)
	if s.down.Load() || sent <= s.heardAt.Load()+sampleGap {
		return
	}
	n := s.silent.Add(1)
	if n == 1 {
		s.streak.Store(sent)
	}
	if n >= silentLimit && c.othersHeardSince(s, s.streak.Load()) {
		c.setAside(s)
	}
}

// othersHeardSince reports whether a resolver other than s, not set aside,
// answered after t.
func (c *Client) othersHeardSince(s *server, t int64) bool {
	for _, o := range c.servers {
		if o != s && !o.down.Load() && o.heardAt.Load() > t {
			return true
		}
	}
	return false
}

// refused records that s refused (ICMP port unreachable, a TCP connection
// refused or reset): it is set aside at once.
func (c *Client) refused(s *server) {
	s.refusals.Add(1)
	c.setAside(s)
}

// refusedTCP records a TCP connection to s refused or reset. From a
// resolver that answered within the last Timeout it means that its TCP
// service failed (unbound resets connections past its limit; some small
// forwarders have no TCP at all), not that it is gone: it stays up. From
// one that did not, it is refused like ICMP port unreachable.
func (c *Client) refusedTCP(s *server) {
	if heard := s.heardAt.Load(); heard != 0 && c.clock()-heard <= int64(c.timeout) {
		s.refusals.Add(1)
		return
	}
	c.refused(s)
}

// setAside stops sending queries to s until a probe is answered, and moves
// the attempts waiting on it on to another resolver now.
func (c *Client) setAside(s *server) {
	s.mu.Lock()
	if s.down.Load() {
		s.mu.Unlock()
		return
	}
	s.down.Store(true)
	s.setAside.Add(1)
	s.probeWait = probeFirst
	s.probeAt = c.clock() + int64(probeFirst)
	s.mu.Unlock()
	for _, sock := range s.socks {
		sock.kick()
	}
}

// restore brings s back after a reply, and wakes the queries waiting for
// a resolver.
func (c *Client) restore(s *server) {
	s.mu.Lock()
	if !s.down.Load() {
		s.mu.Unlock()
		return
	}
	s.down.Store(false)
	s.silent.Store(0)
	s.restored.Add(1)
	s.mu.Unlock()
	c.hmu.Lock()
	close(c.up)
	c.up = make(chan struct{})
	c.hmu.Unlock()
}

// upSignal returns a channel closed when a resolver next comes back.
func (c *Client) upSignal() <-chan struct{} {
	c.hmu.Lock()
	defer c.hmu.Unlock()
	return c.up
}

// choose returns the resolver for attempt number pos (a round-robin
// position) of a query that has tried the resolvers in tried (by index,
// the first 64): the next one in turn that is not set aside and is within
// rttBand of the fastest, preferring one the query has not tried; nil when
// every resolver is set aside.
func (c *Client) choose(pos int, tried uint64) *server {
	n := len(c.servers)
	if n == 1 {
		if s := c.servers[0]; !s.down.Load() {
			return s
		}
		return nil
	}
	best := int64(-1)
	for _, s := range c.servers {
		if v := s.srtt.Load(); v > 0 && !s.down.Load() && (best < 0 || v < best) {
			best = v
		}
	}
	var again *server
	for i := range n {
		idx := (pos + i) % n
		s := c.servers[idx]
		if s.down.Load() {
			continue
		}
		if v := s.srtt.Load(); best >= 0 && v > best+int64(rttBand) {
			continue
		}
		if idx >= 64 || tried&(1<<idx) == 0 {
			return s
		}
		if again == nil {
			again = s
		}
	}
	if again != nil {
		return again
	}
	// Every resolver within the band is set aside or tried: any other.
	for i := range n {
		if s := c.servers[(pos+i)%n]; !s.down.Load() {
			return s
		}
	}
	return nil
}

// everHeard reports whether a resolver set aside has ever answered: only
// then is waiting for it to come back worth it. Resolvers that never
// answered (a wrong address, a port where nothing listens) fail queries at
// once, as before the scan the preflight check needs.
func (c *Client) everHeard() bool {
	for _, s := range c.servers {
		if s.heardAt.Load() != 0 {
			return true
		}
	}
	return false
}

// probes starts a probe of each resolver set aside whose time has come;
// the sweeper calls it every tick.
func (c *Client) probes(now int64) {
	for _, s := range c.servers {
		if !s.down.Load() {
			continue
		}
		s.mu.Lock()
		due := !s.probing && now >= s.probeAt
		if due {
			s.probing = true
		}
		s.mu.Unlock()
		if due {
			c.bg.Add(1)
			go c.probe(s)
		}
	}
}

// probe asks s for the root's NS records, once; a reply of any kind brings
// s back (in heard), and no reply doubles the wait before the next probe.
func (c *Client) probe(s *server) {
	defer c.bg.Done()
	c.probesN.Add(1)
	if q, err := c.prepare(make([]byte, 0, 64), ".", dns.TypeNS, false); err == nil {
		c.exchange(c.closeCtx, &q, s)
	}
	s.mu.Lock()
	s.probing = false
	if s.down.Load() {
		s.probeWait = min(2*s.probeWait, probeMax)
		s.probeAt = c.clock() + int64(s.probeWait)
	}
	s.mu.Unlock()
}
