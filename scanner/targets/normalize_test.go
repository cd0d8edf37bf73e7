package targets

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	long63 := strings.Repeat("a", 63)
	long64 := strings.Repeat("a", 64)
	// 4 labels of 63 + 3 dots = 255 octets; 3 labels of 63 + "ab" = 193.
	tooLongName := strings.Join([]string{long63, long63, long63, long63}, ".")
	maxName := strings.Join([]string{long63, long63, long63, strings.Repeat("b", 61)}, ".") // 253

	tests := []struct {
		name        string
		in          string
		wantASCII   string
		wantUnicode string
		wantErr     string // a substring of the reason; "" for valid
	}{
		// Accepted, and how they are rewritten.
		{"plain ASCII", "example.com", "example.com", "", ""},
		{"upper case is folded", "WWW.Example.COM", "www.example.com", "", ""},
		{"one trailing dot is dropped", "example.com.", "example.com", "", ""},
		{"surrounding spaces are trimmed", "  example.com \t", "example.com", "", ""},
		{"https URL is reduced to its host", "https://www.example.com/path?q", "www.example.com", "", ""},
		{"http URL with port and fragment", "http://Example.com:8080/#top", "example.com", "", ""},
		{"scheme-relative URL", "//example.com/x", "example.com", "", ""},
		{"URL with user info", "https://user:pw@example.com/", "example.com", "", ""},
		{"e-mail address yields its domain", "bob@example.com", "example.com", "", ""},
		{"mailto URL yields its domain", "mailto:bob@Example.com", "example.com", "", ""},
		{"host and port", "example.com:443", "example.com", "", ""},
		{"underscore label (DMARC-style name)", "_dmarc.example.com", "_dmarc.example.com", "", ""},
		{"hyphen inside a label", "my-campaign.example", "my-campaign.example", "", ""},
		{"digits in labels and TLD with digits", "2024.example.xn--p1ai", "2024.example.xn--p1ai", "2024.example.рф", ""},
		{"Unicode becomes the A-label", "bücher.example", "xn--bcher-kva.example", "bücher.example", ""},
		{"Unicode upper case is folded by UTS 46", "BÜCHER.example", "xn--bcher-kva.example", "bücher.example", ""},
		{"already punycode stays and gains its U-label", "xn--bcher-kva.example", "xn--bcher-kva.example", "bücher.example", ""},
		{"upper-case punycode is folded", "XN--BCHER-KVA.EXAMPLE", "xn--bcher-kva.example", "bücher.example", ""},
		{"IDNA 2008: ß is kept, not mapped to ss", "faß.de", "xn--fa-hia.de", "faß.de", ""},
		{"ideographic full stop separates labels", "bücher。example", "xn--bcher-kva.example", "bücher.example", ""},
		{"full-width letters are folded", "ｅｘａｍｐｌｅ.com", "example.com", "", ""},
		{"Unicode URL", "https://bücher.example/über", "xn--bcher-kva.example", "bücher.example", ""},
		{"label of 63 octets", long63 + ".com", long63 + ".com", "", ""},
		{"name of 253 octets", maxName, maxName, "", ""},

		// Rejected, each with its reason.
		{"empty", "", "", "", "empty entry"},
		{"only spaces", "   ", "", "", "empty entry"},
		{"spaces inside", "not a domain!", "", "", `not a domain name: "not a domain!" (label contains ' ')`},
		{"bang", "example!.com", "", "", `(label contains '!')`},
		{"IPv4 literal", "192.0.2.1", "", "", "an IP address, not a domain"},
		{"IPv4 literal with a trailing dot", "192.0.2.1.", "", "", "an IP address, not a domain"},
		{"IPv6 literal", "2001:db8::1", "", "", "an IP address, not a domain"},
		{"bracketed IPv6 URL", "http://[2001:db8::1]:8080/", "", "", "an IP address, not a domain"},
		{"a number", "12345", "", "", "a number, not a domain"},
		{"all-digit TLD", "999.1.1.1", "999.1.1.1", "", `the top-level label "1" is all digits`},
		{"label of 64 octets", long64 + ".com", long64 + ".com", "", "label longer than 63 characters"},
		{"name of 255 octets", tooLongName, tooLongName, "", "name longer than 253 characters (255)"},
		{"single label", "localhost", "localhost", "", "a single label"},
		{"single label with a dot", "com.", "com", "", "a single label"},
		{"leading hyphen", "-example.com", "-example.com", "", `label "-example" starts with a hyphen`},
		{"trailing hyphen", "example-.com", "example-.com", "", `label "example-" ends with a hyphen`},
		{"hyphens in positions 3 and 4", "ab--cd.example", "ab--cd.example", "", `has "--" in the third and fourth positions`},
		{"empty label", "example..com", "", "", "(empty label)"},
		{"leading dot", ".example.com", "", "", "(empty label)"},
		{"two trailing dots", "example.com..", "", "", "(empty label)"},
		{"only a dot", ".", "", "", "no host name"},
		{"URL without host", "https:///path", "", "", "no host name"},
		{"bad punycode", "xn--a.example", "", "", "not a valid internationalised domain name"},
		{"punycode of plain ASCII", "xn--example-.com", "", "", "not a valid internationalised domain name"},
		{"disallowed Unicode", "☃☃\u0000.example", "", "", `label contains '\x00'`},
		{"full-width bang maps to a bang", "a！.example", "", "", `label contains '!'`},
		{"bidi rule", "a\u05d0.example", "", "", "not a valid internationalised domain name"},
		{"non-numeric port is not a port", "example.com:http", "", "", `label contains ':'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ascii, unicode, err := Normalize(tt.in)
			if ascii != tt.wantASCII || unicode != tt.wantUnicode {
				t.Errorf("Normalize(%q) = %q, %q; want %q, %q", tt.in, ascii, unicode, tt.wantASCII, tt.wantUnicode)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Normalize(%q) error = %v; want none", tt.in, err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("Normalize(%q) error = nil; want %q", tt.in, tt.wantErr)
			case err != nil && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("Normalize(%q) error = %q; want it to contain %q", tt.in, err, tt.wantErr)
			case err != nil && !errors.Is(err, ErrInvalidDomain):
				t.Errorf("Normalize(%q) error %v is not ErrInvalidDomain", tt.in, err)
			}
		})
	}
}

func TestNormalizeIsIdempotent(t *testing.T) {
	for _, in := range []string{"Example.COM.", "bücher.example", "https://xn--fa-hia.de/", "_dmarc.example.com"} {
		a, _, err := Normalize(in)
		if err != nil {
			t.Fatalf("Normalize(%q): %v", in, err)
		}
		b, _, err := Normalize(a)
		if b != a || err != nil {
			t.Errorf("Normalize(%q) = %q, %v; want %q, nil", a, b, err, a)
		}
	}
}

func TestNormalizeQuotesLongInputShortly(t *testing.T) {
	in := strings.Repeat("x ", 1<<20)
	_, _, err := Normalize(in)
	if err == nil || len(err.Error()) > 200 {
		t.Errorf("reason is %d bytes; want an error under 200 bytes", len(err.Error()))
	}
}
