package resolve

import (
	"context"
	"errors"
	"hash/maphash"
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/miekg/dns"
)

// Querier asks one DNS question. *Client and *Cache implement it; tests use fakes.
type Querier interface {
	Query(ctx context.Context, name string, qtype uint16) Answer
}

// CDQuerier asks with the CD (checking disabled) bit set (RFC 4035
// §3.2.2): a validating resolver then passes on what the authorities said
// without validating it. A SERVFAIL that such a query answers was a DNSSEC
// validation failure (bogus), not a server that is down. *Client and *Cache
// implement it; through a Querier that does not, a Cache answers QueryCD
// with StatusError and ErrNoCD, so bogus is never guessed.
type CDQuerier interface {
	QueryCD(ctx context.Context, name string, qtype uint16) Answer
}

var (
	_ Querier   = (*Cache)(nil)
	_ CDQuerier = (*Cache)(nil)
	_ CDQuerier = (*Client)(nil)
)

// CacheStats counts a Cache's questions.
type CacheStats struct {
	Hits   uint64 // answered without a new query: from the cache or by sharing an identical query in flight
	Misses uint64 // passed on to the Querier
	Shared uint64 // of the Hits, those that waited for an identical query in flight
}

// cacheShards spreads the cache's lock; a power of two.
const cacheShards = 64

// DefaultCacheSize is how many answers a Cache keeps. Names shared by many
// domains (provider MX hosts, SPF includes, _dmarc of parent domains) are
// hundreds, and CLOCK keeps them while one-off per-domain answers pass
// through. Measured on make bench's 100k mix: 65,536 answers held 36 MB of
// live heap that the collector marked on every cycle; 8,192 asked the same
// 304,059 queries in the mx,spf,dmarc mode (1% more, 983,898 against
// 973,309, with every check) and made the scan about a fifth faster.
const DefaultCacheSize = 1 << 13

// DefaultCacheBytes bounds the memory a Cache's answers take, as
// answerSize estimates it. Entries alone do not bound it: an answer can
// hold thousands of records (a 64 KB TXT answer of 3,500 short strings
// takes about 450 KB once parsed), and 8,192 of those would take gigabytes.
// Measured on make bench's 100k mix, 8,192 ordinary answers take about
// 4.5 MB; 16 MiB leaves room for the larger ones shared by many domains.
// An answer bigger than a quarter of a shard's share is not kept at all.
const DefaultCacheBytes = 16 << 20

// Cache remembers answers for the life of a scan (no TTLs: a scan is short,
// and one answer per name keeps the report consistent) and collapses
// concurrent identical questions into one query. It keeps at most its size
// in answers and its byte limit in their estimated memory, evicting with
// the CLOCK algorithm: an answer used again since the hand last passed
// survives, so names shared by many domains stay while one-off names make
// way. An answer too big to keep is still shared by everyone who asked for
// it while it was in flight. Failures are cached like
// answers, after the Client's retries, so a broken name costs its timeout
// once per scan, not once per domain that mentions it. The only answers not
// cached are those cut short by the caller's context ending (or by the
// Querier closing): the next caller asks again. It is safe for concurrent use.
type Cache struct {
	q      Querier
	seed   maphash.Seed
	shards [cacheShards]cacheShard
	front  Interceptor // nil: none (see Intercept)

	hits, misses, shared atomic.Uint64
}

// A shard's map is keyed by the 64-bit hash of the key that also picks the
// shard, and the entry holds its key to confirm a hit, rather than by the
// (name, type) struct, which every map operation hashed and compared again:
// on make bench's 100k scan the change took the CPU from 4.24 to 3.87 s
// (medians of 5 alternated runs). Two keys with one hash are not cached
// side by side; the second is asked without the cache (see Query).
type cacheShard struct {
	mu       sync.Mutex
	m        map[uint64]*entry
	ring     []slot // entries in insertion order, for CLOCK eviction; e nil: free
	hand     int
	max      int // ring capacity; 0 means unbounded
	bytes    int // estimated memory of the answers held
	maxBytes int // 0 means unbounded
	evicted  int // evictions since m was last rebuilt
}

