package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxscope/mxscope/scanner/dnstest/realdns"
)

func TestGenIsDeterministic(t *testing.T) {
	a, err := gen(t.TempDir(), 500)
	if err != nil {
		t.Fatal(err)
	}
	b, err := gen(t.TempDir(), 500)
	if err != nil {
		t.Fatal(err)
	}
	files := []string{filepath.Base(a.Targets), filepath.Base(a.Queries)}
	for _, z := range a.Zones {
		files = append(files, filepath.Base(z))
	}
	for _, f := range files {
		x, _ := os.ReadFile(filepath.Join(a.Dir, f))
		y, _ := os.ReadFile(filepath.Join(b.Dir, f))
		if len(x) == 0 || !bytes.Equal(x, y) {
			t.Errorf("%s: got %d and %d bytes that differ; want the same non-empty file", f, len(x), len(y))
		}
	}
}

func TestGenFollowsTheMix(t *testing.T) {
	const n = 20000
	ds, err := gen(t.TempDir(), n)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mix {
		got := 1000 * ds.Counts[m.k] / n
		if got < m.perMille*8/10 || got > m.perMille*12/10+2 {
			t.Errorf("%s: got %d per mille; want about %d", m.provider, got, m.perMille)
		}
	}
}

func TestGenZonesParse(t *testing.T) {
	ds, err := gen(t.TempDir(), 2000)
	if err != nil {
		t.Fatal(err)
	}
	for name, file := range ds.Zones {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			zp := dns.NewZoneParser(f, name+".", file)
			n := 0
			for _, ok := zp.Next(); ok; _, ok = zp.Next() {
				n++
			}
			if err := zp.Err(); err != nil {
				t.Fatalf("got %v; want a valid zone", err)
			}
			if n < 2 {
				t.Errorf("got %d records; want at least SOA and NS", n)
			}
		})
	}
}

func TestTargetsFileListsEveryDomainWithLabels(t *testing.T) {
	ds, err := gen(t.TempDir(), 7)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(ds.Targets)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")[1:]
	if len(lines) != 7 {
		t.Fatalf("got %d entries; want 7", len(lines))
	}
	want := `- {domain: d0000003.bench.test, candidate: S3, party: I}`
	if lines[2] != want {
		t.Errorf("got %q; want %q", lines[2], want)
	}
}

// TestNSDAnswersEveryName serves a small data set with the real nsd and asks
// what mxscope asks: every name must get an authoritative answer, and only
// the lapsed domains (and names under them) NXDOMAIN.
func TestTargetsFileOfAMillionFitsMxscopesCap(t *testing.T) {
	const perRow = len("- {domain: d1000000.bench.test, candidate: S1000000, party: D}\n")
	if got, limit := perRow*1_000_000, 64<<20; got > limit {
		t.Errorf("got %d bytes for a million rows; want at most %d", got, limit)
	}
}

