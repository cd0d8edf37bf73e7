package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/diff"
	"github.com/mxscope/mxscope/scanner/targets"
)

func diffMetaForTest() diff.Meta {
	return diff.Meta{Schema: diff.Schema, Tool: "mxscope", Version: "test",
		Old: diff.Run{File: "october.jsonl", Kind: "report", Started: time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC), Version: "v1", Catalog: "2026-10-01.1", Checks: "mx,spf,dmarc"},
		New: diff.Run{File: "november.evidence.jsonl", Kind: "evidence", Replayed: true, Started: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC), Version: "test", Catalog: "2026-11-21.1", Checks: "mx,spf,dmarc"},
	}
}

// diffChanges covers every kind and field, and DNS data that tries to
// escape: controls, a formula, Markdown and HTML.
func diffChanges() []diff.Change {
	jane := targets.Labels{{Key: "candidate", Value: "Jane Doe"}, {Key: "party", Value: "D"}}
	evil := targets.Labels{{Key: "candidate", Value: "=HYPERLINK(\"x\")"}, {Key: "party", Value: "<b>|R|</b>"}}
	return []diff.Change{
		{Domain: "campaign.example", Labels: jane, Field: diff.FieldMX, Kind: diff.KindChanged, Old: "1 aspmx.l.google.com", New: "0 campaign-example.mail.protection.outlook.com"},
		{Domain: "campaign.example", Labels: jane, Field: diff.FieldProvider, Kind: diff.KindChanged, Old: "google", New: "microsoft"},
		{Domain: "campaign.example", Labels: jane, Field: diff.FieldMailbox, Kind: diff.KindChanged, Old: "google", New: "microsoft", Note: "confidence medium → high"},
		{Domain: "rival.example", Field: diff.FieldDMARC, Kind: diff.KindWeakened, Old: "p=reject", New: "p=none", Note: `record "v=DMARC1; p=reject" → "v=DMARC1; p=none"`},
		{Domain: "rival.example", Field: diff.FieldFinding, Kind: diff.KindAdded, New: "dmarc-not-enforced", Severity: scanner.SeverityMedium, Note: "DMARC policy is p=none: spoofed mail is reported, not stopped"},
		{Domain: "rival.example", Field: diff.FieldSPF, Kind: diff.KindStrengthened, Old: "~all", New: "-all"},
		{Domain: "rival.example", Field: diff.FieldDNSSEC, Kind: diff.KindWeakened, Old: "secure", New: "insecure"},
		{Domain: "rival.example", Field: diff.FieldTLSA, Kind: diff.KindWeakened, Old: "mx1.rival.example: ok (secure)", New: "mx1.rival.example: none (secure)"},
		{Domain: "rival.example", Field: diff.FieldDKIM, Kind: diff.KindWeakened, Old: "google: rsa 2048", New: "google: rsa 1024"},
		{Domain: "rival.example", Field: diff.FieldMTASTSPolicy, Kind: diff.KindStrengthened, Old: "mode testing", New: "mode enforce"},
		{Domain: "rival.example", Field: diff.FieldBIMI, Kind: diff.KindChanged, Old: "ok", New: "none", Note: `record "v=BIMI1; l=https://rival.example/logo.svg" → none`},
		{Domain: "steady.example", Field: diff.FieldDKIM, Kind: diff.KindUncompared, Old: "selector1: rsa 2048", New: "unknown", Note: "the new run could not tell: no key at the selectors asked, and a key may exist under another"},
		{Domain: "party.example", Field: diff.FieldStatus, Kind: diff.KindUncompared, Old: "ok", New: "servfail", Note: "the new run's lookups failed: nothing else was compared"},
		{Domain: "hostile.example", Labels: evil, Field: diff.FieldFinding, Kind: diff.KindResolved, Old: "mx-dangling", Severity: scanner.SeverityHigh, Note: "MX host \x1b[31m=cmd|' /C calc'!A0 does not exist \u202e"},
		{Domain: "new.example", Field: diff.FieldTarget, Kind: diff.KindAdded, New: "new.example"},
		{Input: "-not a domain", Field: diff.FieldTarget, Kind: diff.KindRemoved, Old: "-not a domain"},
	}
}

func diffSummaryForTest() diff.Summary {
	return diff.Summary{Old: 5, New: 5, Compared: 4, Unchanged: 1, Changed: 3, Uncompared: 1, Added: 1, Removed: 1,
		Changes: map[diff.Kind]int{diff.KindChanged: 4, diff.KindWeakened: 4, diff.KindAdded: 2, diff.KindStrengthened: 2, diff.KindUncompared: 2, diff.KindResolved: 1, diff.KindRemoved: 1}, Weakened: 5}
}

