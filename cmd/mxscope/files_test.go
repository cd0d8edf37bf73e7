package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/mxscope/mxscope/scanner/dnstest"
)

// TestMain lets a test run this binary as mxscope itself, in a process of
// its own, for what only a real process shows (its file descriptor 1).
func TestMain(m *testing.M) {
	if os.Getenv("MXSCOPE_TEST_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

// mxscopeProcess runs mxscope as a child process with stdout going to out.
func mxscopeProcess(t *testing.T, out *os.File, args ...string) (code int, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "MXSCOPE_TEST_MAIN=1")
	cmd.Stdout = out
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), errb.String()
}

// mxscopeCtx is mxscope with a context the test controls.
func mxscopeCtx(t *testing.T, ctx context.Context, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(ctx, args, &streams{In: strings.NewReader(stdin), Out: &out, Err: &errb})
	return result{code, out.String(), errb.String()}
}

// interruptAt makes srv cancel the scan, as a Ctrl-C would, when the first
// query for a name under domain arrives, and leave that query unanswered.
func interruptAt(srv *dnstest.Server, domain string) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	srv.SetHook(func(q dnstest.Query) dnstest.Action {
		if q.Name == domain+"." || strings.HasSuffix(q.Name, "."+domain+".") {
			cancel()
			return dnstest.Action{Drop: true}
		}
		return dnstest.Action{}
	})
	return ctx
}

// jsonlFile is a jsonl report, split into its kinds of line.
type jsonlFile struct {
	types   []string // "meta", "row" or "summary", in file order
	rows    []map[string]any
	summary map[string]any
	meta    map[string]any
}

func readJSONL(t *testing.T, path string) jsonlFile {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f jsonlFile
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%s:%d is not JSON: %v", path, i+1, err)
		}
		switch m["type"] {
		case "meta":
			f.types, f.meta = append(f.types, "meta"), m
		case "summary":
			f.types, f.summary = append(f.types, "summary"), m
		default:
			f.types, f.rows = append(f.types, "row"), append(f.rows, m)
		}
	}
	return f
}

func (f jsonlFile) keys() []string {
	var out []string
	for _, r := range f.rows {
		k := r["domain"].(string)
		if k == "" {
			k = "line " + jsonNumber(r["line"])
		}
		out = append(out, k)
	}
	return out
}