// slot is a place on the CLOCK ring. It holds the entry as well as its
// key's hash, so that the sweep reads the entry's flags without a map
// lookup per slot.
type slot struct {
	h uint64
	e *entry
}

// insert adds e under hash h, first evicting one answer if the shard is
// full. The caller holds sh.mu.
func (sh *cacheShard) insert(h uint64, e *entry) {
	sh.m[h] = e
	if sh.max == 0 {
		return
	}
	if len(sh.ring) < sh.max {
		sh.ring = append(sh.ring, slot{h, e})
		return
	}
	i := sh.evict()
	if i < 0 {
		// Everything is in flight: the ring grows for now, by at most
		// the queries in flight.
		sh.ring = append(sh.ring, slot{h, e})
		return
	}
	sh.ring[i] = slot{h, e}
	if sh.evicted >= 8*sh.max {
		sh.rebuild()
	}
}

// evict frees one slot of the ring and returns its index, or -1 when
// every answer is in flight. It sweeps from the hand: a free slot is taken
// at once; answers still in flight are skipped, and those used since the
// last sweep get a second chance, so two turns find a victim unless
// everything is in flight. The caller holds sh.mu.
func (sh *cacheShard) evict() int {
	for range 2 * len(sh.ring) {
		i := sh.hand
		sh.hand = (sh.hand + 1) % len(sh.ring)
		old := sh.ring[i]
		if old.e == nil {
			return i
		}
		if old.e.inflight() || old.e.ref.Swap(false) {
			continue
		}
		// A withdrawn entry is no longer in the map, which may hold a
		// newer one under its key: leave that.
		if !old.e.withdrawn && sh.m[old.h] == old.e {
			delete(sh.m, old.h)
			sh.evicted++
		}
		sh.bytes -= old.e.size
		sh.ring[i] = slot{}
		return i
	}
	return -1
}

// keep accounts for the settled answer of e, which is on the ring, and
// evicts others while the shard holds more than its bytes. It reports
// false when the answer is too big to keep: more than a quarter of the
// shard's bytes. The caller holds sh.mu.
func (sh *cacheShard) keep(e *entry, size int) bool {
	if sh.maxBytes == 0 {
		return true
	}
	if size > sh.maxBytes/4 {
		return false
	}
	e.size = size
	sh.bytes += size
	for sh.bytes > sh.maxBytes && sh.evict() >= 0 {
	}
	return true
}

// withdraw takes e out of the map and off the ring, so that neither keeps
// its answer: e went on the ring when its query started, and a slot left
// there would hold an answer too big to keep until the hand came round,
// past the bound in bytes. The caller holds sh.mu.
func (sh *cacheShard) withdraw(h uint64, e *entry) {
	if sh.m[h] == e {
		delete(sh.m, h)
	}
	e.withdrawn = true
	for i := range sh.ring {
		if sh.ring[i].e == e {
			sh.bytes -= e.size
			sh.ring[i] = slot{}
			break
		}
	}
	e.size = 0
}

// rebuild copies the shard's map into a fresh one. A Go map that sees
// millions of inserts and deletes at a constant size can keep deleted
// slots' tombstones in its probe sequences, and a long scan does exactly
// that to every shard; rebuilding every 8 turns of the ring costs one
// insert per 8 evictions.
func (sh *cacheShard) rebuild() {
	m := make(map[uint64]*entry, len(sh.m))
	for k, e := range sh.m {
		m[k] = e
	}
	sh.m, sh.evicted = m, 0
}

type cacheKey struct {
	name  string // lower-case, no trailing dot
	qtype uint16
	cd    bool // asked with checking disabled (QueryCD)
}

// entry is an answer, or a query in flight while done is open.
type entry struct {
	key   cacheKey
	done  chan struct{}
	ans   Answer      // set before done is closed
	retry bool        // the answer was not cacheable: waiters ask again
	ref   atomic.Bool // used since the CLOCK hand last passed
	// settled is set just before done is closed. The eviction sweep reads
	// it rather than polling done: the entries it passes are cold, and this
	// saves touching the channel's memory too.
	settled atomic.Bool
	// withdrawn: the entry was taken out of the map (its answer was not
	// cacheable, or too big to keep). Guarded by the shard's mu.
	withdrawn bool
	size      int // the answer's estimated memory, counted in the shard's bytes; guarded by its mu
}

