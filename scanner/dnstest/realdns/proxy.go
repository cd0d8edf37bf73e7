package realdns

import (
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// maxProxyClients caps the client addresses a Proxy tracks (one upstream
// socket each). A resolver reuses a few sockets, so the cap is never reached
// by a well-behaved client; queries from further clients are dropped.
const maxProxyClients = 1024

// Proxy is a lossy UDP proxy in front of a DNS server: it drops a share of
// the clients' UDP queries, delays the others by a random time, and relays
// the server's replies to the client that asked. TCP on the same port is
// relayed without loss or delay, so a client's fallback to TCP works.
type Proxy struct {
	Addr      string       // 127.0.0.1:port, UDP and TCP
	Dropped   atomic.Int64 // UDP queries dropped
	Forwarded atomic.Int64 // UDP queries sent on to the server
	TCPConns  atomic.Int64 // TCP connections relayed

	silent atomic.Bool // drop every UDP query (SetSilent)

	upstream *net.UDPAddr
	tcpUp    string
	dropRate float64
	maxDelay time.Duration

	pc   net.PacketConn
	ln   net.Listener
	done chan struct{}
	wg   sync.WaitGroup

	mu      sync.Mutex
	rng     *rand.Rand
	clients map[string]*net.UDPConn // client address -> its socket to the server
	conns   map[net.Conn]struct{}   // open TCP connections, both sides
	closed  bool
}

// StartLossyProxy starts a proxy on 127.0.0.1 in front of upstream
// ("127.0.0.1:port"). Each UDP query is dropped with probability dropRate;
// the others wait a uniformly random time in [0, maxDelay] before going on.
// The seed makes the drop and delay sequence repeatable (the interleaving of
// concurrent clients is not). The proxy stops in tb.Cleanup, after every
// goroutine it started has ended.
func StartLossyProxy(tb testing.TB, upstream string, dropRate float64, maxDelay time.Duration, seed int64) *Proxy {
	tb.Helper()
	if dropRate < 0 || dropRate >= 1 || maxDelay < 0 {
		tb.Fatalf("realdns: lossy proxy: drop rate %v must be in [0, 1) and delay %v not negative", dropRate, maxDelay)
	}
	up, err := net.ResolveUDPAddr("udp4", upstream)
	if err != nil {
		tb.Fatalf("realdns: lossy proxy: upstream %q: %v", upstream, err)
	}
	pc, ln, err := listenBoth()
	if err != nil {
		tb.Fatalf("realdns: lossy proxy: %v", err)
	}
	p := &Proxy{
		Addr:     pc.LocalAddr().String(),
		upstream: up,
		tcpUp:    upstream,
		dropRate: dropRate,
		maxDelay: maxDelay,
		pc:       pc,
		ln:       ln,
		done:     make(chan struct{}),
		rng:      rand.New(rand.NewPCG(uint64(seed), 0x6d78736370)),
		clients:  make(map[string]*net.UDPConn),
		conns:    make(map[net.Conn]struct{}),
	}
	p.wg.Add(2)
	go p.serveUDP()
	go p.serveTCP()
	tb.Cleanup(p.Close)
	return p
}

// Close stops the proxy and waits for its goroutines, delayed queries
// included (at most maxDelay). It is idempotent.
func (p *Proxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		p.wg.Wait()
		return
	}
	p.closed = true
	close(p.done)
	p.pc.Close()
	p.ln.Close()
	for _, c := range p.clients {
		c.Close()
	}
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// SetSilent makes the proxy drop every UDP query while on, as a resolver
// that stops answering does (TCP is still relayed); off, it drops and
// delays as it was started to.
func (p *Proxy) SetSilent(on bool) { p.silent.Store(on) }

// serveUDP reads client queries until the socket closes.
func (p *Proxy) serveUDP() {
	defer p.wg.Done()
	buf := make([]byte, 65535)
	for {
		n, addr, err := p.pc.ReadFrom(buf)
		if err != nil {
			if isClosed(p.done) {
				return
			}
			continue // a transient error (an ICMP report, say) must not stop the proxy
		}
		drop, delay, up := p.decide(addr)
		if drop || up == nil || p.silent.Load() {
			p.Dropped.Add(1)
			continue
		}
		p.Forwarded.Add(1)
		msg := append([]byte(nil), buf[:n]...)
		if delay == 0 {
			up.Write(msg)
			continue
		}
		p.wg.Add(1)
		time.AfterFunc(delay, func() {
			defer p.wg.Done()
			if !isClosed(p.done) {
				up.Write(msg)
			}
		})
	}
}

// decide draws drop and delay for one query from addr and returns the
// client's socket to the server, opening it (and its reply relay) on the
// client's first query. up is nil when the proxy is closed or full.
func (p *Proxy) decide(addr net.Addr) (drop bool, delay time.Duration, up *net.UDPConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return true, 0, nil
	}
	drop = p.rng.Float64() < p.dropRate
	if p.maxDelay > 0 {
		delay = time.Duration(p.rng.Int64N(int64(p.maxDelay) + 1))
	}
	if drop {
		return true, 0, nil
	}
	key := addr.String()
	if up = p.clients[key]; up != nil {
		return false, delay, up
	}
	if len(p.clients) >= maxProxyClients {
		return true, 0, nil
	}
	up, err := net.DialUDP("udp4", nil, p.upstream)
	if err != nil {
		return true, 0, nil
	}
	p.clients[key] = up
	p.wg.Add(1)
	go p.relayReplies(up, addr)
	return false, delay, up
}

