package spf

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// maxExpansion caps the text one macro-string may expand to, so a record full
// of "%{s}" over a long sender cannot build megabytes of explanation.
const maxExpansion = 8192

var errExpansionTooLong = errors.New("spf: macro expansion too long")

// macroPart is one piece of a parsed macro-string (RFC 7208 §7.1): literal
// text, one of the escapes "%%" "%_" "%-", or a macro-expand "%{...}".
type macroPart struct {
	lit     string // literal text, or the replacement of an escape
	escape  bool   // lit came from "%%", "%_" or "%-" (a macro-expand in the grammar)
	letter  byte   // macro letter in lower case; 0 for literal text
	upper   bool   // letter was upper case: URL-escape the value
	keep    int    // right-hand parts to keep; 0 keeps all
	reverse bool   // the "r" transformer
	delims  string // delimiters to split on; "" means "."
}

// macroString is a parsed macro-string.
type macroString []macroPart

// hasMacro reports whether the string expands anything, so its value depends
// on the message and not only on the record.
func (m macroString) hasMacro() bool {
	for _, p := range m {
		if p.letter != 0 {
			return true
		}
	}
	return false
}

// parseMacroString parses a macro-string. With explain set it parses an
// explain-string instead (§6.2): spaces are literal text and the letters
// c, r and t, which only make sense in an explanation, are allowed.
// The error says what is wrong; the caller names the term.
func parseMacroString(s string, explain bool) (macroString, error) {
	var out macroString
	lit := 0 // start of the pending literal run
	flush := func(end int) {
		if end > lit {
			out = append(out, macroPart{lit: s[lit:end]})
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c != '%' {
			if (c < 0x21 || c > 0x7e) && !(explain && c == ' ') {
				return nil, errors.New("control or non-ascii character")
			}
			i++
			continue
		}
		flush(i)
		if i+1 >= len(s) {
			return nil, errors.New(`"%" at the end`)
		}
		switch s[i+1] {
		case '%':
			out = append(out, macroPart{lit: "%", escape: true})
			i += 2
		case '_':
			out = append(out, macroPart{lit: " ", escape: true})
			i += 2
		case '-':
			out = append(out, macroPart{lit: "%20", escape: true})
			i += 2
		case '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return nil, errors.New(`unterminated "%{"`)
			}
			p, err := parseMacroExpand(s[i+2:i+end], explain)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
			i += end + 1
		default:
			return nil, errors.New(`"%" not followed by "{", "%", "_" or "-"`)
		}
		lit = i
	}
	flush(len(s))
	return out, nil
}

// parseMacroExpand parses the inside of "%{...}":
// macro-letter transformers *delimiter, transformers = *DIGIT [ "r" ].
func parseMacroExpand(s string, explain bool) (macroPart, error) {
	var p macroPart
	if s == "" {
		return p, errors.New("empty macro")
	}
	c := s[0]
	lc := c | 0x20
	switch lc {
	case 's', 'l', 'o', 'd', 'i', 'p', 'v', 'h':
	case 'c', 'r', 't':
		if !explain {
			return p, errors.New(`macro letter "` + string(c) + `" is allowed only in explanations`)
		}
	default:
		return p, errors.New(`unknown macro letter "` + string(c) + `"`)
	}
	p.upper = c != lc // an upper-case letter: URL-escape the value
	p.letter = lc
	i := 1
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		// Saturate: any count above the number of parts keeps them all.
		if p.keep < 1000 {
			p.keep = p.keep*10 + int(s[i]-'0')
		}
		digits++
		i++
	}
	if digits > 0 && p.keep == 0 {
		return p, errors.New("macro keeps zero parts")
	}
	if i < len(s) && s[i]|0x20 == 'r' {
		p.reverse = true
		i++
	}
	for ; i < len(s); i++ {
		if !strings.ContainsRune(".-+,/_=", rune(s[i])) {
			return p, errors.New(`invalid macro delimiter "` + string(s[i]) + `"`)
		}
	}
	p.delims = s[1+digits:]
	if p.reverse {
		p.delims = p.delims[1:]
	}
	return p, nil
}

// endsAsDomain checks the domain-end rule of a domain-spec (§7.1): it ends
// in a macro-expand, or in "." toplabel with an optional final dot.
func (m macroString) endsAsDomain() bool {
	if len(m) == 0 {
		return false
	}
	last := m[len(m)-1]
	if last.letter != 0 || last.escape {
		return true
	}
	t := strings.TrimSuffix(last.lit, ".")
	i := strings.LastIndexByte(t, '.')
	return i >= 0 && isTopLabel(t[i+1:])
}

// isTopLabel reports whether s is a toplabel: letters, digits and inner
// hyphens, and not all digits (so "a:1.2.3.4" is a syntax error, §7.1).
func isTopLabel(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	alpha, hyphen := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c|0x20 >= 'a' && c|0x20 <= 'z':
			alpha = true
		case c >= '0' && c <= '9':
		case c == '-':
			hyphen = true
		default:
			return false
		}
	}
	return alpha || hyphen
}

