package spf_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxscope/mxscope/scanner/dnstest"
	"github.com/mxscope/mxscope/scanner/resolve"
	"github.com/mxscope/mxscope/scanner/spf"
)

var errServfail = errors.New("fake: SERVFAIL")

func walk(f *fakeResolver, domain string) *spf.Analysis {
	return spf.Walk(context.Background(), f, domain, spf.WalkOptions{})
}

// check asks the same question through CheckHost, for a client no term lists.
func check(f *fakeResolver, domain string) spf.Outcome {
	return spf.CheckHost(context.Background(), f, netip.MustParseAddr("203.0.113.99"), domain, "user@"+domain)
}

func TestWalkTwoRecords(t *testing.T) {
	f := newFake().txt("example.com", "v=spf1 -all", "v=spf1 +all", "google-site-verification=x")
	a := walk(f, "example.com")
	if a.Status != spf.StatusPermerror || !a.Multiple || a.Record != "v=spf1 -all" {
		t.Errorf("got status %v multiple %v record %q; want permerror, true, the first record", a.Status, a.Multiple, a.Record)
	}
	if !strings.Contains(a.Err, spf.ErrMultipleRecords.Error()) {
		t.Errorf("got err %q; want it to say %q", a.Err, spf.ErrMultipleRecords)
	}
	if got := check(f, "example.com"); got.Result != spf.ResultPermerror {
		t.Errorf("CheckHost: got %v; want permerror", got.Result)
	}
}

// lookupChain publishes example.com with exactly n DNS-querying terms
// spread over nested includes: include:n1 at the apex, then at each level
// "a include:next", and an mx at the apex when n is odd.
func lookupChain(n int) *fakeResolver {
	f := newFake().a("mail.example.com", "192.0.2.10")
	levels := n / 2
	apex := "v=spf1 include:n1.example.com"
	if n%2 == 1 {
		apex += " mx"
		f.mx("example.com", "mail.example.com")
	}
	f.txt("example.com", apex+" -all")
	for i := 1; i <= levels; i++ {
		name := fmt.Sprintf("n%d.example.com", i)
		f.a(name, fmt.Sprintf("192.0.2.%d", i))
		rec := fmt.Sprintf("v=spf1 a include:n%d.example.com ~all", i+1)
		if i == levels {
			rec = "v=spf1 a ~all"
		}
		f.txt(name, rec)
	}
	return f
}

func TestWalkLookupLimit(t *testing.T) {
	tests := []struct {
		name    string
		lookups int
		status  spf.Status
		check   spf.Result
	}{
		{"exactly 10 lookups through nested includes is fine", 10, spf.StatusOK, spf.ResultFail},
		{"11 lookups through nested includes is permerror", 11, spf.StatusPermerror, spf.ResultPermerror},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := lookupChain(tt.lookups)
			a := walk(f, "example.com")
			if a.Status != tt.status || a.Lookups != tt.lookups || a.TooManyLookups != (tt.lookups > 10) {
				t.Errorf("got status %v, %d lookups, too many %v (err %q); want %v, %d", a.Status, a.Lookups, a.TooManyLookups, a.Err, tt.status, tt.lookups)
			}
			if tt.lookups > 10 && !strings.Contains(a.Err, spf.ErrTooManyLookups.Error()) {
				t.Errorf("got err %q; want %q", a.Err, spf.ErrTooManyLookups)
			}
			if got := check(f, "example.com"); got.Result != tt.check {
				t.Errorf("CheckHost: got %v (%v); want %v", got.Result, got.Err, tt.check)
			}
		})
	}
}

func TestWalkIncludeLoop(t *testing.T) {
	f := newFake().
		txt("example.com", "v=spf1 include:a.example.net -all").
		txt("a.example.net", "v=spf1 include:b.example.net ~all").
		txt("b.example.net", "v=spf1 include:A.example.net. ~all")
	a := walk(f, "example.com")
	if a.Status != spf.StatusPermerror || !a.Loop || !strings.Contains(a.Err, spf.ErrLoop.Error()) {
		t.Errorf("got status %v loop %v err %q; want permerror, true, an include loop", a.Status, a.Loop, a.Err)
	}
	inner := a.Includes[0].Children[0].Children[0]
	if inner.Name != "A.example.net" || inner.Status != spf.StatusPermerror {
		t.Errorf("got innermost node %+v; want A.example.net, permerror", inner)
	}
	if got := check(f, "example.com"); got.Result != spf.ResultPermerror {
		t.Errorf("CheckHost: got %v; want permerror", got.Result)
	}
}

