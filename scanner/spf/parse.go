package spf

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// maxRecordLen caps the record Parse accepts. Real records stay under
// 512 bytes to fit a UDP answer (§3.4); this leaves generous room.
const maxRecordLen = 16 << 10

// Qualifier is the prefix of a mechanism (§4.6.2): the result when it matches.
type Qualifier string

const (
	// QualifierPass "+": a match is pass; the default when no qualifier is written.
	QualifierPass Qualifier = "+"
	// QualifierFail "-": a match is fail.
	QualifierFail Qualifier = "-"
	// QualifierSoftfail "~": a match is softfail.
	QualifierSoftfail Qualifier = "~"
	// QualifierNeutral "?": a match is neutral.
	QualifierNeutral Qualifier = "?"
)

// Result is the check_host() result a match with this qualifier gives.
func (q Qualifier) Result() Result {
	switch q {
	case QualifierFail:
		return ResultFail
	case QualifierSoftfail:
		return ResultSoftfail
	case QualifierNeutral:
		return ResultNeutral
	default:
		return ResultPass
	}
}

// Kind names a mechanism (§5).
type Kind string

const (
	// KindAll "all" always matches (§5.1).
	KindAll Kind = "all"
	// KindInclude "include:domain" matches when that domain's policy passes (§5.2).
	KindInclude Kind = "include"
	// KindA "a" matches the addresses of a name (§5.3).
	KindA Kind = "a"
	// KindMX "mx" matches the addresses of a name's mail exchangers (§5.4).
	KindMX Kind = "mx"
	// KindPTR "ptr" matches a validated reverse name under a domain (§5.5; deprecated).
	KindPTR Kind = "ptr"
	// KindIP4 "ip4:network" matches an IPv4 network (§5.6).
	KindIP4 Kind = "ip4"
	// KindIP6 "ip6:network" matches an IPv6 network (§5.6).
	KindIP6 Kind = "ip6"
	// KindExists "exists:domain" matches when the name has an A record (§5.7).
	KindExists Kind = "exists"
)

// lookupKind reports whether the mechanism queries DNS and so counts
// against MaxLookups (§4.6.4).
func (k Kind) lookupKind() bool {
	switch k {
	case KindInclude, KindA, KindMX, KindPTR, KindExists:
		return true
	}
	return false
}

// Mechanism is one directive of a record.
type Mechanism struct {
	Qualifier Qualifier
	Kind      Kind
	// Domain is the domain-spec as written, macros unexpanded; "" when the
	// mechanism has none (a, mx and ptr then use the current domain).
	Domain string
	// Prefix is the network of ip4 and ip6, as written (host bits kept).
	Prefix netip.Prefix
	// CIDR4 and CIDR6 are the prefix lengths of a and mx: 32 and 128 unless written.
	CIDR4, CIDR6 int
	// Term is the directive exactly as it appears in the record.
	Term string

	spec macroString // Domain, parsed
}

// Modifier is a name=value term (§6). Unknown modifiers are kept here and
// otherwise ignored.
type Modifier struct {
	Name  string // as written
	Value string // macro-string, unexpanded
}

// Record is a parsed SPF record.
type Record struct {
	Mechanisms []Mechanism // in record order
	Modifiers  []Modifier  // every modifier in record order, redirect and exp included
	Redirect   string      // domain-spec of redirect=, "" when absent
	Exp        string      // domain-spec of exp=, "" when absent

	redirectSpec, expSpec macroString
}

// Parse parses an SPF record (RFC 7208 §4.6, §12). The whole record is
// checked before anything is evaluated: a syntax error anywhere is an error
// wrapping ErrSyntax that names the offending term (permerror), as are
// control and non-ASCII bytes, a duplicate redirect= or exp=, and macro
// errors in any term, including unknown modifiers.
func Parse(record string) (*Record, error) {
	if len(record) > maxRecordLen {
		return nil, fmt.Errorf("%w %+q: record longer than %d bytes", ErrSyntax, record[:20]+"...", maxRecordLen)
	}
	if !isSPF(record) {
		first, _, _ := strings.Cut(record, " ")
		return nil, fmt.Errorf("%w %+q: not an spf version 1 record", ErrSyntax, first)
	}
	rest := record[len("v=spf1"):]
	r := &Record{Mechanisms: make([]Mechanism, 0, strings.Count(rest, " "))}
	for rest != "" {
		var term string
		term, rest, _ = strings.Cut(rest, " ")
		if term == "" {
			continue // terms are separated by one or more spaces
		}
		if err := r.parseTerm(term); err != nil {
			return nil, fmt.Errorf("%w %+q: %v", ErrSyntax, term, err)
		}
	}
	return r, nil
}

