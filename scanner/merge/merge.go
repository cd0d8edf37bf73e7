// Package merge puts the shards of one scan back together: the jsonl
// reports of `mxscope scan --shard K/N`, K from 0 to N-1, become one list
// of results in the order of the targets file, as one process scanning the
// whole file would have written them.
//
// What it promises: it merges only a complete set, the N shards of one
// scan of one targets list, each finished, and otherwise refuses, naming
// what is missing, doubled or different; every row comes out once, in
// input order; memory does not grow with the number of rows, only with the
// number of shards (one read buffer each).
package merge

import (
	"bufio"
	"bytes"
	"container/heap"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"slices"
	"strings"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/internal/lines"
	"github.com/mxscope/mxscope/scanner/targets"
)

// Sentinel errors, wrapped with the file and what is wrong.
var (
	// ErrNotShards: the files are not the N shards of one scan.
	ErrNotShards = errors.New("merge: not the shards of one scan")
	// ErrPartial: a shard's scan was interrupted and not carried on.
	ErrPartial = errors.New("merge: a shard is partial")
	// ErrFormat: a file is not an mxscope jsonl report.
	ErrFormat = errors.New("merge: not an mxscope jsonl report")
)

// MaxRow caps one result line. The scan's own caps keep a row to kilobytes.
const MaxRow = 16 << 20

// readBuf is each shard's read buffer: the merge holds one per shard.
const readBuf = 64 << 10

// Shard is one shard's report, as Open found it.
type Shard struct {
	Path    string
	Meta    scanner.Meta
	K, N    int
	Rows    int // result rows
	Targets int // the targets the shard's summary counts
}

// Set is the complete set of a scan's shards, ready to merge.
type Set struct {
	Shards []Shard // in shard order, 0 to N-1
	// Meta describes the merged report: the shards' scan, the whole list
	// (no shard), started when the first shard started, with every
	// resolver any shard asked.
	Meta scanner.Meta
	Rows int      // result rows in all shards
	Keys []string // label keys, first-seen in input order
}

// Open reads every file through, checks that together they are the N
// shards of one finished scan of one targets list, and collects what the
// writers need before the first row: the label keys, in input order, which
// takes a second pass over the rows in that order.
func Open(paths []string) (*Set, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("%w: no files", ErrNotShards)
	}
	set := &Set{}
	for _, p := range paths {
		sh, err := readShard(p)
		if err != nil {
			return nil, err
		}
		set.Shards = append(set.Shards, sh)
	}
	if err := set.check(); err != nil {
		return nil, err
	}
	var keys targets.KeyOrder
	for r, err := range set.heads() {
		if err != nil {
			return nil, err
		}
		keys.Add(r.Labels)
	}
	set.Keys = keys.Keys
	return set, nil
}

// check refuses a set that is not one scan's N shards, and sorts the
// shards by K.
func (s *Set) check() error {
	ids := make([]ident, len(s.Shards))
	for i, sh := range s.Shards {
		ids[i] = ident{Path: sh.Path, K: sh.K, N: sh.N, Targets: sh.Meta.TargetsSHA256,
			Checks: sh.Meta.Checks, Version: sh.Meta.Version, Catalog: sh.Meta.Catalog}
	}
	if err := checkSet(ids); err != nil {
		return err
	}
	slices.SortFunc(s.Shards, func(a, b Shard) int { return a.K - b.K })
	s.Meta = s.Shards[0].Meta
	s.Meta.Shard = ""
	s.Meta.Resolvers = []string{}
	for _, sh := range s.Shards {
		s.Rows += sh.Rows
		if sh.Meta.Started.Before(s.Meta.Started) {
			s.Meta.Started = sh.Meta.Started
		}
		s.Meta.Resolvers = union(s.Meta.Resolvers, sh.Meta.Resolvers)
	}
	return nil
}

