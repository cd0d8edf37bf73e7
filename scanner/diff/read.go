package diff

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/internal/lines"
	"github.com/mxscope/mxscope/scanner/targets"
)

// Sentinel errors of Open.
var (
	// ErrEvidence: the file is an evidence file, not a report; replay it
	// first (mxscope diff does).
	ErrEvidence = errors.New("diff: an evidence file, not a report")
	// ErrNotReport: neither a json nor a jsonl mxscope report.
	ErrNotReport = errors.New("diff: not an mxscope json or jsonl report")
)

// MaxRow caps one result's JSON. Scan caps keep a row to kilobytes.
const MaxRow = 16 << 20

// Report is a scan report opened for a diff. Its rows are read as they
// stream; only the old side keeps an index of keys and offsets.
type Report struct {
	Path string
	Meta scanner.Meta
	Rows int      // results in the report
	Keys []string // label keys, first-seen order

	rows  *os.File // the jsonl report, or the json document's results spooled one per line
	spool bool     // rows is a temporary file of ours
	index map[string]int64
}

// Key identifies a target across runs: its domain, or for an entry that is
// not a valid domain the entry as written.
func Key(r *scanner.Result) string {
	if r.Domain != "" {
		return r.Domain
	}
	return "\x00" + r.Input
}

// matched marks an index entry whose target the new run had.
const matched = int64(1) << 62

// Open reads a json or jsonl report once: its meta, its row count, its
// label keys and, with index, the offset of each target's row.
func Open(path string, index bool) (*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	rp := &Report{Path: path, rows: f}
	if index {
		rp.index = map[string]int64{}
	}
	br := bufio.NewReaderSize(f, 64<<10)
	first, err := peekLine(br)
	if err != nil {
		f.Close()
		return nil, err
	}
	var head struct {
		Type   string `json:"type"`
		Format string `json:"format"`
	}
	switch {
	case json.Unmarshal(first, &head) == nil && head.Type == "meta" && head.Format != "":
		f.Close()
		return nil, fmt.Errorf("%w: %s", ErrEvidence, path)
	case json.Unmarshal(first, &head) == nil && head.Type == "meta":
		err = rp.readJSONL(br)
	default:
		err = rp.readJSON(br)
	}
	if err != nil {
		rp.Close()
		return nil, err
	}
	return rp, nil
}

// Close releases the report (and removes a spooled copy).
func (r *Report) Close() error {
	if r.rows == nil {
		return nil
	}
	err := r.rows.Close()
	if r.spool {
		os.Remove(r.rows.Name())
	}
	r.rows = nil
	return err
}

// peekLine returns the first non-empty line without consuming it.
func peekLine(br *bufio.Reader) ([]byte, error) {
	for n := 4096; ; n *= 2 {
		b, err := br.Peek(n)
		if i := bytes.IndexByte(bytes.TrimLeft(b, " \t\r\n"), '\n'); i >= 0 || err != nil || n >= br.Size() {
			b = bytes.TrimLeft(b, " \t\r\n")
			if i >= 0 {
				b = b[:i]
			}
			if len(b) == 0 {
				return nil, fmt.Errorf("%w: empty", ErrNotReport)
			}
			return b, nil
		}
	}
}

// rowHead is what the first pass reads of each row.
type rowHead struct {
	Type   string         `json:"type"`
	Domain string         `json:"domain"`
	Input  string         `json:"input"`
	Labels targets.Labels `json:"labels"`
}

// note counts a row, collects its label keys and indexes it.
func (r *Report) note(h rowHead, off int64, keys *targets.KeyOrder) {
	r.Rows++
	keys.Add(h.Labels)
	r.Keys = keys.Keys
	if r.index != nil {
		k := Key(&scanner.Result{Domain: h.Domain, Input: h.Input})
		if _, dup := r.index[k]; !dup { // a target listed twice: the first row stands
			r.index[k] = off
		}
	}
}

func (r *Report) readJSONL(br *bufio.Reader) error {
	var keys targets.KeyOrder
	var off int64
	for n := 1; ; n++ {
		line, err := readLine(br)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s:%d: %w", r.Path, n, err)
		}
		at := off
		off += int64(len(line))
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var h rowHead
		if err := json.Unmarshal(line, &h); err != nil {
			return fmt.Errorf("%w: %s:%d: %v", ErrNotReport, r.Path, n, err)
		}
		switch h.Type {
		case "":
			r.note(h, at, &keys)
		case "meta":
			if n > 1 {
				continue // a second meta (a resumed report): the first describes the run
			}
			if err := json.Unmarshal(line, &r.Meta); err != nil {
				return fmt.Errorf("%w: %s:%d: meta: %v", ErrNotReport, r.Path, n, err)
			}
		}
	}
}

