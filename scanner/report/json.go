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
type jsonDoc struct {
	out *bufio.Writer
	n   int
}

func newJSON(w io.Writer) *jsonDoc { return &jsonDoc{out: bufio.NewWriter(w)} }

func (j *jsonDoc) Begin(m scanner.Meta) error {
	b, err := marshal(meta(m), "", "  ")
	if err != nil {
		return err
	}
	// Reopen the header object to add the results array and the summary:
	// the header fields stay exactly Meta's, with no second list of them.
	b = bytes.TrimSuffix(b, []byte("\n}"))
	j.out.Write(b)
	j.out.WriteString(",\n  \"results\": [")
	return j.out.Flush()
}

func (j *jsonDoc) Write(r *scanner.Result) error {
	b, err := marshal(r, "    ", "  ")
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

func (j *jsonDoc) End(s scanner.Summary) error {
	b, err := marshal(s, "  ", "  ")
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
