package spf_test

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/mxscope/mxscope/scanner/spf"
)

// TestParseValid lists records that parse, each with its canonical form.
func TestParseValid(t *testing.T) {
	tests := []struct {
		name, record, want string
	}{
		{"empty record", "v=spf1", "v=spf1"},
		{"version in any case", "V=SPF1 -ALL", "v=spf1 -all"},
		{"qualifiers", "v=spf1 +a -mx ~ptr ?all", "v=spf1 a -mx ~ptr ?all"},
		{"several spaces and a trailing space", "v=spf1  a   -all ", "v=spf1 a -all"},
		{"include", "v=spf1 include:_spf.google.com ~all", "v=spf1 include:_spf.google.com ~all"},
		{"include with trailing dot", "v=spf1 include:o.spf.example.com. ~all", "v=spf1 include:o.spf.example.com. ~all"},
		{"a with domain and dual cidr", "v=spf1 a:x.example.com/24//64", "v=spf1 a:x.example.com/24//64"},
		{"a with ip6 cidr only", "v=spf1 a//64", "v=spf1 a//64"},
		{"a with /0", "v=spf1 a/0 mx//0", "v=spf1 a/0 mx//0"},
		{"default cidr lengths are dropped", "v=spf1 a/32//128", "v=spf1 a"},
		{"colon and slash inside a domain", "v=spf1 a:foo:bar/baz.example.com", "v=spf1 a:foo:bar/baz.example.com"},
		{"dash in top label", "v=spf1 a:foo.example.xn--zckzah -all", "v=spf1 a:foo.example.xn--zckzah -all"},
		{"mx with domain and cidr", "v=spf1 mx:example.org/30", "v=spf1 mx:example.org/30"},
		{"ptr with domain", "v=spf1 ptr:example.com", "v=spf1 ptr:example.com"},
		{"ip4 without length", "v=spf1 ip4:192.0.2.1", "v=spf1 ip4:192.0.2.1"},
		{"ip4 /32 is the default", "v=spf1 ip4:192.0.2.1/32", "v=spf1 ip4:192.0.2.1"},
		{"ip4 /0", "v=spf1 ip4:1.1.1.1/0", "v=spf1 ip4:1.1.1.1/0"},
		{"ip4 keeps host bits", "v=spf1 ip4:192.0.2.77/24", "v=spf1 ip4:192.0.2.77/24"},
		{"ip6", "v=spf1 ip6:2001:DB8::/32", "v=spf1 ip6:2001:db8::/32"},
		{"ip6 with embedded ip4", "v=spf1 ip6:::1.1.1.1/0", "v=spf1 ip6:::101:101/0"},
		{"ip6 ip4-mapped", "v=spf1 ip6:::FFFF:1.2.3.4", "v=spf1 ip6:::ffff:1.2.3.4"},
		{"exists with macros", "v=spf1 exists:%{i}.spf.hc1234-56.iphmx.com", "v=spf1 exists:%{i}.spf.hc1234-56.iphmx.com"},
		{"all macro forms", "v=spf1 exists:%{ir}.%{l1r-}.%{d2}.%{o}%{s}%{v}%{h}%{p}._spf.%{D}", "v=spf1 exists:%{ir}.%{l1r-}.%{d2}.%{o}%{s}%{v}%{h}%{p}._spf.%{D}"},
		{"macro with every delimiter", "v=spf1 exists:%{l2r.-+,/_=}.example.com", "v=spf1 exists:%{l2r.-+,/_=}.example.com"},
		{"escapes end a domain", "v=spf1 a:macro%%percent%_%_space%-url-space.example.com -all", "v=spf1 a:macro%%percent%_%_space%-url-space.example.com -all"},
		{"domain ending in a macro", "v=spf1 a:%{d}", "v=spf1 a:%{d}"},
		{"redirect", "v=spf1 redirect=_spf.example.com", "v=spf1 redirect=_spf.example.com"},
		{"modifiers come after mechanisms", "v=spf1 exp=explain.example.com -all", "v=spf1 -all exp=explain.example.com"},
		{"unknown modifier is kept", "v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all", "v=spf1 ip4:1.2.3.4 -all moo.cow-far_out=man:dog/cat"},
		{"obsolete default= is unknown", "v=spf1 default=+", "v=spf1 default=+"},
		{"unknown modifier may be empty", "v=spf1 foo=", "v=spf1 foo="},
		{"modifier name in any case", "v=spf1 Redirect=example.com", "v=spf1 Redirect=example.com"},
		{"redirect with all", "v=spf1 redirect=t5.example.com ~all", "v=spf1 ~all redirect=t5.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := spf.Parse(tt.record)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.record, err)
			}
			if got := r.String(); got != tt.want {
				t.Errorf("Parse(%q).String() = %q; want %q", tt.record, got, tt.want)
			}
		})
	}
}

