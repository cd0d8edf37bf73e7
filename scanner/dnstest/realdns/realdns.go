// Package realdns runs real DNS daemons — Debian's nsd, unbound and knotd —
// on loopback for integration tests and benchmarks, so that mxscope is
// checked against the servers it meets in the wild and not only against its
// own test server (scanner/dnstest). knotd signs its zones itself (DNSSEC),
// and unbound can validate them from the test root's trust anchor.
//
// It promises:
//   - nothing starts at import; every daemon is started by a Start function,
//     with its own configuration, logs and pid file in tb.TempDir(), listening
//     only on 127.0.0.1, and is stopped (SIGTERM, then SIGKILL to its process
//     group) and waited for in tb.Cleanup;
//   - no query ever leaves the machine: unbound sends only from 127.0.0.1,
//     answers REFUSED at once for names outside its stub zones, and has a
//     stub for the root so that it never consults the built-in root hints;
//   - a missing daemon skips the test with a message naming the package,
//     recorded for `make test` to report, or fails it in CI (Require).
//
// Besides the daemons it offers a lossy UDP proxy (drop and delay, with a
// lossless TCP relay on the same port) and a black hole that accepts queries
// and never answers.
package realdns

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Timeouts for daemon start and stop. Generous: CI machines are slow, and a
// start that needs this long has failed anyway.
const (
	startTimeout = 20 * time.Second
	stopTimeout  = 5 * time.Second
	pollInterval = 50 * time.Millisecond
	startTries   = 3 // attempts, each on a new port, when a daemon exits while starting
)

// errExited says a daemon ended while it was being started (typically: its
// port was taken in the meantime); the start is tried again on a new port.
var errExited = errors.New("realdns: daemon exited while starting")

// startOnFreePort calls start with a free port until it succeeds or fails
// otherwise than by the daemon exiting (errExited: the port was taken in
// the meantime), at most startTries times; a failure fails tb with the
// daemon's log.
func startOnFreePort(tb testing.TB, start func(port int) error, log func() string) {
	tb.Helper()
	var err error
	for range startTries {
		if err = start(FreePort(tb)); !errors.Is(err, errExited) {
			break
		}
	}
	if err != nil {
		tb.Fatalf("%v\n%s", err, log())
	}
}

// Find returns the path of the named daemon; see Require, which it is.
func Find(tb testing.TB, name string) string {
	tb.Helper()
	return Require(tb, name)
}

// lookup finds the named program in PATH, then /usr/sbin and /sbin
// (Debian installs nsd, unbound and knotd there, outside a normal user's
// PATH).
func lookup(name string) (string, bool) {
	if p, err := exec.LookPath(name); err == nil {
		return p, true
	}
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, true
		}
	}
	return "", false
}

// FreePort returns a port on 127.0.0.1 that was free for both UDP and TCP
// when it was asked. A daemon binds it a moment later; the Start functions
// try again on a new port should another process take it in between.
func FreePort(tb testing.TB) int {
	tb.Helper()
	pc, l, err := listenBoth()
	if err != nil {
		tb.Fatalf("realdns: no free port: %v", err)
		return 0
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()
	l.Close()
	return port
}

// listenBoth binds UDP on a free port of 127.0.0.1 and TCP on the same port,
// trying again with a new port when TCP's is taken.
func listenBoth() (net.PacketConn, net.Listener, error) {
	var err error
	for range 20 {
		var pc net.PacketConn
		if pc, err = net.ListenPacket("udp4", "127.0.0.1:0"); err != nil {
			return nil, nil, err
		}
		var l net.Listener
		if l, err = net.Listen("tcp4", pc.LocalAddr().String()); err == nil {
			return pc, l, nil
		}
		pc.Close()
	}
	return nil, nil, err
}

// CheckZone runs nsd-checkzone on a zone file and fails the test with its
// output when the zone does not load. A zone nsd rejects would otherwise
// show up only as REFUSED answers.
func CheckZone(tb testing.TB, name, file string) {
	tb.Helper()
	bin := Find(tb, "nsd-checkzone")
	out, err := exec.Command(bin, strings.TrimSuffix(dns.Fqdn(name), "."), file).CombinedOutput()
	if err != nil {
		tb.Fatalf("realdns: nsd-checkzone %s %s: %v\n%s", name, file, err, out)
	}
}

// daemon is one running nsd or unbound, started in the foreground as a
// child process in its own process group.
type daemon struct {
	name   string
	cmd    *exec.Cmd
	logs   []string      // files worth showing when it fails: its log, its stderr
	exited chan struct{} // closed when the process has been waited for
	err    error         // from Wait, valid once exited is closed
}

// startDaemon runs bin with args, stdout and stderr going to dir/name.out.
func startDaemon(name, bin, dir string, args []string, logs ...string) (*daemon, error) {
	outPath := filepath.Join(dir, name+".out")
	out, err := os.Create(outPath)
	if err != nil {
		return nil, err
	}
	defer out.Close() // the child holds its own copy
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("realdns: starting %s: %w", name, err)
	}
	d := &daemon{name: name, cmd: cmd, logs: append(logs, outPath), exited: make(chan struct{})}
	go func() {
		d.err = cmd.Wait()
		close(d.exited)
	}()
	return d, nil
}

// stop ends the daemon: SIGTERM, then SIGKILL to its whole process group
// (nsd forks helpers) after stopTimeout, and waits for it. It is idempotent.
func (d *daemon) stop() {
	select {
	case <-d.exited:
		killGroup(d.cmd.Process) // helpers a crashed parent may have left
		return
	default:
	}
	_ = d.cmd.Process.Signal(termSignal)
	select {
	case <-d.exited:
	case <-time.After(stopTimeout):
		killGroup(d.cmd.Process)
		<-d.exited
	}
	killGroup(d.cmd.Process)
}

// logText returns the daemon's log files, for failure messages.
func (d *daemon) logText() string {
	if d == nil {
		return "" // it never started
	}
	var b strings.Builder
	for _, p := range d.logs {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		const max = 16 << 10
		if len(data) > max {
			data = data[len(data)-max:]
		}
		fmt.Fprintf(&b, "--- %s\n%s", filepath.Base(p), data)
	}
	return b.String()
}

// waitReady polls ready until it returns nil, the daemon exits (errExited)
// or startTimeout passes.
func (d *daemon) waitReady(ready func() error) error {
	deadline := time.Now().Add(startTimeout)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		select {
		case <-d.exited:
			return fmt.Errorf("%w: %s: %v", errExited, d.name, d.err)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("realdns: %s not ready after %v: %v", d.name, startTimeout, err)
		}
		time.Sleep(pollInterval)
	}
}

// query sends one question to addr over UDP (or TCP when tcp is set) with a
// short timeout.
func query(addr, name string, qtype uint16, tcp bool) (*dns.Msg, error) {
	c := &dns.Client{Timeout: 500 * time.Millisecond}
	if tcp {
		c.Net = "tcp"
	}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = true
	r, _, err := c.Exchange(m, addr)
	return r, err
}

// hostPort formats 127.0.0.1:port.
func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// quote writes s as a double-quoted configuration string. Neither nsd nor
// unbound has escapes in strings, so a value with a quote or a line break
// fails the test rather than silently changing the configuration.
func quote(tb testing.TB, s string) string {
	tb.Helper()
	if strings.ContainsAny(s, "\"\n\r") {
		tb.Fatalf("realdns: %q cannot be written into a daemon configuration", s)
	}
	return `"` + s + `"`
}
