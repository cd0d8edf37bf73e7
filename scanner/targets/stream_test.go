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

	"go.yaml.in/yaml/v3"
)

// result is everything a load produced.
type result struct {
	targets  []Target
	warnings []Warning
	err      error
	why      string // why Stream parsed the whole document; "" when it streamed
}

// String prints r so that NaN labels compare equal (fmt sorts map keys).
func (r result) String() string {
	return fmt.Sprintf("targets %#v\nwarnings %#v\nerror %v", r.targets, r.warnings, r.err)
}

// wholeDocument runs the whole-document parse, the reference.
func wholeDocument(data []byte) result {
	var r result
	out := newSink("t.yaml", func(t Target) error { r.targets = append(r.targets, t); return nil },
		func(w Warning) { r.warnings = append(r.warnings, w) }, 0)
	r.err = parseDocument(data, "t.yaml", out)
	return r
}

// streamWith runs Stream with the limits of c.
func streamWith(c config, in io.Reader) result {
	var r result
	r.why, r.err = c.stream(in, "t.yaml", func(t Target) error { r.targets = append(r.targets, t); return nil },
		func(w Warning) { r.warnings = append(r.warnings, w) })
	return r
}

// pipe hides the Seek method of a reader, as a pipe has none.
type pipe struct{ io.Reader }

// tiny makes batch boundaries happen on small inputs.
var tiny = config{limit: MaxStreamSize, wholeLimit: MaxWholeSize, wholeNodes: MaxWholeNodes, runItems: 2, runBytes: 64, spoolMem: 1 << 20}

// sameAsWhole checks that Stream, with the usual limits from a seekable
// reader and with tiny ones from a pipe, gives what the whole-document
// parse gives (targets only when there is no error: Stream may have yielded
// some before it), and returns the result.
func sameAsWhole(t *testing.T, src string) result {
	t.Helper()
	want := wholeDocument([]byte(src))
	if want.err != nil {
		want.targets, want.warnings = nil, nil
	}
	var got result
	for _, c := range []struct {
		name string
		cfg  config
		in   io.Reader
	}{
		{"Stream", defaultConfig, strings.NewReader(src)},
		{"Stream from a pipe in batches of two", tiny, pipe{strings.NewReader(src)}},
	} {
		got = streamWith(c.cfg, c.in)
		if got.err != nil {
			got.targets, got.warnings = nil, nil
		}
		if got.String() != want.String() {
			t.Errorf("%s (why %q):\ngot  %s\nwant %s", c.name, got.why, got, want)
		}
	}
	return got
}

func TestStreamKeepsLinesExactAcrossBatches(t *testing.T) {
	const entries, badLine = 2500, 2347
	var b strings.Builder
	b.WriteString("# generated\ndefaults: {cycle: 2024}\ntargets:\n")
	line := 4
	var dupFirst, dupSecond int
	for i := 1; i <= entries; i++ {
		shape := i % 5
		if i <= 1200 {
			shape = 4 // a long run of entries only yaml.v3 reads: batch boundaries at 1000
		}
		size := []int{1, 1, 1, 2, 3}[shape]
		for line < badLine && line+size > badLine { // make an entry start at badLine
			b.WriteString("  # padding\n")
			line++
		}
		domain := fmt.Sprintf("d%d.example", i)
		switch {
		case line == badLine:
			b.WriteString("  - {domain: \"not a domain!\", party: X}\n")
			size = 1
		case i == 1000 || i == 1001: // the last of one batch and the first of the next
			if i == 1000 {
				dupFirst = line
			} else {
				dupSecond = line
			}
			fmt.Fprintf(&b, "  - domain: twice.example\n    party: D\n    year: %d\n", 2000+i)
		case shape == 0:
			fmt.Fprintf(&b, "  - %s\n", domain)
		case shape == 1:
			fmt.Fprintf(&b, "  - {domain: %s, candidate: \"Candidate %d\", states: [DE, PA]}\n", domain, i)
		case shape == 2:
			fmt.Fprintf(&b, "  - \"%s\" # quoted\n", strings.ToUpper(domain))
		case shape == 3:
			fmt.Fprintf(&b, "  - domain: %s\n    note: Señora %d\n", domain, i)
		case shape == 4:
			fmt.Fprintf(&b, "  - domain: %s\n    party: D\n    year: %d\n", domain, 2000+i%30)
		}
		line += size
	}
	b.WriteString("notes: the end\n")

	got := sameAsWhole(t, b.String())
	if got.why != "" {
		t.Fatalf("parsed whole (%s); want streamed", got.why)
	}
	if len(got.targets) != entries-1 {
		t.Errorf("got %d targets; want %d", len(got.targets), entries-1)
	}
	for _, tg := range got.targets {
		if tg.Line == badLine {
			if !strings.HasPrefix(tg.Invalid, "not a domain name") {
				t.Errorf("line %d: got Invalid %q; want not a domain name", badLine, tg.Invalid)
			}
		} else if tg.Invalid != "" {
			t.Errorf("line %d: got Invalid %q; want valid", tg.Line, tg.Invalid)
		}
	}
	want := fmt.Sprintf("t.yaml:%d: duplicate of line %d (twice.example): scanned once", dupSecond, dupFirst)
	if len(got.warnings) != 1 || got.warnings[0].String() != want {
		t.Errorf("got %v; want [%s]", got.warnings, want)
	}
}