func TestWalkDiamondIsNoLoop(t *testing.T) {
	f := newFake().
		txt("example.com", "v=spf1 include:a.example.net include:b.example.net -all").
		txt("a.example.net", "v=spf1 include:shared.example.net ~all").
		txt("b.example.net", "v=spf1 include:shared.example.net ~all").
		txt("shared.example.net", "v=spf1 ip4:192.0.2.0/24 ~all")
	a := walk(f, "example.com")
	// shared.example.net is listed under each record that names it.
	if a.Status != spf.StatusOK || a.Loop || a.Lookups != 4 || len(a.Targets) != 4 {
		t.Errorf("got status %v loop %v lookups %d targets %v; want ok, no loop, 4, 4 targets", a.Status, a.Loop, a.Lookups, a.Targets)
	}
}

func TestWalkRedirect(t *testing.T) {
	f := newFake().
		txt("example.com", "v=spf1 ip4:192.0.2.1 redirect=_spf.example.net").
		txt("_spf.example.net", "v=spf1 include:_spf.google.com -all").
		txt("_spf.google.com", "v=spf1 ip4:198.51.100.0/24 ~all")
	a := walk(f, "example.com")
	if a.Status != spf.StatusOK || a.All != spf.ResultFail || a.Lookups != 2 {
		t.Errorf("got status %v all %v lookups %d (err %q); want ok, fail (from the redirect target), 2", a.Status, a.All, a.Lookups, a.Err)
	}
	if len(a.Includes) != 1 || a.Includes[0].Via != "redirect" || a.Includes[0].Name != "_spf.example.net" ||
		a.Includes[0].Record != "v=spf1 include:_spf.google.com -all" || len(a.Includes[0].Children) != 1 || a.Includes[0].Children[0].Via != "include" {
		t.Errorf("got tree %+v; want redirect _spf.example.net with one include under it", a.Includes)
	}
	want := []spf.Target{{Mechanism: "redirect", Name: "_spf.example.net", From: "example.com"}, {Mechanism: "include", Name: "_spf.google.com", From: "_spf.example.net"}}
	if !reflect.DeepEqual(a.Targets, want) {
		t.Errorf("got targets %v; want %v", a.Targets, want)
	}
}

func TestWalkAll(t *testing.T) {
	tests := []struct {
		record string
		want   spf.Result
	}{
		{"v=spf1 +all", spf.ResultPass},
		{"v=spf1 all", spf.ResultPass},
		{"v=spf1 ?all", spf.ResultNeutral},
		{"v=spf1 ~all", spf.ResultSoftfail},
		{"v=spf1 -all", spf.ResultFail},
		{"v=spf1 ip4:192.0.2.1", spf.ResultNone}, // evaluates to neutral, but says nothing
		{"v=spf1", spf.ResultNone},
		{"v=spf1 -all redirect=other.example.com", spf.ResultFail}, // redirect is ignored
		{"v=spf1 redirect=pass.example.com", spf.ResultPass},
		{"v=spf1 redirect=none.example.com", spf.ResultNone},
	}
	for _, tt := range tests {
		t.Run(tt.record, func(t *testing.T) {
			f := newFake().txt("example.com", tt.record).
				txt("other.example.com", "v=spf1 +all").
				txt("pass.example.com", "v=spf1 redirect=other.example.com")
			a := walk(f, "example.com")
			if a.All != tt.want {
				t.Errorf("Walk(%q).All = %v; want %v", tt.record, a.All, tt.want)
			}
		})
	}
	// What was never read is not "none" (issue 12): the apex lookup or a
	// redirect target's failing leaves All empty; an include failing does
	// not touch the apex's own all.
	failing := []struct {
		name, record string
		want         spf.Result
	}{
		{"apex lookup failed", "", ""},
		{"redirect target failed", "v=spf1 redirect=down.example.com", ""},
		{"include failed, all read", "v=spf1 include:down.example.com -all", spf.ResultFail},
	}
	for _, tt := range failing {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			if tt.record == "" {
				f.fail("example.com", 0, errFakeTimeout)
			} else {
				f.txt("example.com", tt.record)
			}
			f.fail("down.example.com", 0, errFakeTimeout)
			a := walk(f, "example.com")
			if a.Status != spf.StatusTemperror || a.All != tt.want {
				t.Errorf("got status %v all %q; want temperror, %q", a.Status, a.All, tt.want)
			}
		})
	}
	// No record, or one that does not parse, has no all to report either.
	unread := []struct {
		name, record string
		status       spf.Status
	}{
		{"no record", "", spf.StatusNone},
		{"record does not parse", "v=spf1 ipv4:192.0.2.1 -all", spf.StatusPermerror},
	}
	for _, tt := range unread {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			if tt.record != "" {
				f.txt("example.com", tt.record)
			} else {
				f.txt("example.com", "google-site-verification=abc")
			}
			a := walk(f, "example.com")
			if a.Status != tt.status || a.All != "" {
				t.Errorf("got status %v all %q; want %v, no all", a.Status, a.All, tt.status)
			}
		})
	}
	t.Run("redirect ignored next to all costs no lookup", func(t *testing.T) {
		f := newFake().txt("example.com", "v=spf1 -all redirect=other.example.com")
		if a := walk(f, "example.com"); a.Lookups != 0 || len(a.Includes) != 0 || f.count() != 1 {
			t.Errorf("got %d lookups, %d nodes, %d queries; want 0, 0, 1", a.Lookups, len(a.Includes), f.count())
		}
	})
}

