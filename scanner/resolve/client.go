package resolve

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// Config configures a Client.
type Config struct {
	// Servers are the resolvers, "host:port" (see ParseServer); required.
	// SystemServers gives the system's.
	Servers []string
	// Timeout is the longest wait for a reply to one attempt
	// (DefaultTimeout when 0). An unanswered query is sent again sooner,
	// after its resolver's retransmission timeout (see health.go): the
	// smoothed round-trip time plus four times its variation, at least
	// MinRTO and at most Timeout, doubled for each attempt of the query
	// that went unanswered while its resolver answered nothing else. The
	// last attempt waits Timeout, and a query whose attempts all went
	// unanswered listens for a late reply until (Retries+1)×Timeout after
	// its first. Waits end up to one sweeper tick late (at most 10ms).
	Timeout time.Duration
	// MinRTO is the floor of the retransmission timeout (DefaultMinRTO
	// when 0; never more than Timeout).
	MinRTO time.Duration
	// Retries is the number of extra attempts after the first, each on the
	// next server: 0 means none, negative means DefaultRetries. Attempts
	// that go to a resolver just then set aside are not counted.
	Retries int
	// QPS caps the queries sent per second across all servers, retries and
	// TCP fallbacks included (0: no cap).
	QPS float64
	// UDPSize is the EDNS0 buffer size advertised (DefaultUDPSize when 0; at least 512).
	UDPSize uint16
	// Sockets is the number of UDP sockets per server (DefaultSockets when
	// 0); each carries many queries in flight.
	Sockets int
}

// Stats counts a Client's traffic since it was created.
type Stats struct {
	Queries      uint64 // queries sent: every attempt, over UDP or TCP, probes included
	Retries      uint64 // attempts after the first
	Responses    uint64 // replies accepted (matching ID and question, parseable), TCP included
	Timeouts     uint64 // attempts that ended without a usable reply within their wait
	TCPFallbacks uint64 // queries asked over TCP: after a truncated UDP reply, or as the last try after UDP timeouts
	Discarded    uint64 // replies dropped: unknown ID, mismatched question, unparseable, or late for a query already answered
	Throttled    uint64 // queries that waited for the QPS cap
	Batched      uint64 // UDP queries sent several to a system call (GSO, see send.go)
	SetAside     uint64 // times a resolver was set aside (see Servers)
	Probes       uint64 // probes sent to resolvers set aside
	// Late counts replies taken after their attempt's wait had ended and
	// the query had been sent again: the wait was short, not the reply
	// lost. Replies that come after their query was answered another way
	// are among the Discarded.
	Late uint64
}

// maxInflight caps the queries waiting on one socket, keeping random ID
// selection quick and IDs unpredictable.
const maxInflight = 1 << 15

// Client sends DNS queries to a set of resolvers. It is safe for concurrent
// use; Close releases its sockets and goroutines.
type Client struct {
	servers []*server
	timeout time.Duration // the ceiling of every wait
	minRTO  time.Duration
	tick    time.Duration // the sweeper's period, one slot of the wheels
	retries int
	// maxAttempts caps the attempts of one query, uncounted ones
	// included; it sizes each waiter's registrations and channel.
	maxAttempts int
	udpSize     uint16
	limit       *bucket // nil: no QPS cap
	tcp         dns.Client
	next        atomic.Uint32 // round-robin start server
	epoch       time.Time     // clock's zero

	// backoff returns the pause before retry number attempt (1-based)
	// after a failure that was not a timeout (SERVFAIL, REFUSED, a
	// network error); tests replace it to skip the wait.
	backoff func(attempt int) time.Duration

	msgs    sync.Pool // *outMsg: pack buffers
	waiters sync.Pool // *waiter, sized for maxAttempts

	// gso: queries are padded to gsoSize and sent in batches with UDP
	// segmentation offload (send.go, gso_linux.go); cleared for good if
	// the kernel refuses a batch or losses (timeouts less the late
	// replies counted as strays) become common (checkLosses).
	gso    atomic.Bool
	gsoOOB []byte

	hmu sync.Mutex
	up  chan struct{} // closed and replaced when a resolver comes back

	done      chan struct{}   // closed by Close
	closeCtx  context.Context // cancelled by Close, ends TCP exchanges
	closeFn   context.CancelFunc
	closeOnce sync.Once
	readers   sync.WaitGroup // the socket readers and the sweeper
	bg        sync.WaitGroup // probes and TCP attempts running alongside UDP ones

	queries, retriesN, tcpFallbacks, discarded, throttled, batched, probesN, late, lost, strays atomic.Uint64
	lostSeen                                                                                    uint64 // lost, as checkLosses last read it; the sweeper's
}

var _ Querier = (*Client)(nil)

// server is one resolver, its sockets, and what the client has learned of
// its health (health.go).
type server struct {
	addr  string // resolved "ip:port", used for TCP too
	idx   int    // in Client.servers
	socks []*udpSock
	next  atomic.Uint32

	srtt, rttvar atomic.Int64 // nanoseconds; srtt 0: no reply yet
	heardAt      atomic.Int64 // clock of its last reply; 0: never
	silent       atomic.Int32 // attempts sent after heardAt that went unanswered
	streak       atomic.Int64 // when the first of those was sent
	down         atomic.Bool  // set aside

	// tcp holds a token for each TCP exchange open to the resolver (see
	// maxTCPPerServer).
	tcp chan struct{}

	mu        sync.Mutex // state changes and probes
	probeAt   int64      // clock of the next probe
	probeWait time.Duration
	probing   bool

	queries, answers, timeouts, refusals, setAside, restored atomic.Uint64
}

// idTable maps a query ID to the query waiting for its reply. An array
// rather than a map: every query registers, is looked up by its reply and
// unregisters, and hashing the ID three times a query showed in profiles;
// 512 KiB a socket.
type idTable [1 << 16]*waiter

