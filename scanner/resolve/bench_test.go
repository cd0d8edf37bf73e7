package resolve

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/mxscope/mxscope/scanner/dnstest"
	"golang.org/x/net/ipv4"
)

// BenchmarkQuery measures queries through the whole transport against a
// dnstest server on loopback, with many queries in flight. The server's own
// cost is included, so this is a lower bound on the client's speed.
func BenchmarkQuery(b *testing.B) {
	var zone strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&zone, "h%d.example.com. A 192.0.2.%d\n", i, i%250)
	}
	srv := dnstest.New(b, zone.String())
	c := newClient(b, Config{Servers: []string{srv.Addr()}, Retries: 3})
	var n atomic.Uint64
	b.ReportAllocs()
	b.SetParallelism(64)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if a := c.Query(context.Background(), fmt.Sprintf("h%d.example.com", i%1000), dns.TypeA); a.Status != StatusOK {
				b.Errorf("got %v (%v); want ok", a.Status, a.Err)
			}
		}
	})
	b.StopTimer()
	if st := c.Stats(); st.Timeouts > 0 {
		b.Logf("%+v", st)
	}
}

// BenchmarkPackUnpack measures the per-query CPU work without sockets:
// packing a query into a pooled buffer, matching the reply's question,
// unpacking it and building the Answer.
func BenchmarkPackUnpack(b *testing.B) {
	c := newClient(b, Config{Servers: []string{"127.0.0.1:1"}})
	q := new(dns.Msg)
	q.SetQuestion("example.com.", dns.TypeMX)
	q.SetEdns0(1232, false)
	r := new(dns.Msg)
	r.SetReply(q)
	for i := range 2 {
		r.Answer = append(r.Answer, &dns.MX{
			Hdr:        dns.RR_Header{Name: "example.com.", Rrtype: dns.TypeMX, Class: dns.ClassINET, Ttl: 300},
			Preference: uint16(10 * i), Mx: fmt.Sprintf("mx%d.example.com.", i),
		})
	}
	reply, err := r.Pack()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		o := c.msgs.Get().(*outMsg)
		packed, err := packQuery(o.buf, "example.com.", dns.TypeMX, c.udpSize)
		if err != nil {
			b.Fatal(err)
		}
		o.buf = packed[:0]
		query := mustQuery("example.com.", dns.TypeMX, packed)
		if !sameQuestion(reply[12:], query.question, query.nameLen) {
			b.Fatal("question mismatch")
		}
		a, _, ok := parseReply(reply, query, "bench")
		if !ok || a.Status != StatusOK {
			b.Fatalf("got %v", a.Status)
		}
		c.msgs.Put(o)
	}
}

// fastResponder answers every A query with 192.0.2.1, batching reads and
// writes, so that BenchmarkQueryFastServer measures mostly the client.
func fastResponder(tb testing.TB) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { pc.Close() })
	pc.(*net.UDPConn).SetReadBuffer(4 << 20)
	p := ipv4.NewPacketConn(pc)
	go func() {
		const batch = 64
		in, out := make([]ipv4.Message, batch), make([]ipv4.Message, batch)
		for i := range in {
			in[i].Buffers = [][]byte{make([]byte, 1500)}
			out[i].Buffers = [][]byte{make([]byte, 1500)}
		}
		for {
			n, err := p.ReadBatch(in, 0)
			if err != nil {
				return
			}
			k := 0
			for _, m := range in[:n] {
				q := m.Buffers[0][:m.N]
				if len(q) < 12 {
					continue
				}
				ql := questionLen(q[12:])
				if ql < 0 {
					continue
				}
				r := out[k].Buffers[0][:0]
				r = append(r, q[0], q[1], q[2]|0x80, 0x80, 0, 1, 0, 1, 0, 0, 0, 0)
				r = append(r, q[12:12+ql]...)
				r = append(r, 0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 0x2c, 0, 4, 192, 0, 2, 1)
				out[k].Buffers[0] = r[:cap(r)]
				out[k].Buffers = [][]byte{r}
				out[k].Addr = m.Addr
				k++
			}
			for sent := 0; sent < k; {
				w, err := p.WriteBatch(out[sent:k], 0)
				if err != nil {
					return
				}
				sent += w
			}
			for i := range out[:k] {
				out[i].Buffers[0] = out[i].Buffers[0][:cap(out[i].Buffers[0])]
			}
		}
	}()
	return pc.LocalAddr().String()
}

// BenchmarkQueryFastServer is BenchmarkQuery against fastResponder: the
// client's cost per query, syscalls included.
func BenchmarkQueryFastServer(b *testing.B) {
	c := newClient(b, Config{Servers: []string{fastResponder(b)}, Retries: 3})
	names := make([]string, 1000)
	for i := range names {
		names[i] = fmt.Sprintf("h%d.example.com", i)
	}
	var n atomic.Uint64
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ReportAllocs()
	b.SetParallelism(256)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if a := c.Query(context.Background(), names[n.Add(1)%1000], dns.TypeA); a.Status != StatusOK {
				b.Errorf("got %v (%v); want ok", a.Status, a.Err)
			}
		}
	})
	b.StopTimer()
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(syscall.TimevalToNsec(ru1.Utime) - syscall.TimevalToNsec(ru0.Utime) + syscall.TimevalToNsec(ru1.Stime) - syscall.TimevalToNsec(ru0.Stime))
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.Logf("%+v", c.Stats())
}

// BenchmarkUnpackReply compares the lean reply parser with dns.Msg.Unpack on
// a reply shaped like an authoritative server's (nsd): two MX records, an NS
// record in the authority section, its glue and an OPT record.
func BenchmarkUnpackReply(b *testing.B) {
	q, query := mxQuery(b, "d0000001.bench.test.")
	r := new(dns.Msg)
	r.SetReply(q)
	for _, s := range []string{"d0000001.bench.test. MX 10 mx1.example.net.", "d0000001.bench.test. MX 20 mx2.example.net."} {
		rr, _ := dns.NewRR(s)
		r.Answer = append(r.Answer, rr)
	}
	ns, _ := dns.NewRR("bench.test. NS ns.bench.test.")
	glue, _ := dns.NewRR("ns.bench.test. A 127.0.0.1")
	r.Ns, r.Extra = []dns.RR{ns}, []dns.RR{glue}
	r.SetEdns0(1232, false)
	r.Compress = true
	reply, err := r.Pack()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("lean", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, answer, res := unpackLean(reply, query); res != leanOK || len(answer) != 2 {
				b.Fatalf("got %v, %d answers", res, len(answer))
			}
		}
	})
	b.Run("dns.Msg.Unpack", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var m dns.Msg
			if err := m.Unpack(reply); err != nil || len(m.Answer) != 2 {
				b.Fatalf("got %v, %d answers", err, len(m.Answer))
			}
		}
	})
}
