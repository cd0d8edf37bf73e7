package scanner_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/dnstest"
	"github.com/mxscope/mxscope/scanner/evidence"
	"github.com/mxscope/mxscope/scanner/mtasts"
	"github.com/mxscope/mxscope/scanner/mtasts/ststest"
	"github.com/mxscope/mxscope/scanner/report"
	"github.com/mxscope/mxscope/scanner/resolve"
	"github.com/mxscope/mxscope/scanner/targets"
)

// hostileSTSZone adds policy hosts whose answers try to get past the
// evidence file's bounds and escapes.
const hostileSTSZone = `
stscontrols.example.          MX  10 mx1.stsok.example.
_mta-sts.stscontrols.example. TXT "v=STSv1; id=1"
mta-sts.stscontrols.example.  A   127.0.0.1

stsbinary.example.            MX  10 mx1.stsok.example.
_mta-sts.stsbinary.example.   TXT "v=STSv1; id=1"
mta-sts.stsbinary.example.    A   127.0.0.1

stshuge.example.              MX  10 mx1.stsok.example.
_mta-sts.stshuge.example.     TXT "v=STSv1; id=1"
mta-sts.stshuge.example.      A   127.0.0.1

stsbadtype.example.           MX  10 mx1.stsok.example.
_mta-sts.stsbadtype.example.  TXT "v=STSv1; id=1"
mta-sts.stsbadtype.example.   A   127.0.0.1

stsgone.example.              MX  10 mx1.stsok.example.
_mta-sts.stsgone.example.     TXT "v=STSv1; id=1"
mta-sts.stsgone.example.      A   127.0.0.1
`

var replayDomains = []string{
	"stsok.example", "stswild.example", "stsmismatch.example", "ststesting.example", "stsinvalid.example",
	"stswrongcert.example", "stsredirect.example", "stsdown.example", "stsnohost.example", "stsdnsfail.example",
	"stsmany.example", "stscontrols.example", "stsbinary.example", "stsbadtype.example", "stshuge.example", "stsgone.example",
}

