package resolve

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// Config configures a Client.
type Config struct {
	// Servers are the resolvers, "host:port" (see ParseServer); required.
	// SystemServers gives the system's.
	Servers []string
	// Timeout bounds each attempt (DefaultTimeout when 0). Expiry is
	// checked periodically, so an unanswered attempt ends up to a
	// twentieth of Timeout (at most 50ms) after it (see sweepTick).
	Timeout time.Duration
	// Retries is the number of extra attempts after the first, each on the
	// next server: 0 means none, negative means DefaultRetries.
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
	Queries      uint64 // queries sent: every attempt, over UDP or TCP
	Retries      uint64 // attempts after the first
	Responses    uint64 // replies accepted (matching ID and question, parseable), TCP included
	Timeouts     uint64 // attempts that ended without a usable reply in time
	TCPFallbacks uint64 // queries asked over TCP: after a truncated UDP reply, or as the last try after UDP timeouts
	Discarded    uint64 // replies dropped: unknown ID, mismatched question, unparseable
	Throttled    uint64 // queries that waited for the QPS cap
	Batched      uint64 // UDP queries sent several to a system call (GSO, see send.go)
}

// maxInflight caps the queries waiting on one socket, keeping random ID
// selection quick and IDs unpredictable.
const maxInflight = 1 << 15

// Client sends DNS queries to a set of resolvers. It is safe for concurrent
// use; Close releases its sockets and goroutines.
type Client struct {
	servers []*server
	timeout time.Duration
	retries int
	udpSize uint16
	limit   *bucket // nil: no QPS cap
	tcp     dns.Client
	next    atomic.Uint32 // round-robin start server

	// backoff returns the pause before retry number attempt (1-based);
	// tests replace it to skip the wait.
	backoff func(attempt int) time.Duration

	msgs sync.Pool // *outMsg: pack buffers

	// gso: queries are padded to gsoSize and sent in batches with UDP
	// segmentation offload (send.go, gso_linux.go); cleared for good if
	// the kernel refuses a batch or timeouts become common.
	gso    atomic.Bool
	gsoOOB []byte

	done      chan struct{}   // closed by Close
	closeCtx  context.Context // cancelled by Close, ends TCP exchanges
	closeFn   context.CancelFunc
	closeOnce sync.Once
	readers   sync.WaitGroup // the socket readers and the timeout sweeper

	queries, retriesN, responses, timeouts, tcpFallbacks, discarded, throttled, batched atomic.Uint64
}

var _ Querier = (*Client)(nil)

// server is one resolver and its sockets.
type server struct {
	addr  string // resolved "ip:port", used for TCP too
	socks []*udpSock
	next  atomic.Uint32
}

// idTable maps a query ID to the attempt waiting for its reply. An array
// rather than a map: every query registers, is looked up by its reply and
// unregisters, and hashing the ID three times a query showed in profiles;
// 512 KiB a socket.
type idTable [1 << 16]*waiter

// udpSock is one connected UDP socket. A single reader goroutine reads
// replies and hands each to the query waiting on its ID.
type udpSock struct {
	c       *Client
	conn    *net.UDPConn
	mu      sync.Mutex
	pending *idTable
	npend   int // non-nil entries of pending
	// The waiters not yet timed out, oldest first. Every attempt has the
	// same timeout, so this is also deadline order, and the sweeper only
	// ever looks at the front.
	head, tail *waiter
	closed     bool // Close has told every waiter; no more register

	sq sendQueue
}

// waiter is one attempt waiting for its reply. Waiters are pooled with their
// channel.
//
// Attempts do not each get a time.Timer: resetting and stopping one per
// query, and selecting on its channel, was a measurable part of a scan's
// CPU. Instead everything that ends a wait arrives on ch: replies,
// timeoutMark from the Client's sweeper, closedMark from Close,
// sendFailedMark from a batch that could not be sent.
type waiter struct {
	// ch holds replies whose ID and question match (at most maxQueued),
	// then timeoutMark, closedMark and sendFailedMark, each at most once:
	// room for all.
	ch       chan *[]byte
	question []byte // packed question: name, type, class
	nameLen  int

	// sendErr is why a batched send failed, set (under the socket's mu)
	// just before sendFailedMark is sent on ch.
	sendErr error

	// Guarded by the socket's mu.
	deadline   time.Time
	prev, next *waiter // in the socket's deadline list
	listed     bool
}

// maxQueued is how many matching replies may wait in a waiter's channel;
// dispatch discards any more.
const maxQueued = 2

