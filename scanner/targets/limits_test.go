package targets

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// nodes counts the nodes yaml.v3 builds for data, or -1 when it does not
// parse.
func nodes(data []byte) int {
	var doc yaml.Node
	if err := decode(yaml.NewDecoder(bytes.NewReader(data)), &doc); err != nil {
		return -1
	}
	n := 0
	var walk func(*yaml.Node)
	walk = func(x *yaml.Node) {
		n++
		for _, c := range x.Content {
			walk(c)
		}
	}
	walk(&doc)
	return n
}

var nodeBoundSeeds = []string{
	"[a,a,a,a]", "{a,b,c}", "[:]", "[?]", "{:}", "{? }", "- \n- \n-\n", "a:\nb:\n", "? \n? \n", "[[],[],{}]",
	"- {domain: a.example, party: D}\n", "[a.example, joe-biden.example, {domain: x, p: 1}]",
	"- - - a\n", "- a: b\n  c:\n", "[-a, --, ---]", "- !!map\n- !!seq\n- &x\n- *x\n", "{a: , b: , : c}",
	"[a: b, c: d, : e, f: ]", "--- \n...\n", "", "~", "- [?, :]\n",
}

func TestNodeBoundIsABound(t *testing.T) {
	for _, src := range nodeBoundSeeds {
		if n := nodes([]byte(src)); n > nodeBound([]byte(src)) {
			t.Errorf("%q: yaml.v3 builds %d nodes; nodeBound says at most %d", src, n, nodeBound([]byte(src)))
		}
	}
	// Not too loose for the usual shapes.
	for src, most := range map[string]int{
		"[" + strings.Repeat("d0000001.example, ", 1000) + "]":  2*1000 + 4,
		"[" + strings.Repeat("joe-biden.example, ", 1000) + "]": 2*1000 + 4,
	} {
		if got := nodeBound([]byte(src)); got > most {
			t.Errorf("nodeBound of %.30q... = %d; want at most %d", src, got, most)
		}
	}
}

func FuzzNodeBound(f *testing.F) {
	for _, s := range nodeBoundSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			return
		}
		if n := nodes(data); n > nodeBound(data) {
			t.Errorf("%q: yaml.v3 builds %d nodes; nodeBound says at most %d", data, n, nodeBound(data))
		}
	})
}

// A file that must be parsed whole and could hold more nodes than fit in
// memory is refused, whatever its size in bytes.
func TestStreamRefusesAWholeDocumentTooLargeForMemory(t *testing.T) {
	c := defaultConfig
	c.wholeNodes = 10_000
	tests := []struct {
		name, src string
		ok        bool
	}{
		{"a flow list of one-letter entries", "[" + strings.Repeat("a,", 6000) + "]\n", false},
		{"a flow list of domains", "[" + strings.Repeat("campaign.example, ", 6000) + "]\n", false},
		{"a short flow list", "[" + strings.Repeat("campaign.example, ", 100) + "]\n", true},
		{"a block list of the same entries", strings.Repeat("- a\n", 6000), true},
		{"a block list with lone CRs", strings.Repeat("- a\r", 6000), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := streamWith(c, strings.NewReader(tt.src))
			if tt.ok {
				if got.err != nil {
					t.Errorf("got %v; want it read", got.err)
				}
				return
			}
			want := "too many entries for a file that is not read as a block list ("
			if !errors.Is(got.err, ErrTooLarge) || !strings.HasPrefix(got.err.Error(), "t.yaml") || !strings.Contains(got.err.Error(), want) ||
				!strings.HasSuffix(got.err.Error(), "write one entry per line (- example.com)") {
				t.Errorf("got %v; want %s...", got.err, want)
			}
		})
	}
}

func TestStreamRefusesAWholeDocumentTooLarge(t *testing.T) {
	src := "[" + strings.Repeat("x", MaxWholeSize) + "]\n"
	got := streamWith(defaultConfig, strings.NewReader(src))
	want := fmt.Sprintf("t.yaml:1: larger than %d MiB, the most for a file that is not read as a block list", MaxWholeSize>>20)
	if !errors.Is(got.err, ErrTooLarge) || !strings.HasPrefix(got.err.Error(), want) {
		t.Errorf("got %v; want %s", got.err, want)
	}
}

func TestTheEchoedInputIsCapped(t *testing.T) {
	long := strings.Repeat("é", 400) // 800 bytes
	for _, src := range []string{"- " + long + "\n", "- {domain: " + long + "}\n", "[" + long + "]\n", "- " + strings.Repeat("1", 1000) + "\n"} {
		got, _, err := Parse(strings.NewReader(src), "t.yaml")
		if err != nil || len(got) != 1 {
			t.Fatalf("%.20q: %v, %v", src, got, err)
		}
		in := got[0].Input
		if len(in) > maxInput+len("…") || !strings.HasSuffix(in, "…") || !strings.HasPrefix(src[2:], strings.TrimSuffix(in, "…")) && !strings.Contains(src, strings.TrimSuffix(in, "…")) {
			t.Errorf("Input %q (%d bytes); want the entry cut to %d bytes and marked", in, len(in), maxInput)
		}
		if strings.ContainsRune(in, '\ufffd') {
			t.Errorf("the cut split a character")
		}
	}
	targets, _ := FromArgs([]string{strings.Repeat("a", 10_000)})
	if len(targets[0].Input) > maxInput+len("…") {
		t.Errorf("a long argument is echoed whole (%d bytes)", len(targets[0].Input))
	}
}

// FuzzLoneCRIsLF checks what Stream's translation of lone CRs rests on:
// yaml.v3 reads a lone CR exactly as an LF.
func FuzzLoneCRIsLF(f *testing.F) {
	for _, s := range []string{"- a\r- b\r", "targets:\r  - a\r  - {domain: b,\r  x: \"c\rd\"}\r", "- |\r  a\r  b\r- 'x\r\r y'\r", "a: b\rc\r", "- a # c\r- b\r\n- c\r"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lf := bytes.Clone(data)
		crToLF(lf)
		a, b := wholeDocument(data), wholeDocument(lf)
		if a.String() != b.String() {
			t.Errorf("%q:\nwith CR %s\nwith LF %s", data, a, b)
		}
	})
}
