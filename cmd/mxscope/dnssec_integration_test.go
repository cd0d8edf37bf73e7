//go:build integration

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mxscope/mxscope/scanner/dnstest/realdns"
)

// dnssecZones says how knot serves each zone of testdata/integration/dnssec:
// signed or not, and what its parent publishes as DS.
var dnssecZones = map[string]struct {
	signed bool
	ds     realdns.DS
}{
	".":           {true, realdns.DSMatching},
	"test":        {true, realdns.DSMatching},
	"secure.test": {true, realdns.DSMatching},
	"island.test": {true, realdns.DSNone},
	"plain.test":  {false, realdns.DSNone},
	"bogus.test":  {true, realdns.DSBroken},
}

// startSigned starts knot serving testdata/integration/dnssec, signing the
// zones itself, and an unbound stubbed to it for every zone: validating
// from the test root's trust anchor when validate is set.
func startSigned(t *testing.T, validate bool) (k *realdns.Knot, u *realdns.Unbound) {
	t.Helper()
	var zones []realdns.KnotZone
	for name, how := range dnssecZones {
		file := strings.TrimSuffix(name, ".") + ".zone"
		if name == "." {
			file = "root.zone"
		}
		text, err := os.ReadFile(filepath.Join("..", "..", "testdata", "integration", "dnssec", file))
		if err != nil {
			t.Fatal(err)
		}
		zones = append(zones, realdns.KnotZone{Name: name, Text: string(text), Signed: how.signed, DS: how.ds})
	}
	k = realdns.StartKnot(t, zones)
	stubs := map[string]string{}
	for _, z := range k.Zones {
		stubs[z] = k.Stub()
	}
	var opts []realdns.UnboundOption
	if validate {
		opts = append(opts, realdns.WithTrustAnchor(k.TrustAnchor(".")...))
	}
	u = realdns.StartUnbound(t, stubs, opts...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("knot:\n%s\nunbound:\n%s", k.Log(), u.Log())
		}
	})
	return k, u
}

// dnssecRow is the part of a result the DNSSEC and DANE cases check.
type dnssecRow struct {
	Domain string `json:"domain"`
	Status string `json:"status"`
	DNSSEC *struct {
		Status string `json:"status"`
		Error  string `json:"error"`
	} `json:"dnssec"`
	MX []struct {
		Host string `json:"host"`
		TLSA *struct {
			Status  string `json:"status"`
			DNSSEC  string `json:"dnssec"`
			Records []struct {
				Usage   int    `json:"usage"`
				Problem string `json:"problem"`
			} `json:"records"`
		} `json:"tlsa"`
	} `json:"mx"`
	Findings []struct {
		ID string `json:"id"`
	} `json:"findings"`
}

// scanSigned runs mxscope through resolver on the domains, as jsonl.
func scanSigned(t *testing.T, resolver string, domains []string) (map[string]dnssecRow, proc) {
	t.Helper()
	e := &env{bin: buildMxscope(t)}
	args := append([]string{"scan", "-f", "jsonl", "--resolver", resolver, "--timeout", "2s"}, domains...)
	p := e.mxscope(t, 2*time.Minute, "", args...)
	if p.code != 0 {
		t.Fatalf("mxscope exited %d\nstderr:\n%s", p.code, p.stderr)
	}
	rows := map[string]dnssecRow{}
	for _, line := range strings.Split(strings.TrimSpace(p.stdout), "\n") {
		var typed struct {
			Type string `json:"type"`
		}
		if json.Unmarshal([]byte(line), &typed) == nil && typed.Type != "" {
			continue // meta, summary
		}
		var r dnssecRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, line)
		}
		if r.Domain != "" {
			rows[r.Domain] = r
		}
	}
	return rows, p
}

