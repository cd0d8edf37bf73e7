package report

import (
	"bufio"
	"regexp"
	"strings"
	"testing"
)

// tablePart is the table of a terminal rendering: the lines before the
// first blank one.
func tablePart(out string) []string {
	block, _, _ := strings.Cut(out, "\n\n")
	return strings.Split(block, "\n")
}

func TestTerminalTableFitsTheWidth(t *testing.T) {
	natural := tablePart(render(t, "table", Options{Terminal: true, LabelKeys: labelKeys}))
	for _, width := range []int{200, 160, 120, 100, 80} {
		out := render(t, "table", Options{Terminal: true, LabelKeys: labelKeys, Width: width})
		assertSafe(t, out, false)
		lines := tablePart(out)
		for _, l := range lines {
			if w := textWidth(l); w > width {
				t.Errorf("width %d: a line of %d columns:\n%s", width, w, l)
			}
		}
		if textWidth(natural[0]) <= width && strings.Join(lines, "\n") != strings.Join(natural, "\n") {
			t.Errorf("width %d: a table that fits was changed:\n%s", width, strings.Join(lines, "\n"))
		}
		for _, r := range fixtures() {
			name := []rune(Clean(domainOf(r)))
			if !strings.Contains(out, string(name[:min(len(name), minDomain-1)])) {
				t.Errorf("width %d: the row of %s is missing:\n%s", width, string(name), out)
			}
		}
	}
}

func TestNarrowTableFoldsAbbreviatesAndSaysWhatItHid(t *testing.T) {
	out := render(t, "table", Options{Terminal: true, LabelKeys: labelKeys, Width: 80, Findings: true})
	golden(t, "table-terminal-80", out)
	for _, want := range []string{"2M 1L 1I", "(FINDINGS: H high, M medium, L low, I info)", "not shown at this width: MAIL", "Alex Al…"} {
		if !strings.Contains(out, want) {
			t.Errorf("want %q in:\n%s", want, out)
		}
	}
	out = render(t, "table", Options{Terminal: true, LabelKeys: labelKeys, Width: 140})
	if !regexp.MustCompile(`\nbeta2020\.example .* proofpoint, .*\n +microsoft *\n`).MatchString(out) {
		t.Errorf("at 140 columns the senders should fold, not be cut:\n%s", out)
	}
}

func TestPipedTableIgnoresWidthAndColour(t *testing.T) {
	plain := render(t, "table", Options{LabelKeys: labelKeys})
	got := render(t, "table", Options{LabelKeys: labelKeys, Width: 40, Color: true})
	if got != plain {
		t.Errorf("a piped table changed with Width and Color set:\n%s", got)
	}
}

var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

func TestColourOnATerminalOnly(t *testing.T) {
	opt := Options{Terminal: true, LabelKeys: labelKeys, Color: true, Findings: true}
	out := render(t, "table", opt)
	for _, want := range []string{"\x1b[32mok\x1b[0m", "\x1b[33mnxdomain\x1b[0m", "\x1b[35minvalid\x1b[0m", "\x1b[1;31m1 high\x1b[0m", "\x1b[33m2 medium, 1 low, 1 info\x1b[0m", "\x1b[36mlow\x1b[0m"} {
		if !strings.Contains(out, want) {
			t.Errorf("want %q in the coloured table:\n%s", want, out)
		}
	}
	stripped := sgr.ReplaceAllString(out, "")
	assertSafe(t, stripped, false) // no escape but ours: DNS data stays escaped
	opt.Color = false
	if plain := render(t, "table", opt); stripped != plain {
		t.Errorf("colour changed more than colour:\n%s\n---\n%s", stripped, plain)
	}
	for _, f := range []string{"json", "jsonl", "csv", "markdown"} {
		if out := render(t, f, Options{Terminal: true, Color: true, LabelKeys: labelKeys}); strings.Contains(out, "\x1b[") {
			t.Errorf("%s output holds a colour escape", f)
		}
	}
}

func TestFindingsSectionListsEachFindingWithItsFix(t *testing.T) {
	out := render(t, "table", Options{LabelKeys: labelKeys, Findings: true})
	assertSafe(t, out, true)
	for _, want := range []string{
		"\nFindings and fixes:\n",
		"\nalphaforamerica.example\n  high    dmarc-missing: no DMARC record at _dmarc.alphaforamerica.example\n          fix: publish v=DMARC1; p=none; rua=mailto:<reports address>\n",
		"  info    spf-softfail-all: SPF ends in ~all\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("want %q in:\n%s", want, out)
		}
	}
	if strings.Contains(render(t, "table", Options{LabelKeys: labelKeys}), "Findings and fixes") {
		t.Errorf("findings listed without Options.Findings")
	}
}

