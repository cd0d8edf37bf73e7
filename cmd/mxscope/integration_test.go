//go:build integration

// The integration suite: the built mxscope binary scans through Debian's
// unbound, which resolves zones served by nsd (testdata/integration), all on
// loopback (scanner/dnstest/realdns). It skips where unbound or nsd is not
// installed. Run it with
//
//	go test -tags integration -run Integration ./cmd/mxscope
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mxscope/mxscope/scanner/dnstest/realdns"
)

// lossyDomains is the size of the generated zone for the lossy-network and
// interrupt tests.
const lossyDomains = 20000

// env is one nsd serving the zones and one unbound in front of it.
type env struct {
	bin     string // the mxscope binary
	nsd     *realdns.NSD
	unbound *realdns.Unbound
}

// startEnv builds mxscope and starts nsd with testdata/integration/*.zone
// plus extra, and unbound with a stub for each of those zones and for
// broken.test, which nsd does not serve (unbound answers SERVFAIL there).
func startEnv(t testing.TB, extra map[string]string) *env {
	t.Helper()
	return startEnvStubs(t, extra, nil)
}

// startEnvStubs is startEnv with more stub zones for unbound: zone name →
// "127.0.0.1@port" of a server other than nsd.
func startEnvStubs(t testing.TB, extra, more map[string]string) *env {
	t.Helper()
	realdns.Find(t, "nsd")
	realdns.Find(t, "unbound")
	return startServers(t, buildMxscope(t), extra, []string{"broken.test"}, more)
}

// startServers starts nsd with testdata/integration's zones plus extra,
// and unbound with a stub to nsd for each of them and for every name in
// lame, which nsd does not serve (it refuses them; unbound answers
// SERVFAIL), and a stub for each name in more to the server given.
func startServers(t testing.TB, bin string, extra map[string]string, lame []string, more map[string]string) *env {
	t.Helper()
	zones := map[string]string{}
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "integration", "*.zone"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no zone files in testdata/integration: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		zones[strings.TrimSuffix(filepath.Base(f), ".zone")] = string(data)
	}
	for name, text := range extra {
		zones[name] = text
	}
	n := realdns.StartNSD(t, zones)
	stubs := map[string]string{}
	for name := range zones {
		stubs[name] = n.Stub()
	}
	for _, name := range lame {
		stubs[name] = n.Stub()
	}
	for name, addr := range more {
		stubs[name] = addr
	}
	u := realdns.StartUnbound(t, stubs)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("nsd:\n%s\nunbound:\n%s", n.Log(), u.Log())
		}
	})
	return &env{bin: bin, nsd: n, unbound: u}
}

// buildMxscope builds the binary under test into the test's temporary
// directory: once per top-level test, quick with the build cache.
func buildMxscope(t testing.TB) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not in PATH: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "mxscope")
	out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build ./cmd/mxscope: %v\n%s", err, out)
	}
	return bin
}

// proc is one finished mxscope process.
type proc struct {
	code    int
	stdout  string
	stderr  string
	elapsed time.Duration
	rssMiB  float64 // peak resident set size
}

// mxscope runs the binary with args in dir (a temporary directory when
// empty), killing it after limit.
func (e *env) mxscope(t testing.TB, limit time.Duration, dir string, args ...string) proc {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.bin, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Start()
	var peak int64
	if err == nil {
		stop := watchPeakRSS(cmd.Process.Pid, &peak)
		err = cmd.Wait()
		stop()
	}
	r := proc{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(start), rssMiB: float64(peak) / 1024}
	if ctx.Err() != nil {
		t.Fatalf("mxscope %s: still running after %v\nstderr:\n%s", strings.Join(args, " "), limit, r.stderr)
	}
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("mxscope: %v", err)
	}
	return r
}

// watchPeakRSS polls the process's VmHWM (its peak resident set, in KiB)
// every 10ms into *peak until stop is called. The child's rusage will not
// do: Go starts children with a vfork-like clone, so the kernel counts the
// test process's own peak in the child's ru_maxrss. A peak in the process's
// last 10ms can be missed.
func watchPeakRSS(pid int, peak *int64) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	path := fmt.Sprintf("/proc/%d/status", pid)
	read := func() {
		data, err := os.ReadFile(path)
		if err != nil {
			return
		}
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				if kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64); err == nil && kib > *peak {
					*peak = kib
				}
			}
		}
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			read()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

