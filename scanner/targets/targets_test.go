package targets

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// parse runs Parse, and checks that Stream gives what the whole-document
// parse gives.
func parse(t *testing.T, src string) ([]Target, []Warning) {
	t.Helper()
	sameAsWhole(t, src)
	ts, ws, err := Parse(strings.NewReader(src), "targets.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return ts, ws
}

func TestParseAcceptsAListOrATargetsMap(t *testing.T) {
	want := []Target{
		{Domain: "example.com", Line: 2},
		{Domain: "example.org", Input: "Example.ORG.", Line: 3},
		{Domain: "xn--bcher-kva.example", Input: "bücher.example", Unicode: "bücher.example", Line: 4},
	}
	tests := []struct {
		name string
		src  string
	}{
		{"list", "# campaigns\n- example.com\n- Example.ORG.\n- bücher.example\n"},
		{"targets map", "targets:\n  - example.com\n  - Example.ORG.\n  - bücher.example\nnotes: ignored\n"},
		{"flow list", "\n[example.com,\n Example.ORG.,\n bücher.example]\n"},
		{"quoted strings", "---\n- \"example.com\"\n- 'Example.ORG.'\n- \"b\\u00fccher.example\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ws := parse(t, tt.src)
			if !reflect.DeepEqual(got, want) || len(ws) != 0 {
				t.Errorf("got %+v, %v; want %+v, no warnings", got, ws, want)
			}
		})
	}
}

func TestParseCarriesLabelsInFileOrder(t *testing.T) {
	src := `targets:
  - domain: JoeBiden.com
    candidate: Joe Biden
    party: D
    year: 2020
    incumbent: false
    share: 51.3
    states: [DE, PA]
    office: {title: President, level: federal}
    note: ~
    date: 2020-11-03
`
	got, _ := parse(t, src)
	want := []Target{{
		Domain: "joebiden.com", Input: "JoeBiden.com", Line: 2,
		Labels: Labels{
			{"candidate", "Joe Biden"},
			{"party", "D"},
			{"year", 2020},
			{"incumbent", false},
			{"share", 51.3},
			{"states", []any{"DE", "PA"}},
			{"office", map[string]any{"title": "President", "level": "federal"}},
			{"note", nil},
			{"date", "2020-11-03"},
		},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v; want %#v", got, want)
	}
}

func TestParseInvalidEntriesNameTheirLine(t *testing.T) {
	src := `- example.com
- ""
-
- 12345
- {party: D}
- [a.example, b.example]
- not a domain!
- {domain: a.example, 2024: x}
- {domain: b.example, party: D, party: R}
- true
- domain: [c.example]
- domain:
- 192.0.2.1
- {domain: d.example, x: !!int nope}
`
	tests := []struct {
		line    int
		input   string
		invalid string
	}{
		{2, "", "empty entry"},
		{3, "", "empty entry"},
		{4, "12345", "a number, not a domain"},
		{5, "", "map entry without a domain: key"},
		{6, "", "a list, not a domain (a list inside the list of targets)"},
		{7, "not a domain!", `not a domain name: "not a domain!" (label contains ' ')`},
		{8, "", "the key on line 8 is a number (2024), not a string"},
		{9, "", `duplicate key "party" (lines 9 and 9)`},
		{10, "true", "a boolean, not a domain"},
		{11, "", "domain: holds a list, not a domain name"},
		{12, "", "domain: is empty"},
		{13, "192.0.2.1", "an IP address, not a domain"},
		{14, "", `label "x": `},
	}
	got, ws := parse(t, src)
	if len(got) != 1+len(tests) || len(ws) != 0 {
		t.Fatalf("got %d targets, %v; want %d targets, no warnings", len(got), ws, 1+len(tests))
	}
	if got[0].Invalid != "" {
		t.Errorf("line 1: got Invalid %q; want valid", got[0].Invalid)
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("line %d", tt.line), func(t *testing.T) {
			g := got[i+1]
			if g.Line != tt.line || g.Input != tt.input || !strings.HasPrefix(g.Invalid, tt.invalid) {
				t.Errorf("got line %d, input %q, invalid %q; want line %d, input %q, invalid %q...",
					g.Line, g.Input, g.Invalid, tt.line, tt.input, tt.invalid)
			}
		})
	}
	t.Run("labels of an invalid entry are kept", func(t *testing.T) {
		if v, ok := got[4].Labels.Get("party"); v != "D" || !ok {
			t.Errorf("got %v, %v; want D, true", v, ok)
		}
	})
	t.Run("a bad key does not lose the domain", func(t *testing.T) {
		if got[7].Domain != "a.example" {
			t.Errorf("got %q; want a.example", got[7].Domain)
		}
	})
}

