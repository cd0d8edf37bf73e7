package smtptls

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestParseMTASTS(t *testing.T) {
	tests := []struct {
		name    string
		record  string
		want    *MTASTS
		wantErr error
	}{
		{name: "minimal", record: "v=STSv1; id=20240101T000000", want: &MTASTS{ID: "20240101T000000"}},
		{name: "trailing separator", record: "v=STSv1; id=abc;", want: &MTASTS{ID: "abc"}},
		{name: "whitespace around separators", record: "v=STSv1 ;\tid=abc ; ", want: &MTASTS{ID: "abc"}},
		{name: "no whitespace", record: "v=STSv1;id=abc", want: &MTASTS{ID: "abc"}},
		{name: "extension fields", record: "v=STSv1; id=abc; x-note=hello; a.b_c=1", want: &MTASTS{ID: "abc", Extensions: []string{"x-note", "a.b_c"}}},
		{name: "id of 32 characters", record: "v=STSv1; id=" + strings.Repeat("a", 32), want: &MTASTS{ID: strings.Repeat("a", 32)}},
		{name: "id of 33 characters", record: "v=STSv1; id=" + strings.Repeat("a", 33), wantErr: ErrSyntax},
		{name: "id with a hyphen", record: "v=STSv1; id=2024-01-01", wantErr: ErrSyntax},
		{name: "empty id", record: "v=STSv1; id=", wantErr: ErrSyntax},
		{name: "no id", record: "v=STSv1;", wantErr: ErrMissingField},
		{name: "version alone", record: "v=STSv1", wantErr: ErrMissingField},
		{name: "field names are case-sensitive: ID is an extension", record: "v=STSv1; ID=abc", wantErr: ErrMissingField},
		{name: "version is case-sensitive", record: "v=stsv1; id=abc", wantErr: ErrVersion},
		{name: "space around the version's equals sign", record: "v = STSv1; id=abc", wantErr: ErrVersion},
		{name: "leading space", record: " v=STSv1; id=abc", wantErr: ErrVersion},
		{name: "id not after a separator", record: "v=STSv1 id=abc", wantErr: ErrVersion},
		{name: "space around a field's equals sign", record: "v=STSv1; id = abc", wantErr: ErrSyntax},
		{name: "duplicate id", record: "v=STSv1; id=abc; id=def", wantErr: ErrDuplicateField},
		{name: "duplicate extension", record: "v=STSv1; id=abc; x=1; x=2", wantErr: ErrDuplicateField},
		{name: "empty field between separators", record: "v=STSv1;; id=abc", wantErr: ErrSyntax},
		{name: "extension value with a space", record: "v=STSv1; id=abc; x=a b", wantErr: ErrSyntax},
		{name: "field without equals sign", record: "v=STSv1; id=abc; junk", wantErr: ErrSyntax},
		{name: "control byte", record: "v=STSv1; id=abc\x00", wantErr: ErrControlChar},
		{name: "too long", record: "v=STSv1; id=abc; x=" + strings.Repeat("a", MaxRecordLen), wantErr: ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMTASTS(tt.record)
			if !errors.Is(err, tt.wantErr) || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseMTASTS(%q) = %+v, %v; want %+v, %v", tt.record, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseTLSRPT(t *testing.T) {
	tests := []struct {
		name    string
		record  string
		want    *TLSRPT
		wantErr error
	}{
		{name: "mailto", record: "v=TLSRPTv1; rua=mailto:tlsrpt@example.com",
			want: &TLSRPT{RUA: []string{"mailto:tlsrpt@example.com"}}},
		{name: "https", record: "v=TLSRPTv1;rua=https://reports.example.net/v1/tlsrpt;",
			want: &TLSRPT{RUA: []string{"https://reports.example.net/v1/tlsrpt"}}},
		{name: "list with spaces around commas", record: "v=TLSRPTv1 ; rua=mailto:a@example.com , https://r.example.net/x",
			want: &TLSRPT{RUA: []string{"mailto:a@example.com", "https://r.example.net/x"}}},
		{name: "extension", record: "v=TLSRPTv1; rua=mailto:a@example.com; ext=1",
			want: &TLSRPT{RUA: []string{"mailto:a@example.com"}, Extensions: []string{"ext"}}},
		{name: "rua is required", record: "v=TLSRPTv1;", wantErr: ErrMissingField},
		{name: "RUA is an extension, not rua", record: "v=TLSRPTv1; RUA=mailto:a@example.com", wantErr: ErrMissingField},
		{name: "http is not allowed", record: "v=TLSRPTv1; rua=http://r.example.net/", wantErr: ErrSyntax},
		{name: "mailto without address", record: "v=TLSRPTv1; rua=mailto:", wantErr: ErrSyntax},
		{name: "bare address", record: "v=TLSRPTv1; rua=a@example.com", wantErr: ErrSyntax},
		{name: "https without host", record: "v=TLSRPTv1; rua=https:///x", wantErr: ErrSyntax},
		{name: "empty list entry", record: "v=TLSRPTv1; rua=mailto:a@example.com,", wantErr: ErrSyntax},
		{name: "space after rua=", record: "v=TLSRPTv1; rua= mailto:a@example.com", wantErr: ErrSyntax},
		{name: "duplicate rua", record: "v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com", wantErr: ErrDuplicateField},
		{name: "wrong version", record: "v=TLSRPTv2; rua=mailto:a@example.com", wantErr: ErrVersion},
		{name: "version is case-sensitive", record: "v=tlsrptv1; rua=mailto:a@example.com", wantErr: ErrVersion},
		{name: "control byte", record: "v=TLSRPTv1; rua=mailto:a@example.com\r", wantErr: ErrControlChar},
		{name: "too long", record: "v=TLSRPTv1; rua=mailto:a@example.com; x=" + strings.Repeat("a", MaxRecordLen), wantErr: ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTLSRPT(tt.record)
			if !errors.Is(err, tt.wantErr) || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseTLSRPT(%q) = %+v, %v; want %+v, %v", tt.record, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestSelect(t *testing.T) {
	tests := []struct {
		name    string
		sel     func([]string) (string, error)
		txts    []string
		want    string
		wantErr error
	}{
		{name: "MTA-STS among other records", sel: SelectMTASTS, txts: []string{"v=spf1 -all", "v=STSv1; id=1"}, want: "v=STSv1; id=1"},
		{name: "MTA-STS version then space then separator", sel: SelectMTASTS, txts: []string{"v=STSv1 ; id=1"}, want: "v=STSv1 ; id=1"},
		{name: "MTA-STS none", sel: SelectMTASTS, txts: []string{"v=spf1 -all"}, wantErr: ErrNoRecord},
		{name: "MTA-STS STSv10 is discarded", sel: SelectMTASTS, txts: []string{"v=STSv10; id=1"}, wantErr: ErrNoRecord},
		{name: "MTA-STS lower case is discarded", sel: SelectMTASTS, txts: []string{"v=stsv1; id=1"}, wantErr: ErrNoRecord},
		{name: "MTA-STS two records", sel: SelectMTASTS, txts: []string{"v=STSv1; id=1", "v=STSv1; id=2"}, wantErr: ErrMultipleRecords},
		{name: "TLS-RPT one", sel: SelectTLSRPT, txts: []string{"v=TLSRPTv1; rua=mailto:a@example.com"}, want: "v=TLSRPTv1; rua=mailto:a@example.com"},
		{name: "TLS-RPT nothing", sel: SelectTLSRPT, txts: nil, wantErr: ErrNoRecord},
		{name: "TLS-RPT two records", sel: SelectTLSRPT, txts: []string{"v=TLSRPTv1; rua=mailto:a@example.com", "v=TLSRPTv1;rua=mailto:b@example.com"}, wantErr: ErrMultipleRecords},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.sel(tt.txts)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("select(%q) = %q, %v; want %q, %v", tt.txts, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// fakeResolver answers from maps: a name in errs fails with that error, a name
// in txt answers its records, any other name is NXDOMAIN.
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

func TestLookup(t *testing.T) {
	tests := []struct {
		name       string
		domain     string
		txt        map[string][]string
		errs       map[string]error
		wantMTASTS Policy
		wantTLSRPT Policy
	}{
		{name: "both published", domain: "Campaign.Example.",
			txt: map[string][]string{
				"_mta-sts.campaign.example":   {"v=STSv1; id=20240101"},
				"_smtp._tls.campaign.example": {"v=TLSRPTv1; rua=mailto:tls@campaign.example"},
			},
			wantMTASTS: Policy{Status: StatusOK, Record: "v=STSv1; id=20240101"},
			wantTLSRPT: Policy{Status: StatusOK, Record: "v=TLSRPTv1; rua=mailto:tls@campaign.example"}},
		{name: "neither published", domain: "campaign.example",
			wantMTASTS: Policy{Status: StatusNone}, wantTLSRPT: Policy{Status: StatusNone}},
		{name: "two MTA-STS records and a broken TLS-RPT record", domain: "campaign.example",
			txt: map[string][]string{
				"_mta-sts.campaign.example":   {"v=STSv1; id=1", "v=STSv1; id=2"},
				"_smtp._tls.campaign.example": {"v=TLSRPTv1; rua=http://x.example/"},
			},
			wantMTASTS: Policy{Status: StatusInvalid,
				Err: "_mta-sts.campaign.example: smtptls: multiple records: no policy (2 records starting v=STSv1)"},
			wantTLSRPT: Policy{Status: StatusInvalid, Record: "v=TLSRPTv1; rua=http://x.example/",
				Err: "_smtp._tls.campaign.example: smtptls: syntax error: rua URI http://x.example/: scheme must be mailto or https"}},
		{name: "lookup errors are temperror", domain: "campaign.example",
			errs: map[string]error{
				"_mta-sts.campaign.example":   errors.New("SERVFAIL"),
				"_smtp._tls.campaign.example": errors.New("timeout"),
			},
			wantMTASTS: Policy{Status: StatusTemperror, Err: "_mta-sts.campaign.example: SERVFAIL"},
			wantTLSRPT: Policy{Status: StatusTemperror, Err: "_smtp._tls.campaign.example: timeout"}},
		{name: "invalid domain", domain: "bad domain",
			wantMTASTS: Policy{Status: StatusInvalid, Err: `smtptls: invalid domain: "bad domain"`},
			wantTLSRPT: Policy{Status: StatusInvalid, Err: `smtptls: invalid domain: "bad domain"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeResolver{txt: tt.txt, errs: tt.errs}
			m, r := Lookup(context.Background(), f, tt.domain)
			if m != tt.wantMTASTS {
				t.Errorf("MTA-STS = %+v; want %+v", m, tt.wantMTASTS)
			}
			if r != tt.wantTLSRPT {
				t.Errorf("TLS-RPT = %+v; want %+v", r, tt.wantTLSRPT)
			}
		})
	}
}

func TestLookupCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := &fakeResolver{}
	m, r := Lookup(ctx, f, "campaign.example")
	if m.Status != StatusTemperror || r.Status != StatusTemperror || !slices.Equal(f.asked, nil) {
		t.Errorf("Lookup after cancel = %v, %v after %q; want temperror, temperror after no queries", m.Status, r.Status, f.asked)
	}
}
