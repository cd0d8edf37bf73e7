package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
)

// perfConfig is one dnsperf load shape: clients, outstanding queries,
// threads.
type perfConfig struct{ Clients, Outstanding, Threads int }

func (p perfConfig) String() string {
	return fmt.Sprintf("-c %d -q %d -T %d", p.Clients, p.Outstanding, p.Threads)
}

// perfConfigs are tried briefly; the best is then run for the full time.
// On two cores one or two sender threads and a few hundred outstanding
// queries saturate nsd; more only adds drops.
var perfConfigs = []perfConfig{
	{64, 1000, 2},
	{32, 500, 1},
	{128, 2000, 2},
	{16, 200, 1},
}

// perfResult is what one dnsperf run measured.
type perfResult struct {
	Config  string  `json:"config"`
	Seconds float64 `json:"seconds"`
	QPS     float64 `json:"qps"`
	Lost    float64 `json:"lost_pct"`
	Rcodes  string  `json:"rcodes"`
}

// runDNSPerf runs dnsperf once against addr with the query file.
func runDNSPerf(ctx context.Context, bin, addr, queries string, seconds int, pc perfConfig) (perfResult, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return perfResult{}, err
	}
	args := []string{"-s", host, "-p", port, "-d", queries, "-l", strconv.Itoa(seconds),
		"-c", strconv.Itoa(pc.Clients), "-q", strconv.Itoa(pc.Outstanding), "-T", strconv.Itoa(pc.Threads),
		"-e", "-t", "2"}
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		return perfResult{}, fmt.Errorf("dnsperf %s: %w: %s", strings.Join(args, " "), err, tail(string(out)))
	}
	r, err := parseDNSPerf(strings.NewReader(string(out)))
	if err != nil {
		return perfResult{}, fmt.Errorf("dnsperf: %w: %s", err, tail(string(out)))
	}
	r.Config = pc.String()
	return r, nil
}

// parseDNSPerf reads dnsperf's summary: "Queries per second:", "Queries
// lost:", "Response codes:" and "Run time (s):".
func parseDNSPerf(r io.Reader) (perfResult, error) {
	var res perfResult
	found := false
	sc := bufio.NewScanner(io.LimitReader(r, 1<<20))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch key {
		case "Queries per second":
			f, err := strconv.ParseFloat(firstField(val), 64)
			if err != nil {
				return res, fmt.Errorf("queries per second %q: %w", val, err)
			}
			res.QPS, found = f, true
		case "Queries lost":
			// "12 (0.00%)"
			if i, j := strings.Index(val, "("), strings.Index(val, "%"); i >= 0 && j > i {
				res.Lost, _ = strconv.ParseFloat(val[i+1:j], 64)
			}
		case "Response codes":
			res.Rcodes = val
		case "Run time (s)":
			res.Seconds, _ = strconv.ParseFloat(firstField(val), 64)
		}
	}
	if !found {
		return res, errors.New("no \"Queries per second\" line in its output")
	}
	return res, nil
}

func firstField(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

// ceiling measures nsd's capacity for the query mix: each load shape for a
// few seconds, then the best one for the full time.
func ceiling(ctx context.Context, bin, addr, queries string, seconds int, log io.Writer) (best perfResult, bestCfg perfConfig, tried []perfResult, err error) {
	probe := min(3, seconds)
	bestCfg = perfConfigs[0]
	for _, pc := range perfConfigs {
		r, err := runDNSPerf(ctx, bin, addr, queries, probe, pc)
		if err != nil {
			return best, bestCfg, tried, err
		}
		fmt.Fprintf(log, "mxbench:   dnsperf %s for %ds: %.0f qps\n", pc, probe, r.QPS)
		tried = append(tried, r)
		if r.QPS > best.QPS {
			best, bestCfg = r, pc
		}
	}
	if seconds > probe {
		if best, err = runDNSPerf(ctx, bin, addr, queries, seconds, bestCfg); err != nil {
			return best, bestCfg, tried, err
		}
		fmt.Fprintf(log, "mxbench:   dnsperf %s for %ds: %.0f qps\n", bestCfg, seconds, best.QPS)
	}
	return best, bestCfg, tried, nil
}

func tail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 800 {
		return "..." + s[len(s)-800:]
	}
	return s
}
