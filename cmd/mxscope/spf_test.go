package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/mxscope/mxscope/scanner/dnstest"
)

// Each check_host result has its own exit code, the classic spfquery's
// plus 10; a permerror names no matched term and says permerror once.
func TestSPFCommandExitCodesAndMessages(t *testing.T) {
	srv := world(t)
	srv.SetHook(dnstest.RcodeFor(dns.RcodeServerFailure, "_spf.google.com."))
	tests := []struct {
		domain, ip string
		code       int
		want       []string
		notWant    []string
	}{
		{"campaign.example", "198.51.100.7", 0, []string{"result: pass\nmatched: include:spf.protection.outlook.com\n"}, nil},
		{"campaign.example", "203.0.113.99", 11, []string{"result: fail\nmatched: -all\n"}, nil},
		{"neutral.example", "203.0.113.99", 13, []string{"result: neutral\nmatched: ?all\n"}, nil},
		{"incmissing.example", "192.0.2.1", 14, []string{"result: permerror\n", "reason: target has no spf record: include:nothing-here.example"},
			[]string{"matched:", "spf: ", "permerror: permerror"}},
		{"hostile.example", "192.0.2.1", 14, []string{"result: permerror\n", `reason: invalid term "\\x1b[31mip4:192.0.2.1"`}, []string{"\x1b", "matched:"}},
		{"rival.example", "192.0.2.9", 15, []string{"result: temperror\n", "reason: dns lookup failed: txt _spf.google.com"}, []string{"matched:"}},
		{"_dmarc.campaign.example", "192.0.2.1", 16, []string{"result: none\n", "reason: no spf record at _dmarc.campaign.example"}, nil},
		// A mistyped domain: none as well, saying why.
		{"gone.example", "192.0.2.1", 16, []string{"result: none\n", "reason: gone.example does not exist (NXDOMAIN), so it has no spf record"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.domain+"/"+tt.ip, func(t *testing.T) {
			r := mxscope(t, "", false, "spf", tt.domain, "--ip", tt.ip, "--resolver", srv.Addr(), "--timeout", "500ms", "--retries", "0")
			if r.code != tt.code {
				t.Errorf("exit %d; want %d\n%s%s", r.code, tt.code, r.stdout, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout %q; want %q", r.stdout, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(r.stdout, w) {
					t.Errorf("stdout %q must not hold %q", r.stdout, w)
				}
			}
		})
	}
}

func TestSPFCommandJSON(t *testing.T) {
	srv := world(t)
	r := mxscope(t, "", false, "spf", "hostile.example", "--ip", "192.0.2.1", "-f", "json", "--resolver", srv.Addr())
	var got struct {
		Domain, IP, Sender, Result, Mechanism, Reason string
		Lookups                                       int `json:"lookups"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	if r.code != 14 || got.Domain != "hostile.example" || got.IP != "192.0.2.1" || got.Sender != "postmaster@hostile.example" ||
		got.Result != "permerror" || got.Mechanism != "" || !strings.HasPrefix(got.Reason, `invalid term "\x1b[31m`) {
		t.Errorf("exit %d, %+v", r.code, got)
	}
	if strings.ContainsRune(r.stdout, 0x1b) {
		t.Errorf("a raw escape in the JSON: %q", r.stdout)
	}
	if r := mxscope(t, "", false, "spf", "campaign.example", "--ip", "192.0.2.1", "-f", "xml"); r.code != exitUsage {
		t.Errorf("-f xml: exit %d; want %d", r.code, exitUsage)
	}
}

// The scan's pre-check: a resolver that answers nothing is one clear
// error (exit 1), never "result: none".
func TestSPFCommandChecksTheResolverFirst(t *testing.T) {
	dead := deadResolver(t)
	r := mxscope(t, "", false, "spf", "campaign.example", "--ip", "192.0.2.1", "--resolver", dead, "--timeout", "100ms", "--retries", "0")
	if r.code != exitError || !strings.Contains(r.stderr, "no DNS resolver answered") || r.stdout != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and one clear error", r.code, r.stdout, r.stderr)
	}
	lying := dnstest.New(t, "")
	lying.SetHook(func(dnstest.Query) dnstest.Action { return dnstest.Action{Rcode: dns.RcodeNameError} })
	if r := mxscope(t, "", false, "spf", "campaign.example", "--ip", "192.0.2.1", "--resolver", lying.Addr()); r.code != exitError {
		t.Errorf("a resolver that says the root does not exist: exit %d; want 1", r.code)
	}
}
