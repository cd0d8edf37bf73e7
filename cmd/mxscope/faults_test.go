//go:build integration

// The fault benchmark: the scans of docs/performance.md ("Dead, silent and
// lossy resolvers"; "Hostile answers"), through the real unbound and nsd of
// the integration suite, with a lossy proxy, an address where nothing
// listens and a resolver that never answers in front of it. It is a
// benchmark, not a test: it measures and prints, and fails only when a scan
// loses rows or returns wrong ones. Run it with
//
//	make bench-faults                          # this tree
//	make bench-faults BASELINE_REF=main        # and a build of main, alternated with it
//
// or directly:
//
//	go test -tags integration -run '^$' -bench Faults -benchtime 1x -timeout 4h ./cmd/mxscope
//
// Environment:
//
//	MXSCOPE_FAULTS     scenarios to run, comma-separated (default all):
//	                   lossy, deadfirst, refusing, silent, fat (and fat-nsd), manymx
//	MXSCOPE_BASELINE   another mxscope binary to run in the same scenarios,
//	                   each of its runs alternated with one of this tree's
//	MXSCOPE_REPEAT     runs of each binary per scenario (default 1)
package main

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mxscope/mxscope/scanner/dnstest/realdns"
)

// faultRun is one timed scan of a fault scenario.
type faultRun struct {
	scenario string
	binary   string // "new" or "baseline"
	what     string // resolvers and flags, in words
	rows     int
	wrong    int // rows whose verdict differs from the reference scan
	failed   int // rows with a failed lookup: a status other than ok and nxdomain, or SPF or DMARC temperror
	p        proc
}

// failedLookups reports whether a row says a lookup failed.
func failedLookups(x row) bool {
	return x.Status != "ok" && x.Status != "nxdomain" || x.SPF.Status == "temperror" || x.DMARC.Status == "temperror"
}

