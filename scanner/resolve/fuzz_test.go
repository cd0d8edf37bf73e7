package resolve

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// txtWire builds a TXT record on the wire holding the character-strings
// strs, and unpacks it the way miekg/dns does for replies.
func txtWire(t *testing.T, strs [][]byte) *dns.TXT {
	rdata := []byte{}
	for _, s := range strs {
		rdata = append(rdata, byte(len(s)))
		rdata = append(rdata, s...)
	}
	wire := []byte{0, 0, 16, 0, 1, 0, 0, 0, 0, byte(len(rdata) >> 8), byte(len(rdata))}
	wire = append(wire, rdata...)
	rr, _, err := dns.UnpackRR(wire, 0)
	if err != nil {
		t.Fatalf("UnpackRR: %v", err)
	}
	return rr.(*dns.TXT)
}

// FuzzTXTString checks that TXTString gives back exactly the bytes that were
// on the wire, whatever they are, split into character-strings anywhere.
func FuzzTXTString(f *testing.F) {
	f.Add([]byte("v=spf1 -all"), uint8(0))
	f.Add([]byte("quote\"back\\slash\x01\x1b\x7f\xff"), uint8(5))
	f.Add([]byte(`\065\\\"`), uint8(3))
	f.Add([]byte{}, uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		var strs [][]byte
		for rest := data; len(rest) > 0; {
			n := min(len(rest), 255)
			if split > 0 {
				n = min(n, int(split))
			}
			strs = append(strs, rest[:n])
			rest = rest[n:]
		}
		if len(strs) == 0 {
			strs = [][]byte{{}}
		}
		if len(data) > 16000 {
			return
		}
		if got := TXTString(txtWire(t, strs)); got != string(data) {
			t.Errorf("got %q; want %q", got, data)
		}
	})
}

// FuzzReply feeds arbitrary bytes to the reply path, as if they had arrived
// on a socket with the ID of a waiting query: dispatch, then parsing into an
// Answer. Nothing may panic, and a delivered reply must match the question.
func FuzzReply(f *testing.F) {
	q, query := mxQuery(f, "example.com.")
	r := new(dns.Msg)
	r.SetReply(q)
	r.Answer = append(r.Answer, &dns.MX{Hdr: dns.RR_Header{Name: "example.com.", Rrtype: dns.TypeMX, Class: dns.ClassINET}, Preference: 10, Mx: "mx.example.com."})
	good, _ := r.Pack()
	f.Add(good)
	r.Truncated = true
	tc, _ := r.Pack()
	f.Add(tc)
	f.Add(good[:len(good)-3])
	f.Add([]byte{})
	f.Add(make([]byte, 12))

	f.Fuzz(func(t *testing.T, data []byte) {
		c := &Client{done: make(chan struct{})}
		s := &udpSock{c: c, srv: &server{}, pending: new(idTable)}
		w := &waiter{ch: make(chan *[]byte, maxQueued+3), question: query.question, nameLen: query.nameLen}
		id, _ := s.register(w, 1<<40, false)
		if len(data) >= 2 {
			data = bytes.Clone(data)
			binary.BigEndian.PutUint16(data, id)
		}
		s.dispatch(data, false)
		select {
		case b := <-w.ch:
			if !sameQuestion((*b)[12:], query.question, query.nameLen) {
				t.Fatalf("delivered a reply to another question")
			}
			a, tc, ok := parseReply(*b, query, "fuzz")
			if ok && !tc && a.Status == "" {
				t.Errorf("parsed reply without a status")
			}
		default:
		}
		s.unregister(id, w)
	})
}

// FuzzUnpackLeanMatches checks the lean reply parser against miekg/dns:
// for any reply carrying the query's question, unpackLean either says it
// does not handle the reply, or agrees with dns.Msg.Unpack on whether the
// reply parses, on the rcode (extended rcode included) and on every answer
// record, down to the header fields.
func FuzzUnpackLeanMatches(f *testing.F) {
	q, query := mxQuery(f, "example.com.")

	rr := func(s string) dns.RR { return mustRR(f, s) }
	add := func(rcode int, answer, ns, extra []dns.RR, edns bool) {
		r := new(dns.Msg)
		r.SetReply(q)
		r.Rcode = rcode
		r.Answer, r.Ns, r.Extra = answer, ns, extra
		if edns {
			r.SetEdns0(1232, false)
		}
		r.Compress = true
		b, err := r.Pack()
		if err != nil {
			f.Fatal(err)
		}
		// The fuzz input is the header and everything after the question.
		f.Add(b[:12], b[12+len(query.question):])
	}
	mx := rr("example.com. 300 IN MX 10 mx.example.com.")
	ns := rr("example.com. 300 IN NS ns.example.com.")
	glue := rr("ns.example.com. 300 IN A 192.0.2.1")
	glue6 := rr("ns.example.com. 300 IN AAAA 2001:db8::1")
	soa := rr("example.com. 300 IN SOA ns.example.com. host.example.com. 1 2 3 4 5")
	add(dns.RcodeSuccess, []dns.RR{mx}, []dns.RR{ns}, []dns.RR{glue, glue6}, true)
	add(dns.RcodeSuccess, []dns.RR{rr("example.com. CNAME b.example.net."), rr("b.example.net. MX 0 .")}, nil, nil, false)
	add(dns.RcodeNameError, nil, []dns.RR{soa}, nil, true)
	add(dns.RcodeSuccess, nil, []dns.RR{soa}, []dns.RR{rr("x.example. TXT hello")}, false)
	add(dns.RcodeBadVers, nil, nil, nil, true)

	f.Fuzz(func(t *testing.T, hdr, rest []byte) {
		if len(hdr) < 12 {
			return
		}
		b := append(append(append([]byte{}, hdr[:12]...), query.question...), rest...)
		binary.BigEndian.PutUint16(b[4:], 1) // one question: the query's
		rcode, answer, res := unpackLean(b, query)
		if res == leanUnsupported {
			return
		}
		var m dns.Msg
		err := m.Unpack(b)
		if gotOK, wantOK := res == leanOK, err == nil && len(m.Question) == 1; gotOK != wantOK {
			t.Fatalf("lean ok = %v; dns.Msg.Unpack ok = %v (%v)", gotOK, wantOK, err)
		}
		if res != leanOK {
			return
		}
		if rcode != m.Rcode {
			t.Errorf("got rcode %d; want %d", rcode, m.Rcode)
		}
		if !reflect.DeepEqual(answer, m.Answer) {
			t.Errorf("got answer %v; want %v", answer, m.Answer)
		}
	})
}