// row is the part of a result line the suite checks (scanner.Result's JSON).
type row struct {
	Domain   string `json:"domain"`
	Status   string `json:"status"`
	Error    string `json:"error"`
	Mail     string `json:"mail"`
	Provider string `json:"provider"`
	Gateway  string `json:"gateway"`
	Mailbox  string `json:"mailbox"`
	MX       []struct {
		Preference int      `json:"preference"`
		Host       string   `json:"host"`
		Provider   string   `json:"provider"`
		Addresses  []string `json:"addresses"`
		Status     string   `json:"status"`
	} `json:"mx"`
	SPF struct {
		Status string `json:"status"`
		Record string `json:"record"`
	} `json:"spf"`
	DMARC struct {
		Status string `json:"status"`
		Policy string `json:"policy"`
	} `json:"dmarc"`
	DKIM struct {
		Status    string `json:"status"`
		Selectors []struct {
			Selector string `json:"selector"`
			KeyBits  int    `json:"key_bits"`
		} `json:"selectors"`
	} `json:"dkim"`
	Parked   bool      `json:"parked"`
	Findings []finding `json:"findings"`
}

type finding struct {
	ID string `json:"id"`
}

func (r row) hasFinding(id string) bool {
	return slices.Contains(r.Findings, finding{ID: id})
}

// parseJSONL splits jsonl output into result rows and the types of the
// other lines (meta, summary), failing on a line that is not JSON.
func parseJSONL(t testing.TB, out string) (rows []row, types []string) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 64<<20) // a row with thousands of MX hosts runs past a megabyte
	for n := 1; sc.Scan(); n++ {
		var typed struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(sc.Bytes(), &typed); err != nil {
			t.Fatalf("jsonl line %d is not JSON: %v\n%.300s", n, err, sc.Text())
		}
		if typed.Type != "" {
			types = append(types, typed.Type)
			continue
		}
		var r row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("jsonl line %d is not a result: %v\n%.300s", n, err, sc.Text())
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading jsonl: %v", err)
	}
	return rows, types
}

// statsRe reads the counters --stats prints to stderr.
var statsRe = regexp.MustCompile(`stats: .*\bqueries=(\d+) retries=(\d+) timeouts=(\d+) responses=(\d+) tcp=(\d+)`)

// stat returns the named counter from --stats output, or -1.
func stat(stderr, name string) int {
	m := statsRe.FindStringSubmatch(stderr)
	if m == nil {
		return -1
	}
	i := slices.Index([]string{"queries", "retries", "timeouts", "responses", "tcp"}, name)
	var n int
	fmt.Sscan(m[i+1], &n)
	return n
}

