//go:build integration

package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Through a real recursive resolver: --fail-on fails closed on a domain
// whose lookups SERVFAIL, and `mxscope spf` exits with its result's code.
func TestIntegrationGateAndSPFExitCodes(t *testing.T) {
	e := startEnv(t, nil)
	r := e.mxscope(t, time.Minute, "", "scan", "--resolver", e.unbound.Addr, "--fail-on", "high", "ok.mx.test", "x.broken.test")
	if r.code != exitUnchecked || !strings.Contains(r.stderr, "x.broken.test (servfail)") {
		t.Errorf("--fail-on with a SERVFAIL domain: exit %d, stderr %q; want %d naming x.broken.test", r.code, r.stderr, exitUnchecked)
	}
	if !strings.Contains(r.stdout, "Findings and fixes:") {
		t.Errorf("a scan of two domains lists no findings with fixes:\n%s", r.stdout)
	}
	r = e.mxscope(t, time.Minute, "", "scan", "--resolver", e.unbound.Addr, "--fail-on", "high", "--allow-unchecked", "ok.mx.test", "x.broken.test")
	if r.code != exitOK {
		t.Errorf("--allow-unchecked: exit %d; want 0\n%s", r.code, r.stderr)
	}
	for _, tt := range []struct {
		domain, ip, result string
		code               int
	}{
		{"o365.mx.test", "203.0.113.1", "fail", 11},
		{"ok.mx.test", "192.0.2.1", "pass", 0},
		{"ok.mx.test", "203.0.113.1", "softfail", 12},
		{"nxdomain.mx.test", "192.0.2.1", "none", 16},
		{"x.broken.test", "192.0.2.1", "temperror", 15},
	} {
		r := e.mxscope(t, time.Minute, "", "spf", tt.domain, "--ip", tt.ip, "-f", "json", "--resolver", e.unbound.Addr)
		var got struct{ Result string }
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Result != tt.result || r.code != tt.code {
			t.Errorf("spf %s --ip %s: exit %d, %q (%v); want %d, %s\nstderr: %s", tt.domain, tt.ip, r.code, r.stdout, err, tt.code, tt.result, r.stderr)
		}
	}
}