// ParseLenient parses the well-formed terms of an SPF record and skips
// the others, for a record that Parse rejects: receivers treat the whole
// record as a permerror, but its readable terms still say whom the owner
// meant to authorise. It returns nil for text that is not an SPF record
// (wrong version, or longer than Parse accepts). Never evaluate what it
// returns: it is evidence, not a policy.
func ParseLenient(record string) *Record {
	if len(record) > maxRecordLen || !isSPF(record) {
		return nil
	}
	rest := record[len("v=spf1"):]
	r := &Record{}
	for rest != "" {
		var term string
		term, rest, _ = strings.Cut(rest, " ")
		if term == "" {
			continue
		}
		nm, nmod := len(r.Mechanisms), len(r.Modifiers)
		if r.parseTerm(term) != nil {
			// A bad term is skipped whole: a modifier is listed before
			// its value is checked.
			r.Mechanisms, r.Modifiers = r.Mechanisms[:nm], r.Modifiers[:nmod]
		}
	}
	return r
}

func (r *Record) parseTerm(term string) error {
	for i := 0; i < len(term); i++ {
		if term[i] < 0x21 || term[i] > 0x7e {
			return errors.New("control or non-ascii character")
		}
	}
	q, rest := QualifierPass, term
	switch term[0] {
	case '+', '-', '~', '?':
		q, rest = Qualifier(term[:1]), term[1:]
	}
	// A modifier's "=" comes straight after its name, before any ":" or "/".
	if i := strings.IndexAny(rest, ":/="); i >= 0 && rest[i] == '=' {
		if len(rest) != len(term) {
			return errors.New("qualifier on a modifier")
		}
		return r.parseModifier(rest[:i], rest[i+1:])
	}
	name := rest
	if i := strings.IndexAny(rest, ":/"); i >= 0 {
		name = rest[:i]
	}
	args := rest[len(name):]
	m := Mechanism{Qualifier: q, Kind: Kind(strings.ToLower(name)), Term: term, CIDR4: 32, CIDR6: 128}
	var err error
	switch m.Kind {
	case KindAll:
		if args != "" {
			return errors.New("all takes no argument")
		}
	case KindInclude, KindExists:
		err = m.parseDomain(args, true)
	case KindPTR:
		err = m.parseDomain(args, false)
	case KindA, KindMX:
		err = m.parseDualCIDR(args)
	case KindIP4, KindIP6:
		err = m.parseNetwork(args)
	default:
		return errors.New("unknown mechanism")
	}
	if err != nil {
		return err
	}
	r.Mechanisms = append(r.Mechanisms, m)
	return nil
}

func (r *Record) parseModifier(name, value string) error {
	if !isModifierName(name) {
		return errors.New("invalid modifier name")
	}
	r.Modifiers = append(r.Modifiers, Modifier{Name: name, Value: value})
	switch strings.ToLower(name) {
	case "redirect":
		if r.redirectSpec != nil {
			return errors.New("redirect= given twice")
		}
		spec, err := parseDomainSpec(value)
		if err != nil {
			return err
		}
		r.Redirect, r.redirectSpec = value, spec
	case "exp":
		if r.expSpec != nil {
			return errors.New("exp= given twice")
		}
		spec, err := parseDomainSpec(value)
		if err != nil {
			return err
		}
		r.Exp, r.expSpec = value, spec
	default:
		// Unknown modifiers are ignored, but their macro-string must parse (§6).
		if _, err := parseMacroString(value, true); err != nil {
			return err
		}
	}
	return nil
}