func BenchmarkFaults(b *testing.B) {
	want := map[string]bool{}
	for _, s := range strings.Split(os.Getenv("MXSCOPE_FAULTS"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			want[s] = true
		}
	}
	run := func(name string) bool { return len(want) == 0 || want[name] }
	repeat := 1
	if s := os.Getenv("MXSCOPE_REPEAT"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("MXSCOPE_REPEAT=%q: want a number of at least 1", s)
		}
		repeat = n
	}
	baseline := os.Getenv("MXSCOPE_BASELINE")
	if baseline != "" {
		if _, err := os.Stat(baseline); err != nil {
			b.Fatalf("MXSCOPE_BASELINE: %v", err)
		}
	}

	zones, domains := lossyZone()
	zones["fat.test"] = fatZone()
	zones["manymx.test"] = manyMXZone()
	e := startEnv(b, zones)
	bins := []struct{ name, path string }{{"new", e.bin}}
	if baseline != "" {
		bins = append(bins, struct{ name, path string }{"baseline", baseline})
	}
	var runs []faultRun
	// scan runs every binary repeat times, alternated, with the same
	// resolvers and flags, and checks each run's rows against ref (when
	// given) in status, mail, provider, gateway, mailbox, SPF and DMARC.
	scan := func(scenario, what string, targets []string, ref []row, resolvers []string, flags ...string) {
		file := writeTargets(b, targets)
		args := []string{"scan", "-f", "jsonl", "--stats", "-t", file}
		for _, r := range resolvers {
			args = append(args, "--resolver", r)
		}
		args = append(args, flags...)
		for i := range repeat {
			for _, bin := range bins {
				env := *e
				env.bin = bin.path
				p := env.mxscope(b, 4*time.Hour, "", args...)
				if p.code != exitOK {
					b.Fatalf("%s (%s, run %d): exit code %d\nstderr:\n%s", scenario, bin.name, i+1, p.code, p.stderr)
				}
				rows, _ := parseJSONL(b, p.stdout)
				fr := faultRun{scenario: scenario, binary: bin.name, what: what, rows: len(rows), p: p}
				if len(rows) != len(targets) {
					b.Errorf("%s (%s): %d rows; want %d", scenario, bin.name, len(rows), len(targets))
				}
				for j, x := range rows {
					if failedLookups(x) {
						fr.failed++
					}
					if j < len(targets) && x.Domain != targets[j] {
						b.Fatalf("%s (%s): row %d is %s; want %s (input order)", scenario, bin.name, j, x.Domain, targets[j])
					}
					if ref != nil && j < len(ref) && verdict(x) != verdict(ref[j]) {
						if fr.wrong++; fr.wrong <= 3 {
							b.Logf("%s (%s): %s: got %s; clean scan %s", scenario, bin.name, x.Domain, verdict(x), verdict(ref[j]))
						}
					}
				}
				b.Logf("%s (%s, run %d): %d rows, %d differ, %d with failed lookups, %.1fs, peak RSS %.0f MiB; %s", scenario, bin.name, i+1,
					fr.rows, fr.wrong, fr.failed, p.elapsed.Seconds(), p.rssMiB, strings.TrimSpace(p.stderr))
				runs = append(runs, fr)
			}
		}
	}

	// The lossy scans keep mxscope's defaults (--timeout 2s, --retries 3,
	// --concurrency 256) and run the lookups behind the verdict that is
	// compared (mx, addr, spf, dmarc).
	checks := []string{"--checks", "mx,addr,spf,dmarc"}
	if run("lossy") || run("deadfirst") {
		clean, cp := e.scanClean(b, domains, checks)
		checkLossyExpectations(b, clean)
		b.Logf("clean reference scan: %d rows in %.1fs", len(clean), cp.elapsed.Seconds())
		p := realdns.StartLossyProxy(b, e.unbound.Addr, 0.30, 200*time.Millisecond, 20240601)
		if run("lossy") {
			scan("lossy", "the 30%-loss proxy alone", domains, clean, []string{p.Addr}, checks...)
		}
		if run("deadfirst") {
			dead := fmt.Sprintf("127.0.0.1:%d", realdns.FreePort(b)) // nothing listens: ICMP port unreachable
			scan("deadfirst", "a dead address, then the 30%-loss proxy", domains, clean, []string{dead, p.Addr}, checks...)
			scan("lossy", "the 30%-loss proxy alone", domains, clean, []string{p.Addr}, checks...)
		}
	}
	small := domains[:2000]
	if run("refusing") {
		ref, _ := e.scanClean(b, small, nil)
		refusing := fmt.Sprintf("127.0.0.1:%d", realdns.FreePort(b))
		scan("refusing", "a refusing port, then unbound", small, ref, []string{refusing, e.unbound.Addr})
		scan("good", "unbound alone", small, ref, []string{e.unbound.Addr})
	}
	if run("silent") {
		ref, _ := e.scanClean(b, small, nil)
		hole := realdns.BlackHole(b)
		scan("silent", "a silent resolver, then unbound", small, ref, []string{hole, e.unbound.Addr})
		scan("good", "unbound alone", small, ref, []string{e.unbound.Addr})
	}
	if run("fat") {
		var fat []string
		for i := range 1000 {
			fat = append(fat, fmt.Sprintf("d%04d.fat.test", i))
		}
		scan("fat", "unbound; every TXT answer 60 KB (3,500 records)", fat, nil, []string{e.unbound.Addr})
		// nsd answers the same at full speed, which unbound, fetching
		// each from nsd over TCP, does not: the most answers in flight.
		scan("fat-nsd", "nsd itself; every TXT answer 60 KB", fat, nil, []string{e.nsd.Addr})
	}
	if run("manymx") {
		var many []string
		for i := range 1000 {
			many = append(many, fmt.Sprintf("d%04d.manymx.test", i))
		}
		// From nsd itself: unbound cannot fit 3,000 MX records in 64 KB
		// and answers TC=1 with no records, even over TCP.
		scan("manymx", "nsd itself; 3,000 MX records a domain", many, nil, []string{e.nsd.Addr})
	}

	var out strings.Builder
	fmt.Fprintf(&out, "\n%-10s %-9s %-48s %7s %7s %7s %9s %8s %9s %9s\n", "scenario", "binary", "resolvers", "rows", "differ", "failed", "seconds", "RSS MiB", "queries", "retries")
	for _, r := range runs {
		fmt.Fprintf(&out, "%-10s %-9s %-48s %7d %7d %7d %9.1f %8.0f %9d %9d\n", r.scenario, r.binary, r.what, r.rows, r.wrong, r.failed,
			r.p.elapsed.Seconds(), r.p.rssMiB, stat(r.p.stderr, "queries"), stat(r.p.stderr, "retries"))
	}
	// Same-run ratios, from the median wall time of each.
	median := func(scenario, bin string) float64 {
		var s []float64
		for _, r := range runs {
			if r.scenario == scenario && r.binary == bin {
				s = append(s, r.p.elapsed.Seconds())
			}
		}
		if len(s) == 0 {
			return 0
		}
		slices.Sort(s)
		return s[len(s)/2]
	}
	ratio := func(label, a, abin, bb, bbin string) {
		if x, y := median(a, abin), median(bb, bbin); x > 0 && y > 0 {
			fmt.Fprintf(&out, "%s: %.2f (%.1fs / %.1fs)\n", label, x/y, x, y)
		}
	}
	ratio("dead address first / lossy proxy alone (new)", "deadfirst", "new", "lossy", "new")
	ratio("lossy proxy alone, baseline / new", "lossy", "baseline", "lossy", "new")
	ratio("refusing port first / good server alone (new)", "refusing", "new", "good", "new")
	ratio("silent resolver first / good server alone (new)", "silent", "new", "good", "new")
	ratio("refusing port first / good server alone (baseline)", "refusing", "baseline", "good", "baseline")
	b.Log(out.String())
	if dir := os.Getenv("MXSCOPE_BENCH_OUT"); dir != "" {
		if err := os.WriteFile(dir, []byte(out.String()), 0o644); err != nil {
			b.Errorf("MXSCOPE_BENCH_OUT: %v", err)
		}
	}
	for _, r := range runs {
		if r.wrong > 0 {
			b.Errorf("%s (%s): %d rows differ from the clean scan", r.scenario, r.binary, r.wrong)
		}
	}
}

