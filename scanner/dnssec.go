package scanner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/mxscope/mxscope/scanner/dane"
	"github.com/mxscope/mxscope/scanner/resolve"
)

// mxscope validates nothing itself: the resolver does, and says so with the
// AD bit of each answer (resolve.Answer.AD). A resolver that does not
// validate never sets AD, so an answer without AD proves "insecure" only
// when the resolver is known to validate. It is known to when it sets AD on
// the root zone's DNSKEY records, which any validating resolver holds as
// its trust anchor and validates. That question is asked through the scan's
// cache, so once a scan.

// DNSSECStatus is what a validating resolver says about the answers for a name.
type DNSSECStatus string

const (
	// DNSSECSecure: the answer validated (AD): a chain of signatures from the root vouches for it.
	DNSSECSecure DNSSECStatus = "secure"
	// DNSSECInsecure: a validating resolver answered without AD: the zone is
	// not signed, or its parent publishes no DS record for it, so its answers
	// can be forged in transit.
	DNSSECInsecure DNSSECStatus = "insecure"
	// DNSSECBogus: validation failed: the resolver answers SERVFAIL, yet
	// answers the same question with checking disabled (CD). Validating
	// resolvers give nothing at all for the name.
	DNSSECBogus DNSSECStatus = "bogus"
	// DNSSECUnknown: cannot tell: the resolver does not validate (or whether it
	// does is unknown), or the lookup failed.
	DNSSECUnknown DNSSECStatus = "unknown"
)

// DNSSEC is the domain's DNSSEC status, read from its own answer (the MX
// lookup, or the apex TXT lookup without the mx check).
type DNSSEC struct {
	Status DNSSECStatus `json:"status"`
	Error  string       `json:"error,omitempty"` // why the status is unknown, or what makes it bogus
}

// TLSAStatus is the state of an MX host's TLSA records.
type TLSAStatus string

const (
	TLSAOK        TLSAStatus = "ok"        // at least one TLSA record a sender can use
	TLSANone      TLSAStatus = "none"      // no TLSA records (NXDOMAIN or NODATA)
	TLSAInvalid   TLSAStatus = "invalid"   // TLSA records, none of which a sender can use (RFC 7672 §3.1)
	TLSATemperror TLSAStatus = "temperror" // the lookup failed: nothing is known about the records
)

// TLSA is what _25._tcp.<MX host> publishes for SMTP DANE (RFC 7672).
type TLSA struct {
	Status TLSAStatus `json:"status"`
	// DNSSEC is the status of the TLSA answer: senders use TLSA records
	// only from a secure zone, and look for them only where the zone is
	// secure.
	DNSSEC  DNSSECStatus `json:"dnssec"`
	Records []TLSARecord `json:"records,omitempty"`
	Error   string       `json:"error,omitempty"`
}

// TLSARecord is one TLSA record (RFC 6698 §2.1).
type TLSARecord struct {
	Usage        uint8  `json:"usage"`
	Selector     uint8  `json:"selector"`
	MatchingType uint8  `json:"matching_type"`
	Data         string `json:"data"`              // hexadecimal; past 64 bytes, the first 32 and "..."
	Problem      string `json:"problem,omitempty"` // why a sender must ignore the record
}

// Limits on what one MX host's TLSA answer puts in a Result: the DNS answer
// is untrusted and may hold a thousand records or a 60 KB certificate.
const (
	maxTLSARecords = 32 // records listed; the status and findings count them all
	maxTLSAData    = 64 // bytes of data shown in full: a SHA-512 digest
)

// What the root DNSKEY answer said about the resolver (Scanner.validates).
const (
	validationUnasked int32 = iota
	validationYes
	validationNo
)

// Validates reports what the scan learned about its resolver: known is
// false until a dnssec or dane check asked, or when the answer did not
// tell; validates is whether it validates DNSSEC.
func (s *Scanner) Validates() (validates, known bool) {
	switch s.validates.Load() {
	case validationYes:
		return true, true
	case validationNo:
		return false, true
	}
	return false, false
}

