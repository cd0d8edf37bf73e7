// Package dane judges TLSA records (RFC 6698) the way a sending mail server
// does under SMTP DANE (RFC 7672): which records it can use to authenticate
// an MX host, and why it must ignore the others. A record a sender ignores
// protects nothing, and a set of records that are all ignored leaves the
// host without DANE, however carefully the zone is signed.
//
// It is a pure parser: no DNS, no I/O. Records come from DNS answers and
// are untrusted: nothing here panics on any of them (FuzzParse).
package dane

import (
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
)

// Certificate usages (RFC 6698 §2.1.1; acronyms from RFC 7218).
const (
	UsagePKIXTA uint8 = 0 // a CA that must also chain to a public root: not usable for SMTP
	UsagePKIXEE uint8 = 1 // the server's certificate, also checked against public roots: not usable for SMTP
	UsageDANETA uint8 = 2 // a trust anchor of the domain's own choosing
	UsageDANEEE uint8 = 3 // the server's certificate or key itself
)

// Selectors (RFC 6698 §2.1.2).
const (
	SelectorCert uint8 = 0 // the whole certificate
	SelectorSPKI uint8 = 1 // the SubjectPublicKeyInfo: the key, which survives certificate renewals
)

// Matching types (RFC 6698 §2.1.3).
const (
	MatchFull   uint8 = 0 // the selected data itself
	MatchSHA256 uint8 = 1 // its SHA-256 digest, 32 bytes
	MatchSHA512 uint8 = 2 // its SHA-512 digest, 64 bytes
)

// ErrData: the certificate association data is not hexadecimal.
var ErrData = errors.New("dane: certificate association data is not hexadecimal")

// Record is one TLSA record.
type Record struct {
	Usage        uint8
	Selector     uint8
	MatchingType uint8
	Data         []byte // the certificate association data
}

// Parse reads a TLSA record as DNS libraries present it: the three
// parameters and the certificate association data in hexadecimal (RFC 6698
// §2.2). Any parameter values parse; Problem says whether a sender can use
// them.
func Parse(usage, selector, matchingType uint8, data string) (Record, error) {
	b, err := hex.DecodeString(data)
	if err != nil {
		return Record{}, fmt.Errorf("%w: %w", ErrData, err)
	}
	return Record{Usage: usage, Selector: selector, MatchingType: matchingType, Data: b}, nil
}

// Problem says why an SMTP client must ignore r (RFC 7672 §3.1), or returns
// "" when it can use r.
func (r Record) Problem() string {
	switch r.Usage {
	case UsageDANETA, UsageDANEEE:
	case UsagePKIXTA:
		return "usage 0 (PKIX-TA) is not usable for SMTP (RFC 7672 §3.1.3); use 3 (DANE-EE) or 2 (DANE-TA)"
	case UsagePKIXEE:
		return "usage 1 (PKIX-EE) is not usable for SMTP (RFC 7672 §3.1.3); use 3 (DANE-EE) or 2 (DANE-TA)"
	default:
		return "unknown usage " + strconv.Itoa(int(r.Usage))
	}
	if r.Selector != SelectorCert && r.Selector != SelectorSPKI {
		return "unknown selector " + strconv.Itoa(int(r.Selector))
	}
	switch r.MatchingType {
	case MatchSHA256:
		if len(r.Data) != 32 {
			return fmt.Sprintf("a SHA-256 digest is 32 bytes, not %d", len(r.Data))
		}
	case MatchSHA512:
		if len(r.Data) != 64 {
			return fmt.Sprintf("a SHA-512 digest is 64 bytes, not %d", len(r.Data))
		}
	case MatchFull:
		if r.Selector == SelectorCert && !isCertificate(r.Data) {
			return "the data is not a DER-encoded certificate, so no certificate can match it"
		}
		if r.Selector == SelectorSPKI && !isSPKI(r.Data) {
			return "the data is not a DER-encoded SubjectPublicKeyInfo, so no key can match it"
		}
	default:
		return "unknown matching type " + strconv.Itoa(int(r.MatchingType))
	}
	return ""
}

// isCertificate checks the outer structure of an X.509 certificate (RFC
// 5280 §4.1): a SEQUENCE of the to-be-signed SEQUENCE, the signature
// algorithm SEQUENCE and the signature BIT STRING, and nothing after it. The
// inside is the TLS library's business: a structural check cannot reject a
// certificate that some sender would accept.
func isCertificate(b []byte) bool {
	var c struct {
		TBS       asn1.RawValue
		Algorithm asn1.RawValue
		Signature asn1.BitString
	}
	rest, err := asn1.Unmarshal(b, &c)
	return err == nil && len(rest) == 0 && isSequence(c.TBS) && isSequence(c.Algorithm)
}

// isSPKI checks the structure of a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7):
// an algorithm SEQUENCE and the key BIT STRING, and nothing after it.
func isSPKI(b []byte) bool {
	var k struct {
		Algorithm asn1.RawValue
		Key       asn1.BitString
	}
	rest, err := asn1.Unmarshal(b, &k)
	return err == nil && len(rest) == 0 && isSequence(k.Algorithm)
}

func isSequence(v asn1.RawValue) bool {
	return v.Class == asn1.ClassUniversal && v.Tag == asn1.TagSequence && v.IsCompound
}
