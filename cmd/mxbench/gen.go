package main

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// kind is where a synthetic domain's mail goes. The mix below follows what
// real campaign lists look like: mostly Google and Microsoft, a tenth behind
// a security gateway, a tenth self-hosted, a few smaller hosts, and some
// names that have lapsed.
type kind int

const (
	kindGoogle     kind = iota // Google Workspace: aspmx.l.google.com and alt1..alt4
	kindMicrosoft              // Microsoft 365: <key>.mail.protection.outlook.com
	kindProofpoint             // Proofpoint gateway in front of Microsoft 365
	kindMimecast               // Mimecast gateway in front of Google
	kindBarracuda              // Barracuda gateway in front of Microsoft 365
	kindSelf                   // self-hosted: mail.<domain> with an address
	kindZoho                   // Zoho Mail
	kindFastmail               // Fastmail
	kindNX                     // listed in targets, absent from the zone: NXDOMAIN
)

// mix is the share of each kind, in per mille; it adds up to 1000.
var mix = []struct {
	k        kind
	perMille int
	provider string // the provider id mxscope should report
}{
	{kindGoogle, 400, "google"},
	{kindMicrosoft, 300, "microsoft"},
	{kindProofpoint, 40, "proofpoint"},
	{kindMimecast, 30, "mimecast"},
	{kindBarracuda, 30, "barracuda"},
	{kindSelf, 100, "self-hosted"},
	{kindZoho, 30, "zoho"},
	{kindFastmail, 20, "fastmail"},
	{kindNX, 50, "none"},
}

// seed fixes the generated data: the same N gives the same files.
const seed = 20260101

const (
	benchZone = "bench.test"
	nsName    = "ns.bench.test."
)

// dataset is what gen wrote and what the run needs to check results.
type dataset struct {
	Dir      string
	N        int
	Targets  string            // YAML targets file
	Queries  string            // dnsperf input: the mx,spf,dmarc mix
	Zones    map[string]string // zone name (no trailing dot) -> zone file
	Kinds    []kind            // per target, in order
	Provider []string          // expected provider id per target
	Counts   map[kind]int
}

func domainName(i int) string { return fmt.Sprintf("d%07d.%s", i, benchZone) }