func TestIntegrationScanThroughUnbound(t *testing.T) {
	e := startEnv(t, nil)
	domains := []string{
		"ok.mx.test", "o365.mx.test", "gateway.mx.test", "nxdomain.mx.test", "nodata.mx.test",
		"implicit.mx.test", "nullmx.mx.test", "dangling.mx.test", "manymx.mx.test", "bigtxt.mx.test",
		"x.broken.test",
	}
	r := e.mxscope(t, 2*time.Minute, "", append([]string{"scan", "-f", "jsonl", "--stats", "--resolver", e.unbound.Addr}, domains...)...)
	if r.code != exitOK {
		t.Fatalf("exit code: got %d; want 0\nstderr:\n%s", r.code, r.stderr)
	}
	rows, types := parseJSONL(t, r.stdout)
	if want := []string{"meta", "summary"}; !slices.Equal(types, want) {
		t.Errorf("meta lines: got %v; want %v", types, want)
	}
	got := map[string]row{}
	var order []string
	for _, x := range rows {
		got[x.Domain] = x
		order = append(order, x.Domain)
	}
	if !slices.Equal(order, domains) {
		t.Fatalf("rows: got %v; want %v (input order)", order, domains)
	}
	t.Logf("%s", strings.TrimSpace(r.stderr))

	tests := []struct {
		name   string
		domain string
		check  func(t *testing.T, x row)
	}{
		{"a Google Workspace domain has provider google, SPF ok and DMARC reject", "ok.mx.test", func(t *testing.T, x row) {
			want(t, "status", x.Status, "ok")
			want(t, "mail", x.Mail, "mx")
			want(t, "provider", x.Provider, "google")
			want(t, "spf.status", x.SPF.Status, "ok")
			want(t, "dmarc.status", x.DMARC.Status, "ok")
			want(t, "dmarc.policy", x.DMARC.Policy, "reject")
			if len(x.MX) != 2 || x.MX[0].Host != "aspmx.l.google.com" || len(x.MX[0].Addresses) == 0 {
				t.Errorf("mx: got %+v; want aspmx.l.google.com with its address first, of 2", x.MX)
			}
			want(t, "dkim.status", x.DKIM.Status, "ok")
			if len(x.DKIM.Selectors) != 1 || x.DKIM.Selectors[0].Selector != "google" || x.DKIM.Selectors[0].KeyBits != 2048 {
				t.Errorf("dkim.selectors: got %+v; want google, 2048 bits", x.DKIM.Selectors)
			}
		}},
		{"a Microsoft 365 domain has provider microsoft and DMARC quarantine", "o365.mx.test", func(t *testing.T, x row) {
			want(t, "provider", x.Provider, "microsoft")
			want(t, "mailbox", x.Mailbox, "microsoft")
			want(t, "dmarc.policy", x.DMARC.Policy, "quarantine")
		}},
		{"a Proofpoint gateway is the provider and the gateway", "gateway.mx.test", func(t *testing.T, x row) {
			want(t, "provider", x.Provider, "proofpoint")
			want(t, "gateway", x.Gateway, "proofpoint")
		}},
		{"NXDOMAIN is status nxdomain", "nxdomain.mx.test", func(t *testing.T, x row) {
			want(t, "status", x.Status, "nxdomain")
			want(t, "mail", x.Mail, "none")
		}},
		{"NODATA (a name with no MX and no address) is ok with mail none", "nodata.mx.test", func(t *testing.T, x row) {
			want(t, "status", x.Status, "ok")
			want(t, "mail", x.Mail, "none")
		}},
		{"no MX but an address is implicit MX", "implicit.mx.test", func(t *testing.T, x row) {
			want(t, "status", x.Status, "ok")
			want(t, "mail", x.Mail, "implicit")
		}},
		{"MX 0 . is a null MX", "nullmx.mx.test", func(t *testing.T, x row) {
			want(t, "mail", x.Mail, "null-mx")
			if !x.hasFinding("null-mx") {
				t.Errorf("findings: got %+v; want null-mx", x.Findings)
			}
			if !x.Parked || x.hasFinding("dkim-none-found") {
				t.Errorf("parked %v, findings %+v; want a parked domain not nagged for DKIM", x.Parked, x.Findings)
			}
		}},
		{"an MX host that does not exist is dangling", "dangling.mx.test", func(t *testing.T, x row) {
			if len(x.MX) != 1 || x.MX[0].Status != "nxdomain" {
				t.Errorf("mx: got %+v; want one host with status nxdomain", x.MX)
			}
			if !x.hasFinding("mx-dangling") {
				t.Errorf("findings: got %+v; want mx-dangling", x.Findings)
			}
		}},
		{"25 MX records, truncated over UDP, all arrive (over TCP)", "manymx.mx.test", func(t *testing.T, x row) {
			want(t, "status", x.Status, "ok")
			if len(x.MX) != 25 {
				t.Fatalf("mx: got %d hosts; want 25", len(x.MX))
			}
			for i, m := range x.MX {
				if m.Preference != i+1 || m.Provider != "microsoft" || m.Status != "ok" {
					t.Errorf("mx[%d]: got %d %s %s %s; want preference %d, microsoft, ok", i, m.Preference, m.Host, m.Provider, m.Status, i+1)
				}
			}
		}},
		{"30 TXT records of 200 bytes, truncated over UDP, yield the SPF record", "bigtxt.mx.test", func(t *testing.T, x row) {
			want(t, "spf.status", x.SPF.Status, "ok")
			if len(x.SPF.Record) != 200 || !strings.HasPrefix(x.SPF.Record, "v=spf1 include:_spf.google.com ") {
				t.Errorf("spf.record: got %q (%d bytes); want the 200-byte record", x.SPF.Record, len(x.SPF.Record))
			}
			want(t, "dmarc.policy", x.DMARC.Policy, "quarantine")
		}},
		{"a zone the authoritative server refuses is SERVFAIL", "x.broken.test", func(t *testing.T, x row) {
			want(t, "status", x.Status, "servfail")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, got[tt.domain]) })
	}
	t.Run("truncated answers were fetched over TCP", func(t *testing.T) {
		if n := stat(r.stderr, "tcp"); n < 2 {
			t.Errorf("TCP fallbacks: got %d; want at least 2 (manymx MX, bigtxt TXT)", n)
		}
	})
	t.Run("-o writes the same report and nothing else", func(t *testing.T) {
		dir := t.TempDir()
		r := e.mxscope(t, 2*time.Minute, dir, append([]string{"scan", "-f", "jsonl", "-o", "report.jsonl", "--resolver", e.unbound.Addr}, domains...)...)
		if r.code != exitOK || r.stdout != "" {
			t.Fatalf("exit code %d, stdout %q; want 0 and nothing\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
		if names := dirNames(t, dir); !slices.Equal(names, []string{"report.jsonl"}) {
			t.Errorf("files: got %v; want [report.jsonl]", names)
		}
		data, err := os.ReadFile(filepath.Join(dir, "report.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := parseJSONL(t, string(data))
		for i, x := range rows {
			if verdict(x) != verdict(got[x.Domain]) || x.Domain != domains[i] {
				t.Errorf("row %d: got %s %s; want %s %s", i, x.Domain, verdict(x), domains[i], verdict(got[domains[i]]))
			}
		}
	})
}

// dirNames lists the names in dir, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, en := range entries {
		names = append(names, en.Name())
	}
	return names
}

func want(t *testing.T, field, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %q; want %q", field, got, want)
	}
}

