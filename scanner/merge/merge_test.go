package merge

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mxscope/mxscope/scanner/targets"
)

// domains are the targets list of the hand-written scans below, in input
// order.
var domains = []string{
	"campaign.example", "rival.example", "party.example", "hostile.example",
	"neutral.example", "senate.example", "house.example", "mayor.example",
}

const sha = "5f2b0d1c9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c"

// shardFile writes shard k of n of a scan of domains, as `mxscope scan
// --shard k/n -f jsonl` writes it: a meta line, the shard's rows with
// their positions, and a summary counting them. edit may change the lines
// before they are written.
func shardFile(t *testing.T, dir string, k, n int, edit func(lines []string) []string) string {
	t.Helper()
	lines := []string{fmt.Sprintf(`{"type":"meta","schema":1,"tool":"mxscope","version":"v1","started":"2026-12-03T09:00:0%dZ","resolvers":["127.0.0.1:%d"],"catalog":"c1","checks":"mx,spf,dmarc","targets_sha256":%q,"shard":"%d/%d"}`, k, 5300+k, sha, k, n)}
	rows := 0
	for i, d := range domains {
		if targets.ShardOf(targets.Target{Domain: d, Input: d}, n) != k {
			continue
		}
		lines = append(lines, fmt.Sprintf(`{"position":%d,"domain":%q,"input":%q,"status":"ok","labels":{"n":"%d"}}`, i+1, d, d, i))
		rows++
	}
	lines = append(lines, fmt.Sprintf(`{"type":"summary","targets":%d}`, rows))
	if edit != nil {
		lines = edit(lines)
	}
	path := filepath.Join(dir, fmt.Sprintf("shard-%d.jsonl", k))
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// shards writes the n shards of one scan.
func shards(t *testing.T, n int) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for k := range n {
		paths = append(paths, shardFile(t, dir, k, n, nil))
	}
	return paths
}

func TestShardsComeBackInInputOrder(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5} {
		t.Run(fmt.Sprintf("N=%d", n), func(t *testing.T) {
			paths := shards(t, n)
			// Given in any order, the shards come back in shard order.
			for i, j := 0, len(paths)-1; i < j; i, j = i+1, j-1 {
				paths[i], paths[j] = paths[j], paths[i]
			}
			set, err := Open(paths)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for r, err := range set.Results() {
				if err != nil {
					t.Fatal(err)
				}
				if r.Position != 0 {
					t.Errorf("%s keeps its shard position %d; a merged row is a whole scan's row", r.Domain, r.Position)
				}
				got = append(got, r.Domain)
			}
			if strings.Join(got, " ") != strings.Join(domains, " ") {
				t.Errorf("rows: %v; want %v", got, domains)
			}
			if set.Rows != len(domains) || set.Meta.Shard != "" || len(set.Meta.Resolvers) != n {
				t.Errorf("rows %d, shard %q, resolvers %v; want %d rows, no shard, the %d shards' resolvers", set.Rows, set.Meta.Shard, set.Meta.Resolvers, len(domains), n)
			}
			if want := "2026-12-03T09:00:00Z"; set.Meta.Started.Format("2006-01-02T15:04:05Z") != want {
				t.Errorf("started %v; want the first shard's start, %s", set.Meta.Started, want)
			}
			if strings.Join(set.Keys, ",") != "n" {
				t.Errorf("label keys %v; want [n]", set.Keys)
			}
		})
	}
}

