package evidence

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/internal/lines"
	"github.com/mxscope/mxscope/scanner/mtasts"
	"github.com/mxscope/mxscope/scanner/resolve"
	"github.com/mxscope/mxscope/scanner/targets"
)

// Entry is one target of the file with the answers its questions get.
type Entry struct {
	N         int            // its position in the scan's input, 1-based
	Target    targets.Target // as the targets file gave it
	Questions []Question     // what its verdicts used, in the order first asked
	// Fetches are the HTTPS responses recorded for it (its MTA-STS policy
	// fetch), in the order written; a line that cannot be read back is a
	// failed Response that says so.
	Fetches []mtasts.Response
	// Truncated: the scan kept only part of this target's answers.
	Truncated bool
	answers   map[Question]resolve.Answer
	lines     map[Question][]byte // the answer lines as written, with Reader.KeepLines
	https     [][]byte            // and the https lines
}

// Fetch returns the response recorded for url, or a failure saying that
// none is: the policy is then "not fetched", never invented.
func (e *Entry) Fetch(url string) mtasts.Response {
	for i := len(e.Fetches) - 1; i >= 0; i-- {
		if e.Fetches[i].URL == url {
			return e.Fetches[i]
		}
	}
	return mtasts.Response{URL: url, Class: mtasts.ClassNotRecorded,
		Err: "not fetched: evidence: no HTTPS response recorded for " + url}
}

// Answer returns the recorded answer to q, or a failure wrapping
// ErrNotRecorded.
func (e *Entry) Answer(q Question) resolve.Answer {
	q.Name = KeyName(q.Name)
	if a, ok := e.answers[q]; ok {
		return a
	}
	return resolve.Answer{Status: resolve.StatusError, Rcode: resolve.NoRcode,
		Err: fmt.Errorf("%w for %s", ErrNotRecorded, q)}
}

// Querier answers the target's lookups, and its MTA-STS policy fetch (it
// is an mtasts.Getter), from the evidence alone: replay's source of
// answers in place of the network.
func (e *Entry) Querier() resolve.Querier { return entryQuerier{e} }

type entryQuerier struct{ e *Entry }

var _ mtasts.Getter = entryQuerier{}

// Get answers the policy fetch of domain with the recorded response. The
// addresses are those the replay looked up from the recorded answers, so
// the ones the scan dialled.
func (q entryQuerier) Get(_ context.Context, domain string, _ []netip.Addr) mtasts.Response {
	return q.e.Fetch(mtasts.URL(domain))
}

func (q entryQuerier) Query(_ context.Context, name string, qtype uint16) resolve.Answer {
	return q.e.Answer(Question{Name: name, Type: qtype})
}

// QueryCD answers a question the scan asked with checking disabled.
func (q entryQuerier) QueryCD(_ context.Context, name string, qtype uint16) resolve.Answer {
	return q.e.Answer(Question{Name: name, Type: qtype, CD: true})
}

// Reader reads an evidence file one target at a time, holding no more than
// the window and the current target's answers.
type Reader struct {
	br   *bufio.Reader
	name string // for messages
	line int    // lines read
	meta Meta
	end  *End

	win    window
	latest map[Question]*heldLine
	fetch  []heldFetch // the https lines since the last target line
	block  int         // bytes of the current target's answer and https lines
	nblock int         // its answer lines
	nfetch int         // its https lines
	cut    bool
	skip   bool // SkipAnswers
	keep   bool // KeepLines
}

// KeepLines makes each Entry keep its answer and https lines as they were written,
// for Writer.TargetEntry and Spool, instead of decoded answers: mxscope
// merge copies answers without decoding and encoding them again.
func (r *Reader) KeepLines() { r.keep = true }

// SkipAnswers makes Next check answer lines but keep none, and return
// targets without answers: a first pass that counts targets and collects
// label keys before a replay.
func (r *Reader) SkipAnswers() { r.skip = true }

// maxBlockLines caps the answer lines before one target line: the Writer
// writes each of a target's questions at most once, and a target asks at
// most scanner.MaxAsked.
const maxBlockLines = 4 * scanner.MaxAsked

