package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// modes maps a mode name to the --checks value it passes ("" = mxscope's
// default, every check).
var modes = map[string]string{
	"default":      "",
	"mx-spf-dmarc": "mx,spf,dmarc",
}

// scanRun is one timed `mxscope scan` over a dataset.
type scanRun struct {
	Mode        string `json:"mode"`
	Checks      string `json:"checks"`
	Domains     int    `json:"domains"`
	Concurrency int    `json:"concurrency"` // 0: mxscope's own default

	Seconds          float64 `json:"seconds"`
	DomainsPerSec    float64 `json:"domains_per_sec"`
	Queries          int64   `json:"queries"` // -1: mxscope printed no stats
	QueriesPerSec    float64 `json:"queries_per_sec"`
	QueriesPerDomain float64 `json:"queries_per_domain"`
	CeilingPct       float64 `json:"ceiling_pct"` // queries/s as a share of dnsperf's qps
	// With -repeat: how many paired runs there were (this is the median
	// one) and the lowest and highest ratio among them.
	Repeats    int        `json:"repeats,omitempty"`
	PctRange   [2]float64 `json:"ceiling_pct_range,omitzero"`
	PeakRSSMiB float64    `json:"peak_rss_mib"`
	CPUSeconds float64    `json:"cpu_seconds"`

	Rows          int              `json:"rows"`
	LookupErrors  int              `json:"lookup_errors"`
	WrongProvider int              `json:"wrong_provider"` // rows whose provider is not the generated one
	ErrorSamples  []string         `json:"error_samples,omitempty"`
	Stats         map[string]int64 `json:"stats,omitempty"` // mxscope's --stats line
}

// runScan runs mxscope over ds against the server at addr and checks its
// output.
func runScan(ctx context.Context, bin, addr string, ds *dataset, mode string, concurrency int, perfQPS float64) (*scanRun, error) {
	checks := modes[mode]
	out := filepath.Join(ds.Dir, fmt.Sprintf("out-%s-c%d.jsonl", mode, concurrency))
	args := []string{"scan", "-t", ds.Targets, "-f", "jsonl", "-o", out, "--resolver", addr, "--stats"}
	if checks != "" {
		args = append(args, "--checks", checks)
	}
	if concurrency > 0 {
		args = append(args, "--concurrency", strconv.Itoa(concurrency))
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &limitedWriter{w: &stderr, n: 1 << 20}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// On ^C mxscope gets SIGINT, writes what it has and exits 130.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second

	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start).Seconds()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w\n%s", bin, strings.Join(args, " "), err, tail(stderr.String()))
	}

	run := &scanRun{Mode: mode, Checks: checks, Domains: ds.N, Concurrency: concurrency, Seconds: wall, Queries: -1}
	if checks == "" {
		run.Checks = "all"
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		run.PeakRSSMiB = float64(ru.Maxrss) / 1024 // KiB on Linux
	}
	run.CPUSeconds = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	run.DomainsPerSec = float64(ds.N) / wall
	if st := parseStats(stderr.String()); st != nil {
		run.Stats = st
		if q, ok := st["queries"]; ok {
			run.Queries = q
			run.QueriesPerSec = float64(q) / wall
			run.QueriesPerDomain = float64(q) / float64(ds.N)
			if perfQPS > 0 {
				run.CeilingPct = 100 * run.QueriesPerSec / perfQPS
			}
		}
	}
	if run.Queries < 0 && perfQPS > 0 {
		// Without a query count, compare with the three-query ceiling.
		run.CeilingPct = 100 * run.DomainsPerSec / (perfQPS / 3)
	}

	f, err := os.Open(out)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := checkResults(f, ds, run); err != nil {
		return nil, fmt.Errorf("%s: %w", out, err)
	}
	return run, nil
}

// parseStats finds mxscope's "stats: key=N key=N ..." line; unknown keys
// are kept, fields that are not key=integer are skipped.
func parseStats(stderr string) map[string]int64 {
	var st map[string]int64
	for _, line := range strings.Split(stderr, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "stats:")
		if !ok {
			continue
		}
		st = map[string]int64{}
		for _, f := range strings.Fields(rest) {
			k, v, ok := strings.Cut(f, "=")
			if !ok {
				continue
			}
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				st[k] = n
			}
		}
	}
	return st
}

