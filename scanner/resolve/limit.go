package resolve

import (
	"context"
	"math"
	"sync"
	"time"
)

// bucket is a token bucket: rate tokens a second, holding at most burst.
// Callers reserve a token and wait until it is theirs; reserving rather than
// polling means waiters are served in order and nobody spins.
type bucket struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	burst  float64
	tokens float64 // may go negative: tokens promised to waiting callers
	last   time.Time
	now    func() time.Time // time.Now; a fake clock in tests
}

// newBucket returns a full bucket. The burst is 50ms worth of tokens (at
// least one), so a high cap does not need a timer per query while a second
// never sees more than rate×1.05 queries.
func newBucket(rate float64, now func() time.Time) *bucket {
	burst := math.Max(1, math.Floor(rate/20))
	return &bucket{rate: rate, burst: burst, tokens: burst, last: now(), now: now}
}

// reserve takes a token and returns how long the caller must wait before
// using it (0: now).
func (b *bucket) reserve() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = math.Min(b.burst, b.tokens+elapsed.Seconds()*b.rate)
		b.last = now
	}
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(math.Ceil(-b.tokens / b.rate * float64(time.Second)))
}

// cancel returns a token reserved by a caller who gave up waiting.
func (b *bucket) cancel() {
	b.mu.Lock()
	b.tokens = math.Min(b.burst, b.tokens+1)
	b.mu.Unlock()
}

// wait reserves a token and sleeps until it is due; it returns ctx's error if
// ctx ends first and errClosed if done is closed first, giving the token back.
// throttled is called when the caller has to wait at all.
func (b *bucket) wait(ctx context.Context, done <-chan struct{}, throttled func()) error {
	d := b.reserve()
	if d <= 0 {
		return nil
	}
	throttled()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		b.cancel()
		return ctx.Err()
	case <-done:
		b.cancel()
		return ErrClosed
	}
}