// TestUnpackLeanHandlesTypicalReplies: the lean parser must take the replies
// it exists for (an answer with NS, glue and OPT; NXDOMAIN with a SOA), not
// hand them to dns.Msg.Unpack.
func TestUnpackLeanHandlesTypicalReplies(t *testing.T) {
	q, query := mxQuery(t, "example.com.")
	rr := func(s string) dns.RR { return mustRR(t, s) }
	tests := []struct {
		name      string
		rcode     int
		answer    []dns.RR
		ns, extra []dns.RR
		wantRcode int
	}{
		{"answer with NS and glue", dns.RcodeSuccess,
			[]dns.RR{rr("example.com. MX 10 mx.example.com."), rr("example.com. MX 20 mx2.example.com.")},
			[]dns.RR{rr("example.com. NS ns.example.com.")},
			[]dns.RR{rr("ns.example.com. A 192.0.2.1"), rr("ns.example.com. AAAA 2001:db8::1")}, dns.RcodeSuccess},
		{"nxdomain with SOA", dns.RcodeNameError, nil,
			[]dns.RR{rr("example.com. SOA ns.example.com. host.example.com. 1 2 3 4 5")}, nil, dns.RcodeNameError},
		{"extended rcode", dns.RcodeBadVers, nil, nil, nil, dns.RcodeBadVers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := new(dns.Msg)
			r.SetReply(q)
			r.Rcode = tt.rcode
			r.Answer, r.Ns, r.Extra = tt.answer, tt.ns, tt.extra
			r.SetEdns0(1232, false)
			r.Compress = true
			b, err := r.Pack()
			if err != nil {
				t.Fatal(err)
			}
			rcode, answer, res := unpackLean(b, query)
			if res != leanOK || rcode != tt.wantRcode || len(answer) != len(tt.answer) {
				t.Fatalf("got %v rcode %d, %d answers; want leanOK rcode %d, %d answers", res, rcode, len(answer), tt.wantRcode, len(tt.answer))
			}
			for i := range answer {
				if answer[i].String() != tt.answer[i].String() {
					t.Errorf("got %v; want %v", answer[i], tt.answer[i])
				}
			}
		})
	}
}

// packQueryMiekg is the reference packQuery replaces: the query as a dns.Msg.
func packQueryMiekg(fqdn string, qtype, udpSize uint16) ([]byte, error) {
	m := new(dns.Msg)
	m.RecursionDesired, m.AuthenticatedData = true, true
	m.Question = []dns.Question{{Name: fqdn, Qtype: qtype, Qclass: dns.ClassINET}}
	m.SetEdns0(udpSize, false)
	return m.Pack()
}

func TestPackQueryMatchesMiekg(t *testing.T) {
	long := strings.Repeat("a", 63)
	names := []string{"example.com.", ".", "_dmarc.example.com.", `a\.b.example.`, `\065\066.example.`, `sp\ ace.example.`,
		long + "." + long + "." + long + "." + strings.Repeat("b", 61) + ".", // 255 octets on the wire
		long + "a.example.", "a..b.", "no-dot", ""}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			got, gotErr := packQuery(nil, name, dns.TypeMX, 1232)
			want, wantErr := packQueryMiekg(name, dns.TypeMX, 1232)
			if (gotErr != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
				t.Errorf("got %x (%v); want %x (%v)", got, gotErr, want, wantErr)
			}
		})
	}
}

// FuzzPackQuery checks packQuery against dns.Msg.Pack for names that pass
// dns.IsDomainName, as Query's are.
func FuzzPackQuery(f *testing.F) {
	f.Add("example.com.", uint16(dns.TypeMX), uint16(1232))
	f.Add(`a\.b\065\255.x.`, uint16(dns.TypeTXT), uint16(512))
	f.Fuzz(func(t *testing.T, name string, qtype, udpSize uint16) {
		if _, ok := dns.IsDomainName(name); !ok {
			return
		}
		got, gotErr := packQuery(make([]byte, 0, 16), name, qtype, udpSize)
		want, wantErr := packQueryMiekg(name, qtype, udpSize)
		if (gotErr != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
			t.Errorf("got %x (%v); want %x (%v)", got, gotErr, want, wantErr)
		}
	})
}