// scanClean scans targets through unbound directly: the reference rows.
func (e *env) scanClean(tb testing.TB, targets []string, flags []string) ([]row, proc) {
	tb.Helper()
	args := append([]string{"scan", "-f", "jsonl", "-t", writeTargets(tb, targets), "--resolver", e.unbound.Addr}, flags...)
	p := e.mxscope(tb, time.Hour, "", args...)
	if p.code != exitOK {
		tb.Fatalf("clean scan: exit code %d\nstderr:\n%s", p.code, p.stderr)
	}
	rows, _ := parseJSONL(tb, p.stdout)
	if len(rows) != len(targets) {
		tb.Fatalf("clean scan: %d rows; want %d", len(rows), len(targets))
	}
	return rows, p
}

// fatZone is fat.test: every name under it has the same 3,501 TXT records
// (a wildcard), about 60 KB on the wire: an SPF record, a DMARC record and
// 3,499 four-byte strings.
func fatZone() string {
	var z strings.Builder
	z.WriteString("$TTL 3600\n@ SOA ns.fat.test. h.fat.test. 1 3600 600 86400 3600\n@ NS ns\nns A 127.0.0.1\n")
	z.WriteString("* TXT \"v=spf1 -all\"\n* TXT \"v=DMARC1; p=reject\"\n")
	for i := range 3499 {
		fmt.Fprintf(&z, "* TXT \"%04d\"\n", i)
	}
	return z.String()
}

// manyMXZone is manymx.test: every name under it has 3,000 MX records
// (a wildcard), each naming a host under it that has no address; hex host
// names keep the answer under 64 KB.
func manyMXZone() string {
	var z strings.Builder
	z.WriteString("$TTL 3600\n@ SOA ns.manymx.test. h.manymx.test. 1 3600 600 86400 3600\n@ NS ns\nns A 127.0.0.1\n")
	for i := range 3000 {
		fmt.Fprintf(&z, "* MX %d m%x.manymx.test.\n", i%100, i)
	}
	return z.String()
}