// validation returns "" when the resolver validates DNSSEC, and otherwise
// why an answer without AD proves nothing.
func (s *Scanner) validation(ctx context.Context) string {
	a := s.dns.Query(ctx, ".", dns.TypeDNSKEY)
	switch {
	case a.Status == resolve.StatusOK && a.AD:
		s.validates.Store(validationYes)
		return ""
	case a.Status == resolve.StatusOK:
		s.validates.Store(validationNo)
		return "the resolver does not validate DNSSEC: it answers for the root zone's DNSKEY records without the AD bit"
	}
	return fmt.Sprintf("whether the resolver validates DNSSEC is not known: its answer for the root zone's DNSKEY records was %s", a.Status)
}

// dnssecOf reads the DNSSEC status of a, the answer to (name, qtype). AD
// proves secure whatever is known of the resolver; no AD proves insecure
// only from a resolver known to validate; a SERVFAIL is bogus only when
// such a resolver answers the question with checking disabled.
func (d *domainScan) dnssecOf(ctx context.Context, a resolve.Answer, name string, qtype uint16) (DNSSECStatus, string) {
	switch a.Status {
	case resolve.StatusOK, resolve.StatusNoData, resolve.StatusNXDomain:
		if a.AD {
			return DNSSECSecure, ""
		}
		if why := d.s.validation(ctx); why != "" {
			return DNSSECUnknown, why
		}
		return DNSSECInsecure, ""
	case resolve.StatusServFail:
		if why := d.s.validation(ctx); why != "" {
			return DNSSECUnknown, "the lookup failed (servfail), and " + why
		}
		cd := d.s.queryCD(ctx, name, qtype)
		switch {
		case cd.Status == resolve.StatusOK || cd.Status == resolve.StatusNoData || cd.Status == resolve.StatusNXDomain:
			return DNSSECBogus, "the resolver answers SERVFAIL, and answers with checking disabled (CD): the records fail DNSSEC validation"
		case errors.Is(cd.Err, resolve.ErrNoCD):
			return DNSSECUnknown, "the lookup failed (servfail), and whether DNSSEC validation failed cannot be told: the question cannot be asked with checking disabled here"
		}
		return DNSSECUnknown, "the lookup failed (servfail), with checking disabled too (" + answerError(cd) + "), so it is not a DNSSEC failure that can be shown"
	}
	return DNSSECUnknown, "the lookup failed (" + string(a.Status) + ")"
}

// lookupDNSSEC sets the domain's DNSSEC status from its own answer.
func (d *domainScan) lookupDNSSEC(ctx context.Context) {
	if !d.s.opts.Checks[CheckDNSSEC] || d.apexType == 0 {
		return
	}
	st, why := d.dnssecOf(ctx, d.apex, d.r.Domain, d.apexType)
	d.r.DNSSEC = &DNSSEC{Status: st, Error: why}
}

// daneFacts is what findings need of one MX host's TLSA answer beyond what
// the Result lists.
type daneFacts struct {
	records  int      // TLSA records in the answer
	problems []string // one per unusable record
}

// lookupDANE asks for the TLSA records of every MX host, including the
// domain itself as implicit MX (RFC 7672 covers it too). The name asked is the MX
// host as the MX record names it: mx-cname reports an MX host that is an
// alias, whose TLSA records RFC 7672 first looks for at the end of the alias.
func (d *domainScan) lookupDANE(ctx context.Context) {
	r := d.r
	if !d.s.opts.Checks[CheckDANE] || (r.Mail != MailMX && r.Mail != MailImplicit) {
		return
	}
	for i := range min(len(r.MX), MaxMXAddressLookups) {
		m := &r.MX[i]
		if isAddress(m.Host) {
			continue // an IP literal has no TLSA name (mx-ip-literal)
		}
		name := "_25._tcp." + m.Host
		a := d.s.dns.Query(ctx, name, dns.TypeTLSA)
		t := &TLSA{}
		var why string
		t.DNSSEC, why = d.dnssecOf(ctx, a, name, dns.TypeTLSA)
		var facts daneFacts
		switch a.Status {
		case resolve.StatusOK:
			usable := 0
			for _, rr := range a.Records {
				tr, ok := rr.(*dns.TLSA)
				if !ok {
					continue
				}
				facts.records++
				out := TLSARecord{Usage: tr.Usage, Selector: tr.Selector, MatchingType: tr.MatchingType, Data: shortHex(tr.Certificate)}
				if rec, err := dane.Parse(tr.Usage, tr.Selector, tr.MatchingType, tr.Certificate); err != nil {
					out.Problem = err.Error()
				} else {
					out.Problem = rec.Problem()
				}
				if out.Problem == "" {
					usable++
				} else {
					facts.problems = append(facts.problems, out.Problem)
				}
				if len(t.Records) < maxTLSARecords {
					t.Records = append(t.Records, out)
				}
			}
			t.Status = TLSAOK
			if usable == 0 {
				t.Status = TLSAInvalid
			}
			if n := facts.records - len(t.Records); n > 0 {
				t.Error = fmt.Sprintf("%d more TLSA records are not listed", n)
			}
		case resolve.StatusNoData, resolve.StatusNXDomain:
			t.Status = TLSANone
		default:
			t.Status = TLSATemperror
			t.Error = "TLSA lookup failed: " + answerError(a)
			if t.DNSSEC == DNSSECBogus {
				t.Error = "TLSA lookup failed: " + why
			}
		}
		m.TLSA = t
		if d.daneFacts == nil {
			d.daneFacts = make(map[string]daneFacts, len(r.MX))
		}
		d.daneFacts[m.Host] = facts
	}
}

