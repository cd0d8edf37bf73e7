package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// shardTargets is a targets file with what makes sharding hard: labels,
// invalid entries (two without any domain), a duplicate, an IDN, and
// several entries on one line, so that line numbers alone cannot order the
// rows.
func shardTargets(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("targets:\n")
	b.WriteString("  - {domain: campaign.example, candidate: Jane Doe, party: D}\n")
	b.WriteString("  - {domain: rival.example, candidate: John Roe, party: R}\n")
	b.WriteString("  - [party.example, hostile.example, neutral.example]\n")
	b.WriteString("  - not a domain!\n")
	b.WriteString("  - ''\n")
	b.WriteString("  - {candidate: nobody}\n")
	b.WriteString("  - Campaign.Example.\n") // a duplicate: dropped, with a warning
	b.WriteString("  - bücher.example\n")
	for i := range 40 {
		fmt.Fprintf(&b, "  - {domain: gone%d.example, n: %d}\n", i, i)
	}
	b.WriteString("  - incmissing.example\n")
	path := filepath.Join(t.TempDir(), "targets.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// The N shards of a scan, merged, are the scan of the whole list, row for
// row and byte for byte: every target once, in input order, with one meta
// line and one summary. Their evidence, merged and replayed, gives the same
// rows again.
func TestShardsMergeIntoTheWholeScan(t *testing.T) {
	srv := world(t)
	list := shardTargets(t)
	dir := t.TempDir()
	flags := []string{"-t", list, "--resolver", srv.Addr(), "--timeout", "1s", "--retries", "1", "-f", "jsonl"}
	scan := func(out, ev string, extra ...string) {
		t.Helper()
		args := append(append([]string{"scan"}, flags...), "-o", out, "--evidence", ev)
		r := mxscope(t, "", false, append(args, extra...)...)
		if r.code != exitOK {
			t.Fatalf("scan %v: exit %d; stderr:\n%s", extra, r.code, r.stderr)
		}
	}
	whole := filepath.Join(dir, "whole.jsonl")
	scan(whole, filepath.Join(dir, "whole.evidence.jsonl"))
	want := readFile(t, whole)

	for _, n := range []int{1, 3, 4} {
		t.Run(fmt.Sprintf("N=%d", n), func(t *testing.T) {
			sd := filepath.Join(t.TempDir(), "shards")
			if err := os.Mkdir(sd, 0o755); err != nil {
				t.Fatal(err)
			}
			rows := 0
			for k := range n {
				out := filepath.Join(sd, fmt.Sprintf("shard-%d.jsonl", k))
				scan(out, filepath.Join(sd, fmt.Sprintf("evidence-%d.jsonl", k)), "--shard", fmt.Sprintf("%d/%d", k, n))
				body := readFile(t, out)
				if n > 1 && !strings.Contains(body, fmt.Sprintf(`"shard":"%d/%d"`, k, n)) {
					t.Errorf("shard %d/%d's meta does not name its shard:\n%s", k, n, body)
				}
				rows += strings.Count(body, "\n") - 2 // less the meta and summary lines
			}
			if rows != strings.Count(want, "\n")-2 {
				t.Errorf("the %d shards hold %d rows; the whole scan %d", n, rows, strings.Count(want, "\n")-2)
			}
			merged := filepath.Join(t.TempDir(), "merged.jsonl")
			mergedEv := filepath.Join(t.TempDir(), "merged.evidence.jsonl")
			r := mxscope(t, "", false, "merge", sd, "-f", "jsonl", "-o", merged, "--evidence-output", mergedEv)
			if r.code != exitOK {
				t.Fatalf("merge: exit %d; stderr:\n%s", r.code, r.stderr)
			}
			if got := readFile(t, merged); got != want {
				t.Errorf("merged report differs from the whole scan:\n--- merged\n%s--- whole\n%s", got, want)
			}
			// Replay of the merged evidence derives the same rows.
			replayed := filepath.Join(t.TempDir(), "replayed.jsonl")
			if r := mxscope(t, "", false, "replay", mergedEv, "-f", "jsonl", "-o", replayed); r.code != exitOK {
				t.Fatalf("replay of the merged evidence: exit %d; stderr:\n%s", r.code, r.stderr)
			}
			if got, want := dropMeta(readFile(t, replayed)), dropMeta(want); got != want {
				t.Errorf("replay of the merged evidence differs from the whole scan:\n--- replayed\n%s--- whole\n%s", got, want)
			}
		})
	}
}

// dropMeta removes a jsonl report's first line, whose replay field differs.
func dropMeta(s string) string {
	_, rest, _ := strings.Cut(s, "\n")
	return rest
}

// merge takes only a complete set of one scan's shards, and says what is
// wrong with any other.
func TestMergeRefusesAnIncompleteOrMixedSet(t *testing.T) {
	srv := world(t)
	list := shardTargets(t)
	other := filepath.Join(t.TempDir(), "other.yaml")
	if err := os.WriteFile(other, []byte("- campaign.example\n- rival.example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	shard := func(list, spec string) string {
		t.Helper()
		out := filepath.Join(dir, strings.NewReplacer("/", "of", ".yaml", "").Replace(filepath.Base(list)+"-"+spec)+".jsonl")
		r := mxscope(t, "", false, "scan", "-t", list, "--resolver", srv.Addr(), "--timeout", "1s", "--retries", "1",
			"-f", "jsonl", "-o", out, "--shard", spec)
		if r.code != exitOK {
			t.Fatalf("scan --shard %s: exit %d; stderr:\n%s", spec, r.code, r.stderr)
		}
		return out
	}
	s03, s13, s23 := shard(list, "0/3"), shard(list, "1/3"), shard(list, "2/3")
	s02 := shard(list, "0/2")
	o13 := shard(other, "1/3")

	cut := filepath.Join(dir, "cut.jsonl")
	body := readFile(t, s23)
	if err := os.WriteFile(cut, []byte(body[:strings.LastIndex(body, `{"type":"summary"`)]), 0o644); err != nil {
		t.Fatal(err)
	}
	// A row of shard 1/3 written into shard 0/3's file.
	mixed := filepath.Join(dir, "mixed.jsonl")
	rows13 := strings.Split(readFile(t, s13), "\n")
	lines03 := strings.Split(readFile(t, s03), "\n")
	edited := append([]string{lines03[0], rows13[1]}, lines03[1:]...)
	if err := os.WriteFile(mixed, []byte(strings.Join(edited, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		files []string
		want  string
	}{
		{"a shard missing", []string{s03, s23}, "shard 1/3 is missing"},
		{"two missing", []string{s13}, "shards 0/3, 2/3 are missing"},
		{"a shard twice", []string{s03, s13, s23, s13}, "shard 1/3 is given 2 times"},
		{"another N", []string{s03, s13, s02}, "the shards of one scan share N"},
		{"another targets list", []string{s03, o13, s23}, "different targets lists"},
		{"a shard cut short", []string{s03, s13, cut}, "shard 2/3 (" + cut + ") has no summary"},
		{"a row of another shard", []string{mixed, s13, s23}, "belongs to shard 1/3, but the file is shard 0/3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mxscope(t, "", false, append([]string{"merge", "-f", "jsonl"}, tt.files...)...)
			if r.code != exitError || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d; stderr:\n%s\nwant exit %d and %q", r.code, r.stderr, exitError, tt.want)
			}
			if r.stdout != "" {
				t.Errorf("a refused merge wrote a report:\n%s", r.stdout)
			}
		})
	}
}

func TestShardFlagIsChecked(t *testing.T) {
	for _, spec := range []string{"3/3", "-1/2", "1", "a/b", "0/0"} {
		r := mxscope(t, "", false, "scan", "example.com", "--resolver", "127.0.0.1:1", "--shard", spec)
		if r.code != exitUsage || !strings.Contains(r.stderr, "shard") {
			t.Errorf("--shard %s: exit %d; stderr:\n%s\nwant a usage error", spec, r.code, r.stderr)
		}
	}
}
