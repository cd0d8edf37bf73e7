package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestHintsNameTheCommand(t *testing.T) {
	tests := []struct {
		args       []string
		msg, hint  string
		unexpected string
	}{
		{[]string{"scna"}, `unknown command "scna" for "mxscope"`, "hint: did you mean 'mxscope scan'? see 'mxscope --help'", "Did you mean"},
		{[]string{"--bogus"}, "unknown flag: --bogus", "hint: see 'mxscope --help'", "mxscope mxscope"},
		{[]string{"scan", "--bogus"}, "unknown flag: --bogus", "hint: see 'mxscope scan --help'", ""},
		{[]string{"scan", "--checks"}, "flag needs an argument: --checks", "hint: see 'mxscope scan --help'", ""},
		{[]string{"providers", "extra"}, `unknown command "extra" for "mxscope providers"`, "hint: see 'mxscope providers --help'", ""},
		{[]string{"spf"}, "accepts 1 arg(s), received 0", "hint: see 'mxscope spf --help'", ""},
		// A mistyped flag gets the flag it most likely meant.
		{[]string{"scan", "--fromat", "json"}, "unknown flag: --fromat", "hint: did you mean --format? see 'mxscope scan --help'", ""},
		{[]string{"scan", "--provder=microsoft"}, "unknown flag: --provder", "hint: did you mean --provider? see 'mxscope scan --help'", ""},
		{[]string{"scan", "--res", "127.0.0.1"}, "unknown flag: --res", "hint: did you mean --resolver or --resume? see 'mxscope scan --help'", ""},
		{[]string{"diff", "--fail-in", "weakened"}, "unknown flag: --fail-in", "hint: did you mean --fail-on? see 'mxscope diff --help'", ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := mxscope(t, "", false, tt.args...)
			if r.code != exitUsage {
				t.Errorf("exit %d; want %d", r.code, exitUsage)
			}
			want := "mxscope: " + tt.msg + "\n" + tt.hint + "\n"
			if r.stderr != want {
				t.Errorf("stderr:\n%s\nwant:\n%s", r.stderr, want)
			}
			if strings.Contains(r.stderr, "  --help") || tt.unexpected != "" && strings.Contains(r.stderr, tt.unexpected) {
				t.Errorf("stderr %q names no command or repeats one", r.stderr)
			}
		})
	}
}

func TestVersionFlagMatchesVersionCommand(t *testing.T) {
	flag := mxscope(t, "", false, "--version")
	cmd := mxscope(t, "", false, "version")
	if flag.code != exitOK || flag.stdout != cmd.stdout || !strings.HasPrefix(flag.stdout, "mxscope test (catalog ") {
		t.Errorf("--version: exit %d, %q; version: %q", flag.code, flag.stdout, cmd.stdout)
	}
}

