package dmarc

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func mustParse(t *testing.T, record string) *Record {
	t.Helper()
	rec, err := Parse(record)
	if err != nil {
		t.Fatalf("Parse(%q): %v", record, err)
	}
	return rec
}

func TestExternalReportDestinations(t *testing.T) {
	tests := []struct {
		name   string
		domain string
		record string
		want   []string
	}{
		{name: "same organization needs no check", domain: "campaign.example",
			record: "v=DMARC1; p=reject; rua=mailto:d@campaign.example,mailto:x@reports.campaign.example"},
		{name: "other organization", domain: "campaign.example",
			record: "v=DMARC1; p=reject; rua=mailto:campaign@rua.vendor.example",
			want:   []string{"campaign.example._report._dmarc.rua.vendor.example"}},
		{name: "rua and ruf to the same host are checked once", domain: "Campaign.Example.",
			record: "v=DMARC1; p=reject; rua=mailto:a@vendor.example; ruf=mailto:f@VENDOR.example",
			want:   []string{"campaign.example._report._dmarc.vendor.example"}},
		{name: "https destinations are not checked", domain: "campaign.example",
			record: "v=DMARC1; p=reject; rua=https://vendor.example/dmarc"},
		{name: "no report URIs", domain: "campaign.example", record: "v=DMARC1; p=reject"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ExternalReportDestinations(tt.domain, mustParse(t, tt.record))
			if !slices.Equal(got, tt.want) {
				t.Errorf("ExternalReportDestinations = %q; want %q", got, tt.want)
			}
		})
	}
	if got := ExternalReportDestinations("campaign.example", nil); got != nil {
		t.Errorf("ExternalReportDestinations(nil record) = %q; want nil", got)
	}
}

func TestCheckExternal(t *testing.T) {
	rec := mustParse(t, "v=DMARC1; p=reject; "+
		"rua=mailto:d@campaign.example,mailto:a@ok.example,mailto:b@missing.example,mailto:c@broken.example; "+
		"ruf=mailto:f@ok.example")
	f := &fakeResolver{
		txt: map[string][]string{
			"campaign.example._report._dmarc.ok.example": {"v=DMARC1"},
		},
		errs: map[string]error{"campaign.example._report._dmarc.broken.example": errServfail},
	}
	got := CheckExternal(context.Background(), f, "campaign.example", rec)
	want := []ExternalCheck{
		{URI: "mailto:a@ok.example", Name: "campaign.example._report._dmarc.ok.example", Authorized: true},
		{URI: "mailto:b@missing.example", Name: "campaign.example._report._dmarc.missing.example"},
		{URI: "mailto:c@broken.example", Name: "campaign.example._report._dmarc.broken.example",
			Err: "campaign.example._report._dmarc.broken.example: SERVFAIL"},
		{URI: "mailto:f@ok.example", Name: "campaign.example._report._dmarc.ok.example", Authorized: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CheckExternal\n got %+v;\nwant %+v", got, want)
	}
	if len(f.asked) != 3 {
		t.Errorf("asked %q; want each name once", f.asked)
	}
}

func TestCheckExternalLooksUpAtMostMaxExternalChecksNames(t *testing.T) {
	var rua []string
	for i := range MaxExternalChecks + 5 {
		rua = append(rua, fmt.Sprintf("mailto:r@v%d.example", i), fmt.Sprintf("mailto:again@v%d.example", i))
	}
	rec := mustParse(t, "v=DMARC1; p=reject; rua="+strings.Join(rua, ","))
	f := &fakeResolver{}
	got := CheckExternal(context.Background(), f, "campaign.example", rec)
	if len(f.asked) != MaxExternalChecks {
		t.Errorf("asked %d names; want %d", len(f.asked), MaxExternalChecks)
	}
	if len(got) != len(rua) {
		t.Fatalf("got %d checks; want one per URI, %d", len(got), len(rua))
	}
	for i, x := range got {
		if want := i >= 2*MaxExternalChecks; x.Skipped != want || x.Skipped && (x.Authorized || x.Err != "") {
			t.Errorf("check %d (%s): %+v; want Skipped %v and nothing else when skipped", i, x.URI, x, want)
		}
	}
}
