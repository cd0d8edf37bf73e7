// Package report writes scan results in mxscope's output formats: an aligned
// or tab-separated table, JSON, JSON Lines, CSV, a Markdown audit document
// and a self-contained HTML page.
//
// It exists so that every format tells the same story from the same Result
// stream, and so that the rules that keep hostile DNS data harmless live in
// one place. It promises:
//
//   - DNS data never reaches a terminal, a spreadsheet or a rendered document
//     raw: text formats pass every cell through Clean (CSVCell, Markdown
//     escaping and html/template's escaping on top); JSON keeps the data
//     exact but escapes controls and invisible characters as \u sequences.
//   - One row per Result, in the order Write is called.
//   - Streaming: json, jsonl, csv and the piped table write each Result as it
//     comes and hold none of them; only an aligned terminal table (which must
//     see every row to size its columns, kept as cells) and the findings
//     sections of the Markdown document and of the table (Options.Findings)
//     are buffered, as rendered text, and the HTML page's rows and sections,
//     which follow its charts, are spooled (to a temporary file past 8 MiB).
//   - Colour (Options.Color) only ever reaches a terminal table, and is added
//     after escaping, so that DNS data can neither bring its own nor break
//     ours; the HTML page's colours come from its style sheet alone.
//   - The provider summary always ends with the same two sentences on what
//     MX and SPF records do not prove.
package report

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/mxscope/mxscope/providers"
	"github.com/mxscope/mxscope/scanner"
)

// Options shape a report.
type Options struct {
	Terminal  bool     // the output is a terminal: align columns; otherwise tab-separated, no alignment
	Providers []string // the --provider filter in effect (may be empty): the table adds a MATCH column
	LabelKeys []string // label keys in first-seen order across all targets
	// Width is the terminal's width in columns: a Terminal table fits it
	// (0: unknown, the table is as wide as its cells).
	Width int
	// Color marks severities and statuses with colour; only a Terminal
	// table uses it, so colour never reaches a pipe or a file.
	Color bool
	// Findings lists every finding with its fix under the table.
	Findings bool
}

// Writer writes one report: Begin once, Write for each result, End once.
type Writer interface {
	Begin(m scanner.Meta) error    // header (json/jsonl meta, csv header row, markdown title)
	Write(r *scanner.Result) error // one row, in the order given
	End(s scanner.Summary) error   // footer and summary; flushes
}

// Formats lists the format names New accepts; the first is the default.
var Formats = []string{"table", "json", "jsonl", "csv", "markdown", "html"}

// ErrUnknownFormat is wrapped by New and WriteCatalog for a format not in Formats.
var ErrUnknownFormat = errors.New("report: unknown format")

func unknownFormat(format string) error {
	return fmt.Errorf("%w %q (want one of: %s)", ErrUnknownFormat, format, strings.Join(Formats, ", "))
}

// New returns a Writer for format that writes to w.
func New(format string, w io.Writer, opt Options) (Writer, error) {
	switch format {
	case "table":
		return newTable(w, opt), nil
	case "json":
		return newJSON(w), nil
	case "jsonl":
		return newJSONL(w), nil
	case "csv":
		return newCSV(w, opt), nil
	case "markdown":
		return newMarkdown(w, opt), nil
	case "html":
		return newHTML(w, opt), nil
	}
	return nil, unknownFormat(format)
}

// WriteCatalog writes the provider catalog (`mxscope providers`) in one of
// the Formats, entries in the order of cat.List.
func WriteCatalog(format string, w io.Writer, cat *providers.Catalog, opt Options) error {
	if cat == nil {
		return errors.New("report: no catalog")
	}
	switch format {
	case "table":
		return catalogTable(w, cat, opt)
	case "json":
		return catalogJSON(w, cat)
	case "jsonl":
		return catalogJSONL(w, cat)
	case "csv":
		return catalogCSV(w, cat)
	case "markdown":
		return catalogMarkdown(w, cat)
	case "html":
		return catalogHTML(w, cat)
	}
	return unknownFormat(format)
}

// catalogHeader is the column set of the catalog in table, csv and markdown.
var catalogHeader = []string{"id", "key", "name", "kind", "mx", "spf", "source", "appliance"}

// catalogRow returns a provider's cells, raw; lists are joined with sep.
func catalogRow(p *providers.Provider, sep string) []string {
	return []string{p.ID, p.Key, p.Name, string(p.Kind), strings.Join(p.MX, sep), strings.Join(p.SPF, sep), p.Source,
		strings.Join(p.Appliance, sep)}
}

// The cells below are shared by the table and Markdown formats. They return
// raw text; each format escapes it.