func TestStreamFallsBackToTheWholeDocument(t *testing.T) {
	long := "- a.example\n- {domain: b.example, note: " + strings.Repeat("x", maxLine) + "}\n"
	tests := []struct {
		name string
		src  string
		why  string // a part of why it was parsed whole; "" for streamed
	}{
		{"plain list", "- a.example\n- b.example\n", ""},
		{"targets map with anchors kept near", "targets:\n  - {domain: a.example, x: &x 1}\n  - {domain: b.example, x: *x}\n", ""},
		{"defaults before targets", "defaults: {cycle: 2024}\ntargets:\n- a.example\n", ""},
		{"defaults after targets", "targets:\n  - a.example\n  - {domain: b.example, cycle: 2020}\ndefaults: {cycle: 2024}\n", ""},
		{"merge keys within an entry", "- {domain: a.example, <<: [{x: 1}, {x: 2, y: 3}]}\n", ""},
		{"leading document marker and BOM", "\ufeff--- # list\n- a.example\n...\n", ""},
		{"CRLF", "targets:\r\n  - a.example\r\n  - domain: b.example\r\n    party: D\r\n", ""},

		{"alias to an anchor before the list", "c: &c {party: D}\ntargets:\n  - {domain: a.example, <<: *c}\n", "unknown anchor"},
		{"flow list", "[a.example, b.example]\n", "no block list"},
		{"flow list under targets", "targets:\n  [a.example, b.example]\n", "targets: does not hold a block list"},
		{"directive", "%YAML 1.1\n---\n- a.example\n", "directive"},
		{"tab indentation", "targets:\n\t- a.example\n", "does not hold a block list"},
		{"lone CR", "- a.example\r- b.example\r- {domain: c.example,\r   party: D}\r- domain: d.example\r  party: R\r", ""},
		{"lone CR and CRLF", "targets:\r\n  - a.example\r  - b.example\r\n", ""},
		{"line separator", "- a.example\u2028- b.example\n", "line break"},
		{"a line longer than 64 KiB", long, "longer than"},
		{"quoted scalar across batches", "- domain: a.example\n  x: 1\n- \"b.example\n- c\"\n", "alone"},
		{"second document", "- a.example\n---\n- b.example\n", "second YAML document"},
		{"two targets keys", "targets:\n  - a.example\ntargets: [b.example]\n", "second targets"},
		{"syntax error in an entry", "- a.example\n- {domain: b.example\n- c.example\n", "alone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sameAsWhole(t, tt.src)
			if tt.why == "" && got.why != "" || !strings.Contains(got.why, tt.why) {
				t.Errorf("why %q; want %q", got.why, tt.why)
			}
		})
	}
}

