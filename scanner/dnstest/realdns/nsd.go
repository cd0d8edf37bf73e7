package realdns

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// NSD is a running nsd, authoritative for the zones it was given, on
// 127.0.0.1 (UDP and TCP on one port). It answers REFUSED for any other zone.
type NSD struct {
	Addr  string   // 127.0.0.1:port
	Dir   string   // its configuration, zone files, pid file and log
	Zones []string // the zones it serves, as FQDNs, sorted

	d *daemon
}

// StartNSD starts nsd serving zones (zone name → RFC 1035 zone file text;
// the zone name is the origin) and stops it in tb.Cleanup. Every zone is
// checked with nsd-checkzone first; the test fails with nsd's log when nsd
// does not start, or does not answer the SOA of every zone, within 20s.
func StartNSD(tb testing.TB, zones map[string]string) *NSD {
	tb.Helper()
	if len(zones) == 0 {
		tb.Fatalf("realdns: StartNSD needs at least one zone")
	}
	bin := Find(tb, "nsd")
	dir := tb.TempDir()
	zoneDir := filepath.Join(dir, "zones")
	if err := os.Mkdir(zoneDir, 0o755); err != nil {
		tb.Fatalf("realdns: %v", err)
	}
	n := &NSD{Dir: dir}
	for name, text := range zones {
		fqdn := dns.CanonicalName(name)
		if _, ok := dns.IsDomainName(fqdn); !ok || fqdn == "." {
			tb.Fatalf("realdns: %q is not a zone name nsd can serve", name)
		}
		file := filepath.Join(zoneDir, zoneFile(fqdn))
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			tb.Fatalf("realdns: %v", err)
		}
		CheckZone(tb, fqdn, file)
		n.Zones = append(n.Zones, fqdn)
	}
	slices.Sort(n.Zones)

	startOnFreePort(tb, func(port int) error { return n.start(tb, bin, port) }, func() string { return n.d.logText() })
	return n
}

// zoneFile names a zone's file inside zonesdir.
func zoneFile(fqdn string) string { return strings.TrimSuffix(fqdn, ".") + ".zone" }

// start writes nsd.conf for port, runs `nsd -d -c nsd.conf` and waits until
// it answers authoritatively for every zone. A daemon that fails to become
// ready is stopped before start returns.
func (n *NSD) start(tb testing.TB, bin string, port int) error {
	conf := filepath.Join(n.Dir, "nsd.conf")
	logFile := filepath.Join(n.Dir, "nsd.log")
	os.Remove(logFile)
	if err := os.WriteFile(conf, []byte(n.config(tb, port)), 0o644); err != nil {
		return err
	}
	d, err := startDaemon("nsd", bin, n.Dir, []string{"-d", "-c", conf}, logFile)
	if err != nil {
		return err
	}
	n.d, n.Addr = d, hostPort(port)
	if err := d.waitReady(n.ready); err != nil {
		d.stop()
		return err
	}
	tb.Cleanup(n.Stop)
	return nil
}

// config is nsd.conf: loopback only, no privilege drop, no chroot, no
// database, every state file in Dir, no remote control, response rate
// limiting off (a scan asks thousands of questions a second from one
// address; rate limiting would turn them into truncated answers and drops),
// 4 MB socket buffers for a scan's bursts, and minimal responses (no NS
// records in the authority section that unbound might prefer to its stub
// address).
func (n *NSD) config(tb testing.TB, port int) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("server:")
	p("    ip-address: 127.0.0.1@%d", port)
	p("    port: %d", port)
	p("    do-ip4: yes")
	p("    do-ip6: no")
	p("    server-count: 1")
	p("    username: \"\"")
	p("    chroot: \"\"")
	p("    database: \"\"")
	p("    zonesdir: %s", quote(tb, filepath.Join(n.Dir, "zones")))
	p("    zonelistfile: %s", quote(tb, filepath.Join(n.Dir, "zone.list")))
	p("    xfrdfile: %s", quote(tb, filepath.Join(n.Dir, "xfrd.state")))
	p("    xfrdir: %s", quote(tb, n.Dir))
	p("    pidfile: %s", quote(tb, filepath.Join(n.Dir, "nsd.pid")))
	p("    logfile: %s", quote(tb, filepath.Join(n.Dir, "nsd.log")))
	p("    hide-version: yes")
	p("    hide-identity: yes")
	p("    verbosity: 1")
	p("    minimal-responses: yes")
	p("    tcp-count: 256")
	p("    receive-buffer-size: 4194304")
	p("    send-buffer-size: 4194304")
	p("    rrl-ratelimit: 0")
	p("    rrl-whitelist-ratelimit: 0")
	p("remote-control:")
	p("    control-enable: no")
	for _, z := range n.Zones {
		p("zone:")
		p("    name: %s", quote(tb, z))
		p("    zonefile: %s", quote(tb, zoneFile(z)))
	}
	return b.String()
}

// ready reports nil once nsd answers the SOA of every zone authoritatively.
func (n *NSD) ready() error {
	for _, z := range n.Zones {
		r, err := query(n.Addr, z, dns.TypeSOA, false)
		if err != nil {
			return err
		}
		if r.Rcode != dns.RcodeSuccess || !r.Authoritative || len(r.Answer) == 0 {
			return fmt.Errorf("SOA %s: rcode %s, aa=%v, %d answers", z, dns.RcodeToString[r.Rcode], r.Authoritative, len(r.Answer))
		}
	}
	return nil
}

// Port is the port nsd listens on (UDP and TCP).
func (n *NSD) Port() int {
	_, p, _ := strings.Cut(n.Addr, ":")
	port, _ := strconv.Atoi(p)
	return port
}

// Stub is nsd's address as unbound's stub-addr wants it: 127.0.0.1@port.
func (n *NSD) Stub() string { return "127.0.0.1@" + strconv.Itoa(n.Port()) }

// Log returns the tail of nsd's log and output, for failure messages.
func (n *NSD) Log() string { return n.d.logText() }

// Stop ends nsd and waits for it. Cleanup calls it; calling it earlier (to
// make a server disappear mid-test) is fine.
func (n *NSD) Stop() { n.d.stop() }
