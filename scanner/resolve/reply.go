package resolve

import (
	"encoding/binary"

	"github.com/miekg/dns"
)

// Unpacking replies is most of the client's CPU, and most of that is
// allocation: dns.Msg.Unpack builds a string for every name in the message
// and an RR for every record, and answerFrom looks at the answer section
// alone. A typical reply from an authoritative server also carries NS
// records in the authority section, their addresses in the additional
// section and an OPT record, which are unpacked and thrown away.
//
// unpackLean therefore materialises only the answer section and walks the
// other two without allocating, while accepting and rejecting exactly the
// messages that dns.Msg.Unpack accepts and rejects (FuzzUnpackLeanMatches
// checks this against miekg/dns). It knows the record types that fill the
// authority and additional sections in practice; anything else makes it
// give up, and the caller falls back to dns.Msg.Unpack.

// Wire-format limits, as miekg/dns enforces them in UnpackDomainName.
const (
	maxNameWire     = 255                   // octets in a name, RFC 1035 §2.3.4
	maxNamePointers = (maxNameWire+1)/2 - 2 // compression pointers followed in one name
)

// leanResult is unpackLean's verdict.
type leanResult int

const (
	leanOK          leanResult = iota // parsed: rcode and answer are what dns.Msg.Unpack gives
	leanBad                           // dns.Msg.Unpack would fail: discard the reply
	leanUnsupported                   // a record the lean path does not check: use dns.Msg.Unpack
)

// unpackAnswer returns the reply's rcode (extended rcode included) and answer
// section, or ok false when the reply cannot be parsed. b is a reply that
// dispatch matched to q.
func unpackAnswer(b []byte, q *query) (rcode int, answer []dns.RR, ok bool) {
	rcode, answer, res := unpackLean(b, q)
	if res != leanUnsupported {
		return rcode, answer, res == leanOK
	}
	var m dns.Msg
	if err := m.Unpack(b); err != nil || len(m.Question) != 1 {
		return 0, nil, false
	}
	return m.Rcode, m.Answer, true
}

// unpackLean is dns.Msg.Unpack for a reply to q that keeps only the rcode
// and the answer section (see the comment at the top of this file). It
// handles replies with one question equal to q's; others are unsupported.
func unpackLean(b []byte, q *query) (rcode int, answer []dns.RR, res leanResult) {
	if len(b) <= 12 || binary.BigEndian.Uint16(b[4:]) != 1 || !sameQuestion(b[12:], q.question, q.nameLen) {
		return 0, nil, leanUnsupported
	}
	rcode = int(b[3] & 0x0f)
	counts := [3]int{int(binary.BigEndian.Uint16(b[6:])), int(binary.BigEndian.Uint16(b[8:])), int(binary.BigEndian.Uint16(b[10:]))}
	off := 12 + len(q.question)

	// Answer owners are nearly always a pointer to the question's name
	// (offset 12). When the reply spells that name exactly as the query
	// did and the name needs no presentation escapes, its unpacked form is
	// q.fqdn, so the string can be shared rather than built per record.
	ownerIsQName := string(b[12:12+q.nameLen]) == string(q.question[:q.nameLen]) && plainName(q.fqdn)

	optTTL, hasOPT := uint32(0), false
	for section, n := range counts {
		for range n {
			if off == len(b) {
				// dns.Msg.Unpack stops without an error when the
				// message ends on a record boundary, whatever the
				// counts say; the next sections stop there too.
				break
			}
			end, ok := skipName(b, off)
			if !ok || end+10 > len(b) {
				return 0, nil, leanBad
			}
			rrtype := binary.BigEndian.Uint16(b[end:])
			rdlen := int(binary.BigEndian.Uint16(b[end+8:]))
			rdata := end + 10
			if rdata+rdlen > len(b) {
				return 0, nil, leanBad
			}
			if section == 0 {
				h := dns.RR_Header{
					Rrtype:   rrtype,
					Class:    binary.BigEndian.Uint16(b[end+2:]),
					Ttl:      binary.BigEndian.Uint32(b[end+4:]),
					Rdlength: uint16(rdlen),
				}
				if ownerIsQName && end == off+2 && b[off] == 0xc0 && b[off+1] == 12 {
					h.Name = q.fqdn
				} else {
					h.Name, _, _ = dns.UnpackDomainName(b, off) // skipName vouched for it
				}
				rr, next, err := dns.UnpackRRWithHeader(h, b[:rdata+rdlen], rdata)
				if err != nil {
					return 0, nil, leanBad
				}
				if answer == nil {
					// Sized by the count, which the sender controls: capped.
					answer = make([]dns.RR, 0, min(n, 8))
				}
				answer = append(answer, rr)
				off = next
				continue
			}
			switch checkRdata(b[:rdata+rdlen], rdata, rrtype) {
			case leanBad:
				return 0, nil, leanBad
			case leanUnsupported:
				return 0, nil, leanUnsupported
			}
			if section == 2 && rrtype == dns.TypeOPT {
				// dns.Msg.IsEdns0 uses the last OPT record.
				optTTL, hasOPT = binary.BigEndian.Uint32(b[end+4:]), true
			}
			off = rdata + rdlen
		}
	}
	if hasOPT {
		rcode |= int(optTTL>>24) << 4 // dns.OPT.ExtendedRcode
	}
	return rcode, answer, leanOK
}