// scanRows scans domains with s and returns the jsonl report's rows (the
// meta line left out).
func scanRows(t *testing.T, s *scanner.Scanner, ts func(yield func(targets.Target) bool)) []string {
	t.Helper()
	var buf bytes.Buffer
	w, err := report.New("jsonl", &buf, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Begin(scanner.Meta{Schema: 1, Tool: "mxscope"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Scan(context.Background(), ts, w.Write); err != nil {
		t.Fatal(err)
	}
	if err := w.End(scanner.Summary{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	var rows []string
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, `{"type":`) {
			rows = append(rows, l)
		}
	}
	return rows
}

// A scan with --evidence records the MTA-STS policy fetch, and a replay of
// that evidence, with the policy hosts and the DNS server gone, gives the
// scan's rows byte for byte: the same mta_sts.policy, findings and fixes,
// judged from the recorded response by the code that judged the live one.
// Hostile responses (control characters, bytes that are not UTF-8, a body
// past 64 KiB) replay as they scanned, within the fetch's bounds.
func TestReplayJudgesTheRecordedPolicyFetch(t *testing.T) {
	ca := ststest.NewCA(t)
	hosts := ststest.Hosts{
		"mta-sts.stsok.example":        {Body: policy("enforce", "mx1.stsok.example", "*.stsok.example")},
		"mta-sts.stswild.example":      {Body: policy("enforce", "*.stswild.example")},
		"mta-sts.stsmismatch.example":  {Body: policy("enforce", "mail.stsmismatch.example")},
		"mta-sts.ststesting.example":   {Body: policy("testing", "mail.ststesting.example")},
		"mta-sts.stsinvalid.example":   {Body: "version: STSv1\r\nmode: enforce\r\nmax_age: 86400\r\n"},
		"mta-sts.stswrongcert.example": {Body: policy("enforce", "mx1.stsok.example")},
		"mta-sts.stsredirect.example":  {Status: http.StatusFound, Location: "https://www.stsredirect.example/\x1b[2Jmta-sts.txt"},
		"mta-sts.stsmany.example":      {Body: policy("enforce", manyPatterns(150)...)},
		"mta-sts.stscontrols.example":  {Body: "version: STSv1\r\nmode: enforce\x1b[31m\x00\x7f\u202e\r\nmx: mx1.stsok.example\r\nmax_age: 1\r\n"},
		"mta-sts.stsbinary.example":    {Body: "version: STSv1\r\nmode: \xff\xfeenforce\r\n"},
		"mta-sts.stsbadtype.example":   {Body: policy("enforce", "mx1.stsok.example"), ContentType: "text/plain; charset=\xe9"},
		"mta-sts.stshuge.example":      {Body: policy("enforce", "mx1.stsok.example") + strings.Repeat("x-pad: "+strings.Repeat("y", 90)+"\r\n", 2000)},
		// mta-sts.stsgone.example is not served: 404.
	}
	var requests atomic.Int64
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		hosts.ServeHTTP(w, r)
	})
	var names []string
	for _, d := range replayDomains {
		if d != "stswrongcert.example" {
			names = append(names, mtasts.Host(d))
		}
	}
	srv := ca.Serve(t, counted, names...)

	zone := dnstest.New(t, stsZone+hostileSTSZone)
	zone.SetHook(dnstest.RcodeFor(dns.RcodeServerFailure, "mta-sts.stsdnsfail.example."))
	c, err := resolve.NewClient(resolve.Config{Servers: []string{zone.Addr()}, Timeout: 500 * time.Millisecond, Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })

	var ev bytes.Buffer
	ew, err := evidence.NewWriter(&ev, evidence.Meta{Tool: "mxscope", Checks: "all", Started: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	live := scanner.New(evidence.Stamp(c), scanner.Options{Record: func(r *scanner.Result, l scanner.Lookups) error {
		return ew.Target(evidence.TargetOf(r), l)
	}})
	cfg := mtasts.Config{Roots: ca.Pool(), Port: srv.Port(), Timeout: 5 * time.Second}
	scanner.UsePolicyFetcher(live, cfg)
	ts, _ := targets.FromArgs(replayDomains)
	scanned := scanRows(t, live, slices.Values(ts))
	if err := ew.Close(true, time.Now()); err != nil {
		t.Fatal(err)
	}
	if requests.Load() == 0 {
		t.Fatal("the scan fetched no policy")
	}

	// The policy hosts and the DNS server are gone.
	srv.Close()
	zone.Close()
	c.Close()

	for i, line := range strings.Split(ev.String(), "\n") {
		if strings.ContainsAny(line, "\x00\x1b\x7f\u202e") || strings.IndexByte(line, 0xff) >= 0 {
			t.Errorf("evidence line %d holds raw control bytes: %.200q", i+1, line)
		}
	}
	if n := strings.Count(ev.String(), `{"type":"https",`); n != len(replayDomains)-2 {
		t.Errorf("%d https lines; want one per domain whose policy host has an address (%d)", n, len(replayDomains)-2)
	}

	rd, err := evidence.NewReader(bytes.NewReader(ev.Bytes()), "ev")
	if err != nil {
		t.Fatal(err)
	}
	var cur *evidence.Entry
	entries := func(yield func(targets.Target) bool) {
		for {
			e, err := rd.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Error(err)
				return
			}
			cur = e
			if !yield(e.Target) {
				return
			}
		}
	}
	replay := scanner.New(noNetwork{t}, scanner.Options{Answers: func(*scanner.Result) resolve.Querier { return cur.Querier() }})
	// Were the replay to fetch, it would dial the closed port and get
	// "connection refused", which the rows would show.
	scanner.UsePolicyFetcher(replay, cfg)
	replayed := scanRows(t, replay, entries)

	if len(replayed) != len(scanned) {
		t.Fatalf("%d rows replayed; %d scanned", len(replayed), len(scanned))
	}
	for i := range scanned {
		if replayed[i] != scanned[i] {
			t.Errorf("row %d differs:\n scanned  %s\n replayed %s", i+1, scanned[i], replayed[i])
		}
	}
	for _, want := range []string{
		`"domain":"stsok.example"`, `"policy":{"status":"ok","url":"https://mta-sts.stsok.example/.well-known/mta-sts.txt","mode":"enforce"`,
		`"policy":{"status":"unreachable","url":"https://mta-sts.stswrongcert.example/.well-known/mta-sts.txt","error":"certificate not accepted`,
		`"policy":{"status":"invalid","url":"https://mta-sts.stshuge.example/.well-known/mta-sts.txt","error":"the policy is larger than 64 KiB`,
		`"policy":{"status":"invalid","url":"https://mta-sts.stscontrols.example/.well-known/mta-sts.txt","error":"mtasts: syntax error: line 2: control character"`,
		`"policy":{"status":"invalid","url":"https://mta-sts.stsbinary.example/.well-known/mta-sts.txt","error":"mtasts: not UTF-8 text"`,
		`"policy":{"status":"none","url":"https://mta-sts.stsgone.example/.well-known/mta-sts.txt","error":"HTTP 404`,
		`"policy":{"status":"invalid","url":"https://mta-sts.stsbadtype.example/.well-known/mta-sts.txt","error":"served as \"text/plain; charset=\\xe9\", not text/plain`,
		// Go's client refuses a Location with a control character.
		`"policy":{"status":"unreachable","url":"https://mta-sts.stsredirect.example/.well-known/mta-sts.txt","error":"https://www.stsredirect.example/\\x1b[2Jmta-sts.txt\""`,
	} {
		if !strings.Contains(strings.Join(replayed, "\n"), want) {
			t.Errorf("the replayed rows lack %s", want)

		}
	}
}

// A replay whose evidence holds no response for the fetch (a file from
// before https lines, or one cut short) says the policy was not fetched:
// temperror, never a policy made up, never a request.
func TestReplayWithoutARecordedFetch(t *testing.T) {
	zone := dnstest.New(t, stsZone)
	c, err := resolve.NewClient(resolve.Config{Servers: []string{zone.Addr()}, Timeout: 500 * time.Millisecond, Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	var ev bytes.Buffer
	ew, _ := evidence.NewWriter(&ev, evidence.Meta{Tool: "mxscope", Started: time.Now()})
	// A scan that fetches nothing: the evidence holds DNS answers only.
	checks, _ := scanner.ParseChecks("mx,addr,spf,dmarc,mta-sts,tls-rpt")
	live := scanner.New(evidence.Stamp(c), scanner.Options{Checks: checks, Record: func(r *scanner.Result, l scanner.Lookups) error {
		return ew.Target(evidence.TargetOf(r), l)
	}})
	scanAll(t, live, "stsok.example")
	ew.Close(true, time.Now())
	// Its answers, asked for the policy host too, by a scan that does fetch.
	ts := strings.Replace(ev.String(), `["_smtp._tls.stsok.example","TXT"]`,
		`["_smtp._tls.stsok.example","TXT"],["mta-sts.stsok.example","A"],["mta-sts.stsok.example","AAAA"]`, 1)
	ts = strings.Replace(ts, `{"type":"target"`, `{"type":"answer","name":"mta-sts.stsok.example","qtype":"A","status":"ok","records":["mta-sts.stsok.example. 300 IN A 127.0.0.1"]}`+"\n"+
		`{"type":"answer","name":"mta-sts.stsok.example","qtype":"AAAA","status":"nodata"}`+"\n"+`{"type":"target"`, 1)
	rd, err := evidence.NewReader(strings.NewReader(ts), "old.evidence.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	e, err := rd.Next()
	if err != nil {
		t.Fatal(err)
	}
	replay := scanner.New(noNetwork{t}, scanner.Options{Answers: func(*scanner.Result) resolve.Querier { return e.Querier() }})
	scanner.UsePolicyFetcher(replay, mtasts.Config{Port: 1, Timeout: time.Second})
	r := scanAll(t, replay, "stsok.example")["stsok.example"]
	p := r.MTASTS.Policy
	if p == nil || p.Status != "temperror" || !strings.Contains(p.Error, "no HTTPS response recorded for https://mta-sts.stsok.example/") {
		t.Fatalf("policy %+v; want temperror, not recorded", p)
	}
	if !hasFinding(r, "lookup-failed", "") || hasFinding(r, "mta-sts-policy-unreachable", "") {
		t.Errorf("findings %v; want lookup-failed, never unreachable", findingIDs(r))
	}
}

// A recording scan holds the policy bodies of rows not yet written within
// a bound; past it, a response is recorded as not kept (its replay says
// so), and the scan's own verdict is unchanged.
func TestRecordedBodiesStayWithinTheirBound(t *testing.T) {
	for _, tt := range []struct {
		name   string
		budget int64
		kept   bool
	}{
		{"within the bound", 1 << 20, true},
		{"past the bound", 10, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var fetches []mtasts.Response
			s := stsScannerWith(t, scanner.Options{Record: func(r *scanner.Result, l scanner.Lookups) error {
				fetches = append(fetches, l.Fetches...)
				return nil
			}})
			scanner.LimitHeldBodies(s, tt.budget)
			r := scanAll(t, s, "stsok.example", "ststesting.example")
			if p := r["stsok.example"].MTASTS.Policy; p == nil || p.Status != "ok" || p.Mode != "enforce" {
				t.Errorf("the scan's verdict %+v; want ok, enforce, whatever was kept", p)
			}
			if len(fetches) != 2 {
				t.Fatalf("%d fetches recorded; want 2", len(fetches))
			}
			for _, f := range fetches {
				if kept := f.Class == "" && len(f.Body) > 0; kept != tt.kept {
					t.Errorf("%s recorded as %s %q (body %d bytes); want kept %v", f.URL, f.Class, f.Err, len(f.Body), tt.kept)
				}
				if !tt.kept && (mtasts.Judge(f).Status != mtasts.StatusTemperror || !strings.Contains(f.Err, "kept no copy")) {
					t.Errorf("a response not kept judges as %+v", mtasts.Judge(f))
				}
			}
			if n := scanner.HeldBodies(s); n != 0 {
				t.Errorf("%d bytes still counted as held after the scan", n)
			}
		})
	}
}