// timeoutMark, closedMark and sendFailedMark are sent on a waiter's channel
// to end its wait; they are never pooled like replies.
var (
	timeoutMark    = new([]byte)
	closedMark     = new([]byte)
	sendFailedMark = new([]byte)
)

// waiterRoom is a waiter channel's capacity: maxQueued replies and each mark.
const waiterRoom = maxQueued + 3

// outMsg is a reusable buffer that queries are packed into.
type outMsg struct {
	buf []byte
}

var (
	waiters = sync.Pool{New: func() any { return &waiter{ch: make(chan *[]byte, waiterRoom)} }}
	// replyBufs holds copies of replies on their way from a reader to a waiter.
	replyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}
)

// NewClient opens the sockets and starts their readers. Server addresses
// are resolved once, here.
func NewClient(cfg Config) (*Client, error) {
	if len(cfg.Servers) == 0 {
		return nil, fmt.Errorf("%w: Config.Servers is empty (hint: use SystemServers)", ErrNoServers)
	}
	c := &Client{
		timeout: cfg.Timeout,
		retries: cfg.Retries,
		udpSize: cfg.UDPSize,
		backoff: jitteredBackoff,
		done:    make(chan struct{}),
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.retries < 0 {
		c.retries = DefaultRetries
	}
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
		srv := &server{addr: ua.String()}
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
			us := &udpSock{c: c, conn: conn, pending: new(idTable)}
			srv.socks = append(srv.socks, us)
			c.readers.Add(1)
			go us.read()
		}
	}
	c.readers.Add(1)
	go c.sweep()
	return c, nil
}

// sweepTick is how often the sweeper looks for attempts past their
// deadline: a twentieth of the timeout, between 1ms and 50ms. An attempt
// times out at most one tick late, and an idle client wakes 20 times a
// second at most.
func sweepTick(timeout time.Duration) time.Duration {
	return min(max(timeout/20, time.Millisecond), 50*time.Millisecond)
}

// sweep ends, every sweepTick, the waits of attempts whose deadline has
// passed, until the client closes.
func (c *Client) sweep() {
	defer c.readers.Done()
	t := time.NewTicker(sweepTick(c.timeout))
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case now := <-t.C:
			for _, srv := range c.servers {
				for _, s := range srv.socks {
					s.expire(now)
				}
			}
		}
	}
}

// Close stops the readers and closes the sockets; queries still waiting end
// with StatusError and ErrClosed. It waits for the readers to exit.
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
	return Stats{
		Queries:      c.queries.Load(),
		Retries:      c.retriesN.Load(),
		Responses:    c.responses.Load(),
		Timeouts:     c.timeouts.Load(),
		TCPFallbacks: c.tcpFallbacks.Load(),
		Discarded:    c.discarded.Load(),
		Throttled:    c.throttled.Load(),
		Batched:      c.batched.Load(),
	}
}

// jitteredBackoff waits 50-150ms times the attempt number, capped at one
// second: enough for a brief overload to pass, not enough to stall a scan.
func jitteredBackoff(attempt int) time.Duration {
	d := time.Duration(attempt) * (50*time.Millisecond + rand.N(100*time.Millisecond))
	return min(d, time.Second)
}

// Query asks the resolvers for (name, qtype), class IN, with RD set.
//
// Each attempt goes to the next server, starting from a round-robin
// position so load spreads. A timeout or a network error moves on to the
// next attempt while Retries allow. SERVFAIL and REFUSED are worth one
// retry at most: SERVFAIL is retried once even with a single server (it is
// often transient at a recursive resolver), REFUSED only when there is
// another server to ask (one server refusing will refuse again). The last
// attempt's status wins, so all attempts timing out gives StatusTimeout.
// When every UDP attempt timed out, the last one goes over TCP.
// When ctx ends the query returns at once with StatusError and an Err
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
	packed, err := packQuery(o.buf, fqdn, qtype, c.udpSize)
	if err != nil {
		return failed(StatusError, fmt.Errorf("%w %q: %w", ErrBadName, name, err))
	}
	if cd {
		packed[3] |= flagCD
	}
	if c.gso.Load() {
		packed = padQuery(packed, gsoSize)
	}
	o.buf = packed[:0]
	q, ok := newQuery(fqdn, qtype, packed)
	if !ok {
		return failed(StatusError, fmt.Errorf("%w %q", ErrBadName, name))
	}
	q.cd = cd

	n := len(c.servers)
	start := int(c.next.Add(1) - 1)
	rcodeRetried := false
	var last Answer
	for i := 0; i <= c.retries; i++ {
		if i > 0 {
			c.retriesN.Add(1)
			if err := c.sleep(ctx, c.backoff(i)); err != nil {
				return c.stopAnswer(ctx, err)
			}
		}
		var retry bool
		srv := c.servers[(start+i)%n]
		if i > 0 && i == c.retries && last.Status == StatusTimeout {
			// Every UDP attempt so far went unanswered. On a lossy
			// path TCP's own retransmission gets through where
			// another datagram may not, so the last try uses TCP.
			timedOut := last
			last, retry = c.exchangeTCP(ctx, srv, &q)
			if last.Status == StatusError && last.Rcode == NoRcode && ctx.Err() == nil {
				// TCP failed in transport too (refused, reset): the
				// truer account of this query is that nothing answered.
				last = timedOut
			}
		} else {
			last, retry = c.attempt(ctx, srv, &q)
		}
		last.Server = srv.addr
		switch last.Status {
		case StatusServFail, StatusRefused:
			if rcodeRetried || (last.Status == StatusRefused && n == 1) {
				return last
			}
			rcodeRetried = true
		default:
			if !retry {
				return last
			}
		}
	}
	return last
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

