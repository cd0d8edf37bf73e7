package targets

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestParseShard(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Shard
		err  bool
	}{
		{"", Shard{0, 1}, false},
		{"0/1", Shard{0, 1}, false},
		{"3/8", Shard{3, 8}, false},
		{" 7 / 8 ", Shard{7, 8}, false},
		{"8/8", Shard{}, true},
		{"-1/8", Shard{}, true},
		{"1/0", Shard{}, true},
		{"1", Shard{}, true},
		{"a/b", Shard{}, true},
		{"1/2/3", Shard{}, true},
	} {
		got, err := ParseShard(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.err)
		}
		if err != nil && !errors.Is(err, ErrBadShard) {
			t.Errorf("ParseShard(%q): error %v is not ErrBadShard", tc.in, err)
		}
	}
}

// Every target of a file, invalid entries included, lands in exactly one of
// the N shards, whatever N.
func TestShardsPartitionTheTargets(t *testing.T) {
	var b strings.Builder
	b.WriteString("targets:\n")
	for i := range 2000 {
		fmt.Fprintf(&b, "  - d%d.example\n", i)
	}
	b.WriteString("  - \"not a domain!\"\n  - {candidate: nobody}\n  - ''\n  - 192.0.2.1\n")
	ts, _, err := Parse(strings.NewReader(b.String()), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 2, 3, 4, 7, 16} {
		count := make([]int, n)
		for _, tg := range ts {
			in := 0
			for k := range n {
				if (Shard{k, n}).Has(tg) {
					in++
					count[k]++
				}
			}
			if in != 1 {
				t.Fatalf("N=%d: target %q (line %d) is in %d shards; want exactly 1", n, tg.Domain+tg.Input, tg.Line, in)
			}
		}
		// Balanced: no shard more than 20% off the mean of 2004/n.
		mean := float64(len(ts)) / float64(n)
		for k, c := range count {
			if float64(c) < 0.8*mean || float64(c) > 1.2*mean {
				t.Errorf("N=%d: shard %d has %d targets; the mean is %.0f", n, k, c, mean)
			}
		}
	}
}

// A target's shard depends on the target, not on where it stands in the
// file.
func TestShardDoesNotDependOnOrder(t *testing.T) {
	var lines []string
	for i := range 300 {
		lines = append(lines, fmt.Sprintf("- {domain: d%d.example, n: %d}", i, i))
	}
	lines = append(lines, "- 'bad entry!'")
	parse := func(ls []string) map[string]int {
		ts, _, err := Parse(strings.NewReader(strings.Join(ls, "\n")), "t.yaml")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]int{}
		for _, tg := range ts {
			m[tg.Domain+"|"+tg.Input] = ShardOf(tg, 5)
		}
		return m
	}
	before := parse(lines)
	rand.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	after := parse(lines)
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s moved from shard %d to %d when the file was reordered", k, v, after[k])
		}
	}
}

// The rule is the documented one, so a shard can be recomputed by anyone:
// FNV-1a 64 of the A-label, modulo N.
func TestShardRuleIsFNV1aOfTheDomain(t *testing.T) {
	// FNV-1a 64 written out with its published offset basis and prime.
	fnv := func(s string) uint64 {
		h := uint64(14695981039346656037)
		for i := 0; i < len(s); i++ {
			h ^= uint64(s[i])
			h *= 1099511628211
		}
		return h
	}
	for _, d := range []string{"example.com", "xn--bcher-kva.example", "joebiden.com"} {
		for _, n := range []int{2, 8, 13} {
			if got, want := ShardOf(Target{Domain: d}, n), int(fnv(d)%uint64(n)); got != want {
				t.Errorf("ShardOf(%s, %d) = %d; want %d", d, n, got, want)
			}
		}
	}
}
