package realdns

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeTB records what Require asks of a test instead of ending it.
type fakeTB struct {
	testing.TB
	skipped, failed string
}

func (f *fakeTB) Helper()      {}
func (f *fakeTB) Name() string { return "TestSomething/case" }
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped = fmt.Sprintf(format, args...)
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
}

func TestRequireSkipsLocallyAndFailsInCI(t *testing.T) {
	log := filepath.Join(t.TempDir(), "skips")
	const missing = "knotd-not-here-for-this-test"
	tests := []struct {
		name            string
		require, ci     string
		wantSkip, wantF bool
	}{
		{"locally", "", "", true, false},
		{"CI=false", "", "false", true, false},
		{"MXSCOPE_REQUIRE_TOOLS=1", "1", "", false, true},
		{"CI=true", "", "true", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvRequireTools, tt.require)
			t.Setenv("CI", tt.ci)
			t.Setenv(EnvSkipLog, log)
			os.Remove(log)
			tb := &fakeTB{}
			if p := Require(tb, missing); p != "" {
				t.Fatalf("found %q", p)
			}
			if (tb.skipped != "") != tt.wantSkip || (tb.failed != "") != tt.wantF {
				t.Fatalf("skipped %q, failed %q; want skip %v, fail %v", tb.skipped, tb.failed, tt.wantSkip, tt.wantF)
			}
			data, _ := os.ReadFile(log)
			if tt.wantSkip {
				want := "TestSomething/case: " + missing + " not installed (apt-get install " + missing + ")\n"
				if string(data) != want {
					t.Errorf("skip log: got %q; want %q", data, want)
				}
			} else if len(data) != 0 {
				t.Errorf("a failing test was logged as skipped: %q", data)
			}
		})
	}
}

func TestRequireNamesThePackage(t *testing.T) {
	t.Setenv(EnvRequireTools, "")
	t.Setenv("CI", "")
	t.Setenv(EnvSkipLog, "") // not the log of the make test running this
	t.Setenv("PATH", t.TempDir())
	tb := &fakeTB{}
	Require(tb, "kdig")
	if _, ok := lookup("kdig"); !ok && !strings.Contains(tb.skipped, "apt-get install knot-dnsutils") {
		t.Errorf("skip message %q does not name the package knot-dnsutils", tb.skipped)
	}
}

func TestRequireFindsAnInstalledTool(t *testing.T) {
	tb := &fakeTB{}
	if p := Require(tb, "go"); p == "" || tb.skipped != "" || tb.failed != "" {
		t.Errorf("Require(go) = %q, skipped %q, failed %q; want the go command's path", p, tb.skipped, tb.failed)
	}
}