func (e *entry) inflight() bool { return !e.settled.Load() }

// NewCache returns an empty cache of DefaultCacheSize in front of q.
func NewCache(q Querier) *Cache { return NewCacheSize(q, DefaultCacheSize) }

// NewCacheSize returns an empty cache in front of q that keeps about size
// answers (0: no limit) within DefaultCacheBytes.
func NewCacheSize(q Querier, size int) *Cache { return NewCacheLimits(q, size, DefaultCacheBytes) }

// NewCacheLimits returns an empty cache in front of q that keeps about size
// answers and about bytes of their estimated memory (0: no limit; the
// byte limit needs a size limit).
func NewCacheLimits(q Querier, size, bytes int) *Cache {
	c := &Cache{q: q, seed: maphash.MakeSeed()}
	per, perBytes := 0, 0
	if size > 0 {
		per = max(1, size/cacheShards)
		if bytes > 0 {
			perBytes = max(1, bytes/cacheShards)
		}
	}
	for i := range c.shards {
		c.shards[i].m = make(map[uint64]*entry)
		c.shards[i].max = per
		c.shards[i].maxBytes = perBytes
	}
	return c
}

// Stats returns the hit and miss counters.
func (c *Cache) Stats() CacheStats {
	return CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Shared: c.shared.Load()}
}

// Interceptor stands in front of a Cache (see Cache.Intercept): it is asked
// every question, with next the cache's own way of answering it.
type Interceptor func(ctx context.Context, name string, qtype uint16, next Querier) Answer

// Intercept puts f in front of the cache: every Query, the Lookup methods'
// included, asks f, which may pass the question on to next (the cache
// itself), look at the answer, or answer from elsewhere. The scanner uses it
// to keep the answers each domain used (an evidence file) and to answer each
// domain from its evidence (replay). Call it before the cache is used.
func (c *Cache) Intercept(f Interceptor) { c.front = f }

// cached is the cache without its interceptor: the next an Interceptor gets.
type cached struct{ c *Cache }

func (x cached) Query(ctx context.Context, name string, qtype uint16) Answer {
	return x.c.query(ctx, name, qtype)
}

// Query answers from the cache, or asks the Querier once for everyone asking
// the same (name, qtype) meanwhile. A caller whose ctx ends stops waiting at
// once (StatusError wrapping ctx.Err()); the query itself runs on the ctx
// of the caller who started it. The returned Answer is shared: do not
// modify its slices.
func (c *Cache) Query(ctx context.Context, name string, qtype uint16) Answer {
	if c.front != nil {
		return c.front(ctx, name, qtype, cached{c})
	}
	return c.query(ctx, name, qtype)
}

func (c *Cache) query(ctx context.Context, name string, qtype uint16) Answer {
	// The key is the name lower-cased without its trailing dot: for the
	// names callers pass (already lower-case, no dot) that costs no
	// allocation, where adding the dot cost one per question, hits included.
	return c.queryKey(ctx, cacheKey{bare(asciiLower(name)), qtype, false})
}

// QueryCD is Query with the CD bit set (see CDQuerier), cached apart from
// the same question asked without it. It does not pass through the
// Interceptor, whose questions have no CD bit: a caller that records or
// replays answers handles these questions itself (the scanner does).
func (c *Cache) QueryCD(ctx context.Context, name string, qtype uint16) Answer {
	return c.queryKey(ctx, cacheKey{bare(asciiLower(name)), qtype, true})
}

