package resolve

import (
	"fmt"
	"strconv"

	"github.com/miekg/dns"
)

// MaxCNAMEChain caps the CNAME hops followed inside one answer, so a loop
// or an absurd chain in a reply ends. A chain longer than this, or one
// that loops, makes the answer StatusError with ErrCNAMEChain: the name
// does not resolve, which is not the same as having no record (unbound
// answers SERVFAIL past its own limit).
const MaxCNAMEChain = 16

// answerFrom turns a reply to (fqdn, qtype) into an Answer. fqdn is canonical
// (lower-case, trailing dot). server names the resolver in error causes.
func answerFrom(m *dns.Msg, fqdn string, qtype uint16, server string) Answer {
	a := Answer{Rcode: m.Rcode}
	switch m.Rcode {
	case dns.RcodeSuccess, dns.RcodeNameError:
	case dns.RcodeServerFailure:
		a.Status, a.Err = StatusServFail, fmt.Errorf("%w: SERVFAIL from %s", ErrServFail, server)
		return a
	case dns.RcodeRefused:
		a.Status, a.Err = StatusRefused, fmt.Errorf("%w: REFUSED from %s", ErrRefused, server)
		return a
	default:
		a.Status, a.Err = StatusError, fmt.Errorf("%w %s from %s", ErrRcode, rcodeString(m.Rcode), server)
		return a
	}

	// Follow the CNAME chain inside the answer section only: a recursive
	// resolver returns the whole chain, and asking again would double the
	// queries for nothing.
	owner := fqdn
	for hops := 0; ; hops++ {
		if recs := collect(m.Answer, owner, qtype); len(recs) > 0 {
			a.Records = recs
			break
		}
		if qtype == dns.TypeCNAME {
			break
		}
		target := cnameAt(m.Answer, owner)
		if target == "" {
			break
		}
		target = canonical(target)
		switch {
		case target == fqdn || contains(a.CNAMEs, bare(target)):
			a.Status, a.Records = StatusError, nil
			a.Err = fmt.Errorf("%w: %s loops back to %s (from %s)", ErrCNAMEChain, bare(owner), bare(target), server)
			return a
		case hops == MaxCNAMEChain:
			a.Status, a.Records = StatusError, nil
			a.Err = fmt.Errorf("%w: more than %d CNAMEs from %s (from %s)", ErrCNAMEChain, MaxCNAMEChain, bare(fqdn), server)
			return a
		}
		owner = target
		a.CNAMEs = append(a.CNAMEs, bare(owner))
	}
	switch {
	case m.Rcode == dns.RcodeNameError: // RFC 6604: the rcode is about the end of the chain
		a.Status, a.Records = StatusNXDomain, nil
	case len(a.Records) > 0:
		a.Status = StatusOK
	default:
		a.Status = StatusNoData
	}
	return a
}

// matches reports whether rr is an IN record of type t owned by owner (canonical).
func matches(rr dns.RR, owner string, t uint16) bool {
	h := rr.Header()
	return h.Rrtype == t && h.Class == dns.ClassINET && equalFold(h.Name, owner)
}

// collect returns the records of type t owned by owner. In the common case
// where every record matches it returns rrs itself, without allocating.
func collect(rrs []dns.RR, owner string, t uint16) []dns.RR {
	n := 0
	for _, rr := range rrs {
		if matches(rr, owner, t) {
			n++
		}
	}
	if n == len(rrs) {
		return rrs
	}
	if n == 0 {
		return nil
	}
	out := make([]dns.RR, 0, n)
	for _, rr := range rrs {
		if matches(rr, owner, t) {
			out = append(out, rr)
		}
	}
	return out
}

// cnameAt returns the target of the CNAME owned by owner, or "".
func cnameAt(rrs []dns.RR, owner string) string {
	for _, rr := range rrs {
		if c, ok := rr.(*dns.CNAME); ok && matches(rr, owner, dns.TypeCNAME) {
			return c.Target
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// equalFold compares DNS names ASCII-case-insensitively (RFC 4343).
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// rcodeString names a DNS message's rcode. 16 is BADVERS in a message's
// header and OPT record (RFC 6891 §9); miekg/dns names it BADSIG, its TSIG
// meaning (RFC 8945), which a reply's rcode never has.
func rcodeString(rcode int) string {
	if rcode == dns.RcodeBadVers {
		return "BADVERS"
	}
	if s, ok := dns.RcodeToString[rcode]; ok {
		return s
	}
	return "RCODE" + strconv.Itoa(rcode)
}

// questionLen returns the length of the question (name, type, class) that
// starts at b[0], reading the name's labels without compression (a query's
// question never uses it), or -1.
func questionLen(b []byte) int {
	i := 0
	for i < len(b) {
		l := int(b[i])
		if l == 0 {
			if i+5 > len(b) {
				return -1
			}
			return i + 5
		}
		if l > 63 {
			return -1
		}
		i += 1 + l
	}
	return -1
}

// sameQuestion compares a reply's question, starting at reply[0], with the
// packed question q whose name takes nameLen bytes: the name
// ASCII-case-insensitively (label lengths are below 64, so folding never
// touches them), type and class exactly.
func sameQuestion(reply, q []byte, nameLen int) bool {
	if len(reply) < len(q) {
		return false
	}
	for i := 0; i < nameLen; i++ {
		if lower(reply[i]) != lower(q[i]) {
			return false
		}
	}
	return string(reply[nameLen:len(q)]) == string(q[nameLen:])
}

// msgQuestionMatches is sameQuestion for a parsed reply (the TCP path).
func msgQuestionMatches(m *dns.Msg, fqdn string, qtype uint16) bool {
	return len(m.Question) == 1 && m.Question[0].Qtype == qtype &&
		m.Question[0].Qclass == dns.ClassINET && equalFold(m.Question[0].Name, fqdn)
}
