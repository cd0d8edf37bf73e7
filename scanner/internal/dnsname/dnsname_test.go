package dnsname

import "testing"

func TestValid(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"example.com", true},
		{"_dmarc.example.com", true},
		{"xn--bcher-kva.example", true},
		{"", false},
		{"Example.com", false},
		{"example.com.", false},
		{"a..b", false},
		{"exa mple.com", false},
		{string(make([]byte, 64)) + ".com", false},
	}
	for _, tt := range tests {
		if got := Valid(tt.name); got != tt.want {
			t.Errorf("Valid(%q) = %v; want %v", tt.name, got, tt.want)
		}
	}
}

func TestMailAddress(t *testing.T) {
	for addr, want := range map[string]bool{
		"dmarc@example.com":     true,
		"DMARC@Example.COM.":    true,
		"a@b@example.com":       true, // the last @ starts the domain
		"@example.com":          false,
		"dmarc@":                false,
		"dmarc":                 false,
		"dmarc@exa mple.com":    false,
		"dmarc@" + "x..example": false,
	} {
		if got := MailAddress(addr); got != want {
			t.Errorf("MailAddress(%q) = %v; want %v", addr, got, want)
		}
	}
}
