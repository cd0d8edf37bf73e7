package report

import (
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/mxscope/mxscope/providers"
	"github.com/mxscope/mxscope/scanner"
)

// csvFixed are the columns after the label columns, in order. New columns
// go at the end, so scripts that read by position keep working.
var csvFixed = []string{
	"status", "mail", "provider", "gateway", "mailbox", "confidence", "mx_hosts", "senders",
	"spf_status", "spf_all", "spf_lookups", "dmarc_status", "dmarc_policy", "dmarc_pct",
	"findings", "error", "tenant", "reseller", "mailbox_evidence",
	"dmarc_applied_policy", "dmarc_testing", "match", "dnssec", "mx_tlsa",
	"dkim_status", "dkim_selectors", "mta_sts_policy", "mta_sts_mode", "bimi_status", "parked",
}

// csvReport writes one row per result, flushed as written. Lists are joined
// with ";"; every cell goes through CSVCell.
type csvReport struct {
	w   *csv.Writer
	opt Options
}

func newCSV(w io.Writer, opt Options) *csvReport { return &csvReport{w: csv.NewWriter(w), opt: opt} }

// csvLabelColumns names the label columns: the key, prefixed with "label_"
// (as often as needed) when it would collide with another column.
func csvLabelColumns(keys []string) []string { return labelColumns(keys, csvFixed) }

// labelColumns names the label columns of a CSV whose other columns are
// domain and fixed.
func labelColumns(keys, fixed []string) []string {
	used := map[string]bool{"domain": true}
	for _, c := range fixed {
		used[c] = true
	}
	out := make([]string, len(keys))
	for i, k := range keys {
		for used[k] {
			k = "label_" + k
		}
		used[k] = true
		out[i] = k
	}
	return out
}

func (c *csvReport) Begin(scanner.Meta) error {
	h := append(append([]string{"domain"}, csvLabelColumns(c.opt.LabelKeys)...), csvFixed...)
	return c.row(h)
}

func (c *csvReport) Write(r *scanner.Result) error {
	row := make([]string, 0, 1+len(c.opt.LabelKeys)+len(csvFixed))
	row = append(row, domainOf(r))
	for _, k := range c.opt.LabelKeys {
		row = append(row, r.Labels.String(k))
	}
	hosts := make([]string, len(r.MX))
	tlsa, looked := make([]string, len(r.MX)), false
	for i, m := range r.MX {
		hosts[i] = m.Host
		if m.TLSA != nil {
			tlsa[i], looked = string(m.TLSA.Status), true
		}
	}
	dnssec, mxTLSA := "", ""
	if r.DNSSEC != nil {
		dnssec = string(r.DNSSEC.Status)
	}
	if looked {
		mxTLSA = strings.Join(tlsa, ";")
	}
	ids := make([]string, len(r.Findings))
	for i, f := range r.Findings {
		ids[i] = f.ID
	}
	lookups, pct := "", ""
	if r.SPF.Status != "" {
		lookups = strconv.Itoa(r.SPF.Lookups)
	}
	if r.DMARC.Pct != nil {
		pct = strconv.Itoa(*r.DMARC.Pct)
	}
	row = append(row,
		string(r.Status), string(r.Mail), r.Provider, r.Gateway, r.Mailbox, string(r.Confidence),
		strings.Join(hosts, ";"), strings.Join(r.Senders, ";"),
		r.SPF.Status, r.SPF.All, lookups, r.DMARC.Status, r.DMARC.Policy, pct,
		strings.Join(ids, ";"), r.Error, r.Tenant, r.Reseller, strings.Join(r.MailboxEvidence, ";"),
		r.DMARC.AppliedPolicy, yes(r.DMARC.Testing),
		matchCell(r, c.opt, ";"),
		dnssec, mxTLSA,
	)
	dkimStatus, bimiStatus, stsPolicy, stsMode, parked := "", "", "", "", ""
	var keys []string // selectors with a usable key
	if d := r.DKIM; d != nil {
		dkimStatus = d.Status
		for _, k := range d.Selectors {
			if k.Status == "ok" {
				keys = append(keys, k.Selector)
			}
		}
	}
	if b := r.BIMI; b != nil {
		bimiStatus = b.Status
	}
	if p := r.MTASTS.Policy; p != nil {
		stsPolicy, stsMode = p.Status, p.Mode
	}
	if r.Parked {
		parked = "true"
	}
	row = append(row, dkimStatus, strings.Join(keys, ";"), stsPolicy, stsMode, bimiStatus, parked)
	return c.row(row)
}

func (c *csvReport) End(scanner.Summary) error {
	c.w.Flush()
	return c.w.Error()
}

// yes is "y" for true and "" for false, as a DMARC record writes t=y.
func yes(b bool) string {
	if b {
		return "y"
	}
	return ""
}

// row writes cells through CSVCell and flushes.
func (c *csvReport) row(cells []string) error {
	for i, s := range cells {
		cells[i] = CSVCell(s)
	}
	if err := c.w.Write(cells); err != nil {
		return err
	}
	c.w.Flush()
	return c.w.Error()
}

func catalogCSV(w io.Writer, cat *providers.Catalog) error {
	c := newCSV(w, Options{})
	if err := c.row(slices.Clone(catalogHeader)); err != nil {
		return err
	}
	for _, p := range cat.List() {
		if err := c.row(catalogRow(p, ";")); err != nil {
			return err
		}
	}
	return nil
}