// What the whole-document path gives for a shape Stream cannot stream is
// what the streaming path gives for the same targets written as a block list.
func TestWholeDocumentShapesMatchTheirStreamedForm(t *testing.T) {
	tests := []struct {
		name, fallback, streamed string
	}{
		{"flow list", "[a.example, {domain: b.example, party: D}, b.example]\n",
			"- a.example\n- {domain: b.example, party: D}\n- b.example\n"},
		{"anchors and merge keys", "c: &c {party: D, cycle: 2024}\ntargets:\n  - {domain: a.example, <<: *c, state: DE}\n",
			"targets:\n  - {domain: a.example, party: D, cycle: 2024, state: DE}\n"},
		{"directive", "%YAML 1.1\n---\n- {domain: a.example, year: 2024}\n", "- {domain: a.example, year: 2024}\n"},
	}
	strip := func(r result) string {
		var b strings.Builder
		for _, t := range r.targets {
			fmt.Fprintf(&b, "%s %q %#v|", t.Domain, t.Invalid, t.Labels)
		}
		return fmt.Sprintf("%s %d warnings, %v", b.String(), len(r.warnings), r.err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fb := streamWith(defaultConfig, strings.NewReader(tt.fallback))
			st := streamWith(defaultConfig, strings.NewReader(tt.streamed))
			if fb.why == "" || st.why != "" {
				t.Fatalf("why %q and %q; want the first parsed whole, the second streamed", fb.why, st.why)
			}
			if strip(fb) != strip(st) {
				t.Errorf("got %s; want %s", strip(fb), strip(st))
			}
		})
	}
}

func TestStreamSyntaxErrorInABigFile(t *testing.T) {
	var b strings.Builder
	for i := range 5000 {
		if i == 3000 {
			b.WriteString("- {domain: broken.example, party: [D}\n") // line 3001
			continue
		}
		fmt.Fprintf(&b, "- {domain: d%d.example, party: D}\n", i)
	}
	want := "t.yaml:3001: yaml: did not find expected ',' or ']'"
	got := sameAsWhole(t, b.String())
	if got.err == nil || got.err.Error() != want || !errors.Is(got.err, ErrSyntax) {
		t.Errorf("got %v; want %s", got.err, want)
	}
	var yielded int
	err := Stream(strings.NewReader(b.String()), "t.yaml", func(Target) error { yielded++; return nil }, nil)
	if err == nil || err.Error() != want || yielded != 3000 {
		t.Errorf("got %v after %d targets; want %s after 3000", err, yielded, want)
	}
}

func TestStreamTooLargeToParseWhole(t *testing.T) {
	small := defaultConfig
	small.wholeLimit = 1 << 20
	// entries returns more than 1 MiB of list entries at column ind.
	entries := func(ind int) string {
		var b strings.Builder
		for i := 0; b.Len() <= 1<<20; i++ {
			fmt.Fprintf(&b, "%*s- p%d.example\n", ind, "", i)
		}
		return b.String()
	}
	tests := []struct {
		name string
		src  string
		want string // "" for the whole-document parse's error
		is   error
	}{
		{"a flow list", "[a.example,\n" + strings.Repeat("  b.example,\n", 100_000) + "]\n",
			"t.yaml: larger than 1 MiB, the most for a file that is not read as a block list (no block list in the first 1024 KiB); write one entry per line (- example.com)", ErrTooLarge},
		{"a directive", "%YAML 1.1\n---\n" + entries(0),
			"t.yaml:1: larger than 1 MiB, the most for a file that is not read as a block list (a YAML directive); write one entry per line (- example.com)", ErrTooLarge},
		{"a syntax error in the list", entries(0) + "- a.example\n- [b.example\n- c.example\n", "", ErrSyntax},
		{"a syntax error after the list", "- a.example\n" + entries(0) + "x: [\n", "", ErrSyntax},
		{"a second targets: key", "targets:\n" + entries(2) + "targets: []\n", "", ErrShape},
		{"an alias to an anchor far back", "- {domain: a.example, x: &x 1}\n" + entries(0) + "- {domain: b.example, x: *x}\n",
			"", ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want == "" {
				tt.want = fmt.Sprint(wholeDocument([]byte(tt.src)).err)
			}
			if strings.HasPrefix(tt.name, "an alias") {
				lines := strings.Count(tt.src, "\n")
				tt.want = fmt.Sprintf("t.yaml:%d: yaml: unknown anchor 'x' referenced (a file too large to parse whole is read entry by entry: an alias must refer to an anchor in its own entry)", lines)
			}
			got := streamWith(small, strings.NewReader(tt.src))
			if got.err == nil || got.err.Error() != tt.want || !errors.Is(got.err, tt.is) {
				t.Errorf("got %v; want %s", got.err, tt.want)
			}
		})
	}
}

func TestStreamCapsTheInput(t *testing.T) {
	c := defaultConfig
	c.limit = 1 << 20
	src := strings.Repeat("- a.example\n", (1<<20)/12+1)
	got := streamWith(c, pipe{strings.NewReader(src)})
	if !errors.Is(got.err, ErrTooLarge) || got.err.Error() != "t.yaml: larger than 1 MiB" || len(got.targets) != 0 {
		t.Errorf("got %v after %d targets; want t.yaml: larger than 1 MiB before any", got.err, len(got.targets))
	}
}

