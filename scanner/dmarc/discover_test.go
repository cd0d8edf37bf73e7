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

func TestDiscover(t *testing.T) {
	tests := []struct {
		name   string
		domain string
		opts   []Option
		txt    map[string][]string
		errs   map[string]error

		wantStatus    Status
		wantPolicy    Policy
		wantSource    string
		wantInherited bool
		wantAsked     []string // exact query sequence, when set
		wantOrg       string   // PSL organizational domain
		wantWalkOrg   string
		wantDisagree  bool
		wantErr       string // substring of Err
	}{
		{name: "reject with rua", domain: "campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=reject; rua=mailto:d@campaign.example"}},
			wantStatus: StatusOK, wantPolicy: PolicyReject, wantSource: "_dmarc.campaign.example",
			wantAsked: []string{"_dmarc.campaign.example"}, wantOrg: "campaign.example", wantWalkOrg: "campaign.example"},
		{name: "quarantine with pct=50", domain: "campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=quarantine; pct=50"}},
			wantStatus: StatusOK, wantPolicy: PolicyQuarantine, wantSource: "_dmarc.campaign.example",
			wantOrg: "campaign.example", wantWalkOrg: "campaign.example"},
		{name: "none", domain: "campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=none"}},
			wantStatus: StatusOK, wantPolicy: PolicyNone, wantSource: "_dmarc.campaign.example",
			wantOrg: "campaign.example", wantWalkOrg: "campaign.example"},
		{name: "name is normalised", domain: " Campaign.Example. ",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=reject"}},
			wantStatus: StatusOK, wantPolicy: PolicyReject, wantSource: "_dmarc.campaign.example",
			wantOrg: "campaign.example", wantWalkOrg: "campaign.example"},
		{name: "missing: the walk goes up to the TLD", domain: "campaign.example",
			txt:        map[string][]string{"campaign.example": {"v=spf1 -all"}},
			wantStatus: StatusNone, wantAsked: []string{"_dmarc.campaign.example", "_dmarc.example"},
			wantOrg: "campaign.example", wantWalkOrg: "campaign.example"},
		{name: "two records are invalid", domain: "campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=reject", "v=DMARC1; p=none"}},
			wantStatus: StatusInvalid, wantSource: "_dmarc.campaign.example", wantErr: "no policy is applied",
			wantOrg: "campaign.example", wantWalkOrg: "campaign.example"},
		{name: "no p with a rua is none", domain: "campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; rua=mailto:d@campaign.example"}},
			wantStatus: StatusOK, wantPolicy: PolicyNone, wantSource: "_dmarc.campaign.example",
			wantOrg: "campaign.example", wantWalkOrg: "campaign.example"},
		{name: "p=bogus without rua is invalid", domain: "campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=bogus"}},
			wantStatus: StatusInvalid, wantSource: "_dmarc.campaign.example", wantErr: "dmarc: invalid p=bogus",
			wantAsked: []string{"_dmarc.campaign.example"}, wantOrg: "campaign.example", wantWalkOrg: "campaign.example"},
		{name: "p=bogus with a rua is none", domain: "campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=bogus; rua=mailto:d@campaign.example"}},
			wantStatus: StatusOK, wantPolicy: PolicyNone, wantSource: "_dmarc.campaign.example",
			wantOrg: "campaign.example", wantWalkOrg: "campaign.example"},
		{name: "subdomain inherits sp from its organizational domain", domain: "mail.campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=reject; sp=quarantine"}},
			wantStatus: StatusOK, wantPolicy: PolicyQuarantine, wantSource: "_dmarc.campaign.example", wantInherited: true,
			wantAsked: []string{"_dmarc.mail.campaign.example", "_dmarc.campaign.example"},
			wantOrg:   "campaign.example", wantWalkOrg: "campaign.example"},
		{name: "subdomain without sp inherits p", domain: "mail.campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=reject"}},
			wantStatus: StatusOK, wantPolicy: PolicyReject, wantSource: "_dmarc.campaign.example", wantInherited: true,
			wantOrg: "campaign.example", wantWalkOrg: "campaign.example"},
		{name: "nonexistent subdomain inherits np", domain: "gone.campaign.example", opts: []Option{DomainExists(false)},
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=none; sp=quarantine; np=reject"}},
			wantStatus: StatusOK, wantPolicy: PolicyReject, wantSource: "_dmarc.campaign.example", wantInherited: true,
			wantOrg: "campaign.example", wantWalkOrg: "campaign.example"},
		{name: "own record wins over the parent's", domain: "mail.campaign.example",
			txt: map[string][]string{
				"_dmarc.mail.campaign.example": {"v=DMARC1; p=none"},
				"_dmarc.campaign.example":      {"v=DMARC1; p=reject"},
			},
			wantStatus: StatusOK, wantPolicy: PolicyNone, wantSource: "_dmarc.mail.campaign.example",
			wantAsked: []string{"_dmarc.mail.campaign.example"},
			wantOrg:   "campaign.example", wantWalkOrg: "mail.campaign.example", wantDisagree: true},
		{name: "lookup error is temperror without inherited fallback", domain: "mail.campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=reject"}},
			errs:       map[string]error{"_dmarc.mail.campaign.example": errServfail},
			wantStatus: StatusTemperror, wantErr: "_dmarc.mail.campaign.example: SERVFAIL",
			wantAsked: []string{"_dmarc.mail.campaign.example"}, wantOrg: "campaign.example"},
		{name: "lookup error in the walk is temperror, never none", domain: "mail.campaign.example",
			errs:       map[string]error{"_dmarc.campaign.example": errServfail},
			wantStatus: StatusTemperror, wantErr: "_dmarc.campaign.example: SERVFAIL",
			wantAsked: []string{"_dmarc.mail.campaign.example", "_dmarc.campaign.example"}, wantOrg: "campaign.example"},
		{name: "more than eight labels: at most eight queries", domain: "a.b.c.d.e.f.g.h.i.j.mail.example.com",
			wantStatus: StatusNone,
			wantAsked: []string{
				"_dmarc.a.b.c.d.e.f.g.h.i.j.mail.example.com", "_dmarc.g.h.i.j.mail.example.com",
				"_dmarc.h.i.j.mail.example.com", "_dmarc.i.j.mail.example.com", "_dmarc.j.mail.example.com",
				"_dmarc.mail.example.com", "_dmarc.example.com", "_dmarc.com",
			},
			wantOrg: "example.com", wantWalkOrg: "a.b.c.d.e.f.g.h.i.j.mail.example.com", wantDisagree: true},
		{name: "exactly eight labels: eight queries", domain: "a.b.c.d.e.f.example.com",
			wantStatus: StatusNone,
			wantAsked: []string{
				"_dmarc.a.b.c.d.e.f.example.com", "_dmarc.b.c.d.e.f.example.com", "_dmarc.c.d.e.f.example.com",
				"_dmarc.d.e.f.example.com", "_dmarc.e.f.example.com", "_dmarc.f.example.com",
				"_dmarc.example.com", "_dmarc.com",
			},
			wantOrg: "example.com", wantWalkOrg: "a.b.c.d.e.f.example.com", wantDisagree: true},
		{name: "psd=y stops the walk and the organizational domain is one label below", domain: "city.state.gov.test",
			txt: map[string][]string{
				"_dmarc.gov.test": {"v=DMARC1; p=reject; sp=quarantine; psd=y"},
				"_dmarc.test":     {"v=DMARC1; p=none; psd=y"},
			},
			errs:       map[string]error{"_dmarc.test": errors.New("must not be asked")},
			wantStatus: StatusOK, wantPolicy: PolicyQuarantine, wantSource: "_dmarc.gov.test", wantInherited: true,
			wantAsked: []string{"_dmarc.city.state.gov.test", "_dmarc.state.gov.test", "_dmarc.gov.test"},
			wantOrg:   "gov.test", wantWalkOrg: "state.gov.test", wantDisagree: true},
		{name: "several records at a parent are passed over", domain: "mail.campaign.example",
			txt: map[string][]string{
				"_dmarc.campaign.example": {"v=DMARC1; p=reject", "v=DMARC1; p=none"},
				"_dmarc.example":          {"v=DMARC1; p=quarantine; psd=y"},
			},
			wantStatus: StatusOK, wantPolicy: PolicyQuarantine, wantSource: "_dmarc.example", wantInherited: true,
			wantOrg: "campaign.example", wantWalkOrg: "campaign.example"},
		{name: "unusable parent record is invalid", domain: "mail.campaign.example",
			txt:        map[string][]string{"_dmarc.campaign.example": {"v=DMARC1; p=bogus"}},
			wantStatus: StatusInvalid, wantSource: "_dmarc.campaign.example", wantInherited: true, wantErr: "invalid p=bogus",
			wantOrg: "campaign.example", wantWalkOrg: "campaign.example"},
		{name: "PSL and tree walk disagree under a private suffix", domain: "team.github.io",
			txt:        map[string][]string{"_dmarc.github.io": {"v=DMARC1; p=reject"}},
			wantStatus: StatusOK, wantPolicy: PolicyReject, wantSource: "_dmarc.github.io", wantInherited: true,
			wantOrg: "team.github.io", wantWalkOrg: "github.io", wantDisagree: true},
		{name: "invalid domain", domain: "bad..example", wantStatus: StatusInvalid, wantErr: "invalid domain",
			wantAsked: []string{}},
		{name: "empty domain", domain: "", wantStatus: StatusInvalid, wantErr: "invalid domain", wantAsked: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeResolver{txt: tt.txt, errs: tt.errs}
			got := Discover(context.Background(), f, tt.domain, tt.opts...)
			if got.Status != tt.wantStatus {
				t.Errorf("Status = %v; want %v (Err %q)", got.Status, tt.wantStatus, got.Err)
			}
			if got.Policy != tt.wantPolicy {
				t.Errorf("Policy = %q; want %q", got.Policy, tt.wantPolicy)
			}
			if got.Source != tt.wantSource {
				t.Errorf("Source = %q; want %q", got.Source, tt.wantSource)
			}
			if got.Inherited != tt.wantInherited {
				t.Errorf("Inherited = %v; want %v", got.Inherited, tt.wantInherited)
			}
			if tt.wantAsked != nil && !slices.Equal(f.asked, tt.wantAsked) {
				t.Errorf("asked %q; want %q", f.asked, tt.wantAsked)
			}
			if got.Queries != len(f.asked) || got.Queries > MaxQueries {
				t.Errorf("Queries = %d; want %d (at most %d)", got.Queries, len(f.asked), MaxQueries)
			}
			if got.OrgDomain != tt.wantOrg || got.TreeWalkOrg != tt.wantWalkOrg || got.Disagree != tt.wantDisagree {
				t.Errorf("OrgDomain, TreeWalkOrg, Disagree = %q, %q, %v; want %q, %q, %v",
					got.OrgDomain, got.TreeWalkOrg, got.Disagree, tt.wantOrg, tt.wantWalkOrg, tt.wantDisagree)
			}
			if !strings.Contains(got.Err, tt.wantErr) || (tt.wantErr == "" && got.Err != "") {
				t.Errorf("Err = %q; want it to contain %q", got.Err, tt.wantErr)
			}
			if (got.Status == StatusOK) != (got.Parsed != nil) {
				t.Errorf("Parsed = %v with Status %v; want it set exactly when ok", got.Parsed, got.Status)
			}
		})
	}
}