// udpSock is one connected UDP socket. A single reader goroutine reads
// replies and hands each to the query waiting on its ID.
type udpSock struct {
	c       *Client
	srv     *server
	conn    *net.UDPConn
	mu      sync.Mutex
	pending *idTable
	npend   int // non-nil entries of pending
	// The timers of the queries whose current attempt went out on this
	// socket.
	timers wheel
	closed bool // Close has told every waiter; no more register

	sq sendQueue
}

// waiter is one query waiting for replies: to its current attempt and to
// the earlier ones, which stay registered (on their sockets, under their
// IDs) until the query ends, so that an answer that comes after its
// attempt's wait is still taken. Waiters are pooled with their channel.
//
// Attempts do not each get a time.Timer: resetting and stopping one per
// query, and selecting on its channel, was a measurable part of a scan's
// CPU. Instead everything that ends a wait arrives on ch: replies,
// timeoutMark from the Client's sweeper, kickMark when the resolver of the
// current attempt is set aside, closedMark from Close, sendFailedMark from
// a batch that could not be sent.
type waiter struct {
	// ch holds replies whose ID and question match (at most maxQueued,
	// counted in queued), one mark per arming of the timer, closedMark
	// and sendFailedMark at most once each: room for all.
	ch       chan *[]byte
	queued   atomic.Int32
	question []byte // packed question: name, type, class
	nameLen  int

	// regs are the query's UDP attempts, in order; only the query's
	// goroutine touches the slice.
	regs []reg
	// home is the socket whose wheel holds the timer of the current
	// attempt, nil when none is armed (or its mark was taken).
	home *udpSock
	// stale counts timer marks of attempts the query moved on from
	// before taking them: they are skipped when they arrive.
	stale int

	// sendErr is the first batched send that failed and was not yet
	// taken by the query.
	sendErr atomic.Pointer[sendFailure]
	closing atomic.Bool // closedMark was sent

	// Guarded by home's mu.
	tick         int64
	tprev, tnext *waiter
	listed       bool
}

// reg is one UDP attempt of a query: where it went, under which ID, when.
type reg struct {
	s        *udpSock
	id       uint16
	sent     int64 // clock
	timedOut bool  // its wait ended unanswered
	answered bool  // its reply was taken
}

// sendFailure says that the datagram of the attempt registered as id on s
// could not be sent.
type sendFailure struct {
	s   *udpSock
	id  uint16
	err error
}

// maxQueued is how many matching replies may wait in a waiter's channel;
// dispatch discards any more.
const maxQueued = 2

// timeoutMark, kickMark, closedMark and sendFailedMark are sent on a
// waiter's channel to end its wait; they are never pooled like replies.
var (
	timeoutMark    = new([]byte)
	kickMark       = new([]byte)
	closedMark     = new([]byte)
	sendFailedMark = new([]byte)
)

func isMark(b *[]byte) bool {
	return b == timeoutMark || b == kickMark || b == closedMark || b == sendFailedMark
}

// outMsg is a reusable buffer that queries are packed into.
type outMsg struct {
	buf []byte
}

// replyBufs holds copies of replies on their way from a reader to a waiter.
var replyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// NewClient opens the sockets and starts their readers. Server addresses
// are resolved once, here.
func NewClient(cfg Config) (*Client, error) {
	if len(cfg.Servers) == 0 {
		return nil, fmt.Errorf("%w: Config.Servers is empty (hint: use SystemServers)", ErrNoServers)
	}
	c := &Client{
		timeout: cfg.Timeout,
		minRTO:  cfg.MinRTO,
		retries: cfg.Retries,
		udpSize: cfg.UDPSize,
		backoff: jitteredBackoff,
		done:    make(chan struct{}),
		up:      make(chan struct{}),
		epoch:   time.Now(),
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.minRTO <= 0 {
		c.minRTO = DefaultMinRTO
	}
	c.minRTO = min(c.minRTO, c.timeout)
	c.tick = sweepTick(c.minRTO)
	if c.retries < 0 {
		c.retries = DefaultRetries
	}
	c.maxAttempts = c.retries + 1 + len(cfg.Servers)
	if c.udpSize == 0 {
		c.udpSize = DefaultUDPSize
	}
	c.udpSize = max(c.udpSize, dns.MinMsgSize)
	nsock := cfg.Sockets
	if nsock <= 0 {
		nsock = DefaultSockets
	}
	if cfg.QPS > 0 {
		c.limit = newBucket(cfg.QPS, time.Now)
	}
	c.tcp = dns.Client{Net: "tcp", Timeout: c.timeout}
	c.closeCtx, c.closeFn = context.WithCancel(context.Background())
	c.msgs.New = func() any {
		return &outMsg{buf: make([]byte, 0, 512)}
	}
	room := maxQueued + c.maxAttempts + 2
	c.waiters.New = func() any {
		return &waiter{ch: make(chan *[]byte, room), regs: make([]reg, 0, c.maxAttempts)}
	}

	now := c.ticks(c.clock())
	for _, s := range cfg.Servers {
		addr, err := ParseServer(s)
		if err != nil {
			c.Close()
			return nil, err
		}
		ua, err := net.ResolveUDPAddr("udp", addr)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("%w %q: %w", ErrBadServer, s, err)
		}
		srv := &server{addr: ua.String(), idx: len(c.servers), tcp: make(chan struct{}, maxTCPPerServer)}
		c.servers = append(c.servers, srv)
		for range nsock {
			conn, err := net.DialUDP("udp", nil, ua)
			if err != nil {
				c.Close()
				return nil, fmt.Errorf("resolve: opening a socket to %s: %w", addr, err)
			}
			_ = conn.SetReadBuffer(4 << 20) // absorb bursts of replies; best effort
			_ = conn.SetWriteBuffer(1 << 20)
			if c.gsoOOB == nil && gsoSupported(conn) {
				c.gsoOOB = gsoControl(gsoSize)
				c.gso.Store(true)
			}
			us := &udpSock{c: c, srv: srv, conn: conn, pending: new(idTable)}
			us.timers.cur = now
			srv.socks = append(srv.socks, us)
			c.readers.Add(1)
			go us.read()
		}
	}
	c.readers.Add(1)
	go c.sweep()
	return c, nil
}

