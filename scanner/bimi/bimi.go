// Package bimi reads a domain's BIMI assertion record
// (draft-brand-indicators-for-message-identification: the TXT record at
// default._bimi.<domain> that names the logo mailbox providers may show
// beside the domain's authenticated mail, and the evidence that the logo is
// the domain's).
//
// It exists so that mxscope can say whether a campaign publishes a logo,
// whether the record is usable, and (with DMARC, elsewhere) whether
// receivers will honour it. It promises:
//   - no I/O of its own: the one DNS question goes through the caller's Resolver;
//   - a failed lookup is StatusTemperror, never "none";
//   - records are judged as a receiver would: the records starting v=BIMI1
//     are kept, anything but exactly one is no usable record, and that one
//     must parse; an empty l= and a= declines BIMI (§4.2.1 of the draft);
//   - bounded work on hostile input: records are capped at MaxRecordLen
//     bytes and parsing never panics.
//
// Neither the logo nor the evidence document is fetched.
package bimi

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Resolver looks up TXT records. Convention: NXDOMAIN or NODATA returns
// (nil, nil); any other failure returns a non-nil error. Strings are the
// character-strings of one record concatenated with nothing.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// Status is the outcome of looking up a domain's BIMI record.
type Status string

const (
	// StatusOK: exactly one valid record that names a logo or evidence.
	StatusOK Status = "ok"
	// StatusNone: DNS answered that there is no BIMI record, or the record declines BIMI (empty l= and a=).
	StatusNone Status = "none"
	// StatusInvalid: records are there, but receivers cannot use them: several, or one that does not parse.
	StatusInvalid Status = "invalid"
	// StatusTemperror: the lookup failed (SERVFAIL, REFUSED, timeout), so the answer is unknown.
	StatusTemperror Status = "temperror"
)

// Selector is the BIMI selector mxscope asks for: the one receivers use
// when a message names none.
const Selector = "default"

// MaxRecordLen caps the length of a record the parser accepts.
const MaxRecordLen = 4096

// Sentinel errors; the errors of this package wrap one of them.
var (
	ErrNoRecord    = errors.New("bimi: no record")
	ErrMultiple    = errors.New("bimi: multiple records")
	ErrVersion     = errors.New("bimi: record does not start with v=BIMI1")
	ErrSyntax      = errors.New("bimi: syntax error")
	ErrDuplicate   = errors.New("bimi: duplicate tag")
	ErrNoLocation  = errors.New("bimi: no l= tag")
	ErrURI         = errors.New("bimi: not an https URI")
	ErrTooLong     = errors.New("bimi: record too long")
	ErrControlChar = errors.New("bimi: control character")
)

// Record is a parsed assertion record.
type Record struct {
	Logo       string   // l=, as written (one HTTPS URI, or a comma-separated list in older drafts); may be empty
	Authority  string   // a=, the evidence document (a Verified Mark Certificate); may be empty
	Extensions []string // other tag names, which receivers ignore
}

// Declined reports whether the record declines BIMI: no logo and no evidence (§4.2.1).
func (r *Record) Declined() bool { return r.Logo == "" && r.Authority == "" }

// Result is the outcome of Lookup.
type Result struct {
	Status Status
	Name   string  // the name asked: default._bimi.<domain>
	Record string  // the record, when exactly one starts v=BIMI1 (also when it does not parse)
	Parsed *Record // for StatusOK, and for a declining record (StatusNone)
	Err    string  // why the status is not ok or none
}

