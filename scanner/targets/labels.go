package targets

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Label is one key of a targets entry other than domain, with its value as
// YAML decoded it: string, int, bool, float64, nil, []any or map[string]any
// (timestamps stay the string as written; see Parse).
type Label struct {
	Key   string
	Value any
}

// Labels keeps an entry's keys in file order, which a Go map cannot: the CSV
// writer's columns and the JSON objects follow the order people wrote.
type Labels []Label

// Get returns the value of key and whether it is present.
func (l Labels) Get(key string) (any, bool) {
	for _, lb := range l {
		if lb.Key == key {
			return lb.Value, true
		}
	}
	return nil, false
}

// KeyOrder collects label keys in the order they are first seen: the
// columns of a CSV report and the label keys of every other report.
type KeyOrder struct {
	Keys []string
	seen map[string]bool
}

// Add notes the keys of ls not seen before.
func (o *KeyOrder) Add(ls Labels) {
	for _, l := range ls {
		if !o.seen[l.Key] {
			if o.seen == nil {
				o.seen = map[string]bool{}
			}
			o.seen[l.Key] = true
			o.Keys = append(o.Keys, l.Key)
		}
	}
}

// Keys returns the keys in order.
func (l Labels) Keys() []string {
	keys := make([]string, len(l))
	for i, lb := range l {
		keys[i] = lb.Key
	}
	return keys
}

// String formats the value of key for a CSV or table cell; "" when absent.
// See FormatValue.
func (l Labels) String(key string) string {
	v, _ := l.Get(key)
	return FormatValue(v)
}

// FormatValue formats a label value for a cell: strings as they are,
// numbers and booleans with fmt, lists joined with ";", maps as compact
// JSON, nil as "".
func FormatValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = FormatValue(e)
		}
		return strings.Join(parts, ";")
	case map[string]any:
		b, err := marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	default:
		return fmt.Sprint(v)
	}
}

// MarshalJSON writes a JSON object whose keys keep the file order. Values
// go through encoding/json; one that it cannot encode (a YAML .nan or .inf)
// is written as the string FormatValue gives it, so one odd label never
// fails a whole report. HTML characters are not escaped here; an enclosing
// json.Encoder applies its own setting.
func (l Labels) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, lb := range l {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := marshal(lb.Key)
		if err != nil {
			return nil, err
		}
		buf.Write(k)
		buf.WriteByte(':')
		v, err := marshal(lb.Value)
		if err != nil {
			if v, err = marshal(FormatValue(lb.Value)); err != nil {
				return nil, err
			}
		}
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// marshal is json.Marshal without HTML escaping and without the newline
// json.Encoder appends.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// UnmarshalJSON reads a JSON object back into Labels, keys in the order
// written, values with the types Parse gives them: a number without a
// fraction or exponent becomes an int (a uint64 past int64's range), any
// other a float64. A report or evidence file read back (diff, replay)
// therefore writes its labels byte for byte as the scan did.
func (l *Labels) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		*l = nil
		return nil
	}
	if tok != json.Delim('{') {
		return fmt.Errorf("targets: labels: want a JSON object, not %v", tok)
	}
	out := Labels{}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return err
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return err
		}
		out = append(out, Label{Key: k.(string), Value: fromJSON(v)})
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	*l = out
	return nil
}

// fromJSON turns json.Number values, at any depth, into the Go types a YAML
// label would have had.
func fromJSON(v any) any {
	switch v := v.(type) {
	case json.Number:
		s := string(v)
		if !strings.ContainsAny(s, ".eE") {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return int(i)
			}
			if u, err := strconv.ParseUint(s, 10, 64); err == nil {
				return u
			}
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return s
		}
		return f
	case []any:
		for i := range v {
			v[i] = fromJSON(v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = fromJSON(v[k])
		}
	}
	return v
}