// sweepTick is how often the sweeper fires the timers that are due: a
// tenth of the shortest wait, between 1ms and 10ms. A wait ends at most one
// tick late, and an idle client wakes 100 times a second at most.
func sweepTick(minWait time.Duration) time.Duration {
	return min(max(minWait/10, time.Millisecond), 10*time.Millisecond)
}

// ticks converts a clock reading to the sweeper's ticks, rounding up.
func (c *Client) ticks(clock int64) int64 {
	t := int64(c.tick)
	return (clock + t - 1) / t
}

// sweep fires, every tick, the timers that are due and starts the probes
// of resolvers set aside, until the client closes.
func (c *Client) sweep() {
	defer c.readers.Done()
	t := time.NewTicker(c.tick)
	defer t.Stop()
	perSecond := int(time.Second / c.tick)
	for n := 1; ; n++ {
		select {
		case <-c.done:
			return
		case <-t.C:
			if n%perSecond == 0 && c.gso.Load() {
				c.checkLosses()
			}
			now := c.clock()
			tick := now / int64(c.tick)
			for _, srv := range c.servers {
				for _, s := range srv.socks {
					s.expire(tick)
				}
			}
			c.probes(now)
		}
	}
}

// Close stops the readers and closes the sockets; queries still waiting end
// with StatusError and ErrClosed. It waits for the readers, probes and TCP
// attempts to end.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		close(c.done)
		c.closeFn()
		for _, srv := range c.servers {
			for _, s := range srv.socks {
				s.close()
				s.conn.Close()
			}
		}
	})
	c.readers.Wait()
	c.bg.Wait()
	return nil
}

// isClosed reports whether Close has been called.
func (c *Client) isClosed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Stats returns the traffic counters.
func (c *Client) Stats() Stats {
	st := Stats{
		Queries:      c.queries.Load(),
		Retries:      c.retriesN.Load(),
		TCPFallbacks: c.tcpFallbacks.Load(),
		Discarded:    c.discarded.Load(),
		Throttled:    c.throttled.Load(),
		Batched:      c.batched.Load(),
		Probes:       c.probesN.Load(),
		Late:         c.late.Load(),
	}
	for _, s := range c.servers {
		st.SetAside += s.setAside.Load()
		st.Responses += s.answers.Load()
		st.Timeouts += s.timeouts.Load()
	}
	return st
}

// jitteredBackoff waits 50-150ms times the attempt number, capped at one
// second: enough for a brief overload to pass, not enough to stall a scan.
// Timeouts need no pause of their own: the wait was the pause.
func jitteredBackoff(attempt int) time.Duration {
	d := time.Duration(attempt) * (50*time.Millisecond + rand.N(100*time.Millisecond))
	return min(d, time.Second)
}

// Query asks the resolvers for (name, qtype), class IN, with RD set.
//
// Each attempt goes to the next resolver that is not set aside, starting
// from a round-robin position so load spreads. An attempt that goes
// unanswered within its resolver's retransmission timeout is followed by
// the next one, while the earlier ones keep listening: the first usable
// reply to any of them is the answer. A network error also moves on, after
// a short backoff. SERVFAIL and REFUSED are worth one retry at most:
// SERVFAIL is retried once even with a single server (it is often transient
// at a recursive resolver), REFUSED only when there is another server to
// ask (one server refusing will refuse again). When every UDP attempt so
// far went unanswered, the last one goes over TCP; all attempts going
// unanswered gives StatusTimeout. When every resolver is set aside, the
// query waits for one to come back rather than spending its attempts (see
// pick). When ctx ends the query returns at once: StatusTimeout wrapping
// context.DeadlineExceeded when its deadline passed, else StatusError
// wrapping ctx.Err().
func (c *Client) Query(ctx context.Context, name string, qtype uint16) Answer {
	return c.ask(ctx, name, qtype, false)
}

// QueryCD is Query with the CD (checking disabled) bit set (see CDQuerier).
func (c *Client) QueryCD(ctx context.Context, name string, qtype uint16) Answer {
	return c.ask(ctx, name, qtype, true)
}

