package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"time"

	"github.com/mxscope/mxscope/providers"
	"github.com/mxscope/mxscope/scanner"
)

// jsonDoc writes one JSON document, streaming: Begin writes the header
// fields and opens "results", each Write appends one result, and End closes
// the array and adds the summary. No result is held after its Write.
type jsonDoc struct{ jsonStream }

func newJSON(w io.Writer) *jsonDoc { return &jsonDoc{jsonStream{out: bufio.NewWriter(w)}} }

func (j *jsonDoc) Begin(m scanner.Meta) error    { return j.begin(meta(m), "results") }
func (j *jsonDoc) Write(r *scanner.Result) error { return j.item(r) }
func (j *jsonDoc) End(s scanner.Summary) error   { return j.end(s) }

// jsonStream writes a document of a header object's fields, an array
// under key whose items come one at a time, and a summary, flushing as it
// goes: the scan's json report and the diff's.
type jsonStream struct {
	out *bufio.Writer
	n   int // items written
}

func (j *jsonStream) begin(header any, key string) error {
	b, err := marshal(header, "", "  ")
	if err != nil {
		return err
	}
	// Reopen the header object to add the array and the summary: the
	// header fields stay exactly the header's, with no second list of them.
	b = bytes.TrimSuffix(b, []byte("\n}"))
	j.out.Write(b)
	j.out.WriteString(",\n  \"" + key + "\": [")
	return j.out.Flush()
}

func (j *jsonStream) item(v any) error {
	b, err := marshal(v, "    ", "  ")
	if err != nil {
		return err
	}
	if j.n > 0 {
		j.out.WriteString(",")
	}
	j.n++
	j.out.WriteString("\n    ")
	j.out.Write(b)
	return j.out.Flush()
}

func (j *jsonStream) end(summary any) error {
	b, err := marshal(summary, "  ", "  ")
	if err != nil {
		return err
	}
	if j.n > 0 {
		j.out.WriteString("\n  ")
	}
	j.out.WriteString("],\n  \"summary\": ")
	j.out.Write(b)
	j.out.WriteString("\n}\n")
	return j.out.Flush()
}

// meta normalises the header: the start time in UTC, to the second
// (RFC 3339), so reports from different machines compare as text.
func meta(m scanner.Meta) scanner.Meta {
	m.Started = m.Started.UTC().Truncate(time.Second)
	return m
}

// marshal encodes v without HTML escaping (so "<" and "&" in records stay
// readable), indented when indent is set, without a trailing newline, and
// made terminal-safe by jsonSafe.
func marshal(v any, prefix, indent string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent(prefix, indent)
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return jsonSafe(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

func catalogJSON(w io.Writer, cat *providers.Catalog) error {
	b, err := marshal(struct {
		Catalog   string                `json:"catalog"`
		Providers []*providers.Provider `json:"providers"`
	}{cat.Version, cat.List()}, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
