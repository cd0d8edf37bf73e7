package report

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mxscope/mxscope/providers"
	"github.com/mxscope/mxscope/scanner"
)

// table is the default format. On a terminal, rows are kept as cells and
// aligned at End, fitted to Options.Width and coloured when Options.Color
// says so; piped, each row is one tab-separated line written as it comes,
// for cut, awk and sort, without colour. With Options.Findings, every
// finding and its fix follows the table, kept as rendered text until End.
type table struct {
	out      *bufio.Writer
	grid     *grid // nil when piped
	opt      Options
	findings bytes.Buffer // the findings section, when opt.Findings
	nfound   int          // domains with findings in it
	fcol     int          // the FINDINGS column
}

func newTable(w io.Writer, opt Options) *table {
	t := &table{out: bufio.NewWriter(w), opt: opt}
	if opt.Terminal {
		t.grid = &grid{}
	} else {
		t.opt.Color, t.opt.Width = false, 0 // neither reaches a pipe or a file
	}
	return t
}

// Column minimums when a terminal table is fitted to its width; statuses,
// mail states and finding counts never narrow (a count cut to "1H 2…"
// would hide findings).
const (
	minDomain  = 16
	minLabel   = 8
	minGateway = 7
	minMailbox = 9
	minSenders = 9
	minSPF     = 7
	minDMARC   = 8
	minMatch   = 7
	// FINDINGS narrows no further than its widest short form ("1H 2M 3L
	// 1I"), which End sets: only a count of a severity without a letter
	// is ever cut.
	minFindings = 8
)

func (t *table) Begin(scanner.Meta) error {
	h := []string{"DOMAIN"}
	mins := []int{minDomain}
	if len(t.opt.LabelKeys) > 0 {
		h = append(h, strings.ToUpper(t.opt.LabelKeys[0]))
		mins = append(mins, minLabel)
	}
	status := len(h)
	h = append(h, "STATUS", "MAIL", "GATEWAY", "MAILBOX", "SENDERS", "SPF", "DMARC", "FINDINGS")
	t.fcol = len(h) - 1
	mins = append(mins, 0, 0, minGateway, minMailbox, minSenders, minSPF, minDMARC, minFindings)
	if len(t.opt.Providers) > 0 {
		h = append(h, "MATCH")
		mins = append(mins, minMatch)
	}
	if t.grid != nil {
		t.grid.mins = mins
		// Too narrow even so: MAIL is "mx" for most domains, SENDERS is
		// not where mail lives, GATEWAY is behind MAILBOX in the story.
		mail, gateway, senders := status+1, status+2, status+4
		t.grid.drop = []int{mail, senders, gateway}
		if len(t.opt.Providers) > 0 {
			// Every row --provider keeps was resolved, so STATUS says
			// "ok" on each: it goes before anything that differs.
			t.grid.drop = []int{mail, status, senders, gateway}
		}
		t.grid.last = []int{0} // the domain is what a row is about
	}
	return t.line(plain(h))
}

func (t *table) Write(r *scanner.Result) error {
	c := plain([]string{or(domainOf(r))})
	if len(t.opt.LabelKeys) > 0 {
		c = append(c, gcell{text: labelCell(r, t.opt)})
	}
	senders := gcell{text: or(strings.Join(r.Senders, ","))}
	if len(r.Senders) > 1 {
		senders.items = r.Senders
	}
	c = append(c, gcell{text: string(r.Status), color: statusColor(r.Status)},
		gcell{text: or(string(r.Mail))}, gcell{text: or(r.Gateway)}, gcell{text: mailboxCell(r)},
		senders, gcell{text: spfCell(r.SPF)}, gcell{text: dmarcCell(r.DMARC)},
		gcell{text: findingsCell(r), short: findingsShort(r), color: severityColor(r.Worst())})
	if len(t.opt.Providers) > 0 {
		c = append(c, gcell{text: or(matchCell(r, t.opt, ","))})
	}
	if t.opt.Findings {
		t.addFindings(r)
	}
	return t.line(c)
}

// plain makes cells of texts, without colour.
func plain(texts []string) []gcell {
	c := make([]gcell, len(texts))
	for i, s := range texts {
		c[i] = gcell{text: s}
	}
	return c
}

// line adds a row: to the grid on a terminal, else written at once as
// cells separated by tabs. Clean escapes any tab or newline inside a
// cell, so a cell can neither split nor shift a row.
func (t *table) line(cells []gcell) error {
	for i := range cells {
		c := &cells[i]
		c.text, c.short = Clean(c.text), Clean(c.short)
		if c.items != nil {
			items := make([]string, len(c.items))
			for j, it := range c.items {
				items[j] = Clean(it)
			}
			c.items = items
		}
	}
	if t.grid != nil {
		t.grid.add(cells)
		return nil // aligned at End
	}
	for i, c := range cells {
		if i > 0 {
			t.out.WriteByte('\t')
		}
		t.out.WriteString(c.text)
	}
	t.out.WriteByte('\n')
	return t.out.Flush()
}

