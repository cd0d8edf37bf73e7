package evidence

import (
	"context"
	"hash/maphash"
	"io"
	"time"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/report"
	"github.com/mxscope/mxscope/scanner/resolve"
	"github.com/mxscope/mxscope/scanner/targets"
)

// targetLine is a target as the file holds it: the entry as the targets file
// gave it (so replay needs no targets file) and the questions its verdicts
// used.
type targetLine struct {
	N         int            `json:"n"` // 1-based position among this scan's targets
	Line      int            `json:"line,omitempty"`
	Position  int            `json:"position,omitempty"` // in the whole list, for a shard's scan (targets.Target.Position)
	Domain    string         `json:"domain"`
	Input     string         `json:"input,omitempty"`
	Unicode   string         `json:"unicode,omitempty"`
	Labels    targets.Labels `json:"labels,omitempty"`
	Invalid   string         `json:"invalid,omitempty"`
	Questions []Question     `json:"questions"`
	Truncated bool           `json:"truncated,omitempty"`
}

// window is the answer lines a target may refer to (see the package
// comment): the Writer and the Reader keep the same one, line for line.
type window struct {
	max, maxBytes int
	lines         []winLine // oldest first; lines[head:] are live
	head          int
	bytes         int
	seq           int64 // answer lines so far
	blockStart    int64 // seq of the first answer line of the current target
}

type winLine struct {
	key  Question
	seq  int64
	size int
}

// add appends an answer line of size bytes for key, and drops the oldest
// lines, never those of the current target, while the window is over its
// size. evict is told of each line dropped.
func (w *window) add(key Question, size int, evict func(winLine)) int64 {
	w.seq++
	w.lines = append(w.lines, winLine{key, w.seq, size})
	w.bytes += size
	for len(w.lines)-w.head > w.max || w.bytes > w.maxBytes {
		old := w.lines[w.head]
		if old.seq >= w.blockStart {
			break
		}
		w.lines[w.head] = winLine{}
		w.head++
		w.bytes -= old.size
		evict(old)
	}
	if w.head > 1024 && w.head > len(w.lines)/2 {
		w.lines = append(w.lines[:0], w.lines[w.head:]...)
		w.head = 0
	}
	return w.seq
}

// endBlock marks the end of a target's answer lines.
func (w *window) endBlock() { w.blockStart = w.seq + 1 }

// Writer writes an evidence file: NewWriter writes the meta line, Target
// each target in input order, Close the end line. It is not safe for
// concurrent use; the scanner calls Options.Record from one goroutine.
type Writer struct {
	out     io.Writer
	win     window
	latest  map[Question]wroteLine // the latest line of each question in the window
	seed    maphash.Seed
	targets int
	answers int
	https   int
	err     error
	enc     lineEncoder
}

type wroteLine struct {
	seq int64
	sum uint64
	// The exchange the line records, when known (see Stamp): an answer
	// that the scan's cache gave another domain too carries the same
	// time and latency, so it is known to be in the window without
	// encoding it again.
	at  time.Time
	lat time.Duration
}

// sameExchange reports whether a is the answer the line w was written for.
func (w wroteLine) sameExchange(a resolve.Answer) bool {
	return !a.Time.IsZero() && a.Time.Equal(w.at) && a.Latency == w.lat
}

// NewWriter writes m's line to out. The format fields and the window are
// filled in: callers set what the scan was.
func NewWriter(out io.Writer, m Meta) (*Writer, error) {
	return newWriter(out, m, DefaultWindow, DefaultWindowBytes)
}

// newWriter is NewWriter with another window, for tests.
func newWriter(out io.Writer, m Meta, lines, bytes int) (*Writer, error) {
	m.Format, m.FormatVersion = Format, Version
	m.Window, m.WindowBytes = lines, bytes
	m.Started = m.Started.UTC()
	w := &Writer{
		out:    out,
		win:    window{max: m.Window, maxBytes: m.WindowBytes, blockStart: 1},
		latest: map[Question]wroteLine{},
		seed:   maphash.MakeSeed(),
	}
	return w, w.line("meta", m)
}

