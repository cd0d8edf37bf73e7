package diff

import (
	"slices"
	"strconv"
	"strings"

	"github.com/mxscope/mxscope/scanner"
)

// The posture checks (README, "DKIM, the MTA-STS policy and BIMI" and
// "DNSSEC and DANE"), each ordered where an order says something about how
// well mail is defended. Each compare function reports whether the
// findings that depend on its check can be compared, as compareSPF does.

// compareDNSSEC orders the domain's DNSSEC status: bogus < insecure <
// secure. unknown (the resolver does not validate, or the lookup failed)
// on one side only is could-not-compare; on both, nothing is known and
// nothing is said.
func compareDNSSEC(o, n *scanner.DNSSEC, add adder) bool {
	switch {
	case o == nil || n == nil:
		return false // the dnssec check did not run in one of them
	case o.Status == n.Status:
		return true
	case o.Status == scanner.DNSSECUnknown || n.Status == scanner.DNSSECUnknown:
		add(FieldDNSSEC, KindUncompared, string(o.Status), string(n.Status),
			couldNotTell(o.Status == scanner.DNSSECUnknown, n.Status == scanner.DNSSECUnknown)+" (DNSSEC unknown)")
		return false
	}
	lo, ln := dnssecLevel(o.Status), dnssecLevel(n.Status)
	add(FieldDNSSEC, strength(lo, ln), string(o.Status), string(n.Status), "")
	return true
}

func dnssecLevel(s scanner.DNSSECStatus) int {
	switch s {
	case scanner.DNSSECSecure:
		return 2
	case scanner.DNSSECInsecure:
		return 1
	}
	return 0 // bogus
}

// couldNotTell names the run that could not tell.
func couldNotTell(old, new bool) string {
	switch {
	case old && new:
		return "neither run could tell"
	case old:
		return "the old run could not tell"
	}
	return "the new run could not tell"
}

// strength is the Kind of a move from level a to level b.
func strength(a, b int) Kind {
	switch {
	case b > a:
		return KindStrengthened
	case b < a:
		return KindWeakened
	}
	return KindChanged
}

// compareTLSA compares the TLSA records of each MX host both runs have,
// one line per host. DANE, weakest first: the TLSA lookup fails DNSSEC
// validation (bogus: validating senders do not deliver) < no usable DANE
// (no TLSA records, only unusable ones, or records in a zone without
// DNSSEC, which senders ignore) < usable TLSA records in a signed zone. A
// failed lookup, or records whose zone's DNSSEC status is unknown, is
// could-not-compare.
func compareTLSA(o, n *scanner.Result, add adder) bool {
	ok := true
	for _, m := range n.MX {
		i := slices.IndexFunc(o.MX, func(x scanner.MX) bool { return x.Host == m.Host })
		if i < 0 || o.MX[i].TLSA == nil || m.TLSA == nil {
			continue // a host of one run only (the mx line says so), or dane did not run
		}
		a, b := o.MX[i].TLSA, m.TLSA
		la, va, oka := daneLevel(a)
		lb, vb, okb := daneLevel(b)
		va, vb = m.Host+": "+va, m.Host+": "+vb
		failedA := a.Status == scanner.TLSATemperror && a.DNSSEC != scanner.DNSSECBogus
		failedB := b.Status == scanner.TLSATemperror && b.DNSSEC != scanner.DNSSECBogus
		switch {
		case failedA || failedB:
			add(FieldTLSA, KindUncompared, va, vb, whichFailed(failedA, failedB)+" (TLSA of "+m.Host+")")
			ok = false
		case !oka || !okb:
			if a.Status == b.Status && a.DNSSEC == b.DNSSEC {
				continue // the same state, unknown alike
			}
			add(FieldTLSA, KindUncompared, va, vb, couldNotTell(!oka, !okb)+" whether the zone of "+m.Host+" is signed (DNSSEC unknown)")
			ok = false
		case la != lb:
			add(FieldTLSA, strength(la, lb), va, vb, "")
		case a.Status != b.Status:
			add(FieldTLSA, KindChanged, va, vb, "")
		case !slices.Equal(tlsaRecords(a), tlsaRecords(b)):
			add(FieldTLSA, KindChanged, va, vb, "TLSA records "+strings.Join(tlsaRecords(a), ", ")+" → "+strings.Join(tlsaRecords(b), ", "))
		case a.DNSSEC != b.DNSSEC && a.DNSSEC != scanner.DNSSECUnknown && b.DNSSEC != scanner.DNSSECUnknown:
			add(FieldTLSA, KindChanged, va, vb, "")
		}
	}
	return ok
}

