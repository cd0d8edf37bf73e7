package report

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mxscope/mxscope/providers"
	"github.com/mxscope/mxscope/scanner"
)

// htmlReport writes one self-contained page a newsroom can publish: the
// answer first (a bar chart of providers per layer and one of DMARC
// policies, as inline SVG with the counts in text beside every bar), then
// one table row per target in input order, sortable and filterable by a
// small inline script and readable without it, then every target's MX
// records, mailbox evidence and findings with their fixes in <details>.
//
// The page loads nothing: styles, script and charts are inline and its
// Content-Security-Policy forbids every request. Every value from DNS or the
// targets file goes through Clean and then html/template, which escapes it
// for where it lands, so no value can open a tag, an attribute or a script.
//
// The charts come first but need the Summary, which exists only at End, so
// rows and details are rendered as they come and kept until End in spools
// that move to a temporary file past a few megabytes: memory stays bounded
// however many targets there are. Every count on the page is the
// Summary's, so that the charts tell the whole scan even when --provider
// lists only some of its targets.
type htmlReport struct {
	out     *bufio.Writer
	opt     Options
	meta    scanner.Meta
	rows    spool // rendered table rows
	details spool // rendered per-target sections
	scratch bytes.Buffer
	n       int
}

var htmlTemplates = template.Must(template.New("report").Parse(reportTemplates))

var catalogHTMLTemplate = template.Must(template.New("catalog").Parse(catalogTemplate))

func newHTML(w io.Writer, opt Options) *htmlReport {
	return &htmlReport{
		out: bufio.NewWriter(w), opt: opt,
		rows: spool{limit: spoolMemory}, details: spool{limit: spoolMemory},
	}
}

// htmlBegin is the page's head and header: the scan's facts.
type htmlBegin struct {
	Title, Started, Tool, Version, Resolvers, Catalog, Checks string
	Replay                                                    string // where replayed results come from
}

func (h *htmlReport) Begin(m scanner.Meta) error {
	h.meta = m
	v := htmlBegin{
		Title:   "mxscope report: where mail is received (" + m.Started.UTC().Format(time.DateOnly) + ")",
		Started: m.Started.UTC().Format(time.RFC3339), Tool: Clean(m.Tool), Version: Clean(m.Version),
		Resolvers: Clean(or(strings.Join(m.Resolvers, ", "))), Catalog: Clean(or(m.Catalog)), Checks: Clean(or(m.Checks)),
	}
	if rp := m.Replay; rp != nil {
		v.Replay = Clean(fmt.Sprintf("Replayed %s from the DNS answers in %s (scanned by mxscope %s with catalog %s)",
			rp.Replayed.UTC().Format(time.RFC3339), rp.Evidence, rp.Version, or(rp.Catalog)))
	}
	if err := htmlTemplates.ExecuteTemplate(h.out, "head", v); err != nil {
		return err
	}
	if err := htmlTemplates.ExecuteTemplate(h.out, "begin", v); err != nil {
		return err
	}
	return h.out.Flush()
}

