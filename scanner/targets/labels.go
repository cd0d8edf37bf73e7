package targets

import (
	"bytes"
	"encoding/json"
	"fmt"
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
