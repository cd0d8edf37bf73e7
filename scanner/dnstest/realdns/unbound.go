package realdns

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// Unbound is a running unbound: a recursive resolver on 127.0.0.1 (UDP and
// TCP on one port) that resolves its stub zones by asking the servers given
// for them, and nothing else.
type Unbound struct {
	Addr  string   // 127.0.0.1:port
	Dir   string   // its configuration, pid file and log
	Stubs []string // the stub zones, as FQDNs, sorted

	d *daemon
}

// UnboundOption changes the configuration StartUnbound writes.
type UnboundOption func(*unboundConfig)

type unboundConfig struct {
	threads int
	extra   []string
	anchors []string // trust anchors: validate DNSSEC from them
}

// WithThreads sets num-threads (default 1, which leaves the other core to
// nsd and the scanner on a small machine).
func WithThreads(n int) UnboundOption { return func(c *unboundConfig) { c.threads = max(n, 1) } }

// WithServerConf adds lines to unbound.conf's server: clause, after the
// defaults StartUnbound writes (later lines win), for example
// "msg-buffer-size: 65552" or "edns-buffer-size: 512".
func WithServerConf(lines ...string) UnboundOption {
	return func(c *unboundConfig) { c.extra = append(c.extra, lines...) }
}

// WithTrustAnchor makes unbound a validating resolver (module-config
// "validator iterator") that trusts the given DS or DNSKEY records, one per
// argument in presentation format, such as Knot.TrustAnchor("."). Answers
// that validate from them carry AD; answers that fail are SERVFAIL, unless
// asked with CD.
func WithTrustAnchor(records ...string) UnboundOption {
	return func(c *unboundConfig) { c.anchors = append(c.anchors, records...) }
}

// StartUnbound starts unbound with a stub zone for each entry of stubs
// (zone name → "127.0.0.1@port", the address of an authoritative server
// such as NSD.Stub()) and stops it in tb.Cleanup. The configuration is
// checked with unbound-checkconf first.
//
// Names outside the stub zones are refused at once (local-zone "." refuse),
// so a stray lookup fails fast instead of hanging on timeouts. The root
// itself is stubbed to the first stub's server, so that no lookup inside
// unbound (of a name server's address, say) ever falls back to the built-in
// root hints, and outgoing-interface 127.0.0.1 makes any query to an
// address that is not loopback fail at the socket. The stub servers are
// always loopback: any other address fails the test.
//
// stubs may name the root "." itself (a test root served on loopback, as a
// validating unbound needs for its trust anchor): then nothing is refused,
// and every name is resolved from that root.
func StartUnbound(tb testing.TB, stubs map[string]string, opts ...UnboundOption) *Unbound {
	tb.Helper()
	if len(stubs) == 0 {
		tb.Fatalf("realdns: StartUnbound needs at least one stub zone")
	}
	bin := Find(tb, "unbound")
	u := &Unbound{Dir: tb.TempDir()}
	cfg := unboundConfig{threads: 1}
	for _, o := range opts {
		o(&cfg)
	}
	zones := make(map[string]string, len(stubs))
	for name, addr := range stubs {
		fqdn := dns.CanonicalName(name)
		if _, ok := dns.IsDomainName(fqdn); !ok {
			tb.Fatalf("realdns: %q is not a stub zone name", name)
		}
		if !strings.HasPrefix(addr, "127.") || !strings.Contains(addr, "@") {
			tb.Fatalf("realdns: stub %s: %q is not a loopback 127.x.y.z@port address", name, addr)
		}
		zones[fqdn] = addr
		u.Stubs = append(u.Stubs, fqdn)
	}
	slices.Sort(u.Stubs)

	startOnFreePort(tb, func(port int) error { return u.start(tb, bin, port, zones, cfg) }, func() string { return u.d.logText() })
	return u
}

// start writes unbound.conf for port, checks it, runs `unbound -d -c
// unbound.conf` and waits until it answers. A daemon that fails to become
// ready is stopped before start returns.
func (u *Unbound) start(tb testing.TB, bin string, port int, stubs map[string]string, cfg unboundConfig) error {
	conf := filepath.Join(u.Dir, "unbound.conf")
	logFile := filepath.Join(u.Dir, "unbound.log")
	os.Remove(logFile)
	if err := os.WriteFile(conf, []byte(u.config(tb, port, stubs, cfg)), 0o644); err != nil {
		return err
	}
	check := Find(tb, "unbound-checkconf")
	if out, err := exec.Command(check, conf).CombinedOutput(); err != nil {
		data, _ := os.ReadFile(conf)
		return fmt.Errorf("realdns: unbound-checkconf: %v\n%s\n--- unbound.conf\n%s", err, out, data)
	}
	d, err := startDaemon("unbound", bin, u.Dir, []string{"-d", "-c", conf}, logFile)
	if err != nil {
		return err
	}
	u.d, u.Addr = d, hostPort(port)
	// Any answer, whatever its rcode, says unbound is serving; the stub
	// zones may be broken on purpose.
	first := u.Stubs[0]
	if err := d.waitReady(func() error { _, err := query(u.Addr, first, dns.TypeSOA, false); return err }); err != nil {
		d.stop()
		return err
	}
	tb.Cleanup(u.Stop)
	return nil
}