func TestFormatsProvidersAndChecksIgnoreCase(t *testing.T) {
	srv := world(t)
	r := mxscope(t, "", false, "scan", "-f", "CSV", "-p", "Microsoft", "--checks", "MX,SPF,DMARC,Mailbox", "--resolver", srv.Addr(), "campaign.example", "rival.example")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "domain,") || !strings.HasPrefix(lines[1], "campaign.example,") {
		t.Errorf("-f CSV -p Microsoft gave:\n%s\nwant a CSV header and campaign.example", r.stdout)
	}
	if r := mxscope(t, "", false, "providers", "-f", "JSONL"); r.code != exitOK || !strings.HasPrefix(r.stdout, "{") {
		t.Errorf("providers -f JSONL: exit %d, %.40q", r.code, r.stdout)
	}
	// replay, diff and merge read formats and --fail-on as scan does.
	dir := t.TempDir()
	rep, ev := filepath.Join(dir, "scan.jsonl"), filepath.Join(dir, "scan.evidence.jsonl")
	if r := mxscope(t, "", false, "scan", "-f", "JSONL", "-o", rep, "--evidence", ev, "--resolver", srv.Addr(), "campaign.example"); r.code != exitOK {
		t.Fatalf("scan -f JSONL: exit %d: %s", r.code, r.stderr)
	}
	for _, args := range [][]string{
		{"replay", ev, "-f", "JSON", "--fail-on", "INFO", "--allow-unchecked"},
		{"diff", rep, rep, "-f", "JSON", "--fail-on", "Changed"},
		{"merge", rep, "-f", "JSON"},
	} {
		r := mxscope(t, "", false, args...)
		if r.code == exitUsage || !strings.HasPrefix(r.stdout, "{") {
			t.Errorf("%s: exit %d, %.40q; %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
	}
}

func TestUnknownProviderSuggestsWhatWasMeant(t *testing.T) {
	tests := []struct{ typed, hint string }{
		{"microsft", "hint: did you mean microsoft? 'mxscope providers' lists the ids"},
		{"Goggle", "hint: did you mean google?"},
		{"proof", "hint: did you mean proofpoint?"},
		{"self-hosteed", "hint: did you mean self-hosted?"},
		{"zzzzzzzz", "hint: 'mxscope providers' lists the ids"},
	}
	for _, tt := range tests {
		t.Run(tt.typed, func(t *testing.T) {
			r := mxscope(t, "", false, "scan", "-p", tt.typed, "x.example")
			if r.code != exitUsage || !strings.Contains(r.stderr, `unknown provider id "`+strings.ToLower(tt.typed)+`"`) || !strings.Contains(r.stderr, tt.hint) {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", r.code, r.stderr, tt.hint)
			}
		})
	}
}

func TestResolverFromTheEnvironment(t *testing.T) {
	srv := world(t)
	t.Setenv(envResolver, srv.Addr())
	r := mxscope(t, "", false, "scan", "-f", "jsonl", "campaign.example")
	if r.code != exitOK || !strings.Contains(r.stdout, `"resolvers":["`+srv.Addr()+`"]`) || !strings.Contains(r.stdout, `"domain":"campaign.example"`) {
		t.Errorf("exit %d; want the scan through $%s:\n%s%s", r.code, envResolver, r.stdout, r.stderr)
	}

	for _, list := range []string{"127.0.0.1:5353,[::1]:53", "127.0.0.1:5353 [::1]:53", " 127.0.0.1:5353 , [::1]:53 "} {
		t.Setenv(envResolver, list)
		got, err := resolverAddrs(nil)
		if err != nil || !slices.Equal(got, []string{"127.0.0.1:5353", "[::1]:53"}) {
			t.Errorf("%s=%q: got %v, %v; want both servers", envResolver, list, got, err)
		}
	}
	// --resolver wins over the environment.
	got, err := resolverAddrs([]string{"192.0.2.1"})
	if err != nil || !slices.Equal(got, []string{"192.0.2.1:53"}) {
		t.Errorf("--resolver with %s set: got %v, %v", envResolver, got, err)
	}
	t.Setenv(envResolver, "[::1")
	if r := mxscope(t, "", false, "scan", "x.example"); r.code != exitUsage || !strings.Contains(r.stderr, envResolver+": ") {
		t.Errorf("a bad %s: exit %d, %q; want exit 2 naming the variable", envResolver, r.code, r.stderr)
	}
}

func TestChecksComplete(t *testing.T) {
	tests := []struct {
		typed string
		want  []string
	}{
		{"", []string{"all", "mx", "addr", "spf", "dmarc", "mta-sts", "tls-rpt", "mailbox"}},
		{"m", []string{"mx", "mta-sts", "mailbox"}},
		{"mx,s", []string{"mx,spf"}},
		{"mx,spf,", []string{"mx,spf,addr", "mx,spf,dmarc", "mx,spf,mta-sts", "mx,spf,tls-rpt", "mx,spf,mailbox"}},
	}
	for _, tt := range tests {
		r := mxscope(t, "", false, "__complete", "scan", "--checks", tt.typed)
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		got, directive := lines[:len(lines)-1], lines[len(lines)-1]
		// Other checks may be added later; the ones listed here must be offered, in order.
		var kept []string
		for _, g := range got {
			if slices.Contains(tt.want, g) {
				kept = append(kept, g)
			}
		}
		if !slices.Equal(kept, tt.want) || directive != ":6" {
			t.Errorf("--checks %q completes to %v (%s); want %v with no space and no file names (:6)", tt.typed, got, directive, tt.want)
		}
		for _, g := range got {
			if !strings.HasPrefix(g, tt.typed) {
				t.Errorf("--checks %q offers %q", tt.typed, g)
			}
		}
	}
}

func TestStdinTakesOneDomainPerLine(t *testing.T) {
	srv := world(t)
	r := mxscope(t, "# campaigns\ncampaign.example\r\nRival.Example   # the other one\n\nnot a domain\n", false,
		"scan", "-t", "-", "-f", "jsonl", "--resolver", srv.Addr())
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var row struct {
			Type, Domain, Status string
			Line                 int
		}
		json.Unmarshal([]byte(line), &row)
		if row.Type == "" {
			got = append(got, fmt.Sprintf("%d:%s:%s", row.Line, row.Domain, row.Status))
		}
	}
	if want := []string{"2:campaign.example:ok", "3:rival.example:ok", "5::invalid"}; !slices.Equal(got, want) {
		t.Errorf("rows %v; want %v", got, want)
	}
	if !strings.Contains(r.stderr, "stdin:5: invalid entry") {
		t.Errorf("stderr does not name the invalid line: %s", r.stderr)
	}
	// YAML on stdin still reads as YAML.
	if r := mxscope(t, "- campaign.example\n- rival.example\n", false, "scan", "-t", "-", "-f", "csv", "--resolver", srv.Addr()); r.code != exitOK || strings.Count(r.stdout, "\n") != 3 {
		t.Errorf("YAML on stdin: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestTargetsFileHints(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o644)
		return p
	}
	yamlHint := `hint: a targets file is YAML: a list with one "- example.com" per line, or a map with targets: holding that list (README, "Targets file")`
	tests := []struct {
		name, path, msg, hint string
	}{
		{"empty", write("empty.yaml", ""), "empty.yaml: no targets: the file is empty", `hint: the file holds no targets; a targets file is YAML`},
		{"missing", filepath.Join(dir, "nope.yaml"), "nope.yaml: no such file or directory", "hint: check the file name given to -t"},
		{"not YAML", write("bad.yaml", "targets:\n  - a.example\n - b.example\n"), "bad.yaml:3: yaml: did not find expected key", yamlHint},
		{"a map without targets", write("map.yaml", "domains: [a.example]\n"), "map.yaml:1: no targets: key", yamlHint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mxscope(t, "", false, "scan", "-t", tt.path, "--resolver", "127.0.0.1:9")
			if r.code != exitError || !strings.Contains(r.stderr, tt.msg) || !strings.Contains(r.stderr, tt.hint) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 1, %q and %q", r.code, r.stderr, tt.msg, tt.hint)
			}
			if strings.Contains(r.stderr, "repository root") {
				t.Errorf("a file named with -t got a hint meant for the default targets.yaml:\n%s", r.stderr)
			}
		})
	}
}

