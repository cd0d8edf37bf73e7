package report

import (
	"bufio"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// grid aligns the terminal table and fits it to the terminal's width, as
// tabwriter did before it learnt to: when the natural widths do not fit it
// first uses each cell's shorter form, then narrows the widest columns down
// to their minimum, folding list cells onto more lines and cutting other
// cells with an ellipsis. Cells are clean text (see Clean) by the time they
// get here; colour is added after the widths are settled, so it never
// counts towards them.
type grid struct {
	rows [][]gcell // the header first
	mins []int     // per column: narrowest width when fitting; 0 never narrows
	last []int     // columns narrowed only once the others are at their minimum
	drop []int     // columns to hide, in this order, when the rest cannot fit
}

// gcell is one cell.
type gcell struct {
	text  string   // clean text
	short string   // a shorter form to use when the table does not fit; "" for none
	items []string // for a list cell that may fold: its items, which text joins with ","
	color string   // SGR parameters ("1;31") when colour is on; "" for none
}

// colSep is the space between columns.
const colSep = 2

// add appends a row.
func (g *grid) add(cells []gcell) { g.rows = append(g.rows, cells) }

// layout is how the grid fits a width.
type layout struct {
	widths []int  // per column; a hidden column's is 0
	hidden []bool // per column
	short  bool   // the short forms are in use
}

// fit lays the grid out in width columns (0: as wide as it is). It uses the
// short forms, then narrows columns, then hides the drop columns one by one
// until the rest fits; the last columns narrow only when none is left to
// hide. A table that cannot fit even so has its narrowing
// columns cut below their minimums (to narrowFloor), since a line the
// terminal wraps breaks every row's alignment; only the columns that never
// narrow can make it overflow.
func (g *grid) fit(width int) layout {
	n := len(g.rows[0])
	l := layout{widths: g.widths(n, false), hidden: make([]bool, n)}
	if width <= 0 || l.total() <= width {
		return l
	}
	l.short = true
	for next := 0; ; next++ {
		l.widths = g.widths(n, true)
		for i := range l.hidden {
			if l.hidden[i] {
				l.widths[i] = 0
			}
		}
		g.narrow(l, width, false, false)
		if l.total() <= width {
			return l
		}
		if next >= len(g.drop) {
			g.narrow(l, width, true, false)
			g.narrow(l, width, true, true)
			return l
		}
		l.hidden[g.drop[next]] = true
	}
}

// narrowFloor is the narrowest a narrowing column gets when the table
// cannot fit at the columns' minimums: two characters and an ellipsis.
const narrowFloor = 3

// total is the width of the laid-out table.
func (l layout) total() int {
	t, cols := 0, 0
	for i, w := range l.widths {
		if !l.hidden[i] {
			t += w
			cols++
		}
	}
	return t + colSep*max(0, cols-1)
}

// render writes the rows laid out to fit width (0: as wide as they are)
// and returns the layout, so that the caller can explain short forms and
// hidden columns.
func (g *grid) render(w *bufio.Writer, width int, color bool) layout {
	if len(g.rows) == 0 {
		return layout{}
	}
	l := g.fit(width)
	n := len(l.widths)
	var line strings.Builder
	for _, row := range g.rows {
		lines := make([][]string, n)
		height := 1
		for i := 0; i < n && i < len(row); i++ {
			if !l.hidden[i] {
				lines[i] = row[i].lines(l.widths[i], l.short)
				height = max(height, len(lines[i]))
			}
		}
		for k := range height {
			line.Reset()
			last := -1
			for i := range n {
				if k < len(lines[i]) && lines[i][k] != "" {
					last = i
				}
			}
			for i := 0; i <= last; i++ {
				if l.hidden[i] {
					continue
				}
				s := ""
				if k < len(lines[i]) {
					s = lines[i][k]
				}
				if s != "" && color && row[i].color != "" {
					line.WriteString("\x1b[" + row[i].color + "m" + s + "\x1b[0m")
				} else {
					line.WriteString(s)
				}
				if i < last {
					line.WriteString(strings.Repeat(" ", l.widths[i]-textWidth(s)+colSep))
				}
			}
			line.WriteByte('\n')
			w.WriteString(line.String())
		}
	}
	return l
}

// widths are the natural column widths, with the short forms or without.
func (g *grid) widths(n int, short bool) []int {
	ws := make([]int, n)
	for _, row := range g.rows {
		for i := 0; i < n && i < len(row); i++ {
			ws[i] = max(ws[i], textWidth(row[i].form(short)))
		}
	}
	return ws
}

// narrow takes the widest column down a column at a time, never below its
// minimum (below, narrowFloor), until the layout fits width or nothing is
// left to narrow: an outlier (a long label) is cut before ordinary cells
// are. The last columns narrow only with lateToo, which fit asks for once
// no column is left to hide: a column of dashes goes before the domain is
// cut.
func (g *grid) narrow(l layout, width int, lateToo, below bool) {
	for _, late := range []bool{false, true} {
		if late && !lateToo {
			break
		}
		for l.total() > width {
			best, widest := -1, 0
			for i, w := range l.widths {
				if l.hidden[i] || i >= len(g.mins) || g.mins[i] == 0 || slices.Contains(g.last, i) != late {
					continue
				}
				floor := g.mins[i]
				if below {
					floor = min(floor, narrowFloor)
				}
				if w > floor && w > widest {
					best, widest = i, w
				}
			}
			if best < 0 {
				break
			}
			l.widths[best]--
		}
	}
}

// form is the cell's text, or its short form when asked and it has one.
func (c gcell) form(short bool) string {
	if short && c.short != "" {
		return c.short
	}
	return c.text
}

// lines is the cell laid out in width columns: a list folded after its
// commas, anything else on one line, cut with an ellipsis when too long.
func (c gcell) lines(width int, short bool) []string {
	s := c.form(short)
	if textWidth(s) <= width {
		return []string{s}
	}
	if len(c.items) < 2 {
		return []string{truncate(s, width)}
	}
	var out []string
	cur := ""
	for i, it := range c.items {
		if i < len(c.items)-1 {
			it += ","
		}
		if cur != "" && textWidth(cur)+textWidth(it) > width {
			out = append(out, cur)
			cur = ""
		}
		cur += it
	}
	out = append(out, cur)
	for i := range out {
		out[i] = truncate(out[i], width)
	}
	return out
}

// truncate cuts s to width columns, ending in "…" when it had to cut.
func truncate(s string, width int) string {
	if textWidth(s) <= width {
		return s
	}
	if width <= 0 {
		return ""
	}
	var b strings.Builder
	w := 0
	for _, r := range s {
		rw := runeWidth(r)
		if w+rw > width-1 {
			break
		}
		b.WriteRune(r)
		w += rw
	}
	// Cutting may leave half an escape ("\x1") behind; it stays visible
	// text, and the ellipsis says something was cut.
	return b.String() + "…"
}

// textWidth is the number of terminal columns s takes.
func textWidth(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			n = 0
			for _, r := range s {
				n += runeWidth(r)
			}
			return n
		}
		n++
	}
	return n
}