func TestWalkIncludeOfMissingName(t *testing.T) {
	f := newFake().txt("example.com", "v=spf1 include:nx.example.net -all")
	a := walk(f, "example.com")
	if a.Status != spf.StatusPermerror || a.VoidLookups != 1 || !strings.Contains(a.Err, spf.ErrTargetNoRecord.Error()) {
		t.Errorf("got status %v voids %d err %q; want permerror, 1, no record", a.Status, a.VoidLookups, a.Err)
	}
	if n := a.Includes[0]; n.Status != spf.StatusPermerror || n.Err == "" {
		t.Errorf("got node %+v; want permerror with a reason", n)
	}
	if got := check(f, "example.com"); got.Result != spf.ResultPermerror || !errors.Is(got.Err, spf.ErrTargetNoRecord) {
		t.Errorf("CheckHost: got %v (%v); want permerror, ErrTargetNoRecord", got.Result, got.Err)
	}
}

func TestWalkVoidLookups(t *testing.T) {
	tests := []struct {
		name   string
		record string
		voids  int
		status spf.Status
	}{
		{"two void lookups are allowed", "v=spf1 a:nx1.example.com mx:nx2.example.com -all", 2, spf.StatusOK},
		{"three void lookups are permerror", "v=spf1 a:nx1.example.com mx:nx2.example.com exists:nx3.example.com -all", 3, spf.StatusPermerror},
		{"a name without A records is void too", "v=spf1 a:v6only.example.com a:nx1.example.com a:nx2.example.com -all", 3, spf.StatusPermerror},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake().txt("example.com", tt.record).a("v6only.example.com", "2001:db8::1")
			a := walk(f, "example.com")
			if a.Status != tt.status || a.VoidLookups != tt.voids || a.TooManyVoid != (tt.voids > 2) {
				t.Errorf("got status %v, %d voids, too many %v (err %q); want %v, %d", a.Status, a.VoidLookups, a.TooManyVoid, a.Err, tt.status, tt.voids)
			}
			want := spf.ResultFail
			if tt.voids > 2 {
				want = spf.ResultPermerror
			}
			if got := check(f, "example.com"); got.Result != want || got.VoidLookups != tt.voids {
				t.Errorf("CheckHost: got %v with %d voids; want %v with %d", got.Result, got.VoidLookups, want, tt.voids)
			}
		})
	}
}

func TestWalkMXWithTooManyNames(t *testing.T) {
	var hosts []string
	for i := range 25 {
		hosts = append(hosts, fmt.Sprintf("mx%d.example.com", i))
	}
	f := newFake().txt("example.com", "v=spf1 mx:mail.example.com -all").mx("mail.example.com", hosts...)
	a := walk(f, "example.com")
	if a.Status != spf.StatusPermerror || !strings.Contains(a.Err, spf.ErrTooManyMX.Error()) {
		t.Errorf("got status %v err %q; want permerror, %q", a.Status, a.Err, spf.ErrTooManyMX)
	}
	if got := check(f, "example.com"); got.Result != spf.ResultPermerror || !errors.Is(got.Err, spf.ErrTooManyMX) {
		t.Errorf("CheckHost: got %v (%v); want permerror, ErrTooManyMX", got.Result, got.Err)
	}
}