// The DNSSEC and DANE verdicts through knot's signatures and unbound's
// validation, case by case (testdata/integration/dnssec).
func TestIntegrationDNSSECAndDANE(t *testing.T) {
	_, u := startSigned(t, true)
	tests := []struct {
		domain   string
		dnssec   string
		tlsa     string   // "status/dnssec" of the first MX host's tlsa; "" when none is listed
		findings []string // the DNSSEC, DANE and lookup-failed findings, in order
	}{
		{"secure.test", "secure", "ok/secure", nil},
		{"nodane.secure.test", "secure", "none/secure", []string{"dane-missing"}},
		{"pkix.secure.test", "secure", "invalid/secure", []string{"dane-invalid"}},
		{"awaymx.secure.test", "secure", "temperror/bogus", []string{"dnssec-bogus", "lookup-failed"}},
		{"plainmx.secure.test", "secure", "ok/insecure", []string{"dane-without-dnssec"}},
		{"island.test", "insecure", "none/insecure", []string{"dnssec-insecure"}},
		{"plain.test", "insecure", "ok/insecure", []string{"dnssec-insecure", "dane-without-dnssec"}},
		{"bogus.test", "bogus", "", []string{"dnssec-bogus", "lookup-failed"}},
	}
	var domains []string
	for _, tt := range tests {
		domains = append(domains, tt.domain)
	}
	rows, p := scanSigned(t, u.Addr, domains)
	if strings.Contains(p.stderr, "does not validate") {
		t.Errorf("stderr says the validating resolver does not validate:\n%s", p.stderr)
	}
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			r, ok := rows[tt.domain]
			if !ok {
				t.Fatalf("no row")
			}
			if r.DNSSEC == nil || r.DNSSEC.Status != tt.dnssec {
				t.Errorf("dnssec: got %+v; want %s", r.DNSSEC, tt.dnssec)
			}
			tlsa := ""
			if len(r.MX) > 0 && r.MX[0].TLSA != nil {
				tlsa = r.MX[0].TLSA.Status + "/" + r.MX[0].TLSA.DNSSEC
			}
			if tlsa != tt.tlsa {
				t.Errorf("tlsa: got %q; want %q", tlsa, tt.tlsa)
			}
			var ids []string
			for _, f := range r.Findings {
				if strings.HasPrefix(f.ID, "dnssec-") || strings.HasPrefix(f.ID, "dane-") || f.ID == "lookup-failed" {
					ids = append(ids, f.ID)
				}
			}
			if !slices.Equal(ids, tt.findings) {
				t.Errorf("findings: got %v; want %v", ids, tt.findings)
			}
		})
	}
	if r := rows["pkix.secure.test"]; len(r.MX) == 0 || r.MX[0].TLSA == nil || len(r.MX[0].TLSA.Records) != 1 ||
		!strings.Contains(r.MX[0].TLSA.Records[0].Problem, "PKIX-EE") {
		t.Errorf("pkix.secure.test: want one record whose problem names PKIX-EE; got %+v", r.MX)
	}
}

// Through an unbound that does not validate, the same zones give no
// verdicts: every status is unknown, no DNSSEC or DANE finding is made, and
// stderr says why.
func TestIntegrationDNSSECThroughAResolverThatDoesNotValidate(t *testing.T) {
	_, u := startSigned(t, false)
	rows, p := scanSigned(t, u.Addr, []string{"secure.test", "plain.test", "nodane.secure.test"})
	if !strings.Contains(p.stderr, "does not validate DNSSEC") {
		t.Errorf("stderr does not say the resolver does not validate:\n%s", p.stderr)
	}
	for d, r := range rows {
		if r.DNSSEC == nil || r.DNSSEC.Status != "unknown" {
			t.Errorf("%s: dnssec %+v; want unknown", d, r.DNSSEC)
		}
		for _, f := range r.Findings {
			if strings.HasPrefix(f.ID, "dnssec-") || strings.HasPrefix(f.ID, "dane-") {
				t.Errorf("%s: finding %s from a resolver that does not validate", d, f.ID)
			}
		}
	}
}
