package main

import (
	"fmt"
	"strings"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/report"
)

// gate is --fail-on SEVERITY as a CI check: it fails with exitFailOn when
// a finding at or above the threshold is present, and fails closed, with
// exitUnchecked, when a target could not be checked at all or in part (a
// mistyped domain, a timeout, a DMARC lookup that failed), since a finding
// that could not be looked for is not absent. --allow-unchecked lets such
// targets pass.
type gate struct {
	failOn         scanner.Severity // "" when there is no gate
	allowUnchecked bool

	worst    scanner.Severity
	met      []string // the first findings at or above the threshold, "dmarc-missing on x.example"
	nmet     int
	skipped  []string // the first targets not checked, "gone.example (nxdomain)"
	nskipped int
}

// gateNames is how many findings or targets a gate message names.
const gateNames = 3

// unchecked notes r when it could not be checked.
func (g *gate) unchecked(r *scanner.Result) {
	if g.failOn == "" {
		return
	}
	why := uncheckedReason(r)
	if why == "" {
		return
	}
	g.nskipped++
	if len(g.skipped) < gateNames {
		name := r.Domain
		if name == "" {
			name = fmt.Sprintf("%q", r.Input)
			if r.Line > 0 {
				name = fmt.Sprintf("line %d %s", r.Line, name)
			}
		}
		g.skipped = append(g.skipped, report.Clean(name)+" ("+why+")")
	}
}

// uncheckedReason says why r could not be checked, or "" when it was.
func uncheckedReason(r *scanner.Result) string {
	if r.Status != scanner.StatusOK {
		return string(r.Status)
	}
	for _, f := range r.Findings {
		if f.ID == "lookup-failed" {
			return "some lookups failed"
		}
	}
	return ""
}

// add notes r's findings at or above the threshold.
func (g *gate) add(r *scanner.Result) {
	if g.failOn == "" {
		return
	}
	for _, f := range r.Findings {
		if f.Severity.Rank() < g.failOn.Rank() {
			continue
		}
		if f.Severity.Rank() > g.worst.Rank() {
			g.worst = f.Severity
		}
		g.nmet++
		if len(g.met) < gateNames {
			g.met = append(g.met, report.Clean(f.ID)+" on "+report.Clean(r.Domain))
		}
	}
}

// verdict is the gate's error, nil when it passes. A finding over the
// threshold wins over a target not checked: it is known to be wrong.
func (g *gate) verdict(io *streams) error {
	if g.failOn == "" {
		return nil
	}
	skipped := ""
	if g.nskipped > 0 {
		skipped = fmt.Sprintf("%d %s could not be checked: %s", g.nskipped, plural(g.nskipped, "target", "targets"), names(g.skipped, g.nskipped))
	}
	switch {
	case g.nmet > 0:
		if skipped != "" && !g.allowUnchecked {
			fmt.Fprintf(io.Err, "mxscope: also, %s\n", skipped)
		}
		return &cliError{code: exitFailOn, msg: fmt.Sprintf("a finding of severity %s or worse is present (--fail-on %s): %s",
			g.worst, g.failOn, names(g.met, g.nmet))}
	case skipped != "" && g.allowUnchecked:
		fmt.Fprintf(io.Err, "mxscope: note: %s; --allow-unchecked lets them pass\n", skipped)
	case skipped != "":
		return &cliError{code: exitUnchecked, msg: skipped + "; --fail-on fails when a target could not be checked",
			hint: "correct or remove those entries, scan again when DNS answers, or pass --allow-unchecked to let them pass"}
	}
	return nil
}

// names lists the first names of n, saying how many more there are.
func names(first []string, n int) string {
	s := strings.Join(first, ", ")
	if n > len(first) {
		s += fmt.Sprintf(" and %d more", n-len(first))
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
