// Package resolve is the scanner's DNS transport and its per-scan cache.
//
// It exists because a scan asks hundreds of thousands of questions of one or
// a few recursive resolvers, and the answers are the scan's data: a Client
// keeps a small pool of connected UDP sockets per resolver, each carrying
// many queries in flight (matched by random message ID and by question),
// falls back to TCP on truncation, sends an unanswered query again after
// its resolver's measured retransmission timeout, sets aside resolvers that
// refuse or go silent (health.go), and caps the global query rate. A Cache
// collapses identical questions so a name shared by many domains
// (_spf.google.com) is asked once per scan, within a bound on entries and
// bytes.
//
// What it promises: NXDOMAIN, NODATA, SERVFAIL, REFUSED, timeout and other
// errors stay distinct (Status); a reply that does not match the question it
// claims to answer, or that cannot be parsed, is discarded and never becomes
// an answer; malformed or hostile replies fail at most one lookup, never the
// process; every wait honours the caller's context.
package resolve

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Status is the outcome of one DNS question.
type Status string

const (
	// StatusOK: the name has records of the asked type (Records is not empty).
	StatusOK Status = "ok"
	// StatusNoData: the name exists but has no records of the asked type (NOERROR, empty answer).
	StatusNoData Status = "nodata"
	// StatusNXDomain: the name (or the end of its CNAME chain) does not exist.
	StatusNXDomain Status = "nxdomain"
	// StatusServFail: the resolver answered SERVFAIL, typically a broken or unreachable authority.
	StatusServFail Status = "servfail"
	// StatusRefused: the resolver refused to answer.
	StatusRefused Status = "refused"
	// StatusTimeout: no usable reply arrived within the timeout, on any attempt.
	StatusTimeout Status = "timeout"
	// StatusError: anything else: another rcode (FORMERR, NOTIMP, ...), a
	// network error, an invalid name, a closed client, or the caller's context
	// ending (Err then wraps context.Canceled or context.DeadlineExceeded).
	StatusError Status = "error"
)

// NoRcode is Answer.Rcode when no reply was received (timeout, network or
// context error), so that it is never mistaken for NOERROR (0).
const NoRcode = -1

// Defaults applied by NewClient to zero (or, for Retries, negative) fields.
const (
	DefaultTimeout = 2 * time.Second
	DefaultRetries = 2
	DefaultUDPSize = 1232 // RFC 9715 / DNS flag day 2020: avoids IP fragmentation
	DefaultSockets = 4
)

// Sentinel errors, found with errors.Is in Answer.Err and Error.Err.
var (
	ErrTimeout   = errors.New("resolve: timeout")
	ErrServFail  = errors.New("resolve: server failure")
	ErrRefused   = errors.New("resolve: refused")
	ErrRcode     = errors.New("resolve: unexpected response code")
	ErrClosed    = errors.New("resolve: client closed")
	ErrBusy      = errors.New("resolve: too many queries in flight")
	ErrBadName   = errors.New("resolve: invalid domain name")
	ErrBadServer = errors.New("resolve: invalid resolver address")
	ErrNoServers = errors.New("resolve: no resolvers")
	ErrMismatch  = errors.New("resolve: reply does not match the question")
	ErrNoCD      = errors.New("resolve: this querier cannot ask with checking disabled")
	// ErrTruncated: a reply over TCP came with the TC bit set: the answer
	// is incomplete, so it is neither records nor "no record".
	ErrTruncated = errors.New("resolve: answer truncated even over TCP")
	// ErrCNAMEChain: the answer's CNAME chain loops, or is longer than
	// MaxCNAMEChain: the name cannot be resolved, which is not "no record".
	ErrCNAMEChain = errors.New("resolve: CNAME chain loops or is too long")
)

// Answer is the outcome of one question. Answers returned by a Cache are
// shared between callers: treat Records as read-only.
type Answer struct {
	Status Status
	// Records holds the answer-section records of the asked type whose owner
	// is the asked name or the end of a CNAME chain present in the answer.
	Records []dns.RR
	// CNAMEs is the CNAME chain followed (targets, lower-case, no trailing dot), if any.
	CNAMEs []string
	// Rcode is the reply's response code, NoRcode when no reply was received.
	Rcode int
	// Err is the cause for StatusTimeout, StatusError, StatusServFail and
	// StatusRefused; it wraps the context's error when the context ended.
	Err error

	// What an evidence file records of the exchange. Server is the resolver
	// ("ip:port") that answered, or the last one asked when none did; ""
	// when nothing was sent. TCP: the answer came over TCP. AD: the reply
	// had the Authenticated Data flag (the resolver says it validated it
	// with DNSSEC, RFC 4035 §3.2.3); every query sets AD, because a
	// validating resolver reports AD only to a query that sets AD or DO
	// (RFC 6840 §5.7), and a resolver that does not validate never sets it,
	// so AD false means "secure" was not vouched for, not that the zone is
	// unsigned. TC: a UDP reply came truncated, so the answer was asked
	// again over TCP.
	Server      string
	TCP, AD, TC bool
	// Time is when the question was sent and Latency how long its answer
	// took, retries included. The Client leaves them zero; a Querier that
	// wraps it to keep evidence (evidence.Stamp) sets them, so that a
	// scan without one pays nothing for the clock.
	Time    time.Time
	Latency time.Duration
	// RTT is the round trip of the reply taken: from sending the attempt
	// it answered (not the first) to its arrival; for TCP, the
	// connection's set-up included. The Client sets it; 0 when nothing
	// answered.
	RTT time.Duration
}