func TestIntegrationResolvers(t *testing.T) {
	e := startEnv(t, nil)
	dead := fmt.Sprintf("127.0.0.1:%d", realdns.FreePort(t)) // nothing listens: ICMP port unreachable
	hole := realdns.BlackHole(t)                             // accepts, never answers

	for _, tt := range []struct {
		name      string
		resolvers []string
	}{
		{"a dead resolver before a live one", []string{dead, e.unbound.Addr}},
		{"a silent resolver before a live one", []string{hole, e.unbound.Addr}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"scan", "-f", "jsonl", "--timeout", "500ms"}
			for _, s := range tt.resolvers {
				args = append(args, "--resolver", s)
			}
			r := e.mxscope(t, time.Minute, "", append(args, "ok.mx.test", "o365.mx.test", "nxdomain.mx.test")...)
			if r.code != exitOK {
				t.Fatalf("exit code: got %d; want 0\nstderr:\n%s", r.code, r.stderr)
			}
			rows, _ := parseJSONL(t, r.stdout)
			var got []string
			for _, x := range rows {
				got = append(got, x.Domain+"="+x.Status+"/"+x.Provider)
			}
			want := []string{"ok.mx.test=ok/google", "o365.mx.test=ok/microsoft", "nxdomain.mx.test=nxdomain/none"}
			if !slices.Equal(got, want) {
				t.Errorf("rows: got %v; want %v", got, want)
			}
		})
	}

	t.Run("only a resolver that never answers is one clear error", func(t *testing.T) {
		dir := t.TempDir()
		r := e.mxscope(t, time.Minute, dir, "scan", "-f", "jsonl", "--timeout", "300ms", "--retries", "1",
			"--resolver", hole, "ok.mx.test", "o365.mx.test", "nxdomain.mx.test")
		stdout := e.mxscope(t, time.Minute, dir, "scan", "-f", "jsonl", "-o", "report.jsonl", "--timeout", "300ms", "--retries", "1",
			"--resolver", hole, "ok.mx.test").stdout
		if got := dirNames(t, dir); len(got) > 0 || stdout != "" {
			t.Errorf("with -o: files %v, stdout %q; want neither", got, stdout)
		}
		if r.code != exitError {
			t.Errorf("exit code: got %d; want %d", r.code, exitError)
		}
		if !strings.Contains(r.stderr, "no DNS resolver answered") {
			t.Errorf("stderr: got %q; want it to say no DNS resolver answered", r.stderr)
		}
		if strings.Contains(r.stdout, "timeout") || strings.Count(r.stderr, "\n") > 3 {
			t.Errorf("want no table of timeouts; got stdout %q, stderr %q", r.stdout, r.stderr)
		}
	})
}

// lossyZone generates lossy.test: d00000 ... d19999, spread over five kinds
// of mail hosting (Google, Microsoft, Proofpoint, self-hosted, an unknown
// host) and four DMARC states (reject, quarantine, none, no record). Every
// 1000th name (d00500, d01500, ...) is left out: NXDOMAIN. mailhost.test
// is the unknown provider's zone.
func lossyZone() (zones map[string]string, targets []string) {
	var z strings.Builder
	z.WriteString("$TTL 3600\n@ SOA ns.lossy.test. hostmaster.lossy.test. 1 3600 600 86400 3600\n@ NS ns\nns A 127.0.0.1\nmail A 192.0.2.40\n")
	mx := []string{
		"MX 1 aspmx.l.google.com.\n%[1]s MX 5 alt1.aspmx.l.google.com.",
		"MX 0 lossy-test.mail.protection.outlook.com.",
		"MX 10 mx0a-00112233.pphosted.com.",
		"MX 10 mail.lossy.test.",
		"MX 10 mx1.mailhost.test.",
	}
	spf := []string{
		"v=spf1 include:_spf.google.com ~all",
		"v=spf1 include:spf.protection.outlook.com -all",
		"v=spf1 include:spf-00112233.pphosted.com -all",
		"v=spf1 a:mail.lossy.test -all",
		"v=spf1 include:spf.mailhost.test ?all",
	}
	policy := []string{"reject", "quarantine", "none", ""}
	for i := range lossyDomains {
		d := fmt.Sprintf("d%05d", i)
		targets = append(targets, d+".lossy.test")
		if i%1000 == 500 {
			continue
		}
		fmt.Fprintf(&z, "%s "+mx[i%5]+"\n", d)
		fmt.Fprintf(&z, "%s TXT %q\n", d, spf[i%5])
		if p := policy[i%4]; p != "" {
			fmt.Fprintf(&z, "_dmarc.%s TXT \"v=DMARC1; p=%s; rua=mailto:dmarc@lossy.test\"\n", d, p)
		}
	}
	return map[string]string{
		"lossy.test":    z.String(),
		"mailhost.test": "$TTL 3600\n@ SOA ns.mailhost.test. h.mailhost.test. 1 3600 600 86400 3600\n@ NS ns\nns A 127.0.0.1\nmx1 A 192.0.2.50\nspf TXT \"v=spf1 ip4:192.0.2.48/29 ?all\"\n",
	}, targets
}