// TestParseInvalid lists records that are permerror, each with the term the
// error must name.
func TestParseInvalid(t *testing.T) {
	tests := []struct {
		name, record, term string
	}{
		{"not a record", "v=spf10 -all", "v=spf10"},
		{"short ip4", "v=spf1 ip4:1.2.3", "ip4:1.2.3"},
		{"ip4 with port", "v=spf1 ip4:1.2.3.4:8080", "ip4:1.2.3.4:8080"},
		{"ip4 leading zero", "v=spf1 ip4:1.2.3.04", "ip4:1.2.3.04"},
		{"ip4 cidr 33", "v=spf1 ip4:1.2.3.4/33 -all", "ip4:1.2.3.4/33"},
		{"ip4 cidr leading zero", "v=spf1 ip4:1.2.3.4/032", "ip4:1.2.3.4/032"},
		{"ip4 dual cidr", "v=spf1 ip4:1.2.3.4//32", "ip4:1.2.3.4//32"},
		{"ip4 empty cidr", "v=spf1 ip4:1.2.3.4/", "ip4:1.2.3.4/"},
		{"ip4 holding ip6", "v=spf1 ip4:2001:db8::1", "ip4:2001:db8::1"},
		{"bare ip4", "v=spf1 ip4", "ip4"},
		{"bare ip6", "v=spf1 -all ip6", "ip6"},
		{"ip6 cidr 129", "v=spf1 ip6:::1.1.1.1/129", "ip6:::1.1.1.1/129"},
		{"ip6 dual cidr", "v=spf1 ip6:::1.1.1.1//33", "ip6:::1.1.1.1//33"},
		{"ip6 malformed", "v=spf1 ip6::CAFE::BABE", "ip6::CAFE::BABE"},
		{"ip6 holding ip4", "v=spf1 ip6:1.2.3.4", "ip6:1.2.3.4"},
		{"ip6 with zone", "v=spf1 ip6:fe80::1%eth0", "ip6:fe80::1%eth0"},
		{"a cidr 33", "v=spf1 a/33 -all", "a/33"},
		{"a ip6 cidr 129", "v=spf1 a//129 -all", "a//129"},
		{"a cidr in wrong form", "v=spf1 a/24/64 -all", "a/24/64"},
		{"mx ip6 cidr 129", "v=spf1 mx//129", "mx//129"},
		{"a empty domain", "v=spf1 a:", "a:"},
		{"a numeric top label", "v=spf1 a:111.222.33.44", "a:111.222.33.44"},
		{"a single label", "v=spf1 a:museum", "a:museum"},
		{"a single label with dot", "v=spf1 a:museum.", "a:museum."},
		{"a top label starting with dash", "v=spf1 a:example.-com", "a:example.-com"},
		{"a domain with port", "v=spf1 a:example.com:8080", "a:example.com:8080"},
		{"mx numeric top label", "v=spf1 mx:abc.123", "mx:abc.123"},
		{"ptr with cidr", "v=spf1 ptr/0 -all", "ptr/0"},
		{"ptr empty domain", "v=spf1 ptr:", "ptr:"},
		{"include without domain", "v=spf1 include -all", "include"},
		{"include empty domain", "v=spf1 include: -all", "include:"},
		{"include with cidr", "v=spf1 include:ip5.example.com/24 -all", "include:ip5.example.com/24"},
		{"exists without domain", "v=spf1 exists", "exists"},
		{"exists with cidr", "v=spf1 exists:mail.example.com/24", "exists:mail.example.com/24"},
		{"all with dot", "v=spf1 -all.", "-all."},
		{"all with argument", "v=spf1 -all:foobar", "-all:foobar"},
		{"all with cidr", "v=spf1 -all/8", "-all/8"},
		{"unknown mechanism", "v=spf1 ip4:1.2.3.4 -all moo", "moo"},
		{"redirect written as a mechanism", "v=spf1 ip4:1.2.3.4 redirect:t2.example.com", "redirect:t2.example.com"},
		{"slash before modifier =", "v=spf1 moo.cow/far_out=man:dog/cat", "moo.cow/far_out=man:dog/cat"},
		{"colon before modifier =", "v=spf1 moo.cow:far_out=man:dog/cat", "moo.cow:far_out=man:dog/cat"},
		{"modifier name starting with a digit", "v=spf1 1up=foo", "1up=foo"},
		{"empty modifier name", "v=spf1 =all", "=all"},
		{"qualifier on a modifier", "v=spf1 -redirect=example.com", "-redirect=example.com"},
		{"redirect twice", "v=spf1 redirect=a.example.com -all redirect=a.example.com", "redirect=a.example.com"},
		{"exp twice", "v=spf1 exp=a.example.com -all exp=b.example.com", "exp=b.example.com"},
		{"empty exp", "v=spf1 exp= -all", "exp="},
		{"empty redirect", "v=spf1 ?all redirect=", "redirect="},
		{"exp not a domain", "v=spf1 exp=-all", "exp=-all"},
		{"redirect not a domain", "v=spf1 redirect=-all ?all", "redirect=-all"},
		{"bad macro in unknown modifier", "v=spf1 -all foo=%abc", "foo=%abc"},
		{"percent before letter", "v=spf1 -exists:%(ir).sbl.example.com ?all", "-exists:%(ir).sbl.example.com"},
		{"trailing percent", "v=spf1 exists:foo%.sbl.example.com", "exists:foo%.sbl.example.com"},
		{"unterminated macro", "v=spf1 exists:%{i.example.com", "exists:%{i.example.com"},
		{"unknown macro letter", "v=spf1 a:%{a}.example.com -all", "a:%{a}.example.com"},
		{"c r t outside exp text", "v=spf1 -all exp=%{r}.example.com", "exp=%{r}.example.com"},
		{"zero parts", "v=spf1 exists:%{d0}.example.com", "exists:%{d0}.example.com"},
		{"bad delimiter", "v=spf1 exists:%{d2r!}.example.com", "exists:%{d2r!}.example.com"},
		{"empty macro", "v=spf1 exists:%{}.example.com", "exists:%{}.example.com"},
		{"carriage return inside a term", "v=spf1 a:ctrl.example.com\rptr -all", "a:ctrl.example.com\rptr"},
		{"newline after a term", "v=spf1 ip4:192.0.2.5\n include:x.example.com ~all", "ip4:192.0.2.5\n"},
		{"NUL in a domain", "v=spf1 a:foo.example.com\x00", "a:foo.example.com\x00"},
		{"UTF-8 BOM in a domain", "v=spf1 a:\xEF\xBB\xBFgarbage.example.net -all", "a:\xEF\xBB\xBFgarbage.example.net"},
		{"non-ASCII byte before a term", "v=spf1 \x80a:example.net -all", "\x80a:example.net"},
		{"non-ASCII qualifier", "v=spf1 a:example.net \x96all", "\x96all"},
		{"tab between terms", "v=spf1 a\t-all", "a\t-all"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := spf.Parse(tt.record)
			if err == nil {
				t.Fatalf("Parse(%q) = %q; want an error", tt.record, r)
			}
			if !errors.Is(err, spf.ErrSyntax) {
				t.Errorf("Parse(%q) error %v; want ErrSyntax", tt.record, err)
			}
			if want := spf.ErrSyntax.Error() + " " + quote(tt.term); !strings.HasPrefix(err.Error(), want) {
				t.Errorf("Parse(%q) error %q; want it to start %q", tt.record, err, want)
			}
		})
	}
}

