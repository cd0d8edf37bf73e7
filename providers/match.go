package providers

import (
	"bytes"
	"strings"
)

// maxName is the longest DNS name in presentation form without the final dot.
const maxName = 253

// hit is what an index stores: the entry and the pattern as written in the
// catalog (so callers and tests can see which pattern matched).
type hit struct {
	p       *Provider
	pattern string
}

// index maps a suffix pattern to its entry. A lookup probes the name itself,
// then the name without its first label, and so on: the first probe that hits
// is the longest matching suffix, and the cost is one probe per label.
type index map[string]hit

func (ix index) add(p *Provider, pats []string) {
	for _, pat := range pats {
		ix[pat] = hit{p, pat}
	}
}

// match returns the entry whose pattern is the longest label-boundary suffix
// of name, ignoring case and one trailing dot. It does not allocate.
func (ix index) match(name string) hit {
	name = strings.TrimSuffix(name, ".")
	if len(ix) == 0 || name == "" || len(name) > maxName {
		return hit{}
	}
	if !hasUpper(name) {
		return ix.walk(name)
	}
	// Lower-case into a stack buffer; m[string(b)] does not allocate.
	var buf [maxName]byte
	b := buf[:len(name)]
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	for {
		// Patterns have two labels or more, so a name without a dot cannot match.
		dot := bytes.IndexByte(b, '.')
		if dot < 0 {
			return hit{}
		}
		if h, ok := ix[string(b)]; ok {
			return h
		}
		b = b[dot+1:]
	}
}

func (ix index) walk(s string) hit {
	for {
		dot := strings.IndexByte(s, '.')
		if dot < 0 {
			return hit{}
		}
		if h, ok := ix[s]; ok {
			return h
		}
		s = s[dot+1:]
	}
}

