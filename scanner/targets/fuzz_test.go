package targets

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"
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

// FuzzStreamMatchesParse checks that Stream, streaming or falling back,
// agrees with the whole-document parse on every input: the same targets
// and warnings, or the same error.
func FuzzStreamMatchesParse(f *testing.F) {
	for _, s := range []string{
		"- example.com\n- Example.ORG.\n- bücher.example\n",
		"targets:\n  - example.com\n  - {domain: a.example, party: D, year: 2024, ok: true}\nnotes: x\n",
		"defaults: {cycle: 2024}\ntargets:\n- a.example\n- {domain: b.example, cycle: 2020}\n",
		"targets:\n  - a.example\ndefaults: {cycle: 2024}\n",
		"c: &c {party: D}\ntargets:\n  - {domain: a.example, <<: *c}\n  - *c\n",
		"- {domain: a.example, x: &x [1]}\n- {domain: b.example, x: *x}\n- {domain: c.example, x: *x}\n",
		"- \"\"\n-\n- 12345\n- {party: D}\n- [a, b]\n- not a domain!\n- {domain: a.example, 1: x}\n",
		"- domain: a.example\n  party: D\n  # c\n- domain: b.example\n  tags:\n  - x\n  - y\n- |\n  c.example\n",
		"- \"a.example\n- b\"\n- c\n", "- [a,\n- b]\n", "- a # \x01\n- b\n", "- a\n# \x7f\n- b\n",
		"- a.example\n- a.example\n", "[]", "targets: []", "targets:\n", "", "~", "example.com",
		"- [b.example,\n", "- a\x01\n", "- a\n---\n- b\n", "- a\n...\n", "targets: x\n",
		"\ufeff- a\n- b\n", "---\n- a\n", "%YAML 1.1\n---\n- a\n", "- a\r\n- b\r\n", "- a\r- b\n",
		"  - a\n  - b\n - c\n", "targets:\n- a\n- b\nx: 1\n", "targets:\n  - a\ntargets:\n  - b\n",
	} {
		f.Add([]byte(s))
	}
	for _, q := range quickLines {
		f.Add([]byte(q.line + "\n" + q.line + "\n"))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sameAsWhole(t, string(data))
	})
}

// FuzzQuickMatchesYAML checks that every node quick builds is yaml.v3's.
func FuzzQuickMatchesYAML(f *testing.F) {
	for _, q := range quickLines {
		f.Add([]byte(q.line))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		line, _, _ = bytes.Cut(line, []byte("\n"))
		if oddBreak(line) { // the survey sends those to yaml.v3
			return
		}
		checkQuick(t, line)
	})
}

// benchFile writes n entries of the shape researchers generate.
func benchFile(tb testing.TB, n int) string {
	path := filepath.Join(tb.TempDir(), "targets.yaml")
	var b bytes.Buffer
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "- {domain: d%07d.bench.test, candidate: \"Synthetic %d\", party: X, year: 2026}\n", i, i)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// BenchmarkStream1M streams a million-entry file and reports entries a
// second and the peak of the live heap, sampled every millisecond.
func BenchmarkStream1M(b *testing.B) {
	const n = 1_000_000
	path := benchFile(b, n)
	fi, _ := os.Stat(path)
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	runtime.GC()
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
		}
	}()
	for b.Loop() {
		count := 0
		err := StreamFile(path, func(Target) error { count++; return nil }, nil)
		if err != nil || count != n {
			b.Fatalf("got %d targets, %v", count, err)
		}
	}
	close(done)
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
}