func (c *Cache) queryKey(ctx context.Context, key cacheKey) Answer {
	h := c.hash(key)
	sh := &c.shards[h&(cacheShards-1)]
	for {
		sh.mu.Lock()
		e := sh.m[h]
		if e == nil {
			e = &entry{key: key, done: make(chan struct{})}
			sh.insert(h, e)
			sh.mu.Unlock()
			c.misses.Add(1)
			return c.fill(ctx, sh, h, e)
		}
		sh.mu.Unlock()
		if e.key != key {
			// Another key with this hash holds the place (about one
			// chance in 2^64 per pair): ask without the cache.
			c.misses.Add(1)
			return c.ask(ctx, key)
		}
		e.ref.Store(true)
		select {
		case <-e.done:
			if !e.retry {
				c.hits.Add(1)
				return e.ans
			}
			// the query was cut short by its caller's context; try again
			// (or return if ours ended too)
			if err := ctx.Err(); err != nil {
				return ctxAnswer(err)
			}
			continue
		default:
		}
		select {
		case <-e.done:
			if !e.retry {
				c.hits.Add(1)
				c.shared.Add(1)
				return e.ans
			}
			if err := ctx.Err(); err != nil {
				return ctxAnswer(err)
			}
		case <-ctx.Done():
			return ctxAnswer(ctx.Err())
		}
	}
}

// hash picks key's shard and is its key in the shard's map.
func (c *Cache) hash(key cacheKey) uint64 {
	h := maphash.String(c.seed, key.name) ^ uint64(key.qtype)*0x9e3779b97f4a7c15
	if key.cd {
		h ^= 0xc2b2ae3d27d4eb4f
	}
	return h
}

// ask puts key's question to the Querier, which is asked canonical names.
func (c *Cache) ask(ctx context.Context, key cacheKey) Answer {
	if !key.cd {
		return c.q.Query(ctx, dns.Fqdn(key.name), key.qtype)
	}
	return QueryCD(ctx, c.q, dns.Fqdn(key.name), key.qtype)
}

// QueryCD asks q with checking disabled when q can (CDQuerier); otherwise
// its answer is StatusError with ErrNoCD, so that bogus is never guessed.
func QueryCD(ctx context.Context, q Querier, name string, qtype uint16) Answer {
	if cq, ok := q.(CDQuerier); ok {
		return cq.QueryCD(ctx, name, qtype)
	}
	return failed(StatusError, ErrNoCD)
}

// fill runs the query for e and publishes its answer. If the Querier panics,
// the entry is withdrawn so that other callers do not wait forever.
func (c *Cache) fill(ctx context.Context, sh *cacheShard, h uint64, e *entry) Answer {
	keep := false
	defer func() {
		if !keep { // not cacheable, or the Querier panicked
			sh.mu.Lock()
			sh.withdraw(h, e)
			sh.mu.Unlock()
			e.retry = true
		}
		e.settled.Store(true)
		close(e.done)
	}()
	a := c.ask(ctx, e.key)
	e.ans = a
	keep = cacheable(ctx, a)
	if keep {
		size := answerSize(&a)
		sh.mu.Lock()
		if !sh.keep(e, size) {
			// Too big to keep: those already waiting share it, later
			// callers ask again.
			sh.withdraw(h, e)
		}
		sh.mu.Unlock()
	}
	return a
}

// answerSize estimates the memory an answer holds: per record its parsed
// form (the RR, its header, its place in the slice, its strings) at about
// 128 bytes plus twice its wire data, and the CNAME chain's names. Exact
// sizes depend on the record type; the estimate errs high for the small
// records that make up hostile answers (3,500 TXT strings of four bytes
// take about 140 bytes each).
func answerSize(a *Answer) int {
	n := 128
	for _, rr := range a.Records {
		n += 128 + 2*int(rr.Header().Rdlength)
	}
	for _, s := range a.CNAMEs {
		n += 32 + len(s)
	}
	return n
}

// cacheable reports whether a is about DNS rather than about this caller:
// not cut short by ctx ending or by the client closing.
func cacheable(ctx context.Context, a Answer) bool {
	if errors.Is(a.Err, context.Canceled) || errors.Is(a.Err, context.DeadlineExceeded) || errors.Is(a.Err, ErrClosed) {
		return false
	}
	if ctx.Err() != nil && (a.Status == StatusError || a.Status == StatusTimeout) {
		return false
	}
	return true
}

// lookup applies the void convention: records for StatusOK; nil, nil for
// NXDOMAIN and NODATA; an *Error for anything else.
func (c *Cache) lookup(ctx context.Context, name string, qtype uint16) ([]dns.RR, error) {
	a := c.Query(ctx, name, qtype)
	switch a.Status {
	case StatusOK:
		return a.Records, nil
	case StatusNXDomain, StatusNoData:
		return nil, nil
	}
	return nil, &Error{Name: bare(canonical(name)), Type: qtype, Status: a.Status, Err: a.Err}
}

