package targets

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ErrInvalidDomain is what every *DomainError unwraps to, so callers can
// ask errors.Is(err, ErrInvalidDomain) without caring about the reason.
var ErrInvalidDomain = errors.New("targets: not a valid domain")

// DomainError is why Normalize rejected its input. Error returns the reason
// alone, lower case and specific (it becomes Target.Invalid and the error
// column of the report), without the package prefix.
type DomainError struct {
	Reason string
}

func (e *DomainError) Error() string { return e.Reason }

// Unwrap returns ErrInvalidDomain.
func (e *DomainError) Unwrap() error { return ErrInvalidDomain }

func invalid(format string, args ...any) error {
	return &DomainError{Reason: fmt.Sprintf(format, args...)}
}

// profile converts Unicode names to A-labels: UTS 46 with IDNA 2008 rules,
// configured option by option rather than taken from idna.Lookup, because
//
//   - idna.Lookup's configuration "may change over time", and Domain is the
//     dedupe key and part of the output contract: it must not move when
//     golang.org/x/net is upgraded;
//   - idna.Lookup applies the STD3 ASCII rules, which reject '_'; we allow '_'
//     (see checkName) and check the ASCII repertoire ourselves, with better
//     messages;
//   - idna.Registration (ValidateForRegistration) refuses any input that
//     needs mapping, so "Bücher.example" or full-width text pasted from a
//     document would be rejected although its meaning is unambiguous.
//
// What it does: MapForLookup applies the UTS 46 mapping (case folding, width
// folding, NFC, U+3002 and friends to '.') and validates every label (RFC 5891
// §5.4, hyphen rules and ContextJ joiners included); Transitional(false)
// keeps IDNA 2008's deviation characters, so faß.de is xn--fa-hia.de, the
// name DENIC registers, and not fass.de; BidiRule adds RFC 5893 (idna.Lookup
// has it, MapForLookup alone does not). Lengths are checked by checkName.
var profile = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.BidiRule(),
	idna.StrictDomainName(false),
)

const (
	maxName  = 253 // octets in a name, without the trailing dot (RFC 1035 §2.3.4)
	maxLabel = 63  // octets in a label (RFC 1035 §2.3.4)
)

// Normalize reduces one written domain to its canonical A-label form and,
// for an internationalised name, its U-label form (unicode is "" otherwise).
//
// In order: spaces are trimmed; a URL is reduced to its host ("https://",
// any other scheme followed by "://", "//" and "mailto:" are dropped, then
// everything from the first '/', '?' or '#', any "user@" part, and a numeric
// port); an e-mail address therefore yields its domain, which is the mail
// domain one would scan. The host is lower-cased, converted with UTS 46 when
// it holds non-ASCII text or an xn-- label, and one trailing dot is removed.
//
// The result must then be a domain name: at most 253 octets, labels of 1 to
// 63 octets of letters, digits, hyphens and underscores (underscores because
// names like _dmarc.example.com are legitimate DNS names, though not mail
// domains), no label starting or ending with a hyphen, "--" in the third and
// fourth positions only in a valid "xn--" A-label (RFC 5891 §4.2.3.1, as in
// UTS 46 CheckHyphens), at least two labels, and a top-level label that is
// not all digits. IP addresses are rejected as such.
//
// On error, ascii still holds the lower-case name when the name is made of
// valid characters and only its shape is wrong (a single label, an over-long
// label), so reports can show it; it is "" otherwise. The error is a
// *DomainError.
func Normalize(s string) (ascii, unicode string, err error) {
	written := strings.TrimSpace(s)
	if written == "" {
		return "", "", invalid("empty entry")
	}
	host := hostOf(written)
	if host == "" || host == "." {
		return "", "", invalid("not a domain name: %s (no host name)", quote(written))
	}
	// Only an IPv6 address has a colon, and an IPv4 address is digits and
	// dots; ParseAddr is not asked about others, which it would answer with
	// an allocated error.
	if bare := strings.TrimSuffix(host, "."); strings.IndexByte(bare, ':') >= 0 || digitsAndDots(bare) {
		if _, err := netip.ParseAddr(bare); err == nil {
			return "", "", invalid("an IP address, not a domain")
		}
	}
	if allDigits(host) {
		return "", "", invalid("a number, not a domain")
	}
	if !utf8.ValidString(host) {
		return "", "", invalid("not a domain name: %s (not valid UTF-8)", quote(written))
	}
	if r, ok := badASCII(host); ok {
		return "", "", invalid("not a domain name: %s (label contains %s)", quote(written), quoteRune(r))
	}
	lower := strings.ToLower(host)
	ascii = lower
	if !isASCII(host) || strings.Contains(lower, "xn--") {
		ascii, err = profile.ToASCII(host)
		if err != nil {
			return "", "", invalid("not a valid internationalised domain name: %s (%s)",
				quote(written), strings.TrimPrefix(err.Error(), "idna: "))
		}
		// A Unicode character may map to ASCII that is not allowed in a
		// name (U+FF01 full-width '!' maps to '!').
		if r, ok := badASCII(ascii); ok {
			return "", "", invalid("not a domain name: %s (label contains %s)", quote(written), quoteRune(r))
		}
	}
	ascii = strings.TrimSuffix(ascii, ".")
	if derived, err := checkName(ascii, written); err != nil {
		if !derived {
			ascii = ""
		}
		return ascii, "", err
	}
	if strings.HasPrefix(ascii, "xn--") || strings.Contains(ascii, ".xn--") {
		u, err := profile.ToUnicode(ascii)
		if err == nil && u != ascii {
			unicode = u
		}
	}
	return ascii, unicode, nil
}

