// Package providers names the company behind a mail-related DNS name.
//
// mxscope sees only DNS: an MX host, an SPF include target, the CNAME target of
// a DKIM selector or of autodiscover, a verification TXT at the apex. This
// package turns those names into catalog entries (Microsoft 365, Proofpoint,
// Mailchimp, ...) so the scanner can say who hosts a campaign's mailbox, who
// filters its mail and who may send as it.
//
// It promises three things. Matching is on label boundaries only: a pattern
// matches the name itself or a name ending in "." + pattern, so
// evilgoogle.com is not Google and mail.protection.outlook.com.evil.example is
// not Microsoft. The longest matching pattern wins, so a specific product
// (consumer Gmail, gmail-smtp-in.l.google.com) beats a general one (Google
// Workspace, google.com). And a lookup costs one map probe per label of the
// name and allocates nothing, because it sits on the scanner's hot path.
//
// The package is a leaf: no DNS, no I/O beyond reading a catalog file. The
// default catalog is catalog.yaml, embedded in the binary; users may overlay
// their own entries with LoadFile and Merge.
package providers

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Kind says what role a provider plays for a domain's mail.
type Kind string

const (
	// KindMailbox hosts the inbox: the mail comes to rest there.
	KindMailbox Kind = "mailbox"
	// KindGateway is a secure email gateway that filters mail in front of a mailbox host.
	KindGateway Kind = "gateway"
	// KindForwarding relays mail to a mailbox elsewhere (often with SRS).
	KindForwarding Kind = "forwarding"
	// KindBulk is an outbound or transactional sender: seen in SPF, rarely in MX.
	KindBulk Kind = "bulk"
	// KindHosting is a shared web host whose mail service comes with the site.
	KindHosting Kind = "hosting"
	// KindConsumer is public webmail (Gmail, Outlook.com), not an organisation's mailbox service.
	KindConsumer Kind = "consumer"
)

// Valid reports whether k is one of the kinds above.
func (k Kind) Valid() bool {
	switch k {
	case KindMailbox, KindGateway, KindForwarding, KindBulk, KindHosting, KindConsumer:
		return true
	}
	return false
}

// Provider is one catalog entry: a product of a company. Several entries may
// share an ID (Microsoft 365 worldwide, GCC High, 21Vianet, Outlook.com).
// Entries returned by a Catalog are shared; treat them as read-only.
type Provider struct {
	Key           string   `yaml:"key" json:"key"`                                 // unique entry key (the product)
	ID            string   `yaml:"id" json:"id"`                                   // company id, used in scan output and --provider
	Name          string   `yaml:"name" json:"name"`                               // display name of the product
	Kind          Kind     `yaml:"kind" json:"kind"`                               // role of the product
	MX            []string `yaml:"mx" json:"mx,omitempty"`                         // MX host suffixes
	SPF           []string `yaml:"spf" json:"spf,omitempty"`                       // include/redirect/a/exists target suffixes
	DKIM          []string `yaml:"dkim" json:"dkim,omitempty"`                     // suffixes of selector._domainkey CNAME targets
	DKIMSelectors []string `yaml:"dkim_selectors" json:"dkim_selectors,omitempty"` // selectors worth probing
	Autodiscover  []string `yaml:"autodiscover" json:"autodiscover,omitempty"`     // autodiscover CNAME target suffixes
	Tokens        []string `yaml:"tokens" json:"tokens,omitempty"`                 // verification TXT prefixes at the apex, ending in "="
	Appliance     []string `yaml:"appliance" json:"appliance,omitempty"`           // host labels naming the vendor's on-premises product (fortimail)
	ResellerOf    string   `yaml:"reseller_of" json:"reseller_of,omitempty"`       // company id of the product resold, if any
	Notes         string   `yaml:"notes" json:"notes,omitempty"`                   // quirks worth knowing
	Source        string   `yaml:"source" json:"source"`                           // provenance tags and source keys
	Unconfirmed   bool     `yaml:"unconfirmed" json:"unconfirmed,omitempty"`       // the defining facts are general knowledge, not verified
}

