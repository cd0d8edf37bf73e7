// Package targets loads the list of domains mxscope scans, from a YAML file
// or from the command line, and turns each entry into a Target with a
// canonical domain name.
//
// It exists so that every later stage can trust its input: a Target's Domain
// is a lower-case A-label without a trailing dot, or the Target says why it
// is not (Invalid) and where it came from (Line). It promises that
//
//   - a bad entry never stops the load: every entry of the file yields
//     exactly one Target, in file order, except a duplicate of an earlier
//     domain, which is dropped with a Warning naming both lines;
//   - only a file that is not YAML, or not shaped like a targets file, is an
//     error, and that error starts with "name:line:";
//   - the other keys of an entry are kept, values and order unchanged, as
//     Labels;
//   - input is capped (MaxSize bytes for Parse, MaxStreamSize for Stream),
//     alias expansion and nesting are bounded, and nothing in it can make
//     the loader panic;
//   - Stream gives the same targets, warnings and errors as Parse, with
//     memory bounded by a batch of entries and the dedupe set rather than by
//     the file, so a million-entry list loads in a few tens of megabytes.
package targets

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Target is one domain to scan.
type Target struct {
	Domain  string // A-label, lower case, no trailing dot; "" when invalid and no domain could be derived
	Input   string // the entry as written, when it differs from Domain
	Unicode string // U-label form, for an IDN (empty otherwise)
	Labels  Labels // every other key of a map entry, in file order, values unchanged
	Line    int    // 1-based line in the file (0 for command-line arguments)
	// Position is the target's place in the whole list, 1-based, set by
	// the reader of one shard of it (Shard), so that the shards' reports
	// can be merged back into input order; 0 otherwise.
	Position int
	Invalid  string // why the entry is not a valid domain; "" when valid
}

// Warning is a problem that does not stop the scan, such as a duplicate.
type Warning struct {
	File string // file name as given to Parse; "" for command-line arguments
	Line int    // 1-based line in File; 0 for command-line arguments
	Msg  string
}

// String returns "file:line: msg", or msg alone for command-line arguments.
func (w Warning) String() string {
	if w.File == "" {
		return w.Msg
	}
	return w.File + ":" + strconv.Itoa(w.Line) + ": " + w.Msg
}

// MaxSize caps the input of Parse and LoadFile, which hold every target:
// 64 MiB is some 1,000,000 entries with labels. A file they must parse
// whole is limited as Stream limits it (MaxWholeSize, MaxWholeNodes).
const MaxSize = 64 << 20

const (
	// maxDepth bounds how deeply label values, merges and aliases nest.
	maxDepth = 64
	// minAliasNodes and aliasNodesPerByte bound the nodes visited through
	// aliases and merge keys over the whole file ("billion laughs"), in
	// proportion to its size, so that aliases multiply the work of parsing
	// by a constant at most: a million entries that each merge a three-key
	// map (some 50 MB) visit 7,000,000 nodes and are allowed 13,000,000.
	// Labels inherited from defaults: count too.
	minAliasNodes     = 1 << 20
	aliasNodesPerByte = 0.25
)

// Errors of a whole file; each comes wrapped in a *FileError.
var (
	ErrSyntax   = errors.New("targets: not valid YAML")
	ErrShape    = errors.New("targets: neither a list of domains nor a map with a targets key")
	ErrEmpty    = errors.New("targets: no targets")
	ErrTooLarge = errors.New("targets: input too large")
	ErrAliases  = errors.New("targets: too much alias expansion")
)

// FileError is a problem with a whole file. Error returns "name:line: msg"
// (or "name: msg" when there is no line).
type FileError struct {
	Name string // as given to Parse
	Line int    // 1-based; 0 when unknown
	Msg  string // lower case, no final period
	Err  error  // ErrSyntax, ErrShape, ErrEmpty, ErrTooLarge or ErrAliases
}

func (e *FileError) Error() string {
	if e.Line == 0 {
		return e.Name + ": " + e.Msg
	}
	return e.Name + ":" + strconv.Itoa(e.Line) + ": " + e.Msg
}

// Unwrap returns the sentinel error.
func (e *FileError) Unwrap() error { return e.Err }

const expected = "expected a list of domains, or a map with targets:"

