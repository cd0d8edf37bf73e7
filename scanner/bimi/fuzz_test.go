package bimi

import (
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem",
		"v=BIMI1; l=; a=;",
		"v = BIMI1 ; l = https://a.example/1.svg,https://b.example/2.svg ; avp=brand",
		"v=BIMI1; l=http://example.com/x.svg",
		"v=BIMI1; v=BIMI1; l=",
		"l=https://example.com/l.svg; v=BIMI1",
		"v=BIMI1; l=https://user@example.com/%zz",
		"v=BIMI1; l=https://example.com/\x00",
		";;=;",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			if r != nil {
				t.Fatalf("Parse(%q) returned a record with error %v", s, err)
			}
			if !strings.HasPrefix(err.Error(), "bimi: ") {
				t.Fatalf("error %q lacks the package prefix", err)
			}
			for _, c := range err.Error() {
				if c < 0x20 || c == 0x7f {
					t.Fatalf("error %q carries a control character", err)
				}
			}
			return
		}
		if rec, err := Select([]string{s}); err != nil || rec != s {
			t.Fatalf("Parse accepted %q, which Select discards (%v)", s, err)
		}
		for _, u := range []string{r.Logo, r.Authority} {
			if u != "" && !strings.HasPrefix(strings.ToLower(u), "https://") {
				t.Fatalf("Parse(%q): %q is not https", s, u)
			}
		}
	})
}
