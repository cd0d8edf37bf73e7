package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mxscope/mxscope/scanner/diff"
)

// DiffWriter writes a comparison of two scans (mxscope diff) in one of the
// Formats: Begin once, Write for each change in order, End once. The same
// rules keep DNS data harmless as in a scan report.
type DiffWriter interface {
	Begin(m diff.Meta) error
	Write(c diff.Change) error
	End(s diff.Summary) error
}

// NewDiff returns a DiffWriter for format. opt.LabelKeys name the label
// columns (csv) and the label shown in table and markdown; opt.Terminal
// aligns the table.
func NewDiff(format string, w io.Writer, opt Options) (DiffWriter, error) {
	switch format {
	case "table":
		return newDiffTable(w, opt), nil
	case "json":
		return &diffJSON{jsonStream{out: bufio.NewWriter(w)}}, nil
	case "jsonl":
		return &diffJSONL{j: newJSONL(w)}, nil
	case "csv":
		return &diffCSV{newCSV(w, opt)}, nil
	case "markdown":
		return &diffMarkdown{out: bufio.NewWriter(w), opt: opt}, nil
	}
	return nil, fmt.Errorf("%w %q (want one of: %s)", ErrUnknownFormat, format, strings.Join(DiffFormats, ", "))
}

// DiffFormats lists the format names NewDiff accepts: the report formats
// but html, whose page is a scan's, not a comparison's.
var DiffFormats = []string{"table", "json", "jsonl", "csv", "markdown"}

// The honest words of a diff.
const (
	honestDiffMX     = "A change of MX records shows where mail is now delivered; it does not show why it moved, or that anyone was targeted."
	honestDiffFailed = "A lookup that failed in either run is listed as could-not-compare, never as a removed record."
)

// diffCells are a change's cells after the domain and label: what, change,
// old, new, note. A finding's severity leads its note.
func diffCells(c diff.Change) []string {
	note := c.Note
	if c.Severity != "" {
		note = strings.TrimSuffix(string(c.Severity)+": "+note, ": ")
	}
	return []string{string(c.Field), string(c.Kind), or(c.Old), or(c.New), or(note)}
}

func diffDomain(c diff.Change) string {
	if c.Domain == "" {
		return or(c.Input)
	}
	return c.Domain
}

func diffLabel(c diff.Change, keys []string) string { return or(c.Labels.String(keys[0])) }

// runLine is "old.jsonl (report): scanned 2026-11-21T12:00:00Z by mxscope v1 with catalog c1".
func runLine(r diff.Run) string {
	kind := r.Kind
	if r.Replayed {
		kind += ", replayed"
	}
	return fmt.Sprintf("%s (%s): scanned %s by mxscope %s with catalog %s, checks %s",
		r.File, kind, r.Started.UTC().Format(time.RFC3339), or(r.Version), or(r.Catalog), or(r.Checks))
}

// summaryLines are the summary as sentences.
func diffSummaryLines(s diff.Summary) []string {
	return []string{
		fmt.Sprintf("Targets: %d in the old run, %d in the new; %d in both: %d changed, %d unchanged, %d with something that could not be compared; %d added, %d removed.",
			s.Old, s.New, s.Compared, s.Changed, s.Unchanged, s.Uncompared, s.Added, s.Removed),
		"Changes: " + s.String() + ".",
	}
}

// diffTable: aligned on a terminal, tab-separated when piped.
type diffTable struct {
	out  *bufio.Writer
	grid *grid // nil when piped
	opt  Options
	meta diff.Meta
}

func newDiffTable(w io.Writer, opt Options) *diffTable {
	t := &diffTable{out: bufio.NewWriter(w), opt: opt}
	if opt.Terminal {
		t.grid = &grid{}
	} else {
		t.opt.Width = 0 // a pipe or a file is never fitted
	}
	return t
}

// Minimum widths of a diff's OLD, NEW and NOTE columns on a narrow
// terminal.
const minDiffValue = 12

func (t *diffTable) Begin(m diff.Meta) error {
	t.meta = m
	h := []string{"DOMAIN"}
	mins := []int{minDomain}
	if len(t.opt.LabelKeys) > 0 {
		h = append(h, strings.ToUpper(t.opt.LabelKeys[0]))
		mins = append(mins, minLabel)
	}
	h = append(h, "WHAT", "CHANGE", "OLD", "NEW", "NOTE")
	if t.grid != nil {
		// WHAT and CHANGE never narrow; OLD and NEW fold a list of MX
		// hosts onto more lines; NOTE, which repeats the records in
		// full, is the first to go.
		t.grid.mins = append(mins, 0, 0, minDiffValue, minDiffValue, minDiffValue)
		t.grid.last = []int{0}
		t.grid.drop = []int{len(h) - 1}
	}
	return t.line(plain(h))
}

func (t *diffTable) Write(c diff.Change) error {
	cells := []string{diffDomain(c)}
	if len(t.opt.LabelKeys) > 0 {
		cells = append(cells, diffLabel(c, t.opt.LabelKeys))
	}
	row := plain(append(cells, diffCells(c)...))
	for _, i := range []int{len(row) - 3, len(row) - 2} { // OLD and NEW
		if items := strings.Split(row[i].text, ", "); len(items) > 1 {
			row[i].items = items
		}
	}
	return t.line(row)
}