// ask is Query, with the CD bit set when cd is.
func (c *Client) ask(ctx context.Context, name string, qtype uint16, cd bool) Answer {
	fqdn := canonical(name)
	if c.isClosed() {
		return failed(StatusError, ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return ctxAnswer(err)
	}
	if _, ok := dns.IsDomainName(fqdn); !ok {
		return failed(StatusError, fmt.Errorf("%w %q", ErrBadName, name))
	}

	o := c.msgs.Get().(*outMsg)
	defer c.msgs.Put(o)
	q, err := c.prepare(o.buf, fqdn, qtype, cd)
	if err != nil {
		return failed(StatusError, fmt.Errorf("%w %q: %w", ErrBadName, name, err))
	}
	o.buf = q.packed[:0]
	return c.exchange(ctx, &q, nil)
}

// errNoQuestion: a packed query whose question cannot be read back.
var errNoQuestion = errors.New("no question in the packed query")

// prepare packs the question into buf, with the CD bit when cd is set and
// padded for a batch while batching is on: the one way a query is made,
// for lookups and for probes alike.
func (c *Client) prepare(buf []byte, fqdn string, qtype uint16, cd bool) (query, error) {
	packed, err := packQuery(buf, fqdn, qtype, c.udpSize)
	if err != nil {
		return query{}, err
	}
	if cd {
		packed[3] |= flagCD
	}
	if c.gso.Load() {
		packed = padQuery(packed, gsoSize)
	}
	q, ok := newQuery(fqdn, qtype, packed)
	if !ok {
		return query{}, errNoQuestion
	}
	q.cd = cd
	return q, nil
}

// exchange runs the attempts of q until one is answered or none is left;
// with probe set, it sends one UDP attempt to that resolver, set aside or
// not, and waits Timeout for it.
func (c *Client) exchange(ctx context.Context, q *query, probe *server) Answer {
	w := c.waiters.Get().(*waiter)
	w.question, w.nameLen = q.question, q.nameLen
	// q is copied, not pointed to: a pointer stored in x made every
	// query's q escape to the heap.
	x := &exchange{c: c, ctx: ctx, q: *q, w: w, probe: probe, budget: c.retries, cur: -1}
	if probe == nil {
		x.start = int(c.next.Add(1) - 1)
	} else {
		x.budget = 0
	}
	a := x.run()
	x.end()
	if a.Server == "" && x.lastSrv != nil {
		a.Server = x.lastSrv.addr // none answered: the last one asked
	}
	return a
}

// exchange is the state of one query's attempts.
type exchange struct {
	c      *Client
	ctx    context.Context
	q      query
	w      *waiter
	probe  *server
	start  int // round-robin position of the first attempt
	budget int // counted attempts left after the current one
	sent   int // attempts sent, counted or not
	// backoff counts this query's attempts that went unanswered while
	// their resolver answered nothing else either; each doubles the wait
	// of the next (RFC 6298 §5.5). An attempt lost while its resolver
	// answered other queries meanwhile was loss, not a resolver in
	// trouble: as in unbound, where a success cancels the backoff of a
	// timeout, the next attempt waits the plain RTO. Through the 30%-loss
	// proxy, 20,000 domains took 41 and 35s (two runs, alternated with
	// the other way's) against 63 and 54s when every timeout doubled it.
	backoff      int
	tried        uint64  // servers tried, by index
	lastSrv      *server // the server of the last attempt sent
	rcodeRetried bool
	last         Answer // the outcome of the last attempt that ended
	cur          int    // index in w.regs of the current UDP attempt; -1: none

	tcp       chan tcpResult // a TCP attempt running alongside the UDP ones
	tcpSrv    *server
	tcpCancel context.CancelFunc
	tcpFailed bool // the TCP attempt failed in transport (EOF, reset): the last try goes over UDP
	lingering bool // no attempt left: waiting for a late reply (linger)
}

type tcpResult struct {
	a     Answer
	retry bool
}

// step is what one event of a query's wait leads to.
type step int

const (
	stepWait   step = iota // nothing changes: keep waiting
	stepNext               // send the next attempt now
	stepRetry              // send the next attempt after the backoff
	stepReturn             // the query is over: return x.last
)

func (x *exchange) run() Answer {
	for {
		srv, ok := x.pick()
		if !ok {
			return x.linger()
		}
		final := x.budget == 0
		if final && x.probe == nil && x.sent > 0 && x.last.Status == StatusTimeout && !x.tcpFailed {
			// Every UDP attempt so far went unanswered. On a lossy
			// path TCP's own retransmission gets through where
			// another datagram may not, so the last try uses TCP,
			// while the UDP attempts keep listening.
			x.startTCP(srv)
		} else if st := x.sendUDP(srv, final); st != stepWait {
			if x.after(st) {
				return x.linger()
			}
			continue
		}
		st := x.wait()
		if x.after(st) {
			return x.linger()
		}
	}
}

// linger returns x.last, except that a query whose attempts all went
// unanswered keeps listening to its UDP attempts until (Retries+1)
// Timeouts after the first was sent: as long as it waited when every
// attempt waited Timeout. Early retransmission is for datagrams that were
// lost; a resolver that is slow (a recursion, a starved machine) still
// gets the old patience, and its late reply is the answer.
func (x *exchange) linger() Answer {
	c, w := x.c, x.w
	if x.probe != nil || x.last.Status != StatusTimeout || x.ctx.Err() != nil || c.isClosed() || len(w.regs) == 0 {
		return x.last
	}
	x.stopTCP()
	x.disarm()
	until := w.regs[0].sent + int64(c.retries+1)*int64(c.timeout)
	if c.clock() >= until || !slices.ContainsFunc(w.regs, func(r reg) bool { return !r.s.srv.down.Load() }) {
		return x.last // too late, or every resolver asked is set aside
	}
	s := w.regs[len(w.regs)-1].s
	s.mu.Lock()
	s.timers.insert(w, c.ticks(until))
	s.mu.Unlock()
	w.home, x.cur = s, -1
	x.lingering = true
	x.budget = 0
	x.wait() // whatever ends it, a late SERVFAIL or REFUSED included, x.last is the answer
	return x.last
}

// after applies the step that ended an attempt; it reports whether the
// query is over.
func (x *exchange) after(st step) bool {
	switch st {
	case stepReturn:
		return true
	case stepRetry:
		if err := x.c.sleep(x.ctx, x.c.backoff(x.sent)); err != nil {
			x.last = x.c.stopAnswer(x.ctx, err)
			return true
		}
	}
	return false
}

// pick chooses the resolver of the next attempt, waiting while every
// resolver is set aside, if one of them has ever answered: a resolver that
// answered and went away (restarting, say) is worth waiting for within the
// caller's deadline, which for a scan is the domain's. It reports false,
// with x.last set, when the query must end instead.
func (x *exchange) pick() (*server, bool) {
	c := x.c
	if x.probe != nil {
		return x.probe, true
	}
	if x.sent >= c.maxAttempts {
		return nil, false
	}
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		up := c.upSignal()
		if srv := c.choose(x.start+x.sent, x.tried); srv != nil {
			return srv, true
		}
		if !c.everHeard() {
			x.noResolver()
			return nil, false
		}
		if timer == nil {
			timer = time.NewTimer(maxOutageWait)
		}
		select {
		case <-up:
		case <-timer.C:
			x.noResolver()
			return nil, false
		case <-x.ctx.Done():
			x.last = ctxAnswer(x.ctx.Err())
			return nil, false
		case <-c.done:
			x.last = failed(StatusError, ErrClosed)
			return nil, false
		}
	}
}

// noResolver ends the query for want of a resolver: no attempt was
// answered, and none can be sent.
func (x *exchange) noResolver() {
	if x.last.Status == "" || x.last.Status == StatusTimeout || x.last.Status == StatusError && x.last.Rcode == NoRcode {
		x.last = failed(StatusTimeout, fmt.Errorf("%w: every resolver is set aside (refusing or silent)", ErrTimeout))
	}
}

