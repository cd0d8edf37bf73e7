package main

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/dnstest"
)

var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

func TestTableOnATerminalFitsItsWidthAndColours(t *testing.T) {
	srv := world(t)
	args := []string{"scan", "-t", "-", "--resolver", srv.Addr()}
	r := mxscopeWith(t, &streams{In: strings.NewReader(targetsYAML), OutTTY: true, OutWidth: 80}, args...)
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	golden(t, "testdata/scan.table-tty-80-color.golden", strings.ReplaceAll(r.stdout, srv.Addr(), "RESOLVER"))
	plain := sgr.ReplaceAllString(r.stdout, "")
	if strings.ContainsAny(plain, "\x1b\x07") {
		t.Errorf("a control character other than our colours reached the terminal:\n%q", plain)
	}
	table, _, _ := strings.Cut(plain, "\n\n")
	for _, l := range strings.Split(table, "\n") {
		if w := len([]rune(l)); w > 80 {
			t.Errorf("a table line of %d columns on an 80-column terminal:\n%s", w, l)
		}
	}
	for _, want := range []string{"\x1b[32mok\x1b[0m", "\x1b[33mnxdomain\x1b[0m", "\x1b[1;31mhigh\x1b[0m"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("want %q on a colour terminal", want)
		}
	}
	for name, io := range map[string]*streams{
		"NO_COLOR":   {In: strings.NewReader(targetsYAML), OutTTY: true, OutWidth: 80, Getenv: environ("NO_COLOR", "yes")},
		"TERM=dumb":  {In: strings.NewReader(targetsYAML), OutTTY: true, OutWidth: 80, Getenv: environ("TERM", "dumb")},
		"--no-color": {In: strings.NewReader(targetsYAML), OutTTY: true, OutWidth: 80},
		"piped":      {In: strings.NewReader(targetsYAML), OutWidth: 80},
	} {
		a := args
		if name == "--no-color" {
			a = append(a, "--no-color")
		}
		r := mxscopeWith(t, io, a...)
		if strings.Contains(r.stdout, "\x1b") {
			t.Errorf("%s: colour reached the output", name)
		}
		if name == "piped" && strings.Contains(r.stdout, "…") {
			t.Errorf("piped: the table was fitted to a width; piped output stays as it is")
		}
	}
	// -o writes a file: never colour, never fitted, whatever the terminal.
	path := t.TempDir() + "/out.txt"
	mxscopeWith(t, &streams{In: strings.NewReader(targetsYAML), OutTTY: true, OutWidth: 40}, append(args, "-o", path)...)
	if b := readFile(t, path); strings.Contains(b, "\x1b") || strings.Contains(b, "…") {
		t.Errorf("-o file holds colour or a fitted table:\n%s", b)
	}
}

