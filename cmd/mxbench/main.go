// Command mxbench measures mxscope end to end at scale: it generates N
// synthetic campaign domains with a real-world provider mix, serves them
// and the providers' zones with nsd on loopback, measures nsd's capacity
// for the same query mix with dnsperf, then times `mxscope scan` over them
// and checks every row of its output.
//
// It promises a reproducible figure: the data depends only on N (fixed
// seed), nothing leaves 127.0.0.1, and a run with any lookup error or a
// missing row exits non-zero, so a fast but wrong scan never passes.
//
//	go run ./cmd/mxbench -n 100000 -mxscope ./bin/mxscope
//	go run ./cmd/mxbench -sizes 10000,100000,1000000 -modes mx-spf-dmarc
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

const (
	exitOK          = 0
	exitFail        = 1 // a setup error, or lookup errors in a run
	exitUsage       = 2
	exitInterrupted = 130
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type options struct {
	sizes          []int
	mxscope        string
	modes          []string
	dnsperfSeconds int
	repeat         int   // paired dnsperf + mxscope runs per mode
	concurrency    []int // 0: mxscope's default
	nsdServers     int
	keep           bool
	out            string
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("mxbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 100000, "number of synthetic domains")
	sizes := fs.String("sizes", "", "comma-separated domain counts for a cost curve, e.g. 10000,100000,1000000 (overrides -n)")
	o := &options{}
	fs.StringVar(&o.mxscope, "mxscope", "./bin/mxscope", "path of the mxscope binary to measure")
	ms := fs.String("modes", "default,mx-spf-dmarc", "comma-separated modes: default (every check), mx-spf-dmarc (--checks mx,spf,dmarc)")
	fs.IntVar(&o.dnsperfSeconds, "dnsperf-seconds", 10, "length of the dnsperf ceiling run")
	fs.IntVar(&o.repeat, "repeat", 3, "runs per mode, each paired with a dnsperf run just before it; the run with the median ratio is reported")
	conc := fs.String("concurrency", "", "comma-separated --concurrency values to pass to mxscope, one run each (default: mxscope's own)")
	fs.IntVar(&o.nsdServers, "nsd-servers", 1, "nsd server-count")
	fs.BoolVar(&o.keep, "keep", false, "keep the working directory (zones, targets, outputs)")
	fs.StringVar(&o.out, "out", "", "directory to write mxbench.json and mxbench.txt into")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: mxbench [flags]\n\nBenchmark mxscope against nsd on loopback with synthetic domains.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if *sizes != "" {
		if o.sizes, err = intList(*sizes, 1); err != nil {
			return nil, fmt.Errorf("-sizes: %w", err)
		}
	} else {
		o.sizes = []int{*n}
	}
	for _, s := range o.sizes {
		if s < 1 || s > 9_999_999 {
			return nil, fmt.Errorf("a size must be between 1 and 9999999, not %d", s)
		}
	}
	for _, m := range strings.Split(*ms, ",") {
		m = strings.TrimSpace(m)
		if m == "" {
			continue // -modes "" measures only the dnsperf ceiling
		}
		if _, ok := modes[m]; !ok {
			return nil, fmt.Errorf("-modes: unknown mode %q (known: default, mx-spf-dmarc)", m)
		}
		o.modes = append(o.modes, m)
	}
	o.concurrency = []int{0}
	if *conc != "" {
		if o.concurrency, err = intList(*conc, 1); err != nil {
			return nil, fmt.Errorf("-concurrency: %w", err)
		}
	}
	if o.dnsperfSeconds < 1 || o.nsdServers < 1 || o.repeat < 1 {
		return nil, errors.New("-dnsperf-seconds, -nsd-servers and -repeat must be at least 1")
	}
	return o, nil
}

func intList(s string, lo int) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < lo {
			return nil, fmt.Errorf("%q is not a number of at least %d", f, lo)
		}
		out = append(out, v)
	}
	return out, nil
}

// report is everything one mxbench invocation measured; it is written as
// JSON for the README.
type report struct {
	Started    string       `json:"started"`
	Machine    machine      `json:"machine"`
	NSDServers int          `json:"nsd_server_count"`
	Sizes      []sizeReport `json:"sizes"`
}

