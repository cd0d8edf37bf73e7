package targets

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Where a YAML error is.
//
// yaml.v3 names a line in its errors, but for most parser errors ("did
// not find expected key") that line is where the enclosing block or flow
// collection began, counted from 0: the line before it, often far before
// the fault. An unknown anchor names no line at all. syntaxError finds the
// line itself: the fault is on the first line whose inclusion makes the
// text fail with the same message (parsing stops at the fault, so the text
// up to any earlier line either parses or fails differently). It tries
// prefixes of the text ending at line ends, by bisection between a line the
// fault cannot be before and the line yaml.v3 had read up to when it failed
// (countingReader), which is at most a few hundred bytes past the fault.

var lineRE = regexp.MustCompile(`^yaml: line (\d+): `)

var unknownAnchorRE = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)

// syntaxError turns a yaml error into "name:line: yaml: msg". read is how
// many bytes of data the decoder had read when it failed (len(data) when
// unknown). The reader's errors (control characters, invalid UTF-8) carry
// no line; it is found by looking for the offending byte.
func syntaxError(name string, data []byte, err error, read int) error {
	msg := err.Error()
	var line int
	m := lineRE.FindStringSubmatch(msg)
	switch {
	case m != nil:
		line, _ = strconv.Atoi(m[1])
		msg = "yaml: " + msg[len(m[0]):]
		line = faultLine(data, msg, max(line, 1), read)
	case unknownAnchorRE.MatchString(msg):
		from := 1
		// The alias is at or after the first place its text appears.
		if i := bytes.Index(data, []byte("*"+unknownAnchorRE.FindStringSubmatch(msg)[1])); i >= 0 {
			from = lineAt(data, i)
		}
		line = faultLine(data, msg, from, read)
	default:
		line = badByteLine(data)
	}
	return &FileError{Name: name, Line: line, Msg: msg, Err: ErrSyntax}
}

// maxRefine bounds the text syntaxError parses again to find a line: each
// try parses up to that much (yaml.v3 reads some 5 MB a second), so a
// larger whole document keeps yaml.v3's line.
const maxRefine = 8 << 20

// faultLine returns the first line from which on data's prefixes fail
// with msg, looking from line from up to the line holding byte read; from
// when none in that range does.
func faultLine(data []byte, msg string, from, read int) int {
	read = min(max(read, 0), len(data))
	ends := lineEnds(data, from, lineAt(data, max(read-1, 0)))
	if len(ends) == 0 || ends[len(ends)-1] > maxRefine {
		return from
	}
	// ends[i] is the end of line from+i. The first prefix that fails with
	// msg holds the fault, unless msg is about a collection left open
	// ("did not find expected ',' or ']'"): a prefix that stops inside a
	// flow collection fails that way at its end. A prefix holds the fault
	// when closing the collection after it changes nothing; when none
	// does, the collection was never closed, and the line is where it was
	// opened: the first prefix that fails with msg.
	fails := func(i int) bool { return firstError(data[:ends[i]]) == msg }
	closed := func(i int) bool {
		p := data[:ends[i]]
		for _, end := range []string{"\n]", "\n}"} {
			if firstError(append(p[:len(p):len(p)], end...)) != msg {
				return false
			}
		}
		return true
	}
	last := len(ends) - 1
	if !fails(last) {
		return from
	}
	first := firstTrue(0, last, fails)
	if closed(first) || !closed(last) {
		return from + first
	}
	return from + firstTrue(first+1, last, func(i int) bool { return fails(i) && closed(i) })
}

// firstTrue returns the least i in [lo, hi] for which f holds, given that
// f(hi) holds and f holds from some i on.
func firstTrue(lo, hi int, f func(int) bool) int {
	for lo < hi {
		mid := (lo + hi) / 2
		if f(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// firstError parses data as the loaders do (one document, then nothing)
// and returns the message of its first error without yaml.v3's line, or "".
func firstError(data []byte) string {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc, next yaml.Node
	err := decode(dec, &doc)
	if err == nil {
		if err = decode(dec, &next); err == nil || errors.Is(err, io.EOF) {
			return ""
		}
	}
	if errors.Is(err, io.EOF) {
		return ""
	}
	msg := err.Error()
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		msg = "yaml: " + msg[len(m[0]):]
	}
	return msg
}

// lineEnds returns the offsets just past the line break of each line from
// first to last (1-based, inclusive); the last line may end at the end of
// data without one. Line breaks are YAML's: LF, CRLF, a lone CR, NEL, LS
// and PS.
func lineEnds(data []byte, first, last int) []int {
	var ends []int
	line := 1
	for i := 0; i < len(data) && line <= last; {
		n := breakAt(data, i)
		if n == 0 {
			_, size := utf8.DecodeRune(data[i:])
			i += size
			continue
		}
		i += n
		if line >= first {
			ends = append(ends, i)
		}
		line++
	}
	if line <= last && line >= first && (len(ends) == 0 || ends[len(ends)-1] < len(data)) {
		ends = append(ends, len(data))
	}
	return ends
}

// breakAt returns the length of the line break at data[i:], 0 for none.
func breakAt(data []byte, i int) int {
	switch c := data[i]; {
	case c == '\n':
		return 1
	case c == '\r':
		if i+1 < len(data) && data[i+1] == '\n' {
			return 2
		}
		return 1
	case c == 0xc2 && i+1 < len(data) && data[i+1] == 0x85: // NEL
		return 2
	case c == 0xe2 && i+2 < len(data) && data[i+1] == 0x80 && (data[i+2] == 0xa8 || data[i+2] == 0xa9): // LS, PS
		return 3
	}
	return 0
}

// lineAt returns the 1-based line of offset off.
func lineAt(data []byte, off int) int {
	line := 1
	for i := 0; i < len(data) && i < off; {
		if n := breakAt(data, i); n > 0 {
			if i+n <= off {
				line++
			}
			i += n
			continue
		}
		i++
	}
	return line
}

// badByteLine returns the line of the first byte YAML does not accept
// (invalid UTF-8 or a control character), or 0.
func badByteLine(data []byte) int {
	line := 1
	for i := 0; i < len(data); {
		if n := breakAt(data, i); n > 0 {
			line++
			i += n
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1,
			r < 0x20 && r != '\t',
			r == 0x7f, 0x80 <= r && r <= 0x9f, r == 0xfffe, r == 0xffff:
			return line
		}
		i += size
	}
	return 0
}

// countingReader counts the bytes a decoder has read, which tells
// syntaxError how far yaml.v3 got.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