// heldLine is an answer line in the window, parsed when first needed.
type heldLine struct {
	seq    int64
	lineNo int
	raw    []byte
	parsed *resolve.Answer
}

// heldFetch is an https line waiting for its target line.
type heldFetch struct {
	url    string
	lineNo int
	raw    []byte
}

// NewReader reads the meta line. name labels error messages ("file:line").
func NewReader(r io.Reader, name string) (*Reader, error) {
	rd := &Reader{br: bufio.NewReaderSize(r, 64<<10), name: name, latest: map[Question]*heldLine{}}
	b, err := rd.next()
	if err == io.EOF {
		return nil, fmt.Errorf("%w: %s is empty", ErrFormat, name)
	}
	if err != nil {
		return nil, err
	}
	var m struct {
		Type string `json:"type"`
		Meta
	}
	if err := json.Unmarshal(b, &m); err != nil || m.Type != "meta" || m.Format != Format {
		return nil, fmt.Errorf("%w: %s:%d does not start with an evidence meta line (scan --evidence writes one)", ErrFormat, name, rd.line)
	}
	switch {
	case m.FormatVersion < 1:
		return nil, fmt.Errorf("%w: %s: format_version %d", ErrFormat, name, m.FormatVersion)
	case m.FormatVersion > Version:
		return nil, fmt.Errorf("%w: %s has format_version %d; this mxscope reads up to %d (hint: use a newer mxscope)", ErrFormat, name, m.FormatVersion, Version)
	case m.Window < 0 || m.Window > MaxWindow || m.WindowBytes < 0 || m.WindowBytes > MaxWindowBytes:
		return nil, fmt.Errorf("%w: %s: a window of %d lines and %d bytes is outside what a reader keeps (%d, %d)", ErrFormat, name, m.Window, m.WindowBytes, MaxWindow, MaxWindowBytes)
	}
	rd.meta = m.Meta
	rd.win = window{max: m.Window, maxBytes: m.WindowBytes, blockStart: 1}
	return rd, nil
}

// Meta is the file's meta line.
func (r *Reader) Meta() Meta { return r.meta }

// End is the file's end line, once Next has returned io.EOF; nil when the
// file has none, or was cut inside a line after it: it was cut short.
func (r *Reader) End() *End {
	if r.cut {
		return nil
	}
	return r.end
}

// Next returns the next target, or io.EOF after the last.
func (r *Reader) Next() (*Entry, error) {
	for {
		b, err := r.next()
		if err != nil {
			return nil, err
		}
		var head struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(b, &head); err != nil {
			return nil, r.errorf("not JSON: %v", err)
		}
		switch head.Type {
		case "answer":
			if err := r.answer(b); err != nil {
				return nil, err
			}
		case "https":
			if err := r.https(b); err != nil {
				return nil, err
			}
		case "target":
			return r.target(b)
		case "end":
			var e End
			if err := json.Unmarshal(b, &e); err != nil {
				return nil, r.errorf("end line: %v", err)
			}
			r.end = &e
		case "meta":
			return nil, r.errorf("a second meta line: one file holds one scan")
		default:
			// A line type a newer mxscope added: nothing this one needs.
		}
	}
}

func (r *Reader) answer(b []byte) error {
	var key struct {
		Name  string `json:"name"`
		QType string `json:"qtype"`
		CD    bool   `json:"cd"`
	}
	if err := json.Unmarshal(b, &key); err != nil {
		return r.errorf("answer line: %v", err)
	}
	t, ok := parseType(key.QType)
	if !ok {
		return r.errorf("answer line: unknown qtype %q", key.QType)
	}
	r.block += len(b)
	if r.nblock++; r.block > MaxBlockBytes || r.nblock > maxBlockLines {
		return r.errorf("one target's answers exceed %d lines or %d bytes", maxBlockLines, MaxBlockBytes)
	}
	if r.skip {
		return nil
	}
	q := Question{Name: KeyName(key.Name), Type: t, CD: key.CD}
	h := &heldLine{lineNo: r.line, raw: bytes.Clone(b)}
	h.seq = r.win.add(q, len(b), func(old winLine) {
		if cur, ok := r.latest[old.key]; ok && cur.seq == old.seq {
			delete(r.latest, old.key)
		}
	})
	r.latest[q] = h
	return nil
}

