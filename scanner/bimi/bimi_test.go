package bimi

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name   string
		record string
		want   *Record
		err    error
	}{
		{"logo and evidence", "v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem", &Record{Logo: "https://example.com/logo.svg", Authority: "https://example.com/vmc.pem"}, nil},
		{"logo only", "v=BIMI1; l=https://example.com/logo.svg", &Record{Logo: "https://example.com/logo.svg"}, nil},
		{"empty a=, trailing separator", "v=BIMI1; l=https://example.com/logo.svg; a=;", &Record{Logo: "https://example.com/logo.svg"}, nil},
		{"spaces around everything", "v = BIMI1 ;  l = https://example.com/l.svg ; ", &Record{Logo: "https://example.com/l.svg"}, nil},
		{"declination", "v=BIMI1; l=; a=;", &Record{}, nil},
		{"declination without a=", "v=BIMI1; l=", &Record{}, nil},
		{"evidence with the logo inside", "v=BIMI1; l=; a=https://example.com/vmc.pem", &Record{Authority: "https://example.com/vmc.pem"}, nil},
		{"two logos (older drafts)", "v=BIMI1; l=https://a.example/1.svg,https://b.example/2.svg", &Record{Logo: "https://a.example/1.svg,https://b.example/2.svg"}, nil},
		{"extension tags are ignored", "v=BIMI1; l=https://example.com/l.svg; avp=brand", &Record{Logo: "https://example.com/l.svg", Extensions: []string{"avp"}}, nil},

		{"no l=", "v=BIMI1; a=https://example.com/vmc.pem", nil, ErrNoLocation},
		{"http logo", "v=BIMI1; l=http://example.com/logo.svg", nil, ErrURI},
		{"relative logo", "v=BIMI1; l=/logo.svg", nil, ErrURI},
		{"a=self (an old draft)", "v=BIMI1; l=https://example.com/l.svg; a=self", nil, ErrURI},
		{"empty second logo", "v=BIMI1; l=https://example.com/l.svg,", nil, ErrURI},
		{"version not first", "l=https://example.com/l.svg; v=BIMI1", nil, ErrVersion},
		{"version twice", "v=BIMI1; v=BIMI1; l=", nil, ErrDuplicate},
		{"another version", "v=BIMI2; l=", nil, ErrVersion},
		{"duplicate l", "v=BIMI1; l=; l=https://example.com/l.svg", nil, ErrDuplicate},
		{"no equals sign", "v=BIMI1; l=; junk", nil, ErrSyntax},
		{"control character", "v=BIMI1; l=https://example.com/\x1b[31m.svg", nil, ErrControlChar},
		{"too long", "v=BIMI1; l=https://example.com/" + strings.Repeat("a", MaxRecordLen), nil, ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.record)
			if !errors.Is(err, tt.err) || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q) = %+v, %v; want %+v, %v", tt.record, got, err, tt.want, tt.err)
			}
		})
	}
}

// fakeResolver answers TXT lookups from a map; a name in fail fails.
type fakeResolver struct {
	txt  map[string][]string
	fail map[string]bool
}

func (f fakeResolver) LookupTXT(_ context.Context, name string) ([]string, error) {
	if f.fail[name] {
		return nil, errors.New("resolve: " + name + " TXT: servfail")
	}
	return f.txt[name], nil
}

func TestLookup(t *testing.T) {
	r := fakeResolver{
		txt: map[string][]string{
			"default._bimi.ok.example":       {"v=BIMI1; l=https://ok.example/logo.svg; a=https://ok.example/vmc.pem"},
			"default._bimi.declined.example": {"v=BIMI1; l=; a=;"},
			"default._bimi.two.example":      {"v=BIMI1; l=https://two.example/1.svg", "v=BIMI1; l=https://two.example/2.svg"},
			"default._bimi.bad.example":      {"v=BIMI1; l=http://bad.example/logo.svg"},
			"default._bimi.other.example":    {"v=spf1 -all"},
			"default._bimi.mixed.example":    {"hello", "v=BIMI1; l=https://mixed.example/l.svg"},
		},
		fail: map[string]bool{"default._bimi.fail.example": true},
	}
	tests := []struct {
		domain string
		status Status
		logo   string
	}{
		{"ok.example", StatusOK, "https://ok.example/logo.svg"},
		{"OK.example.", StatusOK, "https://ok.example/logo.svg"},
		{"declined.example", StatusNone, ""},
		{"absent.example", StatusNone, ""},
		{"other.example", StatusNone, ""},
		{"mixed.example", StatusOK, "https://mixed.example/l.svg"},
		{"two.example", StatusInvalid, ""},
		{"bad.example", StatusInvalid, ""},
		{"fail.example", StatusTemperror, ""},
	}
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			res := Lookup(context.Background(), r, tt.domain)
			if res.Status != tt.status {
				t.Fatalf("status %s (%s); want %s", res.Status, res.Err, tt.status)
			}
			logo := ""
			if res.Parsed != nil {
				logo = res.Parsed.Logo
			}
			if logo != tt.logo {
				t.Errorf("logo %q; want %q", logo, tt.logo)
			}
			if (res.Status == StatusInvalid || res.Status == StatusTemperror) != (res.Err != "") {
				t.Errorf("status %s with error %q", res.Status, res.Err)
			}
		})
	}
	if res := Lookup(context.Background(), r, "declined.example"); res.Record == "" {
		t.Error("a declining record is not shown")
	}
}