// Catalog is a parsed, validated set of providers with lookup indexes. Build
// one with Default, Parse, LoadFile or Merge; a Catalog is immutable and safe
// for concurrent use.
type Catalog struct {
	Version   string      // catalog version, reported in scan output
	Providers []*Provider // entries in file order

	byKey        map[string]*Provider
	mx           index
	spf          index
	dkim         index
	autodiscover index
	tokens       map[string]*Provider // keyed by the token prefix, up to and including "="
	appliances   map[string]*Provider // keyed by the host label of an on-premises product
}

// MaxSize caps a catalog file; the embedded one is far smaller.
const MaxSize = 1 << 20

var (
	// ErrInvalid is wrapped by every validation error from Parse.
	ErrInvalid = errors.New("providers: invalid catalog")
	// ErrTooLarge reports a catalog larger than MaxSize.
	ErrTooLarge = errors.New("providers: catalog larger than 1 MiB")
)

//go:embed catalog.yaml
var embedded []byte

var defaultCatalog = sync.OnceValue(func() *Catalog {
	c, err := Parse(bytes.NewReader(embedded))
	if err != nil {
		// The embedded file is part of the binary; TestEmbeddedCatalogParses guards it.
		panic("providers: embedded catalog.yaml: " + err.Error())
	}
	return c
})

// Default returns the catalog embedded in the binary, parsed once.
func Default() *Catalog { return defaultCatalog() }

// LoadFile parses the catalog file at path.
func LoadFile(path string) (*Catalog, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// entry decodes one provider and remembers its line for error messages.
type entry struct {
	p    Provider
	line int
}

// fields are the keys a provider entry may have; anything else is a typo
// that would otherwise be ignored silently.
var fields = map[string]bool{
	"key": true, "id": true, "name": true, "kind": true, "mx": true, "spf": true,
	"dkim": true, "dkim_selectors": true, "autodiscover": true, "tokens": true,
	"reseller_of": true, "notes": true, "source": true, "unconfirmed": true,
	"appliance": true,
}

func (e *entry) UnmarshalYAML(n *yaml.Node) error {
	e.line = n.Line
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a provider entry must be a mapping", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !fields[k.Value] {
			return fmt.Errorf("line %d: unknown field %q", k.Line, k.Value)
		}
	}
	return n.Decode(&e.p)
}

