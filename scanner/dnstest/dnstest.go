// Package dnstest runs an in-process authoritative DNS server for tests, so
// that resolver, SPF and scanner tests exercise real DNS messages over real
// sockets without touching the internet.
//
// A Server answers from RFC 1035 zone text (or records built in code) on
// 127.0.0.1, UDP and TCP on the same port, the way an authoritative server
// such as NSD would: AA set, CNAME chains followed inside the served data,
// RFC 4592 wildcards, NXDOMAIN distinguished from NODATA (empty
// non-terminals included), the SOA of the enclosing zone in the authority
// section of negative answers, and UDP replies truncated (TC=1) to the
// client's EDNS0 buffer size or 512 bytes. There are no delegations: every
// name in the data is answered authoritatively.
//
// A Hook sees every well-formed query and may drop, delay, truncate, fail,
// mangle or replace the answer. Delays run per query: a slow answer never
// holds up the others (except later queries pipelined on the same TCP
// connection, which are answered in order). The server never panics on
// malformed input; queries without exactly one question get FORMERR.
package dnstest

import (
	"hash/fnv"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// maxCNAMEHops caps how many CNAME records one answer follows, so a loop in
// the data ends.
const maxCNAMEHops = 8

// defaultTTL applies to zone-text records that state no TTL and follow no $TTL.
const defaultTTL = 300

// Query describes one query as the hook sees it.
type Query struct {
	Name  string // lower-case FQDN from the question
	Type  uint16 // question type (dns.TypeA, ...)
	Proto string // "udp" or "tcp"
	Seq   int64  // 1-based arrival number, counted across both transports
	AD    bool   // the query set AD: it asks to hear whether the answer validated (RFC 6840 §5.7)
	CD    bool   // the query set CD: checking disabled (RFC 4035 §3.2.2)
	DO    bool   // the query's EDNS0 DO bit: it accepts DNSSEC records
}

// Hook decides what happens to a query. It is called concurrently.
type Hook func(Query) Action

// Action is what a Hook wants done with one query. The zero Action answers normally.
type Action struct {
	Drop     bool           // send nothing (the client will time out)
	Hangup   bool           // on TCP: close the connection without a reply (the client reads EOF); on UDP, as Drop
	Delay    time.Duration  // wait before answering (per query; does not block other queries)
	Truncate bool           // on UDP: reply with TC=1 and an empty answer section
	Rcode    int            // when non-zero: reply with this rcode and no records
	Mutate   func(*dns.Msg) // applied to the reply just before it is sent
	Raw      []byte         // when non-nil: send these bytes instead of a reply
}

// Server is a running test DNS server. Its methods are safe for concurrent use.
type Server struct {
	addr    string
	udp     *dns.Server
	tcp     *dns.Server
	hook    atomic.Pointer[Hook]
	queries atomic.Int64
	done    chan struct{} // closed by Close, ends pending delays
	once    sync.Once

	mu      sync.RWMutex
	names   map[string][]dns.RR // lower-cased owner name -> records
	parents map[string]bool     // every proper ancestor of an owner name
	soas    map[string]*dns.SOA // lower-cased zone apex -> its SOA
}

// New starts a server answering from zone, RFC 1035 master-file text parsed
// with dns.NewZoneParser (origin "." unless the text sets $ORIGIN; default
// TTL 300 when absent), and stops it in tb.Cleanup. It fails the test
// (tb.Fatalf) on a zone syntax error, naming the line.
func New(tb testing.TB, zone string) *Server {
	tb.Helper()
	zp := dns.NewZoneParser(strings.NewReader(zone), ".", "")
	zp.SetDefaultTTL(defaultTTL)
	var rrs []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
	}
	if err := zp.Err(); err != nil {
		tb.Fatalf("dnstest: zone syntax error: %v", err)
		return nil
	}
	return NewRecords(tb, rrs)
}