// LookupTXT returns the TXT records of name, each as the raw bytes of its
// character-strings concatenated with nothing (see TXTString). NXDOMAIN or
// NODATA give (nil, nil); other failures an *Error.
func (c *Cache) LookupTXT(ctx context.Context, name string) ([]string, error) {
	rrs, err := c.lookup(ctx, name, dns.TypeTXT)
	if err != nil || len(rrs) == 0 {
		return nil, err
	}
	out := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		if t, ok := rr.(*dns.TXT); ok {
			out = append(out, TXTString(t))
		}
	}
	return out, nil
}

// LookupA returns the IPv4 addresses of name, with the void convention of LookupTXT.
func (c *Cache) LookupA(ctx context.Context, name string) ([]netip.Addr, error) {
	rrs, err := c.lookup(ctx, name, dns.TypeA)
	if err != nil || len(rrs) == 0 {
		return nil, err
	}
	out := make([]netip.Addr, 0, len(rrs))
	for _, rr := range rrs {
		if a, ok := rr.(*dns.A); ok {
			if ip, ok := netip.AddrFromSlice(a.A); ok {
				out = append(out, ip.Unmap())
			}
		}
	}
	return out, nil
}

// LookupAAAA returns the IPv6 addresses of name, with the void convention of LookupTXT.
func (c *Cache) LookupAAAA(ctx context.Context, name string) ([]netip.Addr, error) {
	rrs, err := c.lookup(ctx, name, dns.TypeAAAA)
	if err != nil || len(rrs) == 0 {
		return nil, err
	}
	out := make([]netip.Addr, 0, len(rrs))
	for _, rr := range rrs {
		if a, ok := rr.(*dns.AAAA); ok {
			if ip, ok := netip.AddrFromSlice(a.AAAA); ok && ip.Is6() {
				out = append(out, ip)
			}
		}
	}
	return out, nil
}

// LookupMX returns the exchange names of name's MX records, lower-case
// without trailing dot, most preferred first (ties by name). A null MX
// (RFC 7505, exchange ".") appears as ".". Void convention as LookupTXT.
func (c *Cache) LookupMX(ctx context.Context, name string) ([]string, error) {
	rrs, err := c.lookup(ctx, name, dns.TypeMX)
	if err != nil || len(rrs) == 0 {
		return nil, err
	}
	mxs := make([]*dns.MX, 0, len(rrs))
	for _, rr := range rrs {
		if mx, ok := rr.(*dns.MX); ok {
			mxs = append(mxs, mx)
		}
	}
	sort.SliceStable(mxs, func(i, j int) bool {
		if mxs[i].Preference != mxs[j].Preference {
			return mxs[i].Preference < mxs[j].Preference
		}
		return asciiLower(mxs[i].Mx) < asciiLower(mxs[j].Mx)
	})
	out := make([]string, len(mxs))
	for i, mx := range mxs {
		out[i] = bare(canonical(mx.Mx))
	}
	return out, nil
}

// LookupPTR returns the names ip points back to, lower-case without
// trailing dot. Void convention as LookupTXT.
func (c *Cache) LookupPTR(ctx context.Context, ip netip.Addr) ([]string, error) {
	if !ip.IsValid() {
		return nil, &Error{Name: "invalid IP", Type: dns.TypePTR, Status: StatusError, Err: ErrBadName}
	}
	rev, err := dns.ReverseAddr(ip.Unmap().WithZone("").String())
	if err != nil {
		return nil, &Error{Name: ip.String(), Type: dns.TypePTR, Status: StatusError, Err: err}
	}
	rrs, err := c.lookup(ctx, rev, dns.TypePTR)
	if err != nil || len(rrs) == 0 {
		return nil, err
	}
	out := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		if p, ok := rr.(*dns.PTR); ok {
			out = append(out, bare(canonical(p.Ptr)))
		}
	}
	return out, nil
}