// checkName validates a lower-case, dot-stripped name made of allowed ASCII
// characters. derived reports whether name is still worth showing as the
// domain of an invalid entry.
func checkName(name, written string) (derived bool, err error) {
	labels := 0
	var last string
	for rest := name; ; {
		label, tail, more := strings.Cut(rest, ".")
		labels++
		last = label
		switch {
		case label == "":
			return false, invalid("not a domain name: %s (empty label)", quote(written))
		case len(label) > maxLabel:
			return true, invalid("label longer than %d characters: %s (%d)", maxLabel, quote(label), len(label))
		case label[0] == '-':
			return true, invalid("not a domain name: %s (label %s starts with a hyphen)", quote(written), quote(label))
		case label[len(label)-1] == '-':
			return true, invalid("not a domain name: %s (label %s ends with a hyphen)", quote(written), quote(label))
		case len(label) >= 4 && label[2] == '-' && label[3] == '-' && !strings.HasPrefix(label, "xn--"):
			// Valid xn-- labels were checked by the IDNA profile.
			return true, invalid("not a domain name: %s (label %s has \"--\" in the third and fourth positions, reserved for IDNA)",
				quote(written), quote(label))
		}
		if !more {
			break
		}
		rest = tail
	}
	switch {
	case len(name) > maxName:
		return true, invalid("name longer than %d characters (%d)", maxName, len(name))
	case labels < 2:
		return true, invalid("not a domain name: %s (a single label; a domain has at least two, like example.com)", quote(written))
	case allDigits(last):
		return true, invalid("not a domain name: %s (the top-level label %s is all digits)", quote(written), quote(last))
	}
	return false, nil
}

// hostOf reduces a URL, an e-mail address or host:port to the host. It only
// cuts; it never validates.
func hostOf(s string) string {
	if i := strings.Index(s, "://"); i > 0 && isScheme(s[:i]) {
		s = s[i+3:]
	} else if strings.HasPrefix(s, "//") {
		s = s[2:]
	} else if len(s) >= 7 && strings.EqualFold(s[:7], "mailto:") {
		s = s[7:]
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	if strings.HasPrefix(s, "[") { // [2001:db8::1]:443
		if i := strings.IndexByte(s, ']'); i > 0 && isPort(s[i+1:]) {
			return s[1:i]
		}
		return s
	}
	if i := strings.IndexByte(s, ':'); i >= 0 && i == strings.LastIndexByte(s, ':') && isPort(s[i:]) {
		s = s[:i]
	}
	return s
}

// isPort reports whether s is "" or ":" followed by digits (possibly none).
func isPort(s string) bool {
	return s == "" || s[0] == ':' && (len(s) == 1 || allDigits(s[1:]))
}

// isScheme reports whether s is a URL scheme (RFC 3986 §3.1).
func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// badASCII returns the first ASCII character that may not appear in a name.
// Non-ASCII runes are left to the IDNA profile.
func badASCII(s string) (rune, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-' || c == '_' || c == '.':
		default:
			return rune(c), true
		}
	}
	return 0, false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func digitsAndDots(s string) bool {
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && s[i] != '.' {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// quote quotes s for a message, shortened so that a 64 MiB line cannot
// flood a terminal.
func quote(s string) string {
	const max = 64
	if len(s) <= max {
		return strconv.Quote(s)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut] + "…")
}

func quoteRune(r rune) string { return strconv.QuoteRune(r) }