// checkRdata reports whether miekg/dns would unpack the rdata of type t at
// msg[off:], where msg ends where the rdata does, without an error. It knows
// what fills the authority and additional sections in practice: empty rdata
// (of any type, OPT without options included), A, AAAA, NS, CNAME and SOA.
func checkRdata(msg []byte, off int, t uint16) leanResult {
	if off == len(msg) {
		return leanOK // miekg/dns does not look at empty rdata
	}
	ok := false
	switch t {
	case dns.TypeA:
		ok = len(msg)-off == 4
	case dns.TypeAAAA:
		ok = len(msg)-off == 16
	case dns.TypeNS, dns.TypeCNAME:
		end, nameOK := skipName(msg, off)
		ok = nameOK && end == len(msg)
	case dns.TypeSOA:
		ok = soaOK(msg, off)
	default:
		return leanUnsupported
	}
	if !ok {
		return leanBad
	}
	return leanOK
}

// soaOK mirrors dns.SOA's unpack: two names and five 32-bit numbers, where
// the rdata may end cleanly after any field.
func soaOK(msg []byte, off int) bool {
	for range 2 {
		end, ok := skipName(msg, off)
		if !ok {
			return false
		}
		if off = end; off == len(msg) {
			return true
		}
	}
	for range 5 {
		if off+4 > len(msg) {
			return false
		}
		if off += 4; off == len(msg) {
			return true
		}
	}
	return false // bytes left over: "bad rdlength"
}

// skipName returns the offset just past the name at msg[off:] and whether
// dns.UnpackDomainName would accept it: the same bounds, length budget,
// pointer limit and reserved label types, without building the string.
func skipName(msg []byte, off int) (int, bool) {
	budget := maxNameWire
	ptrs, next := 0, 0
	for {
		if off >= len(msg) {
			return 0, false
		}
		c := int(msg[off])
		off++
		switch c & 0xc0 {
		case 0x00:
			if c == 0 {
				if ptrs == 0 {
					next = off
				}
				return next, true
			}
			if off+c > len(msg) {
				return 0, false
			}
			if budget -= c + 1; budget <= 0 {
				return 0, false
			}
			off += c
		case 0xc0:
			if off >= len(msg) {
				return 0, false
			}
			if ptrs == 0 {
				next = off + 1
			}
			if ptrs++; ptrs > maxNamePointers {
				return 0, false
			}
			off = (c&0x3f)<<8 | int(msg[off])
		default: // 0x40 and 0x80 are reserved
			return 0, false
		}
	}
}

// plainName reports whether fqdn unpacks to itself: letters, digits, '-' and
// '_' in its labels, so miekg/dns writes no escapes.
func plainName(fqdn string) bool {
	for i := 0; i < len(fqdn); i++ {
		c := fqdn[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}
