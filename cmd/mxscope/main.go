// Command mxscope shows, from public DNS, where a domain's mail is received,
// who hosts its mailboxes, who may send as it, and how well it is protected
// against spoofing. See README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/mxscope/mxscope/scanner/report"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

// Exit codes, the contract in README.
const (
	exitOK          = 0   // the scan ran; DNS failures are data
	exitError       = 1   // runtime error: unreadable input, failed write, no resolver
	exitUsage       = 2   // bad flags or arguments
	exitFailOn      = 3   // --fail-on SEVERITY was met
	exitUnchecked   = 4   // --fail-on: a target could not be checked (fails closed)
	exitInterrupted = 130 // SIGINT or SIGTERM; what was scanned is still written
)

func main() {
	ctx, _ := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	os.Exit(run(ctx, os.Args[1:], systemStreams()))
}

// init trades memory the scan does not use for less garbage collection: a
// scan's live heap is small and flat (streamed input and output, a bounded
// cache), so collecting at 5x the live heap, capped at 120 MiB, saves CPU
// without letting RSS grow. GOGC and GOMEMLIMIT in the environment win.
func init() {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(400)
		debug.SetMemoryLimit(120 << 20)
	}
}

// streams are the command's standard streams, injected so tests can use
// buffers and pretend to be a terminal.
type streams struct {
	In     io.Reader
	Out    io.Writer
	Err    io.Writer
	OutTTY bool // Out is a terminal: align tables
	ErrTTY bool // Err is a terminal: show progress
	// OutWidth and ErrWidth are those terminals' widths in columns; 0
	// when unknown (the table is then as wide as its cells).
	OutWidth, ErrWidth int
	// Getenv reads the environment (NO_COLOR, TERM); nil reads an empty one.
	Getenv func(string) string
}

func systemStreams() *streams {
	io := &streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, OutTTY: isTerminal(os.Stdout), ErrTTY: isTerminal(os.Stderr), Getenv: os.Getenv}
	if io.OutTTY {
		io.OutWidth = terminalWidth(os.Stdout, os.Getenv)
	}
	if io.ErrTTY {
		io.ErrWidth = terminalWidth(os.Stderr, os.Getenv)
	}
	return io
}

// getenv reads one variable of the command's environment.
func (s *streams) getenv(key string) string {
	if s.Getenv == nil {
		return ""
	}
	return s.Getenv(key)
}

// terminalWidth is the width of the terminal f: what the terminal says,
// else $COLUMNS, else 0 (unknown).
func terminalWidth(f *os.File, getenv func(string) string) int {
	if w := ttyWidth(f); w > 0 {
		return w
	}
	if w, err := strconv.Atoi(getenv("COLUMNS")); err == nil && w > 0 {
		return w
	}
	return 0
}

// colorEnabled says whether output to a terminal may be coloured: not with
// --no-color, nor when NO_COLOR is set to anything (no-color.org), nor on a
// terminal that says it is dumb.
func (s *streams) colorEnabled(noColor bool) bool {
	return !noColor && s.getenv("NO_COLOR") == "" && s.getenv("TERM") != "dumb"
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// run executes the command line and returns the process exit code.
func run(ctx context.Context, args []string, io *streams) int {
	root := newRootCmd(io)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	var ee *cliError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		if ee.msg != "" {
			fmt.Fprintf(io.Err, "mxscope: %s\n", ee.msg)
		}
		if ee.hint != "" {
			fmt.Fprintf(io.Err, "hint: %s\n", ee.hint)
		}
		return ee.code
	default:
		// Cobra's own errors are about flags, arguments and commands.
		msg, hint := cobraError(root, args, err)
		fmt.Fprintf(io.Err, "mxscope: %s\n", msg)
		fmt.Fprintf(io.Err, "hint: %s\n", hint)
		return exitUsage
	}
}

var unknownCommandRE = regexp.MustCompile(`^unknown command "([^"]*)"`)

// cobraError turns one of cobra's errors into a one-line message and a
// hint that names the command: "see 'mxscope scan --help'", or for a
// mistyped command "did you mean 'mxscope scan'?".
func cobraError(root *cobra.Command, args []string, err error) (msg, hint string) {
	msg, _, _ = strings.Cut(err.Error(), "\n") // cobra appends its own suggestions
	msg = report.Clean(msg)
	path := root.CommandPath()
	if c, _, ferr := root.Find(args); ferr == nil && c != nil {
		path = c.CommandPath()
	}
	hint = fmt.Sprintf("see '%s --help'", path)
	if m := unknownCommandRE.FindStringSubmatch(msg); m != nil && path == root.CommandPath() {
		if s := root.SuggestionsFor(m[1]); len(s) > 0 {
			hint = fmt.Sprintf("did you mean '%s %s'? see '%s --help'", path, s[0], path)
		}
	}
	return msg, hint
}

// cliError carries an exit code and a user-facing message out of a
// command. Only usage errors print usage, and only briefly.
type cliError struct {
	code int
	msg  string
	hint string
}

func (e *cliError) Error() string { return e.msg }

func userError(code int, hint, format string, args ...any) error {
	return &cliError{code: code, msg: fmt.Sprintf(format, args...), hint: hint}
}

func toolVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