// Void reports whether the answer says there is nothing there: NXDOMAIN or NODATA.
// RFC 7208 §4.6.4 counts these as "void lookups".
func (a Answer) Void() bool { return a.Status == StatusNXDomain || a.Status == StatusNoData }

// Error is a failed lookup other than NXDOMAIN or NODATA, as returned by the
// Cache's Lookup methods.
type Error struct {
	Name   string // as asked, lower case, no trailing dot
	Type   uint16 // dns.TypeTXT, ...
	Status Status // never StatusOK, StatusNoData or StatusNXDomain
	Err    error  // cause, may be nil
}

// Error reads like "resolve: _dmarc.example.com TXT: servfail"; for
// StatusError, which says little by itself, the cause follows.
func (e *Error) Error() string {
	s := "resolve: " + e.Name + " " + typeString(e.Type) + ": " + string(e.Status)
	if e.Status == StatusError && e.Err != nil {
		s += ": " + strings.TrimPrefix(e.Err.Error(), "resolve: ")
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

func typeString(t uint16) string {
	if s, ok := dns.TypeToString[t]; ok {
		return s
	}
	return "TYPE" + strconv.Itoa(int(t))
}

// ParseServer normalises a resolver address to "host:port": "1.2.3.4",
// "1.2.3.4:5353", "::1", "[::1]:5353" and "localhost" are accepted; the
// port defaults to 53.
func ParseServer(s string) (string, error) {
	in := s
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("%w %q: %s", ErrBadServer, in, why)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return bad("empty")
	}
	if a, err := netip.ParseAddr(s); err == nil { // bare IPv4 or IPv6
		return net.JoinHostPort(a.String(), "53"), nil
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		a, err := netip.ParseAddr(s[1 : len(s)-1])
		if err != nil || !a.Is6() {
			return bad("not an IPv6 address in brackets")
		}
		return net.JoinHostPort(a.String(), "53"), nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		if strings.Contains(s, ":") {
			return bad("want host, host:port or [IPv6]:port")
		}
		host, port = s, "53"
	}
	if p, err := strconv.ParseUint(port, 10, 16); err != nil || p == 0 {
		return bad("port must be a number from 1 to 65535")
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if strings.HasPrefix(s, "[") != a.Is6() {
			return bad("brackets are for IPv6 addresses only")
		}
		return net.JoinHostPort(a.String(), port), nil
	}
	if strings.HasPrefix(s, "[") || !validHostname(host) {
		return bad("not an IP address or host name")
	}
	return net.JoinHostPort(asciiLower(strings.TrimSuffix(host, ".")), port), nil
}

// validHostname accepts LDH host names (letters, digits, hyphens, dots, and
// underscores, which some local names carry).
func validHostname(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// resolvConf is the file SystemServers reads; a variable for tests.
var resolvConf = "/etc/resolv.conf"

// SystemServers returns the system's resolvers from /etc/resolv.conf as
// "host:port".
func SystemServers() ([]string, error) {
	cfg, err := dns.ClientConfigFromFile(resolvConf)
	if err != nil {
		return nil, fmt.Errorf("%w: reading %s: %w (hint: pass a resolver address, e.g. --resolver 1.1.1.1)", ErrNoServers, resolvConf, err)
	}
	var out []string
	for _, s := range cfg.Servers {
		addr, err := ParseServer(net.JoinHostPort(s, cfg.Port))
		if err != nil {
			continue
		}
		out = append(out, addr)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no nameserver lines in %s (hint: pass a resolver address, e.g. --resolver 1.1.1.1)", ErrNoServers, resolvConf)
	}
	return out, nil
}

// TXTString returns the raw bytes of a TXT record: its character-strings
// concatenated with nothing (RFC 7208 §3.3). miekg/dns unpacks each
// character-string into presentation form, escaping '"' and '\' with a
// backslash and bytes outside 0x20-0x7e as \DDD; TXTString undoes exactly
// that, so the result is the bytes that were on the wire.
func TXTString(rr *dns.TXT) string {
	if rr == nil {
		return ""
	}
	escaped := false
	for _, s := range rr.Txt {
		if strings.IndexByte(s, '\\') >= 0 {
			escaped = true
			break
		}
	}
	if !escaped {
		return strings.Join(rr.Txt, "")
	}
	n := 0
	for _, s := range rr.Txt {
		n += len(s)
	}
	b := make([]byte, 0, n)
	for _, s := range rr.Txt {
		b = appendUnescaped(b, s)
	}
	return string(b)
}

// appendUnescaped appends s with presentation escapes undone: \DDD (a
// decimal byte value up to 255) and \X (X itself). A backslash at the very
// end, which unpacking never produces, is kept as it is.
func appendUnescaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b = append(b, c)
			continue
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			if v := int(s[i+1]-'0')*100 + int(s[i+2]-'0')*10 + int(s[i+3]-'0'); v <= 255 {
				b = append(b, byte(v))
				i += 3
				continue
			}
		}
		b = append(b, s[i+1])
		i++
	}
	return b
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// canonical returns name as a lower-case FQDN (ASCII case folding, as DNS
// does), allocating only when it must.
func canonical(name string) string {
	return dns.Fqdn(asciiLower(name))
}

// asciiLower lower-cases A-Z only: DNS compares names ASCII-case-insensitively
// (RFC 4343), and strings.ToLower would rewrite non-UTF-8 bytes.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// bare returns a canonical name without its trailing dot ("." stays ".").
func bare(fqdn string) string {
	if len(fqdn) > 1 {
		return strings.TrimSuffix(fqdn, ".")
	}
	return fqdn
}