// count marks an attempt on srv as sent.
func (x *exchange) count(srv *server) {
	if x.sent > 0 {
		x.c.retriesN.Add(1)
	}
	x.sent++
	x.lastSrv = srv
	if srv.idx < 64 {
		x.tried |= 1 << srv.idx
	}
	x.c.queries.Add(1)
	srv.queries.Add(1)
}

// spend takes one attempt from the budget; false when none is left.
func (x *exchange) spend() bool {
	if x.budget == 0 {
		return false
	}
	x.budget--
	return true
}

// sendUDP sends the next attempt to srv over UDP, its timer armed for the
// resolver's retransmission timeout (Timeout for the final attempt). It
// returns stepWait when the attempt is out, or the step that follows an
// attempt that could not be sent.
func (x *exchange) sendUDP(srv *server, final bool) step {
	c := x.c
	if c.limit != nil {
		if err := c.limit.wait(x.ctx, c.done, func() { c.throttled.Add(1) }); err != nil {
			x.last = c.stopAnswer(x.ctx, err)
			return stepReturn
		}
	}
	wait := c.timeout
	if !final {
		wait = min(c.rto(srv)<<min(x.backoff, 16), c.timeout)
	}
	x.disarm()
	now := c.clock()
	s, id, res := srv.register(x.w, c.ticks(now+int64(wait)), x.probe != nil)
	switch res {
	case regClosed:
		x.last = failed(StatusError, ErrClosed)
		return stepReturn
	case regDown:
		// Set aside since it was chosen: choose again, uncounted.
		x.sent++
		return stepNext
	case regFull:
		x.sent++ // not sent, but an attempt all the same
		x.last = failed(StatusError, fmt.Errorf("%w on %s", ErrBusy, srv.addr))
		if !x.spend() {
			return stepReturn
		}
		return stepRetry
	}
	x.w.regs = append(x.w.regs, reg{s: s, id: id, sent: now})
	x.cur = len(x.w.regs) - 1
	x.count(srv)
	binary.BigEndian.PutUint16(x.q.packed, id)
	if err := s.send(x.q.packed, id, x.w); err != nil {
		return x.sendFailed(srv, err)
	}
	return stepWait
}

// sendFailed is the step after the current attempt's datagram to srv
// could not be sent.
func (x *exchange) sendFailed(srv *server, err error) step {
	c := x.c
	x.disarm()
	x.cur = -1
	if c.isClosed() {
		x.last = failed(StatusError, ErrClosed)
		return stepReturn
	}
	x.last = failed(StatusError, fmt.Errorf("resolve: sending to %s: %w", srv.addr, err))
	if errors.Is(err, syscall.ECONNREFUSED) {
		c.refused(srv)
		return stepNext // uncounted: the resolver is set aside
	}
	if !x.spend() {
		return stepReturn
	}
	return stepRetry
}

// disarm stops the current attempt's timer; a mark it already sent is
// skipped when it arrives.
func (x *exchange) disarm() {
	s := x.w.home
	if s == nil {
		return
	}
	s.mu.Lock()
	if x.w.listed {
		s.timers.remove(x.w)
	} else {
		x.w.stale++
	}
	s.mu.Unlock()
	x.w.home = nil
}

// startTCP starts the final attempt over TCP to srv, alongside the UDP
// attempts, which keep listening.
func (x *exchange) startTCP(srv *server) {
	c := x.c
	x.disarm()
	x.cur = -1
	x.count(srv)
	ctx, cancel := context.WithCancel(x.ctx)
	x.tcp, x.tcpSrv, x.tcpCancel = make(chan tcpResult, 1), srv, cancel
	fqdn, qtype, cd, ch := x.q.fqdn, x.q.qtype, x.q.cd, x.tcp
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		a, retry := c.exchangeTCP(ctx, srv, fqdn, qtype, cd)
		ch <- tcpResult{a, retry}
	}()
}

// wait waits for the event that ends the current attempt: a reply to any
// attempt, the timer, the resolver set aside, a failed send, the TCP
// attempt's result, the context or the client ending.
func (x *exchange) wait() step {
	w, c := x.w, x.c
	for {
		var b *[]byte
		select { // x.tcp nil: no TCP attempt, that case never fires
		case b = <-w.ch:
		case r := <-x.tcp:
			x.tcp = nil
			if st := x.tcpDone(r); st != stepWait {
				return st
			}
			continue
		case <-x.ctx.Done():
			x.last = ctxAnswer(x.ctx.Err())
			return stepReturn
		}
		switch b {
		case timeoutMark, kickMark:
			if w.stale > 0 {
				w.stale--
				continue
			}
			w.home = nil
			if x.lingering {
				return stepReturn // x.last stands
			}
			if x.cur < 0 {
				continue
			}
			w.regs[x.cur].timedOut = true
			r := w.regs[x.cur]
			x.cur = -1
			if b == kickMark {
				// Its resolver was set aside: the attempt did not
				// really happen, so it does not count.
				x.last = failed(StatusTimeout, fmt.Errorf("%w: %s was set aside", ErrTimeout, r.s.srv.addr))
				return stepNext
			}
			c.unanswered(r.s.srv, r.sent)
			if r.s.srv.heardAt.Load() <= r.sent {
				x.backoff++
			}
			x.last = failed(StatusTimeout, fmt.Errorf("%w: no reply from %s within %v", ErrTimeout, r.s.srv.addr, time.Duration(c.clock()-r.sent).Round(time.Millisecond)))
			if x.probe != nil || !x.spend() {
				return stepReturn
			}
			return stepNext
		case closedMark:
			x.last = failed(StatusError, ErrClosed)
			return stepReturn
		case sendFailedMark:
			f := w.sendErr.Swap(nil)
			if f == nil || x.cur < 0 || w.regs[x.cur].s != f.s || w.regs[x.cur].id != f.id {
				continue // an earlier attempt's: the query has moved on
			}
			return x.sendFailed(f.s.srv, f.err)
		}
		if st := x.reply(b); st != stepWait {
			return st
		}
	}
}