// isModifierName: name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ).
func isModifierName(s string) bool {
	if s == "" || s[0]|0x20 < 'a' || s[0]|0x20 > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c|0x20 >= 'a' && c|0x20 <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// parseDomainSpec parses a non-empty domain-spec: a macro-string ending in
// a macro or a top-level label.
func parseDomainSpec(s string) (macroString, error) {
	if s == "" {
		return nil, errors.New("empty domain")
	}
	spec, err := parseMacroString(s, false)
	if err != nil {
		return nil, err
	}
	if !spec.endsAsDomain() {
		return nil, errors.New("domain does not end in a macro or a valid top-level label")
	}
	return spec, nil
}

// parseDomain parses ":domain-spec", required or optional.
func (m *Mechanism) parseDomain(args string, required bool) error {
	if args == "" && !required {
		return nil
	}
	d, ok := strings.CutPrefix(args, ":")
	if !ok {
		return fmt.Errorf("%s needs \":domain\"", m.Kind)
	}
	spec, err := parseDomainSpec(d)
	if err != nil {
		return err
	}
	m.Domain, m.spec = d, spec
	return nil
}

// parseDualCIDR parses [ ":" domain-spec ] [ "/" ip4-len ] [ "//" ip6-len ].
// The lengths are taken off the end first, since a domain-spec may itself
// hold "/" (it may hold any visible character but "%", §7.1).
func (m *Mechanism) parseDualCIDR(args string) error {
	if i := strings.LastIndex(args, "//"); i >= 0 && allDigits(args[i+2:]) {
		n, err := cidrLength(args[i+2:], 128)
		if err != nil {
			return err
		}
		m.CIDR6, args = n, args[:i]
	}
	if i := strings.LastIndexByte(args, '/'); i >= 0 && allDigits(args[i+1:]) {
		n, err := cidrLength(args[i+1:], 32)
		if err != nil {
			return err
		}
		m.CIDR4, args = n, args[:i]
	}
	return m.parseDomain(args, false)
}

// parseNetwork parses ":" network [ "/" length ] of ip4 and ip6.
func (m *Mechanism) parseNetwork(args string) error {
	v, ok := strings.CutPrefix(args, ":")
	if !ok {
		return fmt.Errorf("%s needs \":network\"", m.Kind)
	}
	addr, length, hasLen := strings.Cut(v, "/")
	ip, err := netip.ParseAddr(addr)
	// ParseAddr refuses leading zeros and short forms like "1.2.3" (§5.6).
	if err != nil || ip.Zone() != "" || (m.Kind == KindIP4) != ip.Is4() {
		return fmt.Errorf("invalid %s network", m.Kind)
	}
	bits := ip.BitLen()
	if hasLen {
		if bits, err = cidrLength(length, ip.BitLen()); err != nil {
			return err
		}
	}
	m.Prefix = netip.PrefixFrom(ip, bits)
	return nil
}

// cidrLength parses a prefix length: digits without leading zeros, at most max.
func cidrLength(s string, max int) (int, error) {
	if !allDigits(s) || len(s) > 1 && s[0] == '0' || len(s) > 3 {
		return 0, errors.New("invalid prefix length")
	}
	n, _ := strconv.Atoi(s)
	if n > max {
		return 0, fmt.Errorf("prefix length %d over %d", n, max)
	}
	return n, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String writes the mechanism in canonical form: no "+" qualifier, no
// default prefix lengths. Parsing it gives the same mechanism back.
func (m Mechanism) String() string {
	var b strings.Builder
	if m.Qualifier != QualifierPass && m.Qualifier != "" {
		b.WriteString(string(m.Qualifier))
	}
	b.WriteString(string(m.Kind))
	switch m.Kind {
	case KindIP4, KindIP6:
		b.WriteString(":" + m.Prefix.Addr().String())
		if m.Prefix.Bits() != m.Prefix.Addr().BitLen() {
			b.WriteString("/" + strconv.Itoa(m.Prefix.Bits()))
		}
		return b.String()
	}
	if m.Domain != "" {
		b.WriteString(":" + m.Domain)
	}
	if m.Kind == KindA || m.Kind == KindMX {
		if m.CIDR4 != 32 {
			b.WriteString("/" + strconv.Itoa(m.CIDR4))
		}
		if m.CIDR6 != 128 {
			b.WriteString("//" + strconv.Itoa(m.CIDR6))
		}
	}
	return b.String()
}

// String writes the record in canonical form: the mechanisms in order, then
// the modifiers in order (where a modifier stands does not change its
// meaning, §6). Parsing it gives an equivalent record.
func (r *Record) String() string {
	var b strings.Builder
	b.WriteString("v=spf1")
	for _, m := range r.Mechanisms {
		b.WriteString(" " + m.String())
	}
	for _, m := range r.Modifiers {
		b.WriteString(" " + m.Name + "=" + m.Value)
	}
	return b.String()
}