// line adds a row: to the grid on a terminal, else written at once with
// its cells separated by tabs.
func (t *diffTable) line(cells []gcell) error {
	for i := range cells {
		cells[i].text = Clean(cells[i].text)
		for j, it := range cells[i].items {
			cells[i].items[j] = Clean(it)
		}
	}
	if t.grid != nil {
		t.grid.add(cells)
		return nil // aligned at End
	}
	texts := make([]string, len(cells))
	for i, c := range cells {
		texts[i] = c.text
	}
	if _, err := io.WriteString(t.out, strings.Join(texts, "\t")+"\n"); err != nil {
		return err
	}
	return t.out.Flush()
}

func (t *diffTable) End(s diff.Summary) error {
	w := t.out
	if t.grid != nil {
		l := t.grid.render(w, t.opt.Width, false)
		for i, h := range l.hidden {
			if h {
				w.WriteString(hang("(not shown at this width: "+t.grid.rows[0][i].text+" (-f markdown has every column))", t.opt.Width, 0, 1) + "\n")
			}
		}
	}
	w.WriteString("\n")
	fmt.Fprintf(w, "Old: %s\n", hang(Clean(runLine(t.meta.Old)), t.opt.Width, len("Old: "), 2))
	fmt.Fprintf(w, "New: %s\n", hang(Clean(runLine(t.meta.New)), t.opt.Width, len("New: "), 2))
	for _, l := range diffSummaryLines(s) {
		fmt.Fprintln(w, hang(l, t.opt.Width, 0, 2))
	}
	fmt.Fprintf(w, "%s\n%s\n", hang(honestDiffMX, t.opt.Width, 0, 0), hang(honestDiffFailed, t.opt.Width, 0, 0))
	return w.Flush()
}

// diffCSV: one row per change; labels in columns as in a scan's csv.
type diffCSV struct{ *csvReport }

var diffCSVFixed = []string{"field", "change", "old", "new", "severity", "note"}

func (c *diffCSV) Begin(diff.Meta) error {
	h := append([]string{"domain"}, labelColumns(c.opt.LabelKeys, diffCSVFixed)...)
	return c.row(append(h, diffCSVFixed...))
}

func (c *diffCSV) Write(ch diff.Change) error {
	row := []string{diffDomain(ch)}
	for _, k := range c.opt.LabelKeys {
		row = append(row, ch.Labels.String(k))
	}
	return c.row(append(row, string(ch.Field), string(ch.Kind), ch.Old, ch.New, string(ch.Severity), ch.Note))
}

func (c *diffCSV) End(diff.Summary) error {
	c.w.Flush()
	return c.w.Error()
}

// diffJSON: one document, streamed: the header, "changes", the summary.
type diffJSON struct{ jsonStream }

func (j *diffJSON) Begin(m diff.Meta) error   { return j.begin(diffMeta(m), "changes") }
func (j *diffJSON) Write(c diff.Change) error { return j.item(c) }
func (j *diffJSON) End(s diff.Summary) error  { return j.end(s) }

// diffMeta normalises the times, as meta does for a scan.
func diffMeta(m diff.Meta) diff.Meta {
	m.Old.Started = m.Old.Started.UTC().Truncate(time.Second)
	m.New.Started = m.New.Started.UTC().Truncate(time.Second)
	return m
}

// diffJSONL: a meta line, one change per line, a summary line.
type diffJSONL struct{ j *jsonl }

func (d *diffJSONL) Begin(m diff.Meta) error   { return d.j.line("meta", diffMeta(m)) }
func (d *diffJSONL) Write(c diff.Change) error { return d.j.line("", c) }
func (d *diffJSONL) End(s diff.Summary) error  { return d.j.line("summary", s) }

// diffMarkdown: for a newsroom's notes: the two runs, a table of changes,
// the summary and the honest words.
type diffMarkdown struct {
	out *bufio.Writer
	opt Options
	n   int
}

func (m *diffMarkdown) Begin(meta diff.Meta) error {
	w := m.out
	w.WriteString("# mxscope diff\n\n")
	fmt.Fprintf(w, "- Old: %s\n", mdEscape(runLine(meta.Old)))
	fmt.Fprintf(w, "- New: %s\n", mdEscape(runLine(meta.New)))
	fmt.Fprintf(w, "- Compared by: %s %s\n\n", mdEscape(meta.Tool), mdEscape(meta.Version))
	w.WriteString("## Changes\n\n")
	h := []string{"Domain"}
	if len(m.opt.LabelKeys) > 0 {
		h = append(h, m.opt.LabelKeys[0])
	}
	mdRow(w, append(h, "What", "Change", "Old", "New", "Note"))
	mdRule(w, len(h)+5)
	return w.Flush()
}

func (m *diffMarkdown) Write(c diff.Change) error {
	cells := []string{diffDomain(c)}
	if len(m.opt.LabelKeys) > 0 {
		cells = append(cells, diffLabel(c, m.opt.LabelKeys))
	}
	mdRow(m.out, append(cells, diffCells(c)...))
	m.n++
	return m.out.Flush()
}

func (m *diffMarkdown) End(s diff.Summary) error {
	w := m.out
	if m.n == 0 {
		w.WriteString("\nNo changes.\n")
	}
	w.WriteString("\n## Summary\n\n")
	for _, l := range diffSummaryLines(s) {
		fmt.Fprintf(w, "- %s\n", mdEscape(l))
	}
	fmt.Fprintf(w, "\n%s\n\n%s\n", mdEscape(honestDiffMX), mdEscape(honestDiffFailed))
	return w.Flush()
}
