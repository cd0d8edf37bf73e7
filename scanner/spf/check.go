package spf

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Outcome is what CheckHost found.
type Outcome struct {
	Result Result
	// Explanation is the expanded exp= text; only a fail has one, and only
	// when the exp= target yields exactly one well-formed TXT record (§6.2).
	Explanation string
	// Mechanism is the term that decided the result, as written ("-all",
	// "include:_spf.example.com"); "" when none matched.
	Mechanism string
	// Err is the cause of none, temperror and permerror; nil otherwise.
	Err error
	// Lookups counts the DNS-querying terms evaluated (§4.6.4).
	Lookups int
	// VoidLookups counts the terms whose query found no name or no records.
	VoidLookups int
}

// Option configures CheckHost.
type Option func(*checkConfig)

type checkConfig struct {
	helo      string
	receiver  string
	now       time.Time
	voidLimit int
}

// WithHELO gives the HELO/EHLO name, the value of %{h}.
func WithHELO(helo string) Option { return func(c *checkConfig) { c.helo = helo } }

// WithReceiver gives the name of the host doing the check, the value of
// %{r} in explanations ("unknown" when not given).
func WithReceiver(host string) Option { return func(c *checkConfig) { c.receiver = host } }

// WithTime fixes the time %{t} expands to (default: now).
func WithTime(t time.Time) Option { return func(c *checkConfig) { c.now = t } }

// WithVoidLimit changes the void lookup limit from MaxVoidLookups; RFC 7208
// §4.6.4 allows it to be configurable. A negative n removes the limit.
func WithVoidLimit(n int) Option { return func(c *checkConfig) { c.voidLimit = n } }

// CheckHost evaluates check_host(ip, domain, sender) of RFC 7208 §4: it
// fetches domain's record through r and evaluates it left to right for the
// client address ip, following include: and redirect=, within the lookup
// limits of §4.6.4. sender is the MAIL FROM address; without a local-part
// it stands for "postmaster", and an empty sender means "postmaster@" +
// domain (as for a null reverse-path checked against the HELO name).
//
// CheckHost always returns an Outcome; DNS failures are temperror, never a
// Go error. An overall time limit (§4.6.4 suggests at least 20 seconds) is
// the caller's ctx: when it ends the result is temperror.
func CheckHost(ctx context.Context, r Resolver, ip netip.Addr, domain, sender string, opts ...Option) Outcome {
	cfg := checkConfig{voidLimit: MaxVoidLookups}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.now.IsZero() {
		cfg.now = time.Now()
	}
	c := &checker{ctx: ctx, r: r, ip: ip.Unmap(), cfg: cfg}
	if !c.ip.IsValid() {
		return Outcome{Result: ResultNone, Err: ErrInvalidIP}
	}
	local, sdomain, found := cutLast(sender, '@')
	if !found {
		local, sdomain = "", sender
	}
	if sdomain == "" {
		sdomain = domain
	}
	if local == "" {
		local = "postmaster" // §4.3
	}
	c.env = macroEnv{
		sender:   local + "@" + sdomain,
		local:    local,
		sdomain:  sdomain,
		ip:       c.ip,
		helo:     cfg.helo,
		receiver: cfg.receiver,
		now:      cfg.now,
	}
	res, mech, exp, err := c.checkHost(domain, true, false)
	return Outcome{
		Result:      res,
		Explanation: exp,
		Mechanism:   mech,
		Err:         err,
		Lookups:     c.lookups,
		VoidLookups: c.voids,
	}
}

