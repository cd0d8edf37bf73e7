package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/evidence"
)

// evidenceFile is scan --evidence: the evidence file, written beside the
// report and, like an -o report, atomically.
type evidenceFile struct {
	path string
	out  *output
	w    *evidence.Writer
}

// errEvidence marks a failure to write the evidence file, so that it is not
// reported as a failure to write the report.
var errEvidence = errors.New("evidence")

func (o *scanOptions) validateEvidence() error {
	switch {
	case o.Evidence == "":
		return nil
	case o.Evidence == "-":
		return userError(exitUsage, "name a file: --evidence scan.evidence.jsonl", "--evidence writes a file, not standard output")
	case o.Output != "" && filepath.Clean(o.Output) == filepath.Clean(o.Evidence),
		o.Resume != "" && filepath.Clean(o.Resume) == filepath.Clean(o.Evidence):
		return userError(exitUsage, "", "--evidence and the report must be different files")
	}
	return nil
}

// open starts the file; it is renamed into place by commit.
func (e *evidenceFile) open(ctx context.Context, io *streams, path string, m evidence.Meta) error {
	// The same file as -o: a temporary file renamed into place, or a
	// device or FIFO written through.
	out, err := openNamed(ctx, io, path)
	if err != nil {
		return err
	}
	w, err := evidence.NewWriter(out, m)
	if err != nil {
		out.Abort()
		return userError(exitError, "", "writing the evidence to %s: %s", path, err)
	}
	e.path, e.out, e.w = path, out, w
	return nil
}

// record is the scanner's Options.Record.
func (e *evidenceFile) record(r *scanner.Result, l scanner.Lookups) error {
	if e.w == nil {
		return nil
	}
	if err := e.w.Target(evidence.TargetOf(r), l); err != nil {
		return fmt.Errorf("%w: %w", errEvidence, err)
	}
	return nil
}

// commit writes the end line and moves the file into place; complete is
// false for an interrupted scan. Without --evidence it does nothing.
func (e *evidenceFile) commit(complete bool) error {
	if e.w == nil {
		return nil
	}
	if err := e.w.Close(complete, now()); err != nil {
		return err
	}
	return e.out.Commit()
}

func (e *evidenceFile) abort() {
	if e.out != nil {
		e.out.Abort()
	}
}

func (e *evidenceFile) failed(err error) bool { return e.w != nil && errors.Is(err, errEvidence) }

func (e *evidenceFile) writeError(err error) error {
	return userError(exitError, "", "writing the evidence to %s: %s", e.path, err)
}
