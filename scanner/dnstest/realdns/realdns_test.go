//go:build integration

package realdns

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// zone text for the tests below: one served zone with every answer shape
// the suite needs, and a second zone so nsd serves more than one.
func testZones() map[string]string {
	var big strings.Builder
	big.WriteString("$TTL 300\n@ SOA ns.example.test. h.example.test. 1 3600 600 86400 300\n@ NS ns\nns A 127.0.0.1\n")
	big.WriteString("host A 192.0.2.1\nhost MX 10 mail\nmail A 192.0.2.2\ntxtonly TXT \"v=spf1 -all\"\n")
	big.WriteString("away CNAME www.example.com.\n")
	for i := range 25 {
		fmt.Fprintf(&big, "many MX %d mx%02d-%s.example.test.\n", i, i, strings.Repeat("x", 50))
	}
	for i := range 30 {
		fmt.Fprintf(&big, "bigtxt TXT \"%02d%s\"\n", i, strings.Repeat("t", 198))
	}
	return map[string]string{
		"example.test": big.String(),
		"other.test.":  "$TTL 300\n@ SOA ns.other.test. h.other.test. 1 3600 600 86400 300\n@ NS ns\nns A 127.0.0.1\nwww A 192.0.2.9\n",
	}
}

// stack starts nsd with testZones and unbound stubbing both zones to it,
// plus broken.test, which nsd does not serve.
func stack(t *testing.T) (*NSD, *Unbound) {
	t.Helper()
	n := StartNSD(t, testZones())
	u := StartUnbound(t, map[string]string{
		"example.test": n.Stub(),
		"other.test":   n.Stub(),
		"broken.test":  n.Stub(),
	})
	return n, u
}

func exchange(t *testing.T, addr, name string, qtype uint16, net string, udpSize uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	if udpSize > 0 {
		m.SetEdns0(udpSize, false)
	}
	c := &dns.Client{Net: net, Timeout: 5 * time.Second}
	r, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("%s %s over %s: %v", name, dns.TypeToString[qtype], net, err)
	}
	return r
}

func TestIntegrationUnboundAnswersThroughStubs(t *testing.T) {
	_, u := stack(t)
	tests := []struct {
		name    string
		qname   string
		qtype   uint16
		net     string
		rcode   int
		answers int
		tc      bool
	}{
		{"an existing name answers", "host.example.test", dns.TypeA, "udp", dns.RcodeSuccess, 1, false},
		{"the second zone answers", "www.other.test", dns.TypeA, "udp", dns.RcodeSuccess, 1, false},
		{"a missing name is NXDOMAIN", "nope.example.test", dns.TypeMX, "udp", dns.RcodeNameError, 0, false},
		{"a name without the type is NODATA", "txtonly.example.test", dns.TypeMX, "udp", dns.RcodeSuccess, 0, false},
		{"a zone nsd refuses is SERVFAIL", "www.broken.test", dns.TypeA, "udp", dns.RcodeServerFailure, 0, false},
		{"a name outside the stubs is refused at once", "example.com", dns.TypeA, "udp", dns.RcodeRefused, 0, false},
		{"the root is refused too", ".", dns.TypeNS, "udp", dns.RcodeRefused, 0, false},
		{"a CNAME out of the stubs ends at the loopback root stub", "away.example.test", dns.TypeA, "udp", dns.RcodeServerFailure, -1, false},
		{"25 MX records are truncated over UDP", "many.example.test", dns.TypeMX, "udp", dns.RcodeSuccess, -1, true},
		{"25 MX records come whole over TCP", "many.example.test", dns.TypeMX, "tcp", dns.RcodeSuccess, 25, false},
		{"30 TXT records of 200 bytes are truncated over UDP", "bigtxt.example.test", dns.TypeTXT, "udp", dns.RcodeSuccess, -1, true},
		{"30 TXT records of 200 bytes come whole over TCP", "bigtxt.example.test", dns.TypeTXT, "tcp", dns.RcodeSuccess, 30, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := exchange(t, u.Addr, tt.qname, tt.qtype, tt.net, 1232)
			if r.Rcode != tt.rcode {
				t.Errorf("rcode: got %s; want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.rcode])
			}
			if tt.answers >= 0 && len(r.Answer) != tt.answers {
				t.Errorf("answers: got %d; want %d", len(r.Answer), tt.answers)
			}
			if r.Truncated != tt.tc {
				t.Errorf("TC: got %v; want %v", r.Truncated, tt.tc)
			}
		})
	}
	if t.Failed() {
		t.Logf("unbound log:\n%s", u.Log())
	}
}