func TestParseDropsDuplicatesWithAWarning(t *testing.T) {
	src := "- example.com\n- bücher.example\n- {domain: EXAMPLE.com., party: D}\n- https://example.com/\n- xn--bcher-kva.example\n- x\n- x\n"
	got, ws := parse(t, src)
	var domains []string
	for _, g := range got {
		domains = append(domains, fmt.Sprintf("%d:%s", g.Line, g.Domain))
	}
	if want := []string{"1:example.com", "2:xn--bcher-kva.example", "6:x", "7:x"}; !reflect.DeepEqual(domains, want) {
		t.Errorf("got %v; want %v (invalid entries are never deduplicated)", domains, want)
	}
	var msgs []string
	for _, w := range ws {
		msgs = append(msgs, w.String())
	}
	want := []string{
		"targets.yaml:3: duplicate of line 1 (example.com): scanned once",
		"targets.yaml:4: duplicate of line 1 (example.com): scanned once",
		"targets.yaml:5: duplicate of line 2 (xn--bcher-kva.example): scanned once",
	}
	if !reflect.DeepEqual(msgs, want) {
		t.Errorf("got %q; want %q", msgs, want)
	}
}

func TestParseDefaults(t *testing.T) {
	src := `defaults:
  cycle: 2024
  party: D
targets:
  - a.example
  - {domain: b.example, party: R, state: TX}
`
	got, _ := parse(t, src)
	want := []Labels{
		{{"cycle", 2024}, {"party", "D"}},
		{{"party", "R"}, {"state", "TX"}, {"cycle", 2024}},
	}
	for i := range want {
		if !reflect.DeepEqual(got[i].Labels, want[i]) {
			t.Errorf("entry %d: got %v; want %v", i, got[i].Labels, want[i])
		}
	}
}

