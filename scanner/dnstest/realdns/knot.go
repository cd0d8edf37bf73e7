package realdns

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// DS says what a zone's parent publishes for it, and so whether a
// validating resolver can build a chain of trust down to it.
type DS int

const (
	// DSMatching: the DS record of the zone's key, a chain of trust (secure).
	// It is what a signed zone gets by default; an unsigned zone gets none.
	DSMatching DS = iota
	// DSNone: no DS record: the zone is insecure, signed or not.
	DSNone
	// DSBroken: a DS record whose digest matches no key of the zone:
	// validation fails (bogus).
	DSBroken
)

// KnotZone is one zone for StartKnot.
type KnotZone struct {
	Name string // the zone name; "." is the root
	// Text is RFC 1035 zone text with the zone name as its origin: the
	// SOA, the NS records and the data, delegations with their NS and glue
	// records, but no DS records for the child zones StartKnot serves
	// (it adds those, as DS says).
	Text string
	// Signed has knot sign the zone itself (dnssec-signing: on, with a
	// policy: ECDSA P-256 in one combined key, NSEC).
	Signed bool
	// DS is what the parent zone, the closest enclosing zone StartKnot
	// serves, publishes for this one.
	DS DS
}

// Knot is a running knotd, authoritative for its zones on 127.0.0.1 (UDP
// and TCP on one port), signing the signed ones itself.
type Knot struct {
	Addr  string   // 127.0.0.1:port
	Dir   string   // its configuration, zone files, key database and log
	Zones []string // the zones it serves, as FQDNs, sorted

	ds     map[string][]*dns.DS // signed zone → the DS records of its key (SHA-256)
	runDir string               // knotd's rundir: its control socket
	d      *daemon
}

// knotPolicy is the signing policy: one ECDSA P-256 key per zone doing
// both jobs (a CSK), never rolled over, and NSEC, the simplest denial.
const knotPolicy = "test"

// StartKnot starts knotd serving zones and stops it in tb.Cleanup. Before
// the start it makes a key for every signed zone with keymgr, so that
// every parent zone can be written with its children's DS records (as
// each KnotZone's DS says) and knotd starts once; knotd then signs the
// zones itself with those keys. It returns once every zone answers its SOA
// authoritatively and every signed zone serves a signed DNSKEY RRset with
// the key its DS records were made from. The test fails with knot's log
// when that does not happen within 20s.
func StartKnot(tb testing.TB, zones []KnotZone) *Knot {
	tb.Helper()
	if len(zones) == 0 {
		tb.Fatalf("realdns: StartKnot needs at least one zone")
	}
	bin := Find(tb, "knotd")
	keymgr := Find(tb, "keymgr")
	k := &Knot{Dir: tb.TempDir(), ds: map[string][]*dns.DS{}}
	if err := os.Mkdir(filepath.Join(k.Dir, "zones"), 0o755); err != nil {
		tb.Fatalf("realdns: %v", err)
	}
	// knotd binds its control socket in rundir and will not start when the
	// socket's path is longer than a socket address holds (108 bytes), as
	// tb.TempDir's may be: rundir gets a short directory of its own.
	run, err := os.MkdirTemp("", "knot")
	if err != nil {
		tb.Fatalf("realdns: %v", err)
	}
	tb.Cleanup(func() { os.RemoveAll(run) })
	k.runDir = run
	byName := map[string]KnotZone{}
	for _, z := range zones {
		fqdn := dns.CanonicalName(z.Name)
		if _, ok := dns.IsDomainName(fqdn); !ok {
			tb.Fatalf("realdns: %q is not a zone name", z.Name)
		}
		if _, dup := byName[fqdn]; dup {
			tb.Fatalf("realdns: zone %s given twice", fqdn)
		}
		z.Name = fqdn
		byName[fqdn] = z
		k.Zones = append(k.Zones, fqdn)
	}
	slices.Sort(k.Zones)

	// keymgr reads the zones and the policy from the configuration; the
	// port is written again for each start.
	conf := filepath.Join(k.Dir, "knot.conf")
	k.writeConfig(tb, conf, FreePort(tb), byName)
	for _, name := range k.Zones {
		if !byName[name].Signed {
			continue
		}
		run := func(args ...string) string {
			out, err := exec.Command(keymgr, append([]string{"-c", conf, name}, args...)...).CombinedOutput()
			if err != nil {
				tb.Fatalf("realdns: keymgr %s %s: %v\n%s", name, strings.Join(args, " "), err, out)
			}
			return string(out)
		}
		run("generate", "algorithm=ecdsap256sha256", "ksk=yes", "zsk=yes")
		k.ds[name] = parseDS(tb, run("ds"))
	}

	for _, name := range k.Zones {
		text := byName[name].Text
		if !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		for _, child := range k.Zones {
			if k.parent(child) != name || !byName[child].Signed {
				continue
			}
			for _, ds := range k.ds[child] {
				switch byName[child].DS {
				case DSMatching:
					text += dsText(ds, "300 IN ") + "\n"
				case DSBroken:
					text += dsText(brokenDS(tb, ds), "300 IN ") + "\n"
				}
			}
		}
		if err := os.WriteFile(filepath.Join(k.Dir, "zones", knotZoneFile(name)), []byte(text), 0o644); err != nil {
			tb.Fatalf("realdns: %v", err)
		}
	}

	startOnFreePort(tb, func(port int) error {
		k.writeConfig(tb, conf, port, byName)
		return k.start(tb, bin, conf, port, byName)
	}, func() string { return k.d.logText() })
	return k
}

