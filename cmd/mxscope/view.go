package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/mxscope/mxscope/providers"
	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/report"
)

// viewOptions are how a command that writes results (scan, replay, merge)
// shows them: one set of flags, registered and read in one place.
type viewOptions struct {
	Format    string
	Output    string
	Providers []string
	Possible  bool // with Providers: also list low-confidence mailbox matches
	NoColor   bool // --no-color
}

// flags registers --format, --output (writing the report named what),
// --provider, --possible and --no-color, with their completions.
func (v *viewOptions) flags(c *cobra.Command, what string) {
	f := c.Flags()
	f.StringVarP(&v.Format, "format", "f", "table", "output format: "+strings.Join(report.Formats, " | "))
	f.StringVarP(&v.Output, "output", "o", "", "write the "+what+" to FILE (atomically) instead of stdout")
	f.StringArrayVarP(&v.Providers, "provider", "p", nil, providerHelp)
	f.BoolVar(&v.Possible, "possible", false, "with --provider, also list domains whose mailbox host is the provider with low confidence only (MATCH possible)")
	f.BoolVar(&v.NoColor, "no-color", false, "no colour in the table (NO_COLOR=1 does the same)")
	_ = c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(report.Formats, cobra.ShellCompDirectiveNoFileComp))
	_ = c.RegisterFlagCompletionFunc("provider", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return providers.Default().IDs(), cobra.ShellCompDirectiveNoFileComp
	})
}

// report returns the writer's options: terminal when the report goes to
// a terminal, keys the label keys, findings whether findings are listed.
func (v *viewOptions) report(io *streams, terminal bool, keys []string, findings bool) report.Options {
	return report.Options{
		Terminal:  terminal,
		Providers: v.Providers,
		LabelKeys: keys,
		Width:     io.OutWidth,
		Color:     terminal && io.colorEnabled(v.NoColor),
		Findings:  findings,
	}
}

// summarizer counts every row, and with --provider says how many match.
func (v *viewOptions) summarizer() *scanner.Summarizer {
	sum := scanner.NewSummarizer()
	if len(v.Providers) > 0 {
		sum.Filter(v.Providers, v.Possible)
	}
	return sum
}

// gateOptions are --fail-on and the findings list, for scan and replay.
type gateOptions struct {
	FailOn         string
	AllowUnchecked bool // --allow-unchecked
	Findings       bool // --findings; see findingsWanted
	FindingsSet    bool // --findings was given, true or false
}

func (g *gateOptions) flags(c *cobra.Command) {
	f := c.Flags()
	f.StringVar(&g.FailOn, "fail-on", "", "exit 3 when a finding of this severity or worse is present, 4 when a target could not be checked: high | medium | low | info")
	f.BoolVar(&g.AllowUnchecked, "allow-unchecked", false, "with --fail-on, let targets that could not be checked (nxdomain, timeout, invalid, ...) pass instead of exiting 4")
	f.BoolVar(&g.Findings, "findings", false, "list every finding with its fix under the table (default: on for ten targets or fewer)")
	_ = c.RegisterFlagCompletionFunc("fail-on", cobra.FixedCompletions([]string{"high", "medium", "low", "info"}, cobra.ShellCompDirectiveNoFileComp))
}

// findingsWanted says whether the table lists findings with their fixes:
// as --findings says, or, without it, for ten targets or fewer, where a
// reader wants to know which findings fired.
func (g *gateOptions) findingsWanted(total int) bool {
	if g.FindingsSet {
		return g.Findings
	}
	return total <= 10
}
