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
	Warnings          []string // problems that do not make the record unusable
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

// policyError reports an unusable p, sp or np value; it matches ErrInvalidPolicy.
type policyError struct{ tag, value string }

func (e *policyError) Error() string        { return "dmarc: invalid " + e.tag + "=" + printable(e.value) }
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
// concatenated). Structural faults are errors: a missing or misplaced v=DMARC1,
// a duplicate tag, a control character, excessive length, and an invalid
// p, sp or np without a valid rua. Other bad values fall back to their
// defaults with a warning, as RFC 7489 §6.3 and RFC 9989 §4.8 require
// ("syntax errors in the remainder of the record MUST be discarded in favor
// of default values (if any) or ignored outright").
func Parse(record string) (*Record, error) {
	if len(record) > MaxRecordLen {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLong, len(record), MaxRecordLen)
	}
	if i := controlIndex(record); i >= 0 {
		return nil, fmt.Errorf("%w %q at byte %d", ErrControlChar, record[i:i+1], i)
	}
	segs := strings.Split(record, ";")
	if !versionTag(segs[0]) {
		return nil, ErrNotDMARC
	}

	rec := &Record{Pct: 100, ADKIM: "r", ASPF: "r", FO: []string{"0"}, RI: 86400, RF: "afrf", PSD: "u"}
	warn := func(format string, args ...any) { rec.Warnings = append(rec.Warnings, fmt.Sprintf(format, args...)) }
	values := map[string]string{}
	seen := map[string]bool{"v": true}
	var order []string
	for _, seg := range segs[1:] {
		seg = strings.Trim(seg, " \t")
		if seg == "" {
			continue // a trailing ";" is allowed; stray empty ones are harmless
		}
		name, value, ok := strings.Cut(seg, "=")
		name = strings.ToLower(strings.Trim(name, " \t"))
		value = strings.Trim(value, " \t")
		if !ok || !isAlpha(name) {
			warn("malformed tag %s ignored", printable(seg))
			continue
		}
		if seen[name] {
			return nil, fmt.Errorf("%w %s", ErrDuplicateTag, name)
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
		switch name {
		case "p", "sp", "np": // handled below, once rua is known
		case "rua":
			rec.RUA = parseURIs(name, v, warn)
		case "ruf":
			rec.RUF = parseURIs(name, v, warn)
		case "adkim", "aspf":
			if lv := strings.ToLower(v); lv == "r" || lv == "s" {
				if name == "adkim" {
					rec.ADKIM = lv
				} else {
					rec.ASPF = lv
				}
			} else {
				warn("invalid %s=%s ignored (default r)", name, printable(v))
			}
		case "pct":
			warn("pct is obsolete in RFC 9989 (use t=y for testing)")
			if n, err := strconv.Atoi(v); err == nil && isDigits(v) && n <= 100 {
				rec.Pct = n
			} else {
				warn("invalid pct=%s ignored (default 100)", printable(v))
			}
		case "t":
			switch strings.ToLower(v) {
			case "y":
				rec.Testing = true
			case "n":
			default:
				warn("invalid t=%s ignored (default n)", printable(v))
			}
		case "fo":
			if fo, ok := parseFO(v); ok {
				rec.FO = fo
			} else {
				warn("invalid fo=%s ignored (default 0)", printable(v))
			}
		case "ri":
			warn("ri is obsolete in RFC 9989")
			if n, err := strconv.ParseUint(v, 10, 32); err == nil && isDigits(v) {
				rec.RI = uint32(n)
			} else {
				warn("invalid ri=%s ignored (default 86400)", printable(v))
			}
		case "rf":
			warn("rf is obsolete in RFC 9989")
			if lv := strings.ToLower(v); validRF(lv) {
				rec.RF = lv
			} else {
				warn("invalid rf=%s ignored (default afrf)", printable(v))
			}
		case "psd":
			switch lv := strings.ToLower(v); lv {
			case "y", "n", "u":
				rec.PSD = lv
			default:
				warn("invalid psd=%s ignored (default u)", printable(v))
			}
		default:
			rec.Unknown = append(rec.Unknown, name)
		}
	}

	// Policies. RFC 7489 §6.6.3 step 6 and RFC 9989 §4.10.1 agree: a record
	// whose p is invalid, or whose sp (RFC 9989: or np) is invalid, is treated
	// as if it said p=none when its rua holds at least one valid URI, and
	// otherwise no DMARC processing happens at all. We follow that literally:
	// with a valid rua the whole record becomes p=none (sp and np included)
	// with a warning; without one Parse fails, so Discover reports the record
	// invalid. An absent p is not invalid in RFC 9989 (§4.7: "treated as if
	// it included p=none"), so it becomes none with a warning whatever rua says;
	// RFC 7489 required p, and the warning says so.
	rec.Policy = PolicyNone
	if !seen["p"] {
		warn("no p tag: treated as p=none (RFC 9989 §4.7; RFC 7489 requires p)")
	}
	var bad *policyError
	for _, name := range []string{"p", "sp", "np"} {
		v, ok := values[name]
		if !ok {
			continue
		}
		p, valid := parsePolicy(v)
		if !valid {
			if bad == nil {
				bad = &policyError{name, v}
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
		if len(rec.RUA) == 0 {
			return nil, bad
		}
		warn("%s: treated as p=none because rua is valid (RFC 7489 §6.6.3, RFC 9989 §4.10.1)",
			strings.TrimPrefix(bad.Error(), "dmarc: "))
		rec.Policy, rec.SubdomainPolicy, rec.NonexistentPolicy = PolicyNone, PolicyNone, PolicyNone
	}
	if rec.SubdomainPolicy == "" {
		rec.SubdomainPolicy = rec.Policy
	}
	if rec.NonexistentPolicy == "" {
		rec.NonexistentPolicy = rec.SubdomainPolicy
	}
	return rec, nil
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
func parseURIs(tag, v string, warn func(string, ...any)) []URI {
	var out []URI
	sized := false
	for _, raw := range strings.Split(v, ",") {
		raw = strings.Trim(raw, " \t")
		u, err := parseURI(raw)
		if err != nil {
			warn("invalid %s URI %s ignored: %v", tag, printable(raw), err)
			continue
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
		n, ok := parseSize(s[i+1:])
		if !ok {
			return u, fmt.Errorf("bad !size suffix (a literal ! must be percent-encoded)")
		}
		u.Size, s = n, s[:i]
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