// cutLast splits s around the last sep.
func cutLast(s string, sep byte) (before, after string, found bool) {
	if i := strings.LastIndexByte(s, sep); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

// checker holds the state of one check_host() evaluation, shared by the
// nested evaluations of include and redirect: the limits count across all.
type checker struct {
	ctx     context.Context
	r       Resolver
	ip      netip.Addr
	cfg     checkConfig
	env     macroEnv
	lookups int
	voids   int
	pnames  map[string]string // %{p} per domain: a record may use it many times
}

// checkHost evaluates the record of one domain. wantExp is set for the
// evaluation whose fail is the final result (the top level and redirect
// targets, never include targets, §6.2). nested marks include and redirect
// targets, whose missing record counts as a void lookup.
func (c *checker) checkHost(domain string, wantExp, nested bool) (res Result, mech, exp string, err error) {
	name, ok := validDomain(domain)
	if !ok {
		return ResultNone, "", "", fmt.Errorf("%w %+q", ErrInvalidDomain, domain)
	}
	txts, err := c.lookupTXT(name)
	if err != nil {
		return ResultTemperror, "", "", err
	}
	if len(txts) == 0 && nested {
		if err := c.void(name); err != nil {
			return ResultPermerror, "", "", err
		}
	}
	rec, err := Select(txts)
	if errors.Is(err, ErrNoRecord) {
		return ResultNone, "", "", fmt.Errorf("%w at %s", err, name)
	}
	if err != nil {
		return ResultPermerror, "", "", fmt.Errorf("%w at %s", err, name)
	}
	parsed, err := Parse(rec)
	if err != nil {
		return ResultPermerror, "", "", err
	}
	env := c.env
	env.domain = name
	env.ptr = func() string { return c.validatedName(name) }

	for i := range parsed.Mechanisms {
		m := &parsed.Mechanisms[i]
		if m.Kind.lookupKind() {
			if err := c.countLookup(m.Term); err != nil {
				return ResultPermerror, m.Term, "", err
			}
		}
		matched, res, err := c.match(m, &env)
		if err != nil {
			return res, m.Term, "", err
		}
		if !matched {
			continue
		}
		res = m.Qualifier.Result()
		if res == ResultFail && wantExp && parsed.expSpec != nil {
			exp = c.explain(parsed.expSpec, &env)
		}
		return res, m.Term, exp, nil
	}

	if parsed.redirectSpec == nil {
		return ResultNeutral, "", "", nil // §4.7
	}
	term := "redirect=" + parsed.Redirect
	if err := c.countLookup(term); err != nil {
		return ResultPermerror, "", "", err
	}
	target, ok := c.target(parsed.redirectSpec, &env)
	if !ok {
		return ResultPermerror, "", "", fmt.Errorf("%w: %s names no valid domain", ErrTargetNoRecord, term)
	}
	// The redirect target's own exp= applies, never this record's (§6.2).
	res, mech, exp, err = c.checkHost(target, wantExp, true)
	switch res {
	case ResultNone:
		return ResultPermerror, mech, "", fmt.Errorf("%w: %s: %w", ErrTargetNoRecord, term, err)
	case ResultTemperror, ResultPermerror:
		return res, mech, "", fmt.Errorf("%w (via %s)", err, term)
	}
	return res, mech, exp, err
}

// match evaluates one mechanism. When err is set, res says whether it is a
// temperror or a permerror.
func (c *checker) match(m *Mechanism, env *macroEnv) (matched bool, res Result, err error) {
	switch m.Kind {
	case KindAll:
		return true, "", nil
	case KindIP4, KindIP6:
		return m.Prefix.Contains(c.ip), "", nil
	}
	target, ok := env.domain, true
	if m.spec != nil {
		target, ok = c.target(m.spec, env)
	}
	if !ok {
		// A target no query can carry matches nothing (§4.3, §4.8; the
		// suite allows fail or permerror here).
		return false, "", nil
	}
	switch m.Kind {
	case KindInclude:
		res, _, _, err := c.checkHost(target, false, true)
		switch res {
		case ResultPass:
			return true, "", nil
		case ResultTemperror, ResultPermerror:
			return false, res, fmt.Errorf("%w (via %s)", err, m.Term)
		case ResultNone:
			return false, ResultPermerror, fmt.Errorf("%w: %s: %w", ErrTargetNoRecord, m.Term, err)
		}
		return false, "", nil // fail, softfail, neutral: no match (§5.2)

	case KindA:
		addrs, err := c.lookupAddrs(target)
		if err != nil {
			return false, ResultTemperror, err
		}
		if len(addrs) == 0 {
			return false, ResultPermerror, c.void(target)
		}
		return c.inNetworks(addrs, m), "", nil

	case KindMX:
		hosts, err := c.lookupMX(target)
		if err != nil {
			return false, ResultTemperror, err
		}
		if len(hosts) == 0 {
			return false, ResultPermerror, c.void(target)
		}
		if len(hosts) > maxMXNames {
			return false, ResultPermerror, fmt.Errorf("%w: %s has %d", ErrTooManyMX, target, len(hosts))
		}
		for _, h := range hosts {
			h = strings.TrimSuffix(h, ".")
			if h == "" {
				continue // null MX (RFC 7505): no host to match
			}
			addrs, err := c.lookupAddrs(h)
			if err != nil {
				return false, ResultTemperror, err
			}
			if c.inNetworks(addrs, m) {
				return true, "", nil
			}
		}
		return false, "", nil

	case KindPTR:
		names, void, err := c.ptrNames()
		if err != nil {
			return false, "", nil // a failed PTR lookup does not match (§5.5)
		}
		if void {
			return false, ResultPermerror, c.void(c.ip.String())
		}
		for _, n := range names {
			if isSubdomain(n, target) && c.validates(n) {
				return true, "", nil
			}
		}
		return false, "", nil

	case KindExists:
		addrs, err := c.lookupA(target) // A, whatever the client's family (§5.7)
		if err != nil {
			return false, ResultTemperror, err
		}
		if len(addrs) == 0 {
			return false, ResultPermerror, c.void(target)
		}
		return true, "", nil
	}
	return false, ResultPermerror, fmt.Errorf("%w %+q: unknown mechanism", ErrSyntax, m.Term)
}

// inNetworks reports whether the client is in the network of any address,
// with the mechanism's prefix length for its family.
func (c *checker) inNetworks(addrs []netip.Addr, m *Mechanism) bool {
	bits := m.CIDR6
	if c.ip.Is4() {
		bits = m.CIDR4
	}
	for _, a := range addrs {
		a = a.Unmap()
		if a.Is4() != c.ip.Is4() {
			continue
		}
		if p, err := a.Prefix(bits); err == nil && p.Contains(c.ip) {
			return true
		}
	}
	return false
}

// countLookup counts one DNS-querying term against MaxLookups.
func (c *checker) countLookup(term string) error {
	c.lookups++
	if c.lookups > MaxLookups {
		return fmt.Errorf("%w: %s is lookup %d", ErrTooManyLookups, term, c.lookups)
	}
	return nil
}

// void counts a lookup that found nothing. It returns an error only when the
// limit is passed; a void answer under the limit is simply no match.
func (c *checker) void(name string) error {
	c.voids++
	if c.cfg.voidLimit >= 0 && c.voids > c.cfg.voidLimit {
		return fmt.Errorf("%w: %s is void lookup %d", ErrTooManyVoidLookups, name, c.voids)
	}
	return nil
}

// target expands a domain-spec into a name to query.
func (c *checker) target(spec macroString, env *macroEnv) (string, bool) {
	s, err := spec.expand(env)
	if err != nil {
		return "", false
	}
	return targetName(s)
}

// explain builds the explanation of §6.2. Any trouble — an unusable name, a
// DNS error, not exactly one record, a syntax error in its text — means no
// explanation, as if exp= were absent.
func (c *checker) explain(spec macroString, env *macroEnv) string {
	name, ok := c.target(spec, env)
	if !ok {
		return ""
	}
	txts, err := c.lookupTXT(name)
	if err != nil || len(txts) != 1 {
		return ""
	}
	text, err := parseMacroString(txts[0], true)
	if err != nil {
		return ""
	}
	s, err := text.expand(env)
	if err != nil {
		return ""
	}
	return s
}

// ptrNames returns the first maxPTRNames names of the client address; the
// rest are ignored (§4.6.4).
func (c *checker) ptrNames() (names []string, void bool, err error) {
	if err := c.ctx.Err(); err != nil {
		return nil, false, err
	}
	names, err = c.r.LookupPTR(c.ctx, c.ip)
	if err != nil {
		return nil, false, err
	}
	if len(names) == 0 {
		return nil, true, nil
	}
	if len(names) > maxPTRNames {
		names = names[:maxPTRNames]
	}
	out := make([]string, len(names)) // the resolver's slice may be shared by its cache
	for i, n := range names {
		out[i] = strings.TrimSuffix(n, ".")
	}
	return out, false, nil
}

// validates reports whether name has an address equal to the client's
// (forward-confirmed reverse DNS). Errors just mean "no" (§5.5).
func (c *checker) validates(name string) bool {
	addrs, err := c.lookupAddrs(name)
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if a.Unmap() == c.ip {
			return true
		}
	}
	return false
}

