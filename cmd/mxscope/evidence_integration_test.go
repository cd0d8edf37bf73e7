//go:build integration

package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mxscope/mxscope/scanner/dnstest/realdns"
)

// evidenceZone v1 and v2: between them, moves.evidence.test moves its MX
// from Google to Microsoft (keeping its DKIM key, which the posture checks
// must not report as a change) and weak.evidence.test weakens DMARC from
// p=reject to p=none. lame.test is its own zone, whose server stops
// serving it in the second run (a lame name server: unbound answers
// SERVFAIL).
const evidenceZoneV1 = `$ORIGIN evidence.test.
$TTL 300
@               SOA     ns.evidence.test. hostmaster.evidence.test. 1 3600 600 86400 300
@               NS      ns.evidence.test.
ns              A       127.0.0.1
moves           MX      1 aspmx.l.google.com.
moves           TXT     "v=spf1 include:_spf.google.com ~all"
_dmarc.moves    TXT     "v=DMARC1; p=reject; rua=mailto:d@evidence.test"
weak            MX      0 weak-evidence-test.mail.protection.outlook.com.
weak            TXT     "v=spf1 include:spf.protection.outlook.com -all"
_dmarc.weak     TXT     "v=DMARC1; p=reject; rua=mailto:d@evidence.test"
google._domainkey.moves TXT   "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAxHT8/vdQdzAPcACiasgraNfW8+nFrI1hAlcjEogL+Ufws8XW7f/AvHjElh5IiMweD3XtYdWMedU/MSVUpBBQScfQhU5ncGzL6gj1jhA0vpM7noeZoW7efl0nZkj+IffdNj8TbjYaJq" "1UcHVQt4J/mRtejVI9tv8/9WIbur4BNDlafYlb6Qr01TIbHvLLcpurwDtK/PYeVlOoGPwiKm0M9ByzQSkDQdDqP1Butl3AdnlhdU6KFpRXyglF4vn49wls0pFmorGkVA3xrZkyWYNjsJ5YG6Cvhg1yY9O5LAow8iENVKNvOZROCIRUL45BF4ZxHoi1w6iVt1a0484S7x" "g+EQIDAQAB"
steady          MX      10 mx0a-00112233.pphosted.com.
steady          TXT     "v=spf1 include:spf-00112233.pphosted.com include:spf.protection.outlook.com -all"
_dmarc.steady   TXT     "v=DMARC1; p=quarantine; rua=mailto:d@evidence.test"
`

var evidenceZoneV2 = strings.NewReplacer(
	"moves           MX      1 aspmx.l.google.com.", "moves           MX      0 moves-evidence-test.mail.protection.outlook.com.",
	`_dmarc.weak     TXT     "v=DMARC1; p=reject;`, `_dmarc.weak     TXT     "v=DMARC1; p=none;`,
	"1 3600 600 86400 300", "2 3600 600 86400 300",
).Replace(evidenceZoneV1)

const lameZone = `$ORIGIN lame.test.
$TTL 300
@               SOA     ns.lame.test. hostmaster.lame.test. 1 3600 600 86400 300
@               NS      ns.lame.test.
ns              A       127.0.0.1
@               MX      10 aspmx.l.google.com.
@               TXT     "v=spf1 include:_spf.google.com -all"
_dmarc          TXT     "v=DMARC1; p=reject; rua=mailto:d@lame.test"
`

const evidenceTargets = `targets:
  - {domain: moves.evidence.test, candidate: Mover, party: A}
  - {domain: weak.evidence.test, candidate: Weakling, party: B}
  - {domain: lame.test, candidate: Lame}
  - {domain: steady.evidence.test, candidate: Steady, party: C}
  - ok.mx.test
  - o365.mx.test
  - gateway.mx.test
  - nxdomain.mx.test
  - nullmx.mx.test
  - dangling.mx.test
  - manymx.mx.test
  - bigtxt.mx.test
  - "not a domain!"
`

func (e *env) stop() {
	e.unbound.Stop()
	e.nsd.Stop()
}