// readJSON reads a json document, copying its results one per line into a
// temporary file so that rows can be read back by offset as in jsonl.
func (r *Report) readJSON(br *bufio.Reader) error {
	spool, err := os.CreateTemp("", "mxscope-diff-*.jsonl")
	if err != nil {
		return err
	}
	r.rows.Close()
	r.rows, r.spool = spool, true
	w := bufio.NewWriterSize(spool, 256<<10)
	dec := json.NewDecoder(br)
	bad := func(err error) error { return fmt.Errorf("%w: %s: %v", ErrNotReport, r.Path, err) }
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return bad(fmt.Errorf("want a JSON object or JSON Lines"))
	}
	header := map[string]json.RawMessage{}
	var keys targets.KeyOrder
	var off int64
	sawResults := false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return bad(err)
		}
		key, _ := t.(string)
		if key != "results" {
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return bad(err)
			}
			header[key] = v
			continue
		}
		sawResults = true
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return bad(fmt.Errorf("results is not a list"))
		}
		for dec.More() {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return bad(err)
			}
			var h rowHead
			if err := json.Unmarshal(raw, &h); err != nil {
				return bad(err)
			}
			var line bytes.Buffer
			if err := json.Compact(&line, raw); err != nil {
				return bad(err)
			}
			line.WriteByte('\n')
			r.note(h, off, &keys)
			off += int64(line.Len())
			w.Write(line.Bytes())
		}
		if _, err := dec.Token(); err != nil {
			return bad(err)
		}
	}
	if _, ok := header["schema"]; !ok || !sawResults {
		return bad(fmt.Errorf("no schema or no results"))
	}
	hb, _ := json.Marshal(header)
	if err := json.Unmarshal(hb, &r.Meta); err != nil {
		return bad(err)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	_, err = spool.Seek(0, io.SeekStart)
	return err
}

// readLine reads one row of at most MaxRow bytes, a copy of its own.
func readLine(br *bufio.Reader) ([]byte, error) {
	b, err := lines.Read(br, MaxRow)
	if errors.Is(err, lines.ErrTooLong) {
		return nil, fmt.Errorf("a row longer than %d bytes", MaxRow)
	}
	if err != nil {
		return nil, err
	}
	return bytes.Clone(b), nil
}

// each streams every result row, in order.
func (r *Report) each(fn func(*scanner.Result) error) error {
	if _, err := r.rows.Seek(0, io.SeekStart); err != nil {
		return err
	}
	br := bufio.NewReaderSize(r.rows, 256<<10)
	for n := 1; ; n++ {
		line, err := readLine(br)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", r.Path, err)
		}
		res, ok, err := parseRow(line)
		if err != nil {
			return fmt.Errorf("%w: %s:%d: %v", ErrNotReport, r.Path, n, err)
		}
		if ok {
			if err := fn(res); err != nil {
				return err
			}
		}
	}
}

// at reads back the row at off.
func (r *Report) at(off int64) (*scanner.Result, error) {
	br := bufio.NewReaderSize(io.NewSectionReader(r.rows, off, 1<<62), 64<<10)
	line, err := readLine(br)
	if err != nil {
		return nil, fmt.Errorf("%s: reading back a row: %w", r.Path, err)
	}
	res, ok, err := parseRow(line)
	if err != nil || !ok {
		return nil, fmt.Errorf("%w: %s: the row at byte %d changed since it was read", ErrNotReport, r.Path, off)
	}
	return res, nil
}

// parseRow reads a result line; ok is false for meta, summary and blank lines.
func parseRow(line []byte) (*scanner.Result, bool, error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return nil, false, nil
	}
	var typ struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(line, &typ); err != nil {
		return nil, false, err
	}
	if typ.Type != "" {
		return nil, false, nil
	}
	var res scanner.Result
	if err := json.Unmarshal(line, &res); err != nil {
		return nil, false, err
	}
	return &res, true, nil
}

// Diff compares old with new: for each row of new, in order, its changes;
// then the targets only old had, in old's order. old must have been opened
// with an index. emit is called once per Change.
func Diff(old, new *Report, emit func(Change) error) (Summary, error) {
	if old.index == nil {
		return Summary{}, errors.New("diff: the old report was opened without an index")
	}
	s := Summary{Old: old.Rows, New: new.Rows, Changes: map[Kind]int{}}
	send := func(cs []Change) error {
		s.count(cs)
		for _, c := range cs {
			if err := emit(c); err != nil {
				return err
			}
		}
		return nil
	}
	err := new.each(func(n *scanner.Result) error {
		k := Key(n)
		off, ok := old.index[k]
		if !ok {
			s.Added++
			return send([]Change{Added(n)})
		}
		if off&matched == 0 {
			old.index[k] = off | matched
		}
		o, err := old.at(off &^ matched)
		if err != nil {
			return err
		}
		s.Compared++
		cs := Compare(o, n)
		changed, uncompared := false, false
		for _, c := range cs {
			if c.Kind == KindUncompared {
				uncompared = true
			} else {
				changed = true
			}
		}
		switch {
		case changed:
			s.Changed++
		case !uncompared:
			s.Unchanged++
		}
		if uncompared {
			s.Uncompared++
		}
		return send(cs)
	})
	if err != nil {
		return s, err
	}
	var gone []int64
	for _, off := range old.index {
		if off&matched == 0 {
			gone = append(gone, off)
		}
	}
	slices.Sort(gone)
	for _, off := range gone {
		o, err := old.at(off)
		if err != nil {
			return s, err
		}
		s.Removed++
		if err := send([]Change{Removed(o)}); err != nil {
			return s, err
		}
	}
	return s, nil
}
