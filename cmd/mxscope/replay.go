package main

import (
	"context"
	"fmt"
	"io"
	"iter"
	"os"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/evidence"
	"github.com/mxscope/mxscope/scanner/report"
	"github.com/mxscope/mxscope/scanner/resolve"
	"github.com/mxscope/mxscope/scanner/targets"
)

type replayOptions struct {
	Evidence string
	Catalog  string
	viewOptions
	gateOptions
}

func newReplayCmd(io *streams, runF func(context.Context, *replayOptions) error) *cobra.Command {
	o := &replayOptions{}
	c := &cobra.Command{
		Use:   "replay EVIDENCE",
		Short: "Derive every result again from an evidence file, with no network",
		Long: `Read an evidence file written by 'mxscope scan --evidence' and derive every
result again from the DNS answers it holds, through the same code as a scan,
without asking any resolver. With the same mxscope the rows are those of the
scan; with a newer catalog or newer rules, only the verdicts change. A
question the evidence does not answer fails that lookup; nothing is made up.`,
		Example: `  mxscope replay scan.evidence.jsonl
  mxscope replay scan.evidence.jsonl -f jsonl -o replayed.jsonl
  mxscope replay scan.evidence.jsonl --provider microsoft`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			o.Evidence = args[0]
			o.FindingsSet = c.Flags().Changed("findings")
			if runF != nil {
				return runF(c.Context(), o)
			}
			return runReplay(c.Context(), io, o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.Catalog, "catalog", "", "YAML provider catalog merged over the built-in one")
	o.viewOptions.flags(c, "report")
	o.gateOptions.flags(c)
	return c
}

// replaySource reads an evidence file's targets for the scanner and hands
// it each target's answers as the target starts.
type replaySource struct {
	path  string
	meta  evidence.Meta
	end   *evidence.End
	total int
	keys  []string
	cur   *evidence.Entry // the entry last given to the scanner
}

// openReplay reads the evidence file once: it must be whole and readable
// before any row is written. It counts the targets and collects the label
// keys (the CSV header needs them first).
func openReplay(path string) (*replaySource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, userError(exitError, "", "%s", err)
	}
	defer f.Close()
	r, err := evidence.NewReader(f, path)
	if err != nil {
		return nil, userError(exitError, "mxscope scan --evidence FILE writes an evidence file", "%s", err)
	}
	r.SkipAnswers()
	src := &replaySource{path: path, meta: r.Meta()}
	var labels targets.KeyOrder
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, userError(exitError, "", "%s", err)
		}
		src.total++
		labels.Add(e.Target.Labels)
	}
	src.end, src.keys = r.End(), labels.Keys
	return src, nil
}

// seq streams the targets; a read error (the file changed between the
// passes) is stored in *errp.
func (s *replaySource) seq(errp *error) iter.Seq[targets.Target] {
	return func(yield func(targets.Target) bool) {
		f, err := os.Open(s.path)
		if err != nil {
			*errp = err
			return
		}
		defer f.Close()
		r, err := evidence.NewReader(f, s.path)
		if err != nil {
			*errp = err
			return
		}
		for {
			e, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				*errp = err
				return
			}
			// The scanner asks answers() for this target before it
			// reads the next one (scanner.Options.Answers).
			s.cur = e
			if !yield(e.Target) {
				return
			}
		}
	}
}

// answers is the scanner's Options.Answers: the target that just started
// is the one seq gave last.
func (s *replaySource) answers(r *scanner.Result) resolve.Querier {
	if s.cur == nil || s.cur.Target.Domain != r.Domain {
		return noAnswers{} // cannot happen; fail every lookup rather than guess
	}
	return s.cur.Querier()
}

// noAnswers fails every question: replay never asks the network.
type noAnswers struct{}

func (noAnswers) Query(_ context.Context, name string, qtype uint16) resolve.Answer {
	return (&evidence.Entry{}).Answer(evidence.Question{Name: name, Type: qtype})
}

