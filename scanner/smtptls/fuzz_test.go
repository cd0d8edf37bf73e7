package smtptls

import (
	"strings"
	"testing"
)

func FuzzParseMTASTS(f *testing.F) {
	for _, s := range []string{
		"v=STSv1; id=20240101T000000",
		"v=STSv1 ;\tid=abc; x-note=hello;",
		"v=STSv1; id=abc; id=def",
		"v=STSv1;; id=abc",
		"v=STSv1; id=abc\x00",
		"v=stsv1; id=abc",
		"v=STSv1",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMTASTS(s)
		if err != nil {
			if m != nil || !strings.HasPrefix(err.Error(), "smtptls: ") {
				t.Fatalf("ParseMTASTS(%q) = %+v, %v", s, m, err)
			}
			return
		}
		if m.ID == "" || len(m.ID) > 32 || !isAlnum(m.ID) {
			t.Fatalf("ParseMTASTS(%q): id %q", s, m.ID)
		}
		if _, err := SelectMTASTS([]string{s}); err != nil {
			t.Fatalf("ParseMTASTS accepted %q, which SelectMTASTS discards: %v", s, err)
		}
	})
}

func FuzzParseTLSRPT(f *testing.F) {
	for _, s := range []string{
		"v=TLSRPTv1; rua=mailto:tlsrpt@example.com",
		"v=TLSRPTv1 ; rua=mailto:a@example.com , https://r.example.net/x; ext=1;",
		"v=TLSRPTv1; rua=http://r.example.net/",
		"v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com",
		"v=TLSRPTv1; rua=mailto:%zz@example.com",
		"v=TLSRPTv1;",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseTLSRPT(s)
		if err != nil {
			if r != nil || !strings.HasPrefix(err.Error(), "smtptls: ") {
				t.Fatalf("ParseTLSRPT(%q) = %+v, %v", s, r, err)
			}
			return
		}
		if len(r.RUA) == 0 {
			t.Fatalf("ParseTLSRPT(%q): no rua", s)
		}
		for _, u := range r.RUA {
			if !strings.HasPrefix(strings.ToLower(u), "mailto:") && !strings.HasPrefix(strings.ToLower(u), "https:") {
				t.Fatalf("ParseTLSRPT(%q): rua %q", s, u)
			}
		}
		if _, err := SelectTLSRPT([]string{s}); err != nil {
			t.Fatalf("ParseTLSRPT accepted %q, which SelectTLSRPT discards: %v", s, err)
		}
	})
}