// writeTargets writes a targets file (a YAML list) and returns its path.
func writeTargets(t testing.TB, domains []string) string {
	t.Helper()
	var b strings.Builder
	for _, d := range domains {
		b.WriteString("- " + d + "\n")
	}
	path := filepath.Join(t.TempDir(), "targets.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// verdict is what must not change between a clean and a lossy scan.
func verdict(x row) string {
	return fmt.Sprintf("status=%s mail=%s provider=%s gateway=%s mailbox=%s spf=%s dmarc=%s/%s",
		x.Status, x.Mail, x.Provider, x.Gateway, x.Mailbox, x.SPF.Status, x.DMARC.Status, x.DMARC.Policy)
}

// Flags of the scans of the 20,000 domains. Both run the lookups that
// decide the provider and the DMARC verdict (mx, addr, spf, dmarc: about
// three queries a domain once shared names are cached); the other checks
// would quadruple the queries, and under 30% loss a third of all queries
// waits out a timeout, which would take the suite past its five minutes on
// a two-core machine.
//
// Both scans keep mxscope's default timeout (2s) and retries (3, the last
// over TCP): the lossy scan is the measurement those defaults were chosen
// from (README, "Timeouts and retries"). Three UDP tries are all dropped for
// 2.7% of queries; the TCP try then gets through, since TCP retransmits
// what the network drops. 2000 domains in flight keep the lossy scan short
// although so many queries wait out a timeout.
var (
	scanChecks = []string{"--checks", "mx,addr,spf,dmarc"}
	cleanFlags = scanChecks
	lossyFlags = append([]string{"--concurrency", "2000"}, scanChecks...)
)

func TestIntegrationLossyNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("integration: the 20,000-domain lossy scan is not short")
	}
	zones, domains := lossyZone()
	e := startEnv(t, zones)
	targets := writeTargets(t, domains)

	scan := func(t *testing.T, resolver string, flags ...string) ([]row, proc) {
		t.Helper()
		args := append([]string{"scan", "-f", "jsonl", "--stats", "-t", targets, "--resolver", resolver}, flags...)
		r := e.mxscope(t, 5*time.Minute, "", args...)
		if r.code != exitOK {
			t.Fatalf("exit code: got %d; want 0\nstderr:\n%s", r.code, r.stderr)
		}
		rows, types := parseJSONL(t, r.stdout)
		if want := []string{"meta", "summary"}; !slices.Equal(types, want) {
			t.Errorf("meta lines: got %v; want %v", types, want)
		}
		if len(rows) != lossyDomains {
			t.Fatalf("rows: got %d; want exactly %d", len(rows), lossyDomains)
		}
		for i, x := range rows {
			if x.Domain != domains[i] {
				t.Fatalf("row %d: got %s; want %s (input order)", i, x.Domain, domains[i])
			}
		}
		return rows, r
	}

	clean, cr := scan(t, e.unbound.Addr, cleanFlags...)
	t.Logf("clean scan: %d rows in %v; %s", len(clean), cr.elapsed.Round(time.Millisecond), strings.TrimSpace(cr.stderr))
	checkLossyExpectations(t, clean)

	p := realdns.StartLossyProxy(t, e.unbound.Addr, 0.30, 200*time.Millisecond, 20240601)
	lossy, lr := scan(t, p.Addr, lossyFlags...)
	t.Logf("lossy scan (30%% UDP dropped, delays up to 200ms; %s): %d rows in %v, retries=%d; proxy dropped %d, forwarded %d, tcp %d; %s",
		strings.Join(lossyFlags, " "), len(lossy), lr.elapsed.Round(time.Millisecond), stat(lr.stderr, "retries"),
		p.Dropped.Load(), p.Forwarded.Load(), p.TCPConns.Load(), strings.TrimSpace(lr.stderr))

	sameVerdicts(t, "lossy", clean, lossy)
	if p.Dropped.Load() == 0 || stat(lr.stderr, "retries") <= 0 {
		t.Errorf("the lossy scan saw no loss: dropped %d, retries %d", p.Dropped.Load(), stat(lr.stderr, "retries"))
	}

	// A stale first entry in resolv.conf: an address where nothing
	// listens, listed before the lossy path. It is set aside at its
	// first ICMP port unreachable, so no row pays for it.
	t.Run("a dead address listed first", func(t *testing.T) {
		dead := fmt.Sprintf("127.0.0.1:%d", realdns.FreePort(t))
		deadFirst, dr := scan(t, dead, slices.Concat(lossyFlags, []string{"--resolver", p.Addr})...)
		t.Logf("dead address, then the lossy proxy: %d rows in %v; %s", len(deadFirst), dr.elapsed.Round(time.Millisecond), strings.TrimSpace(dr.stderr))
		sameVerdicts(t, "dead-first", clean, deadFirst)
		if st := resolverStats(dr.stderr, dead); st["set_aside"] != 1 || st["queries"] > 100 {
			t.Errorf("the dead address: %v; want it set aside once, after a handful of queries", st)
		}
	})
}