// parent returns the closest served zone strictly above name, or "".
func (k *Knot) parent(name string) string {
	for p, ok := parentName(name); ok; p, ok = parentName(p) {
		if slices.Contains(k.Zones, p) {
			return p
		}
	}
	return ""
}

// parentName returns the name one label up; false for the root.
func parentName(name string) (string, bool) {
	if name == "." {
		return "", false
	}
	i, end := dns.NextLabel(name, 0)
	if end {
		return ".", true
	}
	return name[i:], true
}

// parseDS reads keymgr's "ds" output and keeps the SHA-256 records (digest
// type 2), the one every validator supports.
func parseDS(tb testing.TB, out string) []*dns.DS {
	tb.Helper()
	var ds []*dns.DS
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		rr, err := dns.NewRR(sc.Text())
		if err != nil || rr == nil {
			continue
		}
		if d, ok := rr.(*dns.DS); ok && d.DigestType == dns.SHA256 {
			ds = append(ds, d)
		}
	}
	if len(ds) == 0 {
		tb.Fatalf("realdns: no SHA-256 DS record in keymgr's output:\n%s", out)
	}
	return ds
}

// dsText writes a DS record on one line, with ttlClass ("300 IN ") or
// nothing between its owner and its type.
func dsText(d *dns.DS, ttlClass string) string {
	return fmt.Sprintf("%s %sDS %d %d %d %s", d.Hdr.Name, ttlClass, d.KeyTag, d.Algorithm, d.DigestType, strings.ToLower(d.Digest))
}

// brokenDS returns the record with the first byte of its digest changed:
// the key tag still names the key, and the digest matches it no more.
func brokenDS(tb testing.TB, d *dns.DS) *dns.DS {
	tb.Helper()
	digest, err := hex.DecodeString(d.Digest)
	if err != nil || len(digest) == 0 {
		tb.Fatalf("realdns: DS digest %q: %v", d.Digest, err)
	}
	digest[0] ^= 0xff
	b := *d
	b.Digest = hex.EncodeToString(digest)
	return &b
}

// knotZoneFile names a zone's file in the zones directory.
func knotZoneFile(fqdn string) string {
	if fqdn == "." {
		return "root.zone"
	}
	return strings.TrimSuffix(fqdn, ".") + ".zone"
}

// writeConfig writes knot.conf: loopback only, one worker of each kind,
// every database in Dir and the control socket in runDir, zone files never
// written back (zonefile-sync -1) and no journal, so that the zone files
// stay what the test wrote and each start signs them afresh with the same
// keys.
func (k *Knot) writeConfig(tb testing.TB, conf string, port int, zones map[string]KnotZone) {
	tb.Helper()
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("server:")
	p("    listen: 127.0.0.1@%d", port)
	p("    rundir: %s", quote(tb, k.runDir))
	p("    pidfile: %s", quote(tb, filepath.Join(k.Dir, "knot.pid")))
	p("    udp-workers: 1")
	p("    tcp-workers: 1")
	p("    background-workers: 1")
	p("log:")
	p("  - target: %s", quote(tb, filepath.Join(k.Dir, "knot.log")))
	p("    any: info")
	p("database:")
	p("    storage: %s", quote(tb, k.Dir))
	p("policy:")
	p("  - id: %s", knotPolicy)
	p("    algorithm: ecdsap256sha256")
	p("    single-type-signing: on")
	p("    ksk-lifetime: 0")
	p("    zsk-lifetime: 0")
	p("    nsec3: off")
	p("template:")
	p("  - id: default")
	p("    storage: %s", quote(tb, filepath.Join(k.Dir, "zones")))
	p("    zonefile-sync: -1")
	p("    journal-content: none")
	p("zone:")
	for _, name := range k.Zones {
		p("  - domain: %s", quote(tb, name))
		p("    file: %s", quote(tb, knotZoneFile(name)))
		if zones[name].Signed {
			p("    dnssec-signing: on")
			p("    dnssec-policy: %s", knotPolicy)
		}
	}
	if err := os.WriteFile(conf, []byte(b.String()), 0o644); err != nil {
		tb.Fatalf("realdns: %v", err)
	}
}

