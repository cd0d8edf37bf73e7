package scanner_test

import (
	"testing"

	"github.com/miekg/dns"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/dnstest"
)

// No field claims more than was checked (issue 12): an SPF lookup that
// failed read no "all", and a target that was never looked up has no
// provider, not even "none".
func TestFieldsClaimOnlyWhatWasChecked(t *testing.T) {
	hook := func(q dnstest.Query) dnstest.Action {
		if q.Name == "gnospf.example." && q.Type == dns.TypeTXT {
			return dnstest.Action{Rcode: dns.RcodeServerFailure}
		}
		return dnstest.Action{}
	}
	got := scanAll(t, newScanner(t, hook, scanner.Options{}), "gnospf.example", "bad..example")
	if r := got["gnospf.example"]; r.SPF.Status != "temperror" || r.SPF.All != "" {
		t.Errorf("spf status %q, all %q; want temperror and no all", r.SPF.Status, r.SPF.All)
	}
	var invalid *scanner.Result
	for _, r := range got {
		if r.Status == scanner.StatusInvalid {
			invalid = r
		}
	}
	if invalid == nil {
		t.Fatalf("no invalid row among %d results", len(got))
	}
	if invalid.Provider != "" || invalid.Mailbox != "" || invalid.Gateway != "" {
		t.Errorf("invalid row: provider %q, mailbox %q, gateway %q; want all empty: nothing was looked up",
			invalid.Provider, invalid.Mailbox, invalid.Gateway)
	}
}
