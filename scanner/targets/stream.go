package targets

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// How Stream works, and why it agrees with Parse.
//
// A large targets file is a block list, at the top level or under a
// top-level targets: key, one entry per "- " line at a fixed column:
//
//	defaults: {cycle: 2024}           head: parsed whole, with a placeholder
//	targets:                          for the list and the tail ("skeleton")
//	  - a.example                     list: cut into entries at the "- "
//	  - {domain: b.example, party: D} lines of its column, read in batches
//	  - domain: c.example
//	    party: R
//	notes: kept out of the list       tail
//
// Stream reads the input twice. The first pass (survey) reads it line by
// line in constant memory: it measures it (the alias budget depends on the
// size), finds the head, the list and the tail, and rejects what it cannot
// cut safely. The second pass checks the skeleton (head, one placeholder
// entry, tail) with the same code as Parse, which also reads defaults: from
// anywhere in the map, then reads the list's entries: an entry of a common
// one-line shape directly (quick.go), the others with yaml.v3, some
// thousand consecutive entries at a time, as a document of their own whose
// node lines are shifted back to the file's.
//
// A batch parses alone exactly as it parses in the file: it starts at an
// entry, and the only YAML that could carry on past the line before the next
// entry of the list's column (a quoted scalar, a flow collection) would be
// left unclosed and fail; an alias to an anchor outside the batch fails too.
// Any such failure, and anything the survey or the skeleton does not accept,
// sends the whole input to parseDocument, which gives Parse's exact result
// and error; targets already handed on are not handed on again. So the input
// must be readable twice: Stream seeks back when it can, and otherwise keeps
// a copy, in memory up to 8 MiB and beyond that in a temporary file.

// MaxStreamSize caps the input of Stream. The memory Stream needs does not
// grow with the file, apart from the dedupe set (15 to 30 bytes per
// distinct domain), but a file it cannot stream (see Stream) is parsed
// whole, and is limited to MaxWholeSize and MaxWholeNodes.
const MaxStreamSize = 256 << 20

// Limits of a document parsed whole, which yaml.v3 holds as a tree of some
// 170 bytes a node (measured: 9 times the text for a flow list of domains,
// 80 times for one of one-letter entries) until its last target is read:
// with these the tree stays under 64 MiB and the text under 16 MiB, so a
// scan stays within mxscope's 256 MiB whatever shape its targets file has.
// nodeBound counts the nodes from the bytes, before parsing; a flow list of
// plain domains may hold some 190,000 of them, one of maps with two keys
// some 28,000. A larger file is refused with a message that says to write
// one entry per line, which is read in constant memory.
const (
	MaxWholeSize  = 16 << 20
	MaxWholeNodes = 64 << 20 / 170
)

const (
	// maxLine caps a line of a streamed file; a longer one (a flow list on
	// one line) is parsed whole.
	maxLine = 64 << 10
	// maxItem caps the text of one entry of a streamed list.
	maxItem = 1 << 20
	// maxSide caps the text before and after the list, which is parsed whole.
	maxSide = 1 << 20
)

// config holds the limits of stream, so that tests can make them small.
type config struct {
	limit      int64 // the most input read
	wholeLimit int64 // the most input parsed as a whole document...
	wholeNodes int   // ...and the most YAML nodes it may hold (nodeBound)
	runItems   int   // entries per yaml.v3 parse of the list...
	runBytes   int   // ...and bytes
	spoolMem   int   // an unseekable input is kept in memory up to this size
}

var defaultConfig = config{
	limit:      MaxStreamSize,
	wholeLimit: MaxWholeSize,
	wholeNodes: MaxWholeNodes,
	runItems:   1000,
	runBytes:   256 << 10,
	spoolMem:   8 << 20,
}