// Lookup queries default._bimi.<domain> and judges the record.
func Lookup(ctx context.Context, r Resolver, domain string) Result {
	name := Selector + "._bimi." + strings.TrimSuffix(strings.ToLower(domain), ".")
	res := Result{Name: name}
	if err := ctx.Err(); err != nil {
		res.Status, res.Err = StatusTemperror, fmt.Sprintf("%s: %v", name, err)
		return res
	}
	txts, err := r.LookupTXT(ctx, name)
	if err != nil {
		res.Status, res.Err = StatusTemperror, fmt.Sprintf("%s: %v", name, err)
		return res
	}
	rec, err := Select(txts)
	switch {
	case errors.Is(err, ErrNoRecord):
		res.Status = StatusNone
		return res
	case err != nil:
		res.Status, res.Err = StatusInvalid, fmt.Sprintf("%s: %v", name, err)
		return res
	}
	res.Record = rec
	p, err := Parse(rec)
	if err != nil {
		res.Status, res.Err = StatusInvalid, fmt.Sprintf("%s: %v", name, err)
		return res
	}
	res.Parsed = p
	if p.Declined() {
		res.Status = StatusNone
		return res
	}
	res.Status = StatusOK
	return res
}

// Select keeps the TXT strings whose first tag is v=BIMI1; anything but
// exactly one means no usable record.
func Select(txts []string) (string, error) {
	var found []string
	for _, t := range txts {
		name, value, ok := strings.Cut(t, "=")
		if !ok || strings.TrimSpace(name) != "v" {
			continue
		}
		v, _, _ := strings.Cut(value, ";")
		if strings.TrimSpace(v) == "BIMI1" {
			found = append(found, t)
		}
	}
	switch len(found) {
	case 0:
		return "", ErrNoRecord
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("%w (%d records start v=BIMI1; receivers use none)", ErrMultiple, len(found))
}

// Parse parses an assertion record: tags separated by ";", v=BIMI1 first,
// l= required (empty or HTTPS), a= optional (empty or HTTPS), other tags
// ignored, no tag twice.
func Parse(record string) (*Record, error) {
	if len(record) > MaxRecordLen {
		return nil, fmt.Errorf("%w (%d bytes; the limit is %d)", ErrTooLong, len(record), MaxRecordLen)
	}
	for i := 0; i < len(record); i++ {
		if c := record[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return nil, fmt.Errorf("%w at byte %d", ErrControlChar, i)
		}
	}
	r := &Record{}
	seen := map[string]bool{}
	hasL := false
	for i, spec := range strings.Split(record, ";") {
		if strings.TrimSpace(spec) == "" {
			if i == 0 {
				return nil, ErrVersion
			}
			continue // a trailing ";"
		}
		name, value, ok := strings.Cut(spec, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || !validTagName(name) {
			return nil, fmt.Errorf("%w: \"%s\" is not tag=value", ErrSyntax, printable(strings.TrimSpace(spec)))
		}
		if seen[name] {
			return nil, fmt.Errorf("%w %s=", ErrDuplicate, printable(name))
		}
		seen[name] = true
		if i == 0 {
			if name != "v" || value != "BIMI1" {
				return nil, ErrVersion
			}
			continue
		}
		switch name {
		case "v":
			return nil, ErrVersion // v= twice, or not first
		case "l":
			hasL = true
			if value != "" {
				for u := range strings.SplitSeq(value, ",") {
					if err := httpsURI("l", strings.TrimSpace(u)); err != nil {
						return nil, err
					}
				}
			}
			r.Logo = value
		case "a":
			if value != "" {
				if err := httpsURI("a", value); err != nil {
					return nil, err
				}
			}
			r.Authority = value
		default:
			r.Extensions = append(r.Extensions, name)
		}
	}
	if !hasL {
		return nil, ErrNoLocation
	}
	return r, nil
}

// httpsURI accepts an absolute https URI with a host as the value of tag.
func httpsURI(tag, s string) error {
	u, err := url.Parse(s)
	if err != nil || !strings.EqualFold(u.Scheme, "https") || u.Host == "" || u.User != nil {
		return fmt.Errorf("%w: %s=%s", ErrURI, tag, printable(s))
	}
	return nil
}

// validTagName: a letter, then letters, digits and underscores.
func validTagName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && ('0' <= c && c <= '9' || c == '_')) {
			return false
		}
	}
	return true
}

// printable quotes at most 64 bytes of s for an error message, with
// control and non-ASCII bytes escaped.
func printable(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	q := fmt.Sprintf("%+q", s)
	return q[1 : len(q)-1]
}
