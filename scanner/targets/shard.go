package targets

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// Shard names one of N parts of a targets list, K counting from 0, so that
// N processes reading the same file scan each target exactly once between
// them.
//
// The rule, which is part of the contract (README, "More than one
// machine"): a target belongs to shard FNV-1a-64(key) mod N, where key is
// its normalised domain (the A-label mxscope scans), or, for an entry with no
// usable domain, a NUL byte followed by the entry as written. The rule looks
// at the target alone, never at its position, so reordering the file moves
// no target to another shard; and a duplicate, which normalises to the same
// domain, lands in the same shard as its first entry, where it is dropped as
// usual.
type Shard struct {
	K, N int
}

// ErrBadShard is returned by ParseShard.
var ErrBadShard = errors.New("targets: invalid shard")

// ParseShard reads "K/N", 0 <= K < N. "" is the whole list (0/1).
func ParseShard(s string) (Shard, error) {
	if s == "" {
		return Shard{0, 1}, nil
	}
	ks, ns, ok := strings.Cut(s, "/")
	k, kerr := strconv.Atoi(strings.TrimSpace(ks))
	n, nerr := strconv.Atoi(strings.TrimSpace(ns))
	switch {
	case !ok || kerr != nil || nerr != nil:
		return Shard{}, fmt.Errorf("%w %q: want K/N, for example 0/4", ErrBadShard, s)
	case n < 1 || n > 1_000_000:
		return Shard{}, fmt.Errorf("%w %q: N must be between 1 and 1000000", ErrBadShard, s)
	case k < 0 || k >= n:
		return Shard{}, fmt.Errorf("%w %q: K counts from 0 and must be below N (0 to %d)", ErrBadShard, s, n-1)
	}
	return Shard{k, n}, nil
}

// String is "K/N".
func (s Shard) String() string { return strconv.Itoa(s.K) + "/" + strconv.Itoa(s.N) }

// Whole reports whether s is the whole list.
func (s Shard) Whole() bool { return s.N <= 1 }

// Has reports whether t belongs to this shard.
func (s Shard) Has(t Target) bool {
	if s.Whole() {
		return true
	}
	return ShardOf(t, s.N) == s.K
}

// ShardOf returns the shard, 0 to n-1, that t belongs to among n.
func ShardOf(t Target, n int) int {
	h := fnv.New64a()
	if t.Domain != "" {
		h.Write([]byte(t.Domain))
	} else {
		h.Write([]byte{0})
		h.Write([]byte(t.Input))
	}
	return int(h.Sum64() % uint64(n))
}