// LoadFile reads a targets file; "-" reads standard input, named "stdin" in
// messages.
func LoadFile(path string) ([]Target, []Warning, error) {
	if path == "-" {
		return Parse(os.Stdin, "stdin")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return Parse(f, path)
}

// Parse reads a targets file: a YAML list of entries, or a map whose
// targets: key holds that list. name is used in messages.
//
// An entry is a domain (a string), or a map with domain: and any other keys,
// which become the Target's Labels in file order. Keys must be strings and
// appear once per entry. YAML anchors, aliases and merge keys (<<) work as in
// YAML: an entry's own keys win over merged ones, in the merged map's order
// at the place of the <<. Label values are decoded as YAML decodes into any,
// except that timestamps stay the string written, so "date: 2024-11-05"
// reaches the output as written, and keys of nested maps become strings.
//
// In the map form, an optional defaults: map gives labels to every entry
// that does not set them; inherited labels follow the entry's own. Other
// top-level keys are ignored (they may hold anchors).
//
// An entry that is not a valid domain (empty, null, a number, a list, a map
// without domain:, a bad key) yields a Target with Invalid set. A file with
// no document, a null document or a null targets: is ErrEmpty (most likely
// the wrong file, or a pipe that produced nothing); an explicit empty list
// ([] or targets: []) is zero targets and no error.
//
// Parse holds the input and every target, and is capped at MaxSize; it
// reads them as Stream does. For a large file, use Stream.
func Parse(r io.Reader, name string) ([]Target, []Warning, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > MaxSize {
		return nil, nil, tooLarge(name, MaxSize)
	}
	var targets []Target
	var warnings []Warning
	c := defaultConfig
	c.limit = MaxSize
	_, err = c.stream(bytes.NewReader(data), name,
		func(t Target) error { targets = append(targets, t); return nil },
		func(w Warning) { warnings = append(warnings, w) })
	if err != nil {
		return nil, nil, err
	}
	return targets, warnings, nil
}

// parseDocument is Parse the simple way: the whole document as one
// yaml.Node tree. It reads every shape of YAML and is the reference the
// streaming path must agree with (FuzzStreamMatchesParse), and the path
// Stream falls back to for what it cannot stream; its memory is some twenty
// times the size of data.
func parseDocument(data []byte, name string, out *sink) error {
	cr := &countingReader{r: bytes.NewReader(data)}
	dec := yaml.NewDecoder(cr)
	var doc yaml.Node
	if err := decode(dec, &doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &FileError{Name: name, Msg: "no targets: the file is empty", Err: ErrEmpty}
		}
		return syntaxError(name, data, err, cr.n)
	}
	var next yaml.Node
	switch err := decode(dec, &next); {
	case err == nil:
		return &FileError{Name: name, Line: next.Line, Err: ErrShape,
			Msg: "a second YAML document; a targets file holds one"}
	case !errors.Is(err, io.EOF):
		return syntaxError(name, data, err, cr.n)
	}

	p := newParser(name, int64(len(data)))
	list, err := p.top(&doc)
	if err != nil {
		return err
	}
	for _, n := range list.Content {
		if err := out.add(p, p.entry(n)); err != nil {
			return err
		}
	}
	return nil
}

func tooLarge(name string, limit int64) error {
	return &FileError{Name: name, Msg: fmt.Sprintf("larger than %d MiB", limit>>20), Err: ErrTooLarge}
}

// sink drops duplicates, with a warning, and hands targets and warnings on
// in order. It is shared by the streaming and the whole-document paths.
type sink struct {
	name  string
	yield func(Target) error
	warn  func(Warning)
	// first maps the hash of each valid domain to the line of its first
	// entry, rather than the domain itself, so that a million domains cost
	// 15 MB. Two different domains share a 64-bit hash with probability
	// about n²/2⁶⁵: 3·10⁻⁸ for a million. The seed is chosen per process, so
	// no file can be made to collide on purpose, and the warning names both
	// lines.
	first        lineSet
	sentT, sentW int // targets and warnings handed on (or skipped)
	skipT, skipW int // already handed on by an attempt that fell back
}

var dedupeSeed = maphash.MakeSeed()

func newSink(name string, yield func(Target) error, warn func(Warning), size int) *sink {
	s := &sink{name: name, yield: yield, warn: warn}
	s.first.init(size)
	return s
}

