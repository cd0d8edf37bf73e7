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
// however many targets there are. The chart counts of the MX, gateway and
// sender layers are the Summary's; the mailbox chart (medium and high
// confidence only) and the DMARC chart count the results as they pass.
type htmlReport struct {
	out     *bufio.Writer
	opt     Options
	meta    scanner.Meta
	rows    spool // rendered table rows
	details spool // rendered per-target sections
	scratch bytes.Buffer
	n       int
	tally   htmlTally
}

// htmlTally counts what the Summary does not: the mailbox layer split by
// confidence, and SPF and DMARC states, over resolved targets. It grows
// with the number of providers, not of rows.
type htmlTally struct {
	mailbox                       map[string]int // mailbox hosts at medium or high confidence
	mailboxLow                    map[string]int // at low confidence
	mailboxUnknown, mailboxNoMail int
	dmarc                         map[string]int // by dmarcCategory
	dmarcTesting                  int            // records that say t=y
	spf                           map[string]int // by SPF status
}

var htmlTemplates = template.Must(template.New("report").Parse(reportTemplates))

var catalogHTMLTemplate = template.Must(template.New("catalog").Parse(catalogTemplate))

func newHTML(w io.Writer, opt Options) *htmlReport {
	return &htmlReport{
		out: bufio.NewWriter(w), opt: opt,
		rows: spool{limit: spoolMemory}, details: spool{limit: spoolMemory},
		tally: htmlTally{mailbox: map[string]int{}, mailboxLow: map[string]int{}, dmarc: map[string]int{}, spf: map[string]int{}},
	}
}

// htmlBegin is the page's head and header: the scan's facts.
type htmlBegin struct {
	Title, Started, Tool, Version, Resolvers, Catalog, Checks string
}