func TestStreamReturnsTheErrorOfYield(t *testing.T) {
	stop := errors.New("enough")
	var seen []string
	err := Stream(strings.NewReader("- a.example\n- b.example\n- c.example\n"), "t.yaml", func(t Target) error {
		seen = append(seen, t.Domain)
		if len(seen) == 2 {
			return stop
		}
		return nil
	}, nil)
	if err != stop || !reflect.DeepEqual(seen, []string{"a.example", "b.example"}) {
		t.Errorf("got %v after %v; want enough after a.example, b.example", err, seen)
	}
}

func TestStreamCopiesAPipeToATemporaryFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	src := "targets:\n" + strings.Repeat("  - a.example\n  - domain: b.example\n    party: D\n", 50)
	c := tiny
	c.spoolMem = 16
	got, want := streamWith(c, pipe{strings.NewReader(src)}), wholeDocument([]byte(src))
	if got.String() != want.String() {
		t.Errorf("got %s; want %s", got, want)
	}
	if got.why != "" || len(got.targets) != 2 || len(got.warnings) != 98 {
		t.Errorf("got %d targets, %d warnings, why %q; want 2, 98, streamed", len(got.targets), len(got.warnings), got.why)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("left %v in the temporary directory; want nothing", left)
	}
}

func TestStreamFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "targets.yaml")
	if err := os.WriteFile(path, []byte("- a.example\n- b.example\n- a.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	collect := func(p string) (got []string, err error) {
		err = StreamFile(p, func(t Target) error { got = append(got, fmt.Sprintf("%d %s", t.Line, t.Domain)); return nil },
			func(w Warning) { got = append(got, w.String()) })
		return got, err
	}
	want := []string{"1 a.example", "2 b.example", path + ":3: duplicate of line 1 (a.example): scanned once"}
	t.Run("file", func(t *testing.T) {
		if got, err := collect(path); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("got %q, %v; want %q", got, err, want)
		}
	})
	t.Run("stdin", func(t *testing.T) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			w.WriteString("- a.example\n- a.example\n")
			w.Close()
		}()
		old := os.Stdin
		os.Stdin = r
		t.Cleanup(func() { os.Stdin = old; r.Close() })
		got, err := collect("-")
		want := []string{"1 a.example", "stdin:2: duplicate of line 1 (a.example): scanned once"}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("got %q, %v; want %q", got, err, want)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		if _, err := collect(filepath.Join(dir, "nope.yaml")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("got %v; want ErrNotExist", err)
		}
	})
}