// add hands t on, unless it duplicates an earlier target or p has met a
// fatal error.
func (s *sink) add(p *parser, t Target) error {
	if p.err != nil {
		p.err.Line = t.Line
		return p.err
	}
	if t.Invalid == "" {
		if line, dup := s.first.add(maphash.String(dedupeSeed, t.Domain), uint32(t.Line)); dup {
			s.sentW++
			if s.sentW > s.skipW && s.warn != nil {
				s.warn(Warning{File: s.name, Line: t.Line,
					Msg: fmt.Sprintf("duplicate of line %d (%s): scanned once", line, t.Domain)})
			}
			return nil
		}
	}
	s.sentT++
	if s.sentT <= s.skipT || s.yield == nil {
		return nil
	}
	return s.yield(t)
}

// restart prepares s for a second attempt over the same input, which will
// skip what the first one handed on.
func (s *sink) restart() {
	s.skipT, s.skipW = s.sentT, s.sentW
	s.sentT, s.sentW = 0, 0
	s.first.init(0)
}

// lineSet maps 64-bit hashes to lines: an open-addressing table with
// linear probing, 12 bytes a slot and at most 80% full, where a Go map
// takes 36 bytes an entry.
type lineSet struct {
	hashes []uint64 // 0 is an empty slot; a zero hash is stored as 1
	lines  []uint32
	n      int
}

// init empties s, with room for size hashes.
func (s *lineSet) init(size int) {
	slots := size + size/4 + 16
	s.hashes, s.lines, s.n = make([]uint64, slots), make([]uint32, slots), 0
}

// add returns the line stored for h, if there is one, and otherwise stores
// line.
func (s *lineSet) add(h uint64, line uint32) (first uint32, found bool) {
	if h == 0 {
		h = 1
	}
	if 5*(s.n+1) > 4*len(s.hashes) {
		old, oldLines := s.hashes, s.lines
		s.init(2 * len(old))
		for i, h := range old {
			if h != 0 {
				s.add(h, oldLines[i])
			}
		}
	}
	// The high bits of h, scaled to the table (Lemire's fastrange).
	for i := int((h >> 32) * uint64(len(s.hashes)) >> 32); ; i++ {
		if i == len(s.hashes) {
			i = 0
		}
		switch s.hashes[i] {
		case h:
			return s.lines[i], true
		case 0:
			s.hashes[i], s.lines[i] = h, line
			s.n++
			return 0, false
		}
	}
}

// FromArgs turns command-line arguments into Targets (Line 0), with the same
// normalisation, dedupe and invalid handling as Parse.
func FromArgs(args []string) ([]Target, []Warning) {
	targets := make([]Target, 0, len(args))
	var warnings []Warning
	first := make(map[string]int, len(args))
	for i, a := range args {
		var t Target
		t.setDomain(a)
		if t.Invalid == "" {
			if j, dup := first[t.Domain]; dup {
				warnings = append(warnings, Warning{
					Msg: fmt.Sprintf("argument %d: duplicate of argument %d (%s): scanned once", i+1, j, t.Domain)})
				continue
			}
			first[t.Domain] = i + 1
		}
		targets = append(targets, t)
	}
	return targets, warnings
}

// setDomain normalises s into t.
func (t *Target) setDomain(s string) {
	ascii, unicode, err := Normalize(s)
	if err != nil && len(ascii) > maxName {
		ascii, unicode = "", "" // no domain: shown, capped, as the input
	}
	t.Domain, t.Unicode = ascii, unicode
	if err != nil {
		t.Invalid = err.Error()
	}
	if s != ascii {
		t.Input = capInput(s)
	}
}

// maxInput caps Target.Input: the entry as written is echoed into every
// output to show what was meant, and a 50 MB scalar must not be.
const maxInput = 512

// capInput cuts s to maxInput bytes, at a character boundary, and marks
// the cut with "…".
func capInput(s string) string {
	if len(s) <= maxInput {
		return s
	}
	cut := maxInput
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.Clone(s[:cut]) + "…"
}

// decode is dec.Decode, with a panic inside the YAML library (none is known;
// the fuzz tests look for them) turned into an error, since the input is
// untrusted and a scan must not die of its targets file.
func decode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: internal error: %v", r)
		}
	}()
	return dec.Decode(n)
}

// parser holds what is shared by the entries of one file.
type parser struct {
	name       string
	off        int // added to node lines: the line before the text parsed
	defaults   Labels
	aliased    int        // > 0 while inside an alias or a merge
	expanded   int        // nodes visited through aliases so far
	maxAliased int        // the most expanded may reach
	err        *FileError // a fatal error (ErrAliases), sticky
}