// macroEnv holds the values macros expand to (§7.2).
type macroEnv struct {
	sender   string     // s: the sender, local-part@domain
	local    string     // l: local-part of the sender
	sdomain  string     // o: domain of the sender
	domain   string     // d: the domain being checked
	ip       netip.Addr // i, c, v: the client address, IPv4-mapped already unmapped
	helo     string     // h: HELO/EHLO domain
	receiver string     // r: the checking host
	now      time.Time  // t
	// ptr returns the validated domain name of ip (p); it queries DNS, so
	// it is called only when a record uses %{p}.
	ptr func() string
}

// value returns the raw value of a macro letter.
func (e *macroEnv) value(letter byte) string {
	switch letter {
	case 's':
		return e.sender
	case 'l':
		return e.local
	case 'o':
		return e.sdomain
	case 'd':
		return e.domain
	case 'i':
		return dottedIP(e.ip)
	case 'p':
		if e.ptr == nil {
			return "unknown"
		}
		return e.ptr()
	case 'v':
		if e.ip.Is4() {
			return "in-addr"
		}
		return "ip6"
	case 'h':
		return e.helo
	case 'c':
		if !e.ip.IsValid() {
			return ""
		}
		return e.ip.String()
	case 'r':
		if e.receiver == "" {
			return "unknown"
		}
		return e.receiver
	case 't':
		return strconv.FormatInt(e.now.Unix(), 10)
	}
	return ""
}

// dottedIP writes an address as %{i} does: dotted quad for IPv4, and for
// IPv6 the 32 nibbles in lower-case hex separated by dots (§7.3).
func dottedIP(ip netip.Addr) string {
	if !ip.IsValid() {
		return ""
	}
	if ip.Is4() {
		return ip.String()
	}
	const hex = "0123456789abcdef"
	b := make([]byte, 0, 63)
	for _, x := range ip.As16() {
		b = append(b, hex[x>>4], '.', hex[x&0xf], '.')
	}
	return string(b[:len(b)-1])
}

// expand expands a parsed macro-string.
func (m macroString) expand(e *macroEnv) (string, error) {
	var b strings.Builder
	for _, p := range m {
		if p.letter == 0 {
			b.WriteString(p.lit)
		} else {
			v := transform(e.value(p.letter), p)
			if p.upper {
				v = urlEscape(v)
			}
			b.WriteString(v)
		}
		if b.Len() > maxExpansion {
			return "", errExpansionTooLong
		}
	}
	return b.String(), nil
}

// transform splits a value on the delimiters, reverses it if asked, keeps
// the right-most parts and joins them with dots (§7.3).
func transform(v string, p macroPart) string {
	delims := p.delims
	if delims == "" {
		delims = "."
	}
	parts := splitAny(v, delims)
	if p.reverse {
		for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
			parts[i], parts[j] = parts[j], parts[i]
		}
	}
	if p.keep > 0 && p.keep < len(parts) {
		parts = parts[len(parts)-p.keep:]
	}
	return strings.Join(parts, ".")
}

// splitAny splits s at every byte in delims, keeping empty parts.
func splitAny(s, delims string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(delims, s[i]) >= 0 {
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// urlEscape percent-encodes every byte outside the URI unreserved set, as
// upper-case macro letters require (§7.3).
func urlEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c|0x20 >= 'a' && c|0x20 <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xf])
	}
	return b.String()
}

// targetName turns an expanded domain-spec into a name to query: the final
// dot is dropped, a name over 253 bytes loses labels from the left until
// it fits (§7.3), and it is escaped for the Resolver. ok is false for a name no query can carry (an empty label,
// a label over 63 bytes); the mechanism then does not match (§4.3, §4.8).
func targetName(s string) (name string, ok bool) {
	s = strings.TrimSuffix(s, ".")
	for len(s) > 253 {
		i := strings.IndexByte(s, '.')
		if i < 0 {
			return "", false
		}
		s = s[i+1:]
	}
	if s == "" {
		return "", false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 {
			return "", false
		}
	}
	return presentation(s), true
}

// presentation escapes a name for the Resolver (RFC 1035 §5.1, as
// miekg/dns writes names): "\X" for the characters that are special in a
// name, "\DDD" for bytes outside visible ASCII. Macros can put spaces
// ("%_"), quotes and any byte of a local-part into a name.
func presentation(s string) string {
	i := 0
	for i < len(s) && !needsEscape(s[i]) {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case strings.IndexByte(nameSpecials, c) >= 0:
			b = append(b, '\\', c)
		case c < 0x20 || c > 0x7e:
			b = append(b, '\\', '0'+c/100, '0'+c/10%10, '0'+c%10)
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// nameSpecials are the bytes miekg/dns escapes with a backslash in a name.
const nameSpecials = " '@;()\"\\"

func needsEscape(c byte) bool {
	return c < 0x20 || c > 0x7e || strings.IndexByte(nameSpecials, c) >= 0
}
