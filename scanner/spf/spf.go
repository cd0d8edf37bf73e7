// Package spf implements the Sender Policy Framework, RFC 7208: selecting and
// parsing a domain's SPF record, check_host() for a client address, and the
// address-free analysis a DNS scan needs (the include/redirect tree, the
// effective "all", the lookup counts and the domains the record names).
//
// The package does no I/O of its own. Every DNS query goes through a
// Resolver the caller supplies, so the scanner's shared cache answers
// them, tests answer them from a map, and a hostile record can cost no more
// queries than the limits below allow. Untrusted input (records, macro
// values) never panics: it yields permerror, or none, as RFC 7208 says.
package spf

import (
	"context"
	"errors"
	"net/netip"
)

// Resolver answers the DNS queries SPF needs. Convention: a name that does
// not exist (NXDOMAIN) or has no records of the type (NODATA) returns
// (nil, nil) — a "void" answer. Any other failure (SERVFAIL, REFUSED,
// timeout, ...) returns a non-nil error (→ temperror). TXT strings are raw
// bytes, the character-strings of one record already concatenated with
// nothing (RFC 7208 §3.3).
//
// Names are ASCII in DNS presentation format without the trailing dot.
// Macro expansion can put spaces ("%_"), quotes or any byte of a sender's
// local-part into a name; SPF escapes them as RFC 1035 §5.1 does ("\ ",
// "\DDD"), the form miekg/dns reads and writes, so an implementation built
// on it can use names as they are. Names from the caller (the domain given
// to CheckHost and Walk) are passed on unchanged.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupA(ctx context.Context, name string) ([]netip.Addr, error)
	LookupAAAA(ctx context.Context, name string) ([]netip.Addr, error)
	LookupMX(ctx context.Context, name string) ([]string, error) // exchange host names
	LookupPTR(ctx context.Context, ip netip.Addr) ([]string, error)
}

// Result is the outcome of check_host() (RFC 7208 §2.6).
type Result string

const (
	// ResultNone: no syntactically valid domain, or the domain publishes no SPF record.
	ResultNone Result = "none"
	// ResultNeutral: the record states nothing about the address (no match, or "?").
	ResultNeutral Result = "neutral"
	// ResultPass: the address is authorised to send for the domain.
	ResultPass Result = "pass"
	// ResultFail: the address is explicitly not authorised ("-").
	ResultFail Result = "fail"
	// ResultSoftfail: probably not authorised, a weak "fail" ("~").
	ResultSoftfail Result = "softfail"
	// ResultTemperror: a transient DNS failure; a later check may succeed.
	ResultTemperror Result = "temperror"
	// ResultPermerror: the published record cannot be interpreted (syntax, limits).
	ResultPermerror Result = "permerror"
)

// Lookup limits of RFC 7208 §4.6.4.
const (
	// MaxLookups caps the terms that query DNS (include a mx ptr exists redirect)
	// over a whole evaluation.
	MaxLookups = 10
	// MaxVoidLookups is the recommended cap on lookups that return no answer.
	MaxVoidLookups = 2
	// maxMXNames caps the MX names one mx mechanism may look up.
	maxMXNames = 10
	// maxPTRNames caps the PTR names ptr and %{p} look at; the rest are ignored.
	maxPTRNames = 10
)

// Sentinel errors. Outcome.Err and Analysis.Err wrap them with the term or
// name at fault; match them with errors.Is.
var (
	// ErrNoRecord: the domain has no SPF record (result none).
	ErrNoRecord = errors.New("spf: no spf record")
	// ErrInvalidDomain: the domain is not a valid multi-label name (result none, §4.3).
	ErrInvalidDomain = errors.New("spf: invalid domain")
	// ErrMultipleRecords: more than one SPF record at a name (permerror, §4.5).
	ErrMultipleRecords = errors.New("spf: permerror: more than one spf record")
	// ErrSyntax: a term that does not follow the grammar of §12 (permerror).
	ErrSyntax = errors.New("spf: permerror: invalid term")
	// ErrTooManyLookups: more than MaxLookups DNS-querying terms (permerror).
	ErrTooManyLookups = errors.New("spf: permerror: too many dns lookups")
	// ErrTooManyVoidLookups: more than MaxVoidLookups void answers (permerror).
	ErrTooManyVoidLookups = errors.New("spf: permerror: too many void lookups")
	// ErrTooManyMX: an mx mechanism names more than 10 hosts (permerror).
	ErrTooManyMX = errors.New("spf: permerror: more than 10 mx names")
	// ErrTargetNoRecord: an include or redirect target has no SPF record (permerror).
	ErrTargetNoRecord = errors.New("spf: permerror: target has no spf record")
	// ErrLoop: an include or redirect names a domain already being evaluated (permerror).
	ErrLoop = errors.New("spf: permerror: include loop")
	// ErrInvalidIP: CheckHost was given no valid client address (result none).
	ErrInvalidIP = errors.New("spf: invalid client ip")
	// ErrDNS: a lookup failed for a reason other than NXDOMAIN/NODATA (temperror).
	ErrDNS = errors.New("spf: temperror: dns lookup failed")
)
