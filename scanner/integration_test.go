//go:build integration

// The scanner's posture checks through Debian's real unbound, resolving a
// zone served by nsd (scanner/dnstest/realdns), with the MTA-STS policy
// hosts on an HTTPS server on 127.0.0.1 that the zone's A records point
// at. Run with
//
//	go test -tags integration -run Integration ./scanner
package scanner_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/dnstest/realdns"
	"github.com/mxscope/mxscope/scanner/mtasts"
	"github.com/mxscope/mxscope/scanner/mtasts/ststest"
	"github.com/mxscope/mxscope/scanner/resolve"
)

func TestIntegrationPostureThroughUnbound(t *testing.T) {
	realdns.Find(t, "nsd")
	realdns.Find(t, "unbound")
	zone := fmt.Sprintf(`$TTL 300
@                 SOA   ns.posture.test. hostmaster.posture.test. 1 3600 600 86400 300
@                 NS    ns
ns                A     127.0.0.1
mx1               A     192.0.2.30
mx1               AAAA  2001:db8::30
mx2               A     192.0.2.31

; enforce, with a wildcard pattern covering mx2; a DKIM key; BIMI.
ok                MX    10 mx1.posture.test.
ok                MX    20 mx2.posture.test.
ok                TXT   "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.ok         TXT   "v=DMARC1; p=reject; rua=mailto:d@posture.test"
_mta-sts.ok       TXT   "v=STSv1; id=1"
mta-sts.ok        A     127.0.0.1
google._domainkey.ok TXT %s
default._bimi.ok  TXT   "v=BIMI1; l=https://ok.posture.test/logo.svg"

; an enforced policy that forgets mx2; the policy host is a CNAME.
mismatch          MX    10 mx1.posture.test.
mismatch          MX    20 mx2.posture.test.
_mta-sts.mismatch TXT   "v=STSv1; id=1"
mta-sts.mismatch  CNAME policy.posture.test.
policy            A     127.0.0.1

; testing mode; the certificate does not name this policy host.
testing           MX    10 mx1.posture.test.
_mta-sts.testing  TXT   "v=STSv1; id=1"
mta-sts.testing   A     127.0.0.1
wrongcert         MX    10 mx1.posture.test.
_mta-sts.wrongcert TXT  "v=STSv1; id=1"
mta-sts.wrongcert A     127.0.0.1

; parked: null MX, SPF -all, DMARC reject; no DKIM anywhere.
parked            MX    0 .
parked            TXT   "v=spf1 -all"
_dmarc.parked     TXT   "v=DMARC1; p=reject"

; no _domainkey at all, and SPF with ptr.
nodkim            MX    10 mx2.posture.test.
nodkim            TXT   "v=spf1 ptr -all"
`, txt("v=DKIM1; k=rsa; p="+rsaKeyB64(t, 1024)))

	n := realdns.StartNSD(t, map[string]string{"posture.test": zone})
	u := realdns.StartUnbound(t, map[string]string{"posture.test": n.Stub()})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("nsd:\n%s\nunbound:\n%s", n.Log(), u.Log())
		}
	})

	ca := ststest.NewCA(t)
	hosts := ststest.Hosts{
		"mta-sts.ok.posture.test":        {Body: "version: STSv1\nmode: enforce\nmx: mx1.posture.test\nmx: *.posture.test\nmax_age: 86400\n"},
		"mta-sts.mismatch.posture.test":  {Body: "version: STSv1\nmode: enforce\nmx: mx1.posture.test\nmax_age: 86400\n"},
		"mta-sts.testing.posture.test":   {Body: "version: STSv1\nmode: testing\nmx: *.posture.test\nmax_age: 86400\n"},
		"mta-sts.wrongcert.posture.test": {Body: "version: STSv1\nmode: enforce\nmx: *.posture.test\nmax_age: 86400\n"},
	}
	srv := ca.Serve(t, hosts, "mta-sts.ok.posture.test", "mta-sts.mismatch.posture.test", "mta-sts.testing.posture.test")

	c, err := resolve.NewClient(resolve.Config{Servers: []string{u.Addr}, Timeout: 2 * time.Second, Retries: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s := scanner.New(c, scanner.Options{})
	scanner.UsePolicyFetcher(s, mtasts.Config{Roots: ca.Pool(), Port: srv.Port(), Timeout: 10 * time.Second})
	got := scanAll(t, s, "ok.posture.test", "mismatch.posture.test", "testing.posture.test", "wrongcert.posture.test",
		"parked.posture.test", "nodkim.posture.test")

	type want struct {
		policy, mode, dkim, bimi string
		parked                   bool
		findings                 []string // id or id:severity
		absent                   []string
	}
	for domain, w := range map[string]want{
		"ok.posture.test": {"ok", "enforce", "ok", "ok", false,
			[]string{"dkim-weak-key:medium", "mx-no-ipv6"},
			[]string{"mta-sts-mx-mismatch", "bimi-without-enforcement", "dkim-none-found", "lookup-failed"}},
		"mismatch.posture.test":  {"ok", "enforce", "none", "none", false, []string{"mta-sts-mx-mismatch:high", "dkim-none-found"}, nil},
		"testing.posture.test":   {"ok", "testing", "none", "none", false, []string{"mta-sts-testing:low"}, []string{"mta-sts-mx-mismatch"}},
		"wrongcert.posture.test": {"unreachable", "", "none", "none", false, []string{"mta-sts-policy-unreachable:medium"}, nil},
		"parked.posture.test":    {"", "", "none", "none", true, []string{"null-mx"}, []string{"dkim-none-found"}},
		"nodkim.posture.test":    {"", "", "none", "none", false, []string{"spf-ptr", "dkim-none-found", "mx-no-ipv6"}, nil},
	} {
		t.Run(domain, func(t *testing.T) {
			r := got[domain]
			if r.Status != scanner.StatusOK {
				t.Fatalf("status %s (%s)", r.Status, r.Error)
			}
			policy, mode := "", ""
			if p := r.MTASTS.Policy; p != nil {
				policy, mode = p.Status, p.Mode
				if p.Status != "ok" && p.Error == "" {
					t.Errorf("policy %s without an error", p.Status)
				}
			}
			if policy != w.policy || mode != w.mode || r.DKIM.Status != w.dkim || r.BIMI.Status != w.bimi || r.Parked != w.parked {
				t.Errorf("policy %s/%s dkim %s bimi %s parked %v; want %s/%s %s %s %v (policy %+v)",
					policy, mode, r.DKIM.Status, r.BIMI.Status, r.Parked, w.policy, w.mode, w.dkim, w.bimi, w.parked, r.MTASTS.Policy)
			}
			for _, f := range w.findings {
				id, sev, _ := strings.Cut(f, ":")
				if !hasFinding(r, id, scanner.Severity(sev)) {
					t.Errorf("findings %+v; want %s", r.Findings, f)
				}
			}
			for _, id := range w.absent {
				if hasFinding(r, id, "") {
					t.Errorf("findings %v; must not contain %s", findingIDs(r), id)
				}
			}
		})
	}
}
