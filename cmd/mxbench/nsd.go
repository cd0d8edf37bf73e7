package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// findTool looks for a program in PATH and in the sbin directories, where
// Debian puts daemons that a normal user's PATH leaves out.
func findTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found in PATH, /usr/sbin or /sbin", name)
}

// ensureTools finds nsd and dnsperf, installing Debian's packages when one
// is missing and we are root.
func ensureTools(ctx context.Context, log io.Writer) (nsd, dnsperf string, err error) {
	nsd, err1 := findTool("nsd")
	dnsperf, err2 := findTool("dnsperf")
	if err1 == nil && err2 == nil {
		return nsd, dnsperf, nil
	}
	if os.Geteuid() != 0 {
		return "", "", fmt.Errorf("%w\nhint: install them with: sudo apt-get install -y nsd dnsperf", errors.Join(err1, err2))
	}
	fmt.Fprintln(log, "mxbench: installing nsd and dnsperf with apt-get")
	for _, args := range [][]string{{"update"}, {"install", "-y", "--no-install-recommends", "nsd", "dnsperf"}} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			return "", "", fmt.Errorf("apt-get %s: %w", args[0], err)
		}
	}
	if nsd, err = findTool("nsd"); err != nil {
		return "", "", err
	}
	if dnsperf, err = findTool("dnsperf"); err != nil {
		return "", "", err
	}
	return nsd, dnsperf, nil
}

// nsdServer is an nsd child process serving the generated zones on
// 127.0.0.1.
type nsdServer struct {
	Addr string // 127.0.0.1:port
	cmd  *exec.Cmd
	dir  string
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, once done is closed
}

// freePort returns a port that was free for both UDP and TCP on 127.0.0.1.
func freePort() (int, error) {
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		l.Close()
		if err == nil {
			u.Close()
			return port, nil
		}
	}
	return 0, errors.New("no free port on 127.0.0.1")
}

// startNSD writes an nsd.conf into dir for the given zones, starts nsd in
// the foreground as a child, and waits until it answers an SOA query for
// probe. The caller must call stop, which also runs when ctx ends.
func startNSD(ctx context.Context, bin, dir string, zones map[string]string, probe string, servers int, wait time.Duration) (*nsdServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, `server:
	ip-address: 127.0.0.1@%d
	port: %d
	username: ""
	database: ""
	zonesdir: %q
	pidfile: %q
	logfile: %q
	xfrdfile: %q
	zonelistfile: %q
	server-count: %d
	verbosity: 0
	hide-version: yes
	tcp-count: 512
	receive-buffer-size: 8388608
	send-buffer-size: 8388608
	# Debian builds nsd with response rate limiting (200 qps per client
	# netblock by default), which would drop most of a benchmark's answers.
	rrl-ratelimit: 0
	rrl-whitelist-ratelimit: 0

remote-control:
	control-enable: no
`, port, port, dir, filepath.Join(dir, "nsd.pid"), filepath.Join(dir, "nsd.log"),
		filepath.Join(dir, "xfrd.state"), filepath.Join(dir, "zone.list"), servers)
	names := make([]string, 0, len(zones))
	for z := range zones {
		names = append(names, z)
	}
	slices.Sort(names)
	for _, z := range names {
		fmt.Fprintf(&b, "\nzone:\n\tname: %q\n\tzonefile: %q\n", z+".", zones[z])
	}
	conf := filepath.Join(dir, "nsd.conf")
	if err := os.WriteFile(conf, []byte(b.String()), 0o644); err != nil {
		return nil, err
	}

	cmd := exec.Command(bin, "-d", "-c", conf)
	cmd.Dir = dir
	out, err := os.Create(filepath.Join(dir, "nsd.out"))
	if err != nil {
		return nil, err
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group: a terminal's ^C reaches only mxbench, which
	// then stops nsd and its children in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting nsd: %w", err)
	}
	s := &nsdServer{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), cmd: cmd, dir: dir, done: make(chan struct{})}
	go func() { s.err = cmd.Wait(); close(s.done) }()

	if err := s.waitReady(ctx, probe, wait); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// waitReady polls with SOA queries until nsd has loaded the zone.
func (s *nsdServer) waitReady(ctx context.Context, zone string, wait time.Duration) error {
	c := &dns.Client{Timeout: 500 * time.Millisecond}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(zone), dns.TypeSOA)
	deadline := time.Now().Add(wait)
	for {
		r, _, err := c.ExchangeContext(ctx, m, s.Addr)
		if err == nil && r.Rcode == dns.RcodeSuccess && len(r.Answer) > 0 {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("nsd exited (%v): %s", s.err, s.logTail())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nsd did not answer for %s within %s: %s", zone, wait, s.logTail())
		}
	}
}

// logTail returns the end of nsd's log and output, for error messages.
func (s *nsdServer) logTail() string {
	var parts []string
	for _, f := range []string{"nsd.log", "nsd.out"} {
		b, _ := os.ReadFile(filepath.Join(s.dir, f))
		if t := strings.TrimSpace(string(b)); t != "" {
			if len(t) > 1500 {
				t = "..." + t[len(t)-1500:]
			}
			parts = append(parts, t)
		}
	}
	if len(parts) == 0 {
		return "no log output"
	}
	return strings.Join(parts, "\n")
}

// stop asks nsd to shut down (SIGTERM), and kills its process group if it
// has not exited within five seconds. It is safe to call more than once.
func (s *nsdServer) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	pgid := s.cmd.Process.Pid
	_ = syscall.Kill(pgid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-s.done
	}
	// nsd's server and xfrd children leave with their parent; make sure.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// toolVersion returns the first line of a program's version output that
// contains "version".
func toolVersion(bin string, args ...string) string {
	out, _ := exec.Command(bin, args...).CombinedOutput()
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(strings.ToLower(l), "version") {
			return strings.TrimSpace(l)
		}
	}
	return "unknown"
}