func TestIntegrationNSDIsAuthoritativeOnlyForItsZones(t *testing.T) {
	n := StartNSD(t, testZones())
	if got, want := strings.Join(n.Zones, " "), "example.test. other.test."; got != want {
		t.Errorf("zones: got %q; want %q", got, want)
	}
	r := exchange(t, n.Addr, "host.example.test", dns.TypeA, "udp", 0)
	if !r.Authoritative || len(r.Answer) != 1 {
		t.Errorf("host.example.test: got aa=%v, %d answers; want aa=true, 1 answer", r.Authoritative, len(r.Answer))
	}
	r = exchange(t, n.Addr, "www.broken.test", dns.TypeA, "udp", 0)
	if r.Rcode != dns.RcodeRefused {
		t.Errorf("a zone it does not serve: got %s; want REFUSED", dns.RcodeToString[r.Rcode])
	}
}

func TestIntegrationStopEndsTheDaemons(t *testing.T) {
	n, u := stack(t)
	daemons := []*daemon{n.d, u.d}
	if _, ok := lookup("knotd"); ok || Required() { // in CI a missing knotd fails
		daemons = append(daemons, StartKnot(t, signedZones()).d)
	}
	for _, d := range daemons {
		pid := d.cmd.Process.Pid
		d.stop()
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("%s pid %d after stop: got %v; want ESRCH", d.name, pid, err)
		}
		// Killed helpers (nsd forks two) linger briefly until init reaps them.
		var err error
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if err = syscall.Kill(-pid, 0); errors.Is(err, syscall.ESRCH) {
				break
			}
		}
		if !errors.Is(err, syscall.ESRCH) {
			t.Errorf("%s process group %d after stop: got %v; want ESRCH (helpers left behind)", d.name, pid, err)
		}
		d.stop() // idempotent
	}
}

func TestIntegrationLossyProxy(t *testing.T) {
	_, u := stack(t)
	const queries = 400
	p := StartLossyProxy(t, u.Addr, 0.3, 20*time.Millisecond, 1)

	var answered, timedOut int
	var mu sync.Mutex
	var wg sync.WaitGroup
	work := make(chan int)
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &dns.Client{Timeout: time.Second}
			for range work {
				m := new(dns.Msg)
				m.SetQuestion("host.example.test.", dns.TypeA)
				r, _, err := c.Exchange(m, p.Addr)
				mu.Lock()
				switch {
				case err == nil && r.Rcode == dns.RcodeSuccess:
					answered++
				case isTimeout(err):
					timedOut++
				default:
					t.Errorf("through the proxy: %v", err)
				}
				mu.Unlock()
			}
		}()
	}
	for i := range queries {
		work <- i
	}
	close(work)
	wg.Wait()

	dropped, forwarded := p.Dropped.Load(), p.Forwarded.Load()
	t.Logf("%d queries: %d forwarded, %d dropped", queries, forwarded, dropped)
	if dropped+forwarded != queries {
		t.Errorf("dropped+forwarded: got %d; want %d", dropped+forwarded, queries)
	}
	if int64(answered) != forwarded || int64(timedOut) != dropped {
		t.Errorf("answered, timed out: got %d, %d; want %d, %d (every forwarded query answered)", answered, timedOut, forwarded, dropped)
	}
	if share := float64(dropped) / queries; share < 0.2 || share > 0.4 {
		t.Errorf("drop share: got %.2f; want about 0.30", share)
	}

	t.Run("TCP is relayed without loss", func(t *testing.T) {
		for range 20 {
			r := exchange(t, p.Addr, "many.example.test", dns.TypeMX, "tcp", 0)
			if len(r.Answer) != 25 {
				t.Fatalf("answers: got %d; want 25", len(r.Answer))
			}
		}
		if got := p.TCPConns.Load(); got != 20 {
			t.Errorf("TCP connections: got %d; want 20", got)
		}
	})

	t.Run("Close is idempotent and ends the relay", func(t *testing.T) {
		p.Close()
		p.Close()
		c := &dns.Client{Timeout: 200 * time.Millisecond}
		m := new(dns.Msg)
		m.SetQuestion("host.example.test.", dns.TypeA)
		if _, _, err := c.Exchange(m, p.Addr); err == nil {
			t.Errorf("a query after Close was answered")
		}
	})
}

func TestIntegrationBlackHoleNeverAnswers(t *testing.T) {
	addr := BlackHole(t)
	for _, proto := range []string{"udp", "tcp"} {
		t.Run(proto, func(t *testing.T) {
			m := new(dns.Msg)
			m.SetQuestion("example.test.", dns.TypeA)
			c := &dns.Client{Net: proto, Timeout: 300 * time.Millisecond}
			_, _, err := c.Exchange(m, addr)
			if !isTimeout(err) {
				t.Errorf("got %v; want a timeout", err)
			}
		})
	}
}

