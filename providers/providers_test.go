package providers

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestEmbeddedCatalogParses(t *testing.T) {
	if _, err := Parse(bytes.NewReader(embedded)); err != nil {
		t.Fatalf("Parse(catalog.yaml) error = %v; want nil", err)
	}
	if a, b := Default(), Default(); a != b {
		t.Error("Default() returned two catalogs; want one parsed once")
	}
}

func TestEmbeddedCatalogInvariants(t *testing.T) {
	c := Default()
	if got := len(c.Providers); got < 60 {
		t.Errorf("len(Providers) = %d; want >= 60", got)
	}
	if c.Version == "" {
		t.Error("Version is empty; want a catalog version")
	}
	kinds := map[Kind]int{}
	provenance := regexp.MustCompile(`\b[VCOTG]\b`)
	for _, p := range c.Providers {
		kinds[p.Kind]++
		t.Run(p.Key, func(t *testing.T) {
			if p.Source == "" {
				t.Error("source is empty; want provenance tags")
			} else if !provenance.MatchString(p.Source) {
				t.Errorf("source = %q; want a provenance tag (V, C, O, T or G)", p.Source)
			}
			if p.Source == "G" && !p.Unconfirmed {
				t.Error("source is only G; want unconfirmed: true")
			}
			if p.ResellerOf != "" && !c.HasID(p.ResellerOf) {
				t.Errorf("reseller_of = %q; want a company id of the catalog", p.ResellerOf)
			}
			if p.Name == "" {
				t.Error("name is empty")
			}
		})
	}
	for _, k := range []Kind{KindMailbox, KindGateway, KindForwarding, KindBulk, KindHosting, KindConsumer} {
		if kinds[k] == 0 {
			t.Errorf("no entry of kind %s; want at least one", k)
		}
	}
	for _, id := range []string{"microsoft", "google", "proofpoint", "mimecast", "barracuda", "cisco", "zoho",
		"fastmail", "rackspace", "godaddy", "cloudflare", "amazon", "yahoo", "apple", "proton", "tuta", "ovh",
		"ionos", "hostinger", "newfold", "gandi", "intermedia", "yandex", "vk", "tencent", "alibaba", "netease",
		"naver", "infomaniak", "titan", "namecheap", "trendmicro", "sophos", "forcepoint", "broadcom",
		"hornetsecurity", "nable", "opentext", "trellix", "libraesva", "mcafee", "improvmx", "forwardemail",
		"sendgrid", "mailgun", "mailchimp", "postmark", "sparkpost", "salesforce", "hubspot", "constantcontact",
		"mailjet", "brevo", "campaignmonitor", "marketo", "ngpvan",
		// European gateways and hosts (issue 11).
		"seppmail", "vipre", "heimdal", "comendo", "centera", "cleanmail", "abraxas", "retarus", "nospamproxy",
		"strato", "hostpoint", "a1", "gemdat", "telia", "zone", "one-com", "aruba"} {
		if !c.HasID(id) {
			t.Errorf("HasID(%q) = false; want true", id)
		}
	}
}

func TestIDsAndList(t *testing.T) {
	c := Default()
	ids := c.IDs()
	if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Errorf("IDs() = %v; want sorted and unique", ids)
	}
	list := c.List()
	if len(list) != len(c.Providers) {
		t.Fatalf("len(List()) = %d; want %d", len(list), len(c.Providers))
	}
	for i := 1; i < len(list); i++ {
		a, b := list[i-1], list[i]
		if a.ID > b.ID || a.ID == b.ID && a.Key > b.Key {
			t.Errorf("List() has %s/%s before %s/%s; want sorted by id, then key", a.ID, a.Key, b.ID, b.Key)
		}
	}
	if got := len(c.ByID("microsoft")); got < 4 {
		t.Errorf("len(ByID(microsoft)) = %d; want >= 4 (worldwide, GCC High, 21Vianet, consumer)", got)
	}
	if sel := c.Selectors(); !slices.Contains(sel, "selector1") || !slices.IsSorted(sel) {
		t.Errorf("Selectors() = %v; want sorted, with selector1", sel)
	}
}