// gen writes, into dir, the targets file, the dnsperf query file, the
// bench.test zone with n domains and the provider zones their MX hosts and
// SPF includes point into. The output depends only on n.
func gen(dir string, n int) (*dataset, error) {
	if n < 1 || n > 9_999_999 {
		return nil, fmt.Errorf("domain count must be between 1 and 9999999, not %d", n)
	}
	ds := &dataset{
		Dir: dir, N: n,
		Targets: filepath.Join(dir, "targets.yaml"),
		Queries: filepath.Join(dir, "queries.txt"),
		Zones:   map[string]string{},
		Counts:  map[kind]int{},
	}
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	ds.Kinds = make([]kind, n)
	ds.Provider = make([]string, n)
	for i := range n {
		r := rng.IntN(1000)
		for _, m := range mix {
			if r < m.perMille {
				ds.Kinds[i], ds.Provider[i] = m.k, m.provider
				break
			}
			r -= m.perMille
		}
		ds.Counts[ds.Kinds[i]]++
	}

	err := writeFile(ds.Targets, func(w *bufio.Writer) error {
		parties := []string{"D", "R", "I", "L", "G"}
		fmt.Fprintf(w, "# mxbench: %d synthetic campaign domains (seed %d)\n", n, seed)
		// Labels on every row, as in real use, but short: mxscope caps a
		// targets file at 64 MiB, and a million rows must fit.
		for i := range n {
			fmt.Fprintf(w, "- {domain: %s, candidate: S%d, party: %s}\n", domainName(i+1), i+1, parties[i%len(parties)])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = writeFile(ds.Queries, func(w *bufio.Writer) error {
		for i := range n {
			d := domainName(i + 1)
			fmt.Fprintf(w, "%s MX\n%s TXT\n_dmarc.%s TXT\n", d, d, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	zone := filepath.Join(dir, benchZone+".zone")
	ds.Zones[benchZone] = zone
	if err := writeFile(zone, func(w *bufio.Writer) error { return writeBenchZone(w, ds, rng) }); err != nil {
		return nil, err
	}
	for name, body := range providerZones() {
		f := filepath.Join(dir, name+".zone")
		ds.Zones[name] = f
		if err := os.WriteFile(f, []byte(zoneHeader(name)+body), 0o644); err != nil {
			return nil, err
		}
	}
	return ds, nil
}

func writeFile(path string, fill func(*bufio.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := fill(w); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func zoneHeader(origin string) string {
	return fmt.Sprintf("$ORIGIN %s.\n$TTL 3600\n@ SOA %s hostmaster.%s. 1 7200 3600 1209600 3600\n@ NS %s\n",
		origin, nsName, origin, nsName)
}

// writeBenchZone writes the campaign domains. Names are relative to
// bench.test. The _dmarc.bench.test name is deliberately absent, so the
// DMARC tree walk of a domain without a record ends in NXDOMAIN answers.
func writeBenchZone(w io.Writer, ds *dataset, rng *rand.Rand) error {
	fmt.Fprint(w, zoneHeader(benchZone))
	fmt.Fprintf(w, "ns A 127.0.0.1\n")
	policies := []string{"none", "quarantine", "reject"}
	for i, k := range ds.Kinds {
		if k == kindNX {
			continue
		}
		d := fmt.Sprintf("d%07d", i+1)
		fqdn := domainName(i + 1)
		key := strings.ReplaceAll(fqdn, ".", "-") // Microsoft's domain key
		tenant := fmt.Sprintf("%08x", rng.Uint32())
		switch k {
		case kindGoogle:
			fmt.Fprintf(w, "%s MX 1 aspmx.l.google.com.\n%s MX 5 alt1.aspmx.l.google.com.\n%s MX 5 alt2.aspmx.l.google.com.\n"+
				"%s MX 10 alt3.aspmx.l.google.com.\n%s MX 10 alt4.aspmx.l.google.com.\n", d, d, d, d, d)
			fmt.Fprintf(w, "%s TXT \"v=spf1 include:_spf.google.com ~all\"\n", d)
			if rng.IntN(3) == 0 {
				fmt.Fprintf(w, "%s TXT \"google-site-verification=%s%s\"\n", d, tenant, tenant)
			}
			if rng.IntN(2) == 0 {
				fmt.Fprintf(w, "google._domainkey.%s TXT \"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC%s\"\n", d, tenant)
			}
		case kindMicrosoft:
			fmt.Fprintf(w, "%s MX 0 %s.mail.protection.outlook.com.\n", d, key)
			fmt.Fprintf(w, "%s TXT \"v=spf1 include:spf.protection.outlook.com -all\"\n", d)
			fmt.Fprintf(w, "%s TXT \"MS=ms%s\"\n", d, tenant)
			if rng.IntN(2) == 0 {
				fmt.Fprintf(w, "autodiscover.%s CNAME autodiscover.outlook.com.\n", d)
				fmt.Fprintf(w, "selector1._domainkey.%s CNAME selector1-%s._domainkey.t%s.onmicrosoft.com.\n", d, key, tenant)
			}
		case kindProofpoint:
			fmt.Fprintf(w, "%s MX 10 mx0a-%s.pphosted.com.\n%s MX 10 mx0b-%s.pphosted.com.\n", d, tenant, d, tenant)
			fmt.Fprintf(w, "%s TXT \"v=spf1 include:spf-%s.pphosted.com include:spf.protection.outlook.com -all\"\n", d, tenant)
			fmt.Fprintf(w, "selector1._domainkey.%s CNAME selector1-%s._domainkey.t%s.onmicrosoft.com.\n", d, key, tenant)
		case kindMimecast:
			fmt.Fprintf(w, "%s MX 10 us-smtp-inbound-1.mimecast.com.\n%s MX 10 us-smtp-inbound-2.mimecast.com.\n", d, d)
			fmt.Fprintf(w, "%s TXT \"v=spf1 include:us._netblocks.mimecast.com include:_spf.google.com ~all\"\n", d)
		case kindBarracuda:
			id := 100000 + rng.IntN(900000)
			fmt.Fprintf(w, "%s MX 10 d%da.ess.barracudanetworks.com.\n%s MX 10 d%db.ess.barracudanetworks.com.\n", d, id, d, id)
			fmt.Fprintf(w, "%s TXT \"v=spf1 include:spf.ess.barracudanetworks.com include:spf.protection.outlook.com -all\"\n", d)
			fmt.Fprintf(w, "autodiscover.%s CNAME autodiscover.outlook.com.\n", d)
		case kindSelf:
			fmt.Fprintf(w, "%s MX 10 mail.%s\n", d, d)
			fmt.Fprintf(w, "mail.%s A 198.51.100.%d\n", d, 1+rng.IntN(254))
			fmt.Fprintf(w, "%s TXT \"v=spf1 mx -all\"\n", d)
		case kindZoho:
			fmt.Fprintf(w, "%s MX 10 mx.zoho.com.\n%s MX 20 mx2.zoho.com.\n%s MX 50 mx3.zoho.com.\n", d, d, d)
			fmt.Fprintf(w, "%s TXT \"v=spf1 include:zoho.com ~all\"\n", d)
			fmt.Fprintf(w, "%s TXT \"zoho-verification=zb%s.zmverify.zoho.com\"\n", d, tenant)
		case kindFastmail:
			fmt.Fprintf(w, "%s MX 10 in1-smtp.messagingengine.com.\n%s MX 20 in2-smtp.messagingengine.com.\n", d, d)
			fmt.Fprintf(w, "%s TXT \"v=spf1 include:spf.messagingengine.com ?all\"\n", d)
			fmt.Fprintf(w, "fm1._domainkey.%s CNAME fm1.%s.dkim.fmhosted.com.\n", d, fqdn)
		}
		// About 85% publish DMARC, reports to their own domain.
		if rng.IntN(100) < 85 {
			fmt.Fprintf(w, "_dmarc.%s TXT \"v=DMARC1; p=%s; rua=mailto:dmarc@%s\"\n", d, policies[rng.IntN(len(policies))], fqdn)
		}
		// A few publish MTA-STS and TLS-RPT.
		if rng.IntN(10) == 0 {
			fmt.Fprintf(w, "_mta-sts.%s TXT \"v=STSv1; id=2026%s\"\n", d, tenant)
			fmt.Fprintf(w, "_smtp._tls.%s TXT \"v=TLSRPTv1; rua=mailto:tls@%s\"\n", d, fqdn)
		}
	}
	return nil
}

// providerZones are the parts of the providers' DNS the campaign domains
// point into: MX host addresses and SPF include chains, so that every name
// mxscope asks is answered on loopback. test. is there so that the DMARC
// tree walk's last step (_dmarc.test) gets an authoritative NXDOMAIN.
func providerZones() map[string]string {
	return map[string]string{
		"test": "",
		"google.com": `aspmx.l A 142.250.27.26
aspmx.l AAAA 2a00:1450:4025:401::1a
alt1.aspmx.l A 142.250.153.27
alt1.aspmx.l AAAA 2a00:1450:4013:c16::1a
alt2.aspmx.l A 142.251.9.26
alt2.aspmx.l AAAA 2a00:1450:4025:c03::1a
alt3.aspmx.l A 142.250.150.26
alt3.aspmx.l AAAA 2a00:1450:4010:c1c::1a
alt4.aspmx.l A 142.251.9.27
alt4.aspmx.l AAAA 2a00:1450:4025:c03::1b
_spf TXT "v=spf1 include:_netblocks.google.com include:_netblocks2.google.com include:_netblocks3.google.com ~all"
_netblocks TXT "v=spf1 ip4:35.190.247.0/24 ip4:64.233.160.0/19 ip4:66.102.0.0/20 ip4:66.249.80.0/20 ip4:72.14.192.0/18 ip4:74.125.0.0/16 ip4:108.177.8.0/21 ip4:173.194.0.0/16 ip4:209.85.128.0/17 ip4:216.58.192.0/19 ip4:216.239.32.0/19 ~all"
_netblocks2 TXT "v=spf1 ip6:2001:4860:4000::/36 ip6:2404:6800:4000::/36 ip6:2607:f8b0:4000::/36 ip6:2800:3f0:4000::/36 ip6:2a00:1450:4000::/36 ip6:2c0f:fb50:4000::/36 ~all"
_netblocks3 TXT "v=spf1 ip4:172.217.0.0/19 ip4:172.217.32.0/20 ip4:172.217.128.0/19 ip4:172.217.160.0/20 ip4:172.217.192.0/19 ip4:172.253.56.0/21 ip4:172.253.112.0/20 ip4:108.177.96.0/19 ip4:35.191.0.0/16 ip4:130.211.0.0/22 ~all"
`,
		"outlook.com": `*.mail.protection A 52.101.68.4
spf.protection TXT "v=spf1 ip4:40.92.0.0/15 ip4:40.107.0.0/16 ip4:52.100.0.0/15 ip4:52.102.0.0/16 ip4:52.103.0.0/16 ip4:104.47.0.0/17 ip6:2a01:111:f400::/48 ip6:2a01:111:f403::/49 ip6:2a01:111:f403:8000::/50 ip6:2a01:111:f403:c000::/51 ip6:2a01:111:f403:f000::/52 -all"
autodiscover A 52.96.88.40
`,
		"pphosted.com": `* A 148.163.129.1
* TXT "v=spf1 ip4:148.163.128.0/19 ip4:67.231.144.0/20 -all"
`,
		"mimecast.com": `us-smtp-inbound-1 A 205.139.110.221
us-smtp-inbound-2 A 170.10.128.221
us._netblocks TXT "v=spf1 ip4:207.211.30.0/24 ip4:205.139.110.0/24 ip4:170.10.128.0/24 ip4:170.10.129.0/24 ip4:170.10.133.0/24 ~all"
`,
		"barracudanetworks.com": `*.ess A 209.222.82.252
spf.ess TXT "v=spf1 ip4:64.235.144.0/20 ip4:209.222.80.0/21 ip4:35.170.131.81 ip4:54.156.255.69 -all"
`,
		"zoho.com": `@ TXT "v=spf1 ip4:136.143.160.0/19 ip4:135.84.80.0/22 ip4:204.141.32.0/23 ip4:204.141.42.0/23 ~all"
mx A 204.141.33.44
mx2 A 204.141.32.121
mx3 A 204.141.42.56
`,
		// DKIM selector CNAMEs point here; a TXT query that follows them
		// must not leave the served zones.
		"onmicrosoft.com": `* TXT "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC"
`,
		"fmhosted.com": `* TXT "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC"
`,
		"messagingengine.com": `in1-smtp A 103.168.172.216
in2-smtp A 103.168.172.217
spf TXT "v=spf1 ip4:66.111.4.0/24 ip4:103.168.172.0/22 ip4:202.12.124.128/27 ?all"
`,
	}
}