func newParser(name string, size int64) *parser {
	return &parser{name: name, maxAliased: minAliasNodes + int(aliasNodesPerByte*float64(size))}
}

// line is n's line in the file.
func (p *parser) line(n *yaml.Node) int { return n.Line + p.off }

// top finds the list of entries and the defaults.
func (p *parser) top(doc *yaml.Node) (*yaml.Node, error) {
	if len(doc.Content) == 0 {
		return nil, &FileError{Name: p.name, Line: doc.Line, Msg: "no targets: the file is empty", Err: ErrEmpty}
	}
	root := resolve(doc.Content[0])
	switch {
	case root.Kind == yaml.SequenceNode:
		return root, nil
	case isNull(root):
		return nil, &FileError{Name: p.name, Line: root.Line, Msg: "no targets: the file is empty", Err: ErrEmpty}
	case root.Kind != yaml.MappingNode:
		return nil, &FileError{Name: p.name, Line: root.Line, Err: ErrShape,
			Msg: fmt.Sprintf("found %s; %s", describe(root), expected)}
	}
	var list, defaults *yaml.Node
	var listKey, defaultsKey *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if !isString(k) {
			continue
		}
		switch k.Value {
		case "targets":
			if listKey != nil {
				return nil, &FileError{Name: p.name, Line: k.Line, Err: ErrShape,
					Msg: fmt.Sprintf("a second targets: key (the first is on line %d)", listKey.Line)}
			}
			listKey, list = k, resolve(v)
		case "defaults":
			if defaultsKey != nil {
				return nil, &FileError{Name: p.name, Line: k.Line, Err: ErrShape,
					Msg: fmt.Sprintf("a second defaults: key (the first is on line %d)", defaultsKey.Line)}
			}
			defaultsKey, defaults = k, resolve(v)
		}
	}
	switch {
	case list == nil:
		return nil, &FileError{Name: p.name, Line: root.Line, Err: ErrShape, Msg: "no targets: key; " + expected}
	case isNull(list):
		return nil, &FileError{Name: p.name, Line: listKey.Line, Msg: "no targets: targets: is empty", Err: ErrEmpty}
	case list.Kind != yaml.SequenceNode:
		return nil, &FileError{Name: p.name, Line: list.Line, Err: ErrShape,
			Msg: fmt.Sprintf("targets: holds %s; expected a list of domains", describe(list))}
	}
	if defaults != nil && !isNull(defaults) {
		if err := p.setDefaults(defaults); err != nil {
			return nil, err
		}
	}
	return list, nil
}

func (p *parser) setDefaults(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return &FileError{Name: p.name, Line: n.Line, Err: ErrShape,
			Msg: fmt.Sprintf("defaults: holds %s; expected a map of labels", describe(n))}
	}
	pairs, problem := p.pairs(n, 0)
	for _, kv := range pairs {
		if kv.key == "domain" && problem == "" {
			problem = "may not set domain"
		}
		v, prob := p.value(kv.val, 1)
		if problem == "" {
			problem = prob
		}
		p.defaults = append(p.defaults, Label{Key: kv.key, Value: v})
	}
	if p.err != nil {
		p.err.Line = n.Line
		return p.err
	}
	if problem != "" {
		return &FileError{Name: p.name, Line: n.Line, Err: ErrShape, Msg: "defaults: " + problem}
	}
	return nil
}

// entry turns one list item into a Target.
func (p *parser) entry(n *yaml.Node) Target {
	t := Target{Line: p.line(n)}
	if n.Kind == yaml.AliasNode {
		p.aliased++
		defer func() { p.aliased-- }()
	}
	v := resolve(n)
	switch v.Kind {
	case yaml.ScalarNode:
		t.scalarDomain(v)
	case yaml.SequenceNode:
		t.Invalid = "a list, not a domain (a list inside the list of targets)"
	case yaml.MappingNode:
		p.mapEntry(v, &t)
	default: // an alias nested too deeply to follow
		t.Invalid = "an alias nested too deeply"
	}
	p.inherit(&t)
	return t
}

