package dmarc

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/mxscope/mxscope/scanner/internal/dnsname"
)

// Record is a parsed DMARC policy record with every default filled in.
type Record struct {
	Policy            Policy // p: for the domain that published the record
	SubdomainPolicy   Policy // sp: for existing subdomains; defaults to Policy
	NonexistentPolicy Policy // np (RFC 9989): for subdomains that do not exist; defaults to SubdomainPolicy
	Pct               int    // pct (RFC 7489 only; removed by RFC 9989): 0–100, default 100
	Testing           bool   // t=y (RFC 9989): the owner asks receivers not to apply the policy yet
	RUA               []URI  // aggregate report destinations; invalid URIs are dropped with a warning
	RUF               []URI  // failure report destinations; invalid URIs are dropped with a warning
	ADKIM             string // "r" (relaxed, default) or "s" (strict)
	ASPF              string // "r" (relaxed, default) or "s" (strict)
	FO                []string
	RI                uint32   // ri (RFC 7489 only): report interval in seconds, default 86400
	RF                string   // rf (RFC 7489 only): failure report format, default "afrf"
	PSD               string   // psd (RFC 9989): "y", "n" or "u" (default)
	Unknown           []string // names of tags this package does not know, which receivers ignore
	Warnings          []string // problems that do not make the record unusable, Discarded's included
	// Discarded names each syntax error receivers discard in favour of a
	// default or ignore (RFC 9989 §4.8): a malformed tag, a value that is
	// not a dmarc-value, a value outside its tag's syntax, a bad URI.
	Discarded []string

	ruaSyntax bool // rua holds at least one syntactically valid URI (RFC 9989 §4.10.1)
}

// URI is one entry of a rua or ruf list.
type URI struct {
	Raw     string // as written, including any !size suffix
	Scheme  string // lower case, e.g. "mailto" or "https"
	Address string // mailto: the address; http(s): the host; other schemes: the opaque part or host
	Size    uint64 // the obsolete !size limit in bytes (k, m, g, t are powers of 2^10); 0 when absent
}

// Domain returns the lower-case domain of a mailto: address, or "" for other URIs.
func (u URI) Domain() string {
	if u.Scheme != "mailto" {
		return ""
	}
	i := strings.LastIndexByte(u.Address, '@')
	return strings.TrimSuffix(strings.ToLower(u.Address[i+1:]), ".")
}

// policyError reports an absent p or an unusable p, sp or np value; it
// matches ErrInvalidPolicy.
type policyError struct {
	tag, value string
	present    bool
}

func (e *policyError) Error() string {
	if !e.present {
		return "dmarc: no " + e.tag + " tag"
	}
	return "dmarc: invalid " + e.tag + "=" + printable(e.value)
}
func (e *policyError) Is(target error) bool { return target == ErrInvalidPolicy }

// Select picks the DMARC record among the TXT records at a _dmarc name
// (RFC 7489 §6.6.3 steps 2 and 5; RFC 9989 §4.10 step 2). Records that do not
// start with the v=DMARC1 tag are discarded; none left is ErrNoRecord, more
// than one is ErrMultipleRecords, since receivers then apply no policy.
func Select(txts []string) (string, error) {
	var found []string
	for _, t := range txts {
		if isDMARC(t) {
			found = append(found, t)
		}
	}
	switch len(found) {
	case 0:
		return "", ErrNoRecord
	case 1:
		return found[0], nil
	default:
		return "", fmt.Errorf("%w (%d records)", ErrMultipleRecords, len(found))
	}
}

// isDMARC reports whether a TXT record starts with the version tag:
// "v" *WSP "=" *WSP "DMARC1" *WSP, then ";" or the end (RFC 9989 §4.8).
// The tag name is case-insensitive, the value is not, and nothing may
// precede the "v": the ABNF allows no leading space, so neither do we.
func isDMARC(txt string) bool {
	seg, _, _ := strings.Cut(txt, ";")
	return versionTag(seg)
}

func versionTag(seg string) bool {
	seg = strings.TrimRight(seg, " \t")
	if seg == "" || (seg[0] != 'v' && seg[0] != 'V') {
		return false
	}
	rest := strings.TrimLeft(seg[1:], " \t")
	if !strings.HasPrefix(rest, "=") {
		return false
	}
	return strings.TrimLeft(rest[1:], " \t") == "DMARC1"
}

