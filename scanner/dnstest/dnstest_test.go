package dnstest

import (
	"errors"
	"fmt"
	"net"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

const testZone = `
$ORIGIN example.com.
$TTL 3600
@         IN SOA   ns1 hostmaster 1 7200 3600 1209600 300
@         IN A     192.0.2.1
@         IN MX    10 mx1
@         IN MX    20 mx2.example.net.
@         IN TXT   "v=spf1 " "include:_spf.example.net ~all"
mx1       IN A     192.0.2.10
a.b.c     IN A     192.0.2.20   ; b.c and c are empty non-terminals
www       IN CNAME web
web       IN CNAME host
host      IN A     192.0.2.30
dangling  IN CNAME gone
loop1     IN CNAME loop2
loop2     IN CNAME loop1
*.wild    IN TXT   "wildcard"
real.wild IN A     192.0.2.40
`

// ask sends one query over proto ("udp" or "tcp") and fails the test on a
// transport error.
func ask(t *testing.T, s *Server, proto, name string, qtype uint16) *dns.Msg {
	t.Helper()
	r, err := exchange(s, proto, name, qtype, 2*time.Second)
	if err != nil {
		t.Fatalf("%s %s %s: %v", proto, name, dns.TypeToString[qtype], err)
	}
	return r
}

func exchange(s *Server, proto, name string, qtype uint16, timeout time.Duration) (*dns.Msg, error) {
	c := &dns.Client{Net: proto, Timeout: timeout}
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	r, _, err := c.Exchange(m, s.Addr())
	return r, err
}

// rdata renders the answer section without owner, TTL and class, in order.
func rdata(rrs []dns.RR) []string {
	var out []string
	for _, rr := range rrs {
		hdr := rr.Header().String()
		out = append(out, strings.TrimSpace(strings.TrimPrefix(rr.String(), hdr)))
	}
	return out
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestAnswersFromZoneText(t *testing.T) {
	s := New(t, testZone)
	tests := []struct {
		name  string
		qtype uint16
		want  []string
	}{
		{"example.com.", dns.TypeA, []string{"192.0.2.1"}},
		{"example.com.", dns.TypeMX, []string{"10 mx1.example.com.", "20 mx2.example.net."}},
		{"example.com.", dns.TypeTXT, []string{`"v=spf1 " "include:_spf.example.net ~all"`}},
		{"mx1.example.com.", dns.TypeA, []string{"192.0.2.10"}},
		{"MX1.Example.COM.", dns.TypeA, []string{"192.0.2.10"}},
		{"a.b.c.example.com.", dns.TypeA, []string{"192.0.2.20"}},
	}
	for _, proto := range []string{"udp", "tcp"} {
		for _, tt := range tests {
			t.Run(proto+" "+tt.name+" "+dns.TypeToString[tt.qtype], func(t *testing.T) {
				r := ask(t, s, proto, tt.name, tt.qtype)
				if r.Rcode != dns.RcodeSuccess || !r.Authoritative {
					t.Errorf("rcode %s, aa %v; want NOERROR, aa true", dns.RcodeToString[r.Rcode], r.Authoritative)
				}
				if got := rdata(r.Answer); !reflect.DeepEqual(got, tt.want) {
					t.Errorf("got %q; want %q", got, tt.want)
				}
				if got := r.Answer[0].Header().Ttl; got != 3600 {
					t.Errorf("got TTL %d; want 3600", got)
				}
			})
		}
	}
}

func TestTXTKeepsCharacterStringsApart(t *testing.T) {
	s := New(t, testZone)
	r := ask(t, s, "udp", "example.com.", dns.TypeTXT)
	want := []string{"v=spf1 ", "include:_spf.example.net ~all"}
	if len(r.Answer) != 1 {
		t.Fatalf("got %d answers; want 1", len(r.Answer))
	}
	if got := r.Answer[0].(*dns.TXT).Txt; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q; want %q", got, want)
	}
}

func TestZoneDefaultsAreRootOriginAndTTL300(t *testing.T) {
	s := New(t, "host IN A 192.0.2.9\nhost.example.org. IN TXT \"x\"\n")
	for _, name := range []string{"host.", "host.example.org."} {
		r := ask(t, s, "udp", name, dns.TypeANY)
		if len(r.Answer) != 1 {
			t.Fatalf("%s: got %d answers; want 1", name, len(r.Answer))
		}
		if got := r.Answer[0].Header().Ttl; got != 300 {
			t.Errorf("%s: got TTL %d; want 300", name, got)
		}
	}
}

func TestNegativeAnswers(t *testing.T) {
	s := New(t, testZone)
	tests := []struct {
		about string
		name  string
		qtype uint16
		rcode int
	}{
		{"name that does not exist is NXDOMAIN", "nope.example.com.", dns.TypeA, dns.RcodeNameError},
		{"name below a leaf is NXDOMAIN", "x.mx1.example.com.", dns.TypeA, dns.RcodeNameError},
		{"name outside the data is NXDOMAIN", "example.org.", dns.TypeA, dns.RcodeNameError},
		{"existing name lacking the type is NODATA", "mx1.example.com.", dns.TypeMX, dns.RcodeSuccess},
		{"empty non-terminal is NODATA", "b.c.example.com.", dns.TypeA, dns.RcodeSuccess},
		{"higher empty non-terminal is NODATA", "c.example.com.", dns.TypeTXT, dns.RcodeSuccess},
	}
	for _, tt := range tests {
		t.Run(tt.about, func(t *testing.T) {
			r := ask(t, s, "udp", tt.name, tt.qtype)
			if r.Rcode != tt.rcode {
				t.Errorf("got %s; want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.rcode])
			}
			if len(r.Answer) != 0 {
				t.Errorf("got answers %v; want none", r.Answer)
			}
			inZone := dns.IsSubDomain("example.com.", tt.name)
			if hasSOA := len(r.Ns) == 1 && r.Ns[0].Header().Rrtype == dns.TypeSOA; hasSOA != inZone {
				t.Errorf("got authority %v; want SOA %v", r.Ns, inZone)
			}
		})
	}
}

func TestCNAMEChains(t *testing.T) {
	s := New(t, testZone)
	tests := []struct {
		about string
		name  string
		qtype uint16
		rcode int
		want  []string
	}{
		{"chain is followed to the address", "www.example.com.", dns.TypeA, dns.RcodeSuccess,
			[]string{"web.example.com.", "host.example.com.", "192.0.2.30"}},
		{"CNAME query returns only the CNAME", "www.example.com.", dns.TypeCNAME, dns.RcodeSuccess,
			[]string{"web.example.com."}},
		{"chain to a missing type is NODATA", "www.example.com.", dns.TypeMX, dns.RcodeSuccess,
			[]string{"web.example.com.", "host.example.com."}},
		{"chain to a missing name is NXDOMAIN (RFC 6604)", "dangling.example.com.", dns.TypeA, dns.RcodeNameError,
			[]string{"gone.example.com."}},
		{"loop stops", "loop1.example.com.", dns.TypeA, dns.RcodeSuccess,
			[]string{"loop2.example.com.", "loop1.example.com."}},
	}
	for _, tt := range tests {
		t.Run(tt.about, func(t *testing.T) {
			r := ask(t, s, "udp", tt.name, tt.qtype)
			if r.Rcode != tt.rcode {
				t.Errorf("got %s; want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.rcode])
			}
			if got := rdata(r.Answer); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}

func TestCNAMEChainIsCappedAtEightHops(t *testing.T) {
	var zone strings.Builder
	for i := range 12 {
		fmt.Fprintf(&zone, "c%d.example. CNAME c%d.example.\n", i, i+1)
	}
	zone.WriteString("c12.example. A 192.0.2.1\n")
	s := New(t, zone.String())
	r := ask(t, s, "udp", "c0.example.", dns.TypeA)
	if len(r.Answer) != maxCNAMEHops {
		t.Errorf("got %d answers; want %d CNAMEs", len(r.Answer), maxCNAMEHops)
	}
}

func TestWildcards(t *testing.T) {
	s := New(t, testZone)
	tests := []struct {
		about string
		name  string
		qtype uint16
		rcode int
		want  []string
	}{
		{"missing name under the wildcard's parent is synthesised", "x.wild.example.com.", dns.TypeTXT, dns.RcodeSuccess,
			[]string{`"wildcard"`}},
		{"wildcard matches several labels", "deep.x.wild.example.com.", dns.TypeTXT, dns.RcodeSuccess,
			[]string{`"wildcard"`}},
		{"synthesised name lacking the type is NODATA", "x.wild.example.com.", dns.TypeA, dns.RcodeSuccess, nil},
		{"existing name is not covered", "real.wild.example.com.", dns.TypeTXT, dns.RcodeSuccess, nil},
		{"name below an existing name is not covered", "x.real.wild.example.com.", dns.TypeTXT, dns.RcodeNameError, nil},
		{"wildcard's parent is an empty non-terminal", "wild.example.com.", dns.TypeTXT, dns.RcodeSuccess, nil},
	}
	for _, tt := range tests {
		t.Run(tt.about, func(t *testing.T) {
			r := ask(t, s, "udp", tt.name, tt.qtype)
			if r.Rcode != tt.rcode {
				t.Errorf("got %s; want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.rcode])
			}
			if got := rdata(r.Answer); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q; want %q", got, tt.want)
			}
			for _, rr := range r.Answer {
				if got := rr.Header().Name; got != tt.name {
					t.Errorf("got owner %s; want %s", got, tt.name)
				}
			}
		})
	}
}

func TestLargeAnswerIsTruncatedOnUDPAndCompleteOnTCP(t *testing.T) {
	var zone strings.Builder
	for i := range 30 {
		fmt.Fprintf(&zone, "big.example. TXT \"%03d%s\"\n", i, strings.Repeat("x", 197))
	}
	s := New(t, zone.String())

	t.Run("udp without EDNS0", func(t *testing.T) {
		r := ask(t, s, "udp", "big.example.", dns.TypeTXT)
		if !r.Truncated || len(r.Answer) >= 30 {
			t.Errorf("got TC %v with %d answers; want TC and fewer than 30", r.Truncated, len(r.Answer))
		}
	})
	t.Run("udp with EDNS0 1232", func(t *testing.T) {
		m := new(dns.Msg)
		m.SetQuestion("big.example.", dns.TypeTXT)
		m.SetEdns0(1232, false)
		r, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(m, s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		if !r.Truncated || r.Len() > 1232 {
			t.Errorf("got TC %v, %d bytes; want TC and at most 1232", r.Truncated, r.Len())
		}
		if opt := r.IsEdns0(); opt == nil || opt.UDPSize() != 1232 {
			t.Errorf("got OPT %v; want one echoing 1232", opt)
		}
	})
	t.Run("tcp", func(t *testing.T) {
		r := ask(t, s, "tcp", "big.example.", dns.TypeTXT)
		if r.Truncated || len(r.Answer) != 30 {
			t.Errorf("got TC %v with %d answers; want no TC and 30", r.Truncated, len(r.Answer))
		}
	})
}

func TestOPTIsEchoedOnlyWhenAsked(t *testing.T) {
	s := New(t, testZone)
	if r := ask(t, s, "udp", "example.com.", dns.TypeA); r.IsEdns0() != nil {
		t.Errorf("got OPT %v; want none", r.IsEdns0())
	}
	m := new(dns.Msg)
	m.SetQuestion("example.com.", dns.TypeA)
	m.SetEdns0(4096, true)
	r, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(m, s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if opt := r.IsEdns0(); opt == nil || opt.UDPSize() != 4096 || !opt.Do() {
		t.Errorf("got OPT %v; want size 4096 with DO", opt)
	}
}

func TestMalformedQueriesGetFORMERR(t *testing.T) {
	s := New(t, testZone)
	t.Run("two questions", func(t *testing.T) {
		m := new(dns.Msg)
		m.SetQuestion("example.com.", dns.TypeA)
		m.Question = append(m.Question, dns.Question{Name: "mx1.example.com.", Qtype: dns.TypeA, Qclass: dns.ClassINET})
		r, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(m, s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		if r.Rcode != dns.RcodeFormatError {
			t.Errorf("got %s; want FORMERR", dns.RcodeToString[r.Rcode])
		}
	})
	t.Run("unparseable question", func(t *testing.T) {
		// ID 0x1234, RD, one question whose name runs past the end.
		raw := []byte{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 7, 'e', 'x'}
		c, err := net.Dial("udp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(2 * time.Second))
		if _, err := c.Write(raw); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 512)
		n, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		var r dns.Msg
		if err := r.Unpack(buf[:n]); err != nil {
			t.Fatal(err)
		}
		if r.Id != 0x1234 || r.Rcode != dns.RcodeFormatError {
			t.Errorf("got id %#x %s; want id 0x1234 FORMERR", r.Id, dns.RcodeToString[r.Rcode])
		}
	})
	t.Run("UPDATE gets NOTIMP", func(t *testing.T) {
		m := new(dns.Msg)
		m.SetUpdate("example.com.")
		r, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(m, s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		if r.Rcode != dns.RcodeNotImplemented {
			t.Errorf("got %s; want NOTIMP", dns.RcodeToString[r.Rcode])
		}
	})
	t.Run("garbage does not stop the server", func(t *testing.T) {
		before := s.Queries()
		for _, proto := range []string{"udp", "tcp"} {
			c, err := net.Dial(proto, s.Addr())
			if err != nil {
				t.Fatal(err)
			}
			c.Write([]byte{0, 5, 0xff, 0xff, 0xff, 0xff, 0xff})
			c.Write([]byte("\x00\x00\x00"))
			c.Close()
		}
		if r := ask(t, s, "udp", "example.com.", dns.TypeA); len(r.Answer) != 1 {
			t.Errorf("got %d answers; want 1", len(r.Answer))
		}
		if got := s.Queries() - before; got < 2 {
			t.Errorf("got %d more queries counted; want the garbage counted too", got)
		}
	})
}

func TestHooks(t *testing.T) {
	s := New(t, testZone)
	tests := []struct {
		about string
		hook  Hook
		proto string
		rcode int
		nans  int
		tc    bool
	}{
		{"no hook answers", nil, "udp", dns.RcodeSuccess, 1, false},
		{"SERVFAIL", RcodeFor(dns.RcodeServerFailure, "EXAMPLE.com"), "udp", dns.RcodeServerFailure, 0, false},
		{"REFUSED", RcodeFor(dns.RcodeRefused, "example.com."), "tcp", dns.RcodeRefused, 0, false},
		{"rcode for other names only", RcodeFor(dns.RcodeRefused, "other.example."), "udp", dns.RcodeSuccess, 1, false},
		{"drop of other names answers", DropNames("other.example."), "udp", dns.RcodeSuccess, 1, false},
		{"truncate on UDP", func(Query) Action { return Action{Truncate: true} }, "udp", dns.RcodeSuccess, 0, true},
		{"truncate ignored on TCP", func(Query) Action { return Action{Truncate: true} }, "tcp", dns.RcodeSuccess, 1, false},
		{"delay still answers", func(Query) Action { return Action{Delay: 20 * time.Millisecond} }, "udp", dns.RcodeSuccess, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.about, func(t *testing.T) {
			s.SetHook(tt.hook)
			r := ask(t, s, tt.proto, "example.com.", dns.TypeA)
			if r.Rcode != tt.rcode || len(r.Answer) != tt.nans || r.Truncated != tt.tc {
				t.Errorf("got %s, %d answers, TC %v; want %s, %d answers, TC %v",
					dns.RcodeToString[r.Rcode], len(r.Answer), r.Truncated,
					dns.RcodeToString[tt.rcode], tt.nans, tt.tc)
			}
		})
	}
}

func TestDropMakesTheClientTimeOut(t *testing.T) {
	s := New(t, testZone)
	s.SetHook(DropNames("example.com."))
	for _, proto := range []string{"udp", "tcp"} {
		_, err := exchange(s, proto, "example.com.", dns.TypeA, 200*time.Millisecond)
		if !isTimeout(err) {
			t.Errorf("%s: got %v; want a timeout", proto, err)
		}
	}
	if got := s.Queries(); got != 2 {
		t.Errorf("got Queries() %d; want 2 (dropped queries count)", got)
	}
}

func TestDelayDoesNotBlockOtherQueries(t *testing.T) {
	s := New(t, testZone)
	s.SetHook(func(q Query) Action {
		if q.Name == "example.com." {
			return Action{Delay: time.Hour}
		}
		return Action{}
	})
	slow := make(chan error, 1)
	go func() {
		_, err := exchange(s, "udp", "example.com.", dns.TypeA, 500*time.Millisecond)
		slow <- err
	}()
	for deadline := time.Now().Add(5 * time.Second); s.Queries() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("slow query never arrived")
		}
	}
	if r := ask(t, s, "udp", "mx1.example.com.", dns.TypeA); len(r.Answer) != 1 {
		t.Errorf("got %d answers while another query waits; want 1", len(r.Answer))
	}
	if err := <-slow; !isTimeout(err) {
		t.Errorf("got %v for the delayed query; want a timeout", err)
	}
	s.Close() // must not wait for the hour-long delay
}

func TestMutateWrongID(t *testing.T) {
	s := New(t, testZone)
	s.SetHook(func(Query) Action { return Action{Mutate: func(m *dns.Msg) { m.Id++ }} })
	if _, err := exchange(s, "udp", "example.com.", dns.TypeA, 200*time.Millisecond); !isTimeout(err) {
		t.Errorf("udp: got %v; want a timeout (the client ignores a wrong ID)", err)
	}
	if _, err := exchange(s, "tcp", "example.com.", dns.TypeA, 2*time.Second); !errors.Is(err, dns.ErrId) {
		t.Errorf("tcp: got %v; want %v", err, dns.ErrId)
	}
}

func TestMutateDoesNotChangeServedData(t *testing.T) {
	s := New(t, testZone)
	s.SetHook(func(Query) Action {
		return Action{Mutate: func(m *dns.Msg) {
			m.Question[0].Name = "evil.example."
			m.Answer[0].(*dns.A).A = net.IPv4(203, 0, 113, 66)
		}}
	})
	r := ask(t, s, "udp", "example.com.", dns.TypeA)
	if got := r.Question[0].Name; got != "evil.example." {
		t.Errorf("got question %s; want evil.example.", got)
	}
	s.SetHook(nil)
	if got := rdata(ask(t, s, "udp", "example.com.", dns.TypeA).Answer); !reflect.DeepEqual(got, []string{"192.0.2.1"}) {
		t.Errorf("got %q after mutating a reply; want [192.0.2.1]", got)
	}
}

func TestRawBytesReplaceTheReply(t *testing.T) {
	s := New(t, testZone)
	s.SetHook(func(Query) Action { return Action{Raw: []byte{0xde, 0xad, 0xbe, 0xef}} })
	for _, proto := range []string{"udp", "tcp"} {
		_, err := exchange(s, proto, "example.com.", dns.TypeA, 2*time.Second)
		if err == nil || isTimeout(err) {
			t.Errorf("%s: got %v; want an unpack error", proto, err)
		}
	}
}

func TestAddWhileServing(t *testing.T) {
	s := New(t, testZone)
	if r := ask(t, s, "udp", "new.sub.example.com.", dns.TypeA); r.Rcode != dns.RcodeNameError {
		t.Fatalf("got %s before Add; want NXDOMAIN", dns.RcodeToString[r.Rcode])
	}
	rr, err := dns.NewRR("new.sub.example.com. 60 IN A 192.0.2.99")
	if err != nil {
		t.Fatal(err)
	}
	s.Add(rr)
	if got := rdata(ask(t, s, "udp", "new.sub.example.com.", dns.TypeA).Answer); !reflect.DeepEqual(got, []string{"192.0.2.99"}) {
		t.Errorf("got %q; want [192.0.2.99]", got)
	}
	if r := ask(t, s, "udp", "sub.example.com.", dns.TypeA); r.Rcode != dns.RcodeSuccess {
		t.Errorf("got %s for the new empty non-terminal; want NOERROR", dns.RcodeToString[r.Rcode])
	}
}

func TestHookSeesLowerCaseNameAndArrivalOrder(t *testing.T) {
	s := New(t, testZone)
	var mu sync.Mutex
	var got []Query
	s.SetHook(func(q Query) Action {
		mu.Lock()
		got = append(got, q)
		mu.Unlock()
		return Action{}
	})
	ask(t, s, "udp", "MX1.Example.Com.", dns.TypeA)
	ask(t, s, "tcp", "example.com.", dns.TypeMX)
	want := []Query{
		{Name: "mx1.example.com.", Type: dns.TypeA, Proto: "udp", Seq: 1},
		{Name: "example.com.", Type: dns.TypeMX, Proto: "tcp", Seq: 2},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v; want %+v", got, want)
	}
	if s.Queries() != 2 {
		t.Errorf("got Queries() %d; want 2", s.Queries())
	}
}

func TestConcurrentQueries(t *testing.T) {
	var zone strings.Builder
	const names = 200
	for i := range names {
		fmt.Fprintf(&zone, "d%d.example. A 192.0.2.%d\n", i, i)
	}
	s := New(t, zone.String())
	const workers, each = 32, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each+1)
	wg.Go(func() { // writers race the readers
		for i := range 50 {
			rr, _ := dns.NewRR(fmt.Sprintf("added%d.example. A 198.51.100.1", i))
			s.Add(rr)
			s.SetHook(func(Query) Action { return Action{} })
		}
	})
	for w := range workers {
		wg.Go(func() {
			proto := []string{"udp", "tcp"}[w%2]
			for i := range each {
				n := (w*each + i) % names
				r, err := exchange(s, proto, fmt.Sprintf("d%d.example.", n), dns.TypeA, 5*time.Second)
				if err != nil {
					errs <- err
					continue
				}
				want := fmt.Sprintf("192.0.2.%d", n)
				if got := rdata(r.Answer); len(got) != 1 || got[0] != want {
					errs <- fmt.Errorf("d%d: got %q; want [%s]", n, got, want)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := s.Queries(); got != workers*each {
		t.Errorf("got Queries() %d; want %d", got, workers*each)
	}
}

func TestLossy(t *testing.T) {
	type outcome struct {
		drop  bool
		delay time.Duration
	}
	// run asks hook for the attempts of 500 names, in the given name order,
	// and records the outcome of each (name, attempt).
	run := func(hook Hook, reverse bool) map[string]outcome {
		out := make(map[string]outcome)
		idx := make([]int, 500)
		for i := range idx {
			idx[i] = i
		}
		if reverse {
			slices.Reverse(idx)
		}
		for attempt := range 4 {
			for _, i := range idx {
				a := hook(Query{Name: fmt.Sprintf("d%d.example.", i), Type: dns.TypeMX, Proto: "udp"})
				out[fmt.Sprint(i, "/", attempt)] = outcome{a.Drop, a.Delay}
			}
		}
		return out
	}
	const maxDelay = 10 * time.Millisecond
	a := run(Lossy(0.3, maxDelay, 42), false)

	t.Run("same seed, same losses whatever the order", func(t *testing.T) {
		if b := run(Lossy(0.3, maxDelay, 42), true); !reflect.DeepEqual(a, b) {
			t.Error("got different outcomes for the same seed; want the same")
		}
	})
	t.Run("other seed, other losses", func(t *testing.T) {
		if b := run(Lossy(0.3, maxDelay, 43), false); reflect.DeepEqual(a, b) {
			t.Error("got identical outcomes for seeds 42 and 43; want different")
		}
	})
	t.Run("drop rate and delay bounds", func(t *testing.T) {
		drops := 0
		for k, o := range a {
			if o.drop {
				drops++
			} else if o.delay < 0 || o.delay > maxDelay {
				t.Errorf("%s: got delay %v; want within [0, %v]", k, o.delay, maxDelay)
			}
		}
		if rate := float64(drops) / float64(len(a)); rate < 0.25 || rate > 0.35 {
			t.Errorf("got drop rate %.3f; want about 0.3", rate)
		}
	})
	t.Run("tcp is never dropped", func(t *testing.T) {
		h := Lossy(1, 0, 1)
		if got := h(Query{Name: "x.", Type: dns.TypeA, Proto: "tcp"}); got.Drop {
			t.Error("got a dropped TCP query; want none")
		}
		if got := h(Query{Name: "x.", Type: dns.TypeA, Proto: "udp"}); !got.Drop {
			t.Error("got an answered UDP query at drop rate 1; want dropped")
		}
	})
}

func TestLossyServesALossyScanWithRetries(t *testing.T) {
	var zone strings.Builder
	for i := range 100 {
		fmt.Fprintf(&zone, "d%d.example. TXT \"v=spf1 -all\"\n", i)
	}
	s := New(t, zone.String())
	s.SetHook(Lossy(0.3, 5*time.Millisecond, 7))
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			var err error
			for range 20 { // 0.3^20: never all lost
				if _, err = exchange(s, "udp", fmt.Sprintf("d%d.example.", i), dns.TypeTXT, 500*time.Millisecond); err == nil {
					return
				}
			}
			t.Errorf("d%d: got %v after 20 tries; want an answer", i, err)
		})
	}
	wg.Wait()
	if s.Queries() <= 100 {
		t.Errorf("got %d queries for 100 names; want retries after losses", s.Queries())
	}
}

// fatalTB records Fatalf and stops the goroutine, as testing.T does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper()        {}
func (f *fatalTB) Cleanup(func()) {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestZoneSyntaxErrorFailsNamingTheLine(t *testing.T) {
	tb := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		New(tb, "ok.example. A 192.0.2.1\nbad.example. A not-an-address\n")
	}()
	<-done
	if !strings.Contains(tb.msg, "line: 2") {
		t.Errorf("got %q; want a Fatalf naming line 2", tb.msg)
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	s := New(t, testZone)
	s.Close()
	s.Close()
	if _, err := exchange(s, "tcp", "example.com.", dns.TypeA, 200*time.Millisecond); err == nil {
		t.Error("got an answer after Close; want an error")
	}
}

// recorder is a dns.ResponseWriter that keeps what the handler writes.
type recorder struct {
	tcp bool
	msg *dns.Msg
}

func (r *recorder) LocalAddr() net.Addr { return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53} }
func (r *recorder) RemoteAddr() net.Addr {
	if r.tcp {
		return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5353}
	}
	return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5353}
}
func (r *recorder) WriteMsg(m *dns.Msg) error   { r.msg = m; return nil }
func (r *recorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *recorder) Close() error                { return nil }
func (r *recorder) TsigStatus() error           { return nil }
func (r *recorder) TsigTimersOnly(bool)         {}
func (r *recorder) Hijack()                     {}

// FuzzServeDNS feeds arbitrary queries to the handler: it must never panic,
// and every reply it writes must pack.
func FuzzServeDNS(f *testing.F) {
	s := New(f, testZone)
	for _, q := range []struct {
		name  string
		qtype uint16
	}{
		{"www.example.com.", dns.TypeA}, {"x.wild.example.com.", dns.TypeTXT},
		{"loop1.example.com.", dns.TypeA}, {"*.example.com.", dns.TypeANY}, {".", dns.TypeNS},
	} {
		m := new(dns.Msg)
		m.SetQuestion(q.name, q.qtype)
		m.SetEdns0(600, true)
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
	}
	f.Fuzz(func(t *testing.T, b []byte, tcp bool) {
		var req dns.Msg
		if req.Unpack(b) != nil {
			return
		}
		w := &recorder{tcp: tcp}
		s.ServeDNS(w, &req)
		if w.msg == nil {
			t.Fatal("got no reply; want one")
		}
		if _, err := w.msg.Pack(); err != nil {
			t.Errorf("got %v packing the reply; want none", err)
		}
	})
}

func TestValidatingReportsVerdicts(t *testing.T) {
	s := New(t, testZone+"\nsigned.example.org. A 192.0.2.50\nbad.example.org. A 192.0.2.51\nisland.signed.example.org. A 192.0.2.52\n")
	s.SetHook(Validating(map[string]Verdict{
		"example.org":               Secure,
		"island.signed.example.org": Insecure,
		"bad.example.org.":          Bogus,
	}))
	tests := []struct {
		name       string
		ad, cd, do bool
		rcode      int
		wantAD     bool
	}{
		{"signed.example.org.", true, false, false, dns.RcodeSuccess, true},
		{"signed.example.org.", false, false, true, dns.RcodeSuccess, true},
		{"signed.example.org.", false, false, false, dns.RcodeSuccess, false}, // RFC 6840 §5.7: not asked
		{"gone.example.org.", true, false, false, dns.RcodeNameError, true},   // a validated denial
		{"island.signed.example.org.", true, false, false, dns.RcodeSuccess, false},
		{"example.com.", true, false, false, dns.RcodeSuccess, false},
		{"bad.example.org.", true, false, false, dns.RcodeServerFailure, false},
		{"bad.example.org.", true, true, false, dns.RcodeSuccess, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s ad=%v cd=%v do=%v", tt.name, tt.ad, tt.cd, tt.do), func(t *testing.T) {
			m := new(dns.Msg)
			m.SetQuestion(tt.name, dns.TypeA)
			m.AuthenticatedData, m.CheckingDisabled = tt.ad, tt.cd
			m.SetEdns0(1232, tt.do)
			r, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(m, s.Addr())
			if err != nil {
				t.Fatal(err)
			}
			if r.Rcode != tt.rcode || r.AuthenticatedData != tt.wantAD {
				t.Errorf("got %s ad=%v; want %s ad=%v", dns.RcodeToString[r.Rcode], r.AuthenticatedData, dns.RcodeToString[tt.rcode], tt.wantAD)
			}
		})
	}
}