func TestDiscoverMultipleRecordsFallback(t *testing.T) {
	f := &fakeResolver{txt: map[string][]string{
		"_dmarc.mail.campaign.example": {"v=DMARC1; p=reject", "v=DMARC1; p=none"},
		"_dmarc.campaign.example":      {"v=DMARC1; p=none; sp=quarantine"},
	}}
	got := Discover(context.Background(), f, "mail.campaign.example")
	if got.Status != StatusInvalid || got.Policy != "" {
		t.Fatalf("Status, Policy = %v, %q; want %v, \"\"", got.Status, got.Policy, StatusInvalid)
	}
	fb := got.Fallback
	if fb == nil {
		t.Fatal("Fallback = nil; want the RFC 9989 walk's result")
	}
	if fb.Status != StatusOK || fb.Policy != PolicyQuarantine || fb.Source != "_dmarc.campaign.example" || !fb.Inherited {
		t.Errorf("Fallback = %v %q %q inherited=%v; want ok quarantine _dmarc.campaign.example inherited=true",
			fb.Status, fb.Policy, fb.Source, fb.Inherited)
	}
	if got.Queries != 2 || fb.Queries != 1 {
		t.Errorf("Queries = %d, Fallback.Queries = %d; want 2, 1", got.Queries, fb.Queries)
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