// Parse parses one DMARC record (the character-strings of one TXT record
// concatenated). It fails only where receivers apply no DMARC processing to
// the record: it does not start with the v=DMARC1 tag (ErrNotDMARC), a tag
// appears twice (ErrDuplicateTag), or p is absent or invalid, or sp or np
// invalid, without a syntactically valid rua to fall back on
// (ErrInvalidPolicy). Everything else that breaks the formal definition is
// discarded in favour of the default, or ignored, as RFC 9989 §4.8 and
// RFC 7489 §6.3 require ("syntax errors in the remainder of the record MUST
// be discarded in favor of default values (if any) or ignored outright"),
// and named in Record.Discarded: a control byte in an unknown tag's value
// does not cost the record its p.
func Parse(record string) (*Record, error) {
	rec, err := parse(record)
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// parse is Parse for discovery: for a DMARC record whose policy is unusable
// it returns the record as far as it was read (its psd tag still steers the
// tree walk, RFC 9989 §4.10) together with the error. It returns a nil
// record only with ErrNotDMARC.
func parse(record string) (*Record, error) {
	segs := strings.Split(record, ";")
	if !versionTag(segs[0]) {
		return nil, ErrNotDMARC
	}

	rec := &Record{Pct: 100, ADKIM: "r", ASPF: "r", FO: []string{"0"}, RI: 86400, RF: "afrf", PSD: "u"}
	warn := func(format string, args ...any) { rec.Warnings = append(rec.Warnings, fmt.Sprintf(format, args...)) }
	// discard records a syntax error that receivers discard (RFC 9989 §4.8).
	discard := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		rec.Discarded = append(rec.Discarded, msg)
		rec.Warnings = append(rec.Warnings, msg)
	}
	values := map[string]string{}
	seen := map[string]bool{"v": true}
	var order []string
	var dup error
	for _, seg := range segs[1:] {
		seg = strings.Trim(seg, " \t")
		if seg == "" {
			continue // a trailing ";" is allowed; stray empty ones are harmless
		}
		name, value, ok := strings.Cut(seg, "=")
		name = strings.ToLower(strings.Trim(name, " \t"))
		value = strings.Trim(value, " \t")
		if !ok || !isAlpha(name) {
			discard("malformed tag %s ignored", printable(seg))
			continue
		}
		if seen[name] {
			// RFC 9989 §4.7 takes its tag-value syntax from DKIM, where a
			// duplicate tag makes the entire tag-list invalid (RFC 6376
			// §3.2). The first value is kept so that the walk can still
			// read psd.
			if dup == nil {
				dup = fmt.Errorf("%w %s", ErrDuplicateTag, name)
			}
			continue
		}
		seen[name] = true
		order = append(order, name)
		values[name] = value
	}

	if seen["p"] && order[0] != "p" {
		warn("p is not directly after v (RFC 7489 §6.4 expects it there; RFC 9989 allows any order)")
	}
	for _, name := range order {
		v := values[name]
		if name == "p" || name == "sp" || name == "np" {
			continue // handled below, once rua is known
		}
		if (name == "rua" || name == "ruf") && v != "" {
			// A dmarc-urilist is judged URI by URI: WSP may surround its
			// commas (RFC 9989 §4.8), and one malformed URI costs only
			// itself, since §4.10.1 asks whether rua "contains at least
			// one syntactically valid reporting URI".
			uris := parseURIs(name, v, discard, warn)
			if name == "rua" {
				rec.RUA, rec.ruaSyntax = uris, anySyntacticURI(v)
			} else {
				rec.RUF = uris
			}
			continue
		}
		if !isValue(v) {
			// Not a dmarc-value (printing ASCII but ";", at least one):
			// the whole tag is a syntax error, unknown tags included.
			discard("%s=%s ignored: not a valid tag value", name, printable(v))
			continue
		}
		switch name {
		case "adkim", "aspf":
			if lv := strings.ToLower(v); lv == "r" || lv == "s" {
				if name == "adkim" {
					rec.ADKIM = lv
				} else {
					rec.ASPF = lv
				}
			} else {
				discard("invalid %s=%s ignored (default r)", name, printable(v))
			}
		case "pct":
			warn("pct is obsolete in RFC 9989, whose receivers ignore it (use t=y for testing)")
			if n, err := strconv.Atoi(v); err == nil && isDigits(v) && n <= 100 {
				rec.Pct = n
			} else {
				discard("invalid pct=%s ignored (default 100)", printable(v))
			}
		case "t":
			switch strings.ToLower(v) {
			case "y":
				rec.Testing = true
			case "n":
			default:
				discard("invalid t=%s ignored (default n)", printable(v))
			}
		case "fo":
			if fo, ok := parseFO(v); ok {
				rec.FO = fo
			} else {
				discard("invalid fo=%s ignored (default 0)", printable(v))
			}
		case "ri":
			warn("ri is obsolete in RFC 9989")
			if n, err := strconv.ParseUint(v, 10, 32); err == nil && isDigits(v) {
				rec.RI = uint32(n)
			} else {
				discard("invalid ri=%s ignored (default 86400)", printable(v))
			}
		case "rf":
			warn("rf is obsolete in RFC 9989")
			if lv := strings.ToLower(v); validRF(lv) {
				rec.RF = lv
			} else {
				discard("invalid rf=%s ignored (default afrf)", printable(v))
			}
		case "psd":
			switch lv := strings.ToLower(v); lv {
			case "y", "n", "u":
				rec.PSD = lv
			default:
				discard("invalid psd=%s ignored (default u)", printable(v))
			}
		default:
			rec.Unknown = append(rec.Unknown, name)
		}
	}

	// Policies. RFC 9989 §4.10.1 and RFC 7489 §6.6.3 step 6 agree: a record
	// that "does not contain a valid p tag, or contains an sp or np tag that
	// is not valid" is treated as if it said p=none when its rua holds at
	// least one syntactically valid URI, and otherwise gets no DMARC
	// processing at all. An absent p is "not a valid p tag" by that text
	// (RFC 9989 §4.7's "treated as if it included p=none" points there), so
	// it takes the same road. With a valid rua the whole record becomes
	// p=none, sp and np included, with a warning; without one parse fails,
	// so Discover reports the record invalid.
	rec.Policy = PolicyNone
	var bad *policyError
	if !seen["p"] {
		bad = &policyError{tag: "p"}
	}
	for _, name := range []string{"p", "sp", "np"} {
		v, ok := values[name]
		if !ok {
			continue
		}
		p, valid := parsePolicy(v)
		if !valid {
			if bad == nil {
				bad = &policyError{tag: name, value: v, present: true}
			}
			continue
		}
		switch name {
		case "p":
			rec.Policy = p
		case "sp":
			rec.SubdomainPolicy = p
		case "np":
			rec.NonexistentPolicy = p
		}
	}
	if bad != nil {
		if !rec.ruaSyntax {
			return rec, bad
		}
		discard("%s: treated as p=none because rua holds a valid URI (RFC 9989 §4.10.1, RFC 7489 §6.6.3)",
			strings.TrimPrefix(bad.Error(), "dmarc: "))
		rec.Policy, rec.SubdomainPolicy, rec.NonexistentPolicy = PolicyNone, PolicyNone, PolicyNone
	}
	if rec.SubdomainPolicy == "" {
		rec.SubdomainPolicy = rec.Policy
	}
	if rec.NonexistentPolicy == "" {
		rec.NonexistentPolicy = rec.SubdomainPolicy
	}
	if dup != nil {
		return rec, dup
	}
	return rec, nil
}

