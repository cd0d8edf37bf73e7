package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/dnstest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func init() {
	now = func() time.Time { return time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC) }
	version = "test"
}

// world starts the test DNS world and returns its address.
func world(t *testing.T) *dnstest.Server {
	t.Helper()
	zone, err := os.ReadFile("testdata/world.zone")
	if err != nil {
		t.Fatal(err)
	}
	return dnstest.New(t, string(zone))
}

type result struct {
	code           int
	stdout, stderr string
}

// mxscope runs the command in-process with buffers for its streams; tty
// makes standard output a terminal of unknown width, without colour.
func mxscope(t *testing.T, stdin string, tty bool, args ...string) result {
	t.Helper()
	return mxscopeWith(t, &streams{In: strings.NewReader(stdin), OutTTY: tty, Getenv: environ("NO_COLOR", "1")}, args...)
}

// mxscopeWith runs the command with the terminal facts of io; its output
// streams are replaced by buffers.
func mxscopeWith(t *testing.T, io *streams, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	io.Out, io.Err = &out, &errb
	if io.In == nil {
		io.In = strings.NewReader("")
	}
	code := run(context.Background(), args, io)
	return result{code, out.String(), errb.String()}
}

// environ is an environment of key, value pairs.
func environ(kv ...string) func(string) string {
	return func(k string) string {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == k {
				return kv[i+1]
			}
		}
		return ""
	}
}

const targetsYAML = `targets:
  - {domain: campaign.example, candidate: Jane Doe, party: D, year: 2024}
  - {domain: rival.example, candidate: John Roe, party: R, year: 2024}
  - {domain: party.example, committee: Example Party}
  - not a domain!
  - {domain: gone.example, candidate: Nobody}
  - hostile.example
`

