package spf

import "sync"

// Parsed remembers what Parse made of each record text, so that a scan of
// many domains parses a shared record once. _spf.google.com, and the
// include records under it, stand in the tree of every Google-hosted
// domain; parsing them again for each domain was, measured, half the bytes
// a scan allocated. Records are never modified after Parse, so one *Record
// can serve every walk. It holds at most its size in records, and forgets
// them all when full: the shared records come straight back, and a scan of
// a million one-off records cannot grow it. It is safe for concurrent use;
// the zero value is not: use NewParsed.
type Parsed struct {
	mu  sync.Mutex
	m   map[string]parsed
	max int
}

type parsed struct {
	rec *Record
	err error
}

// NewParsed returns an empty memo that keeps up to size records.
func NewParsed(size int) *Parsed {
	return &Parsed{m: make(map[string]parsed), max: max(size, 1)}
}

// Parse returns Parse(record), from the memo when the same text was parsed
// before. The *Record returned is shared: do not modify it.
func (p *Parsed) Parse(record string) (*Record, error) {
	if p == nil {
		return Parse(record)
	}
	p.mu.Lock()
	v, ok := p.m[record]
	p.mu.Unlock()
	if ok {
		return v.rec, v.err
	}
	rec, err := Parse(record)
	p.mu.Lock()
	if len(p.m) >= p.max {
		clear(p.m)
	}
	p.m[record] = parsed{rec, err}
	p.mu.Unlock()
	return rec, err
}