func (t *table) End(s scanner.Summary) error {
	if t.grid != nil {
		for _, row := range t.grid.rows[1:] {
			if c := row[t.fcol]; c.short != "" {
				t.grid.mins[t.fcol] = max(t.grid.mins[t.fcol], textWidth(c.short))
			}
		}
		l := t.grid.render(t.out, t.opt.Width, t.opt.Color)
		var notes []string
		if l.short {
			notes = append(notes, "FINDINGS: H high, M medium, L low, I info")
		}
		var hidden []string
		for i, h := range l.hidden {
			if h {
				hidden = append(hidden, t.grid.rows[0][i].text)
			}
		}
		if len(hidden) > 0 {
			notes = append(notes, "not shown at this width: "+strings.Join(hidden, ", ")+" (-f csv has every column)")
		}
		for _, n := range notes {
			t.out.WriteString(hang("("+n+")", t.opt.Width, 0, 1) + "\n")
		}
	}
	if s.Partial {
		fmt.Fprintf(t.out, "\n%s\n", hang(partialNote(s), t.opt.Width, 0, 0))
	}
	if t.opt.Findings {
		t.out.WriteString("\nFindings and fixes:\n")
		if t.nfound == 0 {
			t.out.WriteString("  none\n")
		}
		t.findings.WriteTo(t.out)
	}
	writeTextSummary(t.out, s, t.opt)
	return t.out.Flush()
}

// addFindings renders r's findings and their fixes into the findings
// section: the domain, then each finding with its severity, id and
// message, and its fix on the next line, wrapped to the terminal's width.
func (t *table) addFindings(r *scanner.Result) {
	if len(r.Findings) == 0 {
		return
	}
	t.nfound++
	b := &t.findings
	fmt.Fprintf(b, "\n%s\n", Clean(or(domainOf(r))))
	const indent = "          " // under the message: 2 + severity (6) + 2
	for _, f := range worstFirst(r.Findings) {
		sev := Clean(string(f.Severity))
		text := Clean(f.ID) + ": " + Clean(f.Message)
		b.WriteString("  " + paint(t.opt, sev, severityColor(f.Severity)) + strings.Repeat(" ", max(0, 6-textWidth(sev))) + "  ")
		b.WriteString(hang(text, t.opt.Width, len(indent), len(indent)) + "\n")
		if f.Fix != "" {
			fix := "fix: " + Clean(f.Fix) // its lines go under the fix, past "fix: "
			b.WriteString(indent + hang(fix, t.opt.Width, len(indent), len(indent)+len("fix: ")) + "\n")
		}
	}
}

// paint colours clean text s when colour is on.
func paint(opt Options, s, color string) string {
	if !opt.Color || color == "" || s == "" {
		return s
	}
	return "\x1b[" + color + "m" + s + "\x1b[0m"
}

// Colours (SGR parameters) of severities and statuses.
const (
	colorHigh    = "1;31" // bold red
	colorMedium  = "33"   // yellow
	colorLow     = "36"   // cyan
	colorOK      = "32"   // green
	colorFailed  = "33"   // yellow: the domain could not be checked
	colorInvalid = "35"   // magenta: not a domain
)

func severityColor(s scanner.Severity) string {
	switch s {
	case scanner.SeverityHigh:
		return colorHigh
	case scanner.SeverityMedium:
		return colorMedium
	case scanner.SeverityLow:
		return colorLow
	}
	return ""
}

func statusColor(s scanner.Status) string {
	switch s {
	case scanner.StatusOK:
		return colorOK
	case scanner.StatusInvalid:
		return colorInvalid
	case "":
		return ""
	}
	return colorFailed
}

// findingsShort is the findings cell for a narrow terminal: "2H 1M 1L".
func findingsShort(r *scanner.Result) string {
	n := map[scanner.Severity]int{}
	for _, f := range r.Findings {
		n[f.Severity]++
	}
	var parts []string
	for _, s := range severities {
		if n[s] > 0 {
			parts = append(parts, strconv.Itoa(n[s])+strings.ToUpper(string(s[:1])))
			delete(n, s)
		}
	}
	if len(n) > 0 {
		return "" // a severity without a letter: keep the long form
	}
	return or(strings.Join(parts, " "))
}