func jsonNumber(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// resumeTargets has two invalid entries without a domain, which only their
// lines tell apart, and slow.example, where interruptAt stops the scan.
const resumeTargets = `targets:
  - campaign.example
  -
  - {party: D}
  - rival.example
  - slow.example
  - party.example
`

func TestResumeAfterAnInterruptGivesOneCompleteReport(t *testing.T) {
	srv := world(t)
	dir := t.TempDir()
	targets := filepath.Join(dir, "targets.yaml")
	os.WriteFile(targets, []byte(resumeTargets), 0o644)
	out := filepath.Join(dir, "out.jsonl")
	args := []string{"scan", "-t", targets, "-f", "jsonl", "-o", out, "--resolver", srv.Addr(), "-c", "1", "--timeout", "300ms", "--retries", "0"}

	r := mxscopeCtx(t, interruptAt(srv, "slow.example"), "", args...)
	if r.code != exitInterrupted {
		t.Fatalf("exit %d; want %d (interrupted)\n%s", r.code, exitInterrupted, r.stderr)
	}
	first := readJSONL(t, out)
	if got, want := first.keys(), []string{"campaign.example", "line 3", "line 4", "rival.example"}; !slices.Equal(got, want) {
		t.Fatalf("rows before the interrupt: %v; want %v", got, want)
	}
	if first.summary["partial"] != true || !slices.Equal(first.types[len(first.types)-1:], []string{"summary"}) {
		t.Errorf("an interrupted report must end with a summary that says partial; got %v", first.summary)
	}
	hint := "hint: carry on with: mxscope scan --concurrency 1 --format jsonl --output " + out + " --resolver " + srv.Addr() +
		" --retries 0 --targets " + targets + " --timeout 300ms --resume " + out + "\n"
	if !strings.Contains(r.stderr, "mxscope: interrupted: wrote 4 of 6 targets to "+out+" (marked partial)\n") || !strings.HasSuffix(r.stderr, hint) {
		t.Errorf("stderr:\n%s\nwant it to say what was written and end with\n%s", r.stderr, hint)
	}

	// The same command with --resume added carries on.
	srv.SetHook(nil)
	r = mxscope(t, "", false, append(args, "--resume", out)...)
	if r.code != exitOK {
		t.Fatalf("resume: exit %d\n%s", r.code, r.stderr)
	}
	f := readJSONL(t, out)
	if got, want := f.keys(), []string{"campaign.example", "line 3", "line 4", "rival.example", "slow.example", "party.example"}; !slices.Equal(got, want) {
		t.Errorf("rows after resume: %v; want every target once, in input order: %v", got, want)
	}
	if want := []string{"meta", "row", "row", "row", "row", "row", "row", "summary"}; !slices.Equal(f.types, want) {
		t.Errorf("lines: %v; want one meta, the rows, one summary", f.types)
	}
	if f.summary["targets"] != 6.0 || f.summary["partial"] != nil {
		t.Errorf("summary %v; want it to count all 6 targets and not be partial", f.summary)
	}
	if f.meta["started"] != first.meta["started"] || f.meta["targets_sha256"] != first.meta["targets_sha256"] {
		t.Errorf("meta changed: %v; want the first run's", f.meta)
	}
	if names := dirEntries(t, dir); !slices.Equal(names, []string{"out.jsonl", "targets.yaml"}) {
		t.Errorf("directory holds %v; want no temporary file", names)
	}
}

func TestResumeTwoInvalidEntriesWithoutADomainBothSurvive(t *testing.T) {
	srv := world(t)
	dir := t.TempDir()
	targets := filepath.Join(dir, "targets.yaml")
	os.WriteFile(targets, []byte("- \"\"\n- {party: D}\n- campaign.example\n- {party: R}\n- \"\"\n"), 0o644)
	out := filepath.Join(dir, "out.jsonl")
	args := []string{"scan", "-t", targets, "-f", "jsonl", "-o", out, "--resolver", srv.Addr()}
	if r := mxscope(t, "", false, args...); r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	// Keep the meta line and the first two rows, as an interrupt would.
	data, _ := os.ReadFile(out)
	lines := strings.SplitAfter(string(data), "\n")
	os.WriteFile(out, []byte(strings.Join(lines[:3], "")), 0o644)

	if r := mxscope(t, "", false, append(args, "--resume", out)...); r.code != exitOK {
		t.Fatalf("resume: exit %d: %s", r.code, r.stderr)
	}
	f := readJSONL(t, out)
	if got, want := f.keys(), []string{"line 1", "line 2", "campaign.example", "line 4", "line 5"}; !slices.Equal(got, want) {
		t.Errorf("rows after resume: %v; want %v", got, want)
	}
}

func TestResumeOnCommandLineArguments(t *testing.T) {
	srv := world(t)
	out := filepath.Join(t.TempDir(), "out.jsonl")
	args := []string{"scan", "-f", "jsonl", "-o", out, "--resolver", srv.Addr(), "not a domain", "campaign.example", "not a domain", "rival.example"}
	if r := mxscope(t, "", false, args...); r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	data, _ := os.ReadFile(out)
	lines := strings.SplitAfter(string(data), "\n")
	os.WriteFile(out, []byte(strings.Join(lines[:3], "")+`{"domain":"rival.exa`), 0o644) // cut mid-row by a crash
	if r := mxscope(t, "", false, append(args, "--resume", out)...); r.code != exitOK {
		t.Fatalf("resume: exit %d: %s", r.code, r.stderr)
	}
	f := readJSONL(t, out)
	var got []string
	for _, r := range f.rows {
		got = append(got, r["domain"].(string)+"/"+r["status"].(string))
	}
	if want := []string{"/invalid", "campaign.example/ok", "/invalid", "rival.example/ok"}; !slices.Equal(got, want) {
		t.Errorf("rows after resume: %v; want %v", got, want)
	}
}

// --resume of a file that does not exist yet scans every target, so that
// a script can pass it from its first run, and says so, so that a
// mistyped name is not a silent rescan.
func TestResumeOfAMissingFileScansAllAndSaysSo(t *testing.T) {
	srv := world(t)
	out := filepath.Join(t.TempDir(), "new.jsonl")
	r := mxscope(t, "", false, "scan", "-f", "jsonl", "--resume", out, "--resolver", srv.Addr(), "campaign.example", "rival.example")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "--resume: "+out+" does not exist yet, so every target is scanned") {
		t.Errorf("stderr does not say the file was missing: %q", r.stderr)
	}
	if f := readJSONL(t, out); len(f.rows) != 2 {
		t.Errorf("%d rows in %s; want 2", len(f.rows), out)
	}
}