// quote quotes a term as error messages do: ASCII only, control bytes escaped.
func quote(s string) string { return strconv.QuoteToASCII(s) }

func TestParseFields(t *testing.T) {
	r, err := spf.Parse("v=spf1 -a:mail.example.com/24//64 ~ip6:2001:db8::/32 ?include:_spf.example.net mx exp=why.%{d} redirect=_spf.example.org foo=bar")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(r.Mechanisms), 4; got != want {
		t.Fatalf("got %d mechanisms; want %d", got, want)
	}
	a := r.Mechanisms[0]
	if a.Qualifier != spf.QualifierFail || a.Kind != spf.KindA || a.Domain != "mail.example.com" || a.CIDR4 != 24 || a.CIDR6 != 64 || a.Term != "-a:mail.example.com/24//64" {
		t.Errorf("got %+v; want -a:mail.example.com/24//64 split into its parts", a)
	}
	if got, want := r.Mechanisms[1].Prefix, netip.MustParsePrefix("2001:db8::/32"); got != want || r.Mechanisms[1].Qualifier != spf.QualifierSoftfail {
		t.Errorf("got %v %v; want ~ %v", r.Mechanisms[1].Qualifier, got, want)
	}
	if m := r.Mechanisms[3]; m.Kind != spf.KindMX || m.Domain != "" || m.CIDR4 != 32 || m.CIDR6 != 128 || m.Qualifier != spf.QualifierPass {
		t.Errorf("got %+v; want a bare mx with default lengths", m)
	}
	if r.Redirect != "_spf.example.org" || r.Exp != "why.%{d}" {
		t.Errorf("got redirect %q exp %q; want _spf.example.org and why.%%{d}", r.Redirect, r.Exp)
	}
	if got, want := len(r.Modifiers), 3; got != want || r.Modifiers[2] != (spf.Modifier{Name: "foo", Value: "bar"}) {
		t.Errorf("got modifiers %+v; want exp, redirect, foo=bar", r.Modifiers)
	}
}

func TestQualifierResult(t *testing.T) {
	tests := []struct {
		q    spf.Qualifier
		want spf.Result
	}{
		{spf.QualifierPass, spf.ResultPass},
		{spf.QualifierFail, spf.ResultFail},
		{spf.QualifierSoftfail, spf.ResultSoftfail},
		{spf.QualifierNeutral, spf.ResultNeutral},
	}
	for _, tt := range tests {
		if got := tt.q.Result(); got != tt.want {
			t.Errorf("Qualifier(%q).Result() = %v; want %v", tt.q, got, tt.want)
		}
	}
}

func TestParseLongRecord(t *testing.T) {
	rec := "v=spf1" + strings.Repeat(" ip4:192.0.2.1", 2000)
	if _, err := spf.Parse(rec); !errors.Is(err, spf.ErrSyntax) {
		t.Errorf("Parse(28 KB record) error %v; want ErrSyntax", err)
	}
}

func BenchmarkParse(b *testing.B) {
	const rec = "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx:mail.example.com/28 include:_spf.google.com " +
		"include:spf.protection.outlook.com exists:%{i}.spf.hc1234-56.iphmx.com ~all exp=explain.%{d2}"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := spf.Parse(rec); err != nil {
			b.Fatal(err)
		}
	}
}