func TestNSDAnswersEveryName(t *testing.T) {
	bin := realdns.Require(t, "nsd")
	dir := t.TempDir()
	ds, err := gen(dir, 400)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := startNSD(context.Background(), bin, dir, ds.Zones, benchZone, 1, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.stop)

	c := &dns.Client{Timeout: 2 * time.Second}
	ask := func(name string, qtype uint16) *dns.Msg {
		t.Helper()
		m := new(dns.Msg)
		m.SetQuestion(dns.Fqdn(name), qtype)
		m.SetEdns0(1232, false)
		r, _, err := c.Exchange(m, srv.Addr)
		if err != nil {
			t.Fatalf("%s %s: %v", name, dns.TypeToString[qtype], err)
		}
		if !r.Authoritative || (r.Rcode != dns.RcodeSuccess && r.Rcode != dns.RcodeNameError) {
			t.Errorf("%s %s: got %s (aa=%v); want an authoritative NOERROR or NXDOMAIN", name, dns.TypeToString[qtype], dns.RcodeToString[r.Rcode], r.Authoritative)
		}
		return r
	}
	seen := map[string]bool{}
	var walkSPF func(name string, depth int)
	walkSPF = func(name string, depth int) {
		if seen[name] || depth > 10 {
			return
		}
		seen[name] = true
		for _, rr := range ask(name, dns.TypeTXT).Answer {
			txt, ok := rr.(*dns.TXT)
			if !ok || !strings.HasPrefix(strings.Join(txt.Txt, ""), "v=spf1 ") {
				continue
			}
			for _, term := range strings.Fields(strings.Join(txt.Txt, "")) {
				if inc, ok := strings.CutPrefix(term, "include:"); ok {
					if r := ask(inc, dns.TypeTXT); r.Rcode != dns.RcodeSuccess || len(r.Answer) == 0 {
						t.Errorf("include %s of %s: got %s with %d records; want a TXT record", inc, name, dns.RcodeToString[r.Rcode], len(r.Answer))
					}
					walkSPF(inc, depth+1)
				}
			}
		}
	}
	kinds := map[kind]int{}
	for i, k := range ds.Kinds {
		if kinds[k] >= 5 {
			continue // a few of each kind is enough
		}
		kinds[k]++
		d := domainName(i + 1)
		r := ask(d, dns.TypeMX)
		if got := r.Rcode == dns.RcodeNameError; got != (k == kindNX) {
			t.Errorf("%s (kind %d): got NXDOMAIN=%v; want %v", d, k, got, k == kindNX)
		}
		for _, rr := range r.Answer {
			mx := rr.(*dns.MX)
			a := ask(mx.Mx, dns.TypeA)
			if a.Rcode != dns.RcodeSuccess || len(a.Answer) == 0 {
				t.Errorf("MX host %s of %s: got %s with %d records; want an address", mx.Mx, d, dns.RcodeToString[a.Rcode], len(a.Answer))
			}
			ask(mx.Mx, dns.TypeAAAA)
		}
		walkSPF(d, 0)
		for _, name := range []string{"_dmarc." + d, "_mta-sts." + d, "_smtp._tls." + d, "autodiscover." + d, "selector1._domainkey." + d, "google._domainkey." + d} {
			ask(name, dns.TypeTXT)
			ask(name, dns.TypeCNAME)
		}
	}
	for _, name := range []string{"_dmarc.bench.test", "_dmarc.test"} {
		if r := ask(name, dns.TypeTXT); r.Rcode != dns.RcodeNameError {
			t.Errorf("%s: got %s; want NXDOMAIN (the DMARC tree walk ends there)", name, dns.RcodeToString[r.Rcode])
		}
	}
}

func TestParseDNSPerf(t *testing.T) {
	out := `DNS Performance Testing Tool
Version 2.10.0

[Status] Command line: dnsperf -s 127.0.0.1 -p 5300 -d q.txt -l 3
Statistics:

  Queries sent:         492110
  Queries completed:    491110 (99.80%)
  Queries lost:         1000 (0.20%)

  Response codes:       NOERROR 466510 (94.99%), NXDOMAIN 24600 (5.01%)
  Average packet size:  request 41, response 120
  Run time (s):         3.000433
  Queries per second:   163678.957412

  Average Latency (s):  0.005927 (min 0.000016, max 0.030581)
`
	got, err := parseDNSPerf(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	want := perfResult{Seconds: 3.000433, QPS: 163678.957412, Lost: 0.20, Rcodes: "NOERROR 466510 (94.99%), NXDOMAIN 24600 (5.01%)"}
	if got != want {
		t.Errorf("got %+v; want %+v", got, want)
	}
	if _, err := parseDNSPerf(strings.NewReader("Error: could not open file\n")); err == nil {
		t.Error("got no error for output without a qps line; want one")
	}
}

func TestParseStats(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     map[string]int64
	}{
		{"absent", "mxscope: warning: x\n", nil},
		{"the stats line", "stats: targets=3 queries=12 retries=0 timeouts=1 tcp=0\n",
			map[string]int64{"targets": 3, "queries": 12, "retries": 0, "timeouts": 1, "tcp": 0}},
		{"unknown and malformed fields", "noise\nstats: queries=7 hit_rate=0.5 odd new_field=2\n",
			map[string]int64{"queries": 7, "new_field": 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := parseStats(tc.in)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v; want %v", got, tc.want)
			}
		})
	}
}