// NewRecords is New for records built in code.
func NewRecords(tb testing.TB, rrs []dns.RR) *Server {
	tb.Helper()
	s := &Server{
		done:    make(chan struct{}),
		names:   make(map[string][]dns.RR),
		parents: make(map[string]bool),
		soas:    make(map[string]*dns.SOA),
	}
	s.Add(rrs...)
	if err := s.start(); err != nil {
		tb.Fatalf("dnstest: %v", err)
		return nil
	}
	tb.Cleanup(s.Close)
	return s
}

// start binds UDP on a free port, then TCP on that same port (trying again
// with a new port when TCP's is taken), and waits until both serve.
func (s *Server) start() error {
	var err error
	for range 20 {
		var pc net.PacketConn
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			return err
		}
		var l net.Listener
		if l, err = net.Listen("tcp", pc.LocalAddr().String()); err != nil {
			pc.Close()
			continue
		}
		s.addr = pc.LocalAddr().String()
		s.udp = &dns.Server{PacketConn: pc, UDPSize: dns.MaxMsgSize}
		s.tcp = &dns.Server{Listener: l}
		// Each server reports once when started and once when it stops
		// (nil after Shutdown); the first report says whether it runs.
		var ready []chan error
		for _, srv := range []*dns.Server{s.udp, s.tcp} {
			c := make(chan error, 2)
			ready = append(ready, c)
			srv.Handler = s
			srv.MsgAcceptFunc = s.accept
			srv.MsgInvalidFunc = func([]byte, error) { s.queries.Add(1) }
			srv.NotifyStartedFunc = func() { c <- nil }
			go func() { c <- srv.ActivateAndServe() }()
		}
		for _, c := range ready {
			if e := <-c; e != nil && err == nil {
				err = e
			}
		}
		if err != nil {
			s.Close()
		}
		return err
	}
	return err
}

// accept lets every query through, whatever its section counts, so the
// handler counts it and answers FORMERR itself; responses are ignored and
// opcodes other than QUERY get NOTIMP, both counted here.
func (s *Server) accept(dh dns.Header) dns.MsgAcceptAction {
	action := dns.MsgAccept
	switch {
	case dh.Bits&(1<<15) != 0: // QR: a response, not a query
		action = dns.MsgIgnore
	case int(dh.Bits>>11)&0xF != dns.OpcodeQuery:
		action = dns.MsgRejectNotImplemented
	}
	if action != dns.MsgAccept {
		s.queries.Add(1)
	}
	return action
}

// Addr returns "127.0.0.1:PORT", the same port for UDP and TCP.
func (s *Server) Addr() string { return s.addr }

// SetHook replaces the hook; nil removes it. Safe while serving.
func (s *Server) SetHook(h Hook) {
	if h == nil {
		s.hook.Store(nil)
		return
	}
	s.hook.Store(&h)
}

// Queries returns how many messages arrived on both transports, including
// dropped, malformed and rejected ones.
func (s *Server) Queries() int64 { return s.queries.Load() }

// Close stops the server, ending pending delays first. It is idempotent
// and also run by the test's Cleanup.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.done)
		for _, srv := range []*dns.Server{s.udp, s.tcp} {
			if srv != nil {
				srv.Shutdown() // an error only means it never started
			}
		}
	})
}

// Add adds records while serving. The index is updated in place, so a lookup
// costs the same for 20 names or 20,000.
func (s *Server) Add(rrs ...dns.RR) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rr := range rrs {
		if rr == nil || rr.Header() == nil {
			continue
		}
		name := dns.CanonicalName(rr.Header().Name)
		s.names[name] = append(s.names[name], rr)
		if soa, ok := rr.(*dns.SOA); ok {
			s.soas[name] = soa
		}
		for p, ok := parent(name); ok && !s.parents[p]; p, ok = parent(p) {
			s.parents[p] = true
		}
	}
}

// parent returns the name one label up, and false for the root.
func parent(name string) (string, bool) {
	if name == "." || name == "" {
		return "", false
	}
	i, end := dns.NextLabel(name, 0)
	if end {
		return ".", true
	}
	return name[i:], true
}