func (h *htmlReport) Write(r *scanner.Result) error {
	h.n++
	v := h.view(r)
	for _, part := range []struct {
		name string
		to   *spool
	}{{"row", &h.rows}, {"target", &h.details}} {
		h.scratch.Reset()
		if err := htmlTemplates.ExecuteTemplate(&h.scratch, part.name, v); err != nil {
			return err
		}
		if _, err := part.to.Write(h.scratch.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

func (h *htmlReport) End(s scanner.Summary) error {
	defer h.rows.Close()
	defer h.details.Close()
	w := h.out
	steps := []func() error{
		func() error { return htmlTemplates.ExecuteTemplate(w, "answer", h.answer(s)) },
		func() error {
			keys := make([]string, len(h.opt.LabelKeys))
			for i, k := range h.opt.LabelKeys {
				keys[i] = Clean(k)
			}
			return htmlTemplates.ExecuteTemplate(w, "table-start", struct {
				LabelKeys []string
				ShowMatch bool
			}{keys, len(h.opt.Providers) > 0})
		},
		func() error { _, err := h.rows.WriteTo(w); return err },
		func() error { return htmlTemplates.ExecuteTemplate(w, "table-end", struct{ Rows int }{h.n}) },
		func() error { _, err := h.details.WriteTo(w); return err },
		func() error {
			return htmlTemplates.ExecuteTemplate(w, "end", struct{ HonestMX, HonestSPF, Tool, Version string }{
				honestMX, honestSPF, Clean(h.meta.Tool), Clean(h.meta.Version)})
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return w.Flush()
}

// The DMARC chart's bars: Summary.DMARC's ids, in chart order, and their
// labels. A failed lookup is set apart: it is not a policy.
var dmarcBars = []struct{ id, label string }{
	{"reject", "p=reject"}, {"quarantine", "p=quarantine"}, {"none", "p=none (monitoring only)"},
	{"missing", "missing (no record)"}, {"multiple", "several records (all discarded)"}, {"invalid", "invalid record"},
}

const dmarcFailed = "temperror"

// dmarcRank orders the DMARC column, weakest protection first (what
// receivers apply: RFC 9989 lowers p= one step with t=y), failed lookups
// and those that did not happen last.
func dmarcRank(d scanner.DMARC) int {
	p := d.AppliedPolicy
	if p == "" {
		p = d.Policy
	}
	switch {
	case d.Status == "none":
		return 10
	case d.Status == "invalid":
		return 20
	case d.Status == "ok" && p == "none":
		return 30
	case d.Status == "ok" && p == "quarantine":
		return 40
	case d.Status == "ok" && p == "reject":
		return 50
	case d.Status == "temperror":
		return 60
	case d.Status == "":
		return 70
	}
	return 65
}

// htmlClass maps a severity to a fixed class name, so that no value from a
// result ever becomes one.
func htmlClass(s scanner.Severity) string {
	switch s {
	case scanner.SeverityHigh, scanner.SeverityMedium, scanner.SeverityLow, scanner.SeverityInfo:
		return string(s)
	}
	return "other"
}

func statusClass(s scanner.Status) string {
	switch s {
	case scanner.StatusOK:
		return "ok"
	case scanner.StatusInvalid:
		return "invalid"
	}
	return "failed"
}

// mailWords says in words how a domain receives mail.
var mailWords = map[scanner.Mail]string{
	scanner.MailMX:       "MX records",
	scanner.MailImplicit: "no MX records: mail goes to the domain's own address (implicit MX, RFC 5321 §5.1)",
	scanner.MailNullMX:   "null MX: the domain accepts no mail (RFC 7505)",
	scanner.MailNone:     "no MX records and no address: the domain takes no mail",
	scanner.MailUnknown:  "not known: the lookup failed",
}

type htmlLabel struct{ Key, Value string }

type htmlSeverity struct {
	Class, Name string
	Count       int
}

type htmlMX struct {
	Preference                        uint16
	Host, Provider, Addresses, Status string
}

type htmlRecord struct {
	Name, Status, Detail, Record, Error string
	Notes                               []string // what receivers ignore or discard in the record
}

type htmlFinding struct{ Class, Severity, ID, Message, Fix string }

// htmlRow is one target as the row and target templates show it; every
// string in it has been through Clean.
type htmlRow struct {
	N, Worst                                int
	Domain, Unicode, Input                  string
	Labels, AllLabels                       []htmlLabel
	Status, StatusClass, Error, Mail        string
	Provider, Gateway, Mailbox, Confidence  string
	ConfidenceRank, DMARCRank, FindingsRank int
	SPF, DMARC, Summary                     string
	ShowMatch                               bool   // --provider is in effect: the table has a Match column
	Match                                   string // which providers matched, in which layer
	Severities                              []htmlSeverity
	Tenant, Reseller, Senders               string
	MX                                      []htmlMX
	Evidence                                []string
	Records                                 []htmlRecord
	Findings                                []htmlFinding
}

func (h *htmlReport) view(r *scanner.Result) htmlRow {
	v := htmlRow{
		N: h.n, Worst: r.Worst().Rank(),
		Domain: Clean(r.Domain), Unicode: Clean(r.Unicode), Input: Clean(r.Input),
		Status: Clean(string(r.Status)), StatusClass: statusClass(r.Status), Error: Clean(r.Error),
		Provider: Clean(r.Provider), Gateway: Clean(r.Gateway), Mailbox: Clean(r.Mailbox), Confidence: Clean(string(r.Confidence)),
		SPF: Clean(spfCell(r.SPF)), DMARC: Clean(dmarcCell(r.DMARC)), DMARCRank: dmarcRank(r.DMARC),
		Tenant: Clean(r.Tenant), Reseller: Clean(r.Reseller), Senders: Clean(strings.Join(r.Senders, ", ")),
		ShowMatch: len(h.opt.Providers) > 0, Match: Clean(matchCell(r, h.opt, ", ")),
	}
	if v.Domain == "" {
		v.Domain = v.Input
	}
	switch r.Confidence {
	case scanner.ConfidenceHigh:
		v.ConfidenceRank = 3
	case scanner.ConfidenceMedium:
		v.ConfidenceRank = 2
	case scanner.ConfidenceLow:
		v.ConfidenceRank = 1
	}
	v.Mail = mailWords[r.Mail]
	if v.Mail == "" {
		v.Mail = Clean(or(string(r.Mail)))
	}
	for _, k := range h.opt.LabelKeys {
		v.Labels = append(v.Labels, htmlLabel{Clean(k), Clean(r.Labels.String(k))})
	}
	for _, l := range r.Labels {
		v.AllLabels = append(v.AllLabels, htmlLabel{Clean(l.Key), Clean(r.Labels.String(l.Key))})
	}

	n := map[scanner.Severity]int{}
	for _, f := range r.Findings {
		n[f.Severity]++
	}
	for _, s := range severities {
		if n[s] > 0 {
			v.Severities = append(v.Severities, htmlSeverity{htmlClass(s), string(s), n[s]})
		}
	}
	var other []htmlSeverity
	for s, k := range n {
		if s.Rank() == 0 {
			other = append(other, htmlSeverity{"other", Clean(string(s)), k})
		}
	}
	slices.SortFunc(other, func(a, b htmlSeverity) int { return cmp.Compare(a.Name, b.Name) })
	v.Severities = append(v.Severities, other...)
	v.FindingsRank = v.Worst*100000 + min(len(r.Findings), 99999)

	summary := []string{}
	if r.Status != scanner.StatusOK {
		summary = append(summary, string(r.Status))
	} else {
		summary = append(summary, receivedBy(r))
		if r.DMARC.Status != "" {
			summary = append(summary, "DMARC "+dmarcCell(r.DMARC))
		}
	}
	if f := findingsCell(r); f != "-" {
		summary = append(summary, f)
	}
	v.Summary = Clean(strings.Join(summary, " · "))

	for _, m := range r.MX {
		p := m.Provider
		if m.Product != "" && m.Product != m.Provider {
			p += " (" + m.Product + ")"
		}
		if m.Appliance != "" {
			p += "; an appliance of " + m.Appliance + " run by its owner"
		}
		host := m.Host
		if m.Canonical != "" {
			host += " (an alias of " + m.Canonical + ")"
		}
		v.MX = append(v.MX, htmlMX{m.Preference, Clean(host), Clean(p), Clean(strings.Join(m.Addresses, ", ")), Clean(string(m.Status))})
	}
	for _, e := range r.MailboxEvidence {
		v.Evidence = append(v.Evidence, Clean(e))
	}
	v.Records = records(r)

	fs := slices.Clone(r.Findings)
	slices.SortStableFunc(fs, func(a, b scanner.Finding) int { return b.Severity.Rank() - a.Severity.Rank() })
	for _, f := range fs {
		v.Findings = append(v.Findings, htmlFinding{htmlClass(f.Severity), Clean(or(string(f.Severity))), Clean(or(f.ID)), Clean(f.Message), Clean(f.Fix)})
	}
	return v
}

// records describes the SPF, DMARC, MTA-STS and TLS-RPT records of a target.
func records(r *scanner.Result) []htmlRecord {
	checked := func(s string) string {
		switch s {
		case "":
			return "not checked"
		case "none":
			return "none (no record)"
		}
		return s
	}
	spf := htmlRecord{Name: "SPF", Status: Clean(checked(r.SPF.Status)), Record: Clean(r.SPF.Record), Error: Clean(r.SPF.Error)}
	if r.SPF.Status != "" && r.SPF.Status != "none" {
		var d []string
		if t, ok := allTerm[r.SPF.All]; ok {
			d = append(d, "ends in "+t)
		}
		d = append(d, fmt.Sprintf("DNS lookups: %d (10 at most), void: %d (2 at most)", r.SPF.Lookups, r.SPF.VoidLookups))
		if len(r.SPF.Includes) > 0 {
			d = append(d, "includes "+strings.Join(r.SPF.Includes, ", "))
		}
		spf.Detail = Clean(strings.Join(d, "; "))
	}
	dm := htmlRecord{Name: "DMARC", Status: Clean(checked(r.DMARC.Status)), Record: Clean(r.DMARC.Record), Error: Clean(r.DMARC.Error)}
	var d []string
	if r.DMARC.Policy != "" {
		d = append(d, "p="+r.DMARC.Policy)
	}
	if r.DMARC.Testing {
		d = append(d, "t=y (testing)")
	}
	if a := r.DMARC.AppliedPolicy; a != "" && a != r.DMARC.Policy {
		d = append(d, "receivers apply "+a)
	}
	if r.DMARC.SubdomainPolicy != "" {
		d = append(d, "sp="+r.DMARC.SubdomainPolicy)
	}
	if r.DMARC.NonexistentPolicy != "" {
		d = append(d, "np="+r.DMARC.NonexistentPolicy)
	}
	if r.DMARC.Pct != nil {
		d = append(d, "pct="+strconv.Itoa(*r.DMARC.Pct))
	}
	if r.DMARC.PSDPolicy {
		d = append(d, "a public suffix's policy (psd=y)")
	}
	if r.DMARC.Source != "" {
		src := "from " + r.DMARC.Source
		if r.DMARC.Inherited {
			src += " (inherited from the organizational domain)"
		}
		d = append(d, src)
	}
	if len(r.DMARC.RUA) > 0 {
		d = append(d, "aggregate reports to "+strings.Join(r.DMARC.RUA, ", "))
	}
	if len(r.DMARC.RUF) > 0 {
		d = append(d, "failure reports to "+strings.Join(r.DMARC.RUF, ", "))
	}
	if len(r.DMARC.MultipleRecords) > 0 {
		d = append(d, "several records, discarded, at "+strings.Join(r.DMARC.MultipleRecords, ", "))
	}
	dm.Detail = Clean(strings.Join(d, "; "))
	for _, w := range r.DMARC.Warnings {
		dm.Notes = append(dm.Notes, Clean(w))
	}
	return []htmlRecord{
		spf, dm,
		{Name: "MTA-STS", Status: Clean(checked(r.MTASTS.Status)), Record: Clean(r.MTASTS.Record), Error: Clean(r.MTASTS.Error)},
		{Name: "TLS-RPT", Status: Clean(checked(r.TLSRPT.Status)), Record: Clean(r.TLSRPT.Record), Error: Clean(r.TLSRPT.Error)},
	}
}

// htmlBar is one bar of a chart: a label, "Count of Of", and the bar.
type htmlBar struct {
	ID, Label  string
	Count, Of  int
	Width, Pct string
	Class      string
	Apart      bool // set apart below the others (a failed lookup is not a policy)
}

type htmlChart struct {
	ID, Title, Sub, Empty string
	Bars                  []htmlBar
	Apart                 []string
}

type htmlFindingSum struct{ Class, Severity, ID, Title, Share string }

type htmlAnswer struct {
	Targets, HonestMX, HonestSPF string
	Partial                      string // the scan was interrupted: what the page leaves out
	Filter                       *htmlFilter
	Layers                       []htmlChart
	DMARC                        htmlChart
	Findings                     []htmlFindingSum
	Tenants                      []string
}

func (h *htmlReport) answer(s scanner.Summary) htmlAnswer {
	a := htmlAnswer{
		Targets: Clean(targetsLine(s)), HonestMX: honestMX, HonestSPF: honestSPF,
		Filter: filterNote(s, h.opt),
	}
	if s.Partial {
		a.Partial = Clean(partialNote(s))
	}
	apart := notCounted(s)
	of := "of the " + strconv.Itoa(s.Scanned) + " resolved targets"

	mx := h.chart("mx", "Where mail is received", "the provider of the most-preferred MX host, "+of, s.Scanned, s.Provider, apart)
	gw := h.chart("gateway", "Gateway in front", "a security gateway or forwarder that receives the mail first, "+of, s.Scanned, s.Gateway, apart)
	if without := s.Scanned - total(s.Gateway); s.Scanned > 0 {
		gw.Apart = append([]string{fmt.Sprintf("%d of %d have no gateway in front.", without, s.Scanned)}, gw.Apart...)
	}
	mb := h.chart("mailbox", "Mailbox host", "where the mailboxes are, at medium or high confidence, "+of, s.Scanned, s.MailboxConfident, apart)
	var notCharted []string
	if low := lowConfidence(s); len(low) > 0 {
		notCharted = append(notCharted, fmt.Sprintf("%d at low confidence, a possible answer only (%s)", total(low), countList(low)))
	}
	for _, c := range s.Mailbox {
		switch c.ID {
		case scanner.ProviderUnknown:
			notCharted = append(notCharted, fmt.Sprintf("%d not known", c.Count))
		case scanner.ProviderNone:
			notCharted = append(notCharted, fmt.Sprintf("%d taking no mail", c.Count))
		}
	}
	if len(notCharted) > 0 {
		mb.Apart = append([]string{"Not charted: " + Clean(strings.Join(notCharted, "; ")) + "."}, mb.Apart...)
	}
	snd := h.chart("senders", "Authorised senders (SPF)", "providers the SPF record lets send as the domain (a target may name several), "+of, s.Scanned, s.Senders, apart)
	var spf []string
	for _, c := range []struct{ status, words string }{
		{"none", "no SPF record"}, {"permerror", "a broken SPF record (permerror)"},
		{"temperror", "an SPF lookup that failed"},
	} {
		if n := countOf(s.SPF, c.status); n > 0 {
			spf = append(spf, fmt.Sprintf("%d with %s", n, c.words))
		}
	}
	if len(spf) > 0 {
		snd.Apart = append([]string{Clean(strings.Join(spf, ", ")) + "."}, snd.Apart...)
	}
	a.Layers = []htmlChart{mx, gw, mb, snd}
	a.DMARC = h.dmarcChart(s, apart)

	for _, c := range s.FindingTargets {
		a.Findings = append(a.Findings, htmlFindingSum{htmlClass(c.Severity), Clean(string(c.Severity)), Clean(c.ID),
			Clean(scanner.FindingTitle(c.ID)), Clean(findingShare(c, s))})
	}
	for _, g := range s.SharedTenants {
		a.Tenants = append(a.Tenants, Clean(tenantLine(g)))
	}
	return a
}

// htmlFilter tells what a --provider filter kept: the table lists only
// those targets; the charts count the whole scan.
type htmlFilter struct {
	Providers string
	Lines     []string // what it found, by layer (Summary.Match)
}

func filterNote(s scanner.Summary, opt Options) *htmlFilter {
	if len(opt.Providers) == 0 {
		return nil
	}
	f := &htmlFilter{Providers: Clean(strings.Join(opt.Providers, ", "))}
	if m := s.Match; m != nil {
		possible := "low confidence only, and not listed (--possible lists them)"
		if m.PossibleListed {
			possible = "low confidence only, listed with match possible"
		}
		for _, l := range []string{
			fmt.Sprintf("%d of the %d resolved targets (%d listed)", m.MX+m.Mailbox, s.Scanned, s.Targets),
			fmt.Sprintf("mx: %d, an MX host is the provider's (what an inspection of MX records sees)", m.MX),
			fmt.Sprintf("mailbox: %d, not in the MX; the mailbox host behind it, at medium or high confidence", m.Mailbox),
			fmt.Sprintf("possible: %d, %s", m.Possible, possible),
		} {
			f.Lines = append(f.Lines, Clean(l))
		}
	}
	return f
}

// chart makes a provider chart of counts out of n targets.
func (h *htmlReport) chart(id, title, sub string, n int, cs []scanner.Count, apart string) htmlChart {
	c := htmlChart{ID: id, Title: title, Sub: sub, Empty: "No target resolved."}
	if n > 0 {
		c.Empty = "None."
	}
	for _, x := range cs {
		label := x.ID
		switch x.ID {
		case scanner.ProviderNone:
			label = "none (takes no mail)"
		case scanner.ProviderUnknown:
			label = "unknown"
		}
		c.Bars = append(c.Bars, bar(Clean(x.ID), Clean(label), x.Count, n, "fill"))
	}
	if apart != "" {
		c.Apart = []string{apart}
	}
	return c
}

func (h *htmlReport) dmarcChart(s scanner.Summary, apart string) htmlChart {
	c := htmlChart{ID: "dmarc", Title: "DMARC policy",
		Sub: "what receivers do with mail that fails authentication (RFC 9989), of the " + strconv.Itoa(s.Scanned) + " resolved targets"}
	switch {
	case s.Scanned == 0:
		c.Empty = "No target resolved."
	case total(s.DMARC) == 0:
		c.Empty = "DMARC was not checked in this scan."
	default:
		known := map[string]bool{dmarcFailed: true}
		for _, b := range dmarcBars {
			known[b.id] = true
			c.Bars = append(c.Bars, bar(b.id, b.label, countOf(s.DMARC, b.id), s.Scanned, "b-"+b.id))
		}
		failed := bar(dmarcFailed, "lookup failed", countOf(s.DMARC, dmarcFailed), s.Scanned, "b-failed")
		failed.Apart = true
		c.Bars = append(c.Bars, failed)
		for _, x := range s.DMARC { // a state this page does not know yet
			if !known[x.ID] {
				b := bar(Clean(x.ID), Clean(x.ID), x.Count, s.Scanned, "b-other")
				b.Apart = true
				c.Bars = append(c.Bars, b)
			}
		}
	}
	if n := s.DMARCTesting; n > 0 {
		c.Apart = append(c.Apart, fmt.Sprintf("%d %s t=y (testing), and %s counted at the policy receivers apply: t=y lowers reject to quarantine, quarantine to none.",
			n, plural(n, "record says", "records say"), plural(n, "is", "are")))
	}
	if apart != "" {
		c.Apart = append(c.Apart, apart)
	}
	return c
}

// bar is a bar of count out of n; a bar that is not empty is never drawn
// narrower than a sliver.
func bar(id, label string, count, n int, class string) htmlBar {
	b := htmlBar{ID: id, Label: label, Count: count, Of: n, Width: "0%", Pct: pct(count, n), Class: class}
	if n > 0 {
		w := float64(count) * 100 / float64(n)
		if count > 0 {
			w = max(w, 0.5)
		}
		b.Width = strconv.FormatFloat(min(w, 100), 'f', 1, 64) + "%"
	}
	return b
}

// notCounted says which listed targets the charts leave out: those whose
// own lookup failed and the entries that are not domains. Every chart
// says it, so that a chart shown alone still does.
func notCounted(s scanner.Summary) string {
	var parts []string
	if s.Failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed %s (%s)", s.Failed, plural(s.Failed, "lookup", "lookups"), failedStatuses(s)))
	}
	if s.Invalid > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", s.Invalid, plural(s.Invalid, "entry that is not a domain", "entries that are not domains")))
	}
	if len(parts) == 0 {
		return ""
	}
	return Clean("Not counted: " + strings.Join(parts, ", ") + ".")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// receivedBy says in words where a resolved target's mail is received.
func receivedBy(r *scanner.Result) string {
	if r.Mail == scanner.MailUnknown {
		return "where mail is received is not known: a lookup failed"
	}
	switch r.Provider {
	case scanner.ProviderNone:
		return "takes no mail"
	case scanner.ProviderUnknown, "":
		return "mail received by a host not in the catalog"
	case scanner.ProviderSelfHosted:
		return "mail received by its own server (self-hosted)"
	}
	return "mail received by " + r.Provider
}

// countOf is the count of id in cs, 0 when it is not there.
func countOf(cs []scanner.Count, id string) int {
	for _, c := range cs {
		if c.ID == id {
			return c.Count
		}
	}
	return 0
}

// lowConfidence is the mailbox layer less its medium and high confidence
// answers, and less "unknown" and "none", which have no confidence: the
// possible answers only.
func lowConfidence(s scanner.Summary) []scanner.Count {
	var out []scanner.Count
	for _, c := range s.Mailbox {
		if c.ID == scanner.ProviderUnknown || c.ID == scanner.ProviderNone {
			continue
		}
		if n := c.Count - countOf(s.MailboxConfident, c.ID); n > 0 {
			out = append(out, scanner.Count{ID: c.ID, Count: n})
		}
	}
	slices.SortStableFunc(out, func(a, b scanner.Count) int { return cmp.Compare(b.Count, a.Count) })
	return out
}

func total(cs []scanner.Count) int {
	n := 0
	for _, c := range cs {
		n += c.Count
	}
	return n
}

// countList is "microsoft 2, google 1".
func countList(cs []scanner.Count) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.ID + " " + strconv.Itoa(c.Count)
	}
	return strings.Join(parts, ", ")
}

// catalogHTML writes the provider catalog as one self-contained page.
func catalogHTML(w io.Writer, cat *providers.Catalog) error {
	b := bufio.NewWriter(w)
	v := struct {
		Title  string
		Count  int
		Header []string
		Rows   [][]string
	}{Title: "mxscope provider catalog " + Clean(cat.Version), Count: len(cat.Providers), Header: catalogHeader}
	for _, p := range cat.List() {
		c := catalogRow(p, ", ")
		for i := range c {
			c[i] = Clean(or(c[i]))
		}
		v.Rows = append(v.Rows, c)
	}
	if err := catalogHTMLTemplate.Execute(b, v); err != nil {
		return err
	}
	return b.Flush()
}
