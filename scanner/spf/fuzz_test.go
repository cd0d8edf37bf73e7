package spf_test

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/mxscope/mxscope/scanner/spf"
)

var fuzzRecords = []string{
	"v=spf1",
	"v=spf1 -all",
	"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx ptr ~all",
	"v=spf1 a:x.example.com/24//64 mx:example.org//0 -all",
	"v=spf1 include:_spf.google.com include:spf.protection.outlook.com -all",
	"v=spf1 exists:%{i}.spf.hc1234-56.iphmx.com ?all",
	"v=spf1 exists:%{ir}.%{l1r-}.%{d2}._spf.%{D}.example.com -all exp=why.%{d2}",
	"v=spf1 a:macro%%percent%_%_space%-url-space.example.com -all",
	"v=spf1 redirect=_spf.example.com",
	"v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all",
	"v=spf1 ip6:::ffff:1.2.3.4 ip6:::1.1.1.1/0",
	"v=spf1 a:foo:bar/baz.example.com",
	"v=spf1 ip4:1.2.3 -all",
	"v=spf1 a:ctrl.example.com\rptr -all",
	"v=spf1 %{",
	"v=spf1 exists:%{d99999999999999999999r+-}.example.com",
	"V=SPF1 Include:EXAMPLE.com. Redirect=example.net",
	"v=spf1 include:example.com",
	"v=spf1 eXp= include:example.com",
}

// FuzzParse: Parse never panics, and what it accepts round-trips: parsing
// the canonical form gives the same canonical form.
func FuzzParse(f *testing.F) {
	for _, r := range fuzzRecords {
		f.Add(r)
	}
	f.Fuzz(func(t *testing.T, record string) {
		r, err := spf.Parse(record)
		if err != nil {
			return
		}
		canon := r.String()
		r2, err := spf.Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but its canonical form %q: %v", record, canon, err)
		}
		if got := r2.String(); got != canon {
			t.Fatalf("canonical form of %q is %q, then %q", record, canon, got)
		}
	})
}

// FuzzParseLenient: ParseLenient never panics, keeps every term of a
// record that Parse accepts, and what it keeps is itself a record that
// parses (the bad terms are gone).
func FuzzParseLenient(f *testing.F) {
	for _, r := range fuzzRecords {
		f.Add(r)
	}
	f.Fuzz(func(t *testing.T, record string) {
		r := spf.ParseLenient(record)
		if r == nil {
			return
		}
		canon := r.String()
		if _, err := spf.Parse(canon); err != nil {
			t.Fatalf("ParseLenient(%q) kept %q, which does not parse: %v", record, canon, err)
		}
		if strict, err := spf.Parse(record); err == nil && strict.String() != canon {
			t.Fatalf("ParseLenient(%q) = %q; Parse gives %q", record, canon, strict.String())
		}
	})
}

// FuzzSelect: Select never panics, and what it returns is one of the
// records, an SPF one.
func FuzzSelect(f *testing.F) {
	f.Add("v=spf1 -all\nMS=ms1234")
	f.Add("v=spf1 -all\nv=spf1 -all")
	f.Add("v=spf10\nV=SPF1")
	f.Add("\x96\n\nv=spf1")
	f.Fuzz(func(t *testing.T, joined string) {
		txts := strings.Split(joined, "\n")
		rec, err := spf.Select(txts)
		if err != nil {
			return
		}
		if !slices.Contains(txts, rec) || len(rec) < 6 || !strings.EqualFold(rec[:6], "v=spf1") {
			t.Fatalf("Select(%q) = %q", txts, rec)
		}
	})
}

// FuzzCheckHost evaluates arbitrary records: no panic, a defined result,
// and never more lookups than the limit allows.
func FuzzCheckHost(f *testing.F) {
	for _, r := range fuzzRecords {
		f.Add(r, "192.0.2.1", "strong-bad@example.com")
		f.Add(r, "2001:db8::1", "")
	}
	results := []spf.Result{spf.ResultNone, spf.ResultNeutral, spf.ResultPass, spf.ResultFail, spf.ResultSoftfail, spf.ResultTemperror, spf.ResultPermerror}
	f.Fuzz(func(t *testing.T, record, ip, sender string) {
		addr, err := netip.ParseAddr(ip)
		if err != nil {
			return
		}
		r := newFake().
			txt("example.com", record).
			txt("_spf.example.com", "v=spf1 include:example.com ip4:192.0.2.0/24 ~all").
			txt("why.example.com", "%{i} %{c} %{p} %{r} %{t} %{s}").
			a("example.com", "192.0.2.1", "2001:db8::1").
			mx("example.com", "example.com")
		got := spf.CheckHost(context.Background(), r, addr, "example.com", sender, spf.WithHELO(sender))
		if !slices.Contains(results, got.Result) || got.Lookups > spf.MaxLookups+1 {
			t.Fatalf("CheckHost(%q) = %+v", record, got)
		}
		spf.Walk(context.Background(), r, "example.com", spf.WalkOptions{})
	})
}