func ctxAnswer(err error) Answer {
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

// attempt sends q once to srv over UDP (then TCP if the reply is truncated)
// and reports the answer and whether another attempt may do better.
func (c *Client) attempt(ctx context.Context, srv *server, q *query) (Answer, bool) {
	if c.limit != nil {
		if err := c.limit.wait(ctx, c.done, func() { c.throttled.Add(1) }); err != nil {
			return c.stopAnswer(ctx, err), false
		}
	}
	w := waiters.Get().(*waiter)
	defer waiters.Put(w)
	w.question, w.nameLen = q.question, q.nameLen
	s, id, ok := srv.register(w, c.timeout)
	if !ok {
		if c.isClosed() {
			return failed(StatusError, ErrClosed), false
		}
		return failed(StatusError, fmt.Errorf("%w on %s", ErrBusy, srv.addr)), true
	}
	defer s.unregister(id, w)
	binary.BigEndian.PutUint16(q.packed, id)

	c.queries.Add(1)
	if err := s.send(q.packed, id, w); err != nil {
		return c.sendError(srv, err)
	}
	for {
		var b *[]byte
		select {
		case b = <-w.ch:
		case <-ctx.Done():
			return ctxAnswer(ctx.Err()), false
		}
		switch b {
		case timeoutMark:
			c.sawTimeout()
			return failed(StatusTimeout, fmt.Errorf("%w: no reply from %s within %v", ErrTimeout, srv.addr, c.timeout)), true
		case closedMark:
			return failed(StatusError, ErrClosed), false
		case sendFailedMark:
			return c.sendError(srv, w.sendErr)
		}
		a, tc, ok := parseReply(*b, q, srv.addr)
		putReply(b)
		if !ok {
			c.discarded.Add(1)
			continue // a forged or broken reply: the real one may still come
		}
		c.responses.Add(1)
		if tc {
			a, retry := c.exchangeTCP(ctx, srv, q)
			a.TC = true
			return a, retry
		}
		return a, false
	}
}

// sendError is an attempt's answer when its query could not be sent:
// closed if the client is, else an error another attempt may get past.
func (c *Client) sendError(srv *server, err error) (Answer, bool) {
	if c.isClosed() {
		return failed(StatusError, ErrClosed), false
	}
	return failed(StatusError, fmt.Errorf("resolve: sending to %s: %w", srv.addr, err)), true
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

// exchangeTCP asks q again over a fresh TCP connection to srv, after a
// truncated UDP reply (RFC 7766).
func (c *Client) exchangeTCP(ctx context.Context, srv *server, q *query) (Answer, bool) {
	c.tcpFallbacks.Add(1)
	if c.limit != nil {
		if err := c.limit.wait(ctx, c.done, func() { c.throttled.Add(1) }); err != nil {
			return c.stopAnswer(ctx, err), false
		}
	}
	m := new(dns.Msg)
	m.SetQuestion(q.fqdn, q.qtype)
	m.SetEdns0(c.udpSize, false)
	m.AuthenticatedData, m.CheckingDisabled = true, q.cd
	tctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	stop := context.AfterFunc(c.closeCtx, cancel)
	defer stop()

	c.queries.Add(1)
	r, _, err := c.tcp.ExchangeContext(tctx, m, srv.addr)
	switch {
	case ctx.Err() != nil:
		return ctxAnswer(ctx.Err()), false
	case c.closeCtx.Err() != nil:
		return failed(StatusError, ErrClosed), false
	case err != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)):
		c.timeouts.Add(1)
		return failed(StatusTimeout, fmt.Errorf("%w: no reply over TCP from %s within %v", ErrTimeout, srv.addr, c.timeout)), true
	case err != nil:
		if errors.Is(err, dns.ErrId) {
			c.discarded.Add(1)
		}
		return failed(StatusError, fmt.Errorf("resolve: TCP to %s: %w", srv.addr, err)), true
	case !msgQuestionMatches(r, q.fqdn, q.qtype) || !r.Response:
		c.discarded.Add(1)
		return failed(StatusError, fmt.Errorf("%w (TCP from %s)", ErrMismatch, srv.addr)), true
	}
	c.responses.Add(1)
	a := answerFrom(r, q.fqdn, q.qtype, srv.addr)
	a.TCP, a.AD = true, r.AuthenticatedData
	return a, false
}