// reply handles a reply to one of the query's UDP attempts.
func (x *exchange) reply(b *[]byte) step {
	c, w := x.c, x.w
	w.queued.Add(-1)
	id := binary.BigEndian.Uint16(*b)
	var r reg
	at := -1
	for i := len(w.regs) - 1; i >= 0; i-- {
		if w.regs[i].id == id {
			r, at = w.regs[i], i
			break
		}
	}
	if r.s == nil { // cannot happen: dispatch matched the ID to this waiter
		putReply(b)
		c.discarded.Add(1)
		return stepWait
	}
	srv := r.s.srv
	a, tc, ok := parseReply(*b, &x.q, srv.addr)
	putReply(b)
	if !ok {
		c.discarded.Add(1)
		return stepWait // a forged or broken reply: the real one may still come
	}
	w.regs[at].answered = true
	if at != x.cur {
		c.late.Add(1) // its wait had ended: the query was sent again
	}
	now := c.clock()
	rtt := time.Duration(now - r.sent)
	c.heard(srv, now, rtt)
	if tc {
		// Too big for UDP: the answer comes over TCP, from the
		// resolver that said so.
		x.disarm()
		x.cur = -1
		x.stopTCP()
		x.count(srv)
		a, retry := c.exchangeTCP(x.ctx, srv, x.q.fqdn, x.q.qtype, x.q.cd)
		a.TC = true
		return x.answered(srv, a, retry)
	}
	a.Server, a.RTT = srv.addr, rtt
	return x.answered(srv, a, false)
}

// tcpDone handles the result of the TCP attempt that ran alongside.
func (x *exchange) tcpDone(r tcpResult) step {
	srv := x.tcpSrv
	x.tcpCancel()
	x.tcpSrv, x.tcpCancel = nil, nil
	if r.a.Status == StatusError && r.a.Rcode == NoRcode && x.ctx.Err() == nil && !x.c.isClosed() {
		if srv.down.Load() {
			// Refused or reset: set aside. Another resolver may take
			// the last try, uncounted.
			return stepNext
		}
		// TCP failed in transport (the connection closed on us: a
		// resolver or a middlebox at its TCP limit does that under
		// load). Nothing answered; one more datagram, waiting the
		// whole Timeout, gets through where the first three were
		// lost more often than not. Through the integration suite's
		// 30%-loss proxy at 2,000 domains in flight, 116 queries of
		// 60,021 saw their TCP try end in EOF and, without this last
		// datagram, ended as timeouts.
		x.tcpFailed = true
		if x.sent < x.c.maxAttempts {
			return stepNext
		}
		return stepReturn
	}
	return x.answered(srv, r.a, r.retry)
}

// stopTCP abandons the TCP attempt running alongside, if any.
func (x *exchange) stopTCP() {
	if x.tcp != nil {
		x.tcpCancel()
		x.tcp, x.tcpSrv, x.tcpCancel = nil, nil, nil
	}
}

// answered is the step after an attempt was answered with a: the answer,
// or one more try after SERVFAIL or REFUSED, or after a TCP exchange that
// failed (retry).
func (x *exchange) answered(srv *server, a Answer, retry bool) step {
	switch a.Status {
	case StatusServFail, StatusRefused:
		if x.probe != nil || x.rcodeRetried || (a.Status == StatusRefused && len(x.c.servers) == 1) || !x.spend() {
			x.last = a
			return stepReturn
		}
		x.rcodeRetried = true
		x.last = a
		return stepRetry
	}
	x.last = a
	if retry && x.probe == nil && x.spend() {
		return stepRetry
	}
	return stepReturn
}

// end unregisters every attempt of the query, stops its timer and a TCP
// attempt still running, and gives the waiter back to the pool: once end
// returns, nothing can deliver to it any more.
func (x *exchange) end() {
	w := x.w
	x.stopTCP()
	x.disarm()
	lost := 0
	for _, r := range w.regs {
		r.s.unregister(r.id, w)
		if r.timedOut && !r.answered {
			lost++
		}
	}
	if lost > 0 {
		x.c.sawLoss(lost)
	}
	for {
		select {
		case b := <-w.ch:
			if !isMark(b) {
				putReply(b)
			}
		default:
			w.regs = w.regs[:0]
			w.question, w.stale = nil, 0
			w.queued.Store(0)
			w.sendErr.Store(nil)
			w.closing.Store(false)
			x.c.waiters.Put(w)
			return
		}
	}
}

// Header flag bits in the fourth byte of a message (RFC 1035 §4.1.1, RFC 4035 §3.2).
const (
	flagAD = 0x20 // Authenticated Data
	flagCD = 0x10 // Checking Disabled
)

// packQuery writes into buf (growing it if needed) the query for (fqdn,
// qtype), class IN, RD and AD set (Answer.AD says why), ID 0, with an OPT
// record advertising udpSize:
// byte for byte what dns.Msg.PackBuffer writes for that message
// (TestPackQueryMatchesMiekg), without building a Msg, measuring it and
// walking its sections for every query.
func packQuery(buf []byte, fqdn string, qtype, udpSize uint16) ([]byte, error) {
	// A name takes at most one byte more on the wire than written out.
	need := 12 + len(fqdn) + 1 + 4 + 11
	if cap(buf) < need {
		buf = make([]byte, need)
	}
	b := buf[:cap(buf)]
	// ID, flags (RD, AD), QDCOUNT 1, ANCOUNT 0, NSCOUNT 0, ARCOUNT 1.
	copy(b, []byte{0, 0, 0x01, flagAD, 0, 1, 0, 0, 0, 0, 0, 1})
	off, err := dns.PackDomainName(fqdn, b, 12, nil, false)
	if err != nil {
		return nil, err
	}
	b = append(b[:off], byte(qtype>>8), byte(qtype), 0, dns.ClassINET)
	// OPT: root owner, type 41, class = UDP size, TTL 0 (extended rcode,
	// version and flags all zero), no options.
	b = append(b, 0, 0, byte(dns.TypeOPT), byte(udpSize>>8), byte(udpSize), 0, 0, 0, 0, 0, 0)
	return b, nil
}