func TestParseAliasesAndMergeKeys(t *testing.T) {
	src := `common: &dem {party: D, cycle: 2024}
other: &named {domain: c.example, role: committee}
targets:
  - {domain: a.example, <<: *dem, state: DE}
  - {<<: *dem, party: I, domain: b.example}
  - *named
  - {domain: d.example, <<: [{x: 1}, {x: 2, y: 3}]}
`
	got, _ := parse(t, src)
	want := []Target{
		{Domain: "a.example", Line: 4, Labels: Labels{{"party", "D"}, {"cycle", 2024}, {"state", "DE"}}},
		{Domain: "b.example", Line: 5, Labels: Labels{{"cycle", 2024}, {"party", "I"}}},
		{Domain: "c.example", Line: 6, Labels: Labels{{"role", "committee"}}},
		{Domain: "d.example", Line: 7, Labels: Labels{{"x", 1}, {"y", 3}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v; want %+v", got, want)
	}
}

func TestParseBoundsAliases(t *testing.T) {
	t.Run("self-reference", func(t *testing.T) {
		got, _ := parse(t, "- {domain: a.example, x: &a [*a]}\n- {domain: b.example, <<: &m {<<: *m}}\n")
		for _, g := range got {
			if !strings.Contains(g.Invalid, "nested too deeply") {
				t.Errorf("line %d: got Invalid %q; want nested too deeply", g.Line, g.Invalid)
			}
		}
	})
	t.Run("billion laughs", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
		for i := 1; i < 10; i++ {
			p := fmt.Sprintf("*a%d", i-1)
			fmt.Fprintf(&b, "a%d: &a%d [%s]\n", i, i, strings.Repeat(p+", ", 9)+p)
		}
		b.WriteString("targets:\n  - {domain: a.example, x: *a9}\n")
		sameAsWhole(t, b.String())
		_, _, err := Parse(strings.NewReader(b.String()), "bomb.yaml")
		if !errors.Is(err, ErrAliases) || !strings.HasPrefix(fmt.Sprint(err), "bomb.yaml:12: aliases expand to more than") {
			t.Errorf("got %v; want bomb.yaml:12: aliases expand to more than ...", err)
		}
	})
	t.Run("merge-key bomb", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("a0: &a0 {k0: x, k1: x, k2: x, k3: x, k4: x, k5: x, k6: x, k7: x, k8: x, k9: x}\n")
		for i := 1; i < 10; i++ {
			p := fmt.Sprintf("*a%d", i-1)
			fmt.Fprintf(&b, "a%d: &a%d {<<: [%s]}\n", i, i, strings.Repeat(p+", ", 9)+p)
		}
		b.WriteString("targets:\n  - {domain: a.example, <<: *a9}\n")
		sameAsWhole(t, b.String())
		_, _, err := Parse(strings.NewReader(b.String()), "bomb.yaml")
		if !errors.Is(err, ErrAliases) {
			t.Errorf("got %v; want ErrAliases", err)
		}
	})
	t.Run("large defaults times many entries", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("defaults: {k: v")
		for i := range 5000 {
			fmt.Fprintf(&b, ", k%d: v", i)
		}
		b.WriteString("}\ntargets: [" + strings.Repeat("a.example, ", 20_000) + "]\n")
		sameAsWhole(t, b.String())
		_, _, err := Parse(strings.NewReader(b.String()), "bomb.yaml")
		if !errors.Is(err, ErrAliases) {
			t.Errorf("got %v; want ErrAliases", err)
		}
	})
	t.Run("a large entry repeated by alias", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("big: &big {domain: a.example")
		for i := range 1000 {
			fmt.Fprintf(&b, ", k%d: v", i)
		}
		b.WriteString("}\ntargets:\n" + strings.Repeat("  - *big\n", 20_000))
		sameAsWhole(t, b.String())
		_, _, err := Parse(strings.NewReader(b.String()), "bomb.yaml")
		if !errors.Is(err, ErrAliases) {
			t.Errorf("got %v; want ErrAliases", err)
		}
	})
}