func TestWrapAndTruncate(t *testing.T) {
	tests := []struct {
		name string
		got  []string
		want []string
	}{
		{"fits", wrap("fix: publish it", 40, 10), []string{"fix: publish it"}},
		{"wraps at spaces", wrap("one two three four five", 12, 2), []string{"one two", "three four", "five"}},
		{"cuts a long word", wrap("_dmarc.averyveryverylongname.example now", 10, 0), []string{"_dmarc.ave", "ryveryvery", "longname.e", "xample now"}},
		{"no width", wrap("one two three", 0, 0), []string{"one two three"}},
		{"truncate", []string{truncate("proofpoint", 6)}, []string{"proof…"}},
		{"truncate wide", []string{truncate("選挙キャンペーン", 7)}, []string{"選挙キ…"}},
		{"no truncation", []string{truncate("mx", 6)}, []string{"mx"}},
	}
	for _, tt := range tests {
		if strings.Join(tt.got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%s: got %q; want %q", tt.name, tt.got, tt.want)
		}
	}
	if w := textWidth("選挙 José e\u0301"); w != 11 {
		t.Errorf("textWidth = %d; want 11 (two wide runes, a combining accent)", w)
	}
}

// A terminal never wraps a line of the report itself: the table, the
// findings with their fixes (whose further lines are indented, and must
// fit with their indent), the summary and the honest words all fit the
// width, so that no word is broken across lines by the terminal.
func TestEveryLineOnATerminalFitsTheWidth(t *testing.T) {
	for _, providers := range [][]string{nil, {"microsoft"}} {
		for _, width := range []int{80, 100, 120} {
			out := render(t, "table", Options{Terminal: true, LabelKeys: labelKeys, Width: width, Findings: true, Providers: providers})
			for _, l := range strings.Split(out, "\n") {
				if w := textWidth(l); w > width {
					t.Errorf("--provider %v, width %d: a line of %d columns:\n%s", providers, width, w, l)
				}
			}
		}
	}
}

func TestHangIndentsTheLinesItWraps(t *testing.T) {
	got := hang("fix: publish a TXT record at _dmarc.example.org now", 40, 10, 15)
	want := "fix: publish a TXT record at\n               _dmarc.example.org now"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := hang("one line", 0, 10, 15); got != "one line" {
		t.Errorf("width 0 (piped) wrapped: %q", got)
	}
}

// A table with --provider at 80 columns: every row is resolved, so STATUS
// goes first, and MATCH (the answer to the question asked) stays.
func TestProviderTableAt80ColumnsKeepsMatch(t *testing.T) {
	out := render(t, "table", Options{Terminal: true, LabelKeys: labelKeys, Width: 80, Providers: []string{"microsoft"}})
	lines := tablePart(out)
	if !strings.HasSuffix(strings.TrimRight(lines[0], " "), "MATCH") || strings.Contains(lines[0], "STATUS") {
		t.Errorf("want MATCH last and STATUS hidden in the header: %q", lines[0])
	}
	if !strings.Contains(out, "not shown at this width: STATUS, MAIL") {
		t.Errorf("the note does not say STATUS was left out:\n%s", out)
	}
}

// Columns are hidden before the domain is cut: a scan of two domains on an
// 80-column terminal shows both names whole.
func TestColumnsGoBeforeTheDomainIsCut(t *testing.T) {
	g := &grid{mins: []int{16, 0, 7, 9}, last: []int{0}, drop: []int{2}}
	g.add(plain([]string{"DOMAIN", "STATUS", "GATEWAY", "MAILBOX"}))
	g.add(plain([]string{"sanchezforstatehouse.com", "ok", "-", "google"}))
	var b strings.Builder
	w := bufio.NewWriter(&b)
	l := g.render(w, 43, false)
	w.Flush()
	if !l.hidden[2] || !strings.Contains(b.String(), "sanchezforstatehouse.com  ok") {
		t.Errorf("want GATEWAY hidden and the domain whole:\n%s", b.String())
	}
	// Nothing left to hide: the domain is cut, and columns go below their
	// minimums rather than let the terminal wrap the line.
	b.Reset()
	l = g.render(w, 30, false)
	w.Flush()
	for _, line := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		if textWidth(line) > 30 {
			t.Errorf("a line of %d columns at 30: %q", textWidth(line), line)
		}
	}
}

// The text summary's mailbox layer counts what the html chart and
// --provider count, medium and high confidence, and says apart what it
// left out: a journalist comparing the page and the table finds one number.
func TestTextSummaryMailboxLayerIsTheConfidentOne(t *testing.T) {
	for _, format := range []string{"table", "markdown"} {
		out := render(t, format, Options{LabelKeys: labelKeys})
		for _, want := range []string{"Mailbox host (medium or high confidence):", "microsoft", "at low confidence only (a possible answer), not counted: microsoft 1"} {
			if !strings.Contains(strings.ToLower(out), strings.ToLower(want)) {
				t.Errorf("%s: want %q in:\n%s", format, want, out)
			}
		}
	}
	if out := render(t, "table", Options{}); !regexp.MustCompile(`Mailbox host \(medium or high confidence\):\n  microsoft +2 of 6 targets\n`).MatchString(out) {
		t.Errorf("the mailbox layer counts low-confidence answers:\n%s", out)
	}
}
