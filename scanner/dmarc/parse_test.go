package dmarc

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// defaults is what Parse returns for "v=DMARC1; p=none".
func defaults() *Record {
	return &Record{
		Policy: PolicyNone, SubdomainPolicy: PolicyNone, NonexistentPolicy: PolicyNone,
		Pct: 100, ADKIM: "r", ASPF: "r", FO: []string{"0"}, RI: 86400, RF: "afrf", PSD: "u",
	}
}

func mailto(addr string) URI {
	return URI{Raw: "mailto:" + addr, Scheme: "mailto", Address: addr}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name        string
		record      string
		want        func(*Record) // applied to defaults(); nil when an error is wanted
		wantWarn    []string      // substrings, each in some warning; nil: no warnings
		wantDiscard int           // len(Discarded), when set
		wantErr     error
		wantMsg     string // exact error text, when set
	}{
		{name: "minimal none", record: "v=DMARC1; p=none", want: func(*Record) {}},
		{name: "reject with rua", record: "v=DMARC1; p=reject; rua=mailto:dmarc@example.com",
			want: func(r *Record) {
				r.Policy, r.SubdomainPolicy, r.NonexistentPolicy = PolicyReject, PolicyReject, PolicyReject
				r.RUA = []URI{mailto("dmarc@example.com")}
			}},
		{name: "sp defaults to p and np defaults to sp", record: "v=DMARC1; p=reject; sp=quarantine",
			want: func(r *Record) {
				r.Policy, r.SubdomainPolicy, r.NonexistentPolicy = PolicyReject, PolicyQuarantine, PolicyQuarantine
			}},
		{name: "np set on its own", record: "v=DMARC1; p=none; np=reject",
			want: func(r *Record) { r.NonexistentPolicy = PolicyReject }},
		{name: "every tag", record: "v=DMARC1; p=quarantine; sp=reject; np=reject; pct=50; t=y; " +
			"rua=mailto:a@example.com,https://r.example.net/x; ruf=mailto:f@example.com!10m; " +
			"adkim=s; aspf=s; fo=1:d:s; ri=3600; rf=afrf; psd=n",
			want: func(r *Record) {
				r.Policy, r.SubdomainPolicy, r.NonexistentPolicy = PolicyQuarantine, PolicyReject, PolicyReject
				r.Pct, r.Testing, r.ADKIM, r.ASPF, r.FO, r.RI, r.PSD = 50, true, "s", "s", []string{"1", "d", "s"}, 3600, "n"
				r.RUA = []URI{mailto("a@example.com"), {Raw: "https://r.example.net/x", Scheme: "https", Address: "r.example.net"}}
				r.RUF = []URI{{Raw: "mailto:f@example.com!10m", Scheme: "mailto", Address: "f@example.com", Size: 10 << 20}}
			},
			wantWarn: []string{"pct is obsolete", "ri is obsolete", "rf is obsolete", "!size suffix is obsolete"}},
		{name: "tag names are case-insensitive, v's value is not", record: "V=DMARC1; P=Reject; SP=NONE",
			want: func(r *Record) { r.Policy = PolicyReject }},
		{name: "lower-case dmarc1 is not DMARC", record: "v=dmarc1; p=reject", wantErr: ErrNotDMARC},
		{name: "whitespace around = and ;", record: "v = DMARC1 ;\tp = reject ; rua = mailto:a@example.com , mailto:b@example.com ;",
			want: func(r *Record) {
				r.Policy, r.SubdomainPolicy, r.NonexistentPolicy = PolicyReject, PolicyReject, PolicyReject
				r.RUA = []URI{mailto("a@example.com"), mailto("b@example.com")}
			}},
		{name: "leading space is not a DMARC record", record: " v=DMARC1; p=reject", wantErr: ErrNotDMARC},
		{name: "v not first", record: "p=reject; v=DMARC1", wantErr: ErrNotDMARC},
		{name: "DMARC10 is not DMARC1", record: "v=DMARC10; p=reject", wantErr: ErrNotDMARC},
		{name: "missing semicolon after version", record: "v=DMARC1 p=reject", wantErr: ErrNotDMARC},
		{name: "empty", record: "", wantErr: ErrNotDMARC},
		{name: "duplicate tag", record: "v=DMARC1; p=reject; p=none", wantErr: ErrDuplicateTag,
			wantMsg: "dmarc: duplicate tag p"},
		{name: "duplicate tag differing in case", record: "v=DMARC1; p=reject; rua=mailto:a@x.example; RUA=mailto:b@x.example",
			wantErr: ErrDuplicateTag},
		{name: "duplicate v", record: "v=DMARC1; p=reject; v=DMARC1", wantErr: ErrDuplicateTag},
		{name: "control byte in p makes p invalid", record: "v=DMARC1; p=reject\x00", wantErr: ErrInvalidPolicy,
			wantMsg: `dmarc: invalid p="reject\x00"`},
		{name: "control byte in p with a valid rua is none", record: "v=DMARC1; p=reject\x00; rua=mailto:d@example.com",
			want:     func(r *Record) { r.RUA = []URI{mailto("d@example.com")} },
			wantWarn: []string{`invalid p="reject\x00": treated as p=none`}, wantDiscard: 1},
		{name: "a newline is not WSP: the p tag is malformed, so there is no p", record: "v=DMARC1;\np=reject",
			wantErr: ErrInvalidPolicy, wantMsg: "dmarc: no p tag"},
		{name: "control byte in an unknown tag is discarded", record: "v=DMARC1; p=reject; x=a\x01b",
			want: func(r *Record) {
				r.Policy, r.SubdomainPolicy, r.NonexistentPolicy = PolicyReject, PolicyReject, PolicyReject
			},
			wantWarn: []string{`x="a\x01b" ignored: not a valid tag value`}, wantDiscard: 1},
		{name: "DEL in a known tag is discarded", record: "v=DMARC1; p=reject; adkim=s\x7f",
			want: func(r *Record) {
				r.Policy, r.SubdomainPolicy, r.NonexistentPolicy = PolicyReject, PolicyReject, PolicyReject
			},
			wantWarn: []string{`adkim="s\x7f" ignored`}, wantDiscard: 1},
		{name: "trailing NUL after a valid rua is discarded", record: "v=DMARC1; p=reject; rua=mailto:d@example.com;\x00",
			want: func(r *Record) {
				r.Policy, r.SubdomainPolicy, r.NonexistentPolicy = PolicyReject, PolicyReject, PolicyReject
				r.RUA = []URI{mailto("d@example.com")}
			},
			wantWarn: []string{`malformed tag "\x00" ignored`}, wantDiscard: 1},
		{name: "empty value is not a tag value", record: "v=DMARC1; p=reject; rua=",
			want: func(r *Record) {
				r.Policy, r.SubdomainPolicy, r.NonexistentPolicy = PolicyReject, PolicyReject, PolicyReject
			},
			wantWarn: []string{"rua= ignored"}, wantDiscard: 1},
		{name: "more than 4096 bytes is judged by its content", record: "v=DMARC1; p=reject; x=" + strings.Repeat("a", 5000),
			want: func(r *Record) {
				r.Policy, r.SubdomainPolicy, r.NonexistentPolicy = PolicyReject, PolicyReject, PolicyReject
				r.Unknown = []string{"x"}
			}},
		{name: "invalid p without rua", record: "v=DMARC1; p=bogus", wantErr: ErrInvalidPolicy,
			wantMsg: "dmarc: invalid p=bogus"},
		{name: "invalid p with a valid rua is none", record: "v=DMARC1; p=bogus; rua=mailto:d@example.com",
			want:     func(r *Record) { r.RUA = []URI{mailto("d@example.com")} },
			wantWarn: []string{"invalid p=bogus: treated as p=none"}},
		{name: "invalid p with only an invalid rua", record: "v=DMARC1; p=bogus; rua=nonsense",
			wantErr: ErrInvalidPolicy},
		{name: "invalid sp without rua", record: "v=DMARC1; p=reject; sp=maybe", wantErr: ErrInvalidPolicy,
			wantMsg: "dmarc: invalid sp=maybe"},
		{name: "invalid np with a valid rua makes the whole record none", record: "v=DMARC1; p=reject; np=x; rua=mailto:d@example.com",
			want:     func(r *Record) { r.RUA = []URI{mailto("d@example.com")} },
			wantWarn: []string{"invalid np=x"}},
		{name: "empty p without rua", record: "v=DMARC1; p=", wantErr: ErrInvalidPolicy},
		{name: "no p with a valid rua is none", record: "v=DMARC1; rua=mailto:d@example.com",
			want: func(r *Record) { r.RUA = []URI{mailto("d@example.com")} }, wantWarn: []string{"no p tag"}},
		{name: "no p and no rua: no DMARC processing (RFC 9989 §4.10.1)", record: "v=DMARC1",
			wantErr: ErrInvalidPolicy, wantMsg: "dmarc: no p tag"},
		{name: "no p with only a malformed rua", record: "v=DMARC1; rua=dmarc@example.com", wantErr: ErrInvalidPolicy},
		{name: "invalid p with a syntactically valid but undeliverable rua is none", record: "v=DMARC1; p=bogus; rua=mailto:nobody",
			want: func(*Record) {}, wantWarn: []string{"invalid p=bogus: treated as p=none", "invalid rua URI mailto:nobody"}, wantDiscard: 2},
		{name: "p not directly after v", record: "v=DMARC1; rua=mailto:d@example.com; p=reject",
			want: func(r *Record) {
				r.Policy, r.SubdomainPolicy, r.NonexistentPolicy = PolicyReject, PolicyReject, PolicyReject
				r.RUA = []URI{mailto("d@example.com")}
			},
			wantWarn: []string{"p is not directly after v"}},
		{name: "pct out of range falls back to 100", record: "v=DMARC1; p=reject; pct=150",
			want: func(r *Record) {
				r.Policy, r.SubdomainPolicy, r.NonexistentPolicy = PolicyReject, PolicyReject, PolicyReject
			},
			wantWarn: []string{"pct is obsolete", "invalid pct=150"}},
		{name: "pct not an integer", record: "v=DMARC1; p=none; pct=5.5", want: func(*Record) {},
			wantWarn: []string{"invalid pct=5.5"}},
		{name: "pct negative", record: "v=DMARC1; p=none; pct=-1", want: func(*Record) {},
			wantWarn: []string{"invalid pct=-1"}},
		{name: "pct zero", record: "v=DMARC1; p=none; pct=0", want: func(r *Record) { r.Pct = 0 },
			wantWarn: []string{"pct is obsolete"}},
		{name: "bad alignment, t, psd, fo, ri and rf fall back to defaults",
			record: "v=DMARC1; p=none; adkim=x; aspf=; t=maybe; psd=q; fo=0:1; ri=soon; rf=iodef",
			want:   func(*Record) {},
			wantWarn: []string{"invalid adkim=x", "aspf= ignored", "invalid t=maybe", "invalid psd=q",
				"invalid fo=0:1", "invalid ri=soon", "invalid rf=iodef"}},
		{name: "fo repeated value", record: "v=DMARC1; p=none; fo=d:d", want: func(*Record) {},
			wantWarn: []string{"invalid fo=d:d"}},
		{name: "unknown tags are ignored and recorded", record: "v=DMARC1; p=none; foo=bar; Baz=1",
			want: func(r *Record) { r.Unknown = []string{"foo", "baz"} }},
		{name: "malformed tag is ignored", record: "v=DMARC1; p=none; oops", want: func(*Record) {},
			wantWarn: []string{"malformed tag oops"}},
		{name: "empty segments are ignored", record: "v=DMARC1;; p=none;;", want: func(*Record) {}},
		{name: "invalid rua URIs are dropped", record: "v=DMARC1; p=none; rua=dmarc@example.com,mailto:,mailto:ok@example.com,mailto:a@b@",
			want:     func(r *Record) { r.RUA = []URI{mailto("ok@example.com")} },
			wantWarn: []string{"invalid rua URI dmarc@example.com", "invalid rua URI mailto:"}},
		{name: "tabs around a rua list's commas are WSP", record: "v=DMARC1; p=none; rua=mailto:a@example.com\t,\tmailto:b@example.com",
			want: func(r *Record) { r.RUA = []URI{mailto("a@example.com"), mailto("b@example.com")} }},
		{name: "a control byte costs only its own rua URI", record: "v=DMARC1; p=none; rua=mailto:a@example.com\x00,mailto:b@example.com",
			want: func(r *Record) { r.RUA = []URI{mailto("b@example.com")} }, wantWarn: []string{`invalid rua URI "mailto:a@example.com\x00"`}, wantDiscard: 1},
		{name: "invalid p with one valid URI among malformed ones is none", record: "v=DMARC1; p=bogus; rua=mailto:a@example.com\x01,mailto:b@example.com",
			want: func(r *Record) { r.RUA = []URI{mailto("b@example.com")} }, wantWarn: []string{"invalid p=bogus: treated as p=none"}},
		{name: "invalid p whose only rua URI holds a control byte", record: "v=DMARC1; p=bogus; rua=mailto:a@example.com\x00",
			wantErr: ErrInvalidPolicy},
		{name: "invalid p whose rua has an unencoded ! is none: RFC 3986 allows it", record: "v=DMARC1; p=bogus; rua=mailto:a@example.com!x",
			want: func(*Record) {}, wantWarn: []string{"invalid p=bogus: treated as p=none", "not a mail address"}},
		{name: "invalid p whose rua has angle brackets", record: "v=DMARC1; p=bogus; rua=mailto:<a@example.com>",
			wantErr: ErrInvalidPolicy},
		{name: "a control byte in ruf costs only that URI", record: "v=DMARC1; p=none; ruf=mailto:f@example.com\x7f, mailto:g@example.com",
			want: func(r *Record) { r.RUF = []URI{mailto("g@example.com")} }, wantWarn: []string{"invalid ruf URI"}},
		{name: "percent-encoded control byte in a mailto address", record: "v=DMARC1; p=none; rua=mailto:a%00@example.com",
			want: func(*Record) {}, wantWarn: []string{"bad percent-encoding"}},
		{name: "rua mailto URI with a literal ! and no size", record: "v=DMARC1; p=none; rua=mailto:a@example.com!big",
			want: func(*Record) {}, wantWarn: []string{"invalid rua URI mailto:a@example.com!big ignored: not a mail address"}},
		{name: "https URI with a literal ! keeps it", record: "v=DMARC1; p=none; rua=https://r.example/x!y",
			want: func(r *Record) {
				r.RUA = []URI{{Raw: "https://r.example/x!y", Scheme: "https", Address: "r.example"}}
			}, wantWarn: []string{"a literal ! should be percent-encoded"}},
		{name: "size units", record: "v=DMARC1; p=none; rua=mailto:a@example.com!2k,mailto:b@example.com!3",
			want: func(r *Record) {
				r.RUA = []URI{
					{Raw: "mailto:a@example.com!2k", Scheme: "mailto", Address: "a@example.com", Size: 2048},
					{Raw: "mailto:b@example.com!3", Scheme: "mailto", Address: "b@example.com", Size: 3},
				}
			},
			wantWarn: []string{"!size suffix is obsolete"}},
		{name: "mailto with a query keeps the address", record: "v=DMARC1; p=none; rua=MAILTO:d@Example.COM?subject=x",
			want: func(r *Record) {
				r.RUA = []URI{{Raw: "MAILTO:d@Example.COM?subject=x", Scheme: "mailto", Address: "d@Example.COM"}}
			}},
		{name: "non-ASCII value is quoted in warnings", record: "v=DMARC1; p=none; adkim=é",
			want: func(*Record) {}, wantWarn: []string{`adkim="é" ignored`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.record)
			if tt.want == nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Parse(%q) error = %v; want %v", tt.record, err, tt.wantErr)
				}
				if tt.wantMsg != "" && err.Error() != tt.wantMsg {
					t.Errorf("error text = %q; want %q", err.Error(), tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q) error = %v; want nil", tt.record, err)
			}
			want := defaults()
			tt.want(want)
			warnings := got.Warnings
			if tt.wantDiscard != 0 && len(got.Discarded) != tt.wantDiscard {
				t.Errorf("Discarded = %q; want %d entries", got.Discarded, tt.wantDiscard)
			}
			got.Warnings, got.Discarded, got.ruaSyntax = nil, nil, false
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Parse(%q)\n got %+v;\nwant %+v", tt.record, got, want)
			}
			if tt.wantWarn == nil && len(warnings) > 0 {
				t.Errorf("warnings = %q; want none", warnings)
			}
			for _, w := range tt.wantWarn {
				if !containsSub(warnings, w) {
					t.Errorf("warnings = %q; want one containing %q", warnings, w)
				}
			}
		})
	}
}