const okEntry = `
  - key: acme
    id: acme
    name: Acme Mail
    kind: mailbox
    mx: [mx.acme.example]
    source: "G"
`

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // substring of the error
	}{
		{"empty", "", "empty file"},
		{"not yaml", "version: [\n", "yaml"},
		{"missing version", "providers:" + okEntry, "missing version"},
		{"unknown top-level field", "version: x\nprovider:" + okEntry, "not found"},
		{"unknown entry field", "version: x\nproviders:\n  - key: a\n    id: a\n    kind: mailbox\n    mxx: [a.example]\n", `unknown field "mxx"`},
		{"entry not a mapping", "version: x\nproviders:\n  - just-a-string\n", "must be a mapping"},
		{"missing key", "version: x\nproviders:\n  - id: a\n    kind: mailbox\n", `entry "#1": missing key`},
		{"missing id", "version: x\nproviders:\n  - key: a\n    kind: mailbox\n", `entry "a": missing id`},
		{"upper-case id", "version: x\nproviders:\n  - key: a\n    id: Acme\n    kind: mailbox\n", `id "Acme"`},
		{"missing kind", "version: x\nproviders:\n  - key: a\n    id: a\n", "missing kind"},
		{"bad kind", "version: x\nproviders:\n  - key: a\n    id: a\n    kind: webmail\n", `kind "webmail"`},
		{"duplicate key", "version: x\nproviders:" + okEntry + strings.Replace(okEntry, "mx.acme", "mx2.acme", 1), `entry "acme": duplicate key (first on line 3)`},
		{"duplicate pattern", "version: x\nproviders:" + okEntry + strings.Replace(okEntry, "key: acme", "key: acme2", 1), `mx pattern "mx.acme.example" is already claimed by "acme"`},
		{"bad pattern character", "version: x\nproviders:\n  - key: a\n    id: a\n    kind: gateway\n    mx: [\"bad host.example\"]\n", `mx pattern "bad host.example"`},
		{"wildcard pattern", "version: x\nproviders:\n  - key: a\n    id: a\n    kind: gateway\n    mx: [\"*.pphosted.com\"]\n", "drop the leading"},
		{"one-label pattern", "version: x\nproviders:\n  - key: a\n    id: a\n    kind: gateway\n    spf: [com]\n", "at least 2 labels"},
		{"empty label", "version: x\nproviders:\n  - key: a\n    id: a\n    kind: gateway\n    dkim: [a..example]\n", "empty label"},
		{"hyphen label", "version: x\nproviders:\n  - key: a\n    id: a\n    kind: gateway\n    autodiscover: [-a.example]\n", "hyphen"},
		{"long label", "version: x\nproviders:\n  - key: a\n    id: a\n    kind: gateway\n    mx: [" + strings.Repeat("a", 64) + ".example]\n", "63"},
		{"token without =", "version: x\nproviders:\n  - key: a\n    id: a\n    kind: mailbox\n    tokens: [MS]\n", `token "MS"`},
		{"token with space", "version: x\nproviders:\n  - key: a\n    id: a\n    kind: mailbox\n    tokens: [\"a b=\"]\n", "printable"},
		{"bad selector", "version: x\nproviders:\n  - key: a\n    id: a\n    kind: mailbox\n    dkim_selectors: [\"s 1\"]\n", "dkim selector"},
		{"bad reseller", "version: x\nproviders:\n  - key: a\n    id: a\n    kind: mailbox\n    reseller_of: Micro Soft\n", "reseller_of"},
		{"appliance with a dot", "version: x\nproviders:\n  - key: a\n    id: a\n    kind: gateway\n    appliance: [forti.mail]\n", `appliance "forti.mail"`},
		{"appliance ending in a digit", "version: x\nproviders:\n  - key: a\n    id: a\n    kind: gateway\n    appliance: [esva2]\n", "not ending in a digit"},
		{"duplicate appliance", "version: x\nproviders:\n  - key: a\n    id: a\n    kind: gateway\n    appliance: [esva]\n  - key: b\n    id: b\n    kind: gateway\n    appliance: [ESVA]\n", `appliance pattern "esva" is already claimed by "a"`},
		{"control character", "version: x\nproviders:\n  - key: a\n    id: a\n    kind: mailbox\n    name: \"a\\u001b[31m\"\n", "control"},
		{"two documents", "version: x\n---\nversion: y\n", "more than one"},
		{"wrong type", "version: x\nproviders:\n  - key: a\n    id: a\n    kind: mailbox\n    mx: 5\n", "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.in))
			if err == nil {
				t.Fatalf("Parse() error = nil; want %q", tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Parse() error = %v; want it to wrap ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse() error = %v; want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseTooLarge(t *testing.T) {
	in := "version: x\n# " + strings.Repeat("a", MaxSize) + "\n"
	if _, err := Parse(strings.NewReader(in)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Parse(%d bytes) error = %v; want ErrTooLarge", len(in), err)
	}
}

func TestParseNormalises(t *testing.T) {
	in := "version: v1\nproviders:\n  - key: a\n    id: a\n    kind: gateway\n    mx: [MX.Acme.Example.]\n"
	c, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatalf("Parse() error = %v; want nil", err)
	}
	p := c.ByKey("a")
	if got := p.MX[0]; got != "mx.acme.example" {
		t.Errorf("MX[0] = %q; want %q", got, "mx.acme.example")
	}
	if p.Name != "a" {
		t.Errorf("Name = %q; want the key %q when absent", p.Name, "a")
	}
	if got := c.MatchMX("x.mx.acme.example"); got != p {
		t.Errorf("MatchMX(x.mx.acme.example) = %s; want a", keyOf(got))
	}
}

func TestMerge(t *testing.T) {
	base := Default()
	over, err := Parse(strings.NewReader(`version: local.1
providers:
  - key: proofpoint
    id: proofpoint
    name: Proofpoint (local override)
    kind: gateway
    mx: [pphosted.com]
    source: local
  - key: campaign-relay
    id: campaignrelay
    kind: gateway
    mx: [relay.campaign.example, aspmx.l.google.com]
    source: local
`))
	if err != nil {
		t.Fatalf("Parse(overlay) error = %v; want nil", err)
	}
	m := base.Merge(over)

	if want := base.Version + "+local.1"; m.Version != want {
		t.Errorf("Version = %q; want %q", m.Version, want)
	}
	if got, want := len(m.Providers), len(base.Providers)+1; got != want {
		t.Errorf("len(Providers) = %d; want %d", got, want)
	}
	if got := m.ByKey("proofpoint").Name; got != "Proofpoint (local override)" {
		t.Errorf("ByKey(proofpoint).Name = %q; want the overlay's", got)
	}
	// The replaced entry keeps its position.
	if i, j := slices.Index(base.Providers, base.ByKey("proofpoint")), slices.Index(m.Providers, m.ByKey("proofpoint")); i != j {
		t.Errorf("proofpoint at index %d; want %d (replaced in place)", j, i)
	}
	tests := []struct {
		name, host, key string
	}{
		{"overlay entry", "mx0a-00909a01.pphosted.com", "proofpoint"},
		{"new entry", "relay.campaign.example", "campaign-relay"},
		{"overlay claims a base pattern", "aspmx.l.google.com", "campaign-relay"},
		{"untouched base entry", "smtp.google.com", "google-workspace"},
		{"replaced entry lost its other patterns", "x.ppops.net", "<nil>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := keyOf(m.MatchMX(tt.host)); got != tt.key {
				t.Errorf("MatchMX(%q) = %s; want %s", tt.host, got, tt.key)
			}
		})
	}
	if m.MatchSPF("spf-00909a01.pphosted.com") != nil {
		t.Error("MatchSPF(spf-00909a01.pphosted.com) matched; want nil: the overlay entry has no SPF patterns")
	}
	if !m.HasID("campaignrelay") {
		t.Error("HasID(campaignrelay) = false; want true")
	}
	// The inputs are unchanged.
	if base.ByKey("proofpoint").Name == "Proofpoint (local override)" || base.HasID("campaignrelay") {
		t.Error("Merge modified the base catalog")
	}
	if base.MatchMX("aspmx.l.google.com").Key != "google-workspace" {
		t.Error("Merge changed the base catalog's index")
	}
	if base.Merge(nil) != base {
		t.Error("Merge(nil) did not return the base")
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte("version: f1\nproviders:"+okEntry), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadFile(good)
	if err != nil {
		t.Fatalf("LoadFile() error = %v; want nil", err)
	}
	if c.Version != "f1" || c.ByKey("acme") == nil {
		t.Errorf("LoadFile() = version %q, acme %v; want f1 with acme", c.Version, c.ByKey("acme"))
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("version: f1\nproviders:\n  - key: a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(bad); err == nil || !strings.Contains(err.Error(), "bad.yaml") || !errors.Is(err, ErrInvalid) {
		t.Errorf("LoadFile(bad) error = %v; want the path and ErrInvalid", err)
	}
	if _, err := LoadFile(filepath.Join(dir, "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadFile(missing) error = %v; want os.ErrNotExist", err)
	}
}