func TestResumeRefusesAnotherTargetsListOrChecks(t *testing.T) {
	srv := world(t)
	out := filepath.Join(t.TempDir(), "out.jsonl")
	if r := mxscope(t, "", false, "scan", "-f", "jsonl", "-o", out, "--resolver", srv.Addr(), "campaign.example", "rival.example"); r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	before, _ := os.ReadFile(out)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"another list", []string{"campaign.example", "party.example"}, "was written from a different targets list"},
		{"the same list in another order", []string{"rival.example", "campaign.example"}, "was written from a different targets list"},
		{"other checks", []string{"--checks", "mx,spf", "campaign.example", "rival.example"}, "was scanned with --checks " + allChecks().String() + ", not mx,spf"},
		{"another format", []string{"-f", "csv", "campaign.example", "rival.example"}, "--resume does not combine with -f csv"},
		{"a provider filter", []string{"-p", "google", "campaign.example", "rival.example"}, "--resume does not combine with --provider"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mxscope(t, "", false, append([]string{"scan", "--resume", out, "--resolver", srv.Addr()}, tt.args...)...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", r.code, r.stderr, tt.want)
			}
			if after, _ := os.ReadFile(out); !bytes.Equal(before, after) {
				t.Errorf("the refused resume changed the report")
			}
		})
	}
}

func TestResumeIntoAnotherFileLeavesTheFirst(t *testing.T) {
	srv := world(t)
	dir := t.TempDir()
	old, combined := filepath.Join(dir, "old.jsonl"), filepath.Join(dir, "all.jsonl")
	domains := []string{"campaign.example", "rival.example"}
	mxscope(t, "", false, append([]string{"scan", "-f", "jsonl", "-o", old, "--resolver", srv.Addr()}, domains...)...)
	data, _ := os.ReadFile(old)
	cut := strings.Join(strings.SplitAfter(string(data), "\n")[:2], "")
	os.WriteFile(old, []byte(cut), 0o644)
	r := mxscope(t, "", false, append([]string{"scan", "--resume", old, "-o", combined, "--resolver", srv.Addr()}, domains...)...)
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if got, _ := os.ReadFile(old); string(got) != cut {
		t.Errorf("the resumed file changed although -o named another")
	}
	if got := readJSONL(t, combined).keys(); !slices.Equal(got, domains) {
		t.Errorf("combined report rows %v; want %v", got, domains)
	}
}

func TestInterruptBeforeTheScanLeavesTheReport(t *testing.T) {
	for _, format := range []string{"csv", "jsonl"} {
		t.Run(format, func(t *testing.T) {
			srv := world(t)
			dir := t.TempDir()
			keep := filepath.Join(dir, "keep."+format)
			os.WriteFile(keep, []byte("an earlier, complete report\n"), 0o600)
			// The pre-scan check asks about the first domain: interrupt it there.
			r := mxscopeCtx(t, interruptAt(srv, "campaign.example"), "", "scan", "-f", format, "-o", keep, "--resolver", srv.Addr(), "campaign.example", "rival.example")
			if r.code != exitInterrupted || !strings.Contains(r.stderr, "interrupted before any target was scanned; "+keep+" is as it was") {
				t.Errorf("exit %d, stderr %q", r.code, r.stderr)
			}
			if got, _ := os.ReadFile(keep); string(got) != "an earlier, complete report\n" {
				t.Errorf("keep.%s now holds %q", format, got)
			}
			if fi, _ := os.Stat(keep); fi.Mode().Perm() != 0o600 {
				t.Errorf("mode %v changed", fi.Mode())
			}
			if names := dirEntries(t, dir); len(names) != 1 {
				t.Errorf("directory holds %v; want only the report", names)
			}
		})
	}
}

func TestInterruptedReportsSayTheyArePartial(t *testing.T) {
	tests := []struct {
		format, file, want string
	}{
		{"json", "r.json", `"partial": true`},
		{"jsonl", "r.jsonl", `"partial":true`},
		{"table", "r.txt", "PARTIAL: the scan was interrupted"},
		{"markdown", "r.md", "**Partial report:** PARTIAL: the scan was interrupted"},
		{"csv", "r.partial.csv", "campaign.example,"},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			srv := world(t)
			dir := t.TempDir()
			out := filepath.Join(dir, strings.Replace(tt.file, ".partial", "", 1))
			os.WriteFile(out, []byte("complete\n"), 0o644)
			r := mxscopeCtx(t, interruptAt(srv, "slow.example"), "", "scan", "-f", tt.format, "-o", out, "--resolver", srv.Addr(),
				"-c", "1", "--timeout", "300ms", "--retries", "0", "campaign.example", "slow.example")
			if r.code != exitInterrupted {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			got, _ := os.ReadFile(filepath.Join(dir, tt.file))
			if !strings.Contains(string(got), tt.want) || !strings.Contains(string(got), "campaign.example") {
				t.Errorf("%s:\n%s\nwant it to hold campaign.example and %q", tt.file, got, tt.want)
			}
			if tt.format == "csv" {
				if kept, _ := os.ReadFile(out); string(kept) != "complete\n" {
					t.Errorf("the complete CSV was replaced by a partial one")
				}
				want := "to " + filepath.Join(dir, tt.file) + " (a CSV cannot say it is partial; " + out + " is as it was)\n"
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr %q; want it to say %q", r.stderr, want)
				}
			}
			if !strings.Contains(r.stderr, "hint: ") {
				t.Errorf("no hint on how to carry on: %s", r.stderr)
			}
		})
	}
}

