// Package smtptls parses and looks up the two DNS TXT policies that protect
// SMTP transport: the MTA-STS announcement at _mta-sts.<domain> (RFC 8461 §3.1)
// and the TLS reporting record at _smtp._tls.<domain> (RFC 8460 §3).
//
// It exists so that mxscope can say whether a domain asks senders for
// authenticated TLS and for reports about it. It promises:
//   - no I/O of its own: every DNS question goes through the caller's Resolver;
//   - a failed lookup is StatusTemperror, never "none";
//   - records are judged as a sender would: exactly one record with the right
//     version, syntactically valid per the RFC's ABNF, or no policy at all;
//   - bounded work on hostile input: records are capped at MaxRecordLen bytes
//     and parsing never panics.
//
// Fetching the MTA-STS policy file over HTTPS is not done here.
package smtptls

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mxscope/mxscope/scanner/internal/dnsname"
)

// Resolver looks up TXT records. Convention: NXDOMAIN or NODATA returns (nil, nil); any other failure
// (SERVFAIL, REFUSED, timeout) returns a non-nil error. Strings are raw bytes, the character-strings of
// one record already concatenated with nothing.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// Status is the outcome of looking up one of the two policies.
type Status string

const (
	// StatusOK means exactly one valid record is published.
	StatusOK Status = "ok"
	// StatusNone means DNS answered definitely that no record with the right version exists.
	StatusNone Status = "none"
	// StatusInvalid means records are present but senders treat the domain as having
	// no policy: several records, or one that does not parse.
	StatusInvalid Status = "invalid"
	// StatusTemperror means the lookup failed (SERVFAIL, REFUSED, timeout), so the answer is unknown.
	StatusTemperror Status = "temperror"
)

// Policy is the result of looking up one TXT policy.
type Policy struct {
	Status Status
	Record string // the record, when exactly one was found (even if it does not parse)
	Err    string // why Status is not StatusOK (empty for StatusNone)
}

// MaxRecordLen caps the length of a record the parsers accept.
const MaxRecordLen = 4096

// Sentinel errors. Errors returned by the parsers and selectors wrap one of these.
var (
	// ErrNoRecord: no TXT record has the right version tag.
	ErrNoRecord = errors.New("smtptls: no record")
	// ErrMultipleRecords: several TXT records have the right version tag, so senders assume no policy.
	ErrMultipleRecords = errors.New("smtptls: multiple records: no policy")
	// ErrVersion: the record does not start with its version tag.
	ErrVersion = errors.New("smtptls: missing version")
	// ErrTooLong: the record is longer than MaxRecordLen.
	ErrTooLong = errors.New("smtptls: record too long")
	// ErrControlChar: the record contains an ASCII control character other than tab.
	ErrControlChar = errors.New("smtptls: control character")
	// ErrSyntax: the record does not follow the RFC's ABNF.
	ErrSyntax = errors.New("smtptls: syntax error")
	// ErrDuplicateField: a field appears twice.
	ErrDuplicateField = errors.New("smtptls: duplicate field")
	// ErrMissingField: a required field (MTA-STS id, TLS-RPT rua) is absent.
	ErrMissingField = errors.New("smtptls: missing field")
	// ErrInvalidDomain: the domain given to Lookup is not a DNS name.
	ErrInvalidDomain = errors.New("smtptls: invalid domain")
)

// Lookup queries _mta-sts.<domain> and _smtp._tls.<domain> and judges each.
func Lookup(ctx context.Context, r Resolver, domain string) (mtasts, tlsrpt Policy) {
	return LookupMTASTS(ctx, r, domain), LookupTLSRPT(ctx, r, domain)
}

// LookupMTASTS queries and judges _mta-sts.<domain> (RFC 8461 §3.1).
func LookupMTASTS(ctx context.Context, r Resolver, domain string) Policy {
	return lookupAt(ctx, r, domain, "_mta-sts.", SelectMTASTS, func(s string) error {
		_, err := ParseMTASTS(s)
		return err
	})
}

// LookupTLSRPT queries and judges _smtp._tls.<domain> (RFC 8460 §3).
func LookupTLSRPT(ctx context.Context, r Resolver, domain string) Policy {
	return lookupAt(ctx, r, domain, "_smtp._tls.", SelectTLSRPT, func(s string) error {
		_, err := ParseTLSRPT(s)
		return err
	})
}

// lookupAt normalises and checks domain, then judges the record at
// prefix+domain.
func lookupAt(ctx context.Context, r Resolver, domain, prefix string, sel func([]string) (string, error), parse func(string) error) Policy {
	domain = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(domain)), ".")
	if !dnsname.Valid(domain) {
		return Policy{Status: StatusInvalid, Err: fmt.Sprintf("%v: %s", ErrInvalidDomain, printable(domain))}
	}
	return lookup(ctx, r, prefix+domain, sel, parse)
}

func lookup(ctx context.Context, r Resolver, name string, sel func([]string) (string, error), parse func(string) error) Policy {
	if err := ctx.Err(); err != nil {
		return Policy{Status: StatusTemperror, Err: fmt.Sprintf("%s: %v", name, err)}
	}
	txts, err := r.LookupTXT(ctx, name)
	if err != nil {
		return Policy{Status: StatusTemperror, Err: fmt.Sprintf("%s: %v", name, err)}
	}
	rec, err := sel(txts)
	switch {
	case errors.Is(err, ErrNoRecord):
		return Policy{Status: StatusNone}
	case err != nil:
		return Policy{Status: StatusInvalid, Err: fmt.Sprintf("%s: %v", name, err)}
	}
	if err := parse(rec); err != nil {
		return Policy{Status: StatusInvalid, Record: rec, Err: fmt.Sprintf("%s: %v", name, err)}
	}
	return Policy{Status: StatusOK, Record: rec}
}