// inherit appends the defaults that t does not set. The copies count
// against the alias budget: a large defaults: map times many entries is
// the same amplification as an alias.
func (p *parser) inherit(t *Target) {
	if len(p.defaults) == 0 {
		return
	}
	if p.charge(len(p.defaults)); p.err != nil {
		return
	}
	own := t.Labels[:len(t.Labels):len(t.Labels)]
	has := func(k string) bool { _, ok := own.Get(k); return ok }
	if len(own) > 16 {
		set := make(map[string]bool, len(own))
		for _, l := range own {
			set[l.Key] = true
		}
		has = func(k string) bool { return set[k] }
	}
	for _, d := range p.defaults {
		if !has(d.Key) {
			t.Labels = append(t.Labels, d)
		}
	}
}

// scalarDomain sets t from a scalar that should be a domain.
func (t *Target) scalarDomain(n *yaml.Node) {
	switch n.ShortTag() {
	case "!!null":
		t.Input = capInput(n.Value)
		t.Invalid = "empty entry"
	case "!!int", "!!float":
		t.Input = capInput(n.Value)
		t.Invalid = "a number, not a domain"
	case "!!bool":
		t.Input = capInput(n.Value)
		t.Invalid = "a boolean, not a domain"
	default:
		t.setDomain(n.Value)
	}
}

func (p *parser) mapEntry(n *yaml.Node, t *Target) {
	pairs, problem := p.pairs(n, 0)
	var domain *yaml.Node
	if n := len(pairs) - 1 + len(p.defaults); n > 0 {
		t.Labels = make(Labels, 0, n)
	}
	for _, kv := range pairs {
		if kv.key == "domain" {
			domain = resolve(kv.val)
			continue
		}
		v, prob := p.value(kv.val, 1)
		if problem == "" && prob != "" {
			problem = fmt.Sprintf("label %s: %s", quote(kv.key), prob)
		}
		t.Labels = append(t.Labels, Label{Key: kv.key, Value: v})
	}
	switch {
	case domain == nil:
		t.Invalid = "map entry without a domain: key"
	case isNull(domain):
		t.Invalid = "domain: is empty"
	case domain.Kind == yaml.ScalarNode:
		t.scalarDomain(domain)
	default:
		t.Invalid = fmt.Sprintf("domain: holds %s, not a domain name", describe(domain))
	}
	// A bad key makes the entry invalid even when its domain is fine.
	if problem != "" && t.Invalid == "" {
		t.Invalid = problem
	}
}

type keyValue struct {
	key  string
	line int
	val  *yaml.Node
}

// pairs returns the keys and values of a mapping in order, with merge keys
// (<<) resolved as YAML resolves them. problem reports the first non-string
// or duplicate key (such keys are left out).
func (p *parser) pairs(m *yaml.Node, depth int) (out []keyValue, problem string) {
	if depth > maxDepth {
		return nil, "nested too deeply"
	}
	if p.count(len(m.Content)); p.err != nil {
		return nil, "too much alias expansion"
	}
	var merges bool
	var own keySet // this map's own keys, when merged keys must yield to them
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		switch {
		case isMerge(k):
			merges = true
		case !isString(k):
			if problem == "" {
				problem = fmt.Sprintf("the key on line %d is %s, not a string", p.line(k), describe(k))
			}
		}
	}
	if merges {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if k := m.Content[i]; isString(k) {
				own.add(k.Value)
			}
		}
	}
	have := keySet{keys: make([]string, 0, min(len(m.Content)/2, 17))}
	out = make([]keyValue, 0, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if isMerge(k) {
			srcs, prob := p.mergeSources(v)
			if problem == "" {
				problem = prob
			}
			for _, src := range srcs {
				p.aliased++
				sub, prob := p.pairs(src, depth+1)
				p.aliased--
				if problem == "" {
					problem = prob
				}
				for _, kv := range sub {
					if own.index(kv.key) < 0 && have.index(kv.key) < 0 {
						have.add(kv.key)
						out = append(out, kv)
					}
				}
			}
			continue
		}
		if !isString(k) {
			continue
		}
		if j := have.index(k.Value); j >= 0 {
			if problem == "" {
				problem = fmt.Sprintf("duplicate key %s (lines %d and %d)", quote(k.Value), out[j].line, p.line(k))
			}
			continue
		}
		have.add(k.Value)
		out = append(out, keyValue{key: k.Value, line: p.line(k), val: v})
	}
	return out, problem
}

