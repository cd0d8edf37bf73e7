// Package dnsname holds the DNS name checks that the pure record parsers
// (dmarc, smtptls) share, so that they agree on what a name and a report
// address are.
package dnsname

import "strings"

// Valid reports whether s is a lower-case DNS name made of letters, digits,
// hyphens and underscores (A-labels for IDNs), with no trailing dot: at most
// 253 bytes, labels of 1 to 63.
func Valid(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for l := range strings.SplitSeq(s, ".") {
		if l == "" || len(l) > 63 {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// MailAddress reports whether addr is local-part@domain with a non-empty
// local part and a valid domain, compared without case and with a trailing
// dot allowed: the check the report URIs of DMARC and TLS-RPT both make.
func MailAddress(addr string) bool {
	at := strings.LastIndexByte(addr, '@')
	return at > 0 && Valid(strings.TrimSuffix(strings.ToLower(addr[at+1:]), "."))
}