// isValue reports whether v is a dmarc-value: one or more printing ASCII
// characters (%x20-3A / %x3C-7E; the ";" cannot occur, it separates tags).
func isValue(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return false
		}
	}
	return true
}

func parsePolicy(v string) (Policy, bool) {
	switch p := Policy(strings.ToLower(v)); p {
	case PolicyNone, PolicyQuarantine, PolicyReject:
		return p, true
	}
	return "", false
}

// parseFO accepts a colon-separated list of 0, 1, d and s, each at most once,
// with 0 and 1 mutually exclusive (RFC 9989 §4.8 dmarc-fo).
func parseFO(v string) ([]string, bool) {
	var out []string
	seen := map[string]bool{}
	for _, f := range strings.Split(strings.ToLower(v), ":") {
		f = strings.Trim(f, " \t")
		switch f {
		case "0", "1", "d", "s":
		default:
			return nil, false
		}
		if seen[f] {
			return nil, false
		}
		seen[f] = true
		out = append(out, f)
	}
	if seen["0"] && seen["1"] {
		return nil, false
	}
	return out, true
}

// validRF accepts a colon-separated list of report formats; afrf is the only
// one ever registered (RFC 7489 §6.3).
func validRF(v string) bool {
	for _, f := range strings.Split(v, ":") {
		if f != "afrf" {
			return false
		}
	}
	return true
}

// parseURIs parses a comma-separated rua or ruf list, keeping the valid URIs.
func parseURIs(tag, v string, discard, warn func(string, ...any)) []URI {
	var out []URI
	sized := false
	for _, raw := range strings.Split(v, ",") {
		raw = strings.Trim(raw, " \t")
		u, err := parseURI(raw)
		if err != nil {
			discard("invalid %s URI %s ignored: %v", tag, printable(raw), err)
			continue
		}
		if u.Size == 0 && strings.IndexByte(raw, '!') >= 0 {
			warn("%s URI %s: a literal ! should be percent-encoded (RFC 9989 §4.8)", tag, printable(raw))
		}
		sized = sized || u.Size > 0
		out = append(out, u)
	}
	if sized {
		warn("%s: the !size suffix is obsolete in RFC 9989 (reporters ignore it)", tag)
	}
	return out
}