// TestIntegrationEvidenceReplayAndDiff: scan with --evidence through real
// unbound and nsd; change the zones (an MX moves to another provider, a
// DMARC record weakens, a name server goes lame) and restart the servers;
// scan again. diff reports exactly those three changes; replay of the first
// evidence, with no resolver reachable (no network at all where the
// system lets an unprivileged user unshare it), reproduces the first
// report.
func TestIntegrationEvidenceReplayAndDiff(t *testing.T) {
	realdns.Find(t, "nsd")
	realdns.Find(t, "unbound")
	bin := buildMxscope(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "targets.yaml"), []byte(evidenceTargets), 0o644); err != nil {
		t.Fatal(err)
	}
	scan := func(e *env, name string) {
		t.Helper()
		r := e.mxscope(t, 2*time.Minute, dir, "scan", "-f", "jsonl", "-o", name+".jsonl", "--evidence", name+".evidence.jsonl",
			"--resolver", e.unbound.Addr)
		if r.code != exitOK {
			t.Fatalf("scan %s: exit %d\n%s", name, r.code, r.stderr)
		}
	}

	first := startServers(t, bin, map[string]string{"evidence.test": evidenceZoneV1, "lame.test": lameZone}, nil, nil)
	scan(first, "first")
	first.stop()
	second := startServers(t, bin, map[string]string{"evidence.test": evidenceZoneV2}, []string{"lame.test"}, nil)
	scan(second, "second")
	second.stop()

	type line struct{ Domain, Field, Change, Old, New string }
	diffLines := func(t *testing.T, old, new string) []line {
		t.Helper()
		r := first.mxscope(t, time.Minute, dir, "diff", old, new, "-f", "jsonl")
		if r.code != exitOK {
			t.Fatalf("diff %s %s: exit %d\n%s", old, new, r.code, r.stderr)
		}
		var out []line
		sc := bufio.NewScanner(strings.NewReader(r.stdout))
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), `{"type":`) {
				continue // meta and summary
			}
			var l line
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatalf("diff line is not JSON: %v\n%s", err, sc.Text())
			}
			out = append(out, l)
		}
		return out
	}
	want := []line{
		{"moves.evidence.test", "mx", "changed", "1 aspmx.l.google.com", "0 moves-evidence-test.mail.protection.outlook.com"},
		{"moves.evidence.test", "provider", "changed", "google", "microsoft"},
		{"moves.evidence.test", "mailbox", "changed", "google", "microsoft"},
		{"weak.evidence.test", "dmarc", "weakened", "p=reject", "p=none"},
		{"weak.evidence.test", "finding", "added", "", "dmarc-not-enforced"},
		{"lame.test", "status", "could-not-compare", "ok", "servfail"},
	}
	for _, pair := range [][2]string{{"first.jsonl", "second.jsonl"}, {"first.evidence.jsonl", "second.evidence.jsonl"}} {
		t.Run("diff "+pair[0]+" "+pair[1], func(t *testing.T) {
			if got := diffLines(t, pair[0], pair[1]); !slices.Equal(got, want) {
				t.Errorf("diff:\n got %+v\nwant %+v", got, want)
			}
		})
	}
	t.Run("diff --fail-on weakened exits 3", func(t *testing.T) {
		r := first.mxscope(t, time.Minute, dir, "diff", "first.jsonl", "second.jsonl", "--fail-on", "weakened")
		if r.code != exitFailOn {
			t.Errorf("exit %d; want %d\n%s", r.code, exitFailOn, r.stderr)
		}
	})

	t.Run("replay of the first evidence, offline, is the first report", func(t *testing.T) {
		args := []string{"replay", "first.evidence.jsonl", "-f", "jsonl", "-o", "replayed.jsonl"}
		var r proc
		if unshare, err := exec.LookPath("unshare"); err == nil && exec.Command(unshare, "-rn", "true").Run() == nil {
			// A network namespace of our own: not even loopback is up.
			r = first.mxscopeVia(t, time.Minute, dir, append([]string{unshare, "-rn", first.bin}, args...))
		} else {
			t.Log("unshare -rn is not available: replaying with the servers stopped")
			r = first.mxscope(t, time.Minute, dir, args...)
		}
		if r.code != exitOK {
			t.Fatalf("replay: exit %d\n%s", r.code, r.stderr)
		}
		scanned, _ := os.ReadFile(filepath.Join(dir, "first.jsonl"))
		replayed, _ := os.ReadFile(filepath.Join(dir, "replayed.jsonl"))
		s, rp := strings.SplitN(string(scanned), "\n", 2), strings.SplitN(string(replayed), "\n", 2)
		if len(s) != 2 || len(rp) != 2 || s[1] != rp[1] {
			t.Errorf("replayed rows differ from the scan's:\n--- replayed\n%s\n--- scanned\n%s", replayed, scanned)
		}
		if !strings.Contains(rp[0], `"replay":{"evidence":"first.evidence.jsonl"`) {
			t.Errorf("replay meta: %s", rp[0])
		}
		if !strings.Contains(s[1], `"domain":"moves.evidence.test"`) || !strings.Contains(s[1], `"dkim":{"status":"ok","selectors":[{"selector":"google","status":"ok","key_type":"rsa","key_bits":2048`) {
			t.Errorf("the first scan did not find moves.evidence.test's DKIM key:\n%s", s[1])
		}
		rows, _ := parseJSONL(t, string(replayed))
		if len(rows) != 13 || rows[2].Domain != "lame.test" || rows[2].Status != "ok" || rows[0].Provider != "google" {
			t.Errorf("replayed rows are not the first run's: %+v", rows)
		}
	})
}

// mxscopeVia runs argv (a wrapper such as unshare, then the binary and its
// arguments) in dir.
func (e *env) mxscopeVia(t *testing.T, limit time.Duration, dir string, argv []string) proc {
	t.Helper()
	saved := e.bin
	e.bin = argv[0]
	defer func() { e.bin = saved }()
	return e.mxscope(t, limit, dir, argv[1:]...)
}