// relayReplies copies the server's replies on up back to client until up
// is closed.
func (p *Proxy) relayReplies(up *net.UDPConn, client net.Addr) {
	defer p.wg.Done()
	buf := make([]byte, 65535)
	for {
		n, err := up.Read(buf)
		if err != nil {
			if isClosed(p.done) {
				return
			}
			continue // ICMP port unreachable while the server restarts
		}
		p.pc.WriteTo(buf[:n], client)
	}
}

// serveTCP accepts TCP connections and relays each to the server.
func (p *Proxy) serveTCP() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if isClosed(p.done) {
				return
			}
			time.Sleep(10 * time.Millisecond) // out of descriptors: let some close
			continue
		}
		p.TCPConns.Add(1)
		p.wg.Add(1)
		go p.relayTCP(c)
	}
}

// relayTCP copies bytes both ways between client c and a new connection to
// the server, and closes both when either side is done.
func (p *Proxy) relayTCP(c net.Conn) {
	defer p.wg.Done()
	up, err := net.DialTimeout("tcp4", p.tcpUp, 2*time.Second)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(c, up) {
		return
	}
	defer p.untrack(c, up)
	copied := make(chan struct{}, 2)
	go func() { io.Copy(up, c); copied <- struct{}{} }()
	go func() { io.Copy(c, up); copied <- struct{}{} }()
	<-copied
	c.Close()
	up.Close()
	<-copied
}

// track registers open connections so Close can end them; it closes them
// and reports false when the proxy is already closed.
func (p *Proxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		for _, c := range cs {
			c.Close()
		}
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *Proxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
	}
}

// BlackHole returns the address (127.0.0.1:port) of a "resolver that never
// answers": UDP queries are read and discarded, TCP connections accepted and
// held open in silence. It stops in tb.Cleanup.
func BlackHole(tb testing.TB) string {
	tb.Helper()
	pc, ln, err := listenBoth()
	if err != nil {
		tb.Fatalf("realdns: black hole: %v", err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = map[net.Conn]struct{}{}
		done  = make(chan struct{})
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		buf := make([]byte, 65535)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil && isClosed(done) {
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				if isClosed(done) {
					return
				}
				time.Sleep(10 * time.Millisecond)
				continue
			}
			mu.Lock()
			if isClosed(done) {
				c.Close()
			} else {
				conns[c] = struct{}{}
			}
			mu.Unlock()
			wg.Add(1)
			go func() { // read (so the client's writes succeed) until closed
				defer wg.Done()
				io.Copy(io.Discard, c)
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
				c.Close()
			}()
		}
	}()
	tb.Cleanup(func() {
		mu.Lock()
		close(done)
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		pc.Close()
		ln.Close()
		wg.Wait()
	})
	return pc.LocalAddr().String()
}

func isClosed(done chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}