// line writes one line.
func (w *Writer) line(typ string, v any) error {
	b, err := marshalLine(typ, v)
	if err != nil {
		return err
	}
	return w.write(report.SafeJSON(b))
}

// write writes b, which is safe JSON, and a newline.
func (w *Writer) write(b []byte) error {
	if w.err != nil {
		return w.err
	}
	if _, w.err = w.out.Write(b); w.err == nil {
		_, w.err = w.out.Write(newline)
	}
	return w.err
}

var newline = []byte{'\n'}

// Target writes what a target's verdicts used: the answer lines the window
// does not already hold, its https lines, then the target line. t is the
// target as read from the targets file (see TargetOf).
func (w *Writer) Target(t targets.Target, l scanner.Lookups) error {
	if w.err != nil {
		return w.err
	}
	tl := targetLine{
		N: w.targets + 1, Line: t.Line, Position: t.Position, Domain: t.Domain, Input: t.Input, Unicode: t.Unicode,
		Labels: t.Labels, Invalid: t.Invalid, Questions: []Question{}, Truncated: l.Truncated,
	}
	ps := make([]pending, 0, len(l.Asked))
	seen := make(map[Question]bool, len(l.Asked))
	for _, a := range l.Asked {
		q := Question{Name: KeyName(a.Name), Type: a.Type, CD: a.CD}
		if seen[q] {
			continue // the same name written two ways: the first answer was used
		}
		seen[q] = true
		if prev, ok := w.latest[q]; ok && prev.sameExchange(a.Answer) {
			// Another domain's answer from the scan's cache, already in
			// the window: nothing to encode.
			tl.Questions = append(tl.Questions, q)
			ps = append(ps, pending{q: q, a: a.Answer, sum: prev.sum})
			continue
		}
		b := report.SafeJSON(w.enc.answer(make([]byte, 0, 384), answerLineOf(q, a.Answer)))
		if len(b) >= MaxLine {
			// Beyond what a DNS message can hold: keep the question,
			// say why its answer is missing.
			tl.Truncated = true
			tl.Questions = append(tl.Questions, q)
			continue
		}
		tl.Questions = append(tl.Questions, q)
		ps = append(ps, pending{q: q, a: a.Answer, line: b, sum: maphash.Bytes(w.seed, b)})
	}
	fetches := make([][]byte, 0, len(l.Fetches))
	for _, f := range l.Fetches {
		b, err := encodeHTTPS(f)
		if err != nil {
			return err
		}
		fetches = append(fetches, report.SafeJSON(b))
	}
	return w.writeTarget(&tl, ps, fetches)
}

// pending is one answer of the target being written.
type pending struct {
	q    Question
	a    resolve.Answer
	line []byte // the answer line; nil when known to be in the window
	sum  uint64
	done bool
}

// writeTarget writes the answer lines of ps the window lacks, the https
// lines, then the target line.
func (w *Writer) writeTarget(tl *targetLine, ps []pending, fetches [][]byte) error {
	// Write each answer the window lacks. Writing may push out an older
	// line another question of this target relies on; the next round
	// writes that one again. Lines of this target are never pushed out,
	// so the rounds end.
	block := 0
	for progress := true; progress; {
		progress = false
		for i := range ps {
			p := &ps[i]
			if p.done {
				continue
			}
			if prev, ok := w.latest[p.q]; ok && prev.sum == p.sum {
				continue
			}
			if p.line == nil {
				// Known to be in the window, but a line written for this
				// target pushed it out: encode it after all.
				p.line = report.SafeJSON(w.enc.answer(nil, answerLineOf(p.q, p.a)))
			}
			if block+len(p.line) > MaxBlockBytes {
				tl.Truncated = true
				p.done = true // not written: the reader finds no answer
				continue
			}
			if err := w.write(p.line); err != nil {
				return err
			}
			block += len(p.line)
			w.answers++
			seq := w.win.add(p.q, len(p.line), func(old winLine) {
				if cur, ok := w.latest[old.key]; ok && cur.seq == old.seq {
					delete(w.latest, old.key)
				}
			})
			w.latest[p.q] = wroteLine{seq: seq, sum: p.sum, at: p.a.Time, lat: p.a.Latency}
			p.done, progress = true, true
		}
	}
	// The HTTPS responses, which no other target shares, come last, next
	// to their target line, outside the window.
	for i, line := range fetches {
		if i >= maxBlockHTTPS || len(line) >= MaxLine || block+len(line) > MaxBlockBytes {
			tl.Truncated = true
			continue
		}
		if err := w.write(line); err != nil {
			return err
		}
		block += len(line)
		w.https++
	}
	w.win.endBlock()
	w.targets++
	b, err := w.enc.target(nil, tl)
	if err != nil {
		return err
	}
	return w.write(report.SafeJSON(b))
}

