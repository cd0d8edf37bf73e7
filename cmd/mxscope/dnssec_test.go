package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mxscope/mxscope/scanner/dnstest"
)

// dnssecZone is served through dnstest.Validating: answers carry the
// verdicts a validating resolver gives, without signatures.
const dnssecZone = `
$TTL 300
.                         DNSKEY 257 3 13 n+ts7a+524mL9Jh3RD+d00S8OLOguxfcqmnQlGJ6PYvsCfL4rq8ocHMtDgDLO/jD20Tw4T3JxfN2VBmsTsrz3Q==
signed.example.           MX   10 mx.signed.example.
mx.signed.example.        A    192.0.2.1
_25._tcp.mx.signed.example. TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
plain.example.            MX   10 mx.plain.example.
mx.plain.example.         A    192.0.2.2
bad.example.              MX   10 mx.signed.example.
away.example.             MX   10 mx.bad.example.
mx.bad.example.           A    192.0.2.3
`

// A replay gives the DNSSEC and DANE verdicts the scan gave, bogus
// included: the evidence keeps the answers asked with checking disabled.
func TestReplayReproducesDNSSECVerdicts(t *testing.T) {
	srv := dnstest.New(t, dnssecZone)
	srv.SetHook(dnstest.Validating(map[string]dnstest.Verdict{
		".": dnstest.Secure, "plain.example": dnstest.Insecure, "bad.example": dnstest.Bogus,
	}))
	dir := t.TempDir()
	report, ev := filepath.Join(dir, "scan.jsonl"), filepath.Join(dir, "scan.evidence.jsonl")
	r := mxscope(t, "", false, "scan", "-f", "jsonl", "--resolver", srv.Addr(), "--timeout", "1s", "--retries", "1",
		"-o", report, "--evidence", ev, "signed.example", "plain.example", "bad.example", "away.example")
	if r.code != exitOK {
		t.Fatalf("scan: exit %d\n%s", r.code, r.stderr)
	}
	srv.Close()
	scanned, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"dnssec":{"status":"bogus"`, `"tlsa":{"status":"temperror","dnssec":"bogus"`, `"dnssec":{"status":"insecure"}`, `"tlsa":{"status":"ok","dnssec":"secure"`} {
		if !strings.Contains(string(scanned), want) {
			t.Errorf("the scan lacks %s:\n%s", want, scanned)
		}
	}
	rp := mxscope(t, "", false, "replay", ev, "-f", "jsonl")
	if rp.code != exitOK {
		t.Fatalf("replay: exit %d\n%s", rp.code, rp.stderr)
	}
	gl, wl := strings.SplitN(rp.stdout, "\n", 2), strings.SplitN(string(scanned), "\n", 2)
	if len(gl) < 2 || len(wl) < 2 || gl[1] != wl[1] {
		t.Errorf("replayed rows differ from the scan's:\n--- replay\n%s\n--- scan\n%s", rp.stdout, scanned)
	}
}
