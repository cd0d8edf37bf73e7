package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mxscope/mxscope/providers"
	"github.com/mxscope/mxscope/scanner/evidence"
	"github.com/mxscope/mxscope/scanner/merge"
	"github.com/mxscope/mxscope/scanner/report"
)

type mergeOptions struct {
	Files          []string // reports, evidence files, or directories of them
	EvidenceOutput string
	viewOptions
}

func newMergeCmd(io *streams, runF func(context.Context, *mergeOptions) error) *cobra.Command {
	o := &mergeOptions{}
	c := &cobra.Command{
		Use:   "merge FILE|DIR...",
		Short: "Merge the shards of one scan (scan --shard K/N) into one report",
		Long: `Merge the jsonl reports of 'mxscope scan --shard K/N', K from 0 to N-1, into
one report of the whole targets list, in its input order, with one meta line
and one summary. The files must be the N shards of one scan of one targets
file, each finished: merge refuses otherwise, naming what is missing, doubled
or different. The shards' evidence files (scan --evidence) are merged the
same way into --evidence-output. A directory stands for the *.jsonl files in
it; reports and evidence files are told apart by their first line.`,
		Example: `  mxscope merge shards/ -f jsonl -o report.jsonl
  mxscope merge shard-*.jsonl evidence-*.jsonl -o report.jsonl --evidence-output evidence.jsonl
  mxscope merge shards/ --provider microsoft`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			o.Files = args
			if runF != nil {
				return runF(c.Context(), o)
			}
			return runMerge(c.Context(), io, o)
		},
	}
	f := c.Flags()
	o.viewOptions.flags(c, "merged report")
	f.StringVar(&o.EvidenceOutput, "evidence-output", "", "write the merged evidence of the shards' evidence files to FILE")
	return c
}

// mergeInputs expands directories to their *.jsonl files and sorts the
// files into reports and evidence files by their first line.
func mergeInputs(args []string) (reports, evidences []string, err error) {
	var files []string
	for _, a := range args {
		fi, err := os.Stat(a)
		if err != nil {
			return nil, nil, userError(exitError, "", "%s", err)
		}
		if !fi.IsDir() {
			files = append(files, a)
			continue
		}
		m, err := filepath.Glob(filepath.Join(a, "*.jsonl"))
		if err != nil {
			return nil, nil, userError(exitError, "", "%s", err)
		}
		if len(m) == 0 {
			return nil, nil, userError(exitError, "merge takes the reports written by mxscope scan --shard K/N -f jsonl -o FILE.jsonl", "%s holds no .jsonl files", a)
		}
		slices.Sort(m)
		files = append(files, m...)
	}
	for _, f := range files {
		kind, err := fileKind(f)
		if err != nil {
			return nil, nil, err
		}
		if kind == "evidence" {
			evidences = append(evidences, f)
		} else {
			reports = append(reports, f)
		}
	}
	return reports, evidences, nil
}

// fileKind reads a file's first line: an evidence meta line names its
// format; a report's meta line does not.
func fileKind(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", userError(exitError, "", "%s", err)
	}
	defer f.Close()
	line, err := bufio.NewReaderSize(f, 64<<10).ReadSlice('\n')
	if err != nil && len(line) == 0 {
		return "", userError(exitError, "merge takes jsonl reports and evidence files", "%s is empty or unreadable: %s", path, err)
	}
	var head struct {
		Type   string `json:"type"`
		Format string `json:"format"`
	}
	if json.Unmarshal(line, &head) != nil || head.Type != "meta" {
		return "", userError(exitError, "merge takes the jsonl reports of mxscope scan --shard K/N -f jsonl (json reports are one document, and cannot be merged)",
			"%s does not start with an mxscope meta line", report.Clean(path))
	}
	if head.Format == evidence.Format {
		return "evidence", nil
	}
	return "report", nil
}

func runMerge(ctx context.Context, io *streams, o *mergeOptions) error {
	var err error
	if o.Format, err = parseFormat(o.Format, report.Formats); err != nil {
		return err
	}
	if o.Possible && len(o.Providers) == 0 {
		return userError(exitUsage, "for example: mxscope merge shards/ --provider microsoft --possible", "--possible needs --provider")
	}
	if err := checkProviderIDs(providers.Default(), o.Providers); err != nil {
		return err
	}
	reports, evidences, err := mergeInputs(o.Files)
	if err != nil {
		return err
	}
	switch {
	case len(evidences) > 0 && o.EvidenceOutput == "":
		return userError(exitUsage, "name the merged evidence file: --evidence-output evidence.jsonl", "%d evidence files given, and no --evidence-output", len(evidences))
	case len(evidences) == 0 && o.EvidenceOutput != "":
		return userError(exitUsage, "give the shards' evidence files (scan --evidence) as well", "--evidence-output without evidence files to merge")
	case len(reports) == 0 && o.Output != "":
		return userError(exitUsage, "give the shards' reports as well", "-o without reports to merge")
	case o.EvidenceOutput != "" && o.Output != "" && filepath.Clean(o.EvidenceOutput) == filepath.Clean(o.Output):
		return userError(exitUsage, "", "the report and the evidence must be different files")
	}
	if len(evidences) > 0 {
		if err := mergeEvidence(ctx, io, evidences, o.EvidenceOutput); err != nil {
			return err
		}
	}
	if len(reports) == 0 {
		return nil
	}
	return mergeReports(ctx, io, reports, o)
}

func mergeReports(ctx context.Context, io *streams, paths []string, o *mergeOptions) error {
	set, err := merge.Open(paths)
	if err != nil {
		return mergeError(err)
	}
	out, err := openNamed(ctx, io, o.Output)
	if err != nil {
		return err
	}
	defer out.Abort()
	terminal := io.OutTTY && o.Output == ""
	w, err := report.New(o.Format, out, o.report(io, terminal, set.Keys, set.Rows <= 10))
	if err != nil {
		return userError(exitUsage, "", "%s", err)
	}
	werr := func(err error) error { return writeError(o.Output, err) }
	if err := w.Begin(set.Meta); err != nil {
		return werr(err)
	}
	sum := o.summarizer()
	for r, err := range set.Results() {
		if err != nil {
			return mergeError(err)
		}
		if ctx.Err() != nil {
			return &cliError{code: exitInterrupted, msg: "interrupted: nothing written"}
		}
		sum.Add(r)
		if !keepForProviders(r, o.Providers, o.Possible) {
			continue
		}
		if err := w.Write(r); err != nil {
			return werr(err)
		}
	}
	if err := w.End(sum.Summary()); err != nil {
		return werr(err)
	}
	if err := out.Commit(); err != nil {
		return werr(err)
	}
	return nil
}

func mergeEvidence(ctx context.Context, io *streams, paths []string, dest string) error {
	out, err := openNamed(ctx, io, dest)
	if err != nil {
		return err
	}
	defer out.Abort()
	if _, err := merge.Evidence(paths, out); err != nil {
		return mergeError(err)
	}
	if err := out.Commit(); err != nil {
		return userError(exitError, "", "writing the evidence to %s: %s", dest, err)
	}
	return nil
}

// mergeError says why a set could not be merged, and what to do.
func mergeError(err error) error {
	msg := report.Clean(strings.TrimPrefix(err.Error(), "merge: "))
	if errors.Is(err, merge.ErrNotShards) {
		return userError(exitError, "merge takes the N files of one scan: mxscope scan --shard K/N for each K from 0 to N-1, with the same targets file and flags", "%s", msg)
	}
	return userError(exitError, "", "%s", msg) // a partial shard's message says how to carry it on
}