func TestScanFormatsMatchGoldenFiles(t *testing.T) {
	srv := world(t)
	for _, format := range []string{"table", "json", "jsonl", "csv", "markdown", "html"} {
		for _, tty := range []bool{false, true} {
			if tty && format != "table" {
				continue
			}
			name := format
			if tty {
				name += "-tty"
			}
			t.Run(name, func(t *testing.T) {
				r := mxscope(t, targetsYAML, tty, "scan", "-t", "-", "-f", format, "--resolver", srv.Addr(), "--timeout", "1s", "--retries", "1")
				if r.code != exitOK {
					t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
				}
				got := strings.ReplaceAll(r.stdout, srv.Addr(), "RESOLVER")
				golden(t, filepath.Join("testdata", "scan."+name+".golden"), got)
				if strings.ContainsAny(got, "\x1b\x07") {
					t.Errorf("raw control characters from DNS reached the %s output", format)
				}
				if !strings.Contains(r.stderr, "stdin:5: invalid entry") {
					t.Errorf("stderr does not name the invalid entry's line:\n%s", r.stderr)
				}
			})
		}
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/mxscope -update)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test ./cmd/mxscope -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestJSONRowsKeepInputOrderAndLabels(t *testing.T) {
	srv := world(t)
	r := mxscope(t, targetsYAML, false, "scan", "-t", "-", "-f", "json", "--resolver", srv.Addr())
	var doc struct {
		Schema  int `json:"schema"`
		Results []struct {
			Domain string          `json:"domain"`
			Status string          `json:"status"`
			Labels json.RawMessage `json:"labels"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("json output does not parse: %v\n%s", err, r.stdout)
	}
	var got []string
	for _, x := range doc.Results {
		got = append(got, x.Domain+":"+x.Status)
	}
	want := "campaign.example:ok rival.example:ok party.example:ok :invalid gone.example:nxdomain hostile.example:ok"
	if strings.Join(got, " ") != want || doc.Schema != 1 {
		t.Errorf("results %v, schema %d; want %s, schema 1", got, doc.Schema, want)
	}
	var labels bytes.Buffer
	json.Compact(&labels, doc.Results[0].Labels)
	if labels.String() != `{"candidate":"Jane Doe","party":"D","year":2024}` {
		t.Errorf("labels = %s; want them in file order with year a number", labels.String())
	}
}

func TestProviderFilterIsTheReutersInspection(t *testing.T) {
	srv := world(t)
	scan := func(args ...string) result {
		t.Helper()
		return mxscope(t, targetsYAML, false, append([]string{"scan", "-t", "-", "--provider", "microsoft", "--resolver", srv.Addr()}, args...)...)
	}
	csvRows := func(out string) map[string]string {
		t.Helper()
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		col := slices.Index(recs[0], "match")
		if col < 0 {
			t.Fatalf("no match column in %q", recs[0])
		}
		got := map[string]string{}
		for _, r := range recs[1:] {
			got[r[0]] = r[col]
		}
		return got
	}

	// By default: the MX layer and medium-or-high mailbox answers.
	// party.example (Proofpoint in front, Microsoft known from one SPF
	// include only) is a possible match, not listed.
	if got := csvRows(scan("-f", "csv").stdout); !maps.Equal(got, map[string]string{"campaign.example": "mx"}) {
		t.Errorf("--provider microsoft kept %v; want campaign.example (MX layer) only", got)
	}
	// --possible adds it, marked as such.
	if got := csvRows(scan("-f", "csv", "--possible").stdout); !maps.Equal(got, map[string]string{"campaign.example": "mx", "party.example": "possible"}) {
		t.Errorf("--provider microsoft --possible kept %v; want campaign.example mx, party.example possible", got)
	}

	// JSON: the match layer on every row, and a summary over the whole scan.
	var doc struct {
		Results []struct {
			Domain string          `json:"domain"`
			Match  []scanner.Match `json:"match"`
		} `json:"results"`
		Summary scanner.Summary `json:"summary"`
	}
	if err := json.Unmarshal([]byte(scan("-f", "json").stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Results) != 1 || !slices.Equal(doc.Results[0].Match, []scanner.Match{{Provider: "microsoft", Layer: "mx"}}) {
		t.Errorf("json results %+v; want campaign.example with match [microsoft mx]", doc.Results)
	}
	m := doc.Summary.Match
	if m == nil || m.MX != 1 || m.Mailbox != 0 || m.Possible != 1 || doc.Summary.Scanned != 4 || doc.Summary.Targets != 6 {
		t.Errorf("summary match %+v, scanned %d, targets %d; want mx 1, possible 1, of 4 resolved, 6 listed", m, doc.Summary.Scanned, doc.Summary.Targets)
	}

	// The table says it in words, with the whole scan's denominator.
	out := scan().stdout
	for _, want := range []string{"Matching microsoft: 1 of 4 resolved targets (6 listed)", "possible  1  low confidence only; not listed (--possible lists them)"} {
		if !strings.Contains(out, want) {
			t.Errorf("table summary lacks %q:\n%s", want, out)
		}
	}

	if r := mxscope(t, "", false, "scan", "--possible", "x.example"); r.code != exitUsage || !strings.Contains(r.stderr, "--possible needs --provider") {
		t.Errorf("--possible without --provider: exit %d, stderr %q; want a usage error", r.code, r.stderr)
	}
}

func TestExitCodes(t *testing.T) {
	srv := world(t)
	dead := deadResolver(t)
	lying := dnstest.New(t, "")
	lying.SetHook(func(dnstest.Query) dnstest.Action { return dnstest.Action{Rcode: dns.RcodeNameError} })
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"unknown flag", []string{"scan", "--bogus"}, exitUsage, "unknown flag"},
		{"unknown format", []string{"scan", "-f", "xml", "x.example"}, exitUsage, `unknown format "xml"`},
		{"unknown severity", []string{"scan", "--fail-on", "dire", "x.example"}, exitUsage, "unknown severity"},
		{"unknown provider", []string{"scan", "-p", "nosuch", "x.example"}, exitUsage, `unknown provider id "nosuch"`},
		{"unknown check", []string{"scan", "--checks", "mx,nope", "x.example"}, exitUsage, "unknown check"},
		{"bad DKIM selector", []string{"scan", "--dkim-selector", "sel ector", "x.example"}, exitUsage, `invalid DKIM selector "sel ector"`},
		{"bad resolver", []string{"scan", "--resolver", "[::1", "x.example"}, exitUsage, "invalid resolver address"},
		{"missing targets file", []string{"scan", "-t", "/nonexistent/targets.yaml"}, exitError, "hint:"},
		{"fail-on met", []string{"scan", "--resolver", srv.Addr(), "--fail-on", "high", "rival.example"}, exitFailOn, "severity high"},
		{"fail-on not met", []string{"scan", "--resolver", srv.Addr(), "--fail-on", "high", "campaign.example"}, exitOK, ""},
		{"lying resolver", []string{"scan", "--resolver", lying.Addr(), "campaign.example"}, exitError, "even the root zone does not exist"},
		{"no resolver answers", []string{"scan", "--resolver", dead, "--timeout", "100ms", "--retries", "0", "campaign.example", "rival.example"}, exitError, "no DNS resolver answered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mxscope(t, "", false, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d; want %d\nstderr: %s", r.code, tt.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr = %q; want it to contain %q", r.stderr, tt.stderr)
			}
			if tt.code == exitError && strings.Contains(tt.stderr, "no DNS resolver") {
				if r.stdout != "" || strings.Count(r.stderr, "no DNS resolver answered") != 1 {
					t.Errorf("want one clear error and no report; got stdout %q stderr %q", r.stdout, r.stderr)
				}
			}
		})
	}
}

// deadResolver is a UDP port that never answers.
func deadResolver(t *testing.T) string {
	srv := dnstest.New(t, "")
	srv.SetHook(func(dnstest.Query) dnstest.Action { return dnstest.Action{Drop: true} })
	return srv.Addr()
}

func TestOutputFileIsWrittenAtomically(t *testing.T) {
	srv := world(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	r := mxscope(t, "", false, "scan", "-f", "csv", "-o", path, "--resolver", srv.Addr(), "campaign.example")
	if r.code != exitOK || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q; want 0 and nothing on stdout", r.code, r.stdout)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "out.csv" {
		t.Errorf("directory holds %v; want only out.csv (no temporary file left)", entries)
	}
	// A failed run leaves the earlier report untouched.
	before, _ := os.ReadFile(path)
	r = mxscope(t, "", false, "scan", "-f", "csv", "-o", path, "--resolver", srv.Addr(), "-t", "/nonexistent.yaml")
	after, _ := os.ReadFile(path)
	if r.code != exitError || !bytes.Equal(before, after) {
		t.Errorf("a failed run changed the report (exit %d)", r.code)
	}
}

func TestResumeSkipsWhatIsDoneAndAppends(t *testing.T) {
	srv := world(t)
	path := filepath.Join(t.TempDir(), "scan.jsonl")
	domains := []string{"campaign.example", "rival.example", "party.example"}
	first := mxscope(t, "", false, append([]string{"scan", "-f", "jsonl", "-o", path, "--resolver", srv.Addr()}, domains...)...)
	if first.code != exitOK {
		t.Fatalf("first run: exit %d: %s", first.code, first.stderr)
	}
	// Simulate a crash after two rows, in the middle of the third.
	data, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(data), "\n")
	os.WriteFile(path, []byte(strings.Join(lines[:3], "")+`{"domain":"party.exa`), 0o644)
	second := mxscope(t, "", false, append([]string{"scan", "--resume", path, "--resolver", srv.Addr()}, domains...)...)
	if second.code != exitOK {
		t.Fatalf("resume: exit %d: %s", second.code, second.stderr)
	}
	data, _ = os.ReadFile(path)
	var domainsGot []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var row struct{ Type, Domain string }
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("line %q does not parse: %v", line, err)
		}
		if row.Type == "" {
			domainsGot = append(domainsGot, row.Domain)
		}
	}
	if strings.Join(domainsGot, " ") != "campaign.example rival.example party.example" {
		t.Errorf("rows after resume: %v; want each domain exactly once", domainsGot)
	}
}

func TestScanFlagsParse(t *testing.T) {
	var got *scanOptions
	cmd := newScanCmd(&streams{}, func(_ context.Context, o *scanOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"-f", "csv", "-p", "microsoft", "-p", "google", "--resolver", "1.1.1.1", "--resolver", "[::1]:53",
		"-c", "10", "--timeout", "3s", "--retries", "5", "--qps", "100", "--fail-on", "medium", "--checks", "mx,spf", "--dkim-selector", "s2048", "--dkim-selector", "mail.2024", "a.example", "b.example"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Format != "csv" || len(got.Providers) != 2 || len(got.Resolvers) != 2 || got.Concurrency != 10 ||
		got.Timeout != 3*time.Second || got.Retries != 5 || got.QPS != 100 || got.FailOn != "medium" ||
		got.Checks != "mx,spf" || strings.Join(got.Domains, ",") != "a.example,b.example" ||
		strings.Join(got.DKIMSelectors, ",") != "s2048,mail.2024" {
		t.Errorf("parsed %+v", got)
	}
}

func TestProvidersAndVersion(t *testing.T) {
	r := mxscope(t, "", false, "providers", "-f", "csv")
	if r.code != exitOK || !strings.Contains(r.stdout, "microsoft") || !strings.Contains(r.stdout, "proofpoint") {
		t.Errorf("providers: exit %d\n%s", r.code, r.stdout)
	}
	r = mxscope(t, "", false, "version")
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "mxscope test (catalog ") {
		t.Errorf("version: %q", r.stdout)
	}
}

func TestSPFCommandAnswersWouldThisAddressPass(t *testing.T) {
	srv := world(t)
	tests := []struct {
		ip, want string
		code     int
	}{
		{"198.51.100.7", "result: pass", 0},  // inside spf.protection.outlook.com's range
		{"203.0.113.99", "result: fail", 11}, // outside: -all
		{"2001:db8::1", "result: fail", 11},  // IPv6 is not listed either
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			r := mxscope(t, "", false, "spf", "campaign.example", "--ip", tt.ip, "--sender", "news@campaign.example", "--resolver", srv.Addr())
			if r.code != tt.code || !strings.Contains(r.stdout, tt.want) {
				t.Errorf("exit %d, stdout %q; want %d, %q", r.code, r.stdout, tt.code, tt.want)
			}
		})
	}
	if r := mxscope(t, "", false, "spf", "campaign.example", "--ip", "not-an-ip"); r.code != exitUsage {
		t.Errorf("a bad --ip: exit %d; want %d", r.code, exitUsage)
	}
}

func TestCatalogFileAddsAProvider(t *testing.T) {
	srv := world(t)
	path := filepath.Join(t.TempDir(), "extra.yaml")
	os.WriteFile(path, []byte(`version: "newsroom-1"
providers:
  - key: acme-mail
    id: acme
    name: ACME Campaign Mail
    kind: mailbox
    mx: [aspmx.l.google.com]
    source: "newsroom test"
`), 0o644)
	r := mxscope(t, "", false, "scan", "-f", "csv", "--catalog", path, "--resolver", srv.Addr(), "rival.example")
	if r.code != exitOK || !strings.Contains(r.stdout, ",acme,") {
		t.Errorf("exit %d; want rival.example attributed to acme by the merged catalog:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := mxscope(t, "", false, "scan", "--catalog", "/nonexistent.yaml", "rival.example"); r.code != exitError {
		t.Errorf("a missing catalog: exit %d; want %d", r.code, exitError)
	}
}

// A resolver that answers the root's DNSKEY without AD does not validate:
// the scan says so once, and that every DNSSEC status is unknown. One that
// validates (AD on the root) gets no such note.
func TestScanSaysWhenTheResolverDoesNotValidate(t *testing.T) {
	srv := world(t)
	srv.Add(mustRR(t, ". 300 IN DNSKEY 257 3 13 n+ts7a+524mL9Jh3RD+d00S8OLOguxfcqmnQlGJ6PYvsCfL4rq8ocHMtDgDLO/jD20Tw4T3JxfN2VBmsTsrz3Q=="))
	r := mxscope(t, "", false, "scan", "-f", "csv", "--resolver", srv.Addr(), "campaign.example")
	if !strings.Contains(r.stderr, "the resolver does not validate DNSSEC") || strings.Count(r.stderr, "does not validate") != 1 || !strings.Contains(r.stderr, "hint:") {
		t.Errorf("stderr:\n%s\nwant one note that the resolver does not validate, with its hint", r.stderr)
	}
	srv.SetHook(dnstest.Validating(map[string]dnstest.Verdict{".": dnstest.Secure}))
	r = mxscope(t, "", false, "scan", "-f", "csv", "--resolver", srv.Addr(), "campaign.example")
	if strings.Contains(r.stderr, "validate") || !strings.Contains(r.stdout, ",secure,none,") {
		t.Errorf("stderr:\n%s\nstdout:\n%s\nwant no note, dnssec secure and no TLSA", r.stderr, r.stdout)
	}
}

func mustRR(t *testing.T, s string) dns.RR {
	t.Helper()
	rr, err := dns.NewRR(s)
	if err != nil {
		t.Fatal(err)
	}
	return rr
}
