package report

import (
	"bufio"
	"io"

	"github.com/mxscope/mxscope/providers"
	"github.com/mxscope/mxscope/scanner"
)

// jsonl writes JSON Lines: a {"type":"meta",...} line, one Result object per
// line (exactly the Result JSON, no "type" key), and a {"type":"summary",...}
// line. Every line is flushed as it is written, so `tail -f` and a pipe to
// jq see each result as soon as it is scanned.
type jsonl struct {
	out *bufio.Writer
	enc resultEncoder
	buf []byte // reused for every result line
}

func newJSONL(w io.Writer) *jsonl { return &jsonl{out: bufio.NewWriter(w)} }

func (j *jsonl) Begin(m scanner.Meta) error { return j.line("meta", meta(m)) }

func (j *jsonl) Write(r *scanner.Result) error {
	if !fastResultJSON {
		return j.line("", r)
	}
	b, nonASCII, ok := j.enc.appendResult(j.buf[:0], r)
	if !ok {
		return j.line("", r)
	}
	j.buf = b
	if nonASCII { // plain ASCII needs no terminal escaping
		b = jsonSafe(b)
	}
	j.out.Write(b)
	j.out.WriteByte('\n')
	return j.out.Flush()
}

func (j *jsonl) End(s scanner.Summary) error { return j.line("summary", s) }

// line writes v as one line; a non-empty typ becomes a leading "type" key.
func (j *jsonl) line(typ string, v any) error {
	b, err := marshal(v, "", "")
	if err != nil {
		return err
	}
	if typ != "" {
		b = withType(typ, b)
	}
	j.out.Write(b)
	j.out.WriteByte('\n')
	return j.out.Flush()
}

// withType inserts "type":typ as the first key of the JSON object b.
func withType(typ string, b []byte) []byte {
	t := `{"type":"` + typ + `"`
	if string(b) == "{}" {
		return []byte(t + "}")
	}
	return append([]byte(t+","), b[1:]...)
}

func catalogJSONL(w io.Writer, cat *providers.Catalog) error {
	j := newJSONL(w)
	for _, p := range cat.List() {
		if err := j.line("", p); err != nil {
			return err
		}
	}
	return nil
}