func TestIntegrationFreePortIsFreeForUDPAndTCP(t *testing.T) {
	port := FreePort(t)
	pc, err := net.ListenPacket("udp4", hostPort(port))
	if err != nil {
		t.Fatalf("UDP: %v", err)
	}
	defer pc.Close()
	l, err := net.Listen("tcp4", hostPort(port))
	if err != nil {
		t.Fatalf("TCP: %v", err)
	}
	l.Close()
}

func TestIntegrationCheckZoneAcceptsTheZones(t *testing.T) {
	dir := t.TempDir()
	for name, text := range testZones() {
		file := dir + "/" + zoneFile(dns.Fqdn(name))
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		CheckZone(t, name, file)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// signedZones is a small signed hierarchy: a test root, test. under it, and
// below test. a secure zone, a signed zone without DS (an island, insecure),
// an unsigned zone, and a zone whose DS matches no key (bogus).
func signedZones() []KnotZone {
	soa := func(zone string) string {
		return "$TTL 300\n@ SOA ns." + zone + " h." + zone + " 1 3600 600 86400 300\n@ NS ns." + zone + "\nns." + zone + " A 127.0.0.1\n"
	}
	child := func(name string) string {
		return soa(name+".test.") + "@ MX 10 mx\nmx A 192.0.2.1\n_25._tcp.mx TLSA 3 1 1 " + strings.Repeat("ab", 32) + "\n"
	}
	test := soa("test.")
	for _, c := range []string{"secure", "island", "plain", "bogus"} {
		test += c + " NS ns." + c + "\nns." + c + " A 127.0.0.1\n"
	}
	return []KnotZone{
		{Name: ".", Text: "$TTL 300\n. SOA ns.test. h.test. 1 3600 600 86400 300\n. NS ns.test.\ntest. NS ns.test.\nns.test. A 127.0.0.1\n", Signed: true},
		{Name: "test", Text: test, Signed: true},
		{Name: "secure.test", Text: child("secure"), Signed: true},
		{Name: "island.test", Text: child("island"), Signed: true, DS: DSNone},
		{Name: "plain.test", Text: child("plain")},
		{Name: "bogus.test", Text: child("bogus"), Signed: true, DS: DSBroken},
	}
}

// validatingStack starts knot with signedZones and a validating unbound
// trusting the test root, stubbed to knot for every zone (the delegations'
// name servers are on port 53, where nothing listens).
func validatingStack(t *testing.T) (*Knot, *Unbound) {
	t.Helper()
	k := StartKnot(t, signedZones())
	stubs := map[string]string{}
	for _, z := range k.Zones {
		stubs[z] = k.Stub()
	}
	u := StartUnbound(t, stubs, WithTrustAnchor(k.TrustAnchor(".")...))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("knot:\n%s\nunbound:\n%s", k.Log(), u.Log())
		}
	})
	return k, u
}

func TestIntegrationKnotSignsAndUnboundValidates(t *testing.T) {
	k, u := validatingStack(t)
	if got := len(k.TrustAnchor(".")); got != 1 {
		t.Fatalf("trust anchor: %d DS records; want 1", got)
	}
	if k.TrustAnchor("plain.test") != nil {
		t.Errorf("an unsigned zone has a trust anchor")
	}
	tests := []struct {
		name  string
		qtype uint16
		cd    bool
		rcode int
		ad    bool
	}{
		{".", dns.TypeDNSKEY, false, dns.RcodeSuccess, true},
		{"secure.test", dns.TypeMX, false, dns.RcodeSuccess, true},
		{"_25._tcp.mx.secure.test", dns.TypeTLSA, false, dns.RcodeSuccess, true},
		{"nothing.secure.test", dns.TypeTLSA, false, dns.RcodeNameError, true}, // a validated denial
		{"island.test", dns.TypeMX, false, dns.RcodeSuccess, false},
		{"plain.test", dns.TypeMX, false, dns.RcodeSuccess, false},
		{"bogus.test", dns.TypeMX, false, dns.RcodeServerFailure, false},
		{"bogus.test", dns.TypeMX, true, dns.RcodeSuccess, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s cd=%v", tt.name, dns.TypeToString[tt.qtype], tt.cd), func(t *testing.T) {
			m := new(dns.Msg)
			m.SetQuestion(dns.Fqdn(tt.name), tt.qtype)
			m.AuthenticatedData, m.CheckingDisabled = true, tt.cd
			r, _, err := (&dns.Client{Timeout: 5 * time.Second}).Exchange(m, u.Addr)
			if err != nil {
				t.Fatal(err)
			}
			if r.Rcode != tt.rcode || r.AuthenticatedData != tt.ad {
				t.Errorf("got %s ad=%v; want %s ad=%v", dns.RcodeToString[r.Rcode], r.AuthenticatedData, dns.RcodeToString[tt.rcode], tt.ad)
			}
		})
	}
}
