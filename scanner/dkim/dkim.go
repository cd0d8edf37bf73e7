// Package dkim reads DKIM public key records (RFC 6376 §3.6.1, with the
// Ed25519 keys of RFC 8463) as a verifier would, so that mxscope can say
// whether the keys a domain publishes can sign its mail: usable, revoked,
// in testing, weak, or broken.
//
// It promises:
//   - no I/O: callers look the TXT records up and pass their strings in;
//   - records are judged as RFC 6376 verifiers judge them: a v= other than
//     DKIM1 is not a key record, a duplicated tag voids the record, an
//     empty p= is a revoked key, a key type, service type or hash list no
//     verifier can use makes the key unusable;
//   - the size of an RSA key is counted from the key itself (its
//     SubjectPublicKeyInfo or bare RSAPublicKey DER, decoded with
//     crypto/x509), never taken from what the record claims;
//   - bounded work on hostile input: records longer than MaxRecordLen are
//     refused before decoding, and parsing never panics.
//
// DNS cannot list a domain's selectors, so a key that was not asked for
// stays unseen; that judgement belongs to the caller, which knows which
// selectors it probed.
package dkim

import (
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Status is the state of the key record at one selector.
type Status string

const (
	// StatusOK: one key record, parsed, with a key verifiers can use.
	StatusOK Status = "ok"
	// StatusRevoked: the record has an empty p= (RFC 6376 §3.6.1): the key was withdrawn.
	StatusRevoked Status = "revoked"
	// StatusInvalid: a key record is there, but verifiers cannot use it
	// (syntax, key data, key type, service type, several records).
	StatusInvalid Status = "invalid"
	// StatusAbsent: no TXT string at the selector is a DKIM key record.
	StatusAbsent Status = "absent"
)

// KeyType is the k= tag: the key's algorithm.
type KeyType string

const (
	KeyRSA     KeyType = "rsa"     // RSA (RFC 6376 §3.3.1), the default
	KeyEd25519 KeyType = "ed25519" // Ed25519 (RFC 8463)
)

// MaxRecordLen caps the record length the parser accepts: a 16384-bit RSA
// key takes about 2,800 bytes of base64, so no real key comes near it.
const MaxRecordLen = 8192

// Sentinel errors; the errors the parser returns wrap one of them.
var (
	ErrSyntax      = errors.New("dkim: syntax error")
	ErrDuplicate   = errors.New("dkim: duplicate tag")
	ErrVersion     = errors.New("dkim: v= is not DKIM1")
	ErrNoKey       = errors.New("dkim: no p= tag")
	ErrKeyType     = errors.New("dkim: unknown key type")
	ErrKeyData     = errors.New("dkim: unusable key data")
	ErrService     = errors.New("dkim: key not for email")
	ErrHash        = errors.New("dkim: no hash algorithm verifiers accept")
	ErrTooLong     = errors.New("dkim: record too long")
	ErrMultiple    = errors.New("dkim: several key records at one selector")
	ErrControlChar = errors.New("dkim: control character")
)

// Key is a parsed key record.
type Key struct {
	Type     KeyType  // k=, rsa when absent
	Bits     int      // RSA modulus length; 256 for Ed25519; 0 when revoked
	Revoked  bool     // p= is empty
	Testing  bool     // t=y: the domain is testing DKIM (RFC 6376 §3.6.1)
	Strict   bool     // t=s: the i= domain must equal d=
	Hashes   []string // h=, lower case; empty means any
	Services []string // s=, lower case; empty means *
}

// Judgement is what the TXT strings at one selector amount to.
type Judgement struct {
	Status Status
	Key    *Key   // for StatusOK and StatusRevoked
	Record string // the key record, when exactly one was found
	Err    string // why the status is StatusInvalid
}

// Judge picks the key record among the TXT strings published at a selector
// and judges it. Strings that are not DKIM key records (a v= other than
// DKIM1, or neither v=DKIM1 nor a p= tag: an SPF record or a verification
// token reached through a wildcard, say) are ignored. RFC 6376 §3.6.2.2
// leaves several key records at one selector undefined; they are invalid
// here.
func Judge(txts []string) Judgement {
	var recs []string
	for _, t := range txts {
		if isKeyRecord(t) {
			recs = append(recs, t)
		}
	}
	switch len(recs) {
	case 0:
		return Judgement{Status: StatusAbsent}
	case 1:
	default:
		return Judgement{Status: StatusInvalid, Err: fmt.Sprintf("%v (%d)", ErrMultiple, len(recs))}
	}
	k, err := ParseKey(recs[0])
	switch {
	case err != nil:
		return Judgement{Status: StatusInvalid, Record: recs[0], Err: err.Error()}
	case k.Revoked:
		return Judgement{Status: StatusRevoked, Key: k, Record: recs[0]}
	}
	return Judgement{Status: StatusOK, Key: k, Record: recs[0]}
}

// isKeyRecord reports whether a TXT string is meant as a DKIM key record:
// it starts with v=DKIM1, or has no v= and a p= tag. A string that does not
// parse as a tag list counts when it mentions either, so that a broken key
// record is reported as broken rather than overlooked.
func isKeyRecord(s string) bool {
	tags, err := tagList(s)
	if err != nil && !errors.Is(err, ErrDuplicate) {
		l := strings.ToLower(s)
		return strings.Contains(l, "v=dkim1") || strings.Contains(strings.ReplaceAll(l, " ", ""), "p=")
	}
	if len(tags) > 0 && tags[0].name == "v" {
		// "v=DKIM1 p=..." (a ";" forgotten) is a broken key record,
		// not another version.
		f := strings.Fields(tags[0].value)
		return len(f) > 0 && f[0] == "DKIM1"
	}
	for _, t := range tags {
		if t.name == "p" {
			return true
		}
	}
	return false
}

// ParseKey parses one key record by RFC 6376 §3.6.1 and decodes its key.
func ParseKey(record string) (*Key, error) {
	tags, err := tagList(record)
	if err != nil {
		return nil, err
	}
	k := &Key{Type: KeyRSA}
	var p *string
	for i, t := range tags {
		switch t.name {
		case "v":
			if i != 0 || t.value != "DKIM1" {
				return nil, fmt.Errorf("%w (v=%s, tag %d)", ErrVersion, printable(t.value), i+1)
			}
		case "k":
			switch KeyType(strings.ToLower(t.value)) {
			case KeyRSA:
				k.Type = KeyRSA
			case KeyEd25519:
				k.Type = KeyEd25519
			default:
				return nil, fmt.Errorf("%w k=%s", ErrKeyType, printable(t.value))
			}
		case "h":
			k.Hashes = colonList(t.value)
		case "s":
			k.Services = colonList(t.value)
		case "t":
			for _, f := range colonList(t.value) {
				switch f {
				case "y":
					k.Testing = true
				case "s":
					k.Strict = true
				}
			}
		case "p":
			v := t.value
			p = &v
		}
	}
	if p == nil {
		return nil, ErrNoKey
	}
	if len(k.Services) > 0 && !contains(k.Services, "*") && !contains(k.Services, "email") {
		return nil, fmt.Errorf("%w (s=%s)", ErrService, strings.Join(k.Services, ":"))
	}
	// RFC 8301 §3.1: verifiers must not accept rsa-sha1, and sha256 is the
	// hash of both rsa-sha256 and ed25519-sha256.
	if len(k.Hashes) > 0 && !contains(k.Hashes, "sha256") {
		return nil, fmt.Errorf("%w (h=%s; sha256 is the one RFC 8301 leaves)", ErrHash, strings.Join(k.Hashes, ":"))
	}
	data := stripSpace(*p)
	if data == "" {
		k.Revoked = true
		return k, nil
	}
	der, err := decodeBase64(data)
	if err != nil {
		return nil, fmt.Errorf("%w: p= is not base64", ErrKeyData)
	}
	switch k.Type {
	case KeyEd25519:
		// RFC 8463 §4: the bare 32-byte key, not a SubjectPublicKeyInfo.
		if len(der) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: an ed25519 key is %d bytes (RFC 8463), this one %d", ErrKeyData, ed25519.PublicKeySize, len(der))
		}
		k.Bits = 8 * ed25519.PublicKeySize
	default:
		bits, err := rsaBits(der)
		if err != nil {
			return nil, err
		}
		k.Bits = bits
	}
	return k, nil
}