func (r *Reader) https(b []byte) error {
	url, err := httpsURL(b)
	if err != nil {
		return r.errorf("https line: %v", err)
	}
	r.block += len(b)
	if r.nfetch++; r.block > MaxBlockBytes || r.nfetch > maxBlockHTTPS {
		return r.errorf("one target's https lines exceed %d lines or its lines %d bytes", maxBlockHTTPS, MaxBlockBytes)
	}
	if !r.skip {
		r.fetch = append(r.fetch, heldFetch{url: url, lineNo: r.line, raw: bytes.Clone(b)})
	}
	return nil
}

func (r *Reader) target(b []byte) (*Entry, error) {
	var tl targetLine
	if err := json.Unmarshal(b, &tl); err != nil {
		return nil, r.errorf("target line: %v", err)
	}
	e := &Entry{
		N:         tl.N,
		Target:    targets.Target{Domain: tl.Domain, Input: tl.Input, Unicode: tl.Unicode, Labels: tl.Labels, Line: tl.Line, Position: tl.Position, Invalid: tl.Invalid},
		Questions: tl.Questions,
		Truncated: tl.Truncated,
		answers:   make(map[Question]resolve.Answer, len(tl.Questions)),
	}
	if e.Target.Invalid == "" {
		if ascii, _, err := targets.Normalize(e.Target.Domain); err != nil || ascii != e.Target.Domain {
			e.Target.Invalid = "the evidence file names no valid domain here"
		}
	}
	for _, q := range tl.Questions {
		if r.skip {
			break
		}
		h := r.latest[q]
		if h == nil {
			continue // Answer reports it as not recorded
		}
		if r.keep {
			if e.lines == nil {
				e.lines = make(map[Question][]byte, len(tl.Questions))
			}
			e.lines[q] = h.raw
			continue
		}
		if h.parsed == nil {
			a := decodeAnswer(h.raw, r.name+":"+strconv.Itoa(h.lineNo))
			h.parsed = &a
		}
		e.answers[q] = *h.parsed
	}
	for _, f := range r.fetch {
		if r.keep {
			e.https = append(e.https, f.raw)
			continue
		}
		e.Fetches = append(e.Fetches, decodeHTTPS(f.raw, f.url, r.name+":"+strconv.Itoa(f.lineNo)))
	}
	r.win.endBlock()
	r.block, r.nblock, r.nfetch, r.fetch = 0, 0, 0, nil
	return e, nil
}

// next returns the next non-empty line without its line ending, or io.EOF.
func (r *Reader) next() ([]byte, error) {
	for {
		b, err := r.readLine()
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(b)) > 0 {
			return b, nil
		}
	}
}

// readLine reads one line of at most MaxLine bytes, without its line
// break.
func (r *Reader) readLine() ([]byte, error) {
	b, err := lines.Read(r.br, MaxLine+2) // the bound is the line's, not its CR LF's
	switch {
	case errors.Is(err, lines.ErrTooLong):
		r.line++
		return nil, r.errorf("line longer than %d bytes", MaxLine)
	case err != nil:
		return nil, err
	}
	r.line++
	if !bytes.HasSuffix(b, []byte("\n")) {
		// The file was cut inside a line (a copy that did not finish):
		// what came before is still good, and End is nil.
		r.cut = true
		return nil, io.EOF
	}
	b = bytes.TrimSuffix(bytes.TrimSuffix(b, []byte("\n")), []byte("\r"))
	if len(b) > MaxLine {
		return nil, r.errorf("line longer than %d bytes", MaxLine)
	}
	return b, nil
}

func (r *Reader) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s:%d: %s", ErrFormat, r.name, r.line, fmt.Sprintf(format, args...))
}
