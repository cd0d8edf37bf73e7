// Package mtasts fetches and reads a domain's MTA-STS policy file: the
// HTTPS half of MTA-STS (RFC 8461 §3.2-§3.3, §4.1), whose DNS half, the
// _mta-sts TXT record, is scanner/smtptls's.
//
// It exists so that mxscope can tell a campaign's IT lead whether senders
// can fetch the policy its TXT record announces, what the policy says, and
// whether it names the MX hosts mail really goes to. It promises:
//   - the fetch is the one RFC 8461 §3.3 describes and nothing more: a GET
//     of https://mta-sts.<domain>/.well-known/mta-sts.txt, a certificate
//     valid for that name from a trusted root, no redirect followed, 200
//     only, text/plain only, a size limit and a timeout;
//   - it resolves no name: the caller passes the addresses it looked up
//     (through the scan's resolver, so --resolver and the evidence file
//     cover this name too), and the client dials only those;
//   - a failure on this side of the network (a timeout, no route) is
//     StatusTemperror, never "unreachable": it says nothing about the policy;
//   - bounded work and memory on hostile servers: the body, the headers,
//     the time and the number of fetches at once are all capped, and the
//     parser never panics;
//   - the request (Fetcher.Get, a Response) and its judgement (Judge, a
//     Result) are apart, so that a replay judges the response an evidence
//     file recorded with exactly the code that judged it in the scan.
package mtasts

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Mode is the policy's mode field.
type Mode string

const (
	ModeEnforce Mode = "enforce" // senders must not deliver to an MX that fails validation
	ModeTesting Mode = "testing" // senders report failures (TLS-RPT) but deliver anyway
	ModeNone    Mode = "none"    // the policy is withdrawn: senders act as if there were none
)

// MaxPolicySize is the largest policy body read: the 64 KiB RFC 8461 §3.3
// suggests senders allow.
const MaxPolicySize = 64 << 10

// MaxMaxAge is the largest max_age RFC 8461 §3.2 allows (a year). Larger
// values are kept as written; senders cap them.
const MaxMaxAge = 31557600

// Sentinel errors of the parser; its errors wrap one of them.
var (
	ErrSyntax       = errors.New("mtasts: syntax error")
	ErrVersion      = errors.New("mtasts: version is not STSv1")
	ErrMode         = errors.New("mtasts: unknown mode")
	ErrMaxAge       = errors.New("mtasts: bad max_age")
	ErrMX           = errors.New("mtasts: bad mx pattern")
	ErrMissingField = errors.New("mtasts: missing field")
	ErrConflict     = errors.New("mtasts: field given twice with different values")
	ErrTooLarge     = errors.New("mtasts: policy too large")
	ErrEncoding     = errors.New("mtasts: not UTF-8 text")
)

// Policy is a parsed policy file.
type Policy struct {
	Version    string
	Mode       Mode
	MaxAge     int64    // seconds
	MX         []string // the mx patterns, lower case, in file order
	Extensions []string // names of other fields, which senders ignore
}