// A file of domains one per line reads as stdin does: researchers keep
// lists as text files.
func TestTargetsFileOneDomainPerLine(t *testing.T) {
	srv := world(t)
	path := filepath.Join(t.TempDir(), "domains.txt")
	os.WriteFile(path, []byte("# campaigns\ncampaign.example\nrival.example   # the other one\n\nnot a domain\n"), 0o644)
	r := mxscope(t, "", false, "scan", "-t", path, "-f", "csv", "--resolver", srv.Addr())
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[1], "campaign.example,ok,") || !strings.HasPrefix(lines[2], "rival.example,ok,") || !strings.HasPrefix(lines[3], "not a domain,invalid,") {
		t.Errorf("rows:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "domains.txt:5: invalid entry") {
		t.Errorf("stderr does not name the invalid line: %s", r.stderr)
	}
}

// providers takes -o as scan does: `mxscope providers -f html -o page.html`.
func TestProvidersWritesToOutputFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "providers.html")
	r := mxscope(t, "", true, "providers", "-f", "html", "-o", path)
	if r.code != exitOK || r.stdout != "" {
		t.Fatalf("exit %d, stdout %.60q, stderr %s", r.code, r.stdout, r.stderr)
	}
	if page := readFile(t, path); !strings.Contains(strings.ToLower(page[:min(len(page), 200)]), "<!doctype html") {
		t.Errorf("%s is not a page: %.80q", path, page)
	}
	// A table written to a file is never fitted or coloured, even from a terminal.
	path = filepath.Join(t.TempDir(), "providers.txt")
	if r := mxscope(t, "", true, "providers", "-o", path); r.code != exitOK || !strings.Contains(readFile(t, path), "\t") {
		t.Errorf("exit %d; the table in the file is not tab-separated", r.code)
	}
}
