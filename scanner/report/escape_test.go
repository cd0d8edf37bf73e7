package report

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain text is unchanged", "v=spf1 include:_spf.google.com ~all", "v=spf1 include:_spf.google.com ~all"},
		{"printable Unicode is unchanged", "bücher.example 日本 é", "bücher.example 日本 é"},
		{"empty", "", ""},
		{"escape sequence", "\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"bell and NUL", "a\x07b\x00", `a\x07b\x00`},
		{"tab, newline, carriage return", "a\tb\nc\rd", `a\tb\nc\rd`},
		{"DEL", "a\x7f", `a\x7f`},
		{"C1 control (CSI)", "a\u009b2J", `a\u009b2J`},
		{"invalid UTF-8 bytes", "a\xff\xfeb", `a\xff\xfeb`},
		{"truncated UTF-8 sequence", "a\xe2\x80", `a\xe2\x80`},
		{"bidi override", "\u202egnp.exe", `\u202egnp.exe`},
		{"bidi isolates", "\u2066x\u2069", `\u2066x\u2069`},
		{"zero-width characters", "a\u200bb\u200dc\u200fd", `a\u200bb\u200dc\u200fd`},
		{"byte order mark", "\ufeffv=spf1", `\ufeffv=spf1`},
		{"line and paragraph separators", "a\u2028b\u2029c", `a\u2028b\u2029c`},
		{"tag characters (hidden text)", "ok\U000e0041\U000e007f", `ok\U000e0041\U000e007f`},
		{"a backslash is doubled", `C:\x1b`, `C:\\x1b`},
		{"a backslash alone", `\`, `\\`},
		{"replacement character itself is printable", "\ufffd", "\ufffd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Clean(tt.in); got != tt.want {
				t.Errorf("Clean(%q): got %q; want %q", tt.in, got, tt.want)
			}
			if got := unclean(t, Clean(tt.in)); got != tt.in {
				t.Errorf("unclean(Clean(%q)): got %q; the escape is ambiguous", tt.in, got)
			}
		})
	}
}

func TestCleanDoesNotAllocateForCleanText(t *testing.T) {
	s := "alpha2024-example.mail.protection.outlook.com"
	if n := testing.AllocsPerRun(100, func() { _ = Clean(s) }); n != 0 {
		t.Errorf("got %v allocations; want 0", n)
	}
}

func TestCSVCell(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"formula", "=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"},
		{"plus", "+1", "'+1"},
		{"minus", "-2", "'-2"},
		{"at", "@SUM(1)", "'@SUM(1)"},
		{"full-width equals", "＝1+1", "'＝1+1"},
		{"tab is escaped, not a trigger", "\t=1", `\t=1`},
		{"carriage return is escaped, not a trigger", "\r=1", `\r=1`},
		{"formula after an escape", "\x1b=1", `\x1b=1`},
		{"a sign later in the cell is fine", "a=b-c", "a=b-c"},
		{"plain", "microsoft", "microsoft"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CSVCell(tt.in); got != tt.want {
				t.Errorf("CSVCell(%q): got %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMarkdownEscape(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "example.com", "example.com"},
		{"table pipe", "a|b", `a\|b`},
		{"code", "`x`", "\\`x\\`"},
		{"emphasis", "*a* _b_ ~c~", `\*a\* \_b\_ \~c\~`},
		{"link", "[x](javascript:alert(1))", `\[x\](javascript:alert(1))`},
		{"image", "![x](y)", `\!\[x\](y)`},
		{"html", "<script>&amp;", "&lt;script&gt;&amp;amp;"},
		{"url autolink", "https://evil.example/", `https\://evil.example/`},
		{"www autolink", "www.evil.example WWW.x", `www\.evil.example WWW\.x`},
		{"email autolink", "a@b.example", `a\@b.example`},
		{"heading", "# x", `\# x`},

		{"backslash shows as Clean's escape", "a\\b\x1b", `a\\\\b\\x1b`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mdEscape(tt.in); got != tt.want {
				t.Errorf("mdEscape(%q): got %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMarkdownLineStart(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"bullet list", "- x", `\- x`},
		{"plus list", "+1", `\+1`},
		{"ordered list", "12. x", `12\. x`},
		{"ordered list, parenthesis", "1) x", `1\) x`},
		{"thematic break", "---", `\---`},
		{"plain", "microsoft", "microsoft"},
		{"a number alone", "2024", "2024"},
		{"signs inside text are left alone", "a-b+c 1. 2)", "a-b+c 1. 2)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mdStart(tt.in); got != tt.want {
				t.Errorf("mdStart(%q): got %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestJSONSafeKeepsTheDataExact(t *testing.T) {
	in := "a\u009b\u202e\U000e0041\u200bé日"
	b, err := marshal(in, "", "")
	if err != nil {
		t.Fatal(err)
	}
	want := `"a\u009b\u202e\udb40\udc41\u200bé日"`
	if string(b) != want {
		t.Errorf("got %s; want %s", b, want)
	}
	var back string
	if err := json.Unmarshal(b, &back); err != nil || back != in {
		t.Errorf("got %q, %v; want %q", back, err, in)
	}
	if got := string(jsonSafe([]byte("\"a\xffb\""))); got != `"a\ufffdb"` {
		t.Errorf("invalid UTF-8: got %s; want %s", got, `"a\ufffdb"`)
	}
}

// unclean inverts Clean, failing the test on an escape Clean does not write.
func unclean(t testing.TB, s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 >= len(s) {
			t.Fatalf("%q: lone backslash at the end", s)
		}
		i++
		width := 0
		switch s[i] {
		case '\\':
			b.WriteByte('\\')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'x':
			width = 2
		case 'u':
			width = 4
		case 'U':
			width = 8
		default:
			t.Fatalf("%q: unknown escape \\%c", s, s[i])
		}
		if width == 0 {
			continue
		}
		if i+1+width > len(s) {
			t.Fatalf("%q: short escape", s)
		}
		v, err := strconv.ParseUint(s[i+1:i+1+width], 16, 32)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if width == 2 {
			b.WriteByte(byte(v))
		} else {
			b.WriteRune(rune(v))
		}
		i += width
	}
	return b.String()
}

var fuzzSeeds = []string{
	"", "plain", "\x1b[31mred\x07", "\u202e\u2066\ufeff", "\xff\xfe", `back\slash`, "=1+1", "+1", "-2", "@SUM(1)",
	"\t=1", "\r\n", "\u009b", "\U000e0041", "日本\u200d", hostileRecord, "＝1",
}

// FuzzClean checks Clean's promises on any input: the output is valid UTF-8
// with nothing left to escape, it decodes back to the input (unambiguous),
// and text Clean does not need to touch comes back unchanged.
func FuzzClean(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := Clean(s)
		if !utf8.ValidString(c) {
			t.Fatalf("Clean(%q) = %q: not valid UTF-8", s, c)
		}
		for _, r := range c {
			if r < 0x20 || r == 0x7f || hidden(r) {
				t.Fatalf("Clean(%q) = %q: raw %U", s, c, r)
			}
		}
		if !strings.Contains(c, `\`) && c != s {
			t.Fatalf("Clean(%q) = %q: changed text without escaping anything", s, c)
		}
		if Clean(c) != c && !strings.Contains(c, `\`) {
			t.Fatalf("Clean is not stable on clean text %q", c)
		}
		if u := unclean(t, c); u != s {
			t.Fatalf("unclean(Clean(%q)) = %q", s, u)
		}
	})
}

// FuzzCSVCell checks that no cell can start a formula and no control
// character survives.
func FuzzCSVCell(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := CSVCell(s)
		if !utf8.ValidString(c) {
			t.Fatalf("CSVCell(%q) = %q: not valid UTF-8", s, c)
		}
		if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			t.Fatalf("CSVCell(%q) = %q: starts a formula", s, c)
		}
		for _, r := range c {
			if r < 0x20 || r == 0x7f || hidden(r) {
				t.Fatalf("CSVCell(%q) = %q: raw %U", s, c, r)
			}
		}
		if c != Clean(s) && c != "'"+Clean(s) {
			t.Fatalf("CSVCell(%q) = %q: more than Clean and an apostrophe", s, c)
		}
	})
}

// FuzzMarkdownEscape checks that escaped text can neither split a table
// cell, nor open markup, nor contain raw HTML.
func FuzzMarkdownEscape(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := mdEscape(s)
		for i := 0; i < len(m); i++ {
			switch m[i] {
			case '\\':
				i++ // the escaped character is inert
				if i >= len(m) {
					t.Fatalf("mdEscape(%q) = %q: ends in a backslash", s, m)
				}
			case '|', '`', '*', '_', '[', ']', '<', '>', '\n':
				t.Fatalf("mdEscape(%q) = %q: raw %q", s, m, m[i])
			}
		}
	})
}
