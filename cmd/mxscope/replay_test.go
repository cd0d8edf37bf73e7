package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/evidence"
)

// scanWithEvidence scans targetsYAML against the test world, writing the
// report and the evidence into dir.
func scanWithEvidence(t *testing.T, dir string, args ...string) (report, ev string) {
	t.Helper()
	srv := world(t)
	report, ev = filepath.Join(dir, "scan.out"), filepath.Join(dir, "scan.evidence.jsonl")
	r := mxscope(t, targetsYAML, false, append([]string{"scan", "-t", "-", "--resolver", srv.Addr(), "--timeout", "1s", "--retries", "1",
		"-o", report, "--evidence", ev}, args...)...)
	if r.code != exitOK {
		t.Fatalf("scan: exit %d\n%s", r.code, r.stderr)
	}
	srv.Close() // replay must not need it
	return report, ev
}

// The scan's rows, replayed from its evidence with no resolver, are the
// same bytes; only the meta line says it is a replay.
func TestReplayReproducesTheScan(t *testing.T) {
	dir := t.TempDir()
	for _, format := range []string{"jsonl", "json", "csv", "markdown", "table", "html"} {
		t.Run(format, func(t *testing.T) {
			scanned, ev := scanWithEvidence(t, dir, "-f", format)
			r := mxscope(t, "", false, "replay", ev, "-f", format)
			if r.code != exitOK {
				t.Fatalf("replay: exit %d\n%s", r.code, r.stderr)
			}
			want, _ := os.ReadFile(scanned)
			got := r.stdout
			switch format {
			case "jsonl":
				gl, wl := strings.SplitN(got, "\n", 2), strings.SplitN(string(want), "\n", 2)
				if gl[1] != wl[1] {
					t.Errorf("replayed rows differ from the scan's:\n--- replay\n%s\n--- scan\n%s", gl[1], wl[1])
				}
				var meta map[string]any
				if err := json.Unmarshal([]byte(gl[0]), &meta); err != nil {
					t.Fatal(err)
				}
				rp, _ := meta["replay"].(map[string]any)
				if rp == nil || rp["evidence"] != ev || rp["version"] != "test" || rp["complete"] != true || meta["started"] != "2026-11-21T12:00:00Z" {
					t.Errorf("replay meta %s; want the evidence named, its version, complete, and the scan's start", gl[0])
				}
				delete(meta, "replay")
				b, _ := json.Marshal(meta)
				var scanMeta map[string]any
				json.Unmarshal([]byte(wl[0]), &scanMeta)
				b2, _ := json.Marshal(scanMeta)
				if string(b) != string(b2) {
					t.Errorf("meta besides replay differs:\n%s\n%s", b, b2)
				}
			case "json":
				// From the results on, the same bytes; the header has
				// the replay object besides.
				gi, wi := strings.Index(got, `"results": [`), strings.Index(string(want), `"results": [`)
				if gi < 0 || wi < 0 || got[gi:] != string(want)[wi:] {
					t.Errorf("replayed json differs:\n--- replay\n%s\n--- scan\n%s", got, want)
				}
				if !strings.Contains(got[:gi], `"replay": {`) {
					t.Errorf("json replay has no replay header:\n%.600s", got)
				}
			case "markdown", "html":
				lines := strings.Split(got, "\n")
				var kept []string
				for _, l := range lines {
					if !strings.HasPrefix(l, "- Replayed: ") && !strings.HasPrefix(l, `<p class="meta">Replayed `) {
						kept = append(kept, l)
					}
				}
				if strings.Join(kept, "\n") != string(want) {
					t.Errorf("replayed %s differs:\n--- replay\n%s\n--- scan\n%s", format, got, want)
				}
			default:
				if got != string(want) {
					t.Errorf("replayed %s differs:\n--- replay\n%s\n--- scan\n%s", format, got, want)
				}
			}
		})
	}
}

// The evidence file: a meta line, answer lines with what the issue asks
// for, a target line per target (the invalid one too), an end line.
func TestEvidenceFileHoldsEveryAnswerAndTarget(t *testing.T) {
	_, ev := scanWithEvidence(t, t.TempDir(), "-f", "jsonl")
	f, err := os.Open(ev)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, evidence.MaxLine)
	var types []string
	var domains []string
	answers := map[string]map[string]any{}
	for sc.Scan() {
		var l map[string]any
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, sc.Text())
		}
		typ, _ := l["type"].(string)
		if len(types) == 0 || types[len(types)-1] != typ {
			types = append(types, typ)
		}
		switch typ {
		case "target":
			d, _ := l["domain"].(string)
			if d == "" {
				d, _ = l["input"].(string)
			}
			domains = append(domains, d)
		case "answer":
			answers[l["name"].(string)+" "+l["qtype"].(string)] = l
		case "meta":
			if l["format"] != "mxscope-evidence" || l["format_version"] != 1.0 || l["started"] != "2026-11-21T12:00:00Z" || l["checks"] == "" || l["catalog"] == "" {
				t.Errorf("meta line %s", sc.Text())
			}
		}
	}
	if types[0] != "meta" || types[len(types)-1] != "end" {
		t.Errorf("line types %v; want meta first, end last", types)
	}
	if got := strings.Join(domains, " "); got != "campaign.example rival.example party.example not a domain! gone.example hostile.example" {
		t.Errorf("targets in the file: %s", got)
	}
	mx := answers["campaign.example MX"]
	if mx == nil {
		t.Fatalf("no answer line for campaign.example MX; have %d answers", len(answers))
	}
	for _, k := range []string{"status", "rcode", "server", "transport", "time", "latency_ms", "records"} {
		if _, ok := mx[k]; !ok {
			t.Errorf("the MX answer line lacks %q: %v", k, mx)
		}
	}
	if recs, _ := mx["records"].([]any); len(recs) == 0 || !strings.Contains(recs[0].(string), "\t300\tIN\tMX\t") {
		t.Errorf("records not in presentation form with TTLs: %v", mx["records"])
	}
	if nx := answers["gone.example MX"]; nx == nil || nx["status"] != "nxdomain" || nx["rcode"] != "NXDOMAIN" {
		t.Errorf("the NXDOMAIN answer is not evidence: %v", nx)
	}
}