type sizeReport struct {
	Domains              int            `json:"domains"`
	Mix                  map[string]int `json:"mix"`
	ZoneLoadSeconds      float64        `json:"zone_load_seconds"`
	DNSPerf              perfResult     `json:"dnsperf"`
	DNSPerfTried         []perfResult   `json:"dnsperf_tried"`
	CeilingDomainsPerSec float64        `json:"ceiling_domains_per_sec"` // dnsperf qps / 3
	Runs                 []*scanRun     `json:"runs"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "mxbench: %s\n", err)
		return exitUsage
	}
	rep, err := bench(ctx, o, stderr)
	if rep != nil && len(rep.Sizes) > 0 {
		var text strings.Builder
		printReport(&text, rep)
		fmt.Fprint(stdout, text.String())
		if o.out != "" {
			if werr := writeReport(o.out, rep, text.String()); werr != nil && err == nil {
				err = werr
			}
		}
	}
	switch {
	case ctx.Err() != nil:
		fmt.Fprintln(stderr, "mxbench: interrupted")
		return exitInterrupted
	case err != nil:
		fmt.Fprintf(stderr, "mxbench: %s\n", err)
		return exitFail
	}
	for _, s := range rep.Sizes {
		for _, r := range s.Runs {
			if r.LookupErrors > 0 || r.Rows != r.Domains {
				fmt.Fprintf(stderr, "mxbench: %s at %d domains: %d lookup errors, %d of %d rows\n", r.Mode, r.Domains, r.LookupErrors, r.Rows, r.Domains)
				for _, e := range r.ErrorSamples {
					fmt.Fprintf(stderr, "mxbench:   %s\n", e)
				}
				err = errors.New("lookup errors")
			}
		}
	}
	if err != nil {
		return exitFail
	}
	return exitOK
}

// bench runs every size and mode. It returns what it measured so far even
// when it fails.
func bench(ctx context.Context, o *options, log io.Writer) (*report, error) {
	bin, err := filepath.Abs(o.mxscope)
	if err == nil && len(o.modes) > 0 {
		_, err = os.Stat(bin)
	}
	if err != nil {
		return nil, fmt.Errorf("%w\nhint: build it first: make build (or go build -o bin/mxscope ./cmd/mxscope), or pass -mxscope PATH", err)
	}
	nsd, dnsperf, err := ensureTools(ctx, log)
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "mxbench-")
	if err != nil {
		return nil, err
	}
	if o.keep {
		fmt.Fprintf(log, "mxbench: working directory %s (kept)\n", work)
	} else {
		defer os.RemoveAll(work)
	}
	rep := &report{
		Started:    time.Now().UTC().Format(time.RFC3339),
		Machine:    describeMachine(nsd, dnsperf),
		NSDServers: o.nsdServers,
	}
	for _, n := range o.sizes {
		sr, err := benchSize(ctx, o, bin, nsd, dnsperf, filepath.Join(work, fmt.Sprintf("n%d", n)), n, log)
		if sr != nil {
			rep.Sizes = append(rep.Sizes, *sr)
		}
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func benchSize(ctx context.Context, o *options, bin, nsdBin, dnsperfBin, dir string, n int, log io.Writer) (*sizeReport, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	}
	fmt.Fprintf(log, "mxbench: %d domains: generating\n", n)
	ds, err := gen(dir, n)
	if err != nil {
		return nil, err
	}
	sr := &sizeReport{Domains: n, Mix: map[string]int{}}
	for _, m := range mix {
		sr.Mix[m.provider] = ds.Counts[m.k]
	}

	fmt.Fprintf(log, "mxbench: %d domains: starting nsd\n", n)
	start := time.Now()
	wait := 2*time.Minute + time.Duration(n/5000)*time.Second
	srv, err := startNSD(ctx, nsdBin, dir, ds.Zones, benchZone, o.nsdServers, wait)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	sr.ZoneLoadSeconds = time.Since(start).Seconds()
	fmt.Fprintf(log, "mxbench: %d domains: nsd on %s after %.1fs; measuring its ceiling with dnsperf\n", n, srv.Addr, sr.ZoneLoadSeconds)

	var shape perfConfig
	sr.DNSPerf, shape, sr.DNSPerfTried, err = ceiling(ctx, dnsperfBin, srv.Addr, ds.Queries, o.dnsperfSeconds, log)
	if err != nil {
		return nil, err
	}
	for _, bad := range []string{"REFUSED", "SERVFAIL", "FORMERR", "NOTIMP"} {
		if strings.Contains(sr.DNSPerf.Rcodes, bad) {
			return sr, fmt.Errorf("nsd answered %s to part of the query mix (%s): the zones are incomplete", bad, sr.DNSPerf.Rcodes)
		}
	}
	sr.CeilingDomainsPerSec = sr.DNSPerf.QPS / 3

	for _, mode := range o.modes {
		for _, c := range o.concurrency {
			r, err := pairedRuns(ctx, o, bin, dnsperfBin, srv.Addr, ds, mode, c, sr.DNSPerf.QPS, shape, log)
			if err != nil {
				return sr, err
			}
			sr.Runs = append(sr.Runs, r)
		}
	}
	return sr, nil
}

// pairedRuns runs mxscope o.repeat times in one mode. This machine's speed
// drifts by 10-20% over minutes (other tenants of the host), so with more
// than one run each is paired with a dnsperf run of the best load shape
// just before it, and compared with that: the ratio of a pair is what the
// drift leaves alone. The run with the median ratio is returned, with the
// range of the ratios.
func pairedRuns(ctx context.Context, o *options, bin, dnsperfBin, addr string, ds *dataset, mode string, c int, qps float64, shape perfConfig, log io.Writer) (*scanRun, error) {
	var runs []*scanRun
	for i := range o.repeat {
		if o.repeat > 1 {
			p, err := runDNSPerf(ctx, dnsperfBin, addr, ds.Queries, o.dnsperfSeconds, shape)
			if err != nil {
				return nil, err
			}
			qps = p.QPS
		}
		fmt.Fprintf(log, "mxbench: %d domains: mxscope scan, mode %s, concurrency %s, run %d of %d (ceiling %.0f qps)\n", ds.N, mode, concName(c), i+1, o.repeat, qps)
		r, err := runScan(ctx, bin, addr, ds, mode, c, qps)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(log, "mxbench:   %.1fs, %.0f domains/s, %.0f%% of ceiling, %d lookup errors\n", r.Seconds, r.DomainsPerSec, r.CeilingPct, r.LookupErrors)
		runs = append(runs, r)
	}
	return pickMedian(runs), nil
}

// pickMedian returns the run with the median ratio to the ceiling (the
// upper one of an even count), with Repeats and PctRange set; a run with
// lookup errors or missing rows wins instead, so that a fault in any run
// fails the benchmark.
func pickMedian(runs []*scanRun) *scanRun {
	byPct := slices.Clone(runs)
	slices.SortStableFunc(byPct, func(a, b *scanRun) int { return cmp.Compare(a.CeilingPct, b.CeilingPct) })
	pick := byPct[len(byPct)/2]
	for _, r := range runs {
		if r.LookupErrors > 0 || r.Rows != r.Domains {
			pick = r
			break
		}
	}
	pick.Repeats = len(runs)
	pick.PctRange = [2]float64{byPct[0].CeilingPct, byPct[len(byPct)-1].CeilingPct}
	return pick
}

func concName(c int) string {
	if c == 0 {
		return "default"
	}
	return strconv.Itoa(c)
}

func printReport(w io.Writer, rep *report) {
	m := rep.Machine
	fmt.Fprintf(w, "machine: %d CPUs, %s, %.1f GiB, %s, kernel %s, %s\n", m.CPUs, m.CPUModel, m.MemoryGiB, m.OS, m.Kernel, m.Go)
	fmt.Fprintf(w, "load average at start: %s\n", m.LoadAvg)
	fmt.Fprintf(w, "servers: %s (server-count %d), dnsperf %s\n\n", m.NSD, rep.NSDServers, strings.TrimPrefix(m.DNSPerf, "Version "))

	fmt.Fprintln(w, "nsd ceiling, dnsperf on the mx,spf,dmarc mix (MX, TXT, _dmarc TXT per domain):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "domains\tzone load s\tqps\tceiling domains/s\tlost %\tdnsperf\t")
	for _, s := range rep.Sizes {
		fmt.Fprintf(tw, "%d\t%.1f\t%.0f\t%.0f\t%.2f\t%s\t\n", s.Domains, s.ZoneLoadSeconds, s.DNSPerf.QPS, s.CeilingDomainsPerSec, s.DNSPerf.Lost, s.DNSPerf.Config)
	}
	tw.Flush()

	fmt.Fprintln(w, "\nmxscope scan -f jsonl -o FILE --resolver nsd:")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\tdomains\tconcurrency\tseconds\tdomains/s\tqueries/s\tqueries/domain\t% of ceiling\truns, range %\tpeak RSS MiB\tCPU s\tretries\tlookup errors\twrong provider\t")
	var runs []*scanRun
	for _, s := range rep.Sizes {
		runs = append(runs, s.Runs...)
	}
	slices.SortStableFunc(runs, func(a, b *scanRun) int { return strings.Compare(a.Mode, b.Mode) })
	for _, r := range runs {
		qps, qpd, retries := "n/a", "n/a", "n/a"
		if r.Queries >= 0 {
			qps, qpd = fmt.Sprintf("%.0f", r.QueriesPerSec), fmt.Sprintf("%.2f", r.QueriesPerDomain)
		}
		if n, ok := r.Stats["retries"]; ok {
			retries = strconv.FormatInt(n, 10)
		}
		spread := "1"
		if r.Repeats > 1 {
			spread = fmt.Sprintf("%d, %.0f-%.0f", r.Repeats, r.PctRange[0], r.PctRange[1])
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%.1f\t%.0f\t%s\t%s\t%.0f\t%s\t%.0f\t%.1f\t%s\t%d\t%d\t\n",
			r.Mode, r.Domains, concName(r.Concurrency), r.Seconds, r.DomainsPerSec, qps, qpd,
			r.CeilingPct, spread, r.PeakRSSMiB, r.CPUSeconds, retries, r.LookupErrors, r.WrongProvider)
	}
	tw.Flush()
}

func writeReport(dir string, rep *report, text string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "mxbench.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "mxbench.txt"), []byte(text), 0o644)
}
