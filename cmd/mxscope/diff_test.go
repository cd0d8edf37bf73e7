package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/mxscope/mxscope/scanner/dnstest"
)

// worldZone is the test world's zone file, by absolute path: the tests
// below work in a temporary directory.
var worldZone, _ = filepath.Abs("testdata/world.zone")

// twoScans scans targetsYAML twice, in the current directory: as the test
// world stands (old.jsonl, old.evidence.jsonl), then after campaign.example
// moved its MX to Google, party.example moved DMARC to p=reject and
// published a DKIM key (campaign.example's), and hostile.example's servers
// started failing (new.*).
func twoScans(t *testing.T) {
	t.Helper()
	zone, err := os.ReadFile(worldZone)
	if err != nil {
		t.Fatal(err)
	}
	scan := func(name, zone string, hook dnstest.Hook) {
		srv := dnstest.New(t, zone)
		srv.SetHook(hook)
		r := mxscope(t, targetsYAML, false, "scan", "-t", "-", "-f", "jsonl", "-o", name+".jsonl", "--evidence", name+".evidence.jsonl",
			"--resolver", srv.Addr(), "--timeout", "200ms", "--retries", "1")
		if r.code != exitOK {
			t.Fatalf("scan %s: exit %d\n%s", name, r.code, r.stderr)
		}
		srv.Close()
	}
	scan("old", string(zone), nil)
	z := strings.Replace(string(zone), "campaign.example.              MX    0 campaign-example.mail.protection.outlook.com.",
		"campaign.example.              MX    1 aspmx.l.google.com.", 1)
	z = strings.Replace(z, `_dmarc.party.example.          TXT   "v=DMARC1; p=none"`, `_dmarc.party.example.          TXT   "v=DMARC1; p=reject; rua=mailto:d@party.example"`, 1)
	i := strings.Index(z, "selector1._domainkey.campaign.example. TXT ")
	if i < 0 || z == string(zone) {
		t.Fatal("the zone edits did not apply")
	}
	key, _, _ := strings.Cut(z[i:], "\n")
	z += strings.Replace(key, "campaign.example", "party.example", 1) + "\n"
	scan("new", z, dnstest.RcodeFor(dns.RcodeServerFailure, "hostile.example."))
}

func TestDiffFormatsMatchGoldenFiles(t *testing.T) {
	wd, _ := os.Getwd()
	t.Chdir(t.TempDir())
	twoScans(t)
	for _, format := range []string{"table", "json", "jsonl", "csv", "markdown"} {
		t.Run(format, func(t *testing.T) {
			r := mxscope(t, "", false, "diff", "old.jsonl", "new.jsonl", "-f", format)
			if r.code != exitOK {
				t.Fatalf("exit %d\n%s", r.code, r.stderr)
			}
			golden(t, filepath.Join(wd, "testdata", "diff."+format+".golden"), r.stdout)
		})
	}
}

// What the diff of the two scans must say, and nothing more: the MX move
// (with its provider and mailbox), the DMARC change and the DKIM key (with
// the findings they resolved), and the failing domain as
// could-not-compare, never as records removed.
func TestDiffListsExactlyWhatChanged(t *testing.T) {
	t.Chdir(t.TempDir())
	twoScans(t)
	for _, pair := range [][2]string{{"old.jsonl", "new.jsonl"}, {"old.evidence.jsonl", "new.evidence.jsonl"}} {
		t.Run(pair[0], func(t *testing.T) {
			r := mxscope(t, "", false, "diff", pair[0], pair[1], "-f", "csv")
			if r.code != exitOK {
				t.Fatalf("exit %d\n%s", r.code, r.stderr)
			}
			recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			var rows []string
			for _, f := range recs[1:] {
				rows = append(rows, f[0]+" "+strings.Join(f[len(f)-6:len(f)-2], " "))
			}
			want := []string{
				"campaign.example mx changed 0 campaign-example.mail.protection.outlook.com 1 aspmx.l.google.com",
				"campaign.example provider changed microsoft google",
				"campaign.example mailbox changed microsoft google",
				"party.example dmarc strengthened p=none p=reject",
				"party.example dkim strengthened none (no _domainkey) selector1: rsa 2048",
				"party.example finding resolved dmarc-not-enforced ",
				"party.example finding resolved dmarc-no-reports ",
				"party.example finding resolved dkim-none-found ",
				"hostile.example status could-not-compare ok servfail",
			}
			if strings.Join(rows, "\n") != strings.Join(want, "\n") {
				t.Errorf("diff rows:\n%s\nwant:\n%s\nfull output:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"), r.stdout)
			}
		})
	}
}

