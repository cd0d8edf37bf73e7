package resolve

import (
	"bytes"
	"encoding/binary"
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
	q := new(dns.Msg)
	q.SetQuestion("example.com.", dns.TypeMX)
	q.SetEdns0(1232, false)
	packed, err := q.Pack()
	if err != nil {
		f.Fatal(err)
	}
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
		s := &udpSock{c: c, pending: make(map[uint16]*waiter)}
		qlen := questionLen(packed[12:])
		query := &query{fqdn: "example.com.", qtype: dns.TypeMX, packed: packed, question: packed[12 : 12+qlen], nameLen: qlen - 4}
		w := &waiter{ch: make(chan *[]byte, 2), question: query.question, nameLen: query.nameLen}
		id, _ := s.register(w)
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