// query is one question being asked: canonical name, type, and the packed
// message whose first two bytes each attempt overwrites with its ID.
type query struct {
	fqdn     string
	qtype    uint16
	packed   []byte
	question []byte // packed[12:]: name, type, class
	nameLen  int
	cd       bool // asked with checking disabled
}

// newQuery describes the packed query (header, then one question) for fqdn
// and qtype; ok is false if packed holds no well-formed question.
func newQuery(fqdn string, qtype uint16, packed []byte) (q query, ok bool) {
	qlen := questionLen(packed[12:])
	if qlen < 0 || qlen > len(packed)-12 {
		return query{}, false
	}
	return query{fqdn: fqdn, qtype: qtype, packed: packed, question: packed[12 : 12+qlen], nameLen: qlen - 4}, true
}

func failed(s Status, err error) Answer { return Answer{Status: s, Rcode: NoRcode, Err: err} }

// ctxAnswer is the answer of a query whose context ended: a timeout when
// its deadline passed (for a scan, the domain's: no answer came in time),
// an error when it was cancelled.
func ctxAnswer(err error) Answer {
	if errors.Is(err, context.DeadlineExceeded) {
		return failed(StatusTimeout, fmt.Errorf("%w: no answer before the deadline (%w)", ErrTimeout, err))
	}
	return failed(StatusError, fmt.Errorf("resolve: query abandoned: %w", err))
}

// stopAnswer is the answer when a wait ended early: ctx or Close.
func (c *Client) stopAnswer(ctx context.Context, err error) Answer {
	if errors.Is(err, ErrClosed) {
		return failed(StatusError, err)
	}
	return ctxAnswer(ctx.Err())
}

// sleep waits d, or until ctx ends or the client closes.
func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
		return ErrClosed
	}
}

// parseReply turns a UDP reply that dispatch matched to q into an Answer.
// tc reports a truncated reply, which is not parsed: it may be cut anywhere
// and the answer will come over TCP. ok is false when the reply cannot be
// parsed and must be discarded.
func parseReply(b []byte, q *query, server string) (a Answer, tc, ok bool) {
	if len(b) < 12 {
		return Answer{}, false, false
	}
	if b[2]&0x02 != 0 {
		return Answer{}, true, true
	}
	rcode, answer, ok := unpackAnswer(b, q)
	if !ok {
		return Answer{}, false, false
	}
	m := dns.Msg{Answer: answer}
	m.Rcode = rcode
	a = answerFrom(&m, q.fqdn, q.qtype, server)
	a.AD = b[3]&flagAD != 0
	return a, false, true
}

// exchangeTCP asks (fqdn, qtype) over a fresh TCP connection to srv: after
// a truncated UDP reply (RFC 7766), or as the last try. The caller counted
// the query. A connection refused or reset may set srv aside (refusedTCP).
func (c *Client) exchangeTCP(ctx context.Context, srv *server, fqdn string, qtype uint16, cd bool) (Answer, bool) {
	c.tcpFallbacks.Add(1)
	// At most maxTCPPerServer connections at once: the rest wait their
	// turn (within the caller's deadline) rather than crowd a resolver
	// that closes what it cannot take.
	select {
	case srv.tcp <- struct{}{}:
		defer func() { <-srv.tcp }()
	case <-ctx.Done():
		return ctxAnswer(ctx.Err()), false
	case <-c.done:
		return failed(StatusError, ErrClosed), false
	}
	if c.limit != nil {
		if err := c.limit.wait(ctx, c.done, func() { c.throttled.Add(1) }); err != nil {
			return c.stopAnswer(ctx, err), false
		}
	}
	m := new(dns.Msg)
	m.SetQuestion(fqdn, qtype)
	m.SetEdns0(c.udpSize, false)
	m.AuthenticatedData, m.CheckingDisabled = true, cd
	tctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	stop := context.AfterFunc(c.closeCtx, cancel)
	defer stop()

	start := c.clock()
	// miekg/dns honours a context's deadline but not its cancellation once
	// connected: closing the connection when tctx ends makes an abandoned
	// exchange (the caller gone, the query answered over UDP meanwhile,
	// the client closed) end at once rather than at its timeout.
	var r *dns.Msg
	conn, err := c.tcp.DialContext(tctx, srv.addr)
	if err == nil {
		stopClose := context.AfterFunc(tctx, func() { conn.Close() })
		r, _, err = c.tcp.ExchangeWithConnContext(tctx, m, conn)
		stopClose()
		conn.Close()
	}
	switch {
	case ctx.Err() != nil:
		return ctxAnswer(ctx.Err()), false
	case c.closeCtx.Err() != nil:
		return failed(StatusError, ErrClosed), false
	case err != nil && (tctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded)):
		srv.timeouts.Add(1)
		return failed(StatusTimeout, fmt.Errorf("%w: no reply over TCP from %s within %v", ErrTimeout, srv.addr, c.timeout)), true
	case err != nil:
		if errors.Is(err, dns.ErrId) {
			c.discarded.Add(1)
		}
		if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) {
			c.refusedTCP(srv)
		}
		return failed(StatusError, fmt.Errorf("resolve: TCP to %s: %w", srv.addr, err)), true
	case !msgQuestionMatches(r, fqdn, qtype) || !r.Response:
		c.discarded.Add(1)
		return failed(StatusError, fmt.Errorf("%w (TCP from %s)", ErrMismatch, srv.addr)), true
	}
	now := c.clock()
	c.heard(srv, now, 0) // no sample: the time includes the connection's set-up
	if r.Truncated {
		// Cut even over TCP (unbound does this to an answer it cannot
		// fit in 64 KB): what is there may not be all there is, and an
		// empty answer section is no NODATA.
		a := failed(StatusError, fmt.Errorf("%w (TCP from %s)", ErrTruncated, srv.addr))
		a.Rcode, a.Server, a.TCP = r.Rcode, srv.addr, true
		return a, false
	}
	a := answerFrom(r, fqdn, qtype, srv.addr)
	a.Server, a.TCP, a.AD, a.RTT = srv.addr, true, r.AuthenticatedData, time.Duration(now-start)
	return a, false
}