func TestOutputRefusesADirectoryBeforeScanning(t *testing.T) {
	srv := world(t)
	dir := t.TempDir()
	r := mxscope(t, "", false, "scan", "-o", dir, "--resolver", srv.Addr(), "campaign.example")
	if r.code != exitError || !strings.Contains(r.stderr, "cannot write the report to "+dir+": it is a directory") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	if n := srv.Queries(); n != 0 {
		t.Errorf("%d queries were sent: the scan ran before the directory was refused", n)
	}
	if names := dirEntries(t, dir); len(names) != 0 {
		t.Errorf("left behind in the directory: %v", names)
	}
}

func TestOutputWritesThroughDevicesFIFOsAndLinks(t *testing.T) {
	srv := world(t)
	dir := t.TempDir()
	scan := func(out string) result {
		return mxscope(t, "", false, "scan", "-f", "csv", "-o", out, "--resolver", srv.Addr(), "campaign.example")
	}

	t.Run("a symbolic link to a file stays a link", func(t *testing.T) {
		os.WriteFile(filepath.Join(dir, "real.csv"), []byte("old\n"), 0o640)
		link := filepath.Join(dir, "link.csv")
		os.Symlink("real.csv", link)
		if r := scan(link); r.code != exitOK {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("link.csv is no longer a symbolic link")
		}
		got, _ := os.ReadFile(filepath.Join(dir, "real.csv"))
		if !strings.HasPrefix(string(got), "domain,") {
			t.Errorf("real.csv holds %q; want the report", got)
		}
		if fi, _ := os.Stat(filepath.Join(dir, "real.csv")); fi.Mode().Perm() != 0o640 {
			t.Errorf("real.csv's mode became %v; want 0640 kept", fi.Mode().Perm())
		}
	})
	t.Run("a dangling link creates its target", func(t *testing.T) {
		link := filepath.Join(dir, "dangling.csv")
		os.Symlink("new.csv", link)
		if r := scan(link); r.code != exitOK {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		got, _ := os.ReadFile(filepath.Join(dir, "new.csv"))
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 || !strings.HasPrefix(string(got), "domain,") {
			t.Errorf("dangling.csv should stay a link and new.csv hold the report; new.csv: %q", got)
		}
	})
	t.Run("a FIFO", func(t *testing.T) {
		fifo := filepath.Join(dir, "pipe")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		read := make(chan []byte)
		go func() {
			data, _ := os.ReadFile(fifo)
			read <- data
		}()
		if r := scan(fifo); r.code != exitOK {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if got := <-read; !strings.HasPrefix(string(got), "domain,") {
			t.Errorf("the FIFO's reader got %q", got)
		}
		if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
			t.Errorf("the FIFO was replaced")
		}
	})
	t.Run("a link to a pipe through /proc/self/fd", func(t *testing.T) {
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer pr.Close()
		link := filepath.Join(dir, "fd-link")
		os.Symlink("/proc/self/fd/"+jsonNumber(pw.Fd()), link)
		read := make(chan []byte)
		go func() {
			var b bytes.Buffer
			b.ReadFrom(pr)
			read <- b.Bytes()
		}()
		r := scan(link)
		pw.Close()
		if r.code != exitOK {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if got := <-read; !strings.HasPrefix(string(got), "domain,") {
			t.Errorf("the pipe got %q", got)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("the link was replaced")
		}
	})
	t.Run("/dev/null", func(t *testing.T) {
		if r := scan(os.DevNull); r.code != exitOK {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if fi, err := os.Stat(os.DevNull); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
			t.Fatalf("%s is no longer a character device: %v", os.DevNull, fi.Mode())
		}
	})
	if names := dirEntries(t, dir); slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, ".") }) {
		t.Errorf("a hidden temporary file was left behind: %v", names)
	}
}

