package dmarc

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// fakeResolver answers from maps: a name in errs fails with that error, a name
// in txt answers its records, any other name is NXDOMAIN. It records the names
// asked, in order.
type fakeResolver struct {
	txt   map[string][]string
	errs  map[string]error
	asked []string
}

var _ Resolver = (*fakeResolver)(nil)

func (f *fakeResolver) LookupTXT(_ context.Context, name string) ([]string, error) {
	f.asked = append(f.asked, name)
	if err := f.errs[name]; err != nil {
		return nil, err
	}
	return f.txt[name], nil
}

var errServfail = errors.New("SERVFAIL")

// existence answers e and counts how often it was asked.
func existence(e Existence, calls *int) Option {
	return DomainExistence(func(context.Context) Existence {
		*calls++
		return e
	})
}

func TestDiscover(t *testing.T) {
	tests := []struct {
		name   string
		domain string
		exists Existence // 0: no option given
		txt    map[string][]string
		errs   map[string]error

		wantStatus    Status
		wantPolicy    Policy
		wantApplied   Policy // defaults to wantPolicy
		wantTesting   bool
		wantSource    string
		wantInherited bool
		wantPSD       bool
		wantOrg       string // RFC 9989 tree walk
		wantPSL       string // RFC 7489 public suffix list
		wantMultiple  []string
		wantAsked     []string // exact query sequence, when set
		wantAskExists int      // how often the existence fact was asked
		wantErr       string   // substring of Err
		wantWarn      string   // substring of some warning
	}{
		{name: "own record: p applies, the walk goes on to name the organizational domain", domain: "campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=reject; rua=mailto:d@campaign.example"}},
			wantStatus: StatusOK, wantPolicy: PolicyReject, wantSource: "_dmarc.campaign.example",
			wantAsked: []string{"_dmarc.campaign.example", "_dmarc.example"},
			wantOrg:   "campaign.example", wantPSL: "campaign.example"},
		{name: "own record with psd=n ends the walk", domain: "campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=quarantine; psd=n"}},
			wantStatus: StatusOK, wantPolicy: PolicyQuarantine, wantSource: "_dmarc.campaign.example",
			wantAsked: []string{"_dmarc.campaign.example"}, wantOrg: "campaign.example", wantPSL: "campaign.example"},
		{name: "own record on a subdomain: the organizational domain is the parent with a record", domain: "mail.campaign.example",
			txt: map[string][]string{
				"_dmarc.mail.campaign.example": {"v=DMARC1; p=none"},
				"_dmarc.campaign.example":      {"v=DMARC1; p=reject"},
			},
			wantStatus: StatusOK, wantPolicy: PolicyNone, wantSource: "_dmarc.mail.campaign.example",
			wantAsked: []string{"_dmarc.mail.campaign.example", "_dmarc.campaign.example", "_dmarc.example"},
			wantOrg:   "campaign.example", wantPSL: "campaign.example"},
		{name: "missing: the walk goes up to the TLD", domain: "campaign.example",
			txt:        map[string][]string{"campaign.example": {"v=spf1 -all"}},
			wantStatus: StatusNone, wantAsked: []string{"_dmarc.campaign.example", "_dmarc.example"},
			wantOrg: "campaign.example", wantPSL: "campaign.example"},

		// Class 3 of issue 12: the Organizational Domain's record, not the nearest parent's.
		{name: "the record with the fewest labels, not the nearest parent", domain: "a.b.example.test",
			txt: map[string][]string{
				"_dmarc.b.example.test": {"v=DMARC1; p=none"},
				"_dmarc.example.test":   {"v=DMARC1; p=reject"},
			},
			wantStatus: StatusOK, wantPolicy: PolicyReject, wantSource: "_dmarc.example.test", wantInherited: true,
			wantAsked: []string{"_dmarc.a.b.example.test", "_dmarc.b.example.test", "_dmarc.example.test", "_dmarc.test"},
			wantOrg:   "example.test", wantPSL: "example.test"},
		{name: "psd=n below the top record makes that name the organizational domain", domain: "a.b.example.test",
			txt: map[string][]string{
				"_dmarc.b.example.test": {"v=DMARC1; p=none; sp=quarantine; psd=n"},
				"_dmarc.example.test":   {"v=DMARC1; p=reject"},
			},
			wantStatus: StatusOK, wantPolicy: PolicyQuarantine, wantSource: "_dmarc.b.example.test", wantInherited: true,
			wantAsked: []string{"_dmarc.a.b.example.test", "_dmarc.b.example.test"},
			wantOrg:   "b.example.test", wantPSL: "example.test"},
		{name: "subdomain inherits sp", domain: "mail.campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=reject; sp=quarantine"}},
			wantStatus: StatusOK, wantPolicy: PolicyQuarantine, wantSource: "_dmarc.campaign.example", wantInherited: true,
			wantAsked: []string{"_dmarc.mail.campaign.example", "_dmarc.campaign.example", "_dmarc.example"},
			wantOrg:   "campaign.example", wantPSL: "campaign.example"},
		{name: "subdomain without sp inherits p", domain: "mail.campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=reject"}},
			wantStatus: StatusOK, wantPolicy: PolicyReject, wantSource: "_dmarc.campaign.example", wantInherited: true,
			wantOrg: "campaign.example", wantPSL: "campaign.example"},

		// Class 1: np for a domain that does not exist.
		{name: "nonexistent subdomain gets np", domain: "nx.p1.example", exists: NotExists,
			txt:        map[string][]string{"_dmarc.p1.example": {"v=DMARC1; p=reject; sp=none; np=reject"}},
			wantStatus: StatusOK, wantPolicy: PolicyReject, wantSource: "_dmarc.p1.example", wantInherited: true,
			wantAskExists: 1, wantOrg: "p1.example", wantPSL: "p1.example"},
		{name: "existing subdomain gets sp", domain: "nx.p1.example", exists: Exists,
			txt:        map[string][]string{"_dmarc.p1.example": {"v=DMARC1; p=reject; sp=none; np=reject"}},
			wantStatus: StatusOK, wantPolicy: PolicyNone, wantSource: "_dmarc.p1.example", wantInherited: true,
			wantAskExists: 1, wantOrg: "p1.example", wantPSL: "p1.example"},
		{name: "nonexistent subdomain without np gets sp", domain: "nx.p1.example", exists: NotExists,
			txt:        map[string][]string{"_dmarc.p1.example": {"v=DMARC1; p=reject; sp=quarantine"}},
			wantStatus: StatusOK, wantPolicy: PolicyQuarantine, wantSource: "_dmarc.p1.example", wantInherited: true,
			wantOrg: "p1.example", wantPSL: "p1.example"},
		{name: "nonexistent subdomain without np or sp gets p", domain: "nx.p1.example", exists: NotExists,
			txt:        map[string][]string{"_dmarc.p1.example": {"v=DMARC1; p=quarantine"}},
			wantStatus: StatusOK, wantPolicy: PolicyQuarantine, wantSource: "_dmarc.p1.example", wantInherited: true,
			wantOrg: "p1.example", wantPSL: "p1.example"},
		{name: "np never applies to the domain's own record", domain: "p1.example", exists: NotExists,
			txt:        map[string][]string{"_dmarc.p1.example": {"v=DMARC1; p=none; np=reject"}},
			wantStatus: StatusOK, wantPolicy: PolicyNone, wantSource: "_dmarc.p1.example",
			wantOrg: "p1.example", wantPSL: "p1.example"},
		{name: "existence unknown when it decides: temperror", domain: "nx.p1.example", exists: ExistenceUnknown,
			txt:        map[string][]string{"_dmarc.p1.example": {"v=DMARC1; p=reject; sp=none; np=reject"}},
			wantStatus: StatusTemperror, wantSource: "_dmarc.p1.example", wantInherited: true, wantAskExists: 1,
			wantErr: "whether nx.p1.example exists is unknown", wantOrg: "p1.example", wantPSL: "p1.example"},
		{name: "existence unknown when np equals sp: not asked", domain: "nx.p1.example", exists: ExistenceUnknown,
			txt:        map[string][]string{"_dmarc.p1.example": {"v=DMARC1; p=none; sp=reject; np=reject"}},
			wantStatus: StatusOK, wantPolicy: PolicyReject, wantSource: "_dmarc.p1.example", wantInherited: true,
			wantOrg: "p1.example", wantPSL: "p1.example"},

		// Class 2: t=y lowers the applied policy one step.
		{name: "t=y: reject applies as quarantine", domain: "campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=reject; t=y"}},
			wantStatus: StatusOK, wantPolicy: PolicyReject, wantApplied: PolicyQuarantine, wantTesting: true,
			wantSource: "_dmarc.campaign.example", wantOrg: "campaign.example", wantPSL: "campaign.example"},
		{name: "t=y: quarantine applies as none", domain: "campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=quarantine; t=Y"}},
			wantStatus: StatusOK, wantPolicy: PolicyQuarantine, wantApplied: PolicyNone, wantTesting: true,
			wantSource: "_dmarc.campaign.example", wantOrg: "campaign.example", wantPSL: "campaign.example"},
		{name: "t=y: none stays none", domain: "campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=none; t=y"}},
			wantStatus: StatusOK, wantPolicy: PolicyNone, wantTesting: true,
			wantSource: "_dmarc.campaign.example", wantOrg: "campaign.example", wantPSL: "campaign.example"},
		{name: "t=n changes nothing", domain: "campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=reject; t=n"}},
			wantStatus: StatusOK, wantPolicy: PolicyReject,
			wantSource: "_dmarc.campaign.example", wantOrg: "campaign.example", wantPSL: "campaign.example"},
		{name: "t=y lowers an inherited np", domain: "nx.p1.example", exists: NotExists,
			txt:        map[string][]string{"_dmarc.p1.example": {"v=DMARC1; p=none; np=reject; t=y"}},
			wantStatus: StatusOK, wantPolicy: PolicyReject, wantApplied: PolicyQuarantine, wantTesting: true,
			wantSource: "_dmarc.p1.example", wantInherited: true, wantAskExists: 1, wantOrg: "p1.example", wantPSL: "p1.example"},

		// Several records at one name: RFC 9989 discards them and walks on.
		{name: "two own records are discarded and nothing above: none", domain: "campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=reject", "v=DMARC1; p=none"}},
			wantStatus: StatusNone, wantMultiple: []string{"_dmarc.campaign.example"},
			wantAsked: []string{"_dmarc.campaign.example", "_dmarc.example"},
			wantOrg:   "campaign.example", wantPSL: "campaign.example"},
		{name: "two own records are discarded and the parent's applies", domain: "mail.campaign.example",
			txt: map[string][]string{
				"_dmarc.mail.campaign.example": {"v=DMARC1; p=reject", "v=DMARC1; p=none"},
				"_dmarc.campaign.example":      {"v=DMARC1; p=none; sp=quarantine"},
			},
			wantStatus: StatusOK, wantPolicy: PolicyQuarantine, wantSource: "_dmarc.campaign.example", wantInherited: true,
			wantMultiple: []string{"_dmarc.mail.campaign.example"}, wantOrg: "campaign.example", wantPSL: "campaign.example"},
		{name: "two identical records are still two", domain: "campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=reject", "v=DMARC1; p=reject"}},
			wantStatus: StatusNone, wantMultiple: []string{"_dmarc.campaign.example"},
			wantOrg: "campaign.example", wantPSL: "campaign.example"},
		{name: "several records at a parent are passed over", domain: "mail.campaign.example",
			txt: map[string][]string{
				"_dmarc.campaign.example": {"v=DMARC1; p=reject", "v=DMARC1; p=none"},
				"_dmarc.example":          {"v=DMARC1; p=quarantine; psd=y"},
			},
			wantStatus: StatusOK, wantPolicy: PolicyQuarantine, wantSource: "_dmarc.example", wantInherited: true, wantPSD: true,
			wantMultiple: []string{"_dmarc.campaign.example"}, wantOrg: "campaign.example", wantPSL: "campaign.example"},

		// Unusable records.
		{name: "no p with a valid rua is none", domain: "campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; rua=mailto:d@campaign.example"}},
			wantStatus: StatusOK, wantPolicy: PolicyNone, wantSource: "_dmarc.campaign.example",
			wantOrg: "campaign.example", wantPSL: "campaign.example", wantWarn: "no p tag: treated as p=none"},
		{name: "no p and no rua: no DMARC processing", domain: "campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1"}},
			wantStatus: StatusInvalid, wantSource: "_dmarc.campaign.example", wantErr: "no p tag",
			wantOrg: "campaign.example", wantPSL: "campaign.example"},
		{name: "p=bogus without rua is invalid, and the parents are not asked for a policy", domain: "mail.campaign.example",
			txt: map[string][]string{
				"_dmarc.mail.campaign.example": {"v=DMARC1; p=bogus"},
				"_dmarc.campaign.example":      {"v=DMARC1; p=reject"},
			},
			wantStatus: StatusInvalid, wantSource: "_dmarc.mail.campaign.example", wantErr: "dmarc: invalid p=bogus",
			wantOrg: "campaign.example", wantPSL: "campaign.example"},
		{name: "p=bogus with a rua is none", domain: "campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=bogus; rua=mailto:d@campaign.example"}},
			wantStatus: StatusOK, wantPolicy: PolicyNone, wantSource: "_dmarc.campaign.example",
			wantOrg: "campaign.example", wantPSL: "campaign.example", wantWarn: "invalid p=bogus"},
		{name: "unusable parent record is invalid", domain: "mail.campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=bogus"}},
			wantStatus: StatusInvalid, wantSource: "_dmarc.campaign.example", wantInherited: true, wantErr: "invalid p=bogus",
			wantOrg: "campaign.example", wantPSL: "campaign.example"},
		{name: "duplicate tag: the record is invalid", domain: "campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=reject; p=none"}},
			wantStatus: StatusInvalid, wantSource: "_dmarc.campaign.example", wantErr: "duplicate tag p",
			wantOrg: "campaign.example", wantPSL: "campaign.example"},

		// Class 4: syntax errors in the remainder are discarded, p stands.
		{name: "a control byte in an unknown tag is discarded", domain: "campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=reject; x=a\x01b"}},
			wantStatus: StatusOK, wantPolicy: PolicyReject, wantSource: "_dmarc.campaign.example",
			wantOrg: "campaign.example", wantPSL: "campaign.example", wantWarn: `x="a\x01b" ignored`},
		{name: "a trailing NUL after a valid rua is discarded", domain: "campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=reject; rua=mailto:d@campaign.example;\x00"}},
			wantStatus: StatusOK, wantPolicy: PolicyReject, wantSource: "_dmarc.campaign.example",
			wantOrg: "campaign.example", wantPSL: "campaign.example", wantWarn: `malformed tag "\x00" ignored`},
		{name: "a NUL inside the rua value drops only that URI", domain: "campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=reject; rua=mailto:d@campaign.example\x00"}},
			wantStatus: StatusOK, wantPolicy: PolicyReject, wantSource: "_dmarc.campaign.example",
			wantOrg: "campaign.example", wantPSL: "campaign.example", wantWarn: `invalid rua URI "mailto:d@campaign.example\x00" ignored`},
		{name: "a record of more than 4096 bytes is judged by its content", domain: "campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=reject; x=" + strings.Repeat("a", 5000)}},
			wantStatus: StatusOK, wantPolicy: PolicyReject, wantSource: "_dmarc.campaign.example",
			wantOrg: "campaign.example", wantPSL: "campaign.example"},

		// Public Suffix Domains (psd=y).
		{name: "psd=y one label up: the domain is its own organizational domain and gets the PSD's sp", domain: "city.gov.test",
			txt:        map[string][]string{"_dmarc.gov.test": {"v=DMARC1; p=reject; sp=quarantine; psd=y"}},
			wantStatus: StatusOK, wantPolicy: PolicyQuarantine, wantSource: "_dmarc.gov.test", wantInherited: true, wantPSD: true,
			wantAsked: []string{"_dmarc.city.gov.test", "_dmarc.gov.test"},
			wantOrg:   "city.gov.test", wantPSL: "gov.test"},
		{name: "psd=y two labels up: the organizational domain one label below publishes nothing", domain: "x.city.gov.test", exists: NotExists,
			txt: map[string][]string{
				"_dmarc.gov.test": {"v=DMARC1; p=reject; sp=quarantine; np=reject; psd=y"},
				"_dmarc.test":     {"v=DMARC1; p=none; psd=y"},
			},
			wantStatus: StatusOK, wantPolicy: PolicyReject, wantSource: "_dmarc.gov.test", wantInherited: true, wantPSD: true,
			wantAsked:     []string{"_dmarc.x.city.gov.test", "_dmarc.city.gov.test", "_dmarc.gov.test"},
			wantAskExists: 1, wantOrg: "city.gov.test", wantPSL: "gov.test"},
		{name: "PSD policy is not used when the organizational domain publishes a record", domain: "x.city.gov.test",
			txt: map[string][]string{
				"_dmarc.city.gov.test": {"v=DMARC1; p=none"},
				"_dmarc.gov.test":      {"v=DMARC1; p=reject; psd=y"},
			},
			wantStatus: StatusOK, wantPolicy: PolicyNone, wantSource: "_dmarc.city.gov.test", wantInherited: true,
			wantOrg: "city.gov.test", wantPSL: "gov.test"},
		{name: "psd=y on the domain's own record: p applies and the domain is its own organizational domain", domain: "gov.test",
			txt:        map[string][]string{"_dmarc.gov.test": {"v=DMARC1; p=reject; sp=none; psd=y"}},
			wantStatus: StatusOK, wantPolicy: PolicyReject, wantSource: "_dmarc.gov.test",
			wantAsked: []string{"_dmarc.gov.test"}, wantOrg: "gov.test", wantPSL: "gov.test"},
		{name: "a record without psd at the TLD is the organizational domain by rule 3", domain: "campaign.example",
			txt:        map[string][]string{"_dmarc.example": {"v=DMARC1; p=reject; sp=quarantine"}},
			wantStatus: StatusOK, wantPolicy: PolicyQuarantine, wantSource: "_dmarc.example", wantInherited: true,
			wantOrg: "example", wantPSL: "campaign.example"},
		{name: "PSL and tree walk disagree under a private suffix", domain: "team.github.io",
			txt:        map[string][]string{"_dmarc.github.io": {"v=DMARC1; p=reject"}},
			wantStatus: StatusOK, wantPolicy: PolicyReject, wantSource: "_dmarc.github.io", wantInherited: true,
			wantOrg: "github.io", wantPSL: "team.github.io"},

		// Long names: at most eight queries.
		{name: "more than eight labels: at most eight queries", domain: "a.b.c.d.e.f.g.h.i.j.mail.example.com",
			wantStatus: StatusNone,
			wantAsked: []string{
				"_dmarc.a.b.c.d.e.f.g.h.i.j.mail.example.com", "_dmarc.g.h.i.j.mail.example.com",
				"_dmarc.h.i.j.mail.example.com", "_dmarc.i.j.mail.example.com", "_dmarc.j.mail.example.com",
				"_dmarc.mail.example.com", "_dmarc.example.com", "_dmarc.com",
			},
			wantOrg: "a.b.c.d.e.f.g.h.i.j.mail.example.com", wantPSL: "example.com"},
		{name: "exactly eight labels: eight queries", domain: "a.b.c.d.e.f.example.com",
			wantStatus: StatusNone,
			wantAsked: []string{
				"_dmarc.a.b.c.d.e.f.example.com", "_dmarc.b.c.d.e.f.example.com", "_dmarc.c.d.e.f.example.com",
				"_dmarc.d.e.f.example.com", "_dmarc.e.f.example.com", "_dmarc.f.example.com",
				"_dmarc.example.com", "_dmarc.com",
			},
			wantOrg: "a.b.c.d.e.f.example.com", wantPSL: "example.com"},
		{name: "RFC 9989 §5.1.8: a psd=n record among the skipped labels is never found", domain: "mail.a.b.c.d.e.f.g.example.com",
			txt: map[string][]string{
				"_dmarc.b.c.d.e.f.g.example.com": {"v=DMARC1; p=none; psd=n"},
				"_dmarc.example.com":             {"v=DMARC1; p=reject"},
			},
			wantStatus: StatusOK, wantPolicy: PolicyReject, wantSource: "_dmarc.example.com", wantInherited: true,
			wantAsked: []string{
				"_dmarc.mail.a.b.c.d.e.f.g.example.com", "_dmarc.c.d.e.f.g.example.com", "_dmarc.d.e.f.g.example.com",
				"_dmarc.e.f.g.example.com", "_dmarc.f.g.example.com", "_dmarc.g.example.com",
				"_dmarc.example.com", "_dmarc.com",
			},
			wantOrg: "example.com", wantPSL: "example.com"},

		// Lookup failures.
		{name: "lookup error on the own name is temperror without inherited fallback", domain: "mail.campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=reject"}},
			errs:       map[string]error{"_dmarc.mail.campaign.example": errServfail},
			wantStatus: StatusTemperror, wantErr: "_dmarc.mail.campaign.example: SERVFAIL",
			wantAsked: []string{"_dmarc.mail.campaign.example"}, wantPSL: "campaign.example"},
		{name: "lookup error in the walk is temperror, never none", domain: "mail.campaign.example",
			errs:       map[string]error{"_dmarc.campaign.example": errServfail},
			wantStatus: StatusTemperror, wantErr: "_dmarc.campaign.example: SERVFAIL",
			wantAsked: []string{"_dmarc.mail.campaign.example", "_dmarc.campaign.example"}, wantPSL: "campaign.example"},
		{name: "lookup error above a found parent record: the organizational domain is unknown, so temperror", domain: "a.b.example.test",
			txt:        map[string][]string{"_dmarc.b.example.test": {"v=DMARC1; p=reject"}},
			errs:       map[string]error{"_dmarc.example.test": errServfail},
			wantStatus: StatusTemperror, wantErr: "_dmarc.example.test: SERVFAIL", wantPSL: "example.test"},
		{name: "lookup error after the own record: the policy stands, the organizational domain is unknown", domain: "mail.campaign.example",
			txt:        map[string][]string{"_dmarc.mail.campaign.example": {"v=DMARC1; p=reject"}},
			errs:       map[string]error{"_dmarc.campaign.example": errServfail},
			wantStatus: StatusOK, wantPolicy: PolicyReject, wantSource: "_dmarc.mail.campaign.example",
			wantPSL: "campaign.example"},

		{name: "name is normalised", domain: " Campaign.Example. ",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=reject"}},
			wantStatus: StatusOK, wantPolicy: PolicyReject, wantSource: "_dmarc.campaign.example",
			wantOrg: "campaign.example", wantPSL: "campaign.example"},
		{name: "invalid domain", domain: "bad..example", wantStatus: StatusInvalid, wantErr: "invalid domain",
			wantAsked: []string{}},
		{name: "empty domain", domain: "", wantStatus: StatusInvalid, wantErr: "invalid domain", wantAsked: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeResolver{txt: tt.txt, errs: tt.errs}
			var opts []Option
			calls := 0
			if tt.exists != 0 {
				opts = append(opts, existence(tt.exists, &calls))
			}
			got := Discover(context.Background(), f, tt.domain, opts...)
			if got.Status != tt.wantStatus {
				t.Errorf("Status = %v; want %v (Err %q)", got.Status, tt.wantStatus, got.Err)
			}
			wantApplied := tt.wantApplied
			if wantApplied == "" {
				wantApplied = tt.wantPolicy
			}
			if got.Policy != tt.wantPolicy || got.Applied != wantApplied || got.Testing != tt.wantTesting {
				t.Errorf("Policy, Applied, Testing = %q, %q, %v; want %q, %q, %v",
					got.Policy, got.Applied, got.Testing, tt.wantPolicy, wantApplied, tt.wantTesting)
			}
			if got.Source != tt.wantSource || got.Inherited != tt.wantInherited || got.PSD != tt.wantPSD {
				t.Errorf("Source, Inherited, PSD = %q, %v, %v; want %q, %v, %v",
					got.Source, got.Inherited, got.PSD, tt.wantSource, tt.wantInherited, tt.wantPSD)
			}
			if got.OrgDomain != tt.wantOrg || got.PSLOrgDomain != tt.wantPSL {
				t.Errorf("OrgDomain, PSLOrgDomain = %q, %q; want %q, %q", got.OrgDomain, got.PSLOrgDomain, tt.wantOrg, tt.wantPSL)
			}
			if !slices.Equal(got.Multiple, tt.wantMultiple) {
				t.Errorf("Multiple = %q; want %q", got.Multiple, tt.wantMultiple)
			}
			if tt.wantAsked != nil && !slices.Equal(f.asked, tt.wantAsked) {
				t.Errorf("asked %q; want %q", f.asked, tt.wantAsked)
			}
			if got.Queries != len(f.asked) || got.Queries > MaxQueries {
				t.Errorf("Queries = %d; want %d (at most %d)", got.Queries, len(f.asked), MaxQueries)
			}
			if calls != tt.wantAskExists {
				t.Errorf("existence asked %d times; want %d", calls, tt.wantAskExists)
			}
			if !strings.Contains(got.Err, tt.wantErr) || (tt.wantErr == "" && got.Err != "") {
				t.Errorf("Err = %q; want it to contain %q", got.Err, tt.wantErr)
			}
			if tt.wantWarn != "" && !containsSub(got.Warnings, tt.wantWarn) {
				t.Errorf("Warnings = %q; want one containing %q", got.Warnings, tt.wantWarn)
			}
			if (got.Status == StatusOK) != (got.Parsed != nil) {
				t.Errorf("Parsed = %v with Status %v; want it set exactly when ok", got.Parsed, got.Status)
			}
		})
	}
}

func TestDiscoverCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := &fakeResolver{}
	got := Discover(ctx, f, "campaign.example")
	if got.Status != StatusTemperror || len(f.asked) != 0 {
		t.Errorf("Status = %v after %d queries; want %v after 0", got.Status, len(f.asked), StatusTemperror)
	}
}

func TestPolicyTested(t *testing.T) {
	for p, want := range map[Policy]Policy{PolicyReject: PolicyQuarantine, PolicyQuarantine: PolicyNone, PolicyNone: PolicyNone} {
		if got := p.Tested(); got != want {
			t.Errorf("%s.Tested() = %s; want %s", p, got, want)
		}
	}
}
