package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/mxscope/mxscope/providers"
	"github.com/mxscope/mxscope/scanner"
)

// table is the default format. On a terminal, rows are buffered in a
// tabwriter and aligned at End; piped, each row is one tab-separated line
// written as it comes, for cut, awk and sort.
type table struct {
	out  *bufio.Writer
	tw   *tabwriter.Writer // nil when piped
	opt  Options
	rows io.Writer // tw, or out
}

func newTable(w io.Writer, opt Options) *table {
	t := &table{out: bufio.NewWriter(w), opt: opt}
	t.rows = t.out
	if opt.Terminal {
		t.tw = tabwriter.NewWriter(t.out, 0, 8, 2, ' ', 0)
		t.rows = t.tw
	}
	return t
}

func (t *table) Begin(scanner.Meta) error {
	h := []string{"DOMAIN"}
	if len(t.opt.LabelKeys) > 0 {
		h = append(h, strings.ToUpper(t.opt.LabelKeys[0]))
	}
	h = append(h, "STATUS", "MAIL", "GATEWAY", "MAILBOX", "SENDERS", "SPF", "DMARC", "FINDINGS")
	if len(t.opt.Providers) > 0 {
		h = append(h, "MATCH")
	}
	return t.line(h)
}

func (t *table) Write(r *scanner.Result) error {
	c := []string{or(domainOf(r))}
	if len(t.opt.LabelKeys) > 0 {
		c = append(c, labelCell(r, t.opt))
	}
	c = append(c, string(r.Status), or(string(r.Mail)), or(r.Gateway), mailboxCell(r),
		or(strings.Join(r.Senders, ",")), spfCell(r.SPF), dmarcCell(r.DMARC), findingsCell(r))
	if len(t.opt.Providers) > 0 {
		c = append(c, matchCell(r, t.opt.Providers))
	}
	return t.line(c)
}

// line writes cells separated by tabs. Clean escapes any tab or newline
// inside a cell, so a cell can neither split nor shift a row.
func (t *table) line(cells []string) error {
	for i, c := range cells {
		cells[i] = Clean(c)
	}
	if _, err := io.WriteString(t.rows, strings.Join(cells, "\t")+"\n"); err != nil {
		return err
	}
	if t.tw != nil {
		return nil // aligned at End
	}
	return t.out.Flush()
}

func (t *table) End(s scanner.Summary) error {
	if t.tw != nil {
		if err := t.tw.Flush(); err != nil {
			return err
		}
	}
	writeTextSummary(t.out, s)
	return t.out.Flush()
}

// writeTextSummary writes the provider summary as indented plain text. The
// bufio.Writer keeps the first write error for the caller's Flush.
func writeTextSummary(w *bufio.Writer, s scanner.Summary) {
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
	}
	w.WriteString("\n")
	if f := countSeverities(s.Findings); f != "-" {
		fmt.Fprintf(w, "Findings: %s\n", Clean(f))
	}
	if n := notCounted(s); n != "" {
		fmt.Fprintf(w, "%s\n", Clean(n))
	}
	if len(s.SharedTenants) > 0 {
		w.WriteString("Shared tenants (one mail system, several targets):\n")
		for _, g := range s.SharedTenants {
			fmt.Fprintf(w, "  %s\n", Clean(tenantLine(g)))
		}
	}
	fmt.Fprintf(w, "\n%s\n%s\n", honestMX, honestSPF)
}

func catalogTable(w io.Writer, cat *providers.Catalog, opt Options) error {
	t := newTable(w, opt)
	h := make([]string, len(catalogHeader))
	for i, c := range catalogHeader {
		h[i] = strings.ToUpper(c)
	}
	if err := t.line(h); err != nil {
		return err
	}
	for _, p := range cat.List() {
		c := catalogRow(p, ",")
		for i := range c {
			c[i] = or(c[i])
		}
		if err := t.line(c); err != nil {
			return err
		}
	}
	if t.tw == nil {
		return nil // piped: rows only, for cut and awk
	}
	if err := t.tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(t.out, "\ncatalog %s: %d entries\n", Clean(cat.Version), len(cat.Providers))
	return t.out.Flush()
}