// Parse reads a policy file by RFC 8461 §3.2: "key: value" lines ended by
// LF or CRLF (the last may be unended); version, mode and max_age once
// each, mx once or more (it may be absent with mode none), other fields
// ignored. Field names and the version and mode values are case-sensitive,
// as the ABNF's %s strings say. Blank lines and white space around keys and
// values are tolerated, as senders tolerate them.
func Parse(body []byte) (*Policy, error) {
	if len(body) > MaxPolicySize {
		return nil, fmt.Errorf("%w (%d bytes; senders read at most %d)", ErrTooLarge, len(body), MaxPolicySize)
	}
	if !utf8.Valid(body) {
		return nil, ErrEncoding
	}
	p := &Policy{}
	seen := map[string]string{}
	for n, line := range strings.Split(string(body), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		for i := 0; i < len(line); i++ {
			if c := line[i]; (c < 0x20 && c != '\t') || c == 0x7f {
				return nil, fmt.Errorf("%w: line %d: control character", ErrSyntax, n+1)
			}
		}
		key, value, ok := strings.Cut(line, ":")
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if !ok || !validKey(key) {
			return nil, fmt.Errorf("%w: line %d: %s is not \"key: value\"", ErrSyntax, n+1, quote(line))
		}
		if key == "version" || key == "mode" || key == "max_age" {
			if prev, dup := seen[key]; dup {
				if prev != value {
					return nil, fmt.Errorf("%w: line %d: %s", ErrConflict, n+1, key)
				}
				continue
			}
			seen[key] = value
		}
		switch key {
		case "version":
			if value != "STSv1" {
				return nil, fmt.Errorf("%w: line %d: version: %s", ErrVersion, n+1, quote(value))
			}
			p.Version = value
		case "mode":
			switch m := Mode(value); m {
			case ModeEnforce, ModeTesting, ModeNone:
				p.Mode = m
			default:
				return nil, fmt.Errorf("%w: line %d: mode: %s (enforce, testing or none)", ErrMode, n+1, quote(value))
			}
		case "max_age":
			if value == "" || len(value) > 10 || strings.Trim(value, "0123456789") != "" {
				return nil, fmt.Errorf("%w: line %d: max_age: %s (1 to 10 digits)", ErrMaxAge, n+1, quote(value))
			}
			p.MaxAge, _ = strconv.ParseInt(value, 10, 64)
		case "mx":
			pat := strings.ToLower(strings.TrimSuffix(value, "."))
			if !validPattern(pat) {
				return nil, fmt.Errorf("%w: line %d: mx: %s", ErrMX, n+1, quote(value))
			}
			p.MX = append(p.MX, pat)
		default:
			p.Extensions = append(p.Extensions, key)
		}
	}
	switch {
	case p.Version == "":
		return nil, fmt.Errorf("%w version", ErrMissingField)
	case p.Mode == "":
		return nil, fmt.Errorf("%w mode", ErrMissingField)
	case seen["max_age"] == "":
		return nil, fmt.Errorf("%w max_age", ErrMissingField)
	case len(p.MX) == 0 && p.Mode != ModeNone:
		return nil, fmt.Errorf("%w mx (mode %s needs at least one)", ErrMissingField, p.Mode)
	}
	return p, nil
}

// Matches reports whether any of the policy's mx patterns matches host.
func (p *Policy) Matches(host string) bool {
	for _, pat := range p.MX {
		if Match(pat, host) {
			return true
		}
	}
	return false
}

// Match applies one mx pattern to an MX host name as RFC 8461 §4.1 says:
// without case, a pattern "*.example.com" matching exactly one more label
// on the left (mail.example.com, not example.com nor a.b.example.com), any
// other pattern only the same name. Trailing dots are ignored.
func Match(pattern, host string) bool {
	p := strings.ToLower(strings.TrimSuffix(pattern, "."))
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if rest, ok := strings.CutPrefix(p, "*."); ok {
		i := strings.IndexByte(h, '.')
		return i > 0 && h[i+1:] == rest
	}
	return p != "" && p == h
}

// validKey: a letter or digit, then up to 31 letters, digits, "_", "-" or "." (the ABNF's sts-policy-ext-name).
func validKey(s string) bool {
	if s == "" || len(s) > 32 || !isAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// validPattern: ["*."] Domain, where Domain is LDH labels (RFC 5321 §4.1.2),
// lower case here.
func validPattern(s string) bool {
	s = strings.TrimPrefix(s, "*.")
	if s == "" || len(s) > 253 {
		return false
	}
	for l := range strings.SplitSeq(s, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !isAlnum(c) && c != '-' {
				return false
			}
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// quote shows at most 64 bytes of s in quotes, control and non-ASCII
// bytes escaped.
func quote(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	return strconv.QuoteToASCII(s)
}
