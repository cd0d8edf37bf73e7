package report

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mxscope/mxscope/providers"
	"github.com/mxscope/mxscope/scanner"
)

// markdown writes an audit document a campaign can hand to its IT vendor:
// the scan's facts, one table row per domain (streamed), a section per
// domain with findings and what to do about each, and the provider summary.
// The findings sections follow the table, so they are kept, rendered, until
// End; results themselves are not kept.
type markdown struct {
	out      *bufio.Writer
	opt      Options
	findings bytes.Buffer
}

func newMarkdown(w io.Writer, opt Options) *markdown {
	return &markdown{out: bufio.NewWriter(w), opt: opt}
}

func (m *markdown) Begin(meta scanner.Meta) error {
	w := m.out
	w.WriteString("# mxscope report\n\n")
	fmt.Fprintf(w, "- Scanned: %s\n", meta.Started.UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "- Tool: %s %s\n", mdEscape(meta.Tool), mdEscape(meta.Version))
	fmt.Fprintf(w, "- Resolvers: %s\n", mdEscape(or(strings.Join(meta.Resolvers, ", "))))
	fmt.Fprintf(w, "- Provider catalog: %s\n", mdEscape(or(meta.Catalog)))
	if rp := meta.Replay; rp != nil {
		fmt.Fprintf(w, "- Replayed: %s, from the DNS answers in %s (scanned by mxscope %s with catalog %s)\n",
			rp.Replayed.UTC().Format(time.RFC3339), mdEscape(rp.Evidence), mdEscape(rp.Version), mdEscape(or(rp.Catalog)))
	}
	fmt.Fprintf(w, "- Checks: %s\n\n", mdEscape(or(meta.Checks)))
	w.WriteString("## Domains\n\n")
	h := []string{"Domain"}
	if len(m.opt.LabelKeys) > 0 {
		h = append(h, m.opt.LabelKeys[0])
	}
	h = append(h, "Status", "Mail", "Gateway", "Mailbox", "SPF", "DMARC", "Findings")
	if len(m.opt.Providers) > 0 {
		h = append(h, "Match")
	}
	mdRow(w, h)
	mdRule(w, len(h))
	return w.Flush()
}

func (m *markdown) Write(r *scanner.Result) error {
	c := []string{or(domainOf(r))}
	if len(m.opt.LabelKeys) > 0 {
		c = append(c, labelCell(r, m.opt))
	}
	c = append(c, string(r.Status), or(string(r.Mail)), or(r.Gateway), mailboxCell(r),
		spfCell(r.SPF), dmarcCell(r.DMARC), findingsCell(r))
	if len(m.opt.Providers) > 0 {
		c = append(c, or(matchCell(r, m.opt, ", ")))
	}
	mdRow(m.out, c)
	if len(r.Findings) > 0 {
		f := &m.findings
		fmt.Fprintf(f, "## %s\n\n", mdStart(or(domainOf(r))))
		for _, x := range worstFirst(r.Findings) { // as the table and the page list them
			fmt.Fprintf(f, "- **%s** %s: %s", mdEscape(string(x.Severity)), mdCode(x.ID), mdEscape(x.Message))
			if x.Fix != "" {
				fmt.Fprintf(f, " — *Fix:* %s", mdEscape(x.Fix))
			}
			f.WriteString("\n")
		}
		f.WriteString("\n")
	}
	return m.out.Flush()
}

func (m *markdown) End(s scanner.Summary) error {
	w := m.out
	w.WriteString("\n")
	if s.Partial {
		fmt.Fprintf(w, "**Partial report:** %s\n\n", mdEscape(partialNote(s)))
	}
	m.findings.WriteTo(w)
	w.WriteString("## Providers\n\n")
	fmt.Fprintf(w, "Targets: %s.\n", mdEscape(targetsLine(s)))
	for _, l := range layers(s) {
		fmt.Fprintf(w, "\n%s:\n\n", mdEscape(l.title))
		if len(l.counts) == 0 {
			w.WriteString("- none\n")
		}
		for _, c := range l.counts {
			fmt.Fprintf(w, "- %s: %d of %d targets\n", mdStart(c.ID), c.Count, s.Scanned)
		}
		if l.note != "" {
			fmt.Fprintf(w, "\n%s.\n", mdEscape(upperFirst(l.note)))
		}
	}
	if ml := matchLines(s); ml != nil {
		fmt.Fprintf(w, "\nMatching %s:\n\n", mdEscape(ml[0]))
		for _, l := range ml[1:] {
			fmt.Fprintf(w, "- %s\n", mdStart(l))
		}
	}
	w.WriteString("\n")
	if f := countSeverities(s.Findings); f != "-" {
		fmt.Fprintf(w, "Findings: %s\n\n", mdEscape(f))
	}
	if len(s.FindingTargets) > 0 {
		w.WriteString("Resolved targets with each finding:\n\n")
		for _, c := range s.FindingTargets {
			fmt.Fprintf(w, "- **%s** %s: %s", mdEscape(string(c.Severity)), mdCode(c.ID), mdEscape(findingShare(c, s)))
			if t := scanner.FindingTitle(c.ID); t != "" {
				fmt.Fprintf(w, ", %s", mdEscape(t))
			}
			w.WriteString("\n")
		}
		w.WriteString("\n")
	}
	if len(s.SharedTenants) > 0 {
		w.WriteString("Shared tenants (one mail system, several targets):\n\n")
		for _, g := range s.SharedTenants {
			fmt.Fprintf(w, "- %s\n", mdStart(tenantLine(g)))
		}
		w.WriteString("\n")
	}
	fmt.Fprintf(w, "%s\n\n%s\n", honestMX, honestSPF)
	return w.Flush()
}

// mdRow writes one table row; cells are escaped, so "|" cannot split them.
func mdRow(w io.Writer, cells []string) {
	for i, c := range cells {
		cells[i] = mdEscape(c)
	}
	fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
}

// mdCode shows a finding id as code. Inside a code span nothing can be
// escaped, so an id that is not plain [a-z0-9-] is shown escaped instead.
func mdCode(id string) string {
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return mdEscape(id)
		}
	}
	if id == "" {
		return "-"
	}
	return "`" + id + "`"
}

func catalogMarkdown(w io.Writer, cat *providers.Catalog) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "# mxscope provider catalog %s\n\n", mdEscape(cat.Version))
	mdRow(b, append([]string(nil), catalogHeader...))
	mdRule(b, len(catalogHeader))
	for _, p := range cat.List() {
		c := catalogRow(p, ", ")
		for i := range c {
			c[i] = or(c[i])
		}
		mdRow(b, c)
	}
	return b.Flush()
}

// mdRule writes a table's delimiter row.
func mdRule(w io.Writer, n int) {
	fmt.Fprintf(w, "|%s\n", strings.Repeat(" --- |", n))
}