func TestWalkRecordSplitAcrossStrings(t *testing.T) {
	// One TXT record of three character-strings, cut in the middle of terms.
	f := newFake()
	f.add(&dns.TXT{Hdr: hdr("example.com", dns.TypeTXT), Txt: []string{"v=spf1 ip4:192.0", ".2.1 include:_spf.exa", "mple.com -all"}})
	f.txt("_spf.example.com", "v=spf1 ~all")
	a := walk(f, "example.com")
	if a.Status != spf.StatusOK || a.Record != "v=spf1 ip4:192.0.2.1 include:_spf.example.com -all" {
		t.Errorf("got status %v record %q (err %q); want ok and the strings joined with nothing", a.Status, a.Record, a.Err)
	}
	r, err := spf.Parse(a.Record)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Mechanisms[1].Term; got != "include:_spf.example.com" {
		t.Errorf("got term %q; want the joined include:_spf.example.com", got)
	}
}

func TestWalkControlBytes(t *testing.T) {
	tests := []struct {
		name, record, term string
	}{
		{"carriage return", "v=spf1 a:ctrl.example.com\rptr -all", `"a:ctrl.example.com\rptr"`},
		{"NUL", "v=spf1 ip4:192.0.2.1\x00 -all", `"ip4:192.0.2.1\x00"`},
		{"escape sequence", "v=spf1 include:\x1b[31mred.example.com -all", `"include:\x1b[31mred.example.com"`},
		{"non-ASCII", "v=spf1 a:\xEF\xBB\xBFgarbage.example.net -all", `"a:\ufeffgarbage.example.net"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake().txt("example.com", "v=spf1 include:inner.example.com -all").txt("inner.example.com", tt.record)
			a := walk(f, "example.com")
			if a.Status != spf.StatusPermerror || !strings.Contains(a.Err, tt.term) {
				t.Errorf("got status %v err %q; want permerror naming %s", a.Status, a.Err, tt.term)
			}
			if n := a.Includes[0]; n.Status != spf.StatusPermerror || !strings.Contains(n.Err, tt.term) {
				t.Errorf("got node %+v; want permerror naming %s", n, tt.term)
			}
			f.txt("apex.example.com", tt.record)
			if a := walk(f, "apex.example.com"); a.Status != spf.StatusPermerror || !strings.Contains(a.Err, tt.term) {
				t.Errorf("apex: got status %v err %q; want permerror naming %s", a.Status, a.Err, tt.term)
			}
		})
	}
}

func TestWalkTemperrorInNestedInclude(t *testing.T) {
	f := newFake().
		txt("example.com", "v=spf1 include:a.example.net include:c.example.net -all").
		txt("a.example.net", "v=spf1 include:b.example.net ~all").
		txt("c.example.net", "v=spf1 ip4:192.0.2.0/24 ~all")
	f.fail("b.example.net", dns.TypeTXT, errServfail)
	a := walk(f, "example.com")
	if a.Status != spf.StatusTemperror || !strings.Contains(a.Err, spf.ErrDNS.Error()) || !strings.Contains(a.Err, "b.example.net") {
		t.Errorf("got status %v err %q; want temperror naming b.example.net", a.Status, a.Err)
	}
	b := a.Includes[0].Children[0]
	if b.Name != "b.example.net" || b.Status != spf.StatusTemperror {
		t.Errorf("got node %+v; want b.example.net, temperror", b)
	}
	if len(a.Includes) != 2 || a.Includes[1].Status != spf.StatusOK {
		t.Errorf("got %d apex includes; want the walk to go on to c.example.net", len(a.Includes))
	}
	if got := check(f, "example.com"); got.Result != spf.ResultTemperror || !errors.Is(got.Err, errServfail) {
		t.Errorf("CheckHost: got %v (%v); want temperror caused by the SERVFAIL", got.Result, got.Err)
	}
}

func TestWalkHostileWideTree(t *testing.T) {
	// Every record includes nine more, four levels deep: 7,380 names.
	f := newFake()
	var publish func(name string, depth int)
	publish = func(name string, depth int) {
		if depth == 4 {
			f.txt(name, "v=spf1 a -all")
			return
		}
		var terms []string
		for i := range 9 {
			child := fmt.Sprintf("w%d.%s", i, name)
			terms = append(terms, "include:"+child)
			publish(child, depth+1)
		}
		f.txt(name, "v=spf1 "+strings.Join(terms, " ")+" -all")
	}
	publish("example.com", 0)
	tests := []struct {
		name string
		opts spf.WalkOptions
		max  int
	}{
		{"default caps", spf.WalkOptions{}, 50},
		{"tighter caps", spf.WalkOptions{MaxQueries: 20, MaxDepth: 2}, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.count()
			a := spf.Walk(context.Background(), f, "example.com", tt.opts)
			if q := f.count() - before; q > tt.max {
				t.Errorf("walk made %d queries; want at most %d", q, tt.max)
			}
			if a.Status != spf.StatusPermerror || !a.TooManyLookups {
				t.Errorf("got status %v too many lookups %v; want permerror, true", a.Status, a.TooManyLookups)
			}
		})
	}
	if got := check(f, "example.com"); got.Result != spf.ResultPermerror || f.count() > 200 {
		t.Errorf("CheckHost: got %v; want permerror", got.Result)
	}
}

func TestWalkTargets(t *testing.T) {
	f := newFake().
		txt("example.com", "v=spf1 a mx:Mail.Example.com exists:%{i}.spf.hc1234-56.iphmx.com ptr include:_spf.google.com "+
			"include:_SPF.google.com. a:dispatch-us.ppe-hosted.com include:%{d}.inc.example.net ip4:192.0.2.1 redirect=_spf.example.net").
		txt("_spf.google.com", "v=spf1 ip4:198.51.100.0/24 ~all").
		txt("_spf.example.net", "v=spf1 a:dispatch-us.ppe-hosted.com -all").
		a("example.com", "192.0.2.1").a("dispatch-us.ppe-hosted.com", "192.0.2.2").
		mx("mail.example.com", "mx1.example.com")
	a := walk(f, "example.com")
	// Each record's terms are listed once, with the record they are in:
	// dispatch-us.ppe-hosted.com is named by the apex and by the redirect target.
	want := []spf.Target{
		{Mechanism: "a", Name: "example.com", From: "example.com"},
		{Mechanism: "mx", Name: "Mail.Example.com", From: "example.com"},
		{Mechanism: "exists", Name: "%{i}.spf.hc1234-56.iphmx.com", From: "example.com"},
		{Mechanism: "ptr", Name: "example.com", From: "example.com"},
		{Mechanism: "include", Name: "_spf.google.com", From: "example.com"},
		{Mechanism: "a", Name: "dispatch-us.ppe-hosted.com", From: "example.com"},
		{Mechanism: "include", Name: "%{d}.inc.example.net", From: "example.com"},
		{Mechanism: "redirect", Name: "_spf.example.net", From: "example.com"},
		{Mechanism: "a", Name: "dispatch-us.ppe-hosted.com", From: "_spf.example.net"},
	}
	if !reflect.DeepEqual(a.Targets, want) {
		t.Errorf("got targets\n%v\nwant\n%v", a.Targets, want)
	}
	if a.Status != spf.StatusOK || a.Lookups != 10 || a.All != spf.ResultFail {
		t.Errorf("got status %v lookups %d all %v (err %q); want ok, 10, fail", a.Status, a.Lookups, a.All, a.Err)
	}
	// apex TXT, a, mx, 2 includes, a, redirect TXT, a: the macro targets and ptr ask nothing.
	if got := f.count(); got != 8 {
		t.Errorf("got %d queries; want 8", got)
	}
}

func TestWalkApex(t *testing.T) {
	f := newFake().
		txt("bad.example.com", "v=spf1 ip4:1.2.3 -all").
		txt("other.example.com", "MS=ms1234")
	f.fail("broken.example.com", dns.TypeTXT, errServfail)
	tests := []struct {
		name, domain string
		status       spf.Status
		err          string
	}{
		{"no record", "other.example.com", spf.StatusNone, spf.ErrNoRecord.Error()},
		{"no such name", "nx.example.com", spf.StatusNone, spf.ErrNoRecord.Error()},
		{"single label", "localhost", spf.StatusNone, spf.ErrInvalidDomain.Error()},
		{"label over 63 bytes", strings.Repeat("a", 64) + ".example.com", spf.StatusNone, spf.ErrInvalidDomain.Error()},
		{"domain literal", "[192.0.2.1]", spf.StatusNone, spf.ErrInvalidDomain.Error()},
		{"syntax error", "bad.example.com", spf.StatusPermerror, `spf: permerror: invalid term "ip4:1.2.3"`},
		{"SERVFAIL", "broken.example.com", spf.StatusTemperror, spf.ErrDNS.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := walk(f, tt.domain)
			if a.Status != tt.status || !strings.Contains(a.Err, tt.err) {
				t.Errorf("got status %v err %q; want %v, %q", a.Status, a.Err, tt.status, tt.err)
			}
		})
	}
}

// TestWalkOverDNS runs a walk through a real DNS server and the scanner's
// resolver: the record is published as three character-strings.
func TestWalkOverDNS(t *testing.T) {
	srv := dnstest.New(t, `
example.com.       TXT "v=spf1 ip4:192.0" ".2.1 include:_spf.exa" "mple.com -all"
example.com.       TXT "google-site-verification=abc"
_spf.example.com.  TXT "v=spf1 a:mail.example.com ~all"
mail.example.com.  A   192.0.2.25
`)
	client, err := resolve.NewClient(resolve.Config{Servers: []string{srv.Addr()}, Timeout: 300 * time.Millisecond, Retries: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	cache := resolve.NewCache(client)
	a := spf.Walk(context.Background(), cache, "example.com", spf.WalkOptions{})
	if a.Status != spf.StatusOK || a.Record != "v=spf1 ip4:192.0.2.1 include:_spf.example.com -all" || a.Lookups != 2 || a.All != spf.ResultFail {
		t.Errorf("got %+v; want ok, the joined record, 2 lookups, all fail", a)
	}
	o := spf.CheckHost(context.Background(), cache, netip.MustParseAddr("192.0.2.25"), "example.com", "")
	if o.Result != spf.ResultPass || o.Mechanism != "include:_spf.example.com" {
		t.Errorf("CheckHost: got %v by %q (%v); want pass by include:_spf.example.com", o.Result, o.Mechanism, o.Err)
	}
}

func TestWalkTargetsListsManyOnceEach(t *testing.T) {
	// Macro targets cost no query, so a record can name many: past a few
	// dozen the walk switches to a map, and must list each name once,
	// whatever its case, in record order.
	var terms []string
	var want []spf.Target
	for i := range 40 {
		name := fmt.Sprintf("%%{i}.h%d.example.net", i)
		terms = append(terms, "exists:"+name, "exists:"+strings.ToUpper(name))
		want = append(want, spf.Target{Mechanism: "exists", Name: name, From: "example.com"})
	}
	f := newFake().txt("example.com", "v=spf1 "+strings.Join(terms, " ")+" -all")
	a := walk(f, "example.com")
	if !reflect.DeepEqual(a.Targets, want) {
		t.Errorf("got %d targets, want %d, each once:\n%v", len(a.Targets), len(want), a.Targets)
	}
}

func TestWalkSalvagesAPermerrorRecord(t *testing.T) {
	// One bad term makes the record a permerror for receivers, but its
	// other terms still say whom the owner meant to authorise: Targets
	// lists them, from the apex record alone, and nothing is looked up.
	f := newFake().
		txt("example.com", "v=spf1 ipv4:192.0.2.1 include:spf.protection.outlook.com a:Mail.Example.net mx bogus=%{ redirect=_spf.example.net")
	a := walk(f, "example.com")
	want := []spf.Target{
		{Mechanism: "include", Name: "spf.protection.outlook.com", From: "example.com"},
		{Mechanism: "a", Name: "Mail.Example.net", From: "example.com"},
		{Mechanism: "mx", Name: "example.com", From: "example.com"},
		{Mechanism: "redirect", Name: "_spf.example.net", From: "example.com"},
	}
	if a.Status != spf.StatusPermerror || !strings.Contains(a.Err, `"ipv4:192.0.2.1"`) || !a.Salvaged || !reflect.DeepEqual(a.Targets, want) {
		t.Errorf("got status %v err %q salvaged %v targets\n%v\nwant permerror naming ipv4:192.0.2.1, salvaged, targets\n%v", a.Status, a.Err, a.Salvaged, a.Targets, want)
	}
	if a.Lookups != 0 || len(a.Includes) != 0 || f.count() != 1 {
		t.Errorf("got %d lookups, %d includes, %d queries; want only the apex TXT asked", a.Lookups, len(a.Includes), f.count())
	}
	// A well-formed record is walked as before and not marked salvaged.
	if b := walk(newFake().txt("example.org", "v=spf1 -all"), "example.org"); b.Salvaged {
		t.Errorf("a record that parses is marked salvaged")
	}
}