func TestKeys(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"first-seen order", "- {domain: a.example, party: D, year: 2024}\n- {domain: b.example, state: TX, party: R}\n- c.example\n- {domain: d.example, office: Senate, year: 2020}\n",
			[]string{"party", "year", "state", "office"}},
		{"defaults follow an entry's own keys", "defaults: {cycle: 2024}\ntargets:\n  - {domain: a.example, party: D}\n",
			[]string{"party", "cycle"}},
		{"a dropped duplicate's keys do not count", "- a.example\n- {domain: a.example, party: D}\n", []string{}},
		{"an invalid entry's keys count", "- {party: D}\n", []string{"party"}},
		{"whole-document shapes too", "[{domain: a.example, z: 1, a: 2}]", []string{"z", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Keys(strings.NewReader(tt.src), "t.yaml")
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	t.Run("error", func(t *testing.T) {
		if got, err := Keys(strings.NewReader("- [\n"), "t.yaml"); err == nil || got != nil {
			t.Errorf("got %q, %v; want an error", got, err)
		}
	})
}

// quickLines are entries quick must read, and some it must leave to yaml.v3.
var quickLines = []struct {
	line  string
	quick bool
}{
	{"- example.com", true},
	{"- Example.COM.  # comment", true},
	{"- \"example.com\"", true},
	{"- 'example.com' #", true},
	{"- not a domain", true},
	{"- 12345", true},
	{"- true", true},
	{"- null", true},
	{"- 2024-11-05", true},
	{"- 0x1F", true},
	{"- 1e3", true},
	{"- {domain: d0000001.bench.test, candidate: \"Synthetic 1\", party: X, year: 2026}", true},
	{"- {domain: a.example, year: [2020, 2024], share: 51.3, ok: false, note: null, empty: []}", true},
	{"- {domain: a.example, 2024: x, party: D, party: R}", true},
	{"- {domain: a.example, candidate: Beto O'Rourke, office: U.S. Senate (TX)}", true},
	{"- {domain: a.example, e-mail: info@a.example, 'quoted': 'x'}", false},
	{"- {domain: 'it''s'}", false},
	{"- {domain: \"a\\x41\"}", false},
	{"- {domain: a.example, url: https://a.example/}", false},
	{"- {domain: a.example, <<: {x: 1}}", false},
	{"- {domain: a.example,}", false},
	{"- {domain: a.example, x: {y: 1}}", false},
	{"- {domain: a.example}x", false},
	{"- a.example#x", false},
	{"- a.example: x", false},
	{"- -1", false},
	{"- .inf", false},
	{"- ~", false},
	{"- &a a.example", false},
	{"- !!str 123", false},
	{"- bücher.example", false},
	{"-\ta.example", false},
	{"- ", false},
	{"- [a.example]", false},
}

func TestQuickReadsCommonShapesAsYAMLDoes(t *testing.T) {
	for _, tt := range quickLines {
		t.Run(tt.line, func(t *testing.T) {
			var q quick
			got := q.item([]byte(tt.line), 0, 1) != nil
			if got != tt.quick {
				t.Errorf("read: %v; want %v", got, tt.quick)
			}
			checkQuick(t, []byte(tt.line))
		})
	}
}

// checkQuick checks that, when quick reads line, yaml.v3 builds the same
// node and the entry the same target.
func checkQuick(t *testing.T, line []byte) {
	t.Helper()
	var q quick
	n := q.item(line, 0, 1)
	if n == nil {
		return
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(line, &doc); err != nil {
		t.Fatalf("quick read %q, yaml.v3 fails: %v", line, err)
	}
	if len(doc.Content) != 1 || len(doc.Content[0].Content) != 1 {
		t.Fatalf("quick read %q, yaml.v3 does not see one entry", line)
	}
	want := doc.Content[0].Content[0]
	if got, want := dump(n), dump(want); got != want {
		t.Errorf("%q:\ngot  %s\nwant %s", line, got, want)
	}
	p1, p2 := newParser("t", 0), newParser("t", 0)
	if got, want := fmt.Sprintf("%#v", p1.entry(n)), fmt.Sprintf("%#v", p2.entry(want)); got != want {
		t.Errorf("%q:\ngot  %s\nwant %s", line, got, want)
	}
}

// dump prints what parser reads of a node.
func dump(n *yaml.Node) string {
	s := fmt.Sprintf("(%d %s %q %d line %d", n.Kind, n.Tag, n.Value, n.Style, n.Line)
	for _, c := range n.Content {
		s += " " + dump(c)
	}
	return s + ")"
}

func TestClassify(t *testing.T) {
	tests := []struct {
		line         string
		kind, indent int
	}{
		{"", blankLine, 0},
		{"   ", blankLine, 3},
		{"  # c", commentLine, 2},
		{"- a", itemLine, 0},
		{"  -", itemLine, 2},
		{"  -\tx", itemLine, 2},
		{"  -x", contentLine, 2},
		{"---", contentLine, 0},
		{"\t- a", contentLine, 0},
		{"targets:", contentLine, 0},
	}
	for _, tt := range tests {
		if kind, indent := classify([]byte(tt.line)); kind != tt.kind || indent != tt.indent {
			t.Errorf("classify(%q) = %d, %d; want %d, %d", tt.line, kind, indent, tt.kind, tt.indent)
		}
	}
}

func TestIsMarker(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{"targets:", true},
		{"targets:   ", true},
		{"targets: # the list", true},
		{"targets:# not a comment", false},
		{"targets: []", false},
		{"targetsx:", false},
	}
	for _, tt := range tests {
		if got := isMarker([]byte(tt.line), "targets:"); got != tt.want {
			t.Errorf("isMarker(%q) = %v; want %v", tt.line, got, tt.want)
		}
	}
}

func TestStreamMatchesParseOnTheShippedTargets(t *testing.T) {
	data, err := os.ReadFile("../../targets.yaml")
	if err != nil {
		t.Skip(err)
	}
	got := sameAsWhole(t, string(data))
	if got.err != nil || got.why != "" || len(got.targets) == 0 {
		t.Errorf("got %d targets, %v, why %q; want streamed with no error", len(got.targets), got.err, got.why)
	}
}
