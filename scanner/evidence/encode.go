package evidence

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// lineEncoder writes answer and target lines without reflection: a scan
// with --evidence writes one line per new answer and one per target, and
// encoding/json was, measured, most of the evidence file's cost. The bytes
// are exactly what marshalLine gives for the same struct
// (TestEncoderMatchesMarshal).
type lineEncoder struct {
	scratch bytes.Buffer
	enc     *json.Encoder
}

// str writes s as a JSON string: printable ASCII other than '"' and '\'
// (nearly all of it: names and records are in presentation form) as it is,
// anything else through encoding/json, whose escaping stays the only one.
func (e *lineEncoder) str(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' {
			if e.enc == nil {
				e.enc = json.NewEncoder(&e.scratch)
				e.enc.SetEscapeHTML(false)
			}
			e.scratch.Reset()
			_ = e.enc.Encode(s) // a string always encodes
			return append(b, bytes.TrimSuffix(e.scratch.Bytes(), []byte("\n"))...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// opt writes `,"key":"s"`, or nothing for "" (omitempty).
func (e *lineEncoder) opt(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return e.str(append(b, key...), s)
}

func (e *lineEncoder) strs(b []byte, key string, ss []string) []byte {
	if len(ss) == 0 {
		return b
	}
	b = append(b, key...)
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = e.str(b, s)
	}
	return append(b, ']')
}

func flag(b []byte, key string, v bool) []byte {
	if !v {
		return b
	}
	return append(append(b, key...), "true"...)
}

func (e *lineEncoder) answer(b []byte, l *answerLine) []byte {
	b = append(b, `{"type":"answer","name":`...)
	b = e.str(b, l.Name)
	b = e.str(append(b, `,"qtype":`...), l.QType)
	b = flag(b, `,"cd":`, l.CD)
	b = e.str(append(b, `,"status":`...), l.Status)
	b = e.opt(b, `,"rcode":`, l.Rcode)
	b = e.opt(b, `,"server":`, l.Server)
	b = e.opt(b, `,"transport":`, l.Transport)
	b = flag(b, `,"ad":`, l.AD)
	b = flag(b, `,"tc":`, l.TC)
	b = e.opt(b, `,"time":`, l.Time)
	if l.LatencyMS != "" {
		b = append(append(b, `,"latency_ms":`...), l.LatencyMS...)
	}
	b = e.strs(b, `,"records":`, l.Records)
	b = e.strs(b, `,"cnames":`, l.CNAMEs)
	b = e.opt(b, `,"error":`, l.Error)
	return append(b, '}')
}

func (e *lineEncoder) target(b []byte, t *targetLine) ([]byte, error) {
	b = append(b, `{"type":"target","n":`...)
	b = strconv.AppendInt(b, int64(t.N), 10)
	if t.Line != 0 {
		b = strconv.AppendInt(append(b, `,"line":`...), int64(t.Line), 10)
	}
	if t.Position != 0 {
		b = strconv.AppendInt(append(b, `,"position":`...), int64(t.Position), 10)
	}
	b = e.str(append(b, `,"domain":`...), t.Domain)
	b = e.opt(b, `,"input":`, t.Input)
	b = e.opt(b, `,"unicode":`, t.Unicode)
	if len(t.Labels) > 0 {
		lb, err := t.Labels.MarshalJSON()
		if err != nil {
			return nil, err
		}
		var c bytes.Buffer
		if err := json.Compact(&c, lb); err != nil {
			return nil, err
		}
		b = append(append(b, `,"labels":`...), c.Bytes()...)
	}
	b = e.opt(b, `,"invalid":`, t.Invalid)
	b = append(b, `,"questions":[`...)
	for i, q := range t.Questions {
		if i > 0 {
			b = append(b, ',')
		}
		b = e.str(append(b, '['), q.Name)
		b = e.str(append(b, ','), typeString(q.Type))
		if q.CD {
			b = append(b, `,"cd"`...)
		}
		b = append(b, ']')
	}
	b = append(b, ']')
	b = flag(b, `,"truncated":`, t.Truncated)
	return append(b, '}'), nil
}