// row is the part of a result line the benchmark checks.
type row struct {
	Domain   string `json:"domain"`
	Status   string `json:"status"`
	Error    string `json:"error"`
	Provider string `json:"provider"`
	MX       []struct {
		Host   string `json:"host"`
		Status string `json:"status"`
	} `json:"mx"`
	SPF    struct{ Status string } `json:"spf"`
	DMARC  struct{ Status string } `json:"dmarc"`
	MTASTS struct{ Status string } `json:"mta_sts"`
	TLSRPT struct{ Status string } `json:"tls_rpt"`
}

// checkResults reads mxscope's jsonl and counts lookup errors: a row out of
// order or missing, a domain status other than ok or nxdomain, a domain
// that should (not) exist and did (not), an MX host that did not resolve, a
// sub-lookup that failed (temperror), or an ok domain whose lookups were cut
// short. Every name in the generated zones resolves, so each of these is a
// fault of the resolver path under load, not of the data.
func checkResults(r io.Reader, ds *dataset, run *scanRun) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), 16<<20)
	fail := func(i int, d, why string) {
		run.LookupErrors++
		if len(run.ErrorSamples) < 8 {
			run.ErrorSamples = append(run.ErrorSamples, fmt.Sprintf("row %d %s: %s", i+1, d, why))
		}
	}
	hasMX := run.Checks == "all" || slices.Contains(strings.Split(run.Checks, ","), "mx")
	i := 0
	for sc.Scan() {
		if bytes.HasPrefix(sc.Bytes(), []byte(`{"type":`)) {
			continue // the meta and summary lines; a result has no type
		}
		var rw row
		if err := json.Unmarshal(sc.Bytes(), &rw); err != nil {
			return fmt.Errorf("result %d: %w", i+1, err)
		}
		if i >= ds.N {
			fail(i, rw.Domain, "more rows than targets")
			i++
			continue
		}
		want := domainName(i + 1)
		if rw.Domain != want {
			fail(i, rw.Domain, "out of order: want "+want)
			i++
			continue
		}
		nx := ds.Kinds[i] == kindNX
		switch {
		case nx && rw.Status != "nxdomain":
			fail(i, rw.Domain, "want nxdomain, got "+rw.Status+" "+rw.Error)
		case !nx && rw.Status != "ok":
			fail(i, rw.Domain, "want ok, got "+rw.Status+" "+rw.Error)
		case !nx && rw.Error != "":
			fail(i, rw.Domain, "error: "+rw.Error)
		}
		for _, m := range rw.MX {
			if m.Status != "" && m.Status != "ok" {
				fail(i, rw.Domain, "mx "+m.Host+": "+m.Status)
			}
		}
		for name, st := range map[string]string{"spf": rw.SPF.Status, "dmarc": rw.DMARC.Status, "mta_sts": rw.MTASTS.Status, "tls_rpt": rw.TLSRPT.Status} {
			if st == "temperror" {
				fail(i, rw.Domain, name+" temperror")
			}
		}
		if hasMX && !nx && rw.Provider != ds.Provider[i] {
			run.WrongProvider++
		}
		i++
	}
	if err := sc.Err(); err != nil {
		return err
	}
	run.Rows = min(i, ds.N)
	if i < ds.N {
		run.LookupErrors += ds.N - i
		run.ErrorSamples = append(run.ErrorSamples, fmt.Sprintf("%d rows missing", ds.N-i))
	}
	return nil
}

// limitedWriter keeps the first n bytes written to it and drops the rest.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.n -= k
		if _, err := l.w.Write(p[:k]); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// machine describes where the figures came from.
type machine struct {
	CPUs      int     `json:"cpus"`
	CPUModel  string  `json:"cpu_model"`
	MemoryGiB float64 `json:"memory_gib"`
	OS        string  `json:"os"`
	Kernel    string  `json:"kernel"`
	Go        string  `json:"go"`
	LoadAvg   string  `json:"load_average"` // at the start: other work on the machine skews every figure
	NSD       string  `json:"nsd"`
	DNSPerf   string  `json:"dnsperf"`
}

func describeMachine(nsd, dnsperf string) machine {
	m := machine{CPUs: runtime.NumCPU(), Go: runtime.Version(), CPUModel: "unknown", OS: "unknown"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "MemTotal:"); ok {
				kib, _ := strconv.ParseFloat(firstField(strings.TrimSpace(v)), 64)
				m.MemoryGiB = float64(int(kib/1024/1024*10+0.5)) / 10
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
				m.OS = strings.Trim(v, `"`)
			}
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	m.NSD = toolVersion(nsd, "-v")
	m.DNSPerf = toolVersion(dnsperf, "-h")
	return m
}