func TestCheckResults(t *testing.T) {
	ds := &dataset{N: 4, Kinds: []kind{kindGoogle, kindNX, kindMicrosoft, kindSelf},
		Provider: []string{"google", "none", "microsoft", "self-hosted"}}
	meta := `{"type":"meta","schema":1}` + "\n"
	good := []string{
		`{"domain":"d0000001.bench.test","status":"ok","provider":"google","mx":[{"host":"aspmx.l.google.com","status":"ok"}],"spf":{"status":"ok"},"dmarc":{"status":"ok"}}`,
		`{"domain":"d0000002.bench.test","status":"nxdomain","error":"the domain does not exist (NXDOMAIN)","provider":"none","spf":{"status":"none"},"dmarc":{"status":"none"}}`,
		`{"domain":"d0000003.bench.test","status":"ok","provider":"microsoft","spf":{"status":"ok"},"dmarc":{"status":"none"}}`,
		`{"domain":"d0000004.bench.test","status":"ok","provider":"self-hosted","spf":{"status":"ok"},"dmarc":{"status":"ok"}}`,
	}
	summary := `{"type":"summary","targets":4}` + "\n"
	for _, tc := range []struct {
		name       string
		rows       []string
		wantErrors int
		wantRows   int
		wantWrong  int
	}{
		{"every row right", good, 0, 4, 0},
		{"a missing row", good[:3], 1, 3, 0},
		{"rows out of order", []string{good[1], good[0], good[2], good[3]}, 2, 4, 0},
		{"a timeout", []string{good[0], good[1], strings.Replace(good[2], `"status":"ok"`, `"status":"timeout"`, 1), good[3]}, 1, 4, 0},
		{"an existing domain answering nxdomain", []string{good[0], good[1], good[2], strings.Replace(good[3], `"status":"ok"`, `"status":"nxdomain"`, 1)}, 1, 4, 0},
		{"a lapsed domain answering ok", []string{good[0], strings.Replace(good[1], `"status":"nxdomain"`, `"status":"ok"`, 1), good[2], good[3]}, 1, 4, 0},
		{"an spf temperror", []string{good[0], good[1], strings.Replace(good[2], `"spf":{"status":"ok"}`, `"spf":{"status":"temperror"}`, 1), good[3]}, 1, 4, 0},
		{"an unresolved mx host", []string{strings.Replace(good[0], `"host":"aspmx.l.google.com","status":"ok"`, `"host":"aspmx.l.google.com","status":"servfail"`, 1), good[1], good[2], good[3]}, 1, 4, 0},
		{"a wrong provider is counted apart", []string{strings.Replace(good[0], `"provider":"google"`, `"provider":"unknown"`, 1), good[1], good[2], good[3]}, 0, 4, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := meta + strings.Join(tc.rows, "\n") + "\n" + summary
			run := &scanRun{Checks: "all"}
			if err := checkResults(strings.NewReader(in), ds, run); err != nil {
				t.Fatal(err)
			}
			if run.LookupErrors != tc.wantErrors || run.Rows != tc.wantRows || run.WrongProvider != tc.wantWrong {
				t.Errorf("got %d errors, %d rows, %d wrong providers (%v); want %d, %d, %d",
					run.LookupErrors, run.Rows, run.WrongProvider, run.ErrorSamples, tc.wantErrors, tc.wantRows, tc.wantWrong)
			}
		})
	}
}

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		want    string // sizes modes concurrency
		wantErr bool
	}{
		{"defaults", nil, "[100000] [default mx-spf-dmarc] [0]", false},
		{"a cost curve", []string{"-sizes", "10000, 100000,1000000", "-modes", "mx-spf-dmarc", "-concurrency", "256,1024"}, "[10000 100000 1000000] [mx-spf-dmarc] [256 1024]", false},
		{"ceiling only", []string{"-modes", ""}, "[100000] [] [0]", false},
		{"an unknown mode", []string{"-modes", "fast"}, "", true},
		{"a zero size", []string{"-n", "0"}, "", true},
		{"a stray argument", []string{"x"}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseFlags(tc.args, &bytes.Buffer{})
			if (err != nil) != tc.wantErr {
				t.Fatalf("got error %v; want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			got := fmt.Sprint(o.sizes, " ", o.modes, " ", o.concurrency)
			if o.modes == nil {
				got = fmt.Sprint(o.sizes, " [] ", o.concurrency)
			}
			if got != tc.want {
				t.Errorf("got %s; want %s", got, tc.want)
			}
		})
	}
}

func TestPickMedianReportsTheMiddleRunAndTheRange(t *testing.T) {
	runs := []*scanRun{
		{CeilingPct: 58, Rows: 10, Domains: 10},
		{CeilingPct: 49, Rows: 10, Domains: 10},
		{CeilingPct: 61, Rows: 10, Domains: 10},
	}
	got := pickMedian(runs)
	if got != runs[0] || got.Repeats != 3 || got.PctRange != [2]float64{49, 61} {
		t.Fatalf("picked %+v; want the 58%% run, 3 repeats, range 49-61", got)
	}
}

func TestPickMedianLetsAFaultyRunWin(t *testing.T) {
	runs := []*scanRun{
		{CeilingPct: 58, Rows: 10, Domains: 10},
		{CeilingPct: 70, Rows: 10, Domains: 10, LookupErrors: 2},
		{CeilingPct: 49, Rows: 9, Domains: 10},
	}
	if got := pickMedian(runs); got != runs[1] {
		t.Fatalf("picked %+v; want the run with lookup errors", got)
	}
}
