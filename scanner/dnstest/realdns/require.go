package realdns

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// Environment variables of Require.
const (
	// EnvRequireTools, set to 1, turns a missing tool into a test failure:
	// CI sets it, so that a suite that did not run cannot pass. A CI
	// variable set to anything but "", "0" or "false" does the same.
	EnvRequireTools = "MXSCOPE_REQUIRE_TOOLS"
	// EnvSkipLog names a file to which Require appends one line per test
	// it skips, so that `make test` can say at its end what did not run
	// (go test prints nothing for a skipped test without -v).
	EnvSkipLog = "MXSCOPE_SKIP_LOG"
)

// packages names the Debian package of each tool the suites use, for the
// message of a missing one.
var packages = map[string]string{
	"unbound":           "unbound",
	"unbound-checkconf": "unbound",
	"nsd":               "nsd",
	"nsd-checkzone":     "nsd",
	"knotd":             "knot",
	"keymgr":            "knot",
	"knotc":             "knot",
	"kdig":              "knot-dnsutils",
	"chromium":          "chromium",
	"chromedriver":      "chromium-driver",
	"dnsperf":           "dnsperf",
}

// Require returns the path of the named program (see lookup). When it is missing, the test is skipped with a message
// naming the package to install, and the skip is recorded in the file
// named by MXSCOPE_SKIP_LOG; with MXSCOPE_REQUIRE_TOOLS=1, or in CI, the
// test fails instead.
func Require(tb testing.TB, name string) string {
	tb.Helper()
	if p, ok := lookup(name); ok {
		return p
	}
	pkg := packages[name]
	if pkg == "" {
		pkg = name
	}
	msg := fmt.Sprintf("%s not installed (apt-get install %s)", name, pkg)
	if Required() {
		tb.Fatalf("realdns: %s; %s=1 or CI is set, so a missing tool fails the test rather than skipping it", msg, EnvRequireTools)
		return ""
	}
	recordSkip(tb.Name() + ": " + msg)
	tb.Skipf("skipped: %s", msg)
	return ""
}

// Required reports whether missing tools fail tests rather than skip them.
func Required() bool {
	if os.Getenv(EnvRequireTools) == "1" {
		return true
	}
	switch strings.ToLower(os.Getenv("CI")) {
	case "", "0", "false", "no":
		return false
	}
	return true
}

// recordSkip appends line to the skip log, when there is one. Tests of
// several packages run at once: each line is one O_APPEND write, which
// the kernel does not interleave with another's.
func recordSkip(line string) {
	path := os.Getenv(EnvSkipLog)
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	f.WriteString(line + "\n")
}