// runeWidth is the columns one rune takes: none for a combining mark, two
// for the wide East Asian scripts, one otherwise. (Clean has escaped
// controls and invisible characters before text gets here.)
func runeWidth(r rune) int {
	switch {
	case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r):
		return 0
	case r >= 0x1100 && r <= 0x115f, r >= 0x2e80 && r <= 0xa4cf && r != 0x303f,
		r >= 0xac00 && r <= 0xd7a3, r >= 0xf900 && r <= 0xfaff, r >= 0xfe30 && r <= 0xfe4f,
		r >= 0xff00 && r <= 0xff60, r >= 0xffe0 && r <= 0xffe6,
		r >= 0x1f300 && r <= 0x1f64f, r >= 0x1f900 && r <= 0x1f9ff,
		r >= 0x20000 && r <= 0x3fffd:
		return 2
	}
	return 1
}

// wrap breaks s into lines of at most width columns at spaces, the first
// line shorter by first columns; a word longer than a line is cut across
// lines. width 0 keeps s on one line.
func wrap(s string, width, first int) []string {
	if width <= 0 || textWidth(s)+first <= width {
		return []string{s}
	}
	var out []string
	room := max(width-first, 1)
	cur := ""
	flush := func() {
		out = append(out, cur)
		cur, room = "", width
	}
	for _, word := range strings.Split(s, " ") {
		for {
			ww := textWidth(word)
			if cur == "" {
				if ww <= room {
					cur = word
					break
				}
				var rest string
				cur, rest = splitWidth(word, room)
				flush()
				if word = rest; word == "" {
					break
				}
				continue
			}
			if textWidth(cur)+1+ww <= room {
				cur += " " + word
				break
			}
			flush()
		}
	}
	if cur != "" || len(out) == 0 {
		out = append(out, cur)
	}
	return out
}

// hang wraps s to width columns with a hanging indent: the first line
// starts where the caller's cursor is, first columns in, and every
// further line is indented by indent spaces. width 0 keeps s on one line.
func hang(s string, width, first, indent int) string {
	if width <= 0 {
		return s
	}
	// wrap's lines after the first are width wide; give them width-indent,
	// and the first line width-first.
	room := max(width-indent, 10)
	lines := wrap(s, room, first-indent)
	return strings.Join(lines, "\n"+strings.Repeat(" ", indent))
}

// splitWidth splits s after at most width columns (at least one rune).
func splitWidth(s string, width int) (head, rest string) {
	w := 0
	for i, r := range s {
		rw := runeWidth(r)
		if w+rw > width && i > 0 {
			return s[:i], s[i:]
		}
		w += rw
	}
	return s, ""
}