// ServeDNS implements dns.Handler.
func (s *Server) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	seq := s.queries.Add(1)
	if len(req.Question) != 1 {
		m := new(dns.Msg)
		m.SetRcodeFormatError(req)
		w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	proto := "udp"
	if w.RemoteAddr() != nil && w.RemoteAddr().Network() == "tcp" {
		proto = "tcp"
	}
	var act Action
	if h := s.hook.Load(); h != nil {
		hq := Query{Name: dns.CanonicalName(q.Name), Type: q.Qtype, Proto: proto, Seq: seq, AD: req.AuthenticatedData, CD: req.CheckingDisabled}
		if opt := req.IsEdns0(); opt != nil {
			hq.DO = opt.Do()
		}
		act = (*h)(hq)
	}
	if act.Drop {
		return
	}
	if act.Hangup {
		if proto == "tcp" {
			w.Close()
		}
		return
	}
	if act.Delay > 0 {
		t := time.NewTimer(act.Delay)
		select {
		case <-t.C:
		case <-s.done:
			t.Stop()
			return
		}
	}
	if act.Raw != nil {
		w.Write(act.Raw)
		return
	}

	var m *dns.Msg
	if act.Rcode != 0 {
		m = new(dns.Msg)
		m.SetRcode(req, act.Rcode)
		m.Authoritative = true
	} else {
		m = s.answer(req, q)
	}
	if act.Truncate && proto == "udp" {
		m.Truncated = true
		m.Answer, m.Ns, m.Extra = nil, nil, nil
	}
	size := dns.MinMsgSize
	if opt := req.IsEdns0(); opt != nil {
		size = max(int(opt.UDPSize()), dns.MinMsgSize)
		m.SetEdns0(uint16(size), opt.Do())
	}
	if proto == "udp" {
		m.Truncate(size)
	} else {
		m.Compress = true
	}
	if act.Mutate != nil {
		act.Mutate(m)
	}
	w.WriteMsg(m)
}

// answer builds the authoritative reply to q from the served data.
func (s *Server) answer(req *dns.Msg, q dns.Question) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true

	s.mu.RLock()
	defer s.mu.RUnlock()
	name := q.Name
	seen := make(map[string]bool)
	for {
		key := dns.CanonicalName(name)
		rrs, exists := s.lookup(name)
		if !exists {
			m.Rcode = dns.RcodeNameError
			break
		}
		if q.Qtype != dns.TypeCNAME && len(seen) < maxCNAMEHops && !seen[key] {
			if c := firstCNAME(rrs); c != nil {
				seen[key] = true
				m.Answer = append(m.Answer, c)
				name = c.Target
				continue
			}
		}
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Qtype || q.Qtype == dns.TypeANY {
				m.Answer = append(m.Answer, rr)
			}
		}
		break
	}
	if len(m.Answer) == 0 || m.Rcode == dns.RcodeNameError {
		if soa := s.enclosingSOA(dns.CanonicalName(name)); soa != nil {
			m.Ns = append(m.Ns, soa)
		}
	}
	return m
}

// lookup returns copies of the records at name (owner rewritten to name when
// synthesised from a wildcard) and whether the name exists; an empty
// non-terminal exists with no records. The caller holds s.mu.
func (s *Server) lookup(name string) ([]dns.RR, bool) {
	key := dns.CanonicalName(name)
	if rrs, ok := s.names[key]; ok {
		return copyRRs(rrs, ""), true
	}
	if s.parents[key] {
		return nil, true
	}
	// RFC 4592: only the wildcard child of the closest encloser applies.
	for p, ok := parent(key); ok; p, ok = parent(p) {
		if len(s.names[p]) == 0 && !s.parents[p] {
			continue
		}
		wild := "*." + p
		if p == "." {
			wild = "*."
		}
		if rrs, ok := s.names[wild]; ok {
			return copyRRs(rrs, name), true
		}
		return nil, false
	}
	return nil, false
}

// enclosingSOA returns the SOA of the closest zone apex at or above name.
// The caller holds s.mu.
func (s *Server) enclosingSOA(name string) dns.RR {
	for p, ok := name, true; ok; p, ok = parent(p) {
		if soa := s.soas[p]; soa != nil {
			return dns.Copy(soa)
		}
	}
	return nil
}

