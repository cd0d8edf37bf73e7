//go:build integration

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mxscope/mxscope/scanner/dnstest/realdns"
)

// Four shard processes scan one targets file at the same time through the
// real unbound; merged, their reports are the report of one process
// scanning the whole file, in every row and in the summary (only the meta
// line's start time differs), and their merged evidence replays to the
// same rows.
func TestIntegrationShardsMerge(t *testing.T) {
	zones, domains := lossyZone()
	e := startEnv(t, zones)
	domains = domains[:8000]
	var b strings.Builder
	for i, d := range domains {
		switch {
		case i%997 == 3:
			fmt.Fprintf(&b, "- {domain: %s, candidate: C%d, party: P%d}\n", d, i, i%3)
		case i%1500 == 7:
			fmt.Fprintf(&b, "- 'not a domain %d!'\n", i) // invalid entries land in one shard each
		case i%2000 == 11:
			fmt.Fprintf(&b, "- [%s, %s]\n", d, strings.ToUpper(d)) // two on a line, the second a duplicate
		default:
			b.WriteString("- " + d + "\n")
		}
	}
	dir := t.TempDir()
	list := filepath.Join(dir, "targets.yaml")
	if err := os.WriteFile(list, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	common := []string{"scan", "-t", list, "--resolver", e.unbound.Addr, "-f", "jsonl", "--checks", "mx,addr,spf,dmarc"}

	whole := e.mxscope(t, 3*time.Minute, dir, append(common, "-o", "whole.jsonl")...)
	if whole.code != exitOK {
		t.Fatalf("whole scan: exit %d\n%s", whole.code, whole.stderr)
	}
	t.Logf("one process, %d targets: %v", len(domains), whole.elapsed)

	const n = 4
	if err := os.Mkdir(filepath.Join(dir, "shards"), 0o755); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]string, n)
	start := time.Now()
	for k := range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			args := append(append([]string{}, common...), "--shard", fmt.Sprintf("%d/%d", k, n),
				"-o", fmt.Sprintf("shards/shard-%d.jsonl", k), "--evidence", fmt.Sprintf("shards/evidence-%d.jsonl", k))
			cmd := exec.CommandContext(ctx, e.bin, args...)
			cmd.Dir = dir
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil {
				errs[k] = fmt.Sprintf("shard %d/%d: %v\n%s", k, n, err, stderr.String())
			}
		})
	}
	wg.Wait()
	t.Logf("%d shard processes at once: %v", n, time.Since(start))
	for _, msg := range errs {
		if msg != "" {
			t.Fatal(msg)
		}
	}

	m := e.mxscope(t, 3*time.Minute, dir, "merge", "shards", "-f", "jsonl", "-o", "merged.jsonl", "--evidence-output", "merged.evidence.jsonl")
	if m.code != exitOK {
		t.Fatalf("merge: exit %d\n%s", m.code, m.stderr)
	}
	wantRows := dropMeta(readFile(t, filepath.Join(dir, "whole.jsonl")))
	if got := dropMeta(readFile(t, filepath.Join(dir, "merged.jsonl"))); got != wantRows {
		gl, wl := strings.Split(got, "\n"), strings.Split(wantRows, "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("merged row %d differs from the single-process scan (%d and %d lines):\n got %s\nwant %s", i+1, len(gl), len(wl), gl[i], wl[i])
			}
		}
		t.Fatalf("the merged report has %d lines after its meta, the single-process scan %d", len(gl), len(wl))
	}
	rows, _ := parseJSONL(t, readFile(t, filepath.Join(dir, "merged.jsonl")))
	if len(rows) != len(domains) { // each duplicate is dropped, as in one process
		t.Errorf("merged %d rows for %d targets", len(rows), len(domains))
	}

	// Replayed where no resolver is asked, the merged evidence gives the
	// same rows again.
	r := e.mxscope(t, 3*time.Minute, dir, "replay", "merged.evidence.jsonl", "-f", "jsonl", "-o", "replayed.jsonl")
	if r.code != exitOK {
		t.Fatalf("replay: exit %d\n%s", r.code, r.stderr)
	}
	if got := dropMeta(readFile(t, filepath.Join(dir, "replayed.jsonl"))); got != wantRows {
		t.Errorf("the replayed merged evidence differs from the single-process scan")
	}
}

// The sidecar's configuration is one the real unbound accepts.
func TestIntegrationSidecarUnboundConfig(t *testing.T) {
	check := realdns.Require(t, "unbound-checkconf")
	conf := filepath.Join("..", "..", "deploy", "unbound", "unbound.conf")
	text, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	// The image reads Debian's root key (dns-root-data); here any key file
	// in its place will do, since unbound-checkconf only checks it exists.
	key := filepath.Join(t.TempDir(), "root.key")
	if err := os.WriteFile(key, []byte(". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(t.TempDir(), "unbound.conf")
	if err := os.WriteFile(local, []byte(strings.ReplaceAll(string(text), "/usr/share/dns/root.key", key)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(check, local).CombinedOutput(); err != nil {
		t.Fatalf("unbound-checkconf rejects deploy/unbound/unbound.conf: %v\n%s", err, out)
	}
}