// validatedName is %{p} (§7.3): a validated reverse name of the client,
// preferring the domain itself, then a subdomain of it, then any other;
// "unknown" when none validates.
func (c *checker) validatedName(domain string) string {
	if p, ok := c.pnames[domain]; ok {
		return p
	}
	p := c.findValidatedName(domain)
	if c.pnames == nil {
		c.pnames = map[string]string{}
	}
	c.pnames[domain] = p
	return p
}

func (c *checker) findValidatedName(domain string) string {
	names, _, err := c.ptrNames()
	if err != nil {
		return "unknown"
	}
	var exact, sub, other []string
	for _, n := range names {
		switch {
		case strings.EqualFold(n, domain):
			exact = append(exact, n)
		case isSubdomain(n, domain):
			sub = append(sub, n)
		default:
			other = append(other, n)
		}
	}
	for _, group := range [][]string{exact, sub, other} {
		for _, n := range group {
			if c.validates(n) {
				return n
			}
		}
	}
	return "unknown"
}

// isSubdomain reports whether name is domain or lies under it, ignoring case.
func isSubdomain(name, domain string) bool {
	name, domain = strings.TrimSuffix(name, "."), strings.TrimSuffix(domain, ".")
	if len(name) < len(domain) || !strings.EqualFold(name[len(name)-len(domain):], domain) {
		return false
	}
	return len(name) == len(domain) || name[len(name)-len(domain)-1] == '.'
}