// register puts w on one of srv's sockets under a free random ID, with its
// deadline timeout from now. It fails when every socket is full or closed.
func (srv *server) register(w *waiter, timeout time.Duration) (*udpSock, uint16, bool) {
	first := int(srv.next.Add(1))
	for i := range srv.socks {
		s := srv.socks[(first+i)%len(srv.socks)]
		if id, ok := s.register(w, timeout); ok {
			return s, id, true
		}
	}
	return nil, 0, false
}

func (s *udpSock) register(w *waiter, timeout time.Duration) (uint16, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.npend >= maxInflight || s.closed {
		return 0, false
	}
	for {
		id := uint16(rand.Uint32())
		if s.pending[id] == nil {
			s.pending[id] = w
			s.npend++
			// Taken under the lock, deadlines never decrease along the list.
			w.deadline = time.Now().Add(timeout)
			w.prev, w.next, w.listed = s.tail, nil, true
			if s.tail != nil {
				s.tail.next = w
			} else {
				s.head = w
			}
			s.tail = w
			return id, true
		}
	}
}

// unlist takes w off the deadline list. The caller holds s.mu.
func (s *udpSock) unlist(w *waiter) {
	if !w.listed {
		return
	}
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		s.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		s.tail = w.prev
	}
	w.prev, w.next, w.listed = nil, nil, false
}

// expire sends timeoutMark to every waiter whose deadline is not after now.
func (s *udpSock) expire(now time.Time) {
	s.mu.Lock()
	for w := s.head; w != nil && !w.deadline.After(now); w = s.head {
		s.unlist(w)
		w.ch <- timeoutMark // never blocks: ch has room for it
	}
	s.mu.Unlock()
}

// close sends closedMark to every waiter and refuses new ones.
func (s *udpSock) close() {
	s.mu.Lock()
	s.closed = true
	for _, w := range s.pending {
		if w != nil {
			w.ch <- closedMark // never blocks: ch has room for it
		}
	}
	s.mu.Unlock()
}

// unregister removes w; once it returns neither a reader nor the sweeper
// can deliver to w, so what is still buffered is released and w can be
// reused.
func (s *udpSock) unregister(id uint16, w *waiter) {
	s.mu.Lock()
	if s.pending[id] == w {
		s.pending[id] = nil
		s.npend--
	}
	s.unlist(w)
	s.mu.Unlock()
	for {
		select {
		case b := <-w.ch:
			if b != timeoutMark && b != closedMark && b != sendFailedMark {
				putReply(b)
			}
		default:
			w.question, w.sendErr = nil, nil
			return
		}
	}
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
		// An ICMP error (ECONNREFUSED) surfaces here on a connected
		// socket; the queries it concerns time out and move on. Pause
		// if errors repeat so that a persistent one cannot spin.
		if errs++; errs > 8 {
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// dispatch hands a reply to the query waiting for it, or discards it: not a
// response to a standard query, no waiter for its ID, or a question other
// than the waiter's. cut reports a datagram longer than the read buffer; it
// is delivered marked truncated (TC), so the query moves to TCP. dispatch
// never blocks and never keeps b.
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
		return
	}
	if len(w.ch) >= maxQueued { // the waiter already has replies queued
		s.mu.Unlock()
		s.c.discarded.Add(1)
		return
	}
	rb := getReply(len(b))
	copy(*rb, b)
	if cut {
		(*rb)[2] |= 0x02
	}
	w.ch <- rb // room checked above; only the waiter takes from ch
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