func TestOutputThroughALinkToStandardOutput(t *testing.T) {
	srv := world(t)
	dir := t.TempDir()
	link := filepath.Join(dir, "stdout-link")
	os.Symlink("/proc/self/fd/1", link)
	args := []string{"scan", "-f", "csv", "-o", link, "--resolver", srv.Addr(), "campaign.example"}

	t.Run("a pipe", func(t *testing.T) {
		pr, pw, _ := os.Pipe()
		read := make(chan []byte)
		go func() {
			var b bytes.Buffer
			b.ReadFrom(pr)
			read <- b.Bytes()
		}()
		code, stderr := mxscopeProcess(t, pw, args...)
		pw.Close()
		if got := <-read; code != exitOK || !strings.HasPrefix(string(got), "domain,") {
			t.Errorf("exit %d (%s); stdout got %q", code, stderr, got)
		}
	})
	t.Run("a file opened for appending", func(t *testing.T) {
		path := filepath.Join(dir, "log.csv")
		os.WriteFile(path, []byte("earlier line\n"), 0o644)
		f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		code, stderr := mxscopeProcess(t, f, args...)
		f.Close()
		got, _ := os.ReadFile(path)
		if code != exitOK || !strings.HasPrefix(string(got), "earlier line\ndomain,") {
			t.Errorf("exit %d (%s); the file holds %q; want the report appended, as >> would", code, stderr, got)
		}
	})
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link to /proc/self/fd/1 was replaced")
	}
	if names := dirEntries(t, dir); !slices.Equal(names, []string{"log.csv", "stdout-link"}) {
		t.Errorf("directory holds %v", names)
	}
}

func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestResumeMendsAReportOfAnOlderMxscope(t *testing.T) {
	srv := world(t)
	out := filepath.Join(t.TempDir(), "old.jsonl")
	domains := []string{"campaign.example", "rival.example", "party.example"}
	mxscope(t, "", false, append([]string{"scan", "-f", "jsonl", "-o", out, "--resolver", srv.Addr()}, domains...)...)
	data, _ := os.ReadFile(out)
	lines := strings.SplitAfter(string(data), "\n")
	var meta map[string]any
	json.Unmarshal([]byte(lines[0]), &meta)
	delete(meta, "targets_sha256")
	oldMeta, _ := json.Marshal(meta)
	// What a resume by an older mxscope left: two meta lines, two summaries.
	old := string(oldMeta) + "\n" + lines[1] + `{"type":"summary","targets":1}` + "\n" + string(oldMeta) + "\n" + lines[2] + `{"type":"summary","targets":1}` + "\n"
	os.WriteFile(out, []byte(old), 0o644)

	r := mxscope(t, "", false, append([]string{"scan", "--resume", out, "--resolver", srv.Addr()}, domains...)...)
	if r.code != exitOK || !strings.Contains(r.stderr, "does not record its targets list") {
		t.Fatalf("exit %d, stderr %q; want 0 and a warning", r.code, r.stderr)
	}
	f := readJSONL(t, out)
	if want := []string{"meta", "row", "row", "row", "summary"}; !slices.Equal(f.types, want) || !slices.Equal(f.keys(), domains) {
		t.Errorf("lines %v, rows %v; want %v and %v", f.types, f.keys(), want, domains)
	}
	if f.meta["targets_sha256"] == nil || f.summary["targets"] != 3.0 {
		t.Errorf("meta %v, summary %v; want the list's hash added and 3 targets counted", f.meta, f.summary)
	}
}

// An interrupted CSV never takes the name of the report it was to be, even
// where there was none: a file of that name is always complete.
func TestInterruptedCSVIsNamedPartial(t *testing.T) {
	srv := world(t)
	dir := t.TempDir()
	r := mxscopeCtx(t, interruptAt(srv, "slow.example"), "", "scan", "-f", "csv", "-o", filepath.Join(dir, "new.csv"), "--resolver", srv.Addr(),
		"-c", "1", "--timeout", "300ms", "--retries", "0", "campaign.example", "slow.example")
	if r.code != exitInterrupted {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if names := dirEntries(t, dir); !slices.Equal(names, []string{"new.partial.csv"}) {
		t.Errorf("directory holds %v; want only new.partial.csv", names)
	}
	for path, want := range map[string]string{"scan.csv": "scan.partial.csv", "dir/x.tar.csv": "dir/x.tar.partial.csv", "noext": "noext.partial", ".csv": ".csv.partial"} {
		if got := partialName(path); got != want {
			t.Errorf("partialName(%q) = %q; want %q", path, got, want)
		}
	}
}
