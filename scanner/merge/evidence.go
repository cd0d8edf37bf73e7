package merge

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mxscope/mxscope/scanner/evidence"
	"github.com/mxscope/mxscope/scanner/targets"
)

// Evidence merges the evidence files of a scan's N shards into one
// evidence file of the whole list, written to out, entries in input order,
// each answer line as the shard wrote it. It checks them as Open checks
// reports, and returns the merged file's meta.
//
// Each shard's file is read through once, one at a time, into a spool on
// disk; the entries are then written out in input order. An evidence file
// shares answers between targets through its window, so the shards cannot
// simply be interleaved, and reading all N at once would hold N windows.
func Evidence(paths []string, out io.Writer) (evidence.Meta, error) {
	var merged evidence.Meta
	spool, err := evidence.NewSpool()
	if err != nil {
		return merged, err
	}
	defer spool.Close()
	var ids []ident
	var metas []evidence.Meta
	var finished time.Time
	for _, p := range paths {
		m, end, err := spoolShard(p, spool)
		if err != nil {
			return merged, err
		}
		sh, _ := targets.ParseShard(m.Shard) // checked by spoolShard
		ids = append(ids, ident{Path: p, K: sh.K, N: sh.N, Targets: m.TargetsSHA256, Checks: m.Checks, Version: m.Version, Catalog: m.Catalog})
		metas = append(metas, m)
		if end.Finished.After(finished) {
			finished = end.Finished
		}
	}
	if err := checkSet(ids); err != nil {
		return merged, err
	}
	merged = metas[0]
	merged.Shard, merged.Targets, merged.Resolvers = "", 0, []string{}
	for _, m := range metas {
		merged.Targets += m.Targets
		merged.Resolvers = union(merged.Resolvers, m.Resolvers)
		if m.Started.Before(merged.Started) {
			merged.Started = m.Started
		}
	}
	w, err := evidence.NewWriter(out, merged)
	if err != nil {
		return merged, err
	}
	for e, err := range spool.Sorted() {
		if err != nil {
			return merged, err
		}
		t := e.Target
		t.Position = 0 // the merged file is the whole list's
		if err := w.TargetEntry(t, e); err != nil {
			return merged, err
		}
	}
	return merged, w.Close(true, finished)
}

// spoolShard reads one shard's evidence file into the spool, keyed by each
// target's place in the whole list, after checking that it is finished and
// that every target is the shard's and in order.
func spoolShard(path string, spool *evidence.Spool) (evidence.Meta, *evidence.End, error) {
	f, err := os.Open(path)
	if err != nil {
		return evidence.Meta{}, nil, err
	}
	defer f.Close()
	r, err := evidence.NewReader(f, path)
	if err != nil {
		return evidence.Meta{}, nil, err
	}
	r.KeepLines()
	m := r.Meta()
	sh, err := targets.ParseShard(m.Shard)
	if err != nil {
		return m, nil, fmt.Errorf("%w: %s: %v", ErrFormat, path, err)
	}
	last := 0
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return m, nil, err
		}
		key := e.N
		if !sh.Whole() {
			t := e.Target
			if t.Position <= last {
				return m, nil, fmt.Errorf("%w: %s: target %d has no position after %d (the targets of a shard carry their place in the list, in order)", ErrFormat, path, e.N, last)
			}
			if k := targets.ShardOf(targets.Target{Domain: t.Domain, Input: t.Input}, sh.N); k != sh.K {
				return m, nil, fmt.Errorf("%w: %s: target %d belongs to shard %d/%d, but the file is shard %s", ErrNotShards, path, e.N, k, sh.N, sh)
			}
			key, last = t.Position, t.Position
		}
		if err := spool.Add(key, e); err != nil {
			return m, nil, err
		}
	}
	end := r.End()
	switch {
	case end == nil:
		return m, nil, fmt.Errorf("%w: shard %s (%s) has no end line: it was cut short", ErrPartial, sh, path)
	case !end.Complete:
		return m, nil, fmt.Errorf("%w: the scan of shard %s (%s) was interrupted; scan that shard again with --evidence", ErrPartial, sh, path)
	}
	return m, end, nil
}