// writeTextSummary writes the provider summary as indented plain text. The
// bufio.Writer keeps the first write error for the caller's Flush.
//
// On a terminal (opt.Width set) a line longer than the width is wrapped at
// blanks, its further lines indented under the text they continue, so
// that the terminal never breaks a word.
func writeTextSummary(w *bufio.Writer, s scanner.Summary, opt Options) {
	fmt.Fprintf(w, "\nTargets: %s\n", hang(Clean(targetsLine(s)), opt.Width, len("Targets: "), 2))
	ls := layers(s)
	idw := 0
	for _, l := range ls {
		for _, c := range l.counts {
			idw = max(idw, len(Clean(c.ID)))
		}
	}
	nw := len(fmt.Sprint(s.Scanned))
	for _, l := range ls {
		fmt.Fprintf(w, "\n%s:\n", l.title)
		if len(l.counts) == 0 {
			fmt.Fprintf(w, "  (none)\n")
		}
		for _, c := range l.counts {
			fmt.Fprintf(w, "  %-*s  %*d of %d targets\n", idw, Clean(c.ID), nw, c.Count, s.Scanned)
		}
		if l.note != "" {
			fmt.Fprintf(w, "  %s\n", hang(Clean(l.note), opt.Width, 2, 4))
		}
	}
	if ml := matchLines(s); ml != nil {
		fmt.Fprintf(w, "\nMatching %s\n", hang(Clean(ml[0]), opt.Width, len("Matching "), 2))
		// The layer (10 columns) and its count come before the words.
		words := 2 + 10 + len(strconv.Itoa(max(s.Match.MX, s.Match.Mailbox, s.Match.Possible))) + 2
		for _, l := range ml[1:] {
			fmt.Fprintf(w, "  %s\n", hang(Clean(l), opt.Width, 2, words))
		}
	}
	w.WriteString("\n")
	if f := countSeverities(s.Findings); f != "-" {
		fmt.Fprintf(w, "Findings: %s\n", Clean(f))
	}
	if len(s.FindingTargets) > 0 {
		fmt.Fprintf(w, "Resolved targets with each finding:\n")
		idw, shw := 0, 0
		for _, c := range s.FindingTargets {
			idw = max(idw, textWidth(Clean(c.ID)))
			shw = max(shw, len(findingShare(c, s)))
		}
		for _, c := range s.FindingTargets {
			sev := Clean(string(c.Severity))
			pad := strings.Repeat(" ", max(0, 6-textWidth(sev)))
			id := Clean(c.ID)
			line := fmt.Sprintf("  %s%s  %s%s  %-*s", paint(opt, sev, severityColor(c.Severity)), pad,
				id, strings.Repeat(" ", idw-textWidth(id)), shw, findingShare(c, s))
			if t := scanner.FindingTitle(c.ID); t != "" {
				// The title wraps under itself.
				at := 2 + 6 + 2 + idw + 2 + shw + 2
				line += "  " + hang(t, opt.Width, at, at)
			}
			w.WriteString(strings.TrimRight(line, " ") + "\n")
		}
	}
	if len(s.SharedTenants) > 0 {
		w.WriteString("Shared tenants (one mail system, several targets):\n")
		for _, g := range s.SharedTenants {
			fmt.Fprintf(w, "  %s\n", hang(Clean(tenantLine(g)), opt.Width, 2, 4))
		}
	}
	fmt.Fprintf(w, "\n%s\n%s\n", hang(honestMX, opt.Width, 0, 0), hang(honestSPF, opt.Width, 0, 0))
}

func catalogTable(w io.Writer, cat *providers.Catalog, opt Options) error {
	t := newTable(w, opt)
	h := make([]string, len(catalogHeader))
	for i, c := range catalogHeader {
		h[i] = strings.ToUpper(c)
	}
	if t.grid != nil {
		t.grid.mins = []int{0, 8, 12, 0, 12, 12, 8, 9}
		t.grid.drop = []int{7} // appliance, the rarest column, goes first
	}
	if err := t.line(plain(h)); err != nil {
		return err
	}
	for _, p := range cat.List() {
		c := catalogRow(p, ",")
		cells := make([]gcell, len(c))
		for i := range c {
			cells[i] = gcell{text: or(c[i])}
		}
		for _, i := range []int{4, 5} { // the mx and spf lists fold
			if l := strings.Split(c[i], ","); len(l) > 1 {
				cells[i].items = l
			}
		}
		if err := t.line(cells); err != nil {
			return err
		}
	}
	if t.grid == nil {
		return nil // piped: rows only, for cut and awk
	}
	t.grid.render(t.out, t.opt.Width, false)
	fmt.Fprintf(t.out, "\ncatalog %s: %d entries\n", Clean(cat.Version), len(cat.Providers))
	return t.out.Flush()
}