// sameVerdicts fails the test for rows whose verdict differs from the
// clean scan's.
func sameVerdicts(t *testing.T, what string, clean, got []row) {
	t.Helper()
	diffs := 0
	for i := range clean {
		if a, b := verdict(clean[i]), verdict(got[i]); a != b {
			if diffs++; diffs <= 10 {
				t.Errorf("%s: clean %s; %s %s", clean[i].Domain, a, what, b)
			}
		}
	}
	if diffs > 0 {
		t.Errorf("%d of %d domains differ between the clean and the %s scan", diffs, len(clean), what)
	}
}

// resolverStats reads one resolver's --stats line: its counters, and
// "up" 1 or 0.
func resolverStats(stderr, addr string) map[string]int {
	for _, line := range strings.Split(stderr, "\n") {
		rest, ok := strings.CutPrefix(line, "stats: resolver "+addr+" ")
		if !ok {
			continue
		}
		st := map[string]int{}
		for _, f := range strings.Fields(rest) {
			if f == "up" {
				st["up"] = 1
			}
			if k, v, ok := strings.Cut(f, "="); ok {
				n, _ := strconv.Atoi(v)
				st[k] = n
			}
		}
		return st
	}
	return nil
}

// checkLossyExpectations checks the clean scan against the zone lossyZone
// generated, so that "same as the clean scan" means "right".
func checkLossyExpectations(t testing.TB, rows []row) {
	t.Helper()
	providers := []string{"google", "microsoft", "proofpoint", "self-hosted", "unknown"}
	policies := []string{"reject", "quarantine", "none", ""}
	bad := 0
	for i, x := range rows {
		wantStatus, wantProvider, wantPolicy, wantDMARC := "ok", providers[i%5], policies[i%4], "ok"
		if wantPolicy == "" {
			wantDMARC = "none"
		}
		if i%1000 == 500 {
			wantStatus, wantProvider = "nxdomain", "none"
		}
		ok := x.Status == wantStatus && (wantStatus != "ok" || x.Provider == wantProvider && x.DMARC.Status == wantDMARC && x.DMARC.Policy == wantPolicy && x.SPF.Status == "ok")
		if !ok {
			if bad++; bad <= 10 {
				t.Errorf("%s: got %s; want status=%s provider=%s spf=ok dmarc=%s/%s", x.Domain, verdict(x), wantStatus, wantProvider, wantDMARC, wantPolicy)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d rows of the clean scan are not what the zone says", bad, len(rows))
	}
}

func TestIntegrationInterrupt(t *testing.T) {
	zones, domains := lossyZone()
	e := startEnv(t, zones)
	targets := writeTargets(t, domains)
	dir := t.TempDir()
	out := filepath.Join(dir, "scan.jsonl")

	// With every check and a cold cache, 20,000 domains take far longer
	// than the second before the interrupt.
	cmd := exec.Command(e.bin, "scan", "-f", "jsonl", "-o", out, "-t", targets, "--resolver", e.unbound.Addr)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		t.Fatalf("mxscope ended before the interrupt: %v\n%s", err, stderr.String())
	case <-time.After(time.Second):
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-exited
		t.Fatalf("mxscope still running 30s after SIGINT\n%s", stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Errorf("exit code: got %d; want %d\nstderr:\n%s", code, exitInterrupted, stderr.String())
	}
	t.Logf("stderr: %s", strings.TrimSpace(stderr.String()))

	for _, name := range dirNames(t, dir) {
		if name != "scan.jsonl" {
			t.Errorf("left behind: %s", name)
		}
	}
	data, err := os.ReadFile(out)
	if os.IsNotExist(err) {
		t.Logf("no output file: allowed")
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Errorf("the output file ends in the middle of a line")
	}
	rows, types := parseJSONL(t, string(data))
	if len(types) == 0 || types[0] != "meta" {
		t.Errorf("line types: got %v; want meta first", types)
	}
	if len(rows) >= lossyDomains {
		t.Errorf("rows: got %d; want fewer than %d (interrupted)", len(rows), lossyDomains)
	}
	for i, x := range rows {
		if x.Domain != domains[i] {
			t.Fatalf("row %d: got %s; want %s: the rows must be a prefix of the input order", i, x.Domain, domains[i])
		}
	}
	t.Logf("interrupted after 1s: %d complete rows, a prefix of the input", len(rows))
	if !slices.Equal(types, []string{"meta", "summary"}) || !strings.Contains(string(data), `{"type":"summary",`) || !strings.Contains(string(data), `"partial":true`) {
		t.Errorf("line types %v; want one meta and one summary that says partial", types)
	}

	// The hint on stderr is the command to carry on with; run it.
	m := regexp.MustCompile(`(?m)^hint: carry on with: (mxscope scan .* --resume \S+)$`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("stderr does not say how to carry on:\n%s", stderr.String())
	}
	args := strings.Fields(m[1])[1:]
	if want := []string{"scan", "--format", "jsonl", "--output", out, "--resolver", e.unbound.Addr, "--targets", targets, "--resume", out}; !slices.Equal(args, want) {
		t.Fatalf("the hint's command: %v; want %v", args, want)
	}
	r := e.mxscope(t, 5*time.Minute, dir, args...)
	if r.code != exitOK {
		t.Fatalf("resume: exit %d\n%s", r.code, r.stderr)
	}
	data, err = os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	all, types := parseJSONL(t, string(data))
	if !slices.Equal(types, []string{"meta", "summary"}) || strings.Contains(string(data), `"partial":true`) {
		t.Errorf("after resuming, line types %v; want one meta and one complete summary", types)
	}
	if len(all) != lossyDomains {
		t.Fatalf("after resuming: %d rows; want %d", len(all), lossyDomains)
	}
	for i, x := range all {
		if x.Domain != domains[i] {
			t.Fatalf("after resuming, row %d: got %s; want %s", i, x.Domain, domains[i])
		}
	}
	checkLossyExpectations(t, all)
	for _, name := range dirNames(t, dir) {
		if name != "scan.jsonl" {
			t.Errorf("left behind: %s", name)
		}
	}
}

// An interrupt before the scan has begun (here during the pre-scan
// question, which a silent resolver leaves waiting) leaves an earlier
// report as it was.
func TestIntegrationInterruptBeforeTheScanKeepsTheReport(t *testing.T) {
	bin := buildMxscope(t)
	hole := realdns.BlackHole(t)
	dir := t.TempDir()
	keep := filepath.Join(dir, "keep.csv")
	const earlier = "domain,status\ncampaign.example,ok\n"
	if err := os.WriteFile(keep, []byte(earlier), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "scan", "-f", "csv", "-o", keep, "--resolver", hole, "--timeout", "5s", "ok.mx.test", "o365.mx.test")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // inside the first 5-second wait for an answer
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("mxscope still running 30s after SIGINT\n%s", stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Errorf("exit code %d; want %d\n%s", code, exitInterrupted, stderr.String())
	}
	if got, _ := os.ReadFile(keep); string(got) != earlier {
		t.Errorf("keep.csv now holds %q; want it as it was", got)
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"keep.csv"}) {
		t.Errorf("files: %v; want only keep.csv", names)
	}
	if !strings.Contains(stderr.String(), "interrupted before any target was scanned; "+keep+" is as it was") {
		t.Errorf("stderr: %s", stderr.String())
	}
}

// A resolver that goes silent in mid-scan is set aside while the other
// answers, probed, and used again once it answers; no row suffers.
func TestIntegrationSilentResolverComesBack(t *testing.T) {
	if testing.Short() {
		t.Skip("integration: a 20,000-domain scan is not short")
	}
	zones, domains := lossyZone()
	e := startEnv(t, zones)
	targets := writeTargets(t, domains)
	clean, _ := e.scanClean(t, domains, scanChecks)
	p := realdns.StartLossyProxy(t, e.unbound.Addr, 0, 0, 1) // a plain relay until silenced

	// The scan sends some 60,000 queries; a cap of 6,000 a second makes it
	// last ten seconds however fast the machine, long enough for the
	// silence at 1s, the return at 2s and the probes after it (250 ms,
	// doubling up to 5 s). Left uncapped, a fast machine finished the
	// scan before the first probe after the silence.
	cmd := exec.Command(e.bin, append([]string{"scan", "-f", "jsonl", "--stats", "-t", targets, "--concurrency", "32", "--qps", "6000",
		"--resolver", p.Addr, "--resolver", e.unbound.Addr}, scanChecks...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	time.Sleep(time.Second)
	p.SetSilent(true)
	time.Sleep(time.Second)
	p.SetSilent(false)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("mxscope: %v\n%s", err, stderr.String())
		}
	case <-time.After(5 * time.Minute):
		cmd.Process.Kill()
		<-exited
		t.Fatalf("mxscope still running after 5 minutes\n%s", stderr.String())
	}
	t.Logf("%s", strings.TrimSpace(stderr.String()))
	rows, _ := parseJSONL(t, stdout.String())
	if len(rows) != len(clean) {
		t.Fatalf("rows: got %d; want %d", len(rows), len(clean))
	}
	sameVerdicts(t, "silent-in-mid-scan", clean, rows)
	st := resolverStats(stderr.String(), p.Addr)
	if st["set_aside"] < 1 || st["restored"] < 1 || st["up"] != 1 {
		t.Errorf("the resolver that went silent: %v; want set aside, then restored, and up at the end", st)
	}
	if p.Dropped.Load() == 0 {
		t.Errorf("the proxy dropped nothing: the silence fell outside the scan")
	}
}

// A target whose own name servers never answer does not stop the scan:
// the check before it asks about the root, not about the first target,
// and the target is one failed row like any other.
func TestIntegrationDeadNameServersAreOneRow(t *testing.T) {
	hole := realdns.BlackHole(t)
	e := startEnvStubs(t, nil, map[string]string{"deadns.test": strings.Replace(hole, ":", "@", 1)})
	r := e.mxscope(t, 2*time.Minute, "", "scan", "-f", "jsonl", "--resolver", e.unbound.Addr, "www.deadns.test", "ok.mx.test")
	if r.code != exitOK {
		t.Fatalf("exit code: got %d; want 0\nstderr:\n%s", r.code, r.stderr)
	}
	rows, _ := parseJSONL(t, r.stdout)
	if len(rows) != 2 {
		t.Fatalf("rows: got %d; want 2\nstderr:\n%s", len(rows), r.stderr)
	}
	dead, ok := rows[0], rows[1]
	if dead.Status != "timeout" && dead.Status != "servfail" || dead.Mail != "unknown" || !dead.hasFinding("lookup-failed") || dead.hasFinding("dmarc-missing") {
		t.Errorf("www.deadns.test: status %s, mail %s, findings %v; want timeout (or SERVFAIL from unbound), unknown, lookup-failed only", dead.Status, dead.Mail, dead.Findings)
	}
	if ok.Status != "ok" || ok.Provider != "google" {
		t.Errorf("ok.mx.test: %s; want ok, google", verdict(ok))
	}
	t.Logf("www.deadns.test: %s (%s) after %v", dead.Status, dead.Error, r.elapsed.Round(time.Millisecond))
}

// Answers of any size keep the scan within its memory bound: every TXT
// answer under fat.test is 60 KB, 3,501 records. Fetching 7,000 of them
// over TCP swamps the single unbound thread, and many lookups time out (in
// the baseline too): a row must then say temperror, never a false verdict.
func TestIntegrationFatAnswersStayWithinTheMemoryBound(t *testing.T) {
	if testing.Short() {
		t.Skip("integration: 1,000 domains of 60 KB answers are not short")
	}
	e := startEnv(t, map[string]string{"fat.test": fatZone()})
	var domains []string
	for i := range 1000 {
		domains = append(domains, fmt.Sprintf("d%04d.fat.test", i))
	}
	r := e.mxscope(t, 10*time.Minute, "", "scan", "-f", "jsonl", "--stats", "-t", writeTargets(t, domains), "--resolver", e.unbound.Addr)
	if r.code != exitOK {
		t.Fatalf("exit code: got %d; want 0\nstderr:\n%s", r.code, r.stderr)
	}
	t.Logf("%d domains in %v, peak RSS %.0f MiB; %s", len(domains), r.elapsed.Round(time.Millisecond), r.rssMiB, strings.TrimSpace(r.stderr))
	if r.rssMiB > 256 {
		t.Errorf("peak RSS %.0f MiB; want at most 256", r.rssMiB)
	}
	rows, _ := parseJSONL(t, r.stdout)
	if len(rows) != len(domains) {
		t.Fatalf("rows: got %d; want %d", len(rows), len(domains))
	}
	bad, right := 0, 0
	for _, x := range rows {
		spfOK := x.SPF.Status == "ok" || x.SPF.Status == "temperror"
		dmarcOK := x.DMARC.Status == "ok" && x.DMARC.Policy == "reject" || x.DMARC.Status == "temperror"
		if x.Status != "ok" && x.Status != "timeout" || !spfOK || !dmarcOK {
			if bad++; bad <= 5 {
				t.Errorf("%s: %s; want ok (or timeout), spf ok, dmarc reject, each or temperror", x.Domain, verdict(x))
			}
		}
		if x.Status == "ok" && x.SPF.Status == "ok" && x.DMARC.Status == "ok" {
			right++
		}
	}
	if right == 0 {
		t.Errorf("no row has SPF and DMARC both found: the fat answers were never parsed")
	}
	t.Logf("%d of %d rows with SPF and DMARC both found, the rest temperror", right, len(rows))
}