// or returns s, or "-" when s is empty, so no cell is blank.
func or(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// mailboxCell names the mailbox host, with the confidence when it is not high.
func mailboxCell(r *scanner.Result) string {
	if r.Mailbox == "" {
		return "-"
	}
	if r.Confidence != "" && r.Confidence != scanner.ConfidenceHigh {
		return r.Mailbox + " (" + string(r.Confidence) + ")"
	}
	return r.Mailbox
}

// allTerm spells an SPF "all" result the way it is written in the record.
var allTerm = map[string]string{"fail": "-all", "softfail": "~all", "neutral": "?all", "pass": "+all"}

// spfCell is "ok ~all" for a record with an all term, else the status;
// "none" reads as "missing" so it is not mistaken for a policy.
func spfCell(s scanner.SPF) string {
	switch s.Status {
	case "":
		return "-"
	case "none":
		return "missing"
	case "ok":
		if t, ok := allTerm[s.All]; ok {
			return "ok " + t
		}
	}
	return s.Status
}

// dmarcCell is the policy in record syntax ("p=reject", with "pct=50" when
// only part of the mail is covered), what receivers apply when the record
// says t=y and that lowers the policy ("quarantine (t=y)"), or the status: "missing", "invalid",
// "temperror".
func dmarcCell(d scanner.DMARC) string {
	switch d.Status {
	case "":
		return "-"
	case "none":
		if len(d.MultipleRecords) > 0 {
			// Records there are, but receivers discard them all: "missing"
			// would be a false "no DMARC".
			return "multiple records"
		}
		return "missing"
	case "ok":
		if d.Policy == "" {
			return "ok"
		}
		if d.Testing && d.AppliedPolicy != "" && d.AppliedPolicy != d.Policy {
			return d.AppliedPolicy + " (t=y)"
		}
		s := "p=" + d.Policy
		if d.Pct != nil && *d.Pct < 100 {
			s += " pct=" + strconv.Itoa(*d.Pct)
		}
		return s
	}
	return d.Status
}

// severities in the order findings are counted, worst first.
var severities = []scanner.Severity{scanner.SeverityHigh, scanner.SeverityMedium, scanner.SeverityLow, scanner.SeverityInfo}

// countSeverities is "2 high, 1 medium", worst first, or "-" for none.
func countSeverities(n map[scanner.Severity]int) string {
	var parts []string
	for _, s := range severities {
		if n[s] > 0 {
			parts = append(parts, strconv.Itoa(n[s])+" "+string(s))
		}
	}
	// A severity the scanner invents later still shows, after the known ones.
	var other []string
	for s, k := range n {
		if k > 0 && s.Rank() == 0 {
			other = append(other, strconv.Itoa(k)+" "+string(s))
		}
	}
	slices.Sort(other)
	return or(strings.Join(append(parts, other...), ", "))
}

func findingsCell(r *scanner.Result) string {
	n := map[scanner.Severity]int{}
	for _, f := range r.Findings {
		n[f.Severity]++
	}
	return countSeverities(n)
}

// matchCell says which layer matched the --provider filter (r.Match): "mx"
// for one provider, "proofpoint:mx<sep>microsoft:mailbox" for several, ""
// when nothing matched.
func matchCell(r *scanner.Result, opt Options, sep string) string {
	parts := make([]string, 0, len(r.Match))
	for _, m := range r.Match {
		if len(opt.Providers) == 1 {
			return string(m.Layer)
		}
		parts = append(parts, m.Provider+":"+string(m.Layer))
	}
	return strings.Join(parts, sep)
}

// labelCell is the value of the first label key, the table's label column.
func labelCell(r *scanner.Result, opt Options) string {
	return or(r.Labels.String(opt.LabelKeys[0]))
}

// domainOf names a result: its domain, or the entry as written when it is
// not a valid domain.
func domainOf(r *scanner.Result) string {
	if r.Domain == "" {
		return r.Input
	}
	return r.Domain
}

// The honest words: what the report does and does not show. Every
// human-readable report ends with them.
const (
	honestMX  = "An MX record shows where mail for a domain is delivered, not that a campaign was targeted or compromised."
	honestSPF = "SPF lists who may send as a domain; it does not prove where mailboxes are hosted."
)

// layer is one part of the provider summary.
type layer struct {
	title  string
	counts []scanner.Count
	note   string // a line under the counts; "" for none
}

// layers are the summary's provider layers for the text formats. The
// mailbox layer counts medium and high confidence answers, as the html
// chart and --provider do, with "unknown" and "none"; the possible
// (low-confidence) answers are a note under it, never a count beside the
// confident ones.
func layers(s scanner.Summary) []layer {
	mailbox := slices.Clone(s.MailboxConfident)
	for _, c := range s.Mailbox {
		if c.ID == scanner.ProviderUnknown || c.ID == scanner.ProviderNone {
			mailbox = append(mailbox, c)
		}
	}
	note := ""
	if low := lowConfidence(s); len(low) > 0 {
		note = "at low confidence only (a possible answer), not counted: " + countList(low)
	}
	return []layer{
		{"Where mail is received (most-preferred MX), of the " + strconv.Itoa(s.Scanned) + " resolved", s.Provider, ""},
		{"Gateway (security gateway or forwarder in front)", s.Gateway, ""},
		{"Mailbox host (medium or high confidence)", mailbox, note},
		{"Authorised senders (SPF)", s.Senders, ""},
	}
}

// targetsLine is "6 listed: 4 resolved (67%), 1 failed (17%: 1 nxdomain),
// 1 invalid (17%)": what became of the targets, which the provider counts
// (of the resolved ones) leave out.
func targetsLine(s scanner.Summary) string {
	line := fmt.Sprintf("%d listed: %d resolved%s", s.Targets, s.Scanned, pctOf(s.Scanned, s.Targets))
	if s.Failed > 0 {
		line += fmt.Sprintf(", %d failed (%s: %s)", s.Failed, pct(s.Failed, s.Targets), failedStatuses(s))
	}
	if s.Invalid > 0 {
		line += fmt.Sprintf(", %d invalid%s", s.Invalid, pctOf(s.Invalid, s.Targets))
	}
	return line
}

// failedStatuses is "2 timeout, 1 nxdomain": the failed targets by status,
// most common first.
func failedStatuses(s scanner.Summary) string {
	var c []scanner.Count
	for st, n := range s.Statuses {
		if st != scanner.StatusOK && st != scanner.StatusInvalid && n > 0 {
			c = append(c, scanner.Count{ID: string(st), Count: n})
		}
	}
	slices.SortFunc(c, func(a, b scanner.Count) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.ID, b.ID)
	})
	parts := make([]string, len(c))
	for i, x := range c {
		parts[i] = strconv.Itoa(x.Count) + " " + x.ID
	}
	return strings.Join(parts, ", ")
}