// Stream reads targets from r and calls yield for each, in file order, as it
// goes; warn, which may be nil, gets the warnings (duplicates) as they are
// found. Targets, warnings and errors are those of Parse, but a *FileError
// may come after some targets have been yielded. Stream returns the first
// error from yield, unchanged, or a *FileError for a file that is not YAML
// or not shaped like a targets file.
//
// Memory is bounded by a batch of entries and the dedupe set, not by the
// file, when the file has the usual shape of a large one: a block list (a
// "- " line per entry) at the top level or under a top-level targets: key.
// Entries may take several lines, defaults: may come before or after the
// list, and other keys may hold up to 1 MiB. Anything else (a flow list, a
// line longer than 64 KiB, an entry larger than 1 MiB, an alias to an
// anchor in another entry, YAML directives, line breaks other than LF, CRLF
// and CR) is parsed as a whole document, as Parse does, and is then limited
// to MaxWholeSize bytes and MaxWholeNodes nodes. Stream reads r twice: it seeks back when r is a regular file
// or another io.Seeker, and otherwise copies r to memory or, beyond 8 MiB,
// to a temporary file.
func Stream(r io.Reader, name string, yield func(Target) error, warn func(Warning)) error {
	_, err := defaultConfig.stream(r, name, yield, warn)
	return err
}

// StreamFile is Stream for the file at path; "-" reads standard input,
// named "stdin" in messages.
func StreamFile(path string, yield func(Target) error, warn func(Warning)) error {
	if path == "-" {
		return Stream(os.Stdin, "stdin", yield, warn)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return Stream(f, path, yield, warn)
}

// Keys returns the label keys of the targets in r, in first-seen order,
// without keeping the targets: a first pass for a CSV header. Defaults
// count; a dropped duplicate does not.
func Keys(r io.Reader, name string) ([]string, error) {
	keys := KeyOrder{Keys: []string{}}
	err := Stream(r, name, func(t Target) error {
		keys.Add(t.Labels)
		return nil
	}, nil)
	if err != nil {
		return nil, err
	}
	return keys.Keys, nil
}

// fallback is why the input cannot be streamed.
type fallback struct {
	why  string
	line int   // where, when known
	err  error // the error the streaming path met, if any, with its line in the file
}

func (f *fallback) Error() string { return f.why }

// stream is Stream with c's limits. It also returns why the input was parsed
// as a whole document, "" when it was streamed.
func (c config) stream(r io.Reader, name string, yield func(Target) error, warn func(Warning)) (string, error) {
	src, pass1 := c.replay(r)
	defer src.close()
	l, err := survey(newCRReader(pass1), c.limit)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	if l.size > c.limit {
		return "", tooLarge(name, c.limit)
	}
	// Room for the entries counted, up to a million: a file of dashes may
	// count many more entries than it has domains.
	out := newSink(name, yield, warn, min(l.items, 1<<20))
	fb := &fallback{why: l.why, line: l.whyLine}
	if l.why == "" {
		err := c.streamList(src, l, name, out)
		if !errors.As(err, &fb) {
			return "", err
		}
	}
	if l.size > c.wholeLimit {
		if fb.err != nil {
			return fb.why, fb.err
		}
		return fb.why, &FileError{Name: name, Line: fb.line, Err: ErrTooLarge,
			Msg: fmt.Sprintf("larger than %d MiB, the most for a file that is not read as a block list (%s); write one entry per line (- example.com)",
				c.wholeLimit>>20, fb.why)}
	}
	data, err := src.readAll(l.size)
	if err != nil {
		return fb.why, fmt.Errorf("%s: %w", name, err)
	}
	if n := nodeBound(data); n > c.wholeNodes {
		if fb.err != nil {
			return fb.why, fb.err
		}
		return fb.why, &FileError{Name: name, Line: fb.line, Err: ErrTooLarge,
			Msg: fmt.Sprintf("too many entries for a file that is not read as a block list (%s): "+
				"such a file is parsed whole, and this one could hold up to %d YAML nodes, more than the %d that fit in mxscope's memory; "+
				"write one entry per line (- example.com)", fb.why, n, c.wholeNodes)}
	}
	out.restart()
	return fb.why, parseDocument(data, name, out)
}

// nodeBound returns a bound on the number of nodes yaml.v3 builds for
// data, counted from its bytes without parsing it: parsed whole, a
// document costs some 170 bytes a node, 80 times its size for a flow list
// of one-letter entries. Every node is a scalar with text of its own (a
// run of bytes other than blanks and indicators), an alias (a run too), a
// flow collection ([ or {), or a node an indicator makes: a "- " entry (a
// null, or the block sequence it starts: 2), a ':' or '?' (the block
// mapping it starts, a null key, a null value: 3), a ',' or a closing
// bracket (the null value of a key without one: 1).
func nodeBound(data []byte) int {
	n, inRun := 2, false // the document, and a null one
	for i, c := range data {
		switch c {
		case ' ', '\t', '\n', '\r':
			inRun = false
			continue
		case '[', '{', ']', '}', ',':
			n++
		case ':', '?':
			n += 3
		case '-':
			if i+1 == len(data) || bytes.IndexByte([]byte(" \t\n\r,[]{}"), data[i+1]) >= 0 {
				n += 2
				break
			}
			if !inRun {
				n, inRun = n+1, true
			}
			continue
		default:
			if !inRun {
				n, inRun = n+1, true
			}
			continue
		}
		inRun = false
	}
	return n
}

// layout is what the survey found.
type layout struct {
	size      int64
	why       string // why the input cannot be streamed; "" when it can
	whyLine   int
	ind       int    // the column of the list's dashes
	headLen   int64  // bytes before the first entry
	headLines int    // lines before the first entry
	listLen   int64  // bytes of the list, up to the tail
	listLines int    // lines of the list
	head      []byte // the text before the list
	tail      []byte // and after it
	items     int    // entries in the list (dashes at its column)
}

func (l *layout) fail(line int, format string, args ...any) {
	if l.why == "" {
		l.why, l.whyLine = fmt.Sprintf(format, args...), line
	}
}

// Line kinds, as the survey sees them.
const (
	blankLine   = iota // spaces only
	commentLine        // spaces, then #
	itemLine           // spaces, then "-" and a space, a tab or the end
	contentLine        // anything else
)

// classify returns the kind and the indentation of line, which has no line
// break.
func classify(line []byte) (kind, indent int) {
	for indent < len(line) && line[indent] == ' ' {
		indent++
	}
	rest := line[indent:]
	switch {
	case len(rest) == 0:
		return blankLine, indent
	case rest[0] == '#':
		return commentLine, indent
	case rest[0] == '-' && (len(rest) == 1 || rest[1] == ' ' || rest[1] == '\t'):
		return itemLine, indent
	}
	return contentLine, indent
}

// trimEOL removes "\n" or "\r\n".
func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}

