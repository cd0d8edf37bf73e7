package targets

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// A list of domains one per line, as `cut`, `grep` or a spreadsheet
// column produce it:
//
//	# campaigns
//	joebiden.com
//	donaldjtrump.com   # the 2020 site
//
// is not a YAML targets file: YAML reads it as one string. IsLineList
// recognises such a list, and StreamLines reads it. No YAML targets file is
// a line list (a list needs "- " or "[", a map a "key:"), so a reader may
// try IsLineList first without misreading any YAML.

// IsLineList reports whether r holds a list of domains one per line: at
// least one entry line, and no other lines but blank ones and comments. An
// entry line does not start with a YAML indicator ("-", "[", "{", "&",
// "*", "!", "|", ">", "%", "@", "`", quotes, "?", ":", ",") and holds no
// mapping (": ", or ":" at its end); it may end in a # comment. It reads
// at most MaxStreamSize bytes.
func IsLineList(r io.Reader) (bool, error) {
	entries := 0
	err := eachLine(r, func(_ int, line []byte) error {
		text, ok := lineEntry(line)
		switch {
		case !ok:
			return errNotLines
		case text != nil:
			entries++
		}
		return nil
	})
	if errors.Is(err, errNotLines) {
		return false, nil
	}
	return entries > 0 && err == nil, err
}

var errNotLines = errors.New("targets: not a line list")

// lineEntry returns the entry on line without its comment, nil for a blank
// or comment line, and false when the line is not one of a line list.
func lineEntry(line []byte) ([]byte, bool) {
	line = bytes.TrimSpace(bytes.TrimPrefix(line, bom))
	if len(line) == 0 || line[0] == '#' {
		return nil, true
	}
	for i := 1; i < len(line); i++ { // a comment starts at a blank and #
		if line[i] == '#' && (line[i-1] == ' ' || line[i-1] == '\t') {
			line = bytes.TrimSpace(line[:i])
			break
		}
	}
	if bytes.IndexByte([]byte("-[{&*!|>%@`\"'?:,"), line[0]) >= 0 || line[len(line)-1] == ':' ||
		bytes.Contains(line, []byte(": ")) || bytes.Contains(line, []byte(":\t")) {
		return nil, false
	}
	return line, true
}

// StreamLines reads a list of domains one per line (see IsLineList) and
// calls yield for each, in order, with its line; blank lines and comments
// are skipped. Each line is read as an entry of a targets file is:
// normalised, invalid with a reason when it is not a domain ("not a
// domain" has blanks in it), dropped with a warning when it repeats an
// earlier one. It reads at most MaxStreamSize bytes.
func StreamLines(r io.Reader, name string, yield func(Target) error, warn func(Warning)) error {
	out := newSink(name, yield, warn, 0)
	p := newParser(name, 0)
	n := 0
	err := eachLine(r, func(line int, text []byte) error {
		entry, ok := lineEntry(text)
		if ok && entry == nil {
			return nil
		}
		n++
		t := Target{Line: line}
		if !ok {
			entry = bytes.TrimSpace(text)
		}
		t.setDomain(string(entry))
		return out.add(p, t)
	})
	switch {
	case errors.Is(err, ErrTooLarge):
		return tooLarge(name, MaxStreamSize)
	case err != nil:
		return err
	}
	if n == 0 {
		return &FileError{Name: name, Msg: "no targets: the list is empty", Err: ErrEmpty}
	}
	return nil
}

// eachLine calls fn with each line of r (at most maxLine bytes of it, the
// rest cut off) and its number; LF, CRLF and a lone CR end a line. It
// reads at most MaxStreamSize bytes, and returns ErrTooLarge beyond.
func eachLine(r io.Reader, fn func(n int, line []byte) error) error {
	lim := &io.LimitedReader{R: r, N: MaxStreamSize + 1}
	br := bufio.NewReaderSize(newCRReader(lim), maxLine)
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			line = bytes.Clone(line)
			for err == bufio.ErrBufferFull {
				_, err = br.ReadSlice('\n')
			}
		}
		if lim.N <= 0 {
			return ErrTooLarge
		}
		if err != nil && err != io.EOF {
			return err
		}
		if len(line) > 0 {
			if ferr := fn(n, trimEOL(line)); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}