func parseURI(raw string) (URI, error) {
	u := URI{Raw: raw}
	s := raw
	if i := strings.LastIndexByte(s, '!'); i >= 0 {
		// Without a size after it the "!" is the URI's own: RFC 3986
		// allows it, though RFC 9989 §4.8 asks for it percent-encoded.
		if n, ok := parseSize(s[i+1:]); ok {
			u.Size, s = n, s[:i]
		}
	}
	if s == "" {
		return u, fmt.Errorf("empty")
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return u, fmt.Errorf("space or non-ASCII byte")
		}
	}
	pu, err := url.Parse(s)
	if err != nil || pu.Scheme == "" {
		return u, fmt.Errorf("not an absolute URI")
	}
	u.Scheme = pu.Scheme // url.Parse lower-cases it
	switch u.Scheme {
	case "mailto":
		addr, err := url.PathUnescape(pu.Opaque)
		if err != nil || printable(addr) != addr {
			return u, fmt.Errorf("bad percent-encoding")
		}
		if !dnsname.MailAddress(addr) {
			return u, fmt.Errorf("not a mail address")
		}
		u.Address = addr
	case "http", "https":
		if pu.Hostname() == "" {
			return u, fmt.Errorf("no host")
		}
		u.Address = pu.Hostname()
	default:
		u.Address = pu.Opaque
		if u.Address == "" {
			u.Address = pu.Host
		}
	}
	return u, nil
}

// anySyntacticURI reports whether a rua list holds at least one
// syntactically valid URI, the test RFC 9989 §4.10.1 puts to a record whose
// policy is unusable: an RFC 3986 scheme, a colon and at least one URI
// character after it (the obsolete !size suffix allowed). It asks for no
// more than syntax: a mailto: whose address is malformed still counts here,
// though parseURIs drops it from the report destinations. So does a URI
// with a literal "!": the dmarc-uri production is RFC 3986's URI, which
// allows it, though the ABNF's comment asks publishers to encode it.
func anySyntacticURI(v string) bool {
	for _, raw := range strings.Split(v, ",") {
		raw = strings.Trim(raw, " \t")
		if syntacticURI(raw) {
			return true
		}
		if i := strings.LastIndexByte(raw, '!'); i >= 0 {
			if _, ok := parseSize(raw[i+1:]); ok && syntacticURI(raw[:i]) {
				return true
			}
		}
	}
	return false
}

// syntacticURI checks scheme ":" 1*uri-char, where a uri-char is one of
// RFC 3986's unreserved or reserved characters or a %-escape.
func syntacticURI(s string) bool {
	colon := strings.IndexByte(s, ':')
	if colon < 1 || colon == len(s)-1 || !isAlphaByte(s[0]) {
		return false
	}
	for i := 1; i < colon; i++ {
		c := s[i]
		if !isAlphaByte(c) && (c < '0' || c > '9') && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	for i := colon + 1; i < len(s); i++ {
		c := s[i]
		switch {
		case isAlphaByte(c), c >= '0' && c <= '9', strings.IndexByte("-._~:/?#[]@!$&'()*+,;=", c) >= 0:
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			i += 2
		default:
			return false
		}
	}
	return true
}

func isAlphaByte(c byte) bool {
	c |= 0x20
	return c >= 'a' && c <= 'z'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || (c|0x20) >= 'a' && (c|0x20) <= 'f'
}

// parseSize parses the obsolete report size limit: 1*DIGIT ["k"/"m"/"g"/"t"]
// (RFC 7489 §6.2: units are powers of two).
func parseSize(s string) (uint64, bool) {
	shift := 0
	if s != "" {
		switch s[len(s)-1] {
		case 'k', 'K':
			shift = 10
		case 'm', 'M':
			shift = 20
		case 'g', 'G':
			shift = 30
		case 't', 'T':
			shift = 40
		}
		if shift > 0 {
			s = s[:len(s)-1]
		}
	}
	if !isDigits(s) {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > (^uint64(0))>>shift {
		return 0, false
	}
	return n << shift, true
}

func isDigits(s string) bool {
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

func isAlpha(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// controlIndex returns the index of the first ASCII control byte other than
// tab (which is WSP in the ABNF), or -1.
func controlIndex(s string) int {
	for i := 0; i < len(s); i++ {
		if (s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f {
			return i
		}
	}
	return -1
}

// printable returns s unchanged when it is plain visible ASCII, else quoted
// with Go escapes, so DNS data in messages never carries raw bytes.
func printable(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return strconv.Quote(s)
		}
	}
	return s
}
