package targets

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"example.com", "WWW.Example.COM.", "https://user@www.example.com:8080/path?q#f", "//example.com",
		"bob@example.com", "mailto:bob@example.com", "example.com:443", "[2001:db8::1]:53", "192.0.2.1",
		"bücher.example", "xn--bcher-kva.example", "faß.de", "bücher。example", "ｅｘａｍｐｌｅ.com", "a\u05d0.example",
		"_dmarc.example.com", "ab--cd.example", "-a.example", "a-.example", "a..b", ".", "", " ", "not a domain!",
		strings.Repeat("a", 64) + ".com", strings.Repeat("a.", 130) + "com", "12345", "999.1.1.1", "xn--.com", "\xff.com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ascii, unicode, err := Normalize(s)
		if err != nil {
			if err.Error() == "" {
				t.Errorf("Normalize(%q): empty reason", s)
			}
			return
		}
		if ascii == "" || strings.HasSuffix(ascii, ".") || strings.ToLower(ascii) != ascii || len(ascii) > maxName {
			t.Errorf("Normalize(%q) = %q; want a lower-case name of at most 253 octets without a trailing dot", s, ascii)
		}
		again, unicode2, err := Normalize(ascii)
		if again != ascii || unicode2 != unicode || err != nil {
			t.Errorf("Normalize(%q) = %q, %q, %v; want %q, %q, nil", ascii, again, unicode2, err, ascii, unicode)
		}
		if unicode != "" {
			if fromU, _, err := Normalize(unicode); fromU != ascii || err != nil {
				t.Errorf("Normalize(%q) = %q, %v; want %q (the U-label must lead back)", unicode, fromU, err, ascii)
			}
		}
	})
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"- example.com\n- Example.ORG.\n- bücher.example\n",
		"targets:\n  - example.com\n  - {domain: a.example, party: D, year: 2024, ok: true}\n",
		"defaults: {cycle: 2024}\ntargets: [a.example, {domain: b.example, cycle: 2020}]\n",
		"c: &c {party: D}\ntargets:\n  - {domain: a.example, <<: *c}\n  - *c\n",
		"- \"\"\n-\n- 12345\n- {party: D}\n- [a, b]\n- not a domain!\n- {domain: a.example, 1: x}\n",
		"- {domain: a.example, a: 1, a: 2}\n- {domain: x, v: &v [*v]}\n",
		"- a.example\n- a.example\n", "[]", "targets: []", "targets:\n", "", "~", "example.com",
		"- [b.example,\n", "- a\x01\n", "- a\n---\n- b\n", "targets: x\n", "- {domain: d.example, x: !!int nope}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		targets, warnings, err := Parse(bytes.NewReader(data), "f.yaml")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yaml:") {
				t.Errorf("error %q does not start with the file name", err)
			}
			return
		}
		for _, tg := range targets {
			if tg.Line < 1 {
				t.Errorf("target %+v has no line", tg)
			}
			if tg.Invalid != "" {
				continue
			}
			if again, _, err := Normalize(tg.Domain); again != tg.Domain || err != nil {
				t.Errorf("Domain %q re-normalises to %q, %v", tg.Domain, again, err)
			}
			if _, err := tg.Labels.MarshalJSON(); err != nil {
				t.Errorf("labels of %q: %v", tg.Domain, err)
			}
		}
		for _, w := range warnings {
			if !strings.HasPrefix(w.String(), "f.yaml:") {
				t.Errorf("warning %q does not start with the file name", w)
			}
		}
	})
}

// corpus returns a targets file of n entries, half plain domains and half
// maps with labels, every tenth a duplicate or invalid.
func corpus(n int) []byte {
	var b bytes.Buffer
	b.WriteString("defaults:\n  cycle: 2024\ntargets:\n")
	for i := 0; i < n; i++ {
		switch {
		case i%10 == 9:
			fmt.Fprintf(&b, "  - campaign%d.example\n", i-1) // duplicate
		case i%20 == 3:
			fmt.Fprintf(&b, "  - not a domain %d\n", i)
		case i%2 == 0:
			fmt.Fprintf(&b, "  - Campaign%d.Example.\n", i)
		default:
			fmt.Fprintf(&b, "  - domain: campaign%d.example\n    candidate: Candidate %d\n    party: D\n    year: 2024\n    incumbent: false\n", i, i)
		}
	}
	return b.Bytes()
}

func BenchmarkParse100k(b *testing.B) {
	data := corpus(100_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		targets, _, err := Parse(bytes.NewReader(data), "bench.yaml")
		if err != nil || len(targets) < 80_000 {
			b.Fatalf("got %d targets, %v", len(targets), err)
		}
	}
}