func TestFindingsAndFixesAreListedForFewTargets(t *testing.T) {
	srv := world(t)
	r := mxscope(t, "", false, "scan", "--resolver", srv.Addr(), "rival.example")
	for _, want := range []string{"\nFindings and fixes:\n\nrival.example\n  high    dmarc-missing: no DMARC record at _dmarc.rival.example",
		`fix: publish a TXT record at _dmarc.rival.example: "v=DMARC1; p=none; rua=mailto:dmarc@rival.example"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("want %q in:\n%s", want, r.stdout)
		}
	}
	if r := mxscope(t, "", false, "scan", "--resolver", srv.Addr(), "--findings=false", "rival.example"); strings.Contains(r.stdout, "Findings and fixes") {
		t.Errorf("--findings=false still lists findings")
	}
	var many []string
	for i := range 10 {
		many = append(many, fmt.Sprintf("gone%d.example", i))
	}
	many = append(many, "rival.example")
	if r := mxscope(t, "", false, append([]string{"scan", "--resolver", srv.Addr()}, many...)...); strings.Contains(r.stdout, "Findings and fixes") {
		t.Errorf("eleven targets list their findings without --findings")
	}
	if r := mxscope(t, "", false, append([]string{"scan", "--resolver", srv.Addr(), "--findings"}, many...)...); !strings.Contains(r.stdout, "fix: publish a TXT record at _dmarc.rival.example") {
		t.Errorf("--findings lists no findings:\n%s", r.stdout)
	}
}

func TestFailOnFailsClosed(t *testing.T) {
	srv := world(t)
	broken := world(t)
	broken.SetHook(dnstest.RcodeFor(dns.RcodeServerFailure, "_dmarc.campaign.example."))
	tests := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stderr string
	}{
		{"nxdomain", "", []string{"--resolver", srv.Addr(), "--fail-on", "high", "campaign.example", "gone.example"},
			exitUnchecked, "1 target could not be checked: gone.example (nxdomain); --fail-on fails"},
		{"opted out", "", []string{"--resolver", srv.Addr(), "--fail-on", "high", "--allow-unchecked", "campaign.example", "gone.example"},
			exitOK, "note: 1 target could not be checked: gone.example (nxdomain); --allow-unchecked lets them pass"},
		{"invalid entry", "- campaign.example\n- not a domain!\n", []string{"-t", "-", "--resolver", srv.Addr(), "--fail-on", "high"},
			exitUnchecked, `line 2 "not a domain!" (invalid)`},
		{"a lookup failed", "", []string{"--resolver", broken.Addr(), "--fail-on", "high", "campaign.example"},
			exitUnchecked, "campaign.example (some lookups failed)"},
		{"a finding wins", "", []string{"--resolver", srv.Addr(), "--fail-on", "high", "rival.example", "gone.example"},
			exitFailOn, "(--fail-on high): dmarc-missing on rival.example"},
		{"no gate, no failure", "", []string{"--resolver", srv.Addr(), "campaign.example", "gone.example"}, exitOK, ""},
		{"filtered out, still unchecked", "", []string{"--resolver", srv.Addr(), "--fail-on", "high", "-p", "microsoft", "campaign.example", "gone.example"},
			exitUnchecked, "gone.example (nxdomain)"},
		{"opt-out needs a gate", "", []string{"--resolver", srv.Addr(), "--allow-unchecked", "campaign.example"}, exitUsage, "--allow-unchecked without --fail-on"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mxscope(t, tt.stdin, false, append([]string{"scan"}, tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, tt.code, tt.stderr)
			}
		})
	}
	r := mxscope(t, "", false, "scan", "--resolver", srv.Addr(), "--fail-on", "high", "rival.example", "gone.example")
	if !strings.Contains(r.stderr, "also, 1 target could not be checked: gone.example (nxdomain)") {
		t.Errorf("a met gate does not also name the unchecked target: %q", r.stderr)
	}
}

func TestProgressShowsTheSlowestDomainAndWhatItWaitsFor(t *testing.T) {
	defer func(tick, slow time.Duration) { progressTick, progressSlow = tick, slow }(progressTick, progressSlow)
	progressTick, progressSlow = 5*time.Millisecond, 0
	srv := world(t)
	srv.SetHook(func(q dnstest.Query) dnstest.Action {
		if q.Name == "_dmarc.rival.example." {
			return dnstest.Action{Drop: true} // unanswered until the timeout
		}
		return dnstest.Action{}
	})
	r := mxscopeWith(t, &streams{ErrTTY: true, ErrWidth: 200}, "scan", "--resolver", srv.Addr(), "--timeout", "300ms", "--retries", "1",
		"campaign.example", "rival.example", "party.example")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"of 3 done · ", " in flight", "slowest: rival.example (", "), waiting for TXT _dmarc.rival.example"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("want %q in the progress on stderr:\n%q", want, r.stderr)
		}
	}
	if !strings.HasSuffix(r.stderr, "\r\x1b[K") {
		t.Errorf("progress not cleared at the end: %q", r.stderr)
	}
	if r := mxscopeWith(t, &streams{}, "scan", "--resolver", srv.Addr(), "--timeout", "300ms", "campaign.example", "rival.example"); r.stderr != "" {
		t.Errorf("progress on a stderr that is no terminal: %q", r.stderr)
	}
	// One slow domain (campaign IT's scan of its own) shows it is alive.
	r = mxscopeWith(t, &streams{ErrTTY: true, ErrWidth: 200}, "scan", "--resolver", srv.Addr(), "--timeout", "300ms", "--retries", "1", "rival.example")
	if !strings.Contains(r.stderr, "0 of 1 done") || !strings.Contains(r.stderr, "waiting for TXT _dmarc.rival.example") {
		t.Errorf("no progress for one slow domain:\n%q", r.stderr)
	}
	// One quick domain draws nothing.
	progressSlow = time.Hour
	if r := mxscopeWith(t, &streams{ErrTTY: true, ErrWidth: 200}, "scan", "--resolver", srv.Addr(), "campaign.example"); r.stderr != "" {
		t.Errorf("progress for one quick domain: %q", r.stderr)
	}
}

func TestProgressLine(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	m := newProgressMeter(61, t0)
	tests := []struct {
		at    time.Duration
		p     scanner.Progress
		width int
		want  string
	}{
		{time.Second, scanner.Progress{Started: 20, Finished: 10}, 0, "10 of 61 done · 10 in flight"},
		{2 * time.Second, scanner.Progress{Started: 30, Finished: 20, Slowest: "slow.example", Since: t0, Waiting: "TXT _dmarc.slow.example"}, 0,
			"20 of 61 done · 10 in flight · slowest: slow.example (2s), waiting for TXT _dmarc.slow.example"},
		// After progressLong: a rate over the window and the time left.
		{10 * time.Second, scanner.Progress{Started: 52, Finished: 41, Slowest: "slow.example", Since: t0}, 0,
			"41 of 61 done · 11 in flight · 4.1/s · about 5s left · slowest: slow.example (10s)"},
		// A narrow terminal keeps what is done and what the scan waits for.
		{11 * time.Second, scanner.Progress{Started: 61, Finished: 45, Slowest: "slow.example", Since: t0, Waiting: "TXT _dmarc.slow.example"}, 100,
			"45 of 61 done · about 5s left · slowest: slow.example (11s), waiting for TXT _dmarc.slow.example"},
		{12 * time.Second, scanner.Progress{Started: 61, Finished: 46, Slowest: "slow.example", Since: t0, Waiting: "TXT _dmarc.slow.example"}, 60,
			"46 of 61 done · about 6s left · slowest: slow.example (12s)"},
		{12 * time.Second, scanner.Progress{Started: 61, Finished: 46, Slowest: "slow.example", Since: t0, Waiting: "TXT _dmarc.slow.example"}, 50,
			"46 of 61 done · slowest: slow.example (12s), wai…"},
		// A long query is cut before the time left goes: a researcher's
		// scan of thousands waiting on one TLSA name.
		{13 * time.Second, scanner.Progress{Started: 61, Finished: 47, Slowest: "c0553.research.test", Since: t0, Waiting: "TLSA _25._tcp.c0553-research-test.mail.protection.outlook.com"}, 100,
			"47 of 61 done · about 6s left · slowest: c0553.research.test (13s), waiting for TLSA _25._tcp.c055…"},
	}
	for _, tt := range tests {
		if got := m.line(tt.p, t0.Add(tt.at), tt.width); got != tt.want {
			t.Errorf("at %s: got %q; want %q", tt.at, got, tt.want)
		}
	}
	for d, want := range map[time.Duration]string{14 * time.Second: "14s", 185 * time.Second: "3m05s", 7800 * time.Second: "2h10m"} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%s) = %q; want %q", d, got, want)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestProvidersTableFitsTheTerminal(t *testing.T) {
	r := mxscopeWith(t, &streams{OutTTY: true, OutWidth: 100}, "providers")
	table, _, _ := strings.Cut(r.stdout, "\n\n")
	for _, l := range strings.Split(table, "\n") {
		if w := len([]rune(l)); w > 100 {
			t.Fatalf("a line of %d columns on a 100-column terminal:\n%s", w, l)
		}
	}
	if !strings.Contains(r.stdout, "microsoft") {
		t.Errorf("no catalog:\n%s", r.stdout)
	}
}

func TestDisplayAndGateFlagsParse(t *testing.T) {
	var got *scanOptions
	cmd := newScanCmd(&streams{}, func(_ context.Context, o *scanOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--fail-on", "high", "--allow-unchecked", "--no-color", "--findings=false", "a.example"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !got.AllowUnchecked || !got.NoColor || got.Findings || !got.FindingsSet || got.findingsWanted(1) {
		t.Errorf("parsed %+v", got)
	}
	cmd = newScanCmd(&streams{}, func(_ context.Context, o *scanOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"a.example"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.FindingsSet || !got.findingsWanted(10) || got.findingsWanted(11) {
		t.Errorf("without --findings: listed for 10 targets %v, for 11 %v; want true, false", got.findingsWanted(10), got.findingsWanted(11))
	}
	var spfGot *spfOptions
	sc := newSPFCmd(&streams{}, func(_ context.Context, o *spfOptions) error { spfGot = o; return nil })
	sc.SetArgs([]string{"a.example", "--ip", "192.0.2.1", "-f", "json"})
	if err := sc.Execute(); err != nil {
		t.Fatal(err)
	}
	if spfGot.Format != "json" || spfGot.IP != "192.0.2.1" || spfGot.Domain != "a.example" {
		t.Errorf("spf parsed %+v", spfGot)
	}
}