func TestParseFileErrors(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    string // the whole message
		wantErr error
	}{
		{"unclosed flow list", "- a.example\n- [b.example,\n", "targets.yaml:2: yaml: did not find expected node content", ErrSyntax},
		{"bad indentation", "- a.example\n- b.example\n  c: d\n", "targets.yaml:3: yaml: mapping values are not allowed in this context", ErrSyntax},
		{"tab indentation", "targets:\n\t- a.example\n", "targets.yaml:2: yaml: found character that cannot start any token", ErrSyntax},
		{"control character", "- a.example\n- b\x01.example\n", "targets.yaml:2: yaml: control characters are not allowed", ErrSyntax},
		{"invalid UTF-8", "- a.example\n\n- b\xff.example\n", "targets.yaml:3: yaml: invalid leading UTF-8 octet", ErrSyntax},
		{"syntax error in a second document", "- a.example\n---\n- [\n", "targets.yaml:3: yaml: did not find expected node content", ErrSyntax},
		{"a string", "example.com\n", `targets.yaml:1: found a string ("example.com"); expected a list of domains, or a map with targets:`, ErrShape},
		{"a map without targets", "\ndomains: [a.example]\n", "targets.yaml:2: no targets: key; expected a list of domains, or a map with targets:", ErrShape},
		{"targets is a string", "targets: a.example\n", `targets.yaml:1: targets: holds a string ("a.example"); expected a list of domains`, ErrShape},
		{"targets twice", "targets: [a.example]\ntargets: [b.example]\n", "targets.yaml:2: a second targets: key (the first is on line 1)", ErrShape},
		{"defaults not a map", "defaults: [x]\ntargets: [a.example]\n", "targets.yaml:1: defaults: holds a list; expected a map of labels", ErrShape},
		{"defaults with domain", "defaults: {domain: x.example}\ntargets: [a.example]\n", "targets.yaml:1: defaults: may not set domain", ErrShape},
		{"two documents", "- a.example\n---\n- b.example\n", "targets.yaml:2: a second YAML document; a targets file holds one", ErrShape},
		{"empty file", "", "targets.yaml: no targets: the file is empty", ErrEmpty},
		{"only comments", "# nothing yet\n", "targets.yaml: no targets: the file is empty", ErrEmpty},
		{"null document", "---\n~\n", "targets.yaml:2: no targets: the file is empty", ErrEmpty},
		{"null targets", "targets:\n", "targets.yaml:1: no targets: targets: is empty", ErrEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sameAsWhole(t, tt.src)
			got, _, err := Parse(strings.NewReader(tt.src), "targets.yaml")
			if err == nil {
				t.Fatalf("got %+v, no error; want %q", got, tt.want)
			}
			if err.Error() != tt.want || !errors.Is(err, tt.wantErr) {
				t.Errorf("got %q; want %q (%v)", err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseExplicitEmptyListIsNoTargets(t *testing.T) {
	for _, src := range []string{"[]\n", "targets: []\n"} {
		sameAsWhole(t, src)
		got, ws, err := Parse(strings.NewReader(src), "t.yaml")
		if len(got) != 0 || len(ws) != 0 || err != nil {
			t.Errorf("Parse(%q) = %v, %v, %v; want nothing, no error", src, got, ws, err)
		}
	}
}

func TestParseCapsTheInput(t *testing.T) {
	r := io.MultiReader(strings.NewReader("- a.example\n# "), io.LimitReader(zeros{}, MaxSize))
	_, _, err := Parse(r, "big.yaml")
	if !errors.Is(err, ErrTooLarge) || err.Error() != "big.yaml: larger than 64 MiB" {
		t.Errorf("got %v; want big.yaml: larger than 64 MiB", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestParseReportsReadErrors(t *testing.T) {
	_, _, err := Parse(failingReader{}, "t.yaml")
	if err == nil || err.Error() != "t.yaml: disk on fire" {
		t.Errorf("got %v; want t.yaml: disk on fire", err)
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "targets.yaml")
	if err := os.WriteFile(path, []byte("- a.example\n- a.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("file", func(t *testing.T) {
		got, ws, err := LoadFile(path)
		if err != nil || len(got) != 1 || len(ws) != 1 || ws[0].String() != path+":2: duplicate of line 1 (a.example): scanned once" {
			t.Errorf("got %v, %v, %v; want one target and one warning naming the path", got, ws, err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, _, err := LoadFile(filepath.Join(dir, "nope.yaml"))
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("got %v; want ErrNotExist", err)
		}
	})
	t.Run("stdin", func(t *testing.T) {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		old := os.Stdin
		os.Stdin = f
		t.Cleanup(func() { os.Stdin = old })
		_, ws, err := LoadFile("-")
		if err != nil || len(ws) != 1 || ws[0].File != "stdin" {
			t.Errorf("got %v, %v; want a warning in stdin", ws, err)
		}
	})
}

func TestFromArgs(t *testing.T) {
	got, ws := FromArgs([]string{"Example.com", "bücher.example", "example.com.", "not a domain!", "", "localhost"})
	want := []Target{
		{Domain: "example.com", Input: "Example.com"},
		{Domain: "xn--bcher-kva.example", Input: "bücher.example", Unicode: "bücher.example"},
		{Input: "not a domain!", Invalid: `not a domain name: "not a domain!" (label contains ' ')`},
		{Invalid: "empty entry"},
		{Domain: "localhost", Invalid: `not a domain name: "localhost" (a single label; a domain has at least two, like example.com)`},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v; want %+v", got, want)
	}
	wantWarn := []string{"argument 3: duplicate of argument 1 (example.com): scanned once"}
	if len(ws) != 1 || ws[0].String() != wantWarn[0] || ws[0].Line != 0 {
		t.Errorf("got %v; want %q", ws, wantWarn)
	}
}