// shortHex returns a record's data (hexadecimal, as miekg/dns gives it)
// lower-cased, cut to its first 32 bytes and "..." past maxTLSAData bytes.
func shortHex(h string) string {
	h = strings.ToLower(h)
	if len(h) > 2*maxTLSAData {
		return h[:maxTLSAData] + "..."
	}
	return h
}

// dnssecFindings applies the DNSSEC and DANE rules and returns the lookups
// that failed; addOn adds a finding about one MX host. A bogus domain is
// reported before the domain's own failure (see evaluate), so it is not
// repeated here.
func dnssecFindings(d *domainScan, add func(id, format string, args ...any), addOn func(id, subject, format string, args ...any)) (failed []string) {
	r := d.r
	if ds := r.DNSSEC; ds != nil && ds.Status == DNSSECInsecure {
		add("dnssec-insecure", "%s is not protected by DNSSEC: the zone is unsigned or its parent publishes no DS record for it, so its DNS answers can be forged in transit", r.Domain)
	}
	for _, m := range r.MX {
		t := m.TLSA
		if t == nil {
			continue
		}
		name := "_25._tcp." + m.Host
		facts := d.daneFacts[m.Host]
		if t.DNSSEC == DNSSECBogus {
			addOn("dnssec-bogus", m.Host, "the TLSA lookup for MX host %s fails DNSSEC validation (bogus): senders that validate cannot look up its TLSA records and will not deliver to it (RFC 7672 §2.2)", m.Host)
		}
		switch t.Status {
		case TLSANone:
			if t.DNSSEC == DNSSECSecure && d.mxFacts[m.Host].status != resolve.StatusNXDomain {
				addOn("dane-missing", m.Host, "MX host %s is in a DNSSEC-signed zone but publishes no TLSA record at %s: senders cannot authenticate it with DANE", m.Host, name)
			}
		case TLSAOK, TLSAInvalid:
			if n := len(facts.problems); n > 0 {
				uniq := slices.Compact(slices.Sorted(slices.Values(facts.problems)))
				if t.Status == TLSAInvalid {
					addOn("dane-invalid", m.Host, "none of the %d TLSA records at %s is usable, so senders cannot authenticate the host: %s", facts.records, name, strings.Join(uniq, "; "))
				} else {
					verb := "are"
					if n == 1 {
						verb = "is"
					}
					addOn("dane-invalid", m.Host, "%d of the %d TLSA records at %s %s unusable and ignored by senders: %s", n, facts.records, name, verb, strings.Join(uniq, "; "))
				}
			}
			if t.DNSSEC == DNSSECInsecure {
				addOn("dane-without-dnssec", m.Host, "TLSA records at %s are in a zone without DNSSEC (insecure), so senders ignore them (RFC 7672 §2.2)", name)
			}
		case TLSATemperror:
			if t.DNSSEC != DNSSECBogus {
				failed = append(failed, "TLSA of "+m.Host)
			}
		}
	}
	return failed
}