// lowerASCII lower-cases A-Z only: DNS names compare case-insensitively in
// ASCII alone (RFC 4343), so "\u212a" (Kelvin sign) must not become "k".
func lowerASCII(s string) string {
	if !hasUpper(s) {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// MatchMX returns the entry for an MX host name, or nil.
func (c *Catalog) MatchMX(host string) *Provider {
	if c == nil {
		return nil
	}
	return c.mx.match(host).p
}

// MatchSPF returns the entry for the target of an SPF include, redirect, a,
// mx, ptr or exists term, or nil. A target that contains macros is matched on
// the labels after the last macro, so "%{i}.spf.hc1234-56.iphmx.com" matches
// iphmx.com; a "/cidr" suffix (a:host/24) is ignored.
func (c *Catalog) MatchSPF(name string) *Provider {
	if c == nil {
		return nil
	}
	name, ok := afterMacros(name)
	if !ok {
		return nil
	}
	if i := strings.IndexByte(name, '/'); i >= 0 {
		name = name[:i]
	}
	return c.spf.match(name).p
}

// afterMacros returns the labels of an SPF domain-spec after its last macro
// (RFC 7208 §7.1): "%{...}", "%%", "%_" or "%-". When the macro ends mid-label
// ("%{i}x.example.com"), that partial label is dropped too, so a match stays
// on a label boundary. ok is false for a malformed macro or nothing left.
func afterMacros(s string) (rest string, ok bool) {
	end := -1 // index just past the last macro
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		if i+1 >= len(s) {
			return "", false
		}
		switch s[i+1] {
		case '%', '_', '-':
			i++
		case '{':
			j := strings.IndexByte(s[i+2:], '}')
			if j < 0 {
				return "", false
			}
			i += 2 + j
		default:
			return "", false
		}
		end = i + 1
	}
	if end < 0 {
		return s, true
	}
	rest = s[end:]
	dot := strings.IndexByte(rest, '.')
	if dot < 0 {
		return "", false
	}
	return rest[dot+1:], true
}

// MatchDKIM returns the entry for the CNAME target of a selector._domainkey
// name, or nil.
func (c *Catalog) MatchDKIM(target string) *Provider {
	if c == nil {
		return nil
	}
	return c.dkim.match(target).p
}

// MatchAutodiscover returns the entry for the CNAME target of
// autodiscover.<domain>, or nil.
func (c *Catalog) MatchAutodiscover(target string) *Provider {
	if c == nil {
		return nil
	}
	return c.autodiscover.match(target).p
}

// MatchToken returns the entry whose verification prefix ("MS=",
// "google-site-verification=") starts the apex TXT record txt, or nil. The
// comparison is case-sensitive, as the vendors publish them.
func (c *Catalog) MatchToken(txt string) *Provider {
	if c == nil {
		return nil
	}
	i := strings.IndexByte(txt, '=')
	if i < 0 {
		return nil
	}
	return c.tokens[txt[:i+1]]
}

// MatchAppliance returns the entry whose on-premises product names a host
// the customer runs itself: fortimail.example.fi, seppmail01.example.ch,
// ironport-2.mail.example.com. Only the labels in front of registered
// (the host's registered domain, which the caller knows from the public
// suffix list) count, each as written or cut at its first hyphen, without
// trailing digits. Such a host is a gateway the domain's owner (or whoever
// owns registered) runs, not the vendor's cloud: callers must not report it
// as the vendor's service. It returns nil when no label names a product,
// or when host is not under registered.
func (c *Catalog) MatchAppliance(host, registered string) *Provider {
	if c == nil || len(c.appliances) == 0 {
		return nil
	}
	host = strings.TrimSuffix(host, ".")
	registered = strings.TrimSuffix(registered, ".")
	if len(host) <= len(registered) || !IsSubdomainOf(host, registered) {
		return nil
	}
	front := host[:len(host)-len(registered)-1]
	for front != "" {
		label, rest, _ := strings.Cut(front, ".")
		front = rest
		if head, _, ok := strings.Cut(label, "-"); ok {
			if p := c.appliance(head); p != nil {
				return p
			}
		}
		if p := c.appliance(label); p != nil {
			return p
		}
	}
	return nil
}

// appliance looks up one label, ignoring case and trailing digits.
func (c *Catalog) appliance(label string) *Provider {
	label = strings.TrimRight(label, "0123456789")
	if label == "" || len(label) > 63 {
		return nil
	}
	if p, ok := c.appliances[label]; ok {
		return p
	}
	if hasUpper(label) {
		return c.appliances[lowerASCII(label)]
	}
	return nil
}

// IsSubdomainOf reports whether name is parent or lies under it, comparing
// whole labels, ignoring case and trailing dots. An empty parent matches
// nothing.
func IsSubdomainOf(name, parent string) bool {
	name = strings.TrimSuffix(name, ".")
	parent = strings.TrimSuffix(parent, ".")
	if parent == "" || len(name) < len(parent) {
		return false
	}
	if len(name) == len(parent) {
		return strings.EqualFold(name, parent)
	}
	cut := len(name) - len(parent)
	return name[cut-1] == '.' && strings.EqualFold(name[cut:], parent)
}

// Tenant extracts the customer or tenant id that some providers encode in
// their host names, or "" when p has none or host does not have the shape:
//
//	Microsoft   <key>.mail.protection.outlook.com (also office365.us,
//	            partner.outlook.cn, outlook.de, mail.eo.outlook.com) and
//	            <key>.<x>-v1.mx.microsoft                               -> <key>
//	Proofpoint  mx0a-<8hex>.pphosted.com, mxa-<8hex>.gslb.pphosted.com,
//	            spf-<8hex>.pphosted.com (also gpphosted.com)             -> <8hex>
//	Barracuda   d<digits>a.ess.barracudanetworks.com                     -> d<digits>
//	Cisco       mx1.hc<NNNN>-<NN>.iphmx.com, %{i}.spf.<alloc>.iphmx.com  -> the label before iphmx.com
//
// A Microsoft key is usually the domain with dots turned into hyphens, but a
// tenant may point all its domains at one key, so a key that differs from the
// scanned domain is normal. The same id in a Proofpoint MX and SPF include
// corroborates both.
func Tenant(p *Provider, host string) string {
	if p == nil {
		return ""
	}
	h := lowerASCII(strings.TrimSuffix(host, "."))
	switch p.ID {
	case "microsoft":
		return microsoftTenant(h)
	case "proofpoint":
		return proofpointTenant(h)
	case "barracuda":
		return barracudaTenant(h)
	case "cisco":
		return ciscoTenant(h)
	}
	return ""
}

var microsoftSuffixes = []string{
	".mail.protection.outlook.com",
	".mail.protection.office365.us",
	".mail.protection.partner.outlook.cn",
	".mail.protection.outlook.de",
	".mail.eo.outlook.com",
}

func microsoftTenant(h string) string {
	for _, s := range microsoftSuffixes {
		if key, ok := strings.CutSuffix(h, s); ok && isLabel(key) {
			return key
		}
	}
	// <key>.<letter>-v1.mx.microsoft
	if rest, ok := strings.CutSuffix(h, ".mx.microsoft"); ok {
		key, region, ok := strings.Cut(rest, ".")
		if ok && isLabel(key) && isLabel(region) && versioned(region) {
			return key
		}
	}
	return ""
}

// versioned accepts "<x>-v<digits>" (o-v1), the region label of mx.microsoft.
func versioned(l string) bool {
	i := strings.LastIndex(l, "-v")
	if i < 1 || i+2 >= len(l) {
		return false
	}
	return allDigits(l[i+2:])
}

func proofpointTenant(h string) string {
	if !strings.HasSuffix(h, ".pphosted.com") && !strings.HasSuffix(h, ".gpphosted.com") {
		return ""
	}
	label, _, _ := strings.Cut(h, ".")
	pre, id, ok := strings.Cut(label, "-")
	if !ok || len(id) != 8 || !allHex(id) {
		return ""
	}
	// mx0a, mx0b, mxa, mxb: "mx", an optional "0", one letter; or spf.
	if pre == "spf" {
		return id
	}
	if m, ok := strings.CutPrefix(pre, "mx"); ok {
		m = strings.TrimPrefix(m, "0")
		if len(m) == 1 && 'a' <= m[0] && m[0] <= 'z' {
			return id
		}
	}
	return ""
}

func barracudaTenant(h string) string {
	if !strings.HasSuffix(h, ".barracudanetworks.com") {
		return ""
	}
	label, _, _ := strings.Cut(h, ".")
	// d<digits><letter>: the letter tells the a/b host of one customer apart.
	if len(label) < 3 || label[0] != 'd' {
		return ""
	}
	last := label[len(label)-1]
	if last < 'a' || last > 'z' || !allDigits(label[1:len(label)-1]) {
		return ""
	}
	return label[:len(label)-1]
}

func ciscoTenant(h string) string {
	rest, ok := strings.CutSuffix(h, ".iphmx.com")
	if !ok {
		return ""
	}
	dot := strings.LastIndexByte(rest, '.')
	if dot < 0 {
		return "" // <alloc>.iphmx.com alone: no host label in front, not a known shape
	}
	alloc := rest[dot+1:]
	if !isLabel(alloc) {
		return ""
	}
	return alloc
}

// isLabel accepts one DNS label of letters, digits and hyphens.
func isLabel(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return s != ""
}
