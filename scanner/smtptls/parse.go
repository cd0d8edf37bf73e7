package smtptls

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/mxscope/mxscope/scanner/internal/dnsname"
)

const (
	versionMTASTS = "v=STSv1"
	versionTLSRPT = "v=TLSRPTv1"
)

// MTASTS is a parsed MTA-STS TXT record (RFC 8461 §3.1).
type MTASTS struct {
	ID         string   // 1–32 letters and digits; changes whenever the HTTPS policy changes
	Extensions []string // names of extension fields, which senders ignore
}

// TLSRPT is a parsed TLS-RPT TXT record (RFC 8460 §3).
type TLSRPT struct {
	RUA        []string // report destinations, each a mailto: or https: URI, as written
	Extensions []string // names of extension fields, which senders ignore
}

// SelectMTASTS picks the MTA-STS record among the TXT records at
// _mta-sts.<domain>: records that do not begin with "v=STSv1;" are discarded,
// and anything but exactly one left means no policy (RFC 8461 §3.1).
func SelectMTASTS(txts []string) (string, error) { return selectVersion(txts, versionMTASTS) }

// SelectTLSRPT picks the TLS-RPT record among the TXT records at
// _smtp._tls.<domain>: records that do not begin with "v=TLSRPTv1;" are
// discarded, and anything but exactly one left means no TLS-RPT (RFC 8460 §3).
func SelectTLSRPT(txts []string) (string, error) { return selectVersion(txts, versionTLSRPT) }

// selectVersion keeps the records that begin with version followed by the
// field separator (*WSP ";") or the end. The version is case-sensitive (%s
// in both ABNFs) and must come first, with nothing before it.
func selectVersion(txts []string, version string) (string, error) {
	var found []string
	for _, t := range txts {
		rest, ok := strings.CutPrefix(t, version)
		if rest = strings.TrimLeft(rest, " \t"); ok && (rest == "" || rest[0] == ';') {
			found = append(found, t)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("%w starting %s", ErrNoRecord, version)
	case 1:
		return found[0], nil
	default:
		return "", fmt.Errorf("%w (%d records starting %s)", ErrMultipleRecords, len(found), version)
	}
}

// ParseMTASTS parses an MTA-STS TXT record strictly by the ABNF of RFC 8461
// §3.1: senders that find a syntactically invalid record assume no policy.
func ParseMTASTS(record string) (*MTASTS, error) {
	fs, err := fields(record, versionMTASTS)
	if err != nil {
		return nil, err
	}
	m := &MTASTS{}
	for _, f := range fs {
		if f.name != "id" {
			m.Extensions = append(m.Extensions, f.name)
			continue
		}
		if len(f.value) > 32 || !isAlnum(f.value) {
			return nil, fmt.Errorf("%w: id=%s must be 1 to 32 letters and digits", ErrSyntax, printable(f.value))
		}
		m.ID = f.value
	}
	if m.ID == "" {
		return nil, fmt.Errorf("%w id", ErrMissingField)
	}
	return m, nil
}

// ParseTLSRPT parses a TLS-RPT TXT record strictly by the ABNF of RFC 8460
// §3: a rua field is required, and each of its URIs must be mailto: or https:.
func ParseTLSRPT(record string) (*TLSRPT, error) {
	fs, err := fields(record, versionTLSRPT)
	if err != nil {
		return nil, err
	}
	t := &TLSRPT{}
	for _, f := range fs {
		if f.name != "rua" {
			t.Extensions = append(t.Extensions, f.name)
			continue
		}
		if strings.HasPrefix(f.value, " ") || strings.HasPrefix(f.value, "\t") {
			return nil, fmt.Errorf("%w: space after rua=", ErrSyntax)
		}
		for _, u := range strings.Split(f.value, ",") {
			u = strings.Trim(u, " \t")
			if err := checkReportURI(u); err != nil {
				return nil, fmt.Errorf("%w: rua URI %s: %v", ErrSyntax, printable(u), err)
			}
			t.RUA = append(t.RUA, u)
		}
	}
	if t.RUA == nil {
		return nil, fmt.Errorf("%w rua", ErrMissingField)
	}
	return t, nil
}

type field struct{ name, value string }

// fields splits a record of the shape both RFCs share,
//
//	record = version 1*(sep field) [sep]   sep = *WSP ";" *WSP
//	field  = name "=" value                name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
//
// checking version, separators and names. Values of extension fields are
// checked here (1*(%x21-3A / %x3C / %x3E-7E)); the known fields (id, rua,
// whose names are case-sensitive) are left to the caller, since a rua list
// may contain spaces around its commas.
func fields(record, version string) ([]field, error) {
	if len(record) > MaxRecordLen {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLong, len(record), MaxRecordLen)
	}
	for i := 0; i < len(record); i++ {
		if c := record[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return nil, fmt.Errorf("%w %q at byte %d", ErrControlChar, record[i:i+1], i)
		}
	}
	segs := strings.Split(record, ";")
	if strings.TrimRight(segs[0], " \t") != version {
		return nil, fmt.Errorf("%w: must start with %s", ErrVersion, version)
	}
	segs = segs[1:]
	if n := len(segs); n > 0 && strings.Trim(segs[n-1], " \t") == "" {
		segs = segs[:n-1] // the optional trailing separator
	}
	var out []field
	seen := map[string]bool{}
	for _, s := range segs {
		s = strings.Trim(s, " \t")
		name, value, ok := strings.Cut(s, "=")
		switch {
		case s == "":
			return nil, fmt.Errorf("%w: empty field", ErrSyntax)
		case !ok || !validFieldName(name):
			return nil, fmt.Errorf("%w: bad field %s", ErrSyntax, printable(s))
		case name != "id" && name != "rua" && !validExtValue(value):
			return nil, fmt.Errorf("%w: bad value in %s", ErrSyntax, printable(s))
		case seen[name]:
			return nil, fmt.Errorf("%w %s", ErrDuplicateField, name)
		}
		seen[name] = true
		out = append(out, field{name, value})
	}
	return out, nil
}

func validFieldName(s string) bool {
	if s == "" || len(s) > 32 || !isAlnum(s[:1]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlnum(s[i:i+1]) && c != '_' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

func validExtValue(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == '=' || c == ';' {
			return false
		}
	}
	return true
}

func isAlnum(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// checkReportURI accepts an absolute mailto: URI with an address, or an
// https: URI with a host (RFC 8460 §3, "rua").
func checkReportURI(s string) error {
	if s == "" {
		return fmt.Errorf("empty")
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return fmt.Errorf("space or non-ASCII byte")
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URI")
	}
	switch u.Scheme {
	case "mailto":
		addr, err := url.PathUnescape(u.Opaque)
		if err != nil || !dnsname.MailAddress(addr) {
			return fmt.Errorf("not a mail address")
		}
	case "https":
		if u.Hostname() == "" {
			return fmt.Errorf("no host")
		}
	default:
		return fmt.Errorf("scheme must be mailto or https")
	}
	return nil
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