func (h *htmlReport) Begin(m scanner.Meta) error {
	h.meta = m
	v := htmlBegin{
		Title:   "mxscope report: where mail is received (" + m.Started.UTC().Format(time.DateOnly) + ")",
		Started: m.Started.UTC().Format(time.RFC3339), Tool: Clean(m.Tool), Version: Clean(m.Version),
		Resolvers: Clean(or(strings.Join(m.Resolvers, ", "))), Catalog: Clean(or(m.Catalog)), Checks: Clean(or(m.Checks)),
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
	h.count(r)
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
			return htmlTemplates.ExecuteTemplate(w, "table-start", struct{ LabelKeys []string }{keys})
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

// count adds a result to the tally. Like the Summary's layers, it counts
// only targets whose own lookup succeeded.
func (h *htmlReport) count(r *scanner.Result) {
	if r.Status != scanner.StatusOK {
		return
	}
	t := &h.tally
	switch {
	case r.Mailbox == "" || r.Mailbox == scanner.ProviderUnknown:
		t.mailboxUnknown++
	case r.Mailbox == scanner.ProviderNone:
		t.mailboxNoMail++
	case r.Confidence == scanner.ConfidenceHigh || r.Confidence == scanner.ConfidenceMedium:
		t.mailbox[r.Mailbox]++
	default:
		t.mailboxLow[r.Mailbox]++
	}
	t.dmarc[dmarcCategory(r.DMARC)]++
	if r.DMARC.Status == "ok" && r.DMARC.Testing {
		t.dmarcTesting++
	}
	t.spf[r.SPF.Status]++
}

// DMARC chart categories, in chart order.
const (
	dmarcReject     = "reject"
	dmarcQuarantine = "quarantine"
	dmarcNone       = "none"
	dmarcMissing    = "missing"
	dmarcInvalid    = "invalid"
	dmarcFailed     = "failed"      // the lookup failed: not known
	dmarcOther      = "other"       // a status or policy this writer does not know
	dmarcUnchecked  = "not-checked" // the scan did not look
)

// dmarcCategory is the policy receivers apply (RFC 9989: p, one step
// lower with t=y), or the state of the lookup.
func dmarcCategory(d scanner.DMARC) string {
	switch d.Status {
	case "":
		return dmarcUnchecked
	case "none":
		return dmarcMissing
	case "invalid":
		return dmarcInvalid
	case "temperror":
		return dmarcFailed
	case "ok":
		p := d.AppliedPolicy
		if p == "" {
			p = d.Policy
		}
		switch p {
		case "reject", "quarantine", "none":
			return p
		}
	}
	return dmarcOther
}

// dmarcRank orders the DMARC column, weakest protection first, lookups
// that failed or did not happen last.
func dmarcRank(d scanner.DMARC) int {
	switch dmarcCategory(d) {
	case dmarcMissing:
		return 10
	case dmarcInvalid:
		return 20
	case dmarcNone:
		return 30
	case dmarcQuarantine:
		return 40
	case dmarcReject:
		return 50
	case dmarcFailed:
		return 60
	case dmarcOther:
		return 65
	}
	return 70
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
		v.MX = append(v.MX, htmlMX{m.Preference, Clean(m.Host), Clean(p), Clean(strings.Join(m.Addresses, ", ")), Clean(string(m.Status))})
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
	Targets, HonestMX, HonestSPF, Filter string
	Layers                               []htmlChart
	DMARC                                htmlChart
	Findings                             []htmlFindingSum
	Tenants                              []string
}

func (h *htmlReport) answer(s scanner.Summary) htmlAnswer {
	a := htmlAnswer{
		Targets: Clean(targetsLine(s)), HonestMX: honestMX, HonestSPF: honestSPF,
		Filter: Clean(strings.Join(h.opt.Providers, ", ")),
	}
	t := &h.tally
	apart := notCounted(s)
	of := "of the " + strconv.Itoa(s.Scanned) + " resolved targets"

	mx := h.chart("mx", "Where mail is received", "the provider of the most-preferred MX host, "+of, s.Scanned, s.Provider, apart)
	gw := h.chart("gateway", "Gateway in front", "a security gateway or forwarder that receives the mail first, "+of, s.Scanned, s.Gateway, apart)
	if without := s.Scanned - total(s.Gateway); s.Scanned > 0 {
		gw.Apart = append([]string{fmt.Sprintf("%d of %d have no gateway in front.", without, s.Scanned)}, gw.Apart...)
	}
	mb := h.chart("mailbox", "Mailbox host", "where the mailboxes are, at medium or high confidence, "+of, s.Scanned, counts(t.mailbox), apart)
	var notCharted []string
	if n := total(counts(t.mailboxLow)); n > 0 {
		notCharted = append(notCharted, fmt.Sprintf("%d at low confidence, where only SPF or a verification token points (%s)", n, countList(counts(t.mailboxLow))))
	}
	if t.mailboxUnknown > 0 {
		notCharted = append(notCharted, fmt.Sprintf("%d not known", t.mailboxUnknown))
	}
	if t.mailboxNoMail > 0 {
		notCharted = append(notCharted, fmt.Sprintf("%d taking no mail", t.mailboxNoMail))
	}
	if len(notCharted) > 0 {
		mb.Apart = append([]string{"Not charted: " + Clean(strings.Join(notCharted, "; ")) + "."}, mb.Apart...)
	}
	snd := h.chart("senders", "Authorised senders (SPF)", "providers the SPF record lets send as the domain (a target may name several), "+of, s.Scanned, s.Senders, apart)
	var spf []string
	for _, c := range []struct{ status, words string }{
		{"none", "no SPF record"}, {"permerror", "a broken SPF record (permerror)"},
		{"temperror", "an SPF lookup that failed"}, {"", "SPF not checked"},
	} {
		if n := t.spf[c.status]; n > 0 && s.Scanned > 0 {
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
	t := h.tally
	c := htmlChart{ID: "dmarc", Title: "DMARC policy",
		Sub: "what receivers do with mail that fails authentication (RFC 9989), of the " + strconv.Itoa(s.Scanned) + " resolved targets"}
	if s.Scanned == 0 {
		c.Empty = "No target resolved."
	} else if t.dmarc[dmarcUnchecked] == s.Scanned {
		c.Empty = "DMARC was not checked in this scan."
	} else {
		for _, b := range []struct{ cat, label string }{
			{dmarcReject, "p=reject"}, {dmarcQuarantine, "p=quarantine"}, {dmarcNone, "p=none (monitoring only)"},
			{dmarcMissing, "missing (no record)"}, {dmarcInvalid, "invalid record"},
		} {
			c.Bars = append(c.Bars, bar(b.cat, b.label, t.dmarc[b.cat], s.Scanned, "b-"+b.cat))
		}
		for _, b := range []struct{ cat, label string }{
			{dmarcFailed, "lookup failed"}, {dmarcOther, "other"}, {dmarcUnchecked, "not checked"},
		} {
			if n := t.dmarc[b.cat]; n > 0 || b.cat == dmarcFailed {
				x := bar(b.cat, b.label, n, s.Scanned, "b-failed")
				x.Apart = true
				c.Bars = append(c.Bars, x)
			}
		}
	}
	if t.dmarcTesting > 0 {
		c.Apart = append(c.Apart, fmt.Sprintf("%d %s t=y (testing), and %s counted at the policy receivers apply: t=y lowers reject to quarantine, quarantine to none.",
			t.dmarcTesting, plural(t.dmarcTesting, "record says", "records say"), plural(t.dmarcTesting, "is", "are")))
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

// counts orders a tally like the Summary's layers: most common first.
func counts(m map[string]int) []scanner.Count {
	out := make([]scanner.Count, 0, len(m))
	for id, n := range m {
		out = append(out, scanner.Count{ID: id, Count: n})
	}
	slices.SortFunc(out, func(a, b scanner.Count) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
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
