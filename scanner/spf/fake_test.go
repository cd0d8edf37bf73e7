package spf_test

import (
	"context"
	"errors"
	"net/netip"
	"sort"
	"strings"
	"sync"

	"github.com/miekg/dns"

	"github.com/mxscope/mxscope/scanner/spf"
)

// errFakeTimeout is what the fake returns for a query that "times out".
var errFakeTimeout = errors.New("fake: timeout")

// fakeResolver is a map-backed spf.Resolver. It follows CNAMEs like an
// authoritative server would, answers NXDOMAIN and NODATA as (nil, nil), and
// fails queries on request: per name and type, or per name for every type.
type fakeResolver struct {
	mu      sync.Mutex
	rrs     map[string][]dns.RR // lower-case bare owner name -> records
	errs    map[fakeKey]error   // qtype 0: every type
	queries int
}

type fakeKey struct {
	name  string
	qtype uint16
}

var _ spf.Resolver = (*fakeResolver)(nil)

// newFake builds a fake from records in miekg/dns form, the same records a
// dnstest server is given.
func newFake(rrs ...dns.RR) *fakeResolver {
	f := &fakeResolver{rrs: map[string][]dns.RR{}, errs: map[fakeKey]error{}}
	f.add(rrs...)
	return f
}

func (f *fakeResolver) add(rrs ...dns.RR) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, rr := range rrs {
		k := fakeName(unescapeName(rr.Header().Name))
		f.rrs[k] = append(f.rrs[k], rr)
	}
}

// fail makes queries for name of qtype (0: of any type) return err.
func (f *fakeResolver) fail(name string, qtype uint16, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs[fakeKey{fakeName(name), qtype}] = err
}

// Builders for hand-written tests.

func (f *fakeResolver) txt(name string, records ...string) *fakeResolver {
	for _, r := range records {
		f.add(&dns.TXT{Hdr: hdr(name, dns.TypeTXT), Txt: splitTXT(r)})
	}
	return f
}

func (f *fakeResolver) a(name string, ips ...string) *fakeResolver {
	for _, ip := range ips {
		addr := netip.MustParseAddr(ip)
		if addr.Is4() {
			f.add(&dns.A{Hdr: hdr(name, dns.TypeA), A: addr.AsSlice()})
		} else {
			f.add(&dns.AAAA{Hdr: hdr(name, dns.TypeAAAA), AAAA: addr.AsSlice()})
		}
	}
	return f
}

func (f *fakeResolver) mx(name string, hosts ...string) *fakeResolver {
	for i, h := range hosts {
		f.add(&dns.MX{Hdr: hdr(name, dns.TypeMX), Preference: uint16(i), Mx: escapeName(h) + "."})
	}
	return f
}

func (f *fakeResolver) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.queries
}

func hdr(name string, t uint16) dns.RR_Header {
	return dns.RR_Header{Name: escapeName(name) + ".", Rrtype: t, Class: dns.ClassINET, Ttl: 300}
}

// splitTXT cuts a record into 255-byte character-strings, escaped for miekg/dns.
func splitTXT(s string) []string {
	var out []string
	for len(s) > 255 {
		out = append(out, escapeTXT(s[:255]))
		s = s[255:]
	}
	return append(out, escapeTXT(s))
}

func fakeName(s string) string { return strings.ToLower(strings.TrimSuffix(s, ".")) }

// lookup answers (name, qtype), following CNAMEs inside the data.
func (f *fakeResolver) lookup(ctx context.Context, name string, qtype uint16) ([]dns.RR, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries++
	name = fakeName(unescapeName(name)) // names arrive in presentation format
	for range 8 {
		if err := f.errs[fakeKey{name, qtype}]; err != nil {
			return nil, err
		}
		if err := f.errs[fakeKey{name, 0}]; err != nil {
			return nil, err
		}
		var out []dns.RR
		var cname string
		for _, rr := range f.rrs[name] {
			switch {
			case rr.Header().Rrtype == qtype:
				out = append(out, rr)
			case rr.Header().Rrtype == dns.TypeCNAME:
				cname = rr.(*dns.CNAME).Target
			}
		}
		if out != nil || cname == "" {
			return out, nil
		}
		name = fakeName(unescapeName(cname))
	}
	return nil, nil // a CNAME loop ends with no records
}

func (f *fakeResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	rrs, err := f.lookup(ctx, name, dns.TypeTXT)
	var out []string
	for _, rr := range rrs {
		var b strings.Builder
		for _, s := range rr.(*dns.TXT).Txt {
			b.WriteString(unescape(s))
		}
		out = append(out, b.String())
	}
	return out, err
}

func (f *fakeResolver) LookupA(ctx context.Context, name string) ([]netip.Addr, error) {
	rrs, err := f.lookup(ctx, name, dns.TypeA)
	var out []netip.Addr
	for _, rr := range rrs {
		ip, _ := netip.AddrFromSlice(rr.(*dns.A).A)
		out = append(out, ip.Unmap())
	}
	return out, err
}

func (f *fakeResolver) LookupAAAA(ctx context.Context, name string) ([]netip.Addr, error) {
	rrs, err := f.lookup(ctx, name, dns.TypeAAAA)
	var out []netip.Addr
	for _, rr := range rrs {
		ip, _ := netip.AddrFromSlice(rr.(*dns.AAAA).AAAA)
		out = append(out, ip)
	}
	return out, err
}

func (f *fakeResolver) LookupMX(ctx context.Context, name string) ([]string, error) {
	rrs, err := f.lookup(ctx, name, dns.TypeMX)
	sort.SliceStable(rrs, func(i, j int) bool {
		return rrs[i].(*dns.MX).Preference < rrs[j].(*dns.MX).Preference
	})
	var out []string
	for _, rr := range rrs {
		out = append(out, fakeName(unescapeName(rr.(*dns.MX).Mx)))
	}
	return out, err
}

func (f *fakeResolver) LookupPTR(ctx context.Context, ip netip.Addr) ([]string, error) {
	rev, err := dns.ReverseAddr(ip.Unmap().String())
	if err != nil {
		return nil, err
	}
	rrs, err := f.lookup(ctx, rev, dns.TypePTR)
	var out []string
	for _, rr := range rrs {
		out = append(out, fakeName(unescapeName(rr.(*dns.PTR).Ptr)))
	}
	return out, err
}

// Presentation-format escaping, as miekg/dns reads and writes names and
// character-strings: the test data holds spaces, quotes and non-ASCII bytes.

// escapeName escapes one name (labels separated by unescaped dots).
func escapeName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.':
			b.WriteByte(c)
		case c == ' ' || c == '\'' || c == '@' || c == ';' || c == '(' || c == ')' || c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x21 || c > 0x7e:
			writeDDD(&b, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// escapeTXT escapes one character-string.
func escapeTXT(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c > 0x7e:
			writeDDD(&b, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func writeDDD(b *strings.Builder, c byte) {
	b.WriteByte('\\')
	b.WriteByte('0' + c/100)
	b.WriteByte('0' + c/10%10)
	b.WriteByte('0' + c%10)
}

// unescape undoes \DDD and \X.
func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			b.WriteByte((s[i+1]-'0')*100 + (s[i+2]-'0')*10 + (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i+1])
		i++
	}
	return b.String()
}

// unescapeName unescapes a name; an escaped dot stays part of its label,
// which the tests never need.
func unescapeName(s string) string { return unescape(s) }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
