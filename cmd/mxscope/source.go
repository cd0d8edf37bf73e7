package main

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"os"

	"github.com/mxscope/mxscope/scanner/report"
	"github.com/mxscope/mxscope/scanner/targets"
)

// source is where a scan's targets come from: the command line, or a file
// read twice. The first pass checks the whole file, reports its warnings and
// invalid entries, counts the targets and collects the label keys (the CSV
// header needs them before the first row); the second pass streams the
// targets into the scan. Nothing holds the whole list, so a million-line file
// costs the same memory as a short one.
type source struct {
	name  string           // for messages: the file name, "stdin" or "argument"
	path  string           // the file to stream; "" for command-line domains
	args  []targets.Target // command-line domains
	skip  map[string]bool  // keys of the targets already done (--resume; see resumeKeys)
	shard targets.Shard    // the part of the list to scan (--shard)
	total int              // targets to scan, after skip
	all   int              // targets in the list
	hash  string           // the list's SHA-256 (listHash)
	keys  []string         // label keys in first-seen order
	first string           // the first valid domain: with none, the scan asks nothing
	temp  bool             // path is a spooled copy of stdin, removed by close
	lines bool             // path holds one domain per line, not YAML
}

var errStopped = errors.New("scan stopped reading targets")

// openSource reads the targets once, printing warnings and invalid entries
// to stderr. skip names targets to leave out (see resumeKey).
func openSource(io *streams, o *scanOptions, skip map[string]bool) (*source, error) {
	src := &source{skip: skip, shard: o.shard}
	switch {
	case len(o.Domains) > 0:
		var warns []targets.Warning
		src.name = "argument"
		src.args, warns = targets.FromArgs(o.Domains)
		for _, w := range warns {
			fmt.Fprintf(io.Err, "mxscope: warning: %s\n", w)
		}
	case o.Targets == "-":
		src.name = "stdin"
		path, err := spool(io.In)
		if err != nil {
			return nil, userError(exitError, "", "reading targets from stdin: %s", err)
		}
		src.path, src.temp = path, true
		src.lines = isLineList(path)
	default:
		src.name, src.path = o.Targets, o.Targets
		src.lines = isLineList(o.Targets) // no YAML targets file is one (targets.IsLineList)
	}
	var labels targets.KeyOrder
	keys, hash := &resumeKeys{}, newListHash()
	err := src.each(func(t targets.Target) error {
		src.all++
		hash.add(t) // the whole list's, so that every shard records the same
		if !src.shard.Has(t) || src.skip[keys.target(t)] {
			return nil
		}
		src.total++
		labels.Add(t.Labels)
		if t.Invalid != "" {
			where := src.name
			if t.Line > 0 {
				where = fmt.Sprintf("%s:%d", src.name, t.Line)
			}
			fmt.Fprintf(io.Err, "mxscope: %s: invalid entry: %s\n", where, report.Clean(t.Invalid))
		} else if src.first == "" {
			src.first = t.Domain
		}
		return nil
	}, func(w targets.Warning) {
		fmt.Fprintf(io.Err, "mxscope: warning: %s\n", report.Clean(w.String()))
	})
	switch {
	case errors.Is(err, os.ErrNotExist) && !o.targetsSet:
		src.close()
		return nil, userError(exitError, "run it from the repository root, pass -t FILE, or name domains: mxscope scan example.com", "%s", err)
	case errors.Is(err, os.ErrNotExist):
		src.close()
		return nil, userError(exitError, "check the file name given to -t; -t - reads the targets from stdin, or name domains: mxscope scan example.com", "%s", err)
	case err != nil:
		src.close()
		return nil, userError(exitError, targetsHint(src, err), "%s", report.Clean(err.Error()))
	case src.all == 0:
		src.close()
		return nil, userError(exitError, "a targets file is a YAML list of domains, or a map with targets:", "no targets to scan")
	}
	src.hash, src.keys = hash.sum(), labels.Keys
	return src, nil
}

// each calls yield for every target, in order.
func (s *source) each(yield func(targets.Target) error, warn func(targets.Warning)) error {
	if s.path == "" {
		for _, t := range s.args {
			if err := yield(t); err != nil {
				return err
			}
		}
		return nil
	}
	f, err := os.Open(s.path)
	if err != nil {
		return err
	}
	defer f.Close()
	if s.lines {
		return targets.StreamLines(f, s.name, yield, warn)
	}
	return targets.Stream(f, s.name, yield, warn)
}

// isLineList reports whether the file at path is a list of domains one
// per line rather than YAML (targets.IsLineList).
func isLineList(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	ok, _ := targets.IsLineList(f)
	return ok
}

// targetsHint says what a targets file should look like, when reading it
// failed for its shape or its YAML.
func targetsHint(src *source, err error) string {
	const yamlList = "a targets file is YAML: a list with one \"- example.com\" per line, or a map with targets: holding that list (README, \"Targets file\")"
	switch {
	case errors.Is(err, targets.ErrEmpty):
		return "the file holds no targets; " + yamlList
	case !errors.Is(err, targets.ErrShape) && !errors.Is(err, targets.ErrSyntax):
		return ""
	}
	return yamlList
}

// seq streams the targets to scan; a read error (the file changed between
// the passes) is stored in *errp.
func (s *source) seq(errp *error) iter.Seq[targets.Target] {
	return func(yield func(targets.Target) bool) {
		keys := &resumeKeys{}
		pos := 0
		err := s.each(func(t targets.Target) error {
			pos++
			if !s.shard.Has(t) {
				return nil
			}
			if !s.shard.Whole() {
				t.Position = pos // merge puts the shards back in this order
			}
			if s.skip[keys.target(t)] {
				return nil
			}
			if !yield(t) {
				return errStopped
			}
			return nil
		}, func(targets.Warning) {})
		if err != nil && !errors.Is(err, errStopped) {
			*errp = err
		}
	}
}

func (s *source) close() {
	if s.temp {
		os.Remove(s.path)
	}
}

// spool copies r to a temporary file, so that stdin can be read twice.
func spool(r io.Reader) (string, error) {
	f, err := os.CreateTemp("", "mxscope-targets-*.yaml")
	if err != nil {
		return "", err
	}
	_, err = io.Copy(f, io.LimitReader(r, targets.MaxStreamSize+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}
