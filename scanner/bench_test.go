package scanner_test

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/resolve"
	"github.com/mxscope/mxscope/scanner/targets"
)

// memZone answers from a map, with no network and no delay: a benchmark
// over it measures the scanner's own work per domain (attribution, SPF
// walk, DMARC, findings, cache), apart from sockets and the server.
type memZone map[string][]dns.RR

func (z memZone) Query(_ context.Context, name string, qtype uint16) resolve.Answer {
	rrs, ok := z[dns.CanonicalName(name)]
	if !ok {
		return resolve.Answer{Status: resolve.StatusNXDomain, Rcode: dns.RcodeNameError}
	}
	var out []dns.RR
	for _, rr := range rrs {
		if rr.Header().Rrtype == qtype {
			out = append(out, rr)
		}
	}
	if len(out) == 0 {
		return resolve.Answer{Status: resolve.StatusNoData}
	}
	return resolve.Answer{Status: resolve.StatusOK, Records: out}
}

func benchZone(b *testing.B, n int) memZone {
	var zone strings.Builder
	zone.WriteString(`$ORIGIN google.com.
_spf 300 TXT "v=spf1 include:_netblocks.google.com include:_netblocks2.google.com include:_netblocks3.google.com ~all"
_netblocks 300 TXT "v=spf1 ip4:35.190.247.0/24 ip4:64.233.160.0/19 ip4:66.102.0.0/20 ip4:66.249.80.0/20 ip4:72.14.192.0/18 ip4:74.125.0.0/16 ~all"
_netblocks2 300 TXT "v=spf1 ip6:2001:4860:4000::/36 ip6:2404:6800:4000::/36 ~all"
_netblocks3 300 TXT "v=spf1 ip4:172.217.0.0/19 ip4:172.217.32.0/20 ~all"
$ORIGIN bench.test.
`)
	for i := range n {
		fmt.Fprintf(&zone, "d%d 300 MX 1 aspmx.l.google.com.\nd%d 300 MX 5 alt1.aspmx.l.google.com.\n", i, i)
		fmt.Fprintf(&zone, "d%d 300 TXT \"v=spf1 include:_spf.google.com ~all\"\n", i)
		fmt.Fprintf(&zone, "_dmarc.d%d 300 TXT \"v=DMARC1; p=none; rua=mailto:dmarc@d%d.bench.test\"\n", i, i)
	}
	z := memZone{}
	zp := dns.NewZoneParser(strings.NewReader(zone.String()), "", "")
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		k := dns.CanonicalName(rr.Header().Name)
		z[k] = append(z[k], rr)
	}
	if err := zp.Err(); err != nil {
		b.Fatal(err)
	}
	return z
}

// BenchmarkScanLogic scans Google-hosted domains (MX, SPF with Google's
// include tree, DMARC) through an in-memory zone: ns/op is the scanner's
// CPU per domain without the network.
func BenchmarkScanLogic(b *testing.B) {
	const n = 20000
	z := benchZone(b, n)
	ts := make([]targets.Target, n)
	for i := range ts {
		ts[i] = targets.Target{Domain: fmt.Sprintf("d%d.bench.test", i), Line: i + 1}
	}
	checks, _ := scanner.ParseChecks("mx,spf,dmarc")
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		s := scanner.New(z, scanner.Options{Concurrency: 256, Checks: checks})
		k := min(n, b.N-done)
		var seq iter.Seq[targets.Target] = func(yield func(targets.Target) bool) {
			for _, t := range ts[:k] {
				if !yield(t) {
					return
				}
			}
		}
		if err := s.Scan(context.Background(), seq, func(r *scanner.Result) error {
			if r.Mailbox != "google" {
				return fmt.Errorf("%s: mailbox %q", r.Domain, r.Mailbox)
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		done += k
	}
}