// daneLevel places one host's TLSA state on the order above; ok is false
// when it cannot be placed.
func daneLevel(t *scanner.TLSA) (level int, value string, ok bool) {
	value = string(t.Status) + " (" + string(t.DNSSEC) + ")"
	switch {
	case t.Status == scanner.TLSATemperror && t.DNSSEC == scanner.DNSSECBogus:
		return 0, "bogus", true
	case t.Status == scanner.TLSATemperror:
		return 0, string(t.Status), false
	case t.Status == scanner.TLSAOK && t.DNSSEC == scanner.DNSSECSecure:
		return 2, value, true
	case t.Status == scanner.TLSAOK && t.DNSSEC != scanner.DNSSECInsecure:
		return 0, value, false // usable only if the zone is signed, which is not known
	}
	return 1, value, true
}

func tlsaRecords(t *scanner.TLSA) []string {
	out := make([]string, len(t.Records))
	for i, r := range t.Records {
		out[i] = strconv.Itoa(int(r.Usage)) + " " + strconv.Itoa(int(r.Selector)) + " " + strconv.Itoa(int(r.MatchingType)) + " " + r.Data
	}
	return out
}

// compareDKIM compares the DKIM keys found. none (no _domainkey, so no key
// can exist) < keys found; then each selector found in both runs by its
// key's strength: revoked = invalid = testing (t=y) = RSA under 1024 bits
// (receivers treat all four as no signature) < RSA 1024-2047 bits < RSA
// 2048 bits or more = Ed25519. A key found at a selector in one run only
// is changed (selectors come and go with key rotation). unknown (no key at
// the selectors asked, which cannot be listed) in one run only is
// could-not-compare: a key may exist under a selector not asked.
func compareDKIM(o, n *scanner.DKIM, add adder) bool {
	switch {
	case o == nil || n == nil || o.Status == "" || n.Status == "":
		return false
	case o.Status == "temperror" || n.Status == "temperror":
		add(FieldDKIM, KindUncompared, o.Status, n.Status, whichFailed(o.Status == "temperror", n.Status == "temperror")+" (DKIM)")
		return false
	case o.Status == n.Status && o.Status != "ok":
		return true // none or unknown both times
	case o.Status == "unknown" || n.Status == "unknown":
		add(FieldDKIM, KindUncompared, dkimValue(o), dkimValue(n),
			couldNotTell(o.Status == "unknown", n.Status == "unknown")+": no key at the selectors asked, and a key may exist under another")
		return false
	case o.Status != n.Status: // none and ok
		add(FieldDKIM, strength(dkimPresent(o), dkimPresent(n)), dkimValue(o), dkimValue(n), "")
		return true
	}
	for _, s := range n.Selectors {
		i := slices.IndexFunc(o.Selectors, func(x scanner.DKIMSelector) bool { return x.Selector == s.Selector })
		if i < 0 {
			add(FieldDKIM, KindChanged, "", dkimKey(s), "a key at a selector the old run did not find")
			continue
		}
		to, vo := dkimTier(o.Selectors[i])
		tn, vn := dkimTier(s)
		if tn != to || vo != vn {
			add(FieldDKIM, strength(to, tn), vo, vn, "")
		}
	}
	for _, s := range o.Selectors {
		if !slices.ContainsFunc(n.Selectors, func(x scanner.DKIMSelector) bool { return x.Selector == s.Selector }) {
			add(FieldDKIM, KindChanged, dkimKey(s), "", "no key at this selector now")
		}
	}
	return true
}

func dkimPresent(d *scanner.DKIM) int {
	if d.Status == "ok" {
		return 1
	}
	return 0
}

// dkimValue is the whole check: "none (no _domainkey)", "unknown", or the
// keys found.
func dkimValue(d *scanner.DKIM) string {
	switch d.Status {
	case "none":
		return "none (no _domainkey)"
	case "ok":
		keys := make([]string, len(d.Selectors))
		for i, s := range d.Selectors {
			keys[i] = dkimKey(s)
		}
		return strings.Join(keys, ", ")
	}
	return d.Status
}