// maxTCPPerServer caps the TCP connections open to one resolver at once.
// A resolver takes few: unbound accepts 10 a thread by default
// (incoming-num-tcp) and closes or ignores the rest, so a burst of TCP
// fallbacks from a scan with thousands of queries in flight fails at
// once, EOF and reset, where the same queries taking turns all get
// through. Through the integration suite's 30%-loss proxy at 2,000
// domains in flight, with a dead address listed first, 289 TCP tries
// ended in EOF and 212 timed out uncapped, and 164 rows came out wrong;
// capped at 8, none did (two runs).
const maxTCPPerServer = 8

// regResult is why register did or did not register a query.
type regResult int

const (
	regOK     regResult = iota
	regFull             // every socket of the server has maxInflight queries
	regDown             // the server was set aside meanwhile
	regClosed           // the client is closing
)

// register puts w on one of srv's sockets under a free random ID and arms
// its timer there for tick t. Unless probe is set, a server set aside is
// refused: checked under the socket's lock, so that an attempt registered
// after setAside kicked that socket sees it.
func (srv *server) register(w *waiter, t int64, probe bool) (*udpSock, uint16, regResult) {
	first := int(srv.next.Add(1))
	res := regFull
	for i := range srv.socks {
		s := srv.socks[(first+i)%len(srv.socks)]
		id, r := s.register(w, t, probe)
		if r == regOK {
			return s, id, regOK
		}
		if r != regFull {
			return nil, 0, r
		}
	}
	return nil, 0, res
}

func (s *udpSock) register(w *waiter, t int64, probe bool) (uint16, regResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return 0, regClosed
	case !probe && s.srv.down.Load():
		return 0, regDown
	case s.npend >= maxInflight:
		return 0, regFull
	}
	for {
		id := uint16(rand.Uint32())
		if s.pending[id] == nil {
			s.pending[id] = w
			s.npend++
			s.timers.insert(w, t)
			w.home = s
			return id, regOK
		}
	}
}

// expire fires the timers due at or before tick now.
func (s *udpSock) expire(now int64) {
	s.mu.Lock()
	s.timers.advance(now, func(w *waiter) {
		w.ch <- timeoutMark // never blocks: ch has room for it
	})
	s.mu.Unlock()
}

// kick ends the wait of every query whose current attempt went out on this
// socket: its server was set aside.
func (s *udpSock) kick() {
	s.mu.Lock()
	s.timers.each(func(w *waiter) {
		w.ch <- kickMark // never blocks: ch has room for it
	})
	s.mu.Unlock()
}

// close sends closedMark to every waiter and refuses new ones.
func (s *udpSock) close() {
	s.mu.Lock()
	s.closed = true
	for _, w := range s.pending {
		if w != nil && w.closing.CompareAndSwap(false, true) {
			w.ch <- closedMark // never blocks: ch has room for it
		}
	}
	s.mu.Unlock()
}

// unregister removes w's registration under id; once every registration
// of w is removed, no reader can deliver to it.
func (s *udpSock) unregister(id uint16, w *waiter) {
	s.mu.Lock()
	if s.pending[id] == w {
		s.pending[id] = nil
		s.npend--
	}
	s.mu.Unlock()
}

// read is the socket's reader goroutine: it reads replies (in batches where
// the platform allows) and dispatches them until the client closes.
func (s *udpSock) read() {
	defer s.c.readers.Done()
	next := s.reader()
	errs := 0
	for {
		err := next(s.dispatch)
		if err == nil {
			errs = 0
			continue
		}
		select {
		case <-s.c.done:
			return
		default:
		}
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			// ICMP port unreachable, reported on the connected socket:
			// nothing listens at the resolver's address.
			s.c.refused(s.srv)
		}
		// Pause if errors repeat so that a persistent one cannot spin.
		if errs++; errs > 8 {
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// dispatch hands a reply to the query waiting for it, or discards it: not a
// response to a standard query, no waiter for its ID, a question other
// than the waiter's, or a waiter with replies enough queued. cut reports a
// datagram longer than the read buffer; it is delivered marked truncated
// (TC), so the query moves to TCP. dispatch never blocks and never keeps b.
func (s *udpSock) dispatch(b []byte, cut bool) {
	if !plausibleReply(b) {
		s.c.discarded.Add(1)
		return
	}
	id := binary.BigEndian.Uint16(b)
	s.mu.Lock()
	w := s.pending[id]
	if w == nil || !sameQuestion(b[12:], w.question, w.nameLen) {
		s.mu.Unlock()
		s.c.discarded.Add(1)
		if w == nil {
			s.c.strays.Add(1) // mostly late replies to queries answered meanwhile
		}
		return
	}
	if w.queued.Add(1) > maxQueued { // the waiter already has replies queued
		w.queued.Add(-1)
		s.mu.Unlock()
		s.c.discarded.Add(1)
		return
	}
	rb := getReply(len(b))
	copy(*rb, b)
	if cut {
		(*rb)[2] |= 0x02
	}
	w.ch <- rb // room reserved in queued; only the waiter takes from ch
	s.mu.Unlock()
}

// plausibleReply checks the header: long enough, QR set, opcode QUERY,
// exactly one question.
func plausibleReply(b []byte) bool {
	return len(b) >= 12 && b[2]&0x80 != 0 && (b[2]>>3)&0x0f == dns.OpcodeQuery &&
		binary.BigEndian.Uint16(b[4:]) == 1
}

func getReply(n int) *[]byte {
	b := replyBufs.Get().(*[]byte)
	if cap(*b) < n {
		*b = make([]byte, n)
	}
	*b = (*b)[:n]
	return b
}

func putReply(b *[]byte) {
	if cap(*b) <= 8192 { // don't let a few huge replies pin memory
		replyBufs.Put(b)
	}
}
