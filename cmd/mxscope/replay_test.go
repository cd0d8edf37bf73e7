package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