// Parse reads and validates a catalog: every entry needs a key, an id and a
// kind; keys are unique; ids are lower-case [a-z0-9-]; patterns are DNS names
// of at least two labels, and each pattern belongs to one entry per list.
// Patterns are lower-cased and lose a trailing dot. Errors name the entry and
// its line and wrap ErrInvalid or ErrTooLarge.
func Parse(r io.Reader) (*Catalog, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSize {
		return nil, ErrTooLarge
	}
	var f struct {
		Version   string  `yaml:"version"`
		Providers []entry `yaml:"providers"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: empty file", ErrInvalid)
		}
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: more than one YAML document", ErrInvalid)
	}
	if f.Version == "" {
		return nil, fmt.Errorf("%w: missing version", ErrInvalid)
	}
	if hasControl(f.Version, false) {
		return nil, fmt.Errorf("%w: version contains control characters", ErrInvalid)
	}

	c := &Catalog{Version: f.Version, Providers: make([]*Provider, 0, len(f.Providers))}
	keys := make(map[string]int)
	owners := make(map[string]string) // list + "\x00" + pattern -> entry key
	for i := range f.Providers {
		e := &f.Providers[i]
		p := &e.p
		fail := func(format string, args ...any) error {
			name := p.Key
			if name == "" {
				name = fmt.Sprintf("#%d", i+1)
			}
			return fmt.Errorf("%w: line %d: entry %q: %s", ErrInvalid, e.line, name, fmt.Sprintf(format, args...))
		}
		if err := validate(p); err != nil {
			return nil, fail("%v", err)
		}
		if first, dup := keys[p.Key]; dup {
			return nil, fail("duplicate key (first on line %d)", first)
		}
		keys[p.Key] = e.line
		for _, l := range p.lists() {
			for _, pat := range *l.pats {
				k := l.name + "\x00" + pat
				if owner, dup := owners[k]; dup {
					return nil, fail("%s pattern %q is already claimed by %q", l.name, pat, owner)
				}
				owners[k] = p.Key
			}
		}
		c.Providers = append(c.Providers, p)
	}
	c.build(c.Providers)
	return c, nil
}

// list is one pattern list of an entry, named as in the file.
type list struct {
	name string
	pats *[]string
}

// lists returns the entry's indexed pattern lists (tokens included).
func (p *Provider) lists() []list {
	return []list{
		{"mx", &p.MX}, {"spf", &p.SPF}, {"dkim", &p.DKIM},
		{"autodiscover", &p.Autodiscover}, {"tokens", &p.Tokens},
		{"appliance", &p.Appliance},
	}
}

// validate checks one entry and normalises its patterns in place.
func validate(p *Provider) error {
	if p.Key == "" {
		return errors.New("missing key")
	}
	if !validID(p.Key) {
		return fmt.Errorf("key %q: want lower-case letters, digits and hyphens", p.Key)
	}
	if p.ID == "" {
		return errors.New("missing id")
	}
	if !validID(p.ID) {
		return fmt.Errorf("id %q: want lower-case letters, digits and hyphens", p.ID)
	}
	if p.Kind == "" {
		return errors.New("missing kind")
	}
	if !p.Kind.Valid() {
		return fmt.Errorf("kind %q: want mailbox, gateway, forwarding, bulk, hosting or consumer", p.Kind)
	}
	if p.ResellerOf != "" && !validID(p.ResellerOf) {
		return fmt.Errorf("reseller_of %q: want a company id", p.ResellerOf)
	}
	if p.Name == "" {
		p.Name = p.Key
	}
	for _, s := range []string{p.Name, p.Source} {
		if hasControl(s, false) {
			return errors.New("name or source contains control characters")
		}
	}
	if hasControl(p.Notes, true) {
		return errors.New("notes contain control characters")
	}
	for _, l := range p.lists() {
		if l.name == "tokens" || l.name == "appliance" {
			continue
		}
		for i, pat := range *l.pats {
			n, err := normalizePattern(pat)
			if err != nil {
				return fmt.Errorf("%s pattern %q: %v", l.name, pat, err)
			}
			(*l.pats)[i] = n
		}
	}
	for _, sel := range p.DKIMSelectors {
		if err := checkName(lowerASCII(sel), 1); err != nil {
			return fmt.Errorf("dkim selector %q: %v", sel, err)
		}
	}
	for _, t := range p.Tokens {
		if err := checkToken(t); err != nil {
			return fmt.Errorf("token %q: %v", t, err)
		}
	}
	for i, a := range p.Appliance {
		a = lowerASCII(a)
		if !isLabel(a) || a[0] == '-' || a[len(a)-1] == '-' || allDigits(a) || a[len(a)-1] >= '0' && a[len(a)-1] <= '9' {
			return fmt.Errorf("appliance %q: want one host label of letters, digits and hyphens, not ending in a digit", a)
		}
		p.Appliance[i] = a
	}
	return nil
}

// validID accepts the company-id and key alphabet, which is that of a DNS
// label: [a-z0-9-], 1 to 63 bytes.
func validID(s string) bool { return isLabel(s) }

// hasControl reports C0 controls or DEL; newlines pass when allowNewline.
func hasControl(s string, allowNewline bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\n' && allowNewline {
			continue
		}
		if c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

// normalizePattern lower-cases a suffix pattern, drops one trailing dot and
// checks it is a DNS name of two labels or more. A one-label pattern would be
// a whole top-level domain, which is never what a catalog author means.
func normalizePattern(s string) (string, error) {
	if strings.HasPrefix(s, "*.") {
		return "", errors.New("patterns are suffixes already; drop the leading \"*.\"")
	}
	n := lowerASCII(strings.TrimSuffix(s, "."))
	if err := checkName(n, 2); err != nil {
		return "", err
	}
	return n, nil
}

// checkName accepts letters, digits, hyphens and underscores (for names like
// _spf.google.com), labels of 1 to 63 bytes not starting or ending with a
// hyphen, at most 253 bytes and at least minLabels labels.
func checkName(n string, minLabels int) error {
	if n == "" {
		return errors.New("empty name")
	}
	if len(n) > maxName {
		return errors.New("longer than 253 bytes")
	}
	labels := strings.Split(n, ".")
	if len(labels) < minLabels {
		return fmt.Errorf("want at least %d labels", minLabels)
	}
	for _, l := range labels {
		if l == "" {
			return errors.New("empty label")
		}
		if len(l) > 63 {
			return errors.New("label longer than 63 bytes")
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return errors.New("label starts or ends with a hyphen")
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return fmt.Errorf("character %q not allowed", c)
			}
		}
	}
	return nil
}

// checkToken accepts printable ASCII without spaces, up to 128 bytes, with
// exactly one "=" at the end: TXT records are matched on the text up to the
// first "=", which keeps MatchToken a single map probe.
func checkToken(t string) error {
	if len(t) < 2 || len(t) > 128 {
		return errors.New("want 2 to 128 bytes")
	}
	if strings.IndexByte(t, '=') != len(t)-1 {
		return errors.New("want exactly one \"=\", at the end")
	}
	for i := 0; i < len(t); i++ {
		if t[i] <= ' ' || t[i] >= 0x7f {
			return errors.New("want printable ASCII without spaces")
		}
	}
	return nil
}

// build makes the indexes from entries in priority order: when two entries
// claim the same pattern, the later one wins (Parse forbids that within one
// file; Merge relies on it so an overlay beats the base).
func (c *Catalog) build(prio []*Provider) {
	c.byKey = make(map[string]*Provider, len(c.Providers))
	for _, p := range c.Providers {
		c.byKey[p.Key] = p
	}
	c.mx, c.spf, c.dkim, c.autodiscover = index{}, index{}, index{}, index{}
	c.tokens = map[string]*Provider{}
	c.appliances = map[string]*Provider{}
	for _, p := range prio {
		c.mx.add(p, p.MX)
		c.spf.add(p, p.SPF)
		c.dkim.add(p, p.DKIM)
		c.autodiscover.add(p, p.Autodiscover)
		for _, t := range p.Tokens {
			c.tokens[t] = p
		}
		for _, a := range p.Appliance {
			c.appliances[a] = p
		}
	}
}

// Merge returns a new catalog: entries of over replace base entries with the
// same key (in place), other entries of over are appended, and where an entry
// of over claims a pattern of a base entry, over wins. The version becomes
// "<base>+<over>". Neither input is modified.
func (c *Catalog) Merge(over *Catalog) *Catalog {
	if over == nil {
		return c
	}
	if c == nil {
		return over
	}
	out := &Catalog{Version: c.Version + "+" + over.Version}
	var prio []*Provider
	for _, p := range c.Providers {
		if q := over.ByKey(p.Key); q != nil {
			out.Providers = append(out.Providers, q)
			continue
		}
		out.Providers = append(out.Providers, p)
		prio = append(prio, p)
	}
	for _, q := range over.Providers {
		if c.ByKey(q.Key) == nil {
			out.Providers = append(out.Providers, q)
		}
	}
	out.build(append(prio, over.Providers...))
	return out
}

// ByKey returns the entry with that key, or nil.
func (c *Catalog) ByKey(key string) *Provider {
	if c == nil {
		return nil
	}
	return c.byKey[key]
}

// ByID returns the entries of one company, in catalog order.
func (c *Catalog) ByID(id string) []*Provider {
	if c == nil {
		return nil
	}
	var out []*Provider
	for _, p := range c.Providers {
		if p.ID == id {
			out = append(out, p)
		}
	}
	return out
}

// HasID reports whether any entry belongs to company id (for --provider).
func (c *Catalog) HasID(id string) bool {
	if c == nil {
		return false
	}
	for _, p := range c.Providers {
		if p.ID == id {
			return true
		}
	}
	return false
}

// IDs returns the company ids, sorted and unique.
func (c *Catalog) IDs() []string {
	if c == nil {
		return nil
	}
	ids := make([]string, 0, len(c.Providers))
	for _, p := range c.Providers {
		ids = append(ids, p.ID)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// List returns the entries sorted by company id, then key: the order of
// `mxscope providers`. The slice is new; the entries are shared.
func (c *Catalog) List() []*Provider {
	if c == nil {
		return nil
	}
	out := slices.Clone(c.Providers)
	slices.SortStableFunc(out, func(a, b *Provider) int {
		if r := strings.Compare(a.ID, b.ID); r != 0 {
			return r
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// Selectors returns every DKIM selector worth probing, sorted and unique.
func (c *Catalog) Selectors() []string {
	if c == nil {
		return nil
	}
	var out []string
	for _, p := range c.Providers {
		for _, s := range p.DKIMSelectors {
			out = append(out, lowerASCII(s))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