func renderDiff(t *testing.T, format string, opt Options, cs []diff.Change) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewDiff(format, &buf, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Begin(diffMetaForTest()); err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if err := w.Write(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.End(diffSummaryForTest()); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestDiffFormatsMatchGoldenFiles(t *testing.T) {
	keys := []string{"candidate", "party"}
	for _, tc := range []struct {
		name, format string
		opt          Options
	}{
		{"diff-table-terminal", "table", Options{Terminal: true, LabelKeys: keys}},
		{"diff-table-piped", "table", Options{LabelKeys: keys}},
		{"diff-json", "json", Options{LabelKeys: keys}},
		{"diff-jsonl", "jsonl", Options{LabelKeys: keys}},
		{"diff-csv", "csv", Options{LabelKeys: []string{"candidate", "party", "note"}}},
		{"diff-markdown", "markdown", Options{LabelKeys: keys}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := renderDiff(t, tc.format, tc.opt, diffChanges())
			golden(t, tc.name, got)
			if strings.ContainsAny(got, "\x1b\u202e") {
				t.Errorf("raw control or bidi characters reached the %s output", tc.format)
			}
			switch tc.format {
			case "json":
				var doc struct {
					Schema  int           `json:"schema"`
					Changes []diff.Change `json:"changes"`
					Summary diff.Summary  `json:"summary"`
				}
				if err := json.Unmarshal([]byte(got), &doc); err != nil || doc.Schema != 1 || len(doc.Changes) != len(diffChanges()) {
					t.Errorf("json does not parse back: %v (%d changes)", err, len(doc.Changes))
				}
			case "csv":
				rows, err := csv.NewReader(strings.NewReader(got)).ReadAll()
				if err != nil || len(rows) != len(diffChanges())+1 {
					t.Fatalf("csv: %v, %d rows", err, len(rows))
				}
				if strings.Join(rows[0], ",") != "domain,candidate,party,label_note,field,change,old,new,severity,note" {
					t.Errorf("csv header %v", rows[0])
				}
				for _, r := range rows[1:] {
					for _, cell := range r {
						if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
							t.Errorf("a csv cell may run as a formula: %q", cell)
						}
					}
				}
			case "markdown":
				if strings.Contains(got, "<b>") {
					t.Errorf("markdown lets a label open an HTML tag")
				}
			}
		})
	}
}

func TestEmptyDiffSaysSo(t *testing.T) {
	got := renderDiff(t, "markdown", Options{}, nil)
	if !strings.Contains(got, "No changes.") {
		t.Errorf("an empty markdown diff does not say there are no changes:\n%s", got)
	}
	if _, err := NewDiff("yaml", &bytes.Buffer{}, Options{}); err == nil {
		t.Error("an unknown format was accepted")
	}
}

func TestNewDiffTakesEveryDiffFormatAndNoOther(t *testing.T) {
	for _, f := range DiffFormats {
		if _, err := NewDiff(f, io.Discard, Options{}); err != nil {
			t.Errorf("NewDiff(%q): %v", f, err)
		}
	}
	_, err := NewDiff("html", io.Discard, Options{})
	_, listed, _ := strings.Cut(fmt.Sprint(err), "want one of:")
	if !errors.Is(err, ErrUnknownFormat) || strings.Contains(listed, "html") || !strings.Contains(listed, "markdown") {
		t.Errorf("NewDiff(html): got %v; want ErrUnknownFormat listing the diff formats", err)
	}
}

// On an 80-column terminal the diff fits: OLD and NEW fold their MX hosts
// onto more lines, NOTE goes first when even that is too wide, and the
// summary wraps at blanks.
func TestDiffTableFitsATerminal(t *testing.T) {
	for _, width := range []int{60, 80, 120} {
		got := renderDiff(t, "table", Options{Terminal: true, Width: width, LabelKeys: []string{"candidate"}}, diffChanges())
		for _, l := range strings.Split(got, "\n") {
			if w := textWidth(l); w > width {
				t.Errorf("width %d: a line of %d columns:\n%s", width, w, l)
			}
		}
	}
	if piped := renderDiff(t, "table", Options{Width: 60}, diffChanges()); piped != renderDiff(t, "table", Options{}, diffChanges()) {
		t.Errorf("a piped diff changed with the width")
	}
}