// validDomain checks a domain given to check_host() (§4.3): at most 253
// bytes, several labels of 1 to 63 visible ASCII bytes, and a top-level
// label that could be one (not numeric, no brackets of a domain literal).
func validDomain(d string) (string, bool) {
	d = strings.TrimSuffix(d, ".")
	if d == "" || len(d) > 253 {
		return "", false
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 || !isTopLabel(labels[len(labels)-1]) {
		return "", false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return "", false
		}
		for i := 0; i < len(l); i++ {
			if l[i] < 0x21 || l[i] > 0x7e {
				return "", false
			}
		}
	}
	return d, true
}

// The lookup helpers check the context first, so an evaluation stops soon
// after its deadline, and turn resolver errors into temperror causes.

func (c *checker) lookupTXT(name string) ([]string, error) {
	if err := c.ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: txt %s: %w", ErrDNS, name, err)
	}
	txts, err := c.r.LookupTXT(c.ctx, name)
	if err != nil {
		return nil, fmt.Errorf("%w: txt %s: %w", ErrDNS, name, err)
	}
	return txts, nil
}

func (c *checker) lookupA(name string) ([]netip.Addr, error) {
	if err := c.ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: a %s: %w", ErrDNS, name, err)
	}
	addrs, err := c.r.LookupA(c.ctx, name)
	if err != nil {
		return nil, fmt.Errorf("%w: a %s: %w", ErrDNS, name, err)
	}
	return addrs, nil
}

// lookupAddrs asks for the addresses of the client's family: A for an IPv4
// client, AAAA for IPv6 (§5.3).
func (c *checker) lookupAddrs(name string) ([]netip.Addr, error) {
	if c.ip.Is4() {
		return c.lookupA(name)
	}
	if err := c.ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: aaaa %s: %w", ErrDNS, name, err)
	}
	addrs, err := c.r.LookupAAAA(c.ctx, name)
	if err != nil {
		return nil, fmt.Errorf("%w: aaaa %s: %w", ErrDNS, name, err)
	}
	return addrs, nil
}

func (c *checker) lookupMX(name string) ([]string, error) {
	if err := c.ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: mx %s: %w", ErrDNS, name, err)
	}
	hosts, err := c.r.LookupMX(c.ctx, name)
	if err != nil {
		return nil, fmt.Errorf("%w: mx %s: %w", ErrDNS, name, err)
	}
	return hosts, nil
}