// rsaBits decodes an RSA public key, as a SubjectPublicKeyInfo (what RFC
// 6376 §3.6.1 specifies) or as a bare RSAPublicKey (which many verifiers
// also accept), and returns its modulus length.
func rsaBits(der []byte) (int, error) {
	if pub, err := x509.ParsePKIXPublicKey(der); err == nil {
		rk, ok := pub.(*rsa.PublicKey)
		if !ok {
			return 0, fmt.Errorf("%w: k=rsa, but the key is %s", ErrKeyData, keyKind(pub))
		}
		return rk.N.BitLen(), nil
	}
	if rk, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return rk.N.BitLen(), nil
	}
	return 0, fmt.Errorf("%w: p= is not an RSA public key", ErrKeyData)
}

func keyKind(pub any) string {
	switch pub.(type) {
	case ed25519.PublicKey:
		return "an ed25519 key in a SubjectPublicKeyInfo"
	}
	return fmt.Sprintf("a %T", pub)
}

// decodeBase64 accepts padded and unpadded base64.
func decodeBase64(s string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(s)
}

type tag struct{ name, value string }

// tagList splits an RFC 6376 §3.2 tag list. Whitespace around names, "="
// and values is folding white space and is dropped; an empty element (a
// trailing ";", or ";;") is skipped, as verifiers do.
func tagList(s string) ([]tag, error) {
	if len(s) > MaxRecordLen {
		return nil, fmt.Errorf("%w (%d bytes; the limit is %d)", ErrTooLong, len(s), MaxRecordLen)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f {
			return nil, fmt.Errorf("%w at byte %d", ErrControlChar, i)
		}
	}
	var tags []tag
	for spec := range strings.SplitSeq(s, ";") {
		if strings.TrimSpace(spec) == "" {
			continue
		}
		name, value, ok := strings.Cut(spec, "=")
		if !ok {
			return nil, fmt.Errorf("%w: \"%s\" has no \"=\"", ErrSyntax, printable(strings.TrimSpace(spec)))
		}
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !validTagName(name) {
			return nil, fmt.Errorf("%w: \"%s\" is not a tag name", ErrSyntax, printable(name))
		}
		for _, t := range tags {
			if t.name == name {
				return tags, fmt.Errorf("%w %s= (RFC 6376 §3.2: the whole record is invalid)", ErrDuplicate, printable(name))
			}
		}
		tags = append(tags, tag{name, value})
	}
	return tags, nil
}

// validTagName: ALPHA *ALNUMPUNC (letters, digits, underscore). Tag names
// are case-sensitive.
func validTagName(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlpha(c) && !('0' <= c && c <= '9') && c != '_' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// colonList splits a colon-separated tag value, lower-cased, dropping
// empty elements and white space.
func colonList(v string) []string {
	var out []string
	for f := range strings.SplitSeq(v, ":") {
		if f = strings.ToLower(strings.TrimSpace(f)); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// stripSpace removes the white space that may fold a base64 value.
func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
}

// printable quotes at most 64 bytes of s for an error message, with
// control and non-ASCII bytes escaped.
func printable(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	q := fmt.Sprintf("%+q", s)
	return q[1 : len(q)-1]
}
