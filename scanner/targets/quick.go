package targets

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// quick builds, for an entry written on one line in one of the common
// shapes, the node yaml.v3 would build, several times faster than yaml.v3
// (which alone reads some 200,000 entries a second here). The shapes are
// a plain or quoted scalar, or a flow map of plain keys and plain or quoted
// scalars or flow lists of them, then an optional comment:
//
//	targets:
//	  - example.com
//	  - "example.com"
//	  - {domain: example.com, candidate: "Jane Doe", party: D, year: [2020, 2024]}
//
// It accepts only what it can read without doubt: ASCII, plain scalars of
// letters, digits, spaces and ._-/@+()' starting with a letter, digit or _,
// quoted scalars without escapes, spaces only where shown; anything else
// goes to yaml.v3. Plain scalars are typed by yaml.v3's own resolver
// (Node.ShortTag), as its parser types them, when they could be other than
// strings. FuzzQuickMatchesYAML checks
// that every node it builds is the one yaml.v3 builds.
type quick struct {
	s    string
	i    int
	line int
	slab [64]yaml.Node // reused: no target keeps a node
	used int
}

// item returns the entry of line (without its line break), whose dash is at
// column ind, or nil.
func (q *quick) item(line []byte, ind, lineNo int) *yaml.Node {
	if len(line) < ind+3 || line[ind] != '-' || line[ind+1] != ' ' {
		return nil
	}
	q.s, q.i, q.line, q.used = string(line), ind+2, lineNo, 0
	q.spaces()
	var n *yaml.Node
	if q.peek() == '{' {
		n = q.flowMap()
	} else {
		n = q.scalar()
	}
	if n == nil {
		return nil
	}
	end := q.i
	q.spaces()
	if q.i < len(q.s) && (q.s[q.i] != '#' || q.i == end || !printable(q.s[q.i:])) {
		return nil
	}
	return n
}

// printable reports whether a comment holds only ASCII that yaml.v3's
// reader accepts: a comment dropped unread must not hide a character that
// makes the file invalid.
func printable[T string | []byte](s T) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 || c > 0x7e) && c != '\t' {
			return false
		}
	}
	return true
}

func (q *quick) peek() byte {
	if q.i < len(q.s) {
		return q.s[q.i]
	}
	return 0
}

func (q *quick) spaces() {
	for q.i < len(q.s) && q.s[q.i] == ' ' {
		q.i++
	}
}

func (q *quick) node(kind yaml.Kind, tag, value string, style yaml.Style, at int) *yaml.Node {
	var n *yaml.Node
	if q.used < len(q.slab) {
		n = &q.slab[q.used]
		q.used++
	} else {
		n = new(yaml.Node)
	}
	*n = yaml.Node{Kind: kind, Tag: tag, Value: value, Style: style, Line: q.line, Column: at + 1,
		Content: n.Content[:0]}
	return n
}

func plainStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

func plainChar(c byte) bool {
	return plainStart(c) || strings.IndexByte("._-/@+()'", c) >= 0
}

// scalar reads a plain or quoted scalar. A plain one ends at anything but
// plainChar, or at spaces not followed by a plainChar, so it stops before
// ": ", " #", ",", "]" and "}" in block and flow context alike.
func (q *quick) scalar() *yaml.Node {
	start := q.i
	switch c := q.peek(); {
	case c == '"' || c == '\'':
		end := strings.IndexByte(q.s[start+1:], c)
		if end < 0 {
			return nil
		}
		v := q.s[start+1 : start+1+end]
		for i := 0; i < len(v); i++ {
			if v[i] < 0x20 || v[i] > 0x7e || v[i] == '\\' {
				return nil
			}
		}
		q.i = start + end + 2
		style := yaml.DoubleQuotedStyle
		if c == '\'' {
			// A '' would be an escaped quote; the caller rejects the
			// second quote, as nothing may follow a scalar directly.
			style = yaml.SingleQuotedStyle
		}
		return q.node(yaml.ScalarNode, "!!str", v, style, start)
	case !plainStart(c):
		return nil
	}
	for q.i < len(q.s) {
		if plainChar(q.s[q.i]) {
			q.i++
			continue
		}
		if q.s[q.i] == ' ' {
			j := q.i
			for j < len(q.s) && q.s[j] == ' ' {
				j++
			}
			if j < len(q.s) && plainChar(q.s[j]) {
				q.i = j
				continue
			}
		}
		break
	}
	n := q.node(yaml.ScalarNode, "!!str", q.s[start:q.i], 0, start)
	if strings.IndexByte("0123456789yYnNtTfFoO", q.s[start]) >= 0 {
		// yaml.v3 types a plain scalar only when it starts with one of
		// these (of those plainStart allows): 12, true, null... Asking it
		// costs an allocation, so the others are strings at once.
		n.Tag = ""
		n.Tag = n.ShortTag()
	}
	return n
}

// flowMap reads {key: value, ...}.
func (q *quick) flowMap() *yaml.Node {
	m := q.node(yaml.MappingNode, "!!map", "", yaml.FlowStyle, q.i)
	q.i++
	q.spaces()
	for {
		k := q.scalar()
		// yaml.v3 looks at most 1024 characters ahead for the ':' of a key.
		if k == nil || k.Style != 0 || q.peek() != ':' || len(k.Value) > 1000 {
			return nil
		}
		q.i++
		if q.peek() != ' ' {
			return nil
		}
		q.spaces()
		var v *yaml.Node
		if q.peek() == '[' {
			v = q.flowSeq()
		} else {
			v = q.scalar()
		}
		if v == nil {
			return nil
		}
		m.Content = append(m.Content, k, v)
		q.spaces()
		switch q.peek() {
		case ',':
			q.i++
			q.spaces()
		case '}':
			q.i++
			return m
		default:
			return nil
		}
	}
}

// flowSeq reads [scalar, ...].
func (q *quick) flowSeq() *yaml.Node {
	s := q.node(yaml.SequenceNode, "!!seq", "", yaml.FlowStyle, q.i)
	q.i++
	q.spaces()
	if q.peek() == ']' {
		q.i++
		return s
	}
	for {
		v := q.scalar()
		if v == nil {
			return nil
		}
		s.Content = append(s.Content, v)
		q.spaces()
		switch q.peek() {
		case ',':
			q.i++
			q.spaces()
		case ']':
			q.i++
			return s
		default:
			return nil
		}
	}
}