// Files that are not together the N finished shards of one scan are
// refused, and the error names what is wrong.
func TestMergeRefusesWhatIsNotOneScansShards(t *testing.T) {
	replace := func(old, new string) func([]string) []string {
		return func(lines []string) []string {
			lines[0] = strings.Replace(lines[0], old, new, 1)
			return lines
		}
	}
	cases := []struct {
		name  string
		files func(t *testing.T) []string
		err   error
		says  string
	}{
		{"one missing", func(t *testing.T) []string { return shards(t, 3)[:2] }, ErrNotShards, "shard 2/3 is missing"},
		{"two missing", func(t *testing.T) []string { return shards(t, 4)[:2] }, ErrNotShards, "shards 2/4, 3/4 are missing"},
		{"one given twice", func(t *testing.T) []string { p := shards(t, 2); return append(p, p[1]) }, ErrNotShards, "shard 1/2 is given 2 times"},
		{"another N", func(t *testing.T) []string { return append(shards(t, 2), shards(t, 3)[2]) }, ErrNotShards, "share N"},
		{"another targets list", func(t *testing.T) []string {
			p := shards(t, 2)
			return append(p[:1], shardFile(t, t.TempDir(), 1, 2, replace(sha, strings.Repeat("0", 64))))
		}, ErrNotShards, "different targets lists"},
		{"other checks", func(t *testing.T) []string {
			p := shards(t, 2)
			return append(p[:1], shardFile(t, t.TempDir(), 1, 2, replace(`"checks":"mx,spf,dmarc"`, `"checks":"mx"`)))
		}, ErrNotShards, "--checks mx"},
		{"another mxscope", func(t *testing.T) []string {
			p := shards(t, 2)
			return append(p[:1], shardFile(t, t.TempDir(), 1, 2, replace(`"version":"v1"`, `"version":"v2"`)))
		}, ErrNotShards, "scan every shard with one mxscope"},
		{"a shard cut short", func(t *testing.T) []string {
			p := shards(t, 2)
			return append(p[:1], shardFile(t, t.TempDir(), 1, 2, func(l []string) []string { return l[:len(l)-1] }))
		}, ErrPartial, "--resume"},
		{"an interrupted shard", func(t *testing.T) []string {
			p := shards(t, 2)
			return append(p[:1], shardFile(t, t.TempDir(), 1, 2, func(l []string) []string {
				l[len(l)-1] = strings.Replace(l[len(l)-1], "{", `{"partial":true,`, 1)
				return l
			}))
		}, ErrPartial, "was interrupted"},
		{"a row of another shard", func(t *testing.T) []string {
			p := shards(t, 2)
			return append(p[:1], shardFile(t, t.TempDir(), 1, 2, func(l []string) []string {
				// In order, after the shard's own rows, but shard 0's.
				d := ""
				for _, x := range domains {
					if targets.ShardOf(targets.Target{Domain: x, Input: x}, 2) == 0 {
						d = x
						break
					}
				}
				foreign := fmt.Sprintf(`{"position":99,"domain":%q,"input":%q,"status":"ok"}`, d, d)
				return append(l[:len(l)-1], foreign, `{"type":"summary","targets":`+fmt.Sprint(len(l)-1)+`}`)
			}))
		}, ErrNotShards, "belongs to shard 0/2"},
		{"rows out of order", func(t *testing.T) []string {
			p := shards(t, 2)
			return append(p[:1], shardFile(t, t.TempDir(), 1, 2, func(l []string) []string {
				l[1], l[2] = l[2], l[1]
				return l
			}))
		}, ErrFormat, "follows the one at"},
		{"a row without a position", func(t *testing.T) []string {
			p := shards(t, 2)
			return append(p[:1], shardFile(t, t.TempDir(), 1, 2, func(l []string) []string {
				l[1] = strings.Replace(l[1], `"position":`, `"was":`, 1)
				return l
			}))
		}, ErrFormat, "a row without a position"},
		{"rows filtered by --provider", func(t *testing.T) []string {
			p := shards(t, 2)
			return append(p[:1], shardFile(t, t.TempDir(), 1, 2, func(l []string) []string {
				return append(l[:1], l[2:]...)
			}))
		}, ErrNotShards, "merge needs every row"},
		{"not a report", func(t *testing.T) []string {
			path := filepath.Join(t.TempDir(), "notes.txt")
			os.WriteFile(path, []byte("domain,status\n"), 0o644)
			return []string{path}
		}, ErrFormat, "notes.txt:1"},
		{"no files", func(t *testing.T) []string { return nil }, ErrNotShards, "no files"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Open(c.files(t))
			if !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.says) {
				t.Errorf("error: %v; want %v saying %q", err, c.err, c.says)
			}
		})
	}
}
