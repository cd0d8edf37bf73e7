package resolve

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxscope/mxscope/scanner/dnstest"
)

func TestPadQueryIsMiekgsPaddingOption(t *testing.T) {
	for _, name := range []string{"example.com.", ".", "_dmarc.d0000001.bench.test.", strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "."} {
		t.Run(name, func(t *testing.T) {
			packed, err := packQuery(nil, name, dns.TypeTXT, 1232)
			if err != nil {
				t.Fatal(err)
			}
			got := padQuery(packed, gsoSize)
			if len(got)%gsoSize != 0 {
				t.Fatalf("padded to %d bytes, not a multiple of %d", len(got), gsoSize)
			}
			m := new(dns.Msg)
			m.RecursionDesired, m.AuthenticatedData = true, true
			m.Question = []dns.Question{{Name: name, Qtype: dns.TypeTXT, Qclass: dns.ClassINET}}
			m.SetEdns0(1232, false)
			opt := m.IsEdns0()
			opt.Option = append(opt.Option, &dns.EDNS0_PADDING{Padding: make([]byte, len(got)-len(packed)-4)})
			want, err := m.Pack()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("got  %x\nwant %x", got, want)
			}
		})
	}
}

// queryMany asks n distinct names at once and checks every answer.
func queryMany(t *testing.T, c *Client, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := range n {
		wg.Go(func() {
			name := fmt.Sprintf("h%d.example.", i)
			a := c.Query(context.Background(), name, dns.TypeA)
			if a.Status != StatusOK || len(a.Records) != 1 {
				errs <- fmt.Sprintf("%s: %s %v", name, a.Status, a.Err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func manyHosts(n int) string {
	var z strings.Builder
	z.WriteString("$ORIGIN example.\n")
	for i := range n {
		fmt.Fprintf(&z, "h%d 300 A 192.0.2.%d\n", i, i%250+1)
	}
	return z.String()
}

// TestConcurrentQueriesAreAllAnswered: queries asked at once, which gather
// in send queues and leave in GSO batches where the kernel has GSO, are
// each answered. 200 stays within what the in-process server's default
// receive buffer holds (about 470 datagrams here): more at once overflow
// it with or without batches (500 lost about half either way).
func TestConcurrentQueriesAreAllAnswered(t *testing.T) {
	srv := dnstest.New(t, manyHosts(200))
	c, err := NewClient(Config{Servers: []string{srv.Addr()}, Timeout: 2 * time.Second, Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	queryMany(t, c, 200)
	if st := c.Stats(); st.Retries != 0 || st.Timeouts != 0 {
		t.Errorf("needed %d retries and saw %d timeouts; want none", st.Retries, st.Timeouts)
	}
}

// loopbackSock returns a client socket connected to a plain UDP listener,
// for tests that look at the datagrams themselves.
func loopbackSock(t *testing.T) (*Client, *udpSock, *net.UDPConn) {
	t.Helper()
	ln, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	c, err := NewClient(Config{Servers: []string{ln.LocalAddr().String()}, Sockets: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, c.servers[0].socks[0], ln
}

// batch packs n padded queries, h0.example. to h<n-1>.example., with IDs
// 1 to n.
func batch(t *testing.T, n int) ([]byte, []sender) {
	t.Helper()
	var b []byte
	var who []sender
	for i := range n {
		p, err := packQuery(nil, fmt.Sprintf("h%d.example.", i), dns.TypeA, 1232)
		if err != nil {
			t.Fatal(err)
		}
		p = padQuery(p, gsoSize)
		binary.BigEndian.PutUint16(p, uint16(i+1))
		b = append(b, p...)
		who = append(who, sender{id: uint16(i + 1)})
	}
	return b, who
}

// receive reads n datagrams from ln and checks that they are b's gsoSize
// pieces in order.
func receive(t *testing.T, ln *net.UDPConn, b []byte, n int) {
	t.Helper()
	buf := make([]byte, 2048)
	for i := range n {
		_ = ln.SetReadDeadline(time.Now().Add(2 * time.Second))
		k, err := ln.Read(buf)
		if err != nil {
			t.Fatalf("datagram %d of %d: %v", i+1, n, err)
		}
		if want := b[i*gsoSize : (i+1)*gsoSize]; !bytes.Equal(buf[:k], want) {
			t.Fatalf("datagram %d: got %d bytes %x, want %d bytes %x", i+1, k, buf[:k], len(want), want)
		}
	}
}

func TestBatchArrivesAsOneDatagramPerQuery(t *testing.T) {
	c, s, ln := loopbackSock(t)
	if !c.gso.Load() {
		t.Skip("this kernel has no UDP segmentation offload; queries go one write each")
	}
	n := gsoMaxSegments + 3 // two GSO writes
	b, who := batch(t, n)
	s.writeBatch(b, who)
	receive(t, ln, b, n)
	if got := c.Stats().Batched; got != uint64(n) {
		t.Errorf("Stats().Batched = %d, want %d", got, n)
	}
}

func TestRefusedBatchFallsBackToOneWriteEach(t *testing.T) {
	c, s, ln := loopbackSock(t)
	if !c.gso.Load() {
		t.Skip("this kernel has no UDP segmentation offload")
	}
	// Segments of one byte make any batch more segments than the kernel
	// takes in one write (64, or 128 on newer kernels): it answers EINVAL,
	// as a kernel or device without GSO does at send time.
	c.gsoOOB = gsoControl(1)
	b, who := batch(t, 5)
	s.writeBatch(b, who)
	receive(t, ln, b, 5)
	if c.gso.Load() {
		t.Error("GSO still on after the kernel refused a batch")
	}
	if got := c.Stats().Batched; got != 0 {
		t.Errorf("Stats().Batched = %d, want 0", got)
	}
}

// A batch that cannot be sent for another reason (here, the socket is
// closed) ends the wait of each query in it with the error, rather than
// leaving them to time out; GSO stays on.
func TestFailedBatchReachesEachQuery(t *testing.T) {
	c, s, _ := loopbackSock(t)
	if !c.gso.Load() {
		t.Skip("this kernel has no UDP segmentation offload")
	}
	b, who := batch(t, 3)
	ws := make([]*waiter, len(who))
	for i := range who {
		ws[i] = &waiter{ch: make(chan *[]byte, maxQueued+3)}
		id, res := s.register(ws[i], 1<<40, false)
		if res != regOK {
			t.Fatalf("register: %v", res)
		}
		who[i] = sender{id: id, w: ws[i]}
	}
	s.conn.Close()
	s.writeBatch(b, who)
	for i, w := range ws {
		select {
		case m := <-w.ch:
			f := w.sendErr.Load()
			if m != sendFailedMark || f == nil || !errors.Is(f.err, net.ErrClosed) || f.id != who[i].id || f.s != s {
				t.Errorf("query %d: got mark %p with failure %+v, want sendFailedMark with net.ErrClosed for its ID", i, m, f)
			}
		default:
			t.Errorf("query %d: nothing on its channel; want sendFailedMark", i)
		}
		s.unregister(who[i].id, w)
	}
	if !c.gso.Load() {
		t.Error("GSO switched off for an error that is not about GSO")
	}
}

// Batching stops once losses pass one query in gsoLossRatio, and not
// before gsoLossMin queries: a few lost datagrams early in a scan are no
// sign that the receiver drops bursts.
func TestCommonLossesStopBatching(t *testing.T) {
	c, _, _ := loopbackSock(t)
	if !c.gso.Load() {
		t.Skip("this kernel has no UDP segmentation offload")
	}
	// The sweeper's checks, each weighing the losses of the one before.
	check := func() { c.checkLosses(); c.checkLosses() }
	c.queries.Store(gsoLossMin / 2)
	c.sawLoss(gsoLossMin / 4)
	check()
	if !c.gso.Load() {
		t.Fatalf("batching stopped after %d losses in %d queries; want it kept until %d queries", gsoLossMin/4, gsoLossMin/2, gsoLossMin)
	}
	c.queries.Store(100 * gsoLossMin)
	c.lost.Store(gsoLossMin) // exactly one in gsoLossRatio
	check()
	if !c.gso.Load() {
		t.Fatalf("batching stopped at %d losses in %d queries; want it kept until more than 1 in %d", gsoLossMin, 100*gsoLossMin, gsoLossRatio)
	}
	c.sawLoss(1)
	c.strays.Store(1) // a late reply takes a loss back
	check()
	if !c.gso.Load() {
		t.Fatalf("batching stopped at %d losses and a stray in %d queries", gsoLossMin+1, 100*gsoLossMin)
	}
	c.sawLoss(1)
	check()
	if c.gso.Load() {
		t.Errorf("batching still on after %d losses and a stray in %d queries", gsoLossMin+2, 100*gsoLossMin)
	}
}