// oddBreak reports whether line holds a line break of YAML's other than LF
// and CRLF: a lone CR, NEL, LS or PS. yaml.v3 counts them as lines, the
// survey does not.
func oddBreak(line []byte) bool {
	if bytes.IndexByte(line, '\r') >= 0 {
		return true
	}
	for i, c := range line {
		switch {
		case c < 0xc2:
		case c == 0xc2 && i+1 < len(line) && line[i+1] == 0x85,
			c == 0xe2 && i+2 < len(line) && line[i+1] == 0x80 && (line[i+2] == 0xa8 || line[i+2] == 0xa9):
			return true
		}
	}
	return false
}

var bom = []byte("\xef\xbb\xbf")

// survey is the first pass. It reads at most limit+1 bytes.
func survey(r io.Reader, limit int64) (*layout, error) {
	const (
		inHead = iota
		inList
		inTail
	)
	l := &layout{}
	br := bufio.NewReaderSize(io.LimitReader(r, limit+1), maxLine)
	state := inHead
	var content, wantList bool // content before the list; a targets: key just seen
	var pos, itemLen int64
	line := 0
	for {
		raw, err := br.ReadSlice('\n')
		n := int64(len(raw))
		if err == bufio.ErrBufferFull {
			l.fail(line+1, "a line longer than %d KiB", maxLine>>10)
			for err == bufio.ErrBufferFull {
				raw, err = br.ReadSlice('\n')
				n += int64(len(raw))
			}
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		if n == 0 {
			break
		}
		line++
		if l.why == "" {
			b := trimEOL(raw)
			start := int64(0) // bytes of the line before its text: a BOM
			if line == 1 {
				switch {
				case bytes.HasPrefix(b, bom):
					b, start = b[len(bom):], int64(len(bom))
				case bytes.HasPrefix(b, []byte("\xfe\xff")), bytes.HasPrefix(b, []byte("\xff\xfe")):
					l.fail(line, "UTF-16")
				}
			}
			if oddBreak(b) {
				l.fail(line, "a line break other than LF or CRLF")
			}
			kind, indent := classify(b)
			switch state {
			case inHead:
				switch {
				case kind == itemLine && (!content || wantList):
					state = inList
					l.ind, l.headLen, l.headLines, l.items = indent, pos+start, line-1, 1
					l.head = append(l.head, raw[:start]...)
					itemLen = n - start
				case kind == blankLine || kind == commentLine:
				case wantList:
					l.fail(line, "targets: does not hold a block list")
				case indent == 0 && len(b) > 0 && b[0] == '%':
					l.fail(line, "a YAML directive")
				case kind == contentLine && indent == 0 && !content && isMarker(b, "---"):
				case kind == contentLine && indent == 0 && isMarker(b, "targets:"):
					wantList, content = true, true
				default:
					content = true
				}
				if state == inHead {
					if l.head = append(l.head, raw...); len(l.head) > maxSide {
						l.fail(0, "no block list in the first %d KiB", maxSide>>10)
					}
				}
			case inList:
				switch {
				case kind == blankLine || kind == commentLine || indent > l.ind:
					itemLen += n
				case kind == itemLine && indent == l.ind:
					l.items++
					itemLen = n
				default:
					state = inTail
					l.listLen, l.listLines = pos-l.headLen, line-1-l.headLines
				}
				if itemLen > maxItem {
					l.fail(line, "an entry larger than %d KiB", maxItem>>10)
				}
				if state == inTail {
					l.tail = append(l.tail, raw...)
				}
			case inTail:
				if l.tail = append(l.tail, raw...); len(l.tail) > maxSide {
					l.fail(line, "more than %d KiB after the list", maxSide>>10)
				}
			}
		}
		pos += n
		if err == io.EOF {
			break
		}
	}
	l.size = pos
	switch state {
	case inHead:
		l.fail(0, "no block list at the top level or under targets:")
	case inList:
		l.listLen, l.listLines = pos-l.headLen, line-l.headLines
	}
	return l, nil
}

// isMarker reports whether line is word, alone or followed by spaces and an
// optional comment.
func isMarker(line []byte, word string) bool {
	rest, ok := bytes.CutPrefix(line, []byte(word))
	if !ok {
		return false
	}
	rest = bytes.TrimLeft(rest, " ")
	return len(rest) == 0 || rest[0] == '#' && len(rest) < len(line)-len(word)
}

// streamList is the second pass. It returns a *fallback for an input it
// cannot stream after all.
func (c config) streamList(src *replay, l *layout, name string, out *sink) error {
	p := newParser(name, l.size)
	if err := skeleton(p, l); err != nil {
		return err
	}
	r, err := src.from(l.headLen)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	br := bufio.NewReaderSize(io.LimitReader(newCRReader(r), l.listLen), maxLine)
	b := &batcher{c: c, p: p, out: out, name: name, ind: l.ind}
	for line := l.headLines + 1; ; line++ {
		raw, err := br.ReadSlice('\n')
		if err != nil && err != io.EOF {
			return fmt.Errorf("%s: %w (did the file change while it was read?)", name, err)
		}
		if len(raw) == 0 {
			break
		}
		kind, indent := classify(trimEOL(raw))
		if kind == itemLine && indent == l.ind {
			if err := b.finish(); err != nil {
				return err
			}
			b.begin(line)
		}
		b.add(raw, kind)
		if err == io.EOF {
			break
		}
	}
	if err := b.finish(); err != nil {
		return err
	}
	return b.flush()
}

// skeleton parses the head and the tail around a one-entry placeholder list,
// as Parse would parse the file, and sets p's defaults. The lines of its
// error, when there is one, are those of the file.
func skeleton(p *parser, l *layout) error {
	var text bytes.Buffer
	text.Write(l.head)
	text.WriteString(strings.Repeat(" ", l.ind) + "- x\n")
	text.Write(l.tail)
	at := l.headLines + 1 // the placeholder's line
	fail := func(err error) error {
		// A line after the placeholder is a line of the tail.
		if fe, ok := err.(*FileError); ok && fe.Line > at {
			fe.Line += l.listLines - 1
		}
		return &fallback{why: "the text around the list: " + err.Error(), err: err}
	}
	cr := &countingReader{r: bytes.NewReader(text.Bytes())}
	dec := yaml.NewDecoder(cr)
	var doc yaml.Node
	if err := decode(dec, &doc); err != nil {
		return fail(syntaxError(p.name, text.Bytes(), err, cr.n))
	}
	var next yaml.Node
	switch err := decode(dec, &next); {
	case err == nil:
		return fail(&FileError{Name: p.name, Line: next.Line, Err: ErrShape,
			Msg: "a second YAML document; a targets file holds one"})
	case !errors.Is(err, io.EOF):
		return fail(syntaxError(p.name, text.Bytes(), err, cr.n))
	}
	list, err := p.top(&doc)
	if err != nil {
		return fail(err)
	}
	if len(list.Content) != 1 || list.Line != at || list.Content[0].Line != at {
		return &fallback{why: "the list is not where the survey found it"}
	}
	return nil
}

// batcher collects the entries of the list and hands them on in order: one
// of a common one-line shape at once, the others in runs of consecutive
// entries parsed together by yaml.v3.
type batcher struct {
	c    config
	p    *parser
	out  *sink
	name string
	ind  int
	q    quick

	// run holds entries for yaml.v3, after a blank line: yaml.v3 reports
	// most errors with the line before the problem, and none on line 0,
	// so with the blank line the entries report as they do in the file.
	run      []byte
	runLine  int // the line of its first entry
	runItems int

	line   int  // the line of the current entry; 0 before the first
	mark   int  // where it starts in run
	first  int  // the length of its first line, without the line break
	simple bool // only blank and comment lines follow the first

	lastSlow bool // the entry before went to the run: quick could not read it
}

func (b *batcher) begin(line int) {
	if len(b.run) == 0 {
		b.run = append(b.run, '\n')
	}
	b.line, b.mark, b.first, b.simple = line, len(b.run), -1, true
	if b.mark == 1 {
		b.runLine = line
	}
}

func (b *batcher) add(raw []byte, kind int) {
	switch {
	case b.first < 0:
		b.first = len(trimEOL(raw))
	case kind == commentLine && printable(trimEOL(raw)), kind == blankLine:
	default:
		b.simple = false
	}
	b.run = append(b.run, raw...)
}

// finish decides how the current entry is read.
func (b *batcher) finish() error {
	if b.line == 0 {
		return nil
	}
	slow := true
	switch {
	case !b.simple:
	case b.runItems > 0 && b.lastSlow:
		// A parse by yaml.v3 costs as much as a few entries: when entries
		// quick reads alternate with others, they join the run, which ends
		// at the second of two in a row.
		slow = false
	default:
		if n := b.q.item(b.run[b.mark:b.mark+b.first], b.ind, b.line); n != nil {
			b.run, b.lastSlow = b.run[:b.mark], false
			if err := b.flush(); err != nil {
				return err
			}
			return b.out.add(b.p, b.p.entry(n))
		}
	}
	b.lastSlow = slow
	b.runItems++
	if b.runItems >= b.c.runItems || len(b.run) >= b.c.runBytes {
		return b.flush()
	}
	return nil
}

// flush parses the run and hands its entries on.
func (b *batcher) flush() error {
	if len(b.run) <= 1 {
		return nil
	}
	cr := &countingReader{r: bytes.NewReader(b.run)}
	dec := yaml.NewDecoder(cr)
	var doc, next yaml.Node
	err := decode(dec, &doc)
	if err == nil {
		if err = decode(dec, &next); errors.Is(err, io.EOF) {
			err = nil
		} else if err == nil {
			err = errors.New("yaml: a second document")
		}
	}
	if err != nil {
		fe := syntaxError(b.name, b.run, err, cr.n).(*FileError)
		if fe.Line > 0 {
			fe.Line += b.runLine - 2
		}
		if strings.Contains(fe.Msg, "unknown anchor") {
			fe.Msg += " (a file too large to parse whole is read entry by entry: an alias must refer to an anchor in its own entry)"
		}
		return &fallback{why: fmt.Sprintf("the entries from line %d alone: %v", b.runLine, err), line: fe.Line, err: fe}
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.SequenceNode {
		return &fallback{why: fmt.Sprintf("the entries from line %d alone are not a list", b.runLine)}
	}
	b.p.off = b.runLine - 2
	defer func() { b.p.off = 0 }()
	for _, n := range doc.Content[0].Content {
		if err := b.out.add(b.p, b.p.entry(n)); err != nil {
			return err
		}
	}
	b.run, b.runItems = b.run[:1], 0
	return nil
}

// replay reads the input a second time.
type replay struct {
	rs    io.ReadSeeker // the input, when it can seek back
	start int64         // where it started
	max   int           // the copy of an unseekable input stays in memory up to this size
	mem   []byte        // the copy, in memory
	file  *os.File      // or in a temporary file
}

// replay returns the replay of r and the reader for the first pass.
func (c config) replay(r io.Reader) (*replay, io.Reader) {
	if rs, ok := r.(io.ReadSeeker); ok {
		f, isFile := r.(*os.File)
		var regular bool
		if isFile {
			fi, err := f.Stat()
			regular = err == nil && fi.Mode().IsRegular()
		}
		if start, err := rs.Seek(0, io.SeekCurrent); err == nil && (!isFile || regular) {
			return &replay{rs: rs, start: start}, r
		}
	}
	s := &replay{max: c.spoolMem}
	return s, io.TeeReader(r, s)
}

// Write keeps the copy.
func (s *replay) Write(b []byte) (int, error) {
	if s.file == nil && len(s.mem)+len(b) <= s.max {
		s.mem = append(s.mem, b...)
		return len(b), nil
	}
	if s.file == nil {
		f, err := os.CreateTemp("", "mxscope-targets-*")
		if err != nil {
			return 0, fmt.Errorf("keeping a copy to read it twice: %w", err)
		}
		s.file = f
		if _, err := f.Write(s.mem); err != nil {
			return 0, fmt.Errorf("keeping a copy to read it twice: %w", err)
		}
		s.mem = nil
	}
	n, err := s.file.Write(b)
	if err != nil {
		err = fmt.Errorf("keeping a copy to read it twice: %w", err)
	}
	return n, err
}

// from returns the input from offset off.
func (s *replay) from(off int64) (io.Reader, error) {
	switch {
	case s.rs != nil:
		_, err := s.rs.Seek(s.start+off, io.SeekStart)
		return s.rs, err
	case s.file != nil:
		return io.NewSectionReader(s.file, off, math.MaxInt64-off), nil
	}
	return bytes.NewReader(s.mem[min(off, int64(len(s.mem))):]), nil
}

// readAll returns the first size bytes of the input, lone CRs made LFs
// (see crReader).
func (s *replay) readAll(size int64) ([]byte, error) {
	if s.rs == nil && s.file == nil {
		data := s.mem[:size]
		crToLF(data)
		return data, nil
	}
	r, err := s.from(0)
	if err != nil {
		return nil, err
	}
	data := make([]byte, size)
	_, err = io.ReadFull(r, data)
	crToLF(data)
	return data, err
}

// crReader turns each lone CR (one not followed by LF) into an LF. YAML
// reads a lone CR as a line break, exactly as it reads LF, and counts its
// lines the same way, so the document is unchanged; but the survey and the
// batches cut the input at LFs, and a file with old Mac line breaks can
// then be streamed rather than parsed whole. CRLF stays CRLF, and no byte
// moves.
type crReader struct{ br *bufio.Reader }

func newCRReader(r io.Reader) io.Reader { return &crReader{br: bufio.NewReader(r)} }

func (c *crReader) Read(p []byte) (int, error) {
	n, err := c.br.Read(p)
	for i := 0; i < n; i++ {
		if p[i] != '\r' {
			continue
		}
		next := byte(0)
		if i+1 < n {
			next = p[i+1]
		} else if b, perr := c.br.Peek(1); perr == nil {
			next = b[0]
		}
		if next != '\n' {
			p[i] = '\n'
		}
	}
	return n, err
}

// crToLF is crReader for text in memory.
func crToLF(data []byte) {
	for i, c := range data {
		if c == '\r' && (i+1 == len(data) || data[i+1] != '\n') {
			data[i] = '\n'
		}
	}
}

func (s *replay) close() {
	if s.file != nil {
		s.file.Close()
		os.Remove(s.file.Name())
	}
}
