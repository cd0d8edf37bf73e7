package spf_test

import (
	"errors"
	"testing"

	"github.com/mxscope/mxscope/scanner/spf"
)

func TestSelect(t *testing.T) {
	tests := []struct {
		name string
		txts []string
		want string
		err  error
	}{
		{"no records", nil, "", spf.ErrNoRecord},
		{"only other TXT records", []string{"google-site-verification=abc", "MS=ms123"}, "", spf.ErrNoRecord},
		{"one record among others", []string{"MS=ms123", "v=spf1 -all", "x"}, "v=spf1 -all", nil},
		{"bare version is a record", []string{"v=spf1"}, "v=spf1", nil},
		{"version is case-insensitive", []string{"V=SpF1 ~all"}, "V=SpF1 ~all", nil},
		{"v=spf10 is not SPF", []string{"v=spf10 -all"}, "", spf.ErrNoRecord},
		{"version glued to a term is not SPF", []string{"v=spf1mx"}, "", spf.ErrNoRecord},
		{"leading space is not SPF", []string{" v=spf1 -all"}, "", spf.ErrNoRecord},
		{"tab after version is not SPF", []string{"v=spf1\t-all"}, "", spf.ErrNoRecord},
		{"spf2.0 is not SPF", []string{"spf2.0/pra -all"}, "", spf.ErrNoRecord},
		{"two records", []string{"v=spf1 -all", "v=spf1 +all"}, "", spf.ErrMultipleRecords},
		{"two identical records", []string{"v=spf1 -all", "v=spf1 -all"}, "", spf.ErrMultipleRecords},
		{"non-ASCII in another record is ignored", []string{"\x96", "v=spf1 a -all"}, "v=spf1 a -all", nil},
		{"empty record is ignored", []string{"", "v=spf1 -all"}, "v=spf1 -all", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := spf.Select(tt.txts)
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Errorf("Select(%q) = %q, %v; want %q, %v", tt.txts, got, err, tt.want, tt.err)
			}
		})
	}
}