// dkimTier places one selector's key on the order above.
func dkimTier(s scanner.DKIMSelector) (int, string) {
	v := dkimKey(s)
	switch {
	case s.Status != "ok" || s.Testing:
		return 0, v
	case s.KeyType == "rsa" && s.KeyBits < 1024:
		return 0, v
	case s.KeyType == "rsa" && s.KeyBits < 2048:
		return 1, v
	}
	return 2, v
}

// dkimKey reads "selector1: rsa 2048", "s1: revoked", "k1: ed25519 t=y".
func dkimKey(s scanner.DKIMSelector) string {
	v := s.Selector + ": "
	switch {
	case s.Status != "ok":
		v += s.Status
	case s.KeyType == "rsa":
		v += "rsa " + strconv.Itoa(s.KeyBits)
	default:
		v += s.KeyType
	}
	if s.Testing {
		v += " t=y"
	}
	return v
}

// compareSTSPolicy compares what MTA-STS asks of senders: nothing usable
// (no _mta-sts record, an invalid one, a policy that is not there, cannot
// be fetched or does not parse, or mode none) < testing < enforce; at the
// same mode, a change of the mx patterns is changed. A failed lookup or
// fetch (temperror) is could-not-compare. It reports whether the policy's
// findings can be compared.
func compareSTSPolicy(o, n scanner.Policy, add adder) bool {
	lo, vo, rano, oko := stsLevel(o)
	ln, vn, rann, okn := stsLevel(n)
	switch {
	case !rano || !rann:
		return false // the check did not run in one of them
	case !oko || !okn:
		add(FieldMTASTSPolicy, KindUncompared, vo, vn, whichFailed(!oko, !okn)+" (MTA-STS)")
		return false
	case lo != ln:
		add(FieldMTASTSPolicy, strength(lo, ln), vo, vn, "")
	case vo != vn:
		add(FieldMTASTSPolicy, KindChanged, vo, vn, "")
	case o.Policy != nil && n.Policy != nil && !slices.Equal(o.Policy.MX, n.Policy.MX):
		add(FieldMTASTSPolicy, KindChanged, "mx: "+strings.Join(o.Policy.MX, ", "), "mx: "+strings.Join(n.Policy.MX, ", "), "")
	}
	return true
}

// stsLevel places a result's MTA-STS on the order above. ran is false when
// the policy was not looked for (the checks left it out); ok is false when
// a lookup or the fetch failed.
func stsLevel(m scanner.Policy) (level int, value string, ran, ok bool) {
	switch m.Status {
	case "":
		return 0, "", false, false
	case "temperror":
		return 0, "temperror (the _mta-sts lookup failed)", true, false
	case "none":
		return 0, "no _mta-sts record", true, true
	case "ok":
	default:
		return 0, "_mta-sts record " + m.Status, true, true
	}
	p := m.Policy
	switch {
	case p == nil:
		return 0, "", false, false
	case p.Status == "temperror":
		return 0, "policy temperror", true, false
	case p.Status != "ok":
		return 0, "policy " + p.Status, true, true
	}
	switch p.Mode {
	case "enforce":
		return 2, "mode enforce", true, true
	case "testing":
		return 1, "mode testing", true, true
	}
	return 0, "mode " + p.Mode, true, true
}

// compareBIMI: BIMI shows a logo; it does not defend mail, so no order:
// a change of its status or record is changed. A failed lookup is
// could-not-compare.
func compareBIMI(o, n *scanner.BIMI, add adder) bool {
	switch {
	case o == nil || n == nil || o.Status == "" || n.Status == "":
		return false
	case o.Status == "temperror" || n.Status == "temperror":
		add(FieldBIMI, KindUncompared, o.Status, n.Status, whichFailed(o.Status == "temperror", n.Status == "temperror")+" (BIMI)")
		return false
	case o.Status != n.Status:
		add(FieldBIMI, KindChanged, o.Status, n.Status, records(o.Record, n.Record))
	case o.Record != n.Record:
		add(FieldBIMI, KindChanged, o.Record, n.Record, "")
	}
	return true
}
