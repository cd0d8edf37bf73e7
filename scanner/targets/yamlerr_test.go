package targets

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestSyntaxErrorsNameTheLineOfTheFault(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"an entry indented less than the list", "targets:\n  - a.example\n  - b.example\n - c.example\n",
			"t.yaml:4: yaml: did not find expected key"},
		{"a key indented less than its map", "targets:\n  - a.example\n  - domain: b.example\n    party: D\n   bad: x\n  - c.example\n",
			"t.yaml:5: yaml: did not find expected '-' indicator"},
		{"a label outdented to the list's column", "targets:\n  - a.example\n  - domain: b.example\n  party: D\n  - c.example\n",
			"t.yaml:4: yaml: did not find expected '-' indicator"},
		{"a list entry after a map", "a: 1\nb: 2\n- c\n", "t.yaml:3: yaml: did not find expected key"},
		{"a map key after a list", "- a\n- b\nx: y\n", "t.yaml:3: yaml: did not find expected '-' indicator"},
		{"a dash without a space", "- a.example\n- b.example\n-c: [\n", "t.yaml:3: yaml: did not find expected '-' indicator"},
		// An open flow collection swallows the lines after it: the error is
		// where it was opened.
		{"a flow map left open", "targets:\n  - a.example\n  - {domain: b.example\n  - c.example\n",
			"t.yaml:3: yaml: did not find expected ',' or '}'"},
		{"a flow list left open", "- a.example\n- b.example: [x\n- c\n", "t.yaml:2: yaml: did not find expected ',' or ']'"},
		{"a flow list with a stray key", "- a.example\n- [b.example,\n   c.example: d: e]\n", "t.yaml:3: yaml: did not find expected ',' or ']'"},
		{"a flow map closed by a bracket", "- a.example\n- {domain: b.example\n  ]\n- c\n", "t.yaml:3: yaml: did not find expected ',' or '}'"},
		{"a quote left open", "- a.example\n- \"b.example\n- c.example\n", "t.yaml:2: yaml: found unexpected end of stream"},
		{"a value on the next line", "- a.example\n\n- b: c\n  d\n", "t.yaml:4: yaml: could not find expected ':'"},
		{"an unknown anchor", "- a.example\n- b.example\n- *nope\n", "t.yaml:3: yaml: unknown anchor 'nope' referenced"},
		{"an unknown anchor in a label", "- a.example\n# *nope in a comment\n- {domain: x.example, party: *nope}\n",
			"t.yaml:3: yaml: unknown anchor 'nope' referenced"},
		{"an unknown anchor after the list", "targets:\n  - a.example\nfoo: *nope\n", "t.yaml:3: yaml: unknown anchor 'nope' referenced"},
		{"an anchor used before it is set", "- {domain: a.example, x: *x}\n- {domain: b.example, x: &x 1}\n",
			"t.yaml:1: yaml: unknown anchor 'x' referenced"},
		{"an error on the first line", "- [a.example\n", "t.yaml:1: yaml: did not find expected ',' or ']'"},
		{"lone CR line breaks", "- a.example\r- b.example\rx: y\r", "t.yaml:3: yaml: did not find expected '-' indicator"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sameAsWhole(t, tt.src)
			if got.err == nil || got.err.Error() != tt.want || !errors.Is(got.err, ErrSyntax) {
				t.Errorf("got %v; want %s", got.err, tt.want)
			}
		})
	}
}

// In a file too large to parse whole, an error in a batch of entries names
// its line in the file.
func TestSyntaxErrorLineInABatch(t *testing.T) {
	small := defaultConfig
	small.wholeLimit = 64 << 10
	var b strings.Builder
	for i := 0; b.Len() < 256<<10; i++ {
		fmt.Fprintf(&b, "- d%d.example\n", i)
	}
	n := strings.Count(b.String(), "\n")
	src := b.String() + "- domain: x.example\n  party: D\n party: R\n- y.example\n"
	got := streamWith(small, strings.NewReader(src))
	want := fmt.Sprintf("t.yaml:%d: yaml: did not find expected '-' indicator", n+3)
	if got.err == nil || got.err.Error() != want {
		t.Errorf("got %v; want %s", got.err, want)
	}
}

func TestLineEnds(t *testing.T) {
	data := []byte("a\nb\r\nc\rd\u0085e\u2028f")
	if got := fmt.Sprint(lineEnds(data, 1, 10)); got != "[2 5 7 10 14 15]" {
		t.Errorf("lineEnds = %s", got)
	}
	if got := fmt.Sprint(lineEnds(data, 3, 4)); got != "[7 10]" {
		t.Errorf("lineEnds(3, 4) = %s", got)
	}
	for off, want := range map[int]int{0: 1, 1: 1, 2: 2, 4: 2, 5: 3, 7: 4, 14: 6} {
		if got := lineAt(data, off); got != want {
			t.Errorf("lineAt(%d) = %d; want %d", off, got, want)
		}
	}
}
