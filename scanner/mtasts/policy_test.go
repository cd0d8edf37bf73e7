package mtasts

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		body string
		want *Policy
		err  error
	}{
		{"enforce, CRLF", "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n",
			&Policy{Version: "STSv1", Mode: ModeEnforce, MaxAge: 604800, MX: []string{"mail.example.com", "*.example.net"}}, nil},
		{"LF, last line unended", "version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 86400",
			&Policy{Version: "STSv1", Mode: ModeTesting, MaxAge: 86400, MX: []string{"mx.example.com"}}, nil},
		{"any field order, blank lines, white space", "\nmax_age:86400  \n\nmx:   MX.Example.COM.\nmode: enforce\n  version: STSv1\n\n",
			&Policy{Version: "STSv1", Mode: ModeEnforce, MaxAge: 86400, MX: []string{"mx.example.com"}}, nil},
		{"mode none needs no mx", "version: STSv1\nmode: none\nmax_age: 0\n",
			&Policy{Version: "STSv1", Mode: ModeNone, MaxAge: 0}, nil},
		{"extension fields are ignored", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\nx-note: hello: world\n",
			&Policy{Version: "STSv1", Mode: ModeEnforce, MaxAge: 1, MX: []string{"a.example"}, Extensions: []string{"x-note"}}, nil},
		{"max_age above a year is kept", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 9999999999\n",
			&Policy{Version: "STSv1", Mode: ModeEnforce, MaxAge: 9999999999, MX: []string{"a.example"}}, nil},
		{"the same field twice with the same value", "version: STSv1\nmode: enforce\nmode: enforce\nmx: a.example\nmax_age: 1\n",
			&Policy{Version: "STSv1", Mode: ModeEnforce, MaxAge: 1, MX: []string{"a.example"}}, nil},

		{"no version", "mode: enforce\nmx: a.example\nmax_age: 1\n", nil, ErrMissingField},
		{"no mode", "version: STSv1\nmx: a.example\nmax_age: 1\n", nil, ErrMissingField},
		{"no max_age", "version: STSv1\nmode: enforce\nmx: a.example\n", nil, ErrMissingField},
		{"enforce without mx", "version: STSv1\nmode: enforce\nmax_age: 1\n", nil, ErrMissingField},
		{"field names are case-sensitive", "Version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\n", nil, ErrMissingField},
		{"an HTML page", "<html><body>Not here</body></html>\n", nil, ErrSyntax},
		{"empty", "", nil, ErrMissingField},
		{"version STSv2", "version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n", nil, ErrVersion},
		{"mode report (a draft's)", "version: STSv1\nmode: report\nmx: a.example\nmax_age: 1\n", nil, ErrMode},
		{"mode in capitals", "version: STSv1\nmode: ENFORCE\nmx: a.example\nmax_age: 1\n", nil, ErrMode},
		{"negative max_age", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n", nil, ErrMaxAge},
		{"max_age of 11 digits", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 12345678901\n", nil, ErrMaxAge},
		{"mx wildcard in the middle", "version: STSv1\nmode: enforce\nmx: mail.*.example\nmax_age: 1\n", nil, ErrMX},
		{"mx with a port", "version: STSv1\nmode: enforce\nmx: a.example:25\nmax_age: 1\n", nil, ErrMX},
		{"empty mx", "version: STSv1\nmode: enforce\nmx:\nmax_age: 1\n", nil, ErrMX},
		{"conflicting modes", "version: STSv1\nmode: enforce\nmode: testing\nmx: a.example\nmax_age: 1\n", nil, ErrConflict},
		{"control character", "version: STSv1\nmode: enforce\x1b[31m\nmx: a.example\nmax_age: 1\n", nil, ErrSyntax},
		{"not UTF-8", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\nx: \xff\n", nil, ErrEncoding},
		{"too large", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\n" + strings.Repeat("x: y\n", MaxPolicySize/5+1), nil, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.body))
			if !errors.Is(err, tt.err) || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q) = %+v, %v; want %+v, %v", tt.body, got, err, tt.want, tt.err)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, host string
		want          bool
	}{
		{"mail.example.com", "mail.example.com", true},
		{"mail.example.com", "MAIL.Example.com.", true},
		{"mail.example.com.", "mail.example.com", true},
		{"mail.example.com", "mail2.example.com", false},
		{"mail.example.com", "example.com", false},
		{"*.example.com", "mx1.example.com", true},
		{"*.example.com", "MX1.EXAMPLE.COM", true},
		{"*.example.com", "example.com", false},
		{"*.example.com", "a.b.example.com", false},
		{"*.example.com", "mx1.example.com.evil.test", false},
		{"*.example.com", ".example.com", false},
		{"*.mail.protection.outlook.com", "contoso-com.mail.protection.outlook.com", true},
		{"", "", false},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.host); got != tt.want {
			t.Errorf("Match(%q, %q) = %v; want %v", tt.pattern, tt.host, got, tt.want)
		}
	}
	p := &Policy{MX: []string{"mx1.example.com", "*.backup.example.com"}}
	for host, want := range map[string]bool{"mx1.example.com": true, "b1.backup.example.com": true, "mx2.example.com": false} {
		if got := p.Matches(host); got != want {
			t.Errorf("Matches(%q) = %v; want %v", host, got, want)
		}
	}
}