func containsSub(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func TestSelect(t *testing.T) {
	tests := []struct {
		name    string
		txts    []string
		want    string
		wantErr error
	}{
		{name: "one record among others", txts: []string{"google-site-verification=x", "v=DMARC1; p=reject", "v=spf1 -all"},
			want: "v=DMARC1; p=reject"},
		{name: "version alone", txts: []string{"v=DMARC1"}, want: "v=DMARC1"},
		{name: "spaces around the version's equals sign", txts: []string{"v = DMARC1 ; p=none"}, want: "v = DMARC1 ; p=none"},
		{name: "upper-case tag name", txts: []string{"V=DMARC1;p=none"}, want: "V=DMARC1;p=none"},
		{name: "nothing", txts: nil, wantErr: ErrNoRecord},
		{name: "only other records", txts: []string{"v=spf1 -all"}, wantErr: ErrNoRecord},
		{name: "DMARC10 is discarded", txts: []string{"v=DMARC10; p=reject"}, wantErr: ErrNoRecord},
		{name: "lower-case value is discarded", txts: []string{"v=dmarc1; p=reject"}, wantErr: ErrNoRecord},
		{name: "leading space is discarded", txts: []string{" v=DMARC1; p=reject"}, wantErr: ErrNoRecord},
		{name: "version not first is discarded", txts: []string{"p=reject; v=DMARC1"}, wantErr: ErrNoRecord},
		{name: "two records", txts: []string{"v=DMARC1; p=reject", "v=DMARC1; p=none"}, wantErr: ErrMultipleRecords},
		{name: "two identical records", txts: []string{"v=DMARC1; p=reject", "v=DMARC1; p=reject"}, wantErr: ErrMultipleRecords},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Select(tt.txts)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("Select(%q) = %q, %v; want %q, %v", tt.txts, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