// config is unbound.conf. Choices that matter:
//   - module-config "iterator": no DNSSEC validation, unless trust anchors
//     are given (WithTrustAnchor): then "validator iterator", the anchors,
//     validation failures in the log, and no trust-anchor signalling
//     queries (RFC 8145), which would only add noise;
//   - do-not-query-localhost no: the stub servers are on 127.0.0.1;
//   - outgoing-interface 127.0.0.1 and local-zone "." refuse plus a
//     transparent local zone per stub: only stub names are resolved, and
//     only on loopback (see StartUnbound);
//   - the default local zone "test." (static, NXDOMAIN) is overridden by the
//     transparent zones, so stub zones under .test work;
//   - target-fetch-policy "0 0 0 0 0": no speculative lookups of name server
//     addresses, which would go outside the stubs;
//   - qname-minimisation no: the stub servers answer the full name at once;
//   - caches small, num-queries-per-thread large and 4 MB socket buffers: a
//     scan has thousands of queries in flight, and unbound's default 1024
//     slots and the system's default 208 KB buffer drop some of them (a
//     buffer that is not granted is only a warning in unbound's log).
func (u *Unbound) config(tb testing.TB, port int, stubs map[string]string, cfg unboundConfig) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("server:")
	p("    interface: 127.0.0.1")
	p("    port: %d", port)
	p("    outgoing-interface: 127.0.0.1")
	p("    do-ip4: yes")
	p("    do-ip6: no")
	p("    do-udp: yes")
	p("    do-tcp: yes")
	p("    access-control: 127.0.0.0/8 allow")
	p("    username: \"\"")
	p("    chroot: \"\"")
	p("    directory: %s", quote(tb, u.Dir))
	p("    pidfile: %s", quote(tb, filepath.Join(u.Dir, "unbound.pid")))
	p("    logfile: %s", quote(tb, filepath.Join(u.Dir, "unbound.log")))
	p("    do-daemonize: no")
	p("    use-syslog: no")
	p("    verbosity: 1")
	p("    num-threads: %d", cfg.threads)
	if len(cfg.anchors) == 0 {
		p("    module-config: \"iterator\"")
	} else {
		p("    module-config: \"validator iterator\"")
		for _, a := range cfg.anchors {
			p("    trust-anchor: %s", quote(tb, a))
		}
		p("    val-log-level: 2")
		p("    trust-anchor-signaling: no")
	}
	p("    do-not-query-localhost: no")
	p("    qname-minimisation: no")
	p("    target-fetch-policy: \"0 0 0 0 0\"")
	p("    hide-identity: yes")
	p("    hide-version: yes")
	p("    minimal-responses: yes")
	p("    prefetch: no")
	p("    infra-keep-probing: yes")
	p("    so-reuseport: no")
	p("    so-rcvbuf: 4m")
	p("    so-sndbuf: 4m")
	p("    msg-cache-size: 8m")
	p("    rrset-cache-size: 16m")
	p("    key-cache-size: 1m")
	p("    neg-cache-size: 1m")
	p("    infra-cache-numhosts: 1000")
	p("    num-queries-per-thread: 4096")
	p("    outgoing-range: 4096")
	p("    incoming-num-tcp: 64")
	p("    outgoing-num-tcp: 64")
	rooted := slices.Contains(u.Stubs, ".")
	if !rooted {
		p("    local-zone: \".\" refuse")
	}
	for _, z := range u.Stubs {
		p("    local-zone: %s transparent", quote(tb, z))
	}
	for _, line := range cfg.extra {
		if strings.ContainsAny(line, "\n\r") {
			tb.Fatalf("realdns: WithServerConf: one line per argument, not %q", line)
		}
		p("    %s", line)
	}
	p("remote-control:")
	p("    control-enable: no")
	if !rooted {
		p("stub-zone:")
		p("    name: \".\"")
		p("    stub-addr: %s", stubs[u.Stubs[0]])
	}
	for _, z := range u.Stubs {
		p("stub-zone:")
		p("    name: %s", quote(tb, z))
		p("    stub-addr: %s", stubs[z])
	}
	return b.String()
}

// Log returns the tail of unbound's log and output, for failure messages.
func (u *Unbound) Log() string { return u.d.logText() }

// Stop ends unbound and waits for it. Cleanup calls it; calling it earlier
// is fine.
func (u *Unbound) Stop() { u.d.stop() }