// ident is what says which scan a file is a shard of.
type ident struct {
	Path                              string
	K, N                              int
	Targets, Checks, Version, Catalog string
}

// checkSet refuses files that are not together the N shards of one scan:
// one targets list, one N, one set of checks, one mxscope and catalog,
// and each K from 0 to N-1 exactly once.
func checkSet(ids []ident) error {
	if len(ids) == 0 {
		return fmt.Errorf("%w: no files", ErrNotShards)
	}
	first := ids[0]
	for _, id := range ids[1:] {
		switch {
		case id.Targets != first.Targets:
			return fmt.Errorf("%w: %s and %s were scanned from different targets lists (targets_sha256 %.12s… and %.12s…)", ErrNotShards, first.Path, id.Path, first.Targets, id.Targets)
		case id.N != first.N:
			return fmt.Errorf("%w: %s is shard %d/%d, %s shard %d/%d: the shards of one scan share N", ErrNotShards, first.Path, first.K, first.N, id.Path, id.K, id.N)
		case id.Checks != first.Checks:
			return fmt.Errorf("%w: %s was scanned with --checks %s, %s with %s", ErrNotShards, first.Path, first.Checks, id.Path, id.Checks)
		case id.Version != first.Version || id.Catalog != first.Catalog:
			return fmt.Errorf("%w: %s was written by mxscope %s (catalog %s), %s by %s (catalog %s): scan every shard with one mxscope, or scan the odd one again", ErrNotShards,
				first.Path, first.Version, first.Catalog, id.Path, id.Version, id.Catalog)
		}
	}
	if first.Targets == "" && len(ids) > 1 {
		return fmt.Errorf("%w: %s does not record its targets list (an older mxscope wrote it), so its shards cannot be checked", ErrNotShards, first.Path)
	}
	n := first.N
	byK := make([][]string, n)
	for _, id := range ids {
		byK[id.K] = append(byK[id.K], id.Path)
	}
	var problems, missing []string
	for k, ps := range byK {
		switch {
		case len(ps) == 0:
			missing = append(missing, fmt.Sprintf("%d/%d", k, n))
		case len(ps) > 1:
			problems = append(problems, fmt.Sprintf("shard %d/%d is given %d times (%s)", k, n, len(ps), strings.Join(ps, ", ")))
		}
	}
	switch len(missing) {
	case 0:
	case 1:
		problems = append(problems, "shard "+missing[0]+" is missing")
	default:
		problems = append(problems, "shards "+strings.Join(missing, ", ")+" are missing")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrNotShards, strings.Join(problems, "; "))
	}
	return nil
}

// union appends the names of b that a lacks.
func union(a, b []string) []string {
	for _, x := range b {
		if !slices.Contains(a, x) {
			a = append(a, x)
		}
	}
	return a
}

