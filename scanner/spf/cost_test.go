package spf_test

import (
	"testing"

	"github.com/mxscope/mxscope/scanner/spf"
)

func TestNodeCostCountsTheLookupsAnIncludeAdds(t *testing.T) {
	n := &spf.Node{Name: "vendor.example", Via: "include", Record: "v=spf1 a mx:mail.vendor.example ip4:192.0.2.0/24 include:sub.vendor.example -all exists:late.example",
		Children: []*spf.Node{{Name: "sub.vendor.example", Via: "include", Record: "v=spf1 ptr ~all"}}}
	// include:vendor (1) + a + mx (2) + include:sub (1) + its ptr (1); exists after -all is never evaluated.
	if got := n.Cost(); got != 5 {
		t.Errorf("Cost() = %d; want 5", got)
	}
	if got := (&spf.Node{Name: "broken.example", Record: "v=spf1 bogus!"}).Cost(); got != 1 {
		t.Errorf("a node whose record does not parse costs %d; want 1, its own include", got)
	}
}

func TestReasonDropsRepeatedPrefixes(t *testing.T) {
	tests := []struct{ in, want string }{
		{`spf: permerror: invalid term "\x1b[31mip4:192.0.2.1": control or non-ascii character`, `invalid term "\x1b[31mip4:192.0.2.1": control or non-ascii character`},
		{"spf: permerror: target has no spf record: redirect=x.example: spf: no spf record at x.example", "target has no spf record: redirect=x.example: no spf record at x.example"},
		{"spf: temperror: dns lookup failed: txt a.example: timeout", "dns lookup failed: txt a.example: timeout"},
		{"no prefix at all", "no prefix at all"},
	}
	for _, tt := range tests {
		if got := spf.Reason(tt.in); got != tt.want {
			t.Errorf("Reason(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
