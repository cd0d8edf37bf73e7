package targets

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestIsLineList(t *testing.T) {
	tests := []struct {
		src  string
		want bool
	}{
		{"example.com\n", true},
		{"# campaigns\njoebiden.com\r\n\ndonaldjtrump.com   # the 2020 site\n", true},
		{"a.example\rb.example\r", true},
		{"https://www.campaign.example/donate\npress@campaign.example\n", true},
		{"", false},
		{"# only a comment\n\n", false},
		{"- a.example\n", false},
		{"[a.example, b.example]\n", false},
		{"targets:\n", false},
		{"a.example\ntargets:\n", false},
		{"a.example b.example\n", true},
		{"a.example\nnot a domain!\n", true},
		{"a.example\nkey: value\n", false},
		{"a.example\n  key:\n", false},
		{"domain: a.example\n", false},
		{"&x a.example\n", false},
		{"\"a.example\"\n", false},
	}
	for _, tt := range tests {
		got, err := IsLineList(strings.NewReader(tt.src))
		if got != tt.want || err != nil {
			t.Errorf("IsLineList(%q) = %v, %v; want %v", tt.src, got, err, tt.want)
		}
	}
}

// No YAML targets file is a line list: IsLineList may be asked first.
func TestNoTargetsFileIsALineList(t *testing.T) {
	for _, src := range []string{
		"- a.example\n- b.example\n", "[a.example]\n", "targets:\n- a.example\n", "targets: [a]\n",
		"defaults: {x: 1}\ntargets:\n  - a.example\n", "---\n- a\n", "? targets\n: [a]\n",
	} {
		if _, _, err := Parse(strings.NewReader(src), "t.yaml"); err != nil {
			t.Fatalf("%q does not parse: %v", src, err)
		}
		if ok, _ := IsLineList(strings.NewReader(src)); ok {
			t.Errorf("IsLineList(%q) = true for a YAML targets file", src)
		}
	}
}

func TestStreamLines(t *testing.T) {
	src := "# campaigns\nJoeBiden.com\r\n\ndonaldjtrump.com   # 2020\nnot a domain!\nbücher.example\njoebiden.com\n" + strings.Repeat("x", 600) + "\n"
	var got []string
	var warns []string
	err := StreamLines(strings.NewReader(src), "stdin", func(t Target) error {
		got = append(got, fmt.Sprintf("%d:%s:%q:%v", t.Line, t.Domain, t.Input, t.Invalid != ""))
		return nil
	}, func(w Warning) { warns = append(warns, w.String()) })
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`2:joebiden.com:"JoeBiden.com":false`,
		`4:donaldjtrump.com:"":false`,
		`5::"not a domain!":true`,
		`6:xn--bcher-kva.example:"bücher.example":false`,
		`8::"` + strings.Repeat("x", 512) + `…":true`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(warns) != 1 || warns[0] != "stdin:7: duplicate of line 2 (joebiden.com): scanned once" {
		t.Errorf("warnings %q", warns)
	}
	if err := StreamLines(strings.NewReader("# nothing\n"), "stdin", nil, nil); !errors.Is(err, ErrEmpty) {
		t.Errorf("an empty list: got %v; want ErrEmpty", err)
	}
}

// FuzzNoTargetsFileIsALineList checks that IsLineList never claims a file
// that Parse reads as targets.
func FuzzNoTargetsFileIsALineList(f *testing.F) {
	for _, s := range []string{"a.example\n", "- a\n", "\ufeff- a\n", "targets: [a]\n", "x\n---\n- a\n", "a.example # c\nb\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if ok, _ := IsLineList(bytes.NewReader(data)); !ok {
			return
		}
		if got, _, err := Parse(bytes.NewReader(data), "t.yaml"); err == nil {
			t.Errorf("%q is a line list and a targets file of %d targets", data, len(got))
		}
	})
}