func runReplay(ctx context.Context, io *streams, o *replayOptions) error {
	var err error
	if o.Format, err = parseFormat(o.Format, report.Formats); err != nil {
		return err
	}
	failOn, err := parseFailOn(o.FailOn)
	if err != nil {
		return err
	}
	if o.Possible && len(o.Providers) == 0 {
		return userError(exitUsage, "for example: mxscope replay scan.evidence.jsonl --provider microsoft --possible", "--possible needs --provider")
	}
	if o.AllowUnchecked && failOn == "" {
		return userError(exitUsage, "--allow-unchecked loosens --fail-on SEVERITY", "--allow-unchecked without --fail-on")
	}
	cat, err := loadCatalog(o.Catalog)
	if err != nil {
		return err
	}
	if err := checkProviderIDs(cat, o.Providers); err != nil {
		return err
	}
	src, err := openReplay(o.Evidence)
	if err != nil {
		return err
	}
	checks, err := scanner.ParseChecks(src.meta.Checks)
	if err != nil {
		return userError(exitError, "use the mxscope that wrote the evidence, or a newer one", "%s: the scan's checks: %s", o.Evidence, err)
	}
	complete := src.end != nil && src.end.Complete
	switch {
	case src.end == nil:
		fmt.Fprintf(io.Err, "mxscope: warning: %s has no end line (it was cut short): replaying the %d targets it holds\n", report.Clean(o.Evidence), src.total)
	case !src.end.Complete:
		fmt.Fprintf(io.Err, "mxscope: warning: the scan that wrote %s was interrupted: it holds %d of %d targets\n", report.Clean(o.Evidence), src.total, src.meta.Targets)
	}

	sc := scanner.New(noAnswers{}, scanner.Options{
		Concurrency: 8 * runtime.GOMAXPROCS(0), Checks: checks, Catalog: cat, Answers: src.answers,
	})
	out, err := openNamed(ctx, io, o.Output)
	if err != nil {
		return err
	}
	defer out.Abort()
	terminal := io.OutTTY && o.Output == ""
	w, err := report.New(o.Format, out, o.report(io, terminal, src.keys, o.findingsWanted(src.total)))
	if err != nil {
		return userError(exitUsage, "", "%s", err)
	}
	werr := func(err error) error { return writeError(o.Output, err) }
	meta := scanner.Meta{
		Schema: scanner.Schema, Tool: "mxscope", Version: toolVersion(),
		Started: src.meta.Started, Resolvers: src.meta.Resolvers, Catalog: cat.Version, Checks: checks.String(),
		TargetsSHA256: src.meta.TargetsSHA256, Shard: src.meta.Shard,
		Replay: &scanner.Replay{Evidence: o.Evidence, Version: src.meta.Version, Catalog: src.meta.Catalog,
			Replayed: now().UTC().Truncate(time.Second), Complete: complete},
	}
	if meta.Resolvers == nil {
		meta.Resolvers = []string{}
	}
	if err := w.Begin(meta); err != nil {
		return werr(err)
	}
	sum := o.summarizer()
	g := gate{failOn: failOn, allowUnchecked: o.AllowUnchecked}
	var readErr error
	n := 0
	// As scan does, row by row.
	scanErr := sc.Scan(ctx, src.seq(&readErr), func(r *scanner.Result) error {
		n++
		g.unchecked(r)
		sum.Add(r)
		if !keepForProviders(r, o.Providers, o.Possible) {
			return nil
		}
		g.add(r)
		return w.Write(r)
	})
	interrupted := scanErr != nil && ctx.Err() != nil
	if scanErr != nil && !interrupted {
		return werr(scanErr)
	}
	if readErr != nil {
		return userError(exitError, "", "reading %s: %s", o.Evidence, readErr)
	}
	if err := w.End(sum.Summary()); err != nil {
		return werr(err)
	}
	if err := out.Commit(); err != nil {
		return werr(err)
	}
	if interrupted {
		fmt.Fprintf(io.Err, "mxscope: interrupted: wrote %d of %d targets\n", n, src.total)
		return &cliError{code: exitInterrupted}
	}
	return g.verdict(io)
}
