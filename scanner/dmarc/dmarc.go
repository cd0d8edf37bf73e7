// Package dmarc parses DMARC policy records and discovers the policy that
// applies to a domain as RFC 9989 (DMARCbis, which obsoletes RFC 7489)
// evaluates it.
//
// It exists so that mxscope can say, from DNS alone, what a receiver would do
// with mail that spoofs a domain. It promises:
//   - no I/O of its own: every DNS question goes through the caller's
//     Resolver, and what the scan already knows (whether the domain exists)
//     comes in as a fact;
//   - never a false "no DMARC": a lookup that failed is StatusTemperror, and
//     only definite NXDOMAIN or NODATA answers yield StatusNone;
//   - bounded work on hostile input: parsing is linear and never panics, and
//     discovery sends at most MaxQueries queries (RFC 9989 §4.10);
//   - a record is judged by its content: syntax errors in the remainder of
//     a record are discarded as RFC 9989 §4.8 says, and named, never a
//     reason to drop the policy.
//
// Where the two RFCs differ, discovery follows RFC 9989 (the DNS tree walk,
// np, psd, t) and the parser still reads RFC 7489's pct, ri and rf, with a
// warning that RFC 9989 removed them.
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

// Tested returns the policy a receiver applies when the record says t=y:
// one step lower, reject to quarantine and quarantine to none (RFC 9989 §4.7).
func (p Policy) Tested() Policy {
	switch p {
	case PolicyReject:
		return PolicyQuarantine
	case PolicyQuarantine:
		return PolicyNone
	}
	return p
}

// Status is the outcome of policy discovery for one domain.
type Status string

const (
	// StatusOK means one usable DMARC record applies to the domain (its own or inherited).
	StatusOK Status = "ok"
	// StatusNone means DNS answered definitely that no DMARC record applies.
	StatusNone Status = "none"
	// StatusInvalid means the record that applies is unusable (a duplicate tag, or no
	// valid p, sp or np without a valid rua), so receivers apply no DMARC processing.
	StatusInvalid Status = "invalid"
	// StatusTemperror means a lookup failed (SERVFAIL, REFUSED, timeout), so the answer is unknown.
	StatusTemperror Status = "temperror"
)

// Existence is what the caller knows of whether the domain exists. RFC 9989
// §3.2.13 and Appendix A.4: a domain exists when any record does; only
// NXDOMAIN says it does not.
type Existence uint8

const (
	// Exists: a query for the domain answered NOERROR (with records or NODATA).
	Exists Existence = iota + 1
	// NotExists: a query for the domain answered NXDOMAIN.
	NotExists
	// ExistenceUnknown: the query that would tell failed.
	ExistenceUnknown
)

// MaxQueries is the most DNS queries one Discover call sends: the domain's
// own name and at most seven parents (RFC 9989 §4.10 step 4).
const MaxQueries = 8

// Sentinel errors. Errors returned by Parse and Select wrap one of these.
var (
	// ErrNoRecord: no TXT record starts with v=DMARC1.
	ErrNoRecord = errors.New("dmarc: no DMARC record")
	// ErrMultipleRecords: more than one TXT record starts with v=DMARC1. RFC 9989 §4.10
	// discards them all and walks on; RFC 7489 §6.6.3 applies no policy.
	ErrMultipleRecords = errors.New("dmarc: multiple DMARC records")
	// ErrNotDMARC: the record does not start with the v=DMARC1 tag.
	ErrNotDMARC = errors.New("dmarc: record does not start with v=DMARC1")
	// ErrDuplicateTag: a tag appears twice, which makes the tag-list invalid (RFC 6376 §3.2,
	// whose tag-value syntax RFC 9989 §4.7 adopts).
	ErrDuplicateTag = errors.New("dmarc: duplicate tag")
	// ErrInvalidPolicy: p is absent or invalid, or sp or np invalid, and rua holds no
	// syntactically valid URI to fall back on (RFC 9989 §4.10.1).
	ErrInvalidPolicy = errors.New("dmarc: invalid policy")
	// ErrInvalidDomain: the domain given to Discover is not a DNS name.
	ErrInvalidDomain = errors.New("dmarc: invalid domain")
)