// start runs `knotd -c knot.conf` in the foreground and waits until it
// serves every zone, signed where it should be. A daemon that fails to
// become ready is stopped before start returns.
func (k *Knot) start(tb testing.TB, bin, conf string, port int, zones map[string]KnotZone) error {
	logFile := filepath.Join(k.Dir, "knot.log")
	os.Remove(logFile)
	d, err := startDaemon("knotd", bin, k.Dir, []string{"-c", conf}, logFile)
	if err != nil {
		return err
	}
	k.d, k.Addr = d, hostPort(port)
	if err := d.waitReady(func() error { return k.ready(zones) }); err != nil {
		d.stop()
		return err
	}
	tb.Cleanup(k.Stop)
	return nil
}

// ready reports nil once every zone answers its SOA authoritatively and
// every signed zone serves its key, signed: the DNSKEY RRset with an RRSIG,
// holding the key the zone's DS records were made from.
func (k *Knot) ready(zones map[string]KnotZone) error {
	for _, name := range k.Zones {
		r, err := query(k.Addr, name, dns.TypeSOA, false)
		if err != nil {
			return err
		}
		if r.Rcode != dns.RcodeSuccess || !r.Authoritative || len(r.Answer) == 0 {
			return fmt.Errorf("SOA %s: rcode %s, aa=%v, %d answers", name, dns.RcodeToString[r.Rcode], r.Authoritative, len(r.Answer))
		}
		if !zones[name].Signed {
			continue
		}
		m := new(dns.Msg)
		m.SetQuestion(name, dns.TypeDNSKEY)
		m.SetEdns0(4096, true)
		r, _, err = (&dns.Client{Net: "tcp", Timeout: 500 * time.Millisecond}).Exchange(m, k.Addr)
		if err != nil {
			return err
		}
		signed, keyed := false, false
		for _, rr := range r.Answer {
			switch v := rr.(type) {
			case *dns.RRSIG:
				signed = signed || v.TypeCovered == dns.TypeDNSKEY
			case *dns.DNSKEY:
				if ds := v.ToDS(dns.SHA256); ds != nil {
					for _, want := range k.ds[name] {
						keyed = keyed || strings.EqualFold(ds.Digest, want.Digest)
					}
				}
			}
		}
		if !signed || !keyed {
			return fmt.Errorf("DNSKEY %s: signed=%v, has the key of its DS=%v", name, signed, keyed)
		}
	}
	return nil
}

// TrustAnchor returns the DS records of a signed zone's key (SHA-256), one
// per line as unbound's trust-anchor option takes them ("zone. DS tag alg 2
// digest"); nil for a zone knot does not sign.
func (k *Knot) TrustAnchor(zone string) []string {
	var out []string
	for _, d := range k.ds[dns.CanonicalName(zone)] {
		out = append(out, dsText(d, ""))
	}
	return out
}

// Port is the port knotd listens on (UDP and TCP).
func (k *Knot) Port() int {
	_, p, _ := strings.Cut(k.Addr, ":")
	port, _ := strconv.Atoi(p)
	return port
}

// Stub is knotd's address as unbound's stub-addr wants it: 127.0.0.1@port.
func (k *Knot) Stub() string { return "127.0.0.1@" + strconv.Itoa(k.Port()) }

// Log returns the tail of knot's log and output, for failure messages.
func (k *Knot) Log() string { return k.d.logText() }

// Stop ends knotd and waits for it. Cleanup calls it; calling it earlier
// is fine.
func (k *Knot) Stop() { k.d.stop() }