// TargetEntry writes an entry read from another evidence file (with
// Reader.KeepLines), its answer and https lines as they were written there: mxscope
// merge uses it to put shards' evidence together without re-encoding, so
// that nothing a line said is lost. t replaces the entry's target.
func (w *Writer) TargetEntry(t targets.Target, e *Entry) error {
	if w.err != nil {
		return w.err
	}
	tl := targetLine{
		N: w.targets + 1, Line: t.Line, Position: t.Position, Domain: t.Domain, Input: t.Input, Unicode: t.Unicode,
		Labels: t.Labels, Invalid: t.Invalid, Questions: []Question{}, Truncated: e.Truncated,
	}
	ps := make([]pending, 0, len(e.Questions))
	for _, q := range e.Questions {
		tl.Questions = append(tl.Questions, q)
		b, ok := e.lines[q]
		if !ok {
			continue // not recorded there: not here either
		}
		ps = append(ps, pending{q: q, line: b, sum: maphash.Bytes(w.seed, b)})
	}
	return w.writeTarget(&tl, ps, e.https)
}

// Close writes the end line. complete is false when the scan was
// interrupted.
func (w *Writer) Close(complete bool, finished time.Time) error {
	return w.line("end", End{Targets: w.targets, Answers: w.answers, HTTPS: w.https, Finished: finished.UTC(), Complete: complete})
}

// TargetOf is the targets entry a scanned Result came from.
func TargetOf(r *scanner.Result) targets.Target {
	t := targets.Target{Domain: r.Domain, Input: r.Input, Unicode: r.Unicode, Labels: r.Labels, Line: r.Line, Position: r.Position}
	if r.Status == scanner.StatusInvalid {
		t.Invalid = r.Error
	}
	return t
}

// Stamp wraps the Querier a scan sends its questions to (the resolve
// Client, under the scan's cache) so that every answer carries when it was
// asked and how long it took, retries included: the time and latency of
// each answer line.
func Stamp(q resolve.Querier) resolve.Querier { return stamp{q: q, now: time.Now} }

type stamp struct {
	q   resolve.Querier
	now func() time.Time
}

func (s stamp) Query(ctx context.Context, name string, qtype uint16) resolve.Answer {
	start := s.now()
	a := s.q.Query(ctx, name, qtype)
	a.Latency = s.now().Sub(start)
	a.Time = start.UTC()
	return a
}

// QueryCD stamps a question asked with checking disabled, when the wrapped
// Querier can ask one (resolve.CDQuerier).
func (s stamp) QueryCD(ctx context.Context, name string, qtype uint16) resolve.Answer {
	cq, ok := s.q.(resolve.CDQuerier)
	if !ok {
		return resolve.Answer{Status: resolve.StatusError, Rcode: resolve.NoRcode, Err: resolve.ErrNoCD}
	}
	start := s.now()
	a := cq.QueryCD(ctx, name, qtype)
	a.Latency = s.now().Sub(start)
	a.Time = start.UTC()
	return a
}