func firstCNAME(rrs []dns.RR) *dns.CNAME {
	for _, rr := range rrs {
		if c, ok := rr.(*dns.CNAME); ok {
			return c
		}
	}
	return nil
}

// copyRRs copies rrs so a hook's Mutate cannot change the served data,
// renaming the owners when owner is not empty.
func copyRRs(rrs []dns.RR, owner string) []dns.RR {
	out := make([]dns.RR, len(rrs))
	for i, rr := range rrs {
		out[i] = dns.Copy(rr)
		if owner != "" {
			out[i].Header().Name = owner
		}
	}
	return out
}

// DropNames drops queries for these names (any type, any transport) and
// answers the rest.
func DropNames(names ...string) Hook {
	set := nameSet(names)
	return func(q Query) Action { return Action{Drop: set[q.Name]} }
}

// RcodeFor answers queries for these names with rcode and no records, and
// the rest normally.
func RcodeFor(rcode int, names ...string) Hook {
	set := nameSet(names)
	return func(q Query) Action {
		if set[q.Name] {
			return Action{Rcode: rcode}
		}
		return Action{}
	}
}

func nameSet(names []string) map[string]bool {
	set := make(map[string]bool, len(names))
	for _, n := range names {
		set[dns.CanonicalName(n)] = true
	}
	return set
}

// Lossy drops about dropRate of UDP queries and delays every other query by
// up to maxDelay. The choice for the n-th query of a given name, type and
// transport depends only on seed and n, never on how concurrent queries
// interleave, so a scan whose retries are driven by the drops sees the same
// losses on every run with the same seed. TCP queries are never dropped.
func Lossy(dropRate float64, maxDelay time.Duration, seed int64) Hook {
	var mu sync.Mutex
	attempts := make(map[Query]uint64) // keyed with Seq zero
	return func(q Query) Action {
		key := Query{Name: q.Name, Type: q.Type, Proto: q.Proto}
		mu.Lock()
		n := attempts[key]
		attempts[key] = n + 1
		mu.Unlock()

		h := fnv.New64a()
		h.Write([]byte(q.Name + "/" + strconv.Itoa(int(q.Type)) + "/" + q.Proto + "/" + strconv.FormatUint(n, 10)))
		r := rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
		if q.Proto == "udp" && r.Float64() < dropRate {
			return Action{Drop: true}
		}
		if maxDelay > 0 {
			return Action{Delay: time.Duration(r.Int64N(int64(maxDelay) + 1))}
		}
		return Action{}
	}
}

// Verdict is what a validating resolver concludes about a zone's data.
type Verdict int

const (
	// Secure: the data validated; answers carry AD when the query set AD or DO.
	Secure Verdict = iota + 1
	// Insecure: the zone is not signed, or not below a chain of trust; no AD.
	Insecure
	// Bogus: validation failed; SERVFAIL, unless the query set CD.
	Bogus
)

// Validating answers as a validating recursive resolver reports its
// verdicts, without signing anything, so that tests of the AD and CD bits
// need no signed zones: zones maps a zone name to its Verdict, and a name
// takes the verdict of its closest enclosing zone in the map (none:
// insecure). Secure answers, negative ones included, set AD when the query
// set AD or DO (RFC 6840 §5.7); bogus names are SERVFAIL unless the query
// set CD (RFC 4035 §3.2.2), which gets their data.
func Validating(zones map[string]Verdict) Hook {
	set := make(map[string]Verdict, len(zones))
	for z, v := range zones {
		set[dns.CanonicalName(z)] = v
	}
	return func(q Query) Action {
		v := Insecure
		for n, ok := q.Name, true; ok; n, ok = parent(n) {
			if zv, found := set[n]; found {
				v = zv
				break
			}
		}
		switch {
		case v == Bogus && !q.CD:
			return Action{Rcode: dns.RcodeServerFailure}
		case v == Secure && (q.AD || q.DO):
			return Action{Mutate: func(m *dns.Msg) { m.AuthenticatedData = true }}
		}
		return Action{}
	}
}
