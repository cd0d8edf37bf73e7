// Package dmarc parses DMARC policy records and discovers the policy that
// applies to a domain, per RFC 7489 and RFC 9989 (DMARCbis, which obsoletes it).
//
// It exists so that mxscope can say, from DNS alone, what a receiver would do
// with mail that spoofs a domain. It promises:
//   - no I/O of its own: every DNS question goes through the caller's Resolver;
//   - never a false "no DMARC": a lookup that failed is StatusTemperror, and
//     only a definite NXDOMAIN or NODATA answer yields StatusNone;
//   - bounded work on hostile input: records are capped at MaxRecordLen bytes,
//     parsing never panics, and discovery sends at most MaxQueries queries.
//
// Where the two RFCs differ, the parser accepts both dialects and records the
// difference as a warning (for example pct, which RFC 9989 removed).
package dmarc

import "errors"

// Policy is a Domain Owner Assessment Policy: the p, sp or np value of a record.
type Policy string

const (
	// PolicyNone asks receivers to take no action on failing mail (monitoring only).
	PolicyNone Policy = "none"
	// PolicyQuarantine asks receivers to treat failing mail as suspicious (e.g. spam folder).
	PolicyQuarantine Policy = "quarantine"
	// PolicyReject asks receivers to refuse failing mail.
	PolicyReject Policy = "reject"
)

// Status is the outcome of policy discovery for one domain.
type Status string

const (
	// StatusOK means one valid DMARC record applies to the domain (its own or inherited).
	StatusOK Status = "ok"
	// StatusNone means DNS answered definitely that no DMARC record applies.
	StatusNone Status = "none"
	// StatusInvalid means a record is present but unusable (several records, or a parse error),
	// so receivers apply no policy.
	StatusInvalid Status = "invalid"
	// StatusTemperror means a lookup failed (SERVFAIL, REFUSED, timeout), so the answer is unknown.
	StatusTemperror Status = "temperror"
)

// MaxRecordLen caps the length of a record Parse accepts. DMARC records are a
// few hundred bytes; anything near this size is broken or hostile.
const MaxRecordLen = 4096

// MaxQueries is the most DNS queries one Discover call sends (RFC 9989 §4.10).
const MaxQueries = 8

// Sentinel errors. Errors returned by Parse and Select wrap one of these.
var (
	// ErrNoRecord: no TXT record starts with v=DMARC1.
	ErrNoRecord = errors.New("dmarc: no DMARC record")
	// ErrMultipleRecords: more than one TXT record starts with v=DMARC1 (RFC 7489 §6.6.3).
	ErrMultipleRecords = errors.New("dmarc: multiple DMARC records: no policy is applied")
	// ErrNotDMARC: the record does not start with the v=DMARC1 tag.
	ErrNotDMARC = errors.New("dmarc: record does not start with v=DMARC1")
	// ErrTooLong: the record is longer than MaxRecordLen.
	ErrTooLong = errors.New("dmarc: record too long")
	// ErrControlChar: the record contains an ASCII control character other than tab.
	ErrControlChar = errors.New("dmarc: control character")
	// ErrDuplicateTag: a tag appears twice (RFC 6376 §3.2 tag-lists, which DMARC uses).
	ErrDuplicateTag = errors.New("dmarc: duplicate tag")
	// ErrInvalidPolicy: p, sp or np has a value other than none, quarantine or reject
	// and the record has no valid rua to fall back on.
	ErrInvalidPolicy = errors.New("dmarc: invalid policy")
	// ErrInvalidDomain: the domain given to Discover is not a DNS name.
	ErrInvalidDomain = errors.New("dmarc: invalid domain")
)