// readShard reads one report whole: its meta, its rows and its summary,
// and checks that every row is the shard's and in order.
func readShard(path string) (Shard, error) {
	sh := Shard{Path: path}
	f, err := os.Open(path)
	if err != nil {
		return sh, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, readBuf)
	var summary *scanner.Summary
	sawMeta, last := false, 0
	for n := 1; ; n++ {
		line, err := readLine(br)
		if err == io.EOF {
			break
		}
		if err != nil {
			return sh, fmt.Errorf("%w: %s:%d: %v", ErrFormat, path, n, err)
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var typed struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(line, &typed); err != nil {
			return sh, fmt.Errorf("%w: %s:%d: %v", ErrFormat, path, n, err)
		}
		switch typed.Type {
		case "meta":
			if sawMeta {
				continue // a second meta line of an older resumed report: the first stands
			}
			if err := json.Unmarshal(line, &sh.Meta); err != nil {
				return sh, fmt.Errorf("%w: %s:%d: meta: %v", ErrFormat, path, n, err)
			}
			sawMeta = true
			shard, err := targets.ParseShard(sh.Meta.Shard)
			if err != nil {
				return sh, fmt.Errorf("%w: %s:%d: %v", ErrFormat, path, n, err)
			}
			sh.K, sh.N = shard.K, shard.N
		case "summary":
			summary = &scanner.Summary{}
			if err := json.Unmarshal(line, summary); err != nil {
				return sh, fmt.Errorf("%w: %s:%d: summary: %v", ErrFormat, path, n, err)
			}
		case "":
			if !sawMeta {
				return sh, fmt.Errorf("%w: %s:%d: a result before the meta line (mxscope scan -f jsonl writes the meta first)", ErrFormat, path, n)
			}
			r, err := head(line)
			if err != nil {
				return sh, fmt.Errorf("%w: %s:%d: %v", ErrFormat, path, n, err)
			}
			if err := sh.owns(r, last, n); err != nil {
				return sh, err
			}
			last = r.Position
			sh.Rows++
			summary = nil // a summary counts only when it follows every row
		default:
			return sh, fmt.Errorf("%w: %s:%d: unknown line type %q", ErrFormat, path, n, typed.Type)
		}
	}
	switch {
	case !sawMeta:
		return sh, fmt.Errorf("%w: %s has no meta line (merge takes the reports of mxscope scan --shard K/N -f jsonl)", ErrFormat, path)
	case summary == nil:
		return sh, fmt.Errorf("%w: shard %d/%d (%s) has no summary after its rows: it was cut short; carry it on with mxscope scan --shard %d/%d --resume %s", ErrPartial, sh.K, sh.N, path, sh.K, sh.N, path)
	case summary.Partial:
		return sh, fmt.Errorf("%w: shard %d/%d (%s) was interrupted; carry it on with mxscope scan --shard %d/%d --resume %s", ErrPartial, sh.K, sh.N, path, sh.K, sh.N, path)
	case summary.Targets != sh.Rows:
		return sh, fmt.Errorf("%w: %s holds %d rows of the %d targets its summary counts (was it scanned with --provider?): merge needs every row; filter the merged report instead", ErrNotShards, path, sh.Rows, summary.Targets)
	}
	sh.Targets = summary.Targets
	return sh, nil
}

// rowHead is what the merge reads of a row before it decodes it whole.
type rowHead struct {
	Position int            `json:"position"`
	Domain   string         `json:"domain"`
	Input    string         `json:"input"`
	Status   scanner.Status `json:"status"`
	Labels   targets.Labels `json:"labels"`
}

func head(line []byte) (rowHead, error) {
	var h rowHead
	if err := json.Unmarshal(line, &h); err != nil {
		return h, err
	}
	if h.Status == "" {
		return h, errors.New("a row without a status")
	}
	return h, nil
}

// owns checks that a row belongs to the shard, after the row at position
// last: a row of another shard, or out of order, means the files were
// mixed up or edited.
func (sh *Shard) owns(r rowHead, last, line int) error {
	if sh.N == 1 {
		return nil // a whole scan: the rows' order is the file's
	}
	switch {
	case r.Position <= 0:
		return fmt.Errorf("%w: %s:%d: a row without a position (rows of a shard carry their place in the list, in order)", ErrFormat, sh.Path, line)
	case r.Position <= last:
		return fmt.Errorf("%w: %s:%d: the row at position %d follows the one at %d (rows of a shard carry their place in the list, in order)", ErrFormat, sh.Path, line, r.Position, last)
	}
	// The scan chose by the same two fields (targets.ShardOf).
	t := targets.Target{Domain: r.Domain, Input: r.Input}
	if k := targets.ShardOf(t, sh.N); k != sh.K {
		return fmt.Errorf("%w: %s:%d: %s belongs to shard %d/%d, but the file is shard %d/%d", ErrNotShards, sh.Path, line, shardName(r), k, sh.N, sh.K, sh.N)
	}
	return nil
}

func shardName(r rowHead) string {
	if r.Domain != "" {
		return r.Domain
	}
	return fmt.Sprintf("the entry %q", r.Input)
}

// heads streams every row's head in input order, for Open's keys.
func (s *Set) heads() iter.Seq2[rowHead, error] {
	return func(yield func(rowHead, error) bool) {
		for line, err := range s.lines() {
			if err != nil {
				yield(rowHead{}, err)
				return
			}
			h, err := head(line)
			if !yield(h, err) || err != nil {
				return
			}
		}
	}
}

// Results streams every result of the set in input order, each decoded
// whole and with its shard position cleared: a row of the merged report
// is the row a scan of the whole list writes.
func (s *Set) Results() iter.Seq2[*scanner.Result, error] {
	return func(yield func(*scanner.Result, error) bool) {
		for line, err := range s.lines() {
			if err != nil {
				yield(nil, err)
				return
			}
			r := &scanner.Result{}
			if err := json.Unmarshal(line, r); err != nil {
				yield(nil, fmt.Errorf("%w: %v", ErrFormat, err))
				return
			}
			r.Position = 0
			if !yield(r, nil) {
				return
			}
		}
	}
}

// cursor is one shard's place in the merge.
type cursor struct {
	br   *bufio.Reader
	f    *os.File
	path string
	line []byte // the next row
	pos  int    // its position
}

type cursors []*cursor

func (c cursors) Len() int           { return len(c) }
func (c cursors) Less(i, j int) bool { return c[i].pos < c[j].pos }
func (c cursors) Swap(i, j int)      { c[i], c[j] = c[j], c[i] }
func (c *cursors) Push(x any)        { *c = append(*c, x.(*cursor)) }
func (c *cursors) Pop() any {
	old := *c
	x := old[len(old)-1]
	*c = old[:len(old)-1]
	return x
}

// advance reads the cursor's next result row; it reports false at the end.
func (c *cursor) advance() (bool, error) {
	for {
		line, err := readLine(c.br)
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("%s: %w", c.path, err)
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 || bytes.HasPrefix(line, []byte(`{"type":`)) {
			continue // meta and summary lines (Open read them)
		}
		var p struct {
			Position int `json:"position"`
		}
		if err := json.Unmarshal(line, &p); err != nil {
			return false, fmt.Errorf("%w: %s: %v", ErrFormat, c.path, err)
		}
		c.line, c.pos = bytes.Clone(line), p.Position
		return true, nil
	}
}

// lines yields every result row of the set in input order: a k-way merge
// of the shards by position, each shard's rows being in order already.
// The files were checked by Open; one that changed since fails here.
func (s *Set) lines() iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		var h cursors
		defer func() {
			for _, c := range h {
				c.f.Close()
			}
		}()
		for _, sh := range s.Shards {
			f, err := os.Open(sh.Path)
			if err != nil {
				yield(nil, err)
				return
			}
			c := &cursor{br: bufio.NewReaderSize(f, readBuf), f: f, path: sh.Path}
			ok, err := c.advance()
			if err != nil {
				f.Close()
				yield(nil, err)
				return
			}
			if !ok {
				f.Close()
				continue
			}
			h = append(h, c)
		}
		heap.Init(&h)
		for h.Len() > 0 {
			c := h[0]
			if !yield(c.line, nil) {
				return
			}
			ok, err := c.advance()
			if err != nil {
				yield(nil, err)
				return
			}
			if ok {
				heap.Fix(&h, 0)
			} else {
				c.f.Close()
				heap.Pop(&h)
			}
		}
	}
}

// readLine reads one line of at most MaxRow bytes, its newline included.
func readLine(br *bufio.Reader) ([]byte, error) {
	b, err := lines.Read(br, MaxRow)
	if errors.Is(err, lines.ErrTooLong) {
		return nil, fmt.Errorf("a line longer than %d MiB", MaxRow>>20)
	}
	return b, err
}