// pct is n as a share of total, "23%"; never "0%" or "100%" for a share
// that is neither.
func pct(n, total int) string {
	if total <= 0 {
		return "-"
	}
	p := float64(n) * 100 / float64(total)
	switch {
	case n > 0 && p < 1:
		return "<1%"
	case n < total && p > 99:
		return ">99%"
	}
	return strconv.FormatFloat(p, 'f', 0, 64) + "%"
}

// pctOf is " (23%)", or "" when there is no total.
func pctOf(n, total int) string {
	if total <= 0 {
		return ""
	}
	return " (" + pct(n, total) + ")"
}

// findingShare is "2 of 4 (50%)": how many resolved targets have a finding.
func findingShare(c scanner.FindingCount, s scanner.Summary) string {
	return fmt.Sprintf("%d of %d%s", c.Targets, s.Scanned, pctOf(c.Targets, s.Scanned))
}

// matchLines tell what a --provider filter found, out of the whole scan:
// the MX layer (what an inspection of MX records sees) apart from the
// mailbox layer behind it, and possible (low-confidence) answers apart
// from both. None without a filter.
func matchLines(s scanner.Summary) []string {
	m := s.Match
	if m == nil {
		return nil
	}
	n := m.MX + m.Mailbox
	head := fmt.Sprintf("%s: %d of %d resolved targets (%d listed)", strings.Join(m.Providers, ", "), n, s.Scanned, s.Targets)
	possible := "low confidence only; not listed (--possible lists them)"
	if m.PossibleListed {
		possible = "low confidence only; listed with MATCH possible"
		head = fmt.Sprintf("%s: %d of %d resolved targets (%d listed), and %d possible", strings.Join(m.Providers, ", "), n, s.Scanned, s.Targets, m.Possible)
	}
	w := len(strconv.Itoa(max(m.MX, m.Mailbox, m.Possible)))
	return []string{
		head,
		fmt.Sprintf("mx        %*d  an MX host is the provider's (what an inspection of MX records sees)", w, m.MX),
		fmt.Sprintf("mailbox   %*d  not in the MX; the mailbox host behind it, medium or high confidence", w, m.Mailbox),
		fmt.Sprintf("possible  %*d  %s", w, m.Possible, possible),
	}
}

// tenantLine is "microsoft tenant contoso-com: a.example, b.example".
func tenantLine(g scanner.TenantGroup) string {
	return g.Provider + " tenant " + g.Tenant + ": " + strings.Join(g.Domains, ", ")
}

// partialNote is what a text report says when the scan was interrupted.
func partialNote(s scanner.Summary) string {
	return fmt.Sprintf("PARTIAL: the scan was interrupted after %d targets; this report leaves out the targets it did not reach.", s.Targets)
}

// worstFirst is a copy of fs, the most severe first, in their order within
// a severity.
func worstFirst(fs []scanner.Finding) []scanner.Finding {
	fs = slices.Clone(fs)
	slices.SortStableFunc(fs, func(a, b scanner.Finding) int { return b.Severity.Rank() - a.Severity.Rank() })
	return fs
}

// upperFirst is s with its first letter in upper case, for a note that
// starts a sentence.
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