func TestReplayNeedsAnEvidenceFile(t *testing.T) {
	dir := t.TempDir()
	report, _ := scanWithEvidence(t, dir, "-f", "jsonl")
	r := mxscope(t, "", false, "replay", report)
	if r.code != exitError || !strings.Contains(r.stderr, "does not start with an evidence meta line") {
		t.Errorf("replay of a report: exit %d\n%s", r.code, r.stderr)
	}
	r = mxscope(t, "", false, "replay", filepath.Join(dir, "missing"))
	if r.code != exitError {
		t.Errorf("replay of a missing file: exit %d\n%s", r.code, r.stderr)
	}
	r = mxscope(t, "", false, "scan", "example.com", "--evidence", "-")
	if r.code != exitUsage {
		t.Errorf("--evidence -: exit %d\n%s", r.code, r.stderr)
	}
}

// A newer catalog applied to old evidence changes the verdicts it touches
// and says which catalog it applied to evidence from when.
func TestReplayWithAnotherCatalog(t *testing.T) {
	dir := t.TempDir()
	_, ev := scanWithEvidence(t, dir, "-f", "jsonl")
	cat := filepath.Join(dir, "cat.yaml")
	os.WriteFile(cat, []byte(`version: "2099-01-01.1"
providers:
  - key: example-mail
    id: examplemail
    name: Example Mail
    kind: mailbox
    mx: [aspmx.l.google.com]
    source: test
`), 0o644)
	r := mxscope(t, "", false, "replay", ev, "-f", "jsonl", "--catalog", cat)
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, `+2099-01-01.1"`) {
		t.Errorf("the meta does not name the catalog applied:\n%.300s", r.stdout)
	}
	if !strings.Contains(r.stdout, `"domain":"rival.example"`) || !strings.Contains(r.stdout, `"provider":"examplemail"`) {
		t.Errorf("the new catalog's entry did not change rival.example's provider:\n%s", r.stdout)
	}
}

// replay judges the MTA-STS policy from the https line the evidence holds,
// as scan judged the response: here an evidence file whose policy host
// answered with an address and a policy (written by hand, since a scan
// through the command line fetches only from port 443).
func TestReplayJudgesARecordedPolicy(t *testing.T) {
	dir := t.TempDir()
	_, ev := scanWithEvidence(t, dir, "-f", "jsonl")
	b, err := os.ReadFile(ev)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		switch {
		case strings.HasPrefix(l, `{"type":"answer","name":"mta-sts.campaign.example","qtype":"A",`):
			l = `{"type":"answer","name":"mta-sts.campaign.example","qtype":"A","status":"ok","rcode":"NOERROR","records":["mta-sts.campaign.example.\t300\tIN\tA\t192.0.2.80"]}`
		case strings.HasPrefix(l, `{"type":"answer","name":"mta-sts.campaign.example","qtype":"AAAA",`):
			l = `{"type":"answer","name":"mta-sts.campaign.example","qtype":"AAAA","status":"nodata","rcode":"NOERROR"}`
		case strings.HasPrefix(l, `{"type":"target","n":1,`):
			out = append(out, `{"type":"https","url":"https://mta-sts.campaign.example/.well-known/mta-sts.txt","dialled":["192.0.2.80"],"connected":"192.0.2.80","status_code":200,"content_type":"text/plain","body":"version: STSv1\r\nmode: testing\r\nmx: *.mail.protection.outlook.com\r\nmax_age: 86400\r\n","tls":{"server_name":"mta-sts.campaign.example","version":"TLS 1.3","verified":true},"time":"2026-11-21T12:00:01Z","latency_ms":12.5}`)
		}
		out = append(out, l)
	}
	if err := os.WriteFile(ev, []byte(strings.Join(out, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := mxscope(t, "", false, "replay", ev, "-f", "jsonl")
	if r.code != exitOK {
		t.Fatalf("replay: exit %d\n%s", r.code, r.stderr)
	}
	var row scanner.Result
	if err := json.Unmarshal([]byte(strings.Split(r.stdout, "\n")[1]), &row); err != nil {
		t.Fatal(err)
	}
	p := row.MTASTS.Policy
	if row.Domain != "campaign.example" || p == nil || p.Status != "ok" || p.Mode != "testing" || len(p.MX) != 1 {
		t.Fatalf("campaign.example's policy replayed as %+v", p)
	}
	var ids []string
	for _, f := range row.Findings {
		ids = append(ids, f.ID)
	}
	if !slices.Contains(ids, "mta-sts-testing") || slices.Contains(ids, "mta-sts-mx-mismatch") || slices.Contains(ids, "lookup-failed") {
		t.Errorf("findings %v; want mta-sts-testing, and no mismatch or failed lookup", ids)
	}
}