func TestDiffFailOnExitCodes(t *testing.T) {
	t.Chdir(t.TempDir())
	twoScans(t)
	tests := []struct {
		args []string
		code int
		says string
	}{
		{[]string{"old.jsonl", "new.jsonl"}, exitOK, ""},
		{[]string{"old.jsonl", "new.jsonl", "--fail-on", "changed"}, exitFailOn, "--fail-on changed"},
		// party.example got stronger, nothing weaker; hostile.example could
		// not be compared: the gate fails closed.
		{[]string{"old.jsonl", "new.jsonl", "--fail-on", "weakened"}, exitUnchecked, "could not be made"},
		{[]string{"old.jsonl", "new.jsonl", "--fail-on", "weakened", "--allow-unchecked"}, exitOK, "--allow-unchecked lets them pass"},
		{[]string{"old.jsonl", "new.jsonl", "--allow-unchecked"}, exitUsage, "without --fail-on"},
		// Backwards, party.example's DMARC and DKIM weakened.
		{[]string{"new.jsonl", "old.jsonl", "--fail-on", "weakened"}, exitFailOn, "--fail-on weakened"},
		{[]string{"old.jsonl", "old.jsonl", "--fail-on", "changed"}, exitOK, ""},
		{[]string{"old.jsonl", "new.jsonl", "--fail-on", "bogus"}, exitUsage, "unknown --fail-on"},
		{[]string{"old.jsonl", "missing.jsonl"}, exitError, "missing.jsonl"},
		{[]string{"old.jsonl"}, exitUsage, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := mxscope(t, "", false, append([]string{"diff"}, tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.says) {
				t.Errorf("exit %d, stderr %q; want %d saying %q", r.code, r.stderr, tt.code, tt.says)
			}
		})
	}
}

// A json report and a jsonl one compare alike, and a report whose
// catalog differs gets a warning.
func TestDiffReadsJSONAndWarnsOfUnlikeRuns(t *testing.T) {
	t.Chdir(t.TempDir())
	twoScans(t)
	r := mxscope(t, "", false, "replay", "new.evidence.jsonl", "-f", "json", "-o", "new.json")
	if r.code != exitOK {
		t.Fatalf("replay: %d %s", r.code, r.stderr)
	}
	a := mxscope(t, "", false, "diff", "old.jsonl", "new.json", "-f", "jsonl")
	b := mxscope(t, "", false, "diff", "old.jsonl", "new.jsonl", "-f", "jsonl")
	if a.code != exitOK || rest(a.stdout) != rest(b.stdout) {
		t.Errorf("json and jsonl inputs differ:\n%s\n%s", a.stdout, b.stdout)
	}
	cat := "cat.yaml"
	os.WriteFile(cat, []byte("version: \"x\"\nproviders: []\n"), 0o644)
	os.Remove("new.json")
	r = mxscope(t, "", false, "replay", "new.evidence.jsonl", "-f", "jsonl", "-o", "newcat.jsonl", "--catalog", cat)
	if r.code != exitOK {
		t.Fatalf("replay: %d %s", r.code, r.stderr)
	}
	c := mxscope(t, "", false, "diff", "old.jsonl", "newcat.jsonl")
	if !strings.Contains(c.stderr, "different rules or catalogs") {
		t.Errorf("no warning about unlike runs:\n%s", c.stderr)
	}
}

// rest drops the first line.
func rest(s string) string {
	_, after, _ := strings.Cut(s, "\n")
	return after
}

// --fail-on weakened counts the posture checks too: a report in which
// only campaign.example's DKIM key got shorter fails the gate.
func TestDiffFailOnWeakenedPosture(t *testing.T) {
	t.Chdir(t.TempDir())
	twoScans(t)
	old, err := os.ReadFile("old.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, l := range strings.Split(string(old), "\n") {
		if strings.HasPrefix(l, `{"domain":"campaign.example"`) {
			w := strings.Replace(l, `"key_type":"rsa","key_bits":2048`, `"key_type":"rsa","key_bits":1024`, 1)
			if w == l {
				t.Fatalf("campaign.example's row has no 2048-bit RSA key: %s", l)
			}
			l = w
		}
		rows = append(rows, l)
	}
	os.WriteFile("weak.jsonl", []byte(strings.Join(rows, "\n")), 0o644)
	r := mxscope(t, "", false, "diff", "old.jsonl", "weak.jsonl", "-f", "csv", "--fail-on", "weakened")
	if r.code != exitFailOn || !strings.Contains(r.stderr, "--fail-on weakened") {
		t.Errorf("exit %d, stderr %q; want %d", r.code, r.stderr, exitFailOn)
	}
	if !strings.Contains(r.stdout, "campaign.example,Jane Doe,D,2024,,dkim,weakened,selector1: rsa 2048,selector1: rsa 1024,,") || strings.Count(r.stdout, "\n") != 2 {
		t.Errorf("diff:\n%s\nwant the one dkim line", r.stdout)
	}
}
