package mtasts

import (
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n",
		"version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 86400",
		"version: STSv1\nmode: none\nmax_age: 0\n",
		"\n\nmax_age:1\nmx: A.EXAMPLE.\nmode: enforce\n version: STSv1\nx-ext: a: b\n",
		"version: STSv1\nmode: enforce\nmode: testing\nmx: a.example\nmax_age: 1\n",
		"version: STSv1\nmode: enforce\nmx: *.*.example\nmax_age: 99999999999\n",
		"<html>\x00\xff</html>",
		":\n:\r\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			if p != nil {
				t.Fatalf("Parse(%q) returned a policy with error %v", b, err)
			}
			if !strings.HasPrefix(err.Error(), "mtasts: ") {
				t.Fatalf("error %q lacks the package prefix", err)
			}
			for _, c := range err.Error() {
				if c < 0x20 || c == 0x7f {
					t.Fatalf("error %q carries a control character", err)
				}
			}
			return
		}
		if p.Version != "STSv1" || (p.Mode != ModeEnforce && p.Mode != ModeTesting && p.Mode != ModeNone) || p.MaxAge < 0 {
			t.Fatalf("Parse(%q) = %+v", b, p)
		}
		if p.Mode != ModeNone && len(p.MX) == 0 {
			t.Fatalf("Parse(%q): mode %s without mx", b, p.Mode)
		}
		for _, pat := range p.MX {
			if !validPattern(pat) || pat != strings.ToLower(pat) {
				t.Fatalf("Parse(%q): mx pattern %q", b, pat)
			}
			if host := strings.Replace(pat, "*", "x", 1); !Match(pat, host) {
				t.Fatalf("pattern %q does not match %q", pat, host)
			}
		}
	})
}
