package resolve

import (
	"encoding/binary"
	"errors"
	"runtime"
	"sync"
	"syscall"
)

// gsoSize is the size queries are padded to when they are sent with UDP
// segmentation offload, which needs datagrams of one size: RFC 8467's block
// size for queries. A query whose name makes it longer goes out on its own.
const gsoSize = 128

// gsoMaxSegments caps the datagrams of one GSO write: well under the
// kernel's limit (64 segments, 128 on newer kernels), and a burst small
// enough that any receive buffer holds it. Caps of 32 and 64 measured no
// faster on make bench, whose batches average 12.
const gsoMaxSegments = 16

// padQuery pads a query that packQuery wrote (its OPT record last, with no
// options) to a multiple of block bytes with an EDNS(0) Padding option
// (RFC 7830, option 12, zero bytes). Servers that do not know the option
// ignore it (RFC 6891 §6.1.2).
func padQuery(b []byte, block int) []byte {
	n := len(b) + 4 // the option's code and length
	pad := (block - n%block) % block
	rdlen := 4 + pad
	binary.BigEndian.PutUint16(b[len(b)-2:], uint16(rdlen))
	b = append(b, 0, 12, byte(pad>>8), byte(pad))
	for range pad {
		b = append(b, 0)
	}
	return b
}

// sendQueue gathers padded queries for one GSO write. Whoever finds it
// idle becomes the flusher: it lets the goroutines that are ready to run
// queue theirs behind it, then writes them all in one system call.
type sendQueue struct {
	mu       sync.Mutex
	buf      []byte   // queued datagrams, gsoSize bytes each
	who      []sender // who[i] sent buf's i-th datagram
	spare    []byte
	spareWho []sender
	flushing bool
}

// sender is the attempt behind a queued datagram, to tell if its send fails.
type sender struct {
	id uint16
	w  *waiter
}

// send writes one query of the attempt registered as (id, w). Padded
// queries go through the socket's send queue and out in GSO batches; the
// rest, and everything when the kernel has no GSO, with one write each.
// An error of a plain write is returned; an error of a batched one reaches
// each attempt in the batch as sendFailedMark.
func (s *udpSock) send(p []byte, id uint16, w *waiter) error {
	if len(p) != gsoSize || !s.c.gso.Load() {
		_, err := s.conn.Write(p)
		return err
	}
	q := &s.sq
	q.mu.Lock()
	q.buf = append(q.buf, p...)
	q.who = append(q.who, sender{id, w})
	if q.flushing {
		q.mu.Unlock()
		return nil
	}
	q.flushing = true
	q.mu.Unlock()
	// Let the goroutines that are ready to run, typically those woken by
	// the last batch of replies, queue their next queries behind this one.
	runtime.Gosched()
	// Flush what has gathered, and what gathers meanwhile, for a few
	// rounds; then hand the role on, so that one lookup is never kept from
	// its own reply for long.
	for range 4 {
		q.mu.Lock()
		if len(q.who) == 0 {
			q.mu.Unlock()
			break
		}
		out, who := q.buf, q.who
		q.buf, q.who = q.spare[:0], q.spareWho[:0]
		q.spare, q.spareWho = nil, nil
		q.mu.Unlock()
		s.writeBatch(out, who)
		clear(who) // drop the waiters: they go back to their pool
		q.mu.Lock()
		q.spare, q.spareWho = out[:0], who[:0]
		q.mu.Unlock()
	}
	// What came after the last round is sent now rather than left for the
	// next query to find the queue idle.
	q.mu.Lock()
	out, who := q.buf, q.who
	if len(who) > 0 {
		q.buf, q.who = nil, nil
	}
	q.flushing = false
	q.mu.Unlock()
	if len(who) > 0 {
		s.writeBatch(out, who)
	}
	return nil
}

// writeBatch sends b, a run of gsoSize-byte datagrams, in GSO writes of at
// most gsoMaxSegments. If the kernel refuses GSO, it is switched off for
// the client and the datagrams go one by one.
func (s *udpSock) writeBatch(b []byte, who []sender) {
	for len(b) > 0 {
		n := min(len(who), gsoMaxSegments)
		chunk, senders := b[:n*gsoSize], who[:n]
		b, who = b[n*gsoSize:], who[n:]
		if n > 1 && s.c.gso.Load() {
			_, _, err := s.conn.WriteMsgUDP(chunk, s.c.gsoOOB, nil)
			if err == nil {
				s.c.batched.Add(uint64(n))
				continue
			}
			if !gsoRefused(err) {
				for _, x := range senders {
					s.sendFailed(x, err)
				}
				continue
			}
			s.c.gso.Store(false)
		}
		for i, x := range senders {
			if _, err := s.conn.Write(chunk[i*gsoSize : (i+1)*gsoSize]); err != nil {
				s.sendFailed(x, err)
			}
		}
	}
}

// gsoRefused reports whether a GSO write failed for want of GSO (the
// kernel or the route's device cannot segment) rather than for a reason
// that one write per datagram would meet too.
func gsoRefused(err error) bool {
	return errors.Is(err, syscall.EIO) || errors.Is(err, syscall.EINVAL) ||
		errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.ENOPROTOOPT)
}

// sendFailed tells the query behind a datagram that it was not sent, if
// that query is still waiting (its waiter may since have moved on to
// another query: the ID must still map to it), and has no earlier failure
// to take first.
func (s *udpSock) sendFailed(x sender, err error) {
	s.mu.Lock()
	if s.pending[x.id] == x.w && x.w.sendErr.CompareAndSwap(nil, &sendFailure{s, x.id, err}) {
		x.w.ch <- sendFailedMark // room kept for it: see waiter.ch
	}
	s.mu.Unlock()
}

// Batching stops for the rest of a scan once more than one UDP query in
// gsoLossRatio has been lost, counted from gsoLossMin queries on. Batches
// leave faster than single writes, and a receiver that cannot keep up drops
// what overflows its socket buffer: measured through the integration
// suite's lossy proxy (a Go relay with the default buffer, --concurrency
// 2000), batches raised the retries from about 26,000 to about 32,000 for
// the same 25,000 datagrams the proxy dropped itself. Where losses are
// this common the resolver, not the sender, limits the scan, so single
// writes cost nothing that matters.
//
// A loss is an attempt whose wait ended and whose reply had not come when
// its query ended (sawLoss), less the replies that came after their query
// had ended (strays); a timeout alone is not one. Waits are short now, and
// a resolver's slow replies (a recursion on a busy machine) time out in
// bursts and then arrive: counting those timeouts switched batching off in
// clean scans through unbound.
const (
	gsoLossRatio = 100
	gsoLossMin   = 1000
)

// sawLoss counts n lost UDP attempts.
func (c *Client) sawLoss(n int) { c.lost.Add(uint64(n)) }

// checkLosses stops batching if losses are common. The sweeper runs it
// about once a second; it weighs the losses counted by its previous run
// against the strays counted by now, so that a reply that came late has
// had a second to take its loss back.
func (c *Client) checkLosses() {
	l := c.lostSeen
	c.lostSeen = c.lost.Load()
	if strays := c.strays.Load(); strays < l {
		l -= strays
	} else {
		l = 0
	}
	if q := c.queries.Load(); q >= gsoLossMin && l*gsoLossRatio > q && c.gso.Load() {
		c.gso.Store(false)
	}
}
