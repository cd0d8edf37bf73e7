package dmarc_test

import (
	"testing"

	"github.com/mxscope/mxscope/scanner/dmarc"
)

// TestRFC9989RulesThroughDNS checks, through real DNS messages, each rule of
// RFC 9989 that decides which record applies to a domain, what policy it
// applies, and when a record is unusable; each case names the text it
// checks. Zone escapes: \009 is a tab, \010 a line feed, \013 a carriage
// return, \000 a NUL.
func TestRFC9989RulesThroughDNS(t *testing.T) {
	const (
		ok      = dmarc.StatusOK
		none    = dmarc.StatusNone
		invalid = dmarc.StatusInvalid
		pNone   = dmarc.PolicyNone
		pQuar   = dmarc.PolicyQuarantine
		pReject = dmarc.PolicyReject
	)
	// own is a case whose domain's own record applies.
	own := func(domain string, status dmarc.Status, policy dmarc.Policy, rule string) dnsCase {
		return dnsCase{domain: domain, status: status, policy: policy, source: "_dmarc." + domain, org: domain, rule: rule}
	}
	groups := []struct {
		name  string
		zone  string
		cases []dnsCase
	}{
		{
			name: "which TXT record is the DMARC record",
			zone: `
_dmarc.split.example.      TXT "v=DMARC1; p=" "reject"
_dmarc.splitmid.example.   TXT "v=DMA" "RC1; p=quar" "antine"
_dmarc.others.example.     TXT "v=spf1 -all"
_dmarc.others.example.     TXT "google-site-verification=abc"
_dmarc.others.example.     TXT "v=DMARC1; p=reject"
_dmarc.nontxt.example.     A   192.0.2.1
_dmarc.vspace.example.     TXT "v = DMARC1 ;\009p = reject ;"
_dmarc.vupper.example.     TXT "V=DMARC1; p=reject"
_dmarc.vlower.example.     TXT "v=dmarc1; p=reject"
_dmarc.vjunk.example.      TXT "v=DMARC1x; p=reject"
_dmarc.vnosep.example.     TXT "v=DMARC1 p=reject"
_dmarc.walk.example.       TXT "v=DMARC1; p=quarantine"
_dmarc.lead.walk.example.  TXT " v=DMARC1; p=reject"
_dmarc.late.walk.example.  TXT "p=reject; v=DMARC1"
_dmarc.onekept.example.    TXT "v=DMARC1; p=reject"
_dmarc.onekept.example.    TXT " v=DMARC1; p=none"
_dmarc.three.example.      TXT "v=DMARC1; p=reject"
_dmarc.three.example.      TXT "V=DMARC1; p=none"
_dmarc.three.example.      TXT "v=spf1 -all"
_dmarc.bare.example.       TXT "v=DMARC1"
_dmarc.baresep.example.    TXT "v=DMARC1;"
`,
			cases: []dnsCase{
				own("split.example", ok, pReject, `§4.5: character-strings "MUST concatenate these strings by joining together the objects in order"`),
				own("splitmid.example", ok, pQuar, `§4.5: concatenated with nothing, even inside a tag`),
				own("others.example", ok, pReject, `§4.10 step 2: "Records that do not start with a "v" tag that identifies the current version of DMARC are discarded"`),
				{domain: "nontxt.example", status: none, org: "nontxt.example",
					rule: `§4.5: "DMARC Policy Records are stored as DNS TXT records": an A record at _dmarc is none`},
				own("vspace.example", ok, pReject, `§4.8: equals = *WSP "=" *WSP; dmarc-sep = *WSP ";" *WSP (WSP is SP or HTAB)`),
				own("vupper.example", ok, pReject, `§4.8: dmarc-version = "v" equals %s"DMARC1": the quoted "v" is case-insensitive (RFC 5234 §2.3)`),
				{domain: "vlower.example", status: none, org: "vlower.example",
					rule: `§4.7 v: "The tag value is case sensitive ... the entire record MUST be ignored"`},
				{domain: "vjunk.example", status: none, org: "vjunk.example",
					rule: `§4.7 v: "the only possible value is "DMARC1""`},
				{domain: "vnosep.example", status: none, org: "vnosep.example",
					rule: `§4.8: after dmarc-version comes dmarc-sep (";"), so "DMARC1 p=reject" is not the value DMARC1`},
				{domain: "lead.walk.example", status: ok, policy: pQuar, source: "_dmarc.walk.example", inherited: true, org: "walk.example",
					rule: `§4.8: dmarc-record begins with dmarc-version, nothing before the "v": discarded, and the walk goes on`},
				{domain: "late.walk.example", status: ok, policy: pQuar, source: "_dmarc.walk.example", inherited: true, org: "walk.example",
					rule: `§4.7 v: "This tag MUST be the first tag in the list"`},
				own("onekept.example", ok, pReject, `§4.10 step 2: records without the version tag are discarded before several are counted`),
				{domain: "three.example", status: none, org: "three.example", multiple: []string{"_dmarc.three.example"},
					rule: `§4.10 step 2: "If multiple DMARC Policy Records are returned for a single target, they are all discarded"`},
				own("bare.example", invalid, "", `§4.10.1: no valid p and no rua: "the Mail Receiver applies no DMARC processing"`),
				own("baresep.example", invalid, "", `§4.8: [dmarc-sep] may end the record; still no p and no rua (§4.10.1)`),
			},
		},
		{
			name: "syntax errors in the remainder are discarded, not the record",
			zone: `
_dmarc.unknown.example.    TXT "v=DMARC1; p=reject; foo=bar; rfb=1"
_dmarc.tabs.example.       TXT "v=DMARC1;\009p=reject\009;\009"
_dmarc.lf.example.         TXT "v=DMARC1;\010p=reject"
_dmarc.lfrua.example.      TXT "v=DMARC1;\010p=reject; rua=mailto:d@lfrua.example"
_dmarc.crlf.example.       TXT "v=DMARC1; p=reject\013\010"
_dmarc.upper.example.      TXT "v=DMARC1; P=REJECT; SP=None"
_dmarc.dup.example.        TXT "v=DMARC1; p=none; p=reject"
_dmarc.dupunknown.example. TXT "v=DMARC1; p=reject; x=1; x=2"
_dmarc.ctl.example.        TXT "v=DMARC1; p=reject; x=a\001b"
_dmarc.pct.example.        TXT "v=DMARC1; p=reject; pct=0"
_dmarc.order.example.      TXT "v=DMARC1; rua=mailto:d@order.example; p=reject"
_dmarc.empty.example.      TXT "v=DMARC1;;p=reject;;"
_dmarc.trail.example.      TXT "v=DMARC1; p=reject; "
_dmarc.badadkim.example.   TXT "v=DMARC1; p=reject; adkim=x; fo=0:1; psd=q"
`,
			cases: []dnsCase{
				own("unknown.example", ok, pReject, `§4.7: "unknown tags MUST be ignored"`),
				own("tabs.example", ok, pReject, `§4.8: WSP (SP or HTAB) around ";"`),
				own("lf.example", invalid, "", `§4.8: a line feed is not WSP (RFC 5234 B.1) and no tag starts with one: the tag is a syntax error, ignored, leaving no p (§4.10.1)`),
				own("lfrua.example", ok, pNone, `§4.10.1: no valid p but a valid rua: "act as if a record containing "p=none" was retrieved"`),
				own("crlf.example", invalid, "", `§4.8: CR and LF are neither WSP nor dmarc-value, so "reject\r\n" is not a dmarc-request`),
				own("upper.example", ok, pReject, `§4.8: dmarc-request values are quoted ABNF strings, case-insensitive (RFC 5234 §2.3)`),
				own("dup.example", invalid, "", `§4.7: records "follow the extensible "tag-value" syntax ... defined in DKIM"; RFC 6376 §3.2: "if a tag name does occur more than once, the entire tag-list is invalid"`),
				own("dupunknown.example", invalid, "", `RFC 6376 §3.2 again: the rule is about tag names, known or not`),
				own("ctl.example", ok, pReject, `§4.8: "Syntax errors in the remainder of the record MUST be discarded in favor of default values (if any) or ignored outright"`),
				own("pct.example", ok, pReject, `Appendix C.5.2: pct is removed, so it is an unknown tag, ignored`),
				own("order.example", ok, pReject, `§4.8: dmarc-record = dmarc-version *(dmarc-sep dmarc-tag): any order after v`),
				own("empty.example", ok, pReject, `§4.8: empty tags are syntax errors, ignored`),
				own("trail.example", ok, pReject, `§4.8: dmarc-record ends in [dmarc-sep]`),
				own("badadkim.example", ok, pReject, `§4.8: a value outside its tag's rule falls back to the default`),
			},
		},
		{
			name: "a record without a valid p, sp or np",
			zone: `
_dmarc.badp.example.       TXT "v=DMARC1; p=bogus"
_dmarc.badprua.example.    TXT "v=DMARC1; p=bogus; rua=mailto:d@badprua.example"
_dmarc.nop.example.        TXT "v=DMARC1; rua=mailto:d@nop.example"
_dmarc.noprua.example.     TXT "v=DMARC1; rua=nonsense"
_dmarc.badsp.example.      TXT "v=DMARC1; p=reject; sp=maybe; rua=mailto:d@badsp.example"
x.badsp.example.           A   192.0.2.2
_dmarc.badnp.example.      TXT "v=DMARC1; p=reject; np=x"
_dmarc.ruatab.example.     TXT "v=DMARC1; p=bogus; rua=nonsense,\009mailto:d@ruatab.example"
_dmarc.ruanul.example.     TXT "v=DMARC1; p=bogus; rua=mailto:a@ruanul.example\000,mailto:d@ruanul.example"
_dmarc.ruanulonly.example. TXT "v=DMARC1; p=bogus; rua=mailto:d@ruanulonly.example\000"
_dmarc.ruabang.example.    TXT "v=DMARC1; p=bogus; rua=mailto:d@ruabang.example!x"
_dmarc.ruaangle.example.   TXT "v=DMARC1; p=bogus; rua=mailto:<d@ruaangle.example>"
_dmarc.ruasize.example.    TXT "v=DMARC1; p=bogus; rua=mailto:d@ruasize.example!10m"
_dmarc.ruaodd.example.     TXT "v=DMARC1; p=bogus; rua=x-report:abc"
`,
			cases: []dnsCase{
				own("badp.example", invalid, "", `§4.10.1: no valid p and no rua: "the Mail Receiver applies no DMARC processing"`),
				own("badprua.example", ok, pNone, `§4.10.1: "If a "rua" tag is present and contains at least one syntactically valid reporting URI ... "p=none""`),
				own("nop.example", ok, pNone, `§4.7 p: absent, "the record is treated as if it included "p=none" (see Section 4.10.1)"`),
				own("noprua.example", invalid, "", `§4.10.1: an absent p is not a valid p, and "nonsense" is no URI`),
				own("badsp.example", ok, pNone, `§4.10.1: "contains an "sp" or "np" tag that is not valid", with a valid rua: p=none`),
				{domain: "x.badsp.example", status: ok, policy: pNone, source: "_dmarc.badsp.example", inherited: true, org: "badsp.example",
					rule: `§4.10.1: the record acts as p=none, for its subdomains too`},
				own("badnp.example", invalid, "", `§4.10.1: an invalid np without rua`),
				own("ruatab.example", ok, pNone, `§4.8: dmarc-urilist allows *WSP (a tab too) around ","`),
				own("ruanul.example", ok, pNone, `§4.10.1: "at least one syntactically valid reporting URI": one malformed URI costs only itself`),
				own("ruanulonly.example", invalid, "", `§4.8 dmarc-uri = URI (RFC 3986): a NUL is no URI character`),
				own("ruabang.example", ok, pNone, `§4.8: dmarc-uri = URI, and RFC 3986 allows a "!" (the ABNF's comment asks publishers to encode it, but the production accepts it)`),
				own("ruaangle.example", invalid, "", `§4.8 dmarc-uri = URI (RFC 3986): "<" and ">" are no URI characters`),
				own("ruasize.example", ok, pNone, `§4.8: obs-dmarc-uri = dmarc-uri "!" 1*DIGIT ["k"/"m"/"g"/"t"] is still syntax`),
				own("ruaodd.example", ok, pNone, `§4.10.1 asks for syntax only: any scheme counts`),
			},
		},
		{
			name: "the policy that applies",
			zone: `
_dmarc.ownsp.example.      TXT "v=DMARC1; p=reject; sp=none; np=none"
_dmarc.tnone.example.      TXT "v=DMARC1; p=none; t=y"
_dmarc.tupper.example.     TXT "v=DMARC1; p=reject; t=Y"
_dmarc.tbad.example.       TXT "v=DMARC1; p=reject; t=maybe"
_dmarc.tsub.example.       TXT "v=DMARC1; p=none; sp=reject; t=y"
sub.tsub.example.          A   192.0.2.3
_dmarc.nponly.example.     TXT "v=DMARC1; p=quarantine; np=reject"
live.nponly.example.       A   192.0.2.4
_dmarc.sponly.example.     TXT "v=DMARC1; p=reject; sp=none"
_dmarc.ponly.example.      TXT "v=DMARC1; p=quarantine"
`,
			cases: []dnsCase{
				own("ownsp.example", ok, pReject, `§4.10.1: "If the DMARC Policy Record to be applied is that of the Author Domain, then the Domain Owner Assessment Policy is taken from the "p" tag"`),
				{domain: "tnone.example", status: ok, policy: pNone, source: "_dmarc.tnone.example", org: "tnone.example", testing: true,
					rule: `§4.7 t: "it has no effect on any policy ("p", "sp", or "np") that is "none""`},
				{domain: "tupper.example", status: ok, policy: pReject, applied: pQuar, source: "_dmarc.tupper.example", org: "tupper.example", testing: true,
					rule: `§4.7 t: "if the policy is "reject" and the value of the "t" tag is "y", a policy of "quarantine" will be applied"; dmarc-yorn is case-insensitive`},
				own("tbad.example", ok, pReject, `§4.7 t: default "n"; a value outside dmarc-yorn is discarded`),
				{domain: "sub.tsub.example", status: ok, policy: pReject, applied: pQuar, source: "_dmarc.tsub.example", inherited: true, org: "tsub.example", testing: true,
					rule: `§4.7 t: lowers the policy "declared in the "p", "sp", and/or "np" tags"`},
				{domain: "live.nponly.example", status: ok, policy: pQuar, source: "_dmarc.nponly.example", inherited: true, org: "nponly.example",
					rule: `§4.7 sp: "If both the "sp" tag is absent, and the "np" tag is either absent or not applicable, the policy specified by the "p" tag MUST be applied"`},
				{domain: "gone.nponly.example", status: ok, policy: pReject, source: "_dmarc.nponly.example", inherited: true, org: "nponly.example",
					rule: `§4.10.1: "the "np" tag (if any) if the Author Domain does not exist" (NXDOMAIN, §3.2.13)`},
				{domain: "gone.sponly.example", status: ok, policy: pNone, source: "_dmarc.sponly.example", inherited: true, org: "sponly.example",
					rule: `§4.7 np: "If the "np" tag is absent, the policy specified by the "sp" tag (if the "sp" tag is present) ... MUST be applied for non-existent subdomains"`},
				{domain: "gone.ponly.example", status: ok, policy: pQuar, source: "_dmarc.ponly.example", inherited: true, org: "ponly.example",
					rule: `§4.10.1: "In the absence of applicable "sp" or "np" tags, the "p" tag policy is used for subdomains"`},
			},
		},
		{
			name: "the DNS tree walk",
			zone: `
a.b.c.d.e.f.eight.test.          A   192.0.2.5
_dmarc.eight.test.               TXT "v=DMARC1; p=reject"
a.b.c.d.e.f.g.nine.test.         A   192.0.2.6
_dmarc.b.c.d.e.f.g.nine.test.    TXT "v=DMARC1; p=none; psd=n"
_dmarc.nine.test.                TXT "v=DMARC1; p=reject"
mail.a.b.c.d.e.f.g.example.com.  A   192.0.2.7
_dmarc.b.c.d.e.f.g.example.com.  TXT "v=DMARC1; p=none; psd=n"
_dmarc.example.com.              TXT "v=DMARC1; p=reject"
a.dept.corp.test.                A   192.0.2.8
_dmarc.dept.corp.test.           TXT "v=DMARC1; p=none; psd=n"
_dmarc.corp.test.                TXT "v=DMARC1; p=reject"
_dmarc.own.psdy.test.            TXT "v=DMARC1; p=quarantine; psd=y"
_dmarc.psdy.test.                TXT "v=DMARC1; p=reject"
a.b.c.ptest.                     A   192.0.2.9
_dmarc.b.c.ptest.                TXT "v=DMARC1; p=none"
_dmarc.ptest.                    TXT "v=DMARC1; p=reject; sp=quarantine; psd=y"
x.mult.test.                     A   192.0.2.10
_dmarc.mult.test.                TXT "v=DMARC1; p=reject"
_dmarc.mult.test.                TXT "v=DMARC1; p=none"
`,
			cases: []dnsCase{
				{domain: "a.b.c.d.e.f.eight.test", status: ok, policy: pReject, source: "_dmarc.eight.test", inherited: true, org: "eight.test",
					asked: []string{"_dmarc.a.b.c.d.e.f.eight.test", "_dmarc.b.c.d.e.f.eight.test", "_dmarc.c.d.e.f.eight.test",
						"_dmarc.d.e.f.eight.test", "_dmarc.e.f.eight.test", "_dmarc.f.eight.test", "_dmarc.eight.test", "_dmarc.test"},
					rule: `§4.10.1: "If the Author Domain has eight or fewer labels, the starting point will be the immediate parent domain"`},
				{domain: "a.b.c.d.e.f.g.nine.test", status: ok, policy: pReject, source: "_dmarc.nine.test", inherited: true, org: "nine.test",
					asked: []string{"_dmarc.a.b.c.d.e.f.g.nine.test", "_dmarc.c.d.e.f.g.nine.test", "_dmarc.d.e.f.g.nine.test",
						"_dmarc.e.f.g.nine.test", "_dmarc.f.g.nine.test", "_dmarc.g.nine.test", "_dmarc.nine.test", "_dmarc.test"},
					rule: `§4.10 step 4: "If x >= 8, remove the left-most (highest-numbered) labels from the subject domain until 7 labels remain"`},
				{domain: "mail.a.b.c.d.e.f.g.example.com", status: ok, policy: pReject, source: "_dmarc.example.com", inherited: true, org: "example.com",
					asked: []string{"_dmarc.mail.a.b.c.d.e.f.g.example.com", "_dmarc.c.d.e.f.g.example.com", "_dmarc.d.e.f.g.example.com",
						"_dmarc.e.f.g.example.com", "_dmarc.f.g.example.com", "_dmarc.g.example.com", "_dmarc.example.com", "_dmarc.com"},
					rule: `§5.1.8: "the DMARC Policy Record published at the zone cut domain in this example will never be discovered"`},
				{domain: "a.dept.corp.test", status: ok, policy: pNone, source: "_dmarc.dept.corp.test", inherited: true, org: "dept.corp.test",
					asked: []string{"_dmarc.a.dept.corp.test", "_dmarc.dept.corp.test"},
					rule:  `§4.10 step 6: "If a single record remains and it contains a "psd=n" or "psd=y" tag, stop"; §4.10.2 rule 1`},
				{domain: "own.psdy.test", status: ok, policy: pQuar, source: "_dmarc.own.psdy.test", org: "own.psdy.test",
					asked: []string{"_dmarc.own.psdy.test"},
					rule:  `§4.10.1: the Author Domain's record applies; §4.10.2 rule 2 excludes "the one for the domain where the tree walk started"`},
				{domain: "a.b.c.ptest", status: ok, policy: pQuar, source: "_dmarc.ptest", inherited: true, psd: true, org: "c.ptest",
					asked: []string{"_dmarc.a.b.c.ptest", "_dmarc.b.c.ptest", "_dmarc.c.ptest", "_dmarc.ptest"},
					rule:  `§4.10.1: "The Author Domain / The Organizational Domain of the Author Domain / The Public Suffix Domain": c.ptest (one below psd=y, §4.10.2 rule 2) publishes nothing, so the PSD's record, not b.c.ptest's`},
				{domain: "b.c.ptest", status: ok, policy: pNone, source: "_dmarc.b.c.ptest", org: "c.ptest",
					rule: `§4.10.2 rule 2: "the Organizational Domain is the domain one label below this one"`},
				{domain: "x.mult.test", status: none, org: "x.mult.test", multiple: []string{"_dmarc.mult.test"},
					rule: `§4.10 step 6: several records at the Organizational Domain are discarded; §4.10.1: "If the set produced by the DNS Tree Walk contains no DMARC Policy Record ... MUST NOT apply the DMARC mechanism"`},
			},
		},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { runDNSCases(t, g.zone, g.cases) })
	}
}