// mergeSources returns the maps a merge key's value names: a map, or a list
// of maps, directly or through aliases.
func (p *parser) mergeSources(v *yaml.Node) ([]*yaml.Node, string) {
	const bad = "<< must merge a map or a list of maps"
	v = resolve(v)
	switch v.Kind {
	case yaml.MappingNode:
		return []*yaml.Node{v}, ""
	case yaml.SequenceNode:
		srcs := make([]*yaml.Node, 0, len(v.Content))
		for _, e := range v.Content {
			if e = resolve(e); e.Kind != yaml.MappingNode {
				return srcs, bad
			}
			srcs = append(srcs, e)
		}
		return srcs, ""
	}
	return nil, bad
}

// value decodes a label value as YAML decodes into any, with bounded depth
// and alias expansion. problem says why it could not.
func (p *parser) value(n *yaml.Node, depth int) (v any, problem string) {
	if depth > maxDepth {
		return nil, "nested too deeply"
	}
	p.count(1)
	if p.err != nil {
		return nil, "too much alias expansion"
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, ""
		}
		p.aliased++
		defer func() { p.aliased-- }()
		return p.value(n.Alias, depth+1)
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str", "!!timestamp", "!!merge":
			return n.Value, ""
		case "!!null":
			return nil, ""
		case "!!int", "!!float", "!!bool", "!!binary":
			if i, ok := smallInt(n.Value); ok && n.ShortTag() == "!!int" {
				return i, "" // what Decode gives, without its allocations
			}
			if err := n.Decode(&v); err != nil {
				return nil, err.Error()
			}
			return v, ""
		default: // a custom tag; yaml decodes it to its text
			return n.Value, ""
		}
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for _, e := range n.Content {
			ev, prob := p.value(e, depth+1)
			if prob != "" {
				return nil, prob
			}
			list = append(list, ev)
		}
		return list, ""
	case yaml.MappingNode:
		pairs, prob := p.pairs(n, depth+1)
		if prob != "" {
			return nil, prob
		}
		m := make(map[string]any, len(pairs))
		for _, kv := range pairs {
			ev, prob := p.value(kv.val, depth+1)
			if prob != "" {
				return nil, prob
			}
			m[kv.key] = ev
		}
		return m, ""
	}
	return nil, ""
}

// smallInt parses a decimal without sign, leading zero or underscore, of at
// most 18 digits, which yaml.v3 decodes to the int strconv.Atoi gives.
func smallInt(s string) (int, bool) {
	if len(s) == 0 || len(s) > 18 || s[0] == '0' && len(s) > 1 || !allDigits(s) {
		return 0, false
	}
	i, err := strconv.Atoi(s)
	return i, err == nil
}

// count charges n nodes to the alias budget when inside an alias or merge.
func (p *parser) count(n int) {
	if p.aliased > 0 {
		p.charge(n)
	}
}

// charge charges n nodes to the alias budget.
func (p *parser) charge(n int) {
	p.expanded += n
	if p.expanded > p.maxAliased && p.err == nil {
		p.err = &FileError{Name: p.name, Err: ErrAliases,
			Msg: fmt.Sprintf("aliases expand to more than %d nodes", p.maxAliased)}
	}
}

// resolve follows aliases, a bounded number of times.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < maxDepth; i++ {
		n = n.Alias
	}
	return n
}

func isString(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str"
}

func isMerge(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!merge"
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names what a node is, for messages: "a list", "a string
// (\"example.com\")".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a map"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!int", "!!float":
			return "a number (" + n.Value + ")"
		case "!!bool":
			return "a boolean (" + n.Value + ")"
		}
		return "a string (" + quote(n.Value) + ")"
	}
	return "nothing"
}

// keySet finds keys by linear search while there are few (the usual entry
// has a handful) and by map beyond that, so a hostile entry with a million
// keys stays linear.
type keySet struct {
	keys []string
	m    map[string]int
}

func (s *keySet) index(k string) int {
	if s.m != nil {
		if i, ok := s.m[k]; ok {
			return i
		}
		return -1
	}
	for i, x := range s.keys {
		if x == k {
			return i
		}
	}
	return -1
}

func (s *keySet) add(k string) {
	s.keys = append(s.keys, k)
	switch {
	case s.m != nil:
		s.m[k] = len(s.keys) - 1
	case len(s.keys) > 16:
		s.m = make(map[string]int, 2*len(s.keys))
		for i, x := range s.keys {
			if _, ok := s.m[x]; !ok {
				s.m[x] = i
			}
		}
	}
}
