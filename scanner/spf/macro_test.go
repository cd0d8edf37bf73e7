package spf

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// rfcEnv is the example of RFC 7208 §7.4.
func rfcEnv(ip string) *macroEnv {
	return &macroEnv{
		sender:   "strong-bad@email.example.com",
		local:    "strong-bad",
		sdomain:  "email.example.com",
		domain:   "email.example.com",
		ip:       netip.MustParseAddr(ip),
		helo:     "mx.example.org",
		receiver: "receiver.example.net",
		now:      time.Unix(1700000000, 0),
		ptr:      func() string { return "mail.example.com" },
	}
}

// TestExpandRFCExamples checks the expansions RFC 7208 §7.4 gives.
func TestExpandRFCExamples(t *testing.T) {
	tests := []struct {
		ip, in, want string
	}{
		{"192.0.2.3", "%{s}", "strong-bad@email.example.com"},
		{"192.0.2.3", "%{o}", "email.example.com"},
		{"192.0.2.3", "%{d}", "email.example.com"},
		{"192.0.2.3", "%{d4}", "email.example.com"},
		{"192.0.2.3", "%{d3}", "email.example.com"},
		{"192.0.2.3", "%{d2}", "example.com"},
		{"192.0.2.3", "%{d1}", "com"},
		{"192.0.2.3", "%{dr}", "com.example.email"},
		{"192.0.2.3", "%{d2r}", "example.email"},
		{"192.0.2.3", "%{l}", "strong-bad"},
		{"192.0.2.3", "%{l-}", "strong.bad"},
		{"192.0.2.3", "%{lr}", "strong-bad"},
		{"192.0.2.3", "%{lr-}", "bad.strong"},
		{"192.0.2.3", "%{l1r-}", "strong"},
		{"192.0.2.3", "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"},
		{"192.0.2.3", "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"},
		{"192.0.2.3", "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
		{"192.0.2.3", "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"},
		{"192.0.2.3", "%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"},
		{"2001:db8::cb01", "%{ir}.%{v}._spf.%{d2}", "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.in+" for "+tt.ip, func(t *testing.T) {
			m, err := parseMacroString(tt.in, false)
			if err != nil {
				t.Fatal(err)
			}
			got, err := m.expand(rfcEnv(tt.ip))
			if err != nil || got != tt.want {
				t.Errorf("expand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestExpandMore(t *testing.T) {
	tests := []struct {
		name, in string
		explain  bool
		want     string
	}{
		{"escapes", "a%%b%_c%-d", false, "a%b c%20d"},
		{"upper case URL-escapes", "%{L}", false, "strong-bad"},
		{"upper case escapes reserved bytes", "%{S}", false, "strong-bad%40email.example.com"},
		{"IPv4 c is dotted", "%{c}", true, "192.0.2.3"},
		{"receiver", "%{r}", true, "receiver.example.net"},
		{"time", "%{t}", true, "1700000000"},
		{"helo", "%{h}", false, "mx.example.org"},
		{"validated name", "%{p}", false, "mail.example.com"},
		{"explanation keeps spaces", "%{i} is not allowed", true, "192.0.2.3 is not allowed"},
		{"more parts asked than exist", "%{d99}", false, "email.example.com"},
		{"huge part count saturates", "%{d99999999999999999999}", false, "email.example.com"},
		{"reverse letter in any case", "%{dR}", false, "com.example.email"},
		{"multiple delimiters", "%{l2r+-}", false, "bad.strong"},
		{"a delimiter other than dot", "%{s-}", false, "strong.bad@email.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := parseMacroString(tt.in, tt.explain)
			if err != nil {
				t.Fatal(err)
			}
			got, err := m.expand(rfcEnv("192.0.2.3"))
			if err != nil || got != tt.want {
				t.Errorf("expand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestURLEscape(t *testing.T) {
	if got, want := urlEscape("~jack&jill=up-a_b3.c"), "~jack%26jill%3Dup-a_b3.c"; got != want {
		t.Errorf("urlEscape = %q; want %q", got, want)
	}
	if got, want := urlEscape("a b\x00\xff"), "a%20b%00%FF"; got != want {
		t.Errorf("urlEscape = %q; want %q", got, want)
	}
}

func TestExpansionIsCapped(t *testing.T) {
	env := rfcEnv("192.0.2.3")
	env.local = strings.Repeat("x", 1000)
	m, err := parseMacroString(strings.Repeat("%{L}", 20), true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.expand(env); err != errExpansionTooLong {
		t.Errorf("got %v; want errExpansionTooLong", err)
	}
}

func TestTargetName(t *testing.T) {
	long := strings.Repeat("a", 63)
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"plain", "mail.example.com", "mail.example.com", true},
		{"trailing dot dropped", "mail.example.com.", "mail.example.com", true},
		{"empty label", "mail.example...com", "", false},
		{"label over 63", strings.Repeat("a", 64) + ".example.com", "", false},
		{"label of 63", long + ".example.com", long + ".example.com", true},
		{"over 253 loses left labels", "x." + long + "." + long + "." + long + "." + long + ".com", long + "." + long + "." + long + ".com", true},
		{"spaces escaped", "macro%percent  space%20url-space.example.com", `macro%percent\ \ space%20url-space.example.com`, true},
		{"bytes escaped", "a\x01\"b\xff.example.com", `a\001\"b\255.example.com`, true},
		{"empty", "", "", false},
		{"root", ".", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := targetName(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("targetName(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// FuzzExpandMacro parses and expands arbitrary macro-strings with arbitrary
// values: it must never panic, and output stays within the cap.
func FuzzExpandMacro(f *testing.F) {
	for _, s := range []string{
		"%{s}", "%{ir}.%{v}._spf.%{d2}", "%{l1r-}", "%{L}", "%%%_%-", "%{d0}", "%{",
		"%{p}.%{h}.%{c}.%{r}.%{t}", "%{d99999999999999999999r.-+,/_=}", "%", "foo%.bar", "%{x}",
	} {
		f.Add(s, "strong-bad@email.example.com", "192.0.2.3", true)
		f.Add(s, "a..b@@-c", "2001:db8::cb01", false)
	}
	f.Fuzz(func(t *testing.T, in, sender, ip string, explain bool) {
		m, err := parseMacroString(in, explain)
		if err != nil {
			return
		}
		local, domain, _ := strings.Cut(sender, "@")
		addr, _ := netip.ParseAddr(ip)
		env := &macroEnv{sender: sender, local: local, sdomain: domain, domain: domain, ip: addr, helo: sender, ptr: func() string { return domain }}
		out, err := m.expand(env)
		if err == nil && len(out) > maxExpansion+3*len(sender)*3 {
			t.Errorf("expansion of %d bytes", len(out))
		}
		targetName(out)
	})
}