// BenchmarkStreamYAMLOnly100k streams entries that quick leaves to yaml.v3.
func BenchmarkStreamYAMLOnly100k(b *testing.B) {
	data := corpus(100_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		count := 0
		if err := Stream(bytes.NewReader(data), "bench.yaml", func(Target) error { count++; return nil }, nil); err != nil || count < 80_000 {
			b.Fatalf("got %d targets, %v", count, err)
		}
	}
	b.ReportMetric(100_000*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

// lines is a palette of lines that matter to how Stream cuts a file.
var lines = []string{
	"- a.example", "- B.example.", "- {domain: a.example, party: D}", "- {domain: c.example, x: [1, 2]}",
	"- domain: d.example", "  party: R", "  x: &x 1", "  y: *x", "- {domain: e.example, z: *x}",
	"- {domain: f.example, <<: {m: 1}}", "- \"g.example", "  h\"", "h\"", "- 'i.example'", "- [j.example,",
	"  k.example]", "k]", "- |", "  l.example", "- >-", "# comment", "", "  # indented comment",
	"targets:", "defaults: {cycle: 2024}", "defaults:", "  cycle: 2020", "notes: x", "---", "...",
	"  - m.example", "  - {domain: n.example, y: 2}", "    party: I", "- ", "-", "\t- t.example",
	"- a.example # c", "%YAML 1.1", "key: &k {party: G}", "- {domain: o.example, <<: *k}", "- *k",
	"- bad domain!", "- 123", "- ~", "  -", "- - nested", "x:", "\ufeff- bom.example", "- p.example\r",
	"- q.example # \x01", "# \x7f", "- {domain: r.example, a: 1, a: 2}", "- ? s.example", "  : v",
	"- {domain: u.example", "  , w: 1}", "  \t", "- &e v.example", "- *e", "- !!str 12", "- \"a\\u00fcb.example\"",
}

// listEntries is a palette of entries of a list under targets:, valid
// most of the time, some of them carrying on past a line at the list's
// column in ways only the whole file can resolve.
var listEntries = []string{
	"  - a.example", "  - B.example. # c", "  - {domain: c.example, party: D, year: 2024}",
	"  - domain: d.example\n    party: R", "  - domain: d2.example\n    x: &x 1\n    y: *x",
	"  - {domain: e.example, z: &x 2}", "  - {domain: e2.example, z: *x}", "  - \"f.example\n    g\"",
	"  - \"f2.example\n  - g\"", "  - [h.example,\n    i.example]", "  - [h2.example,\n  - i2.example]",
	"  - |\n    j.example", "  # c", "", "# c", "  - {domain: k.example, <<: {m: 1}}", "  - &a l.example",
	"  - *a", "  - {domain: n.example, tags: [a, b]}", "  - domain: o.example\n    tags:\n    - p\n    - q",
	"  - {domain: \"q.example\",\n     r: 1}", "  - 's.example\n  t.example'", "  - ? s.example\n    : v",
	"  - a.example # c\n  # \x01", "  - x.example\n  # café", "  - {domain: y.example, year: 0755, n: 12345678901234567890}",
}

// FuzzStreamLineMixes is FuzzStreamMatchesParse over files made from a
// palette, which reach the cuts between batches much more often than
// random bytes do: the first byte chooses the palette (entries of a list
// under targets:, or lines of anything).
func FuzzStreamLineMixes(f *testing.F) {
	f.Add([]byte{0, 0, 1, 2, 3, 4, 5, 6, 7})
	f.Add([]byte{0, 8, 9, 0, 10, 11, 0, 12, 13, 0})
	f.Add([]byte{1, 23, 0, 1, 4, 5, 6, 7, 8, 27})
	f.Add([]byte{1, 24, 25, 23, 30, 31, 32, 27, 23, 30})
	f.Fuzz(func(t *testing.T, picks []byte) {
		if len(picks) == 0 || len(picks) > 64 {
			return
		}
		palette := lines
		var b strings.Builder
		if picks[0]%2 == 0 {
			palette = listEntries
			b.WriteString("targets:\n")
		}
		for _, p := range picks[1:] {
			b.WriteString(palette[int(p)%len(palette)])
			b.WriteByte('\n')
		}
		sameAsWhole(t, b.String())
	})
}
