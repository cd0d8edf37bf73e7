package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mxscope/mxscope/scanner/diff"
	"github.com/mxscope/mxscope/scanner/report"
)

type diffOptions struct {
	Old, New string
	Format   string
	Output   string
	FailOn   string // weakened | changed
	Catalog  string // applied to an evidence file when it is replayed
	// AllowUnchecked lets comparisons that could not be made pass the
	// gate, as scan's --allow-unchecked lets unchecked targets pass.
	AllowUnchecked bool
}

func newDiffCmd(io *streams, runF func(context.Context, *diffOptions) error) *cobra.Command {
	o := &diffOptions{}
	c := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "List what changed between two scans (reports or evidence files)",
		Long: `Compare two scans, target by target: MX hosts, provider, gateway and mailbox
moved; SPF and DMARC strengthened or weakened; findings added and resolved;
status changes; targets added and removed. OLD and NEW are json or jsonl
reports, or evidence files (replayed first, with this mxscope's rules and
catalog). A lookup that failed in either run is "could-not-compare", never a
removed record.`,
		Example: `  mxscope diff october.jsonl november.jsonl
  mxscope diff october.evidence.jsonl november.evidence.jsonl -f markdown -o changes.md
  mxscope diff last.jsonl now.jsonl --fail-on weakened     # exit 3 when SPF or DMARC weakened`,
		Args: cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			o.Old, o.New = args[0], args[1]
			if runF != nil {
				return runF(c.Context(), o)
			}
			return runDiff(c.Context(), io, o)
		},
	}
	f := c.Flags()
	f.StringVarP(&o.Format, "format", "f", "table", "output format: "+strings.Join(report.DiffFormats, " | "))
	f.StringVarP(&o.Output, "output", "o", "", "write the diff to FILE (atomically) instead of stdout")
	f.StringVar(&o.FailOn, "fail-on", "", "exit 3 when SPF or DMARC weakened or a finding was added (weakened), or on any change (changed)")
	f.StringVar(&o.Catalog, "catalog", "", "YAML provider catalog merged over the built-in one, for evidence files")
	f.BoolVar(&o.AllowUnchecked, "allow-unchecked", false, "with --fail-on, let comparisons that could not be made pass instead of exiting 4")
	_ = c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(report.DiffFormats, cobra.ShellCompDirectiveNoFileComp))
	_ = c.RegisterFlagCompletionFunc("fail-on", cobra.FixedCompletions([]string{"weakened", "changed"}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

// diffSide is one opened input.
type diffSide struct {
	rep *diff.Report
	run diff.Run
	tmp string // a replayed evidence file's report, removed by close
}

func (s *diffSide) close() {
	if s.rep != nil {
		s.rep.Close()
	}
	if s.tmp != "" {
		os.Remove(s.tmp)
	}
}

// openSide opens a report, or replays an evidence file into a temporary
// jsonl report and opens that.
func openSide(ctx context.Context, io *streams, o *diffOptions, path string, index bool) (*diffSide, error) {
	side := &diffSide{}
	rep, err := diff.Open(path, index)
	kind := "report"
	if errors.Is(err, diff.ErrEvidence) {
		kind = "evidence"
		f, terr := os.CreateTemp("", "mxscope-replay-*.jsonl")
		if terr != nil {
			return nil, userError(exitError, "", "%s", terr)
		}
		f.Close()
		side.tmp = f.Name()
		quiet := *io // the replay writes its report to the file; only its warnings show
		quiet.OutTTY = false
		rerr := runReplay(ctx, &quiet, &replayOptions{Evidence: path, Catalog: o.Catalog, viewOptions: viewOptions{Format: "jsonl", Output: side.tmp}})
		if rerr != nil {
			side.close()
			return nil, rerr
		}
		rep, err = diff.Open(side.tmp, index)
	}
	switch {
	case errors.Is(err, diff.ErrNotReport):
		side.close()
		return nil, userError(exitError, "diff reads json or jsonl reports (scan -f json|jsonl) and evidence files (scan --evidence)", "%s", err)
	case err != nil:
		side.close()
		return nil, userError(exitError, "", "%s", err)
	}
	side.rep = rep
	m := rep.Meta
	side.run = diff.Run{File: path, Kind: kind, Started: m.Started, Version: m.Version, Catalog: m.Catalog, Checks: m.Checks, Replayed: m.Replay != nil}
	return side, nil
}

func runDiff(ctx context.Context, io *streams, o *diffOptions) error {
	var err error
	if o.Format, err = parseFormat(o.Format, report.DiffFormats); err != nil {
		return err
	}
	o.FailOn = strings.ToLower(o.FailOn)
	switch o.FailOn {
	case "", "weakened", "changed":
	default:
		return userError(exitUsage, "--fail-on weakened, or --fail-on changed", "unknown --fail-on %q for diff", o.FailOn)
	}
	if o.AllowUnchecked && o.FailOn == "" {
		return userError(exitUsage, "--allow-unchecked loosens --fail-on", "--allow-unchecked without --fail-on")
	}
	if _, err := loadCatalog(o.Catalog); err != nil {
		return err
	}
	old, err := openSide(ctx, io, o, o.Old, true)
	if err != nil {
		return err
	}
	defer old.close()
	nw, err := openSide(ctx, io, o, o.New, false)
	if err != nil {
		return err
	}
	defer nw.close()
	warnUnlike(io.Err, old.run, nw.run)

	keys := slices.Clone(nw.rep.Keys)
	for _, k := range old.rep.Keys {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	out, err := openNamed(ctx, io, o.Output)
	if err != nil {
		return err
	}
	defer out.Abort()
	werr := func(err error) error { return writeError(o.Output, err) }
	w, err := report.NewDiff(o.Format, out, report.Options{Terminal: io.OutTTY && o.Output == "", Width: io.OutWidth, LabelKeys: keys})
	if err != nil {
		return userError(exitUsage, "", "%s", err)
	}
	if err := w.Begin(diff.Meta{Schema: diff.Schema, Tool: "mxscope", Version: toolVersion(), Old: old.run, New: nw.run}); err != nil {
		return werr(err)
	}
	sum, err := diff.Diff(old.rep, nw.rep, w.Write)
	if errors.Is(err, diff.ErrNotReport) {
		return userError(exitError, "", "%s", err)
	}
	if err != nil {
		return werr(err)
	}
	if err := w.End(sum); err != nil {
		return werr(err)
	}
	if err := out.Commit(); err != nil {
		return werr(err)
	}
	changes := 0
	for k, n := range sum.Changes {
		if k != diff.KindUncompared {
			changes += n
		}
	}
	switch {
	case o.FailOn == "weakened" && sum.Weakened > 0:
		return &cliError{code: exitFailOn, msg: fmt.Sprintf("%d weakening changes: SPF or DMARC weaker, or a new finding (--fail-on weakened)", sum.Weakened)}
	case o.FailOn == "changed" && changes > 0:
		return &cliError{code: exitFailOn, msg: fmt.Sprintf("%d changes (--fail-on changed)", changes)}
	case o.FailOn != "" && sum.Changes[diff.KindUncompared] > 0 && o.AllowUnchecked:
		fmt.Fprintf(io.Err, "mxscope: note: %d comparisons could not be made; --allow-unchecked lets them pass\n", sum.Changes[diff.KindUncompared])
	case o.FailOn != "" && sum.Changes[diff.KindUncompared] > 0:
		return &cliError{code: exitUnchecked, msg: fmt.Sprintf("%d comparisons could not be made because a lookup failed; --fail-on fails when something could not be checked", sum.Changes[diff.KindUncompared]),
			hint: "diff again when DNS answers, or pass --allow-unchecked to let them pass"}
	}
	return nil
}

// warnUnlike says when the two runs were not made alike, so that a change
// is not mistaken for a change in DNS.
func warnUnlike(w io.Writer, o, n diff.Run) {
	if o.Checks != n.Checks {
		fmt.Fprintf(w, "mxscope: warning: the runs ran different checks (%s; %s): what only one looked up is not compared\n", report.Clean(o.Checks), report.Clean(n.Checks))
	}
	if o.Catalog != n.Catalog || o.Version != n.Version {
		fmt.Fprintf(w, "mxscope: warning: the runs applied different rules or catalogs (mxscope %s, catalog %s; mxscope %s, catalog %s): a change may come from them rather than from DNS\n",
			report.Clean(o.Version), report.Clean(o.Catalog), report.Clean(n.Version), report.Clean(n.Catalog))
		if o.Kind == "evidence" && n.Kind == "evidence" {
			return
		}
		fmt.Fprintf(w, "hint: keep evidence (scan --evidence) and diff the evidence files, which replays both with one mxscope\n")
	}
}
