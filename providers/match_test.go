package providers

import (
	"strings"
	"testing"
)

// oracle finds the longest label-boundary suffix by scanning every pattern:
// slow and obviously right, to check the index against.
func oracle(c *Catalog, patterns func(*Provider) []string, name string) (*Provider, string) {
	name = lowerASCII(strings.TrimSuffix(name, "."))
	var best *Provider
	var bestPat string
	for _, p := range c.Providers {
		for _, pat := range patterns(p) {
			if (name == pat || strings.HasSuffix(name, "."+pat)) && len(pat) > len(bestPat) {
				best, bestPat = p, pat
			}
		}
	}
	return best, bestPat
}

func keyOf(p *Provider) string {
	if p == nil {
		return "<nil>"
	}
	return p.Key
}

func TestMatchMXEveryPattern(t *testing.T) {
	c := Default()
	mx := func(p *Provider) []string { return p.MX }
	for _, p := range c.Providers {
		for _, pat := range p.MX {
			t.Run(p.Key+"/"+pat, func(t *testing.T) {
				// The pattern itself and a host under it belong to this entry,
				// unless a longer pattern of another entry covers the host.
				if got := c.MatchMX(pat); got != p {
					t.Errorf("MatchMX(%q) = %s; want %s", pat, keyOf(got), p.Key)
				}
				host := "mx1." + pat
				want, _ := oracle(c, mx, host)
				if want != p {
					t.Logf("%s is covered by the longer pattern of %s", host, keyOf(want))
				}
				if got := c.MatchMX(host); got != want {
					t.Errorf("MatchMX(%q) = %s; want %s", host, keyOf(got), keyOf(want))
				}
				if got := c.MatchMX(strings.ToUpper(host) + "."); got != want {
					t.Errorf("MatchMX(upper %q.) = %s; want %s", host, keyOf(got), keyOf(want))
				}

				// Prefix look-alike: "evil"+pattern never matches through this
				// pattern (a shorter, genuine suffix may still match, e.g.
				// evilsmtp.google.com is under google.com).
				evil := "evil" + pat
				got := c.mx.match(evil)
				if got.pattern == pat {
					t.Errorf("MatchMX(%q) matched through %q", evil, pat)
				}
				if wantP, wantPat := oracle(c, mx, evil); got.p != wantP || got.pattern != wantPat {
					t.Errorf("MatchMX(%q) = %s via %q; want %s via %q", evil, keyOf(got.p), got.pattern, keyOf(wantP), wantPat)
				}

				// Suffix look-alike: the pattern as a label of another domain.
				for _, h := range []string{pat + ".evil.example", "mx1." + pat + ".evil.example", pat + "evil.example"} {
					if got := c.MatchMX(h); got != nil {
						t.Errorf("MatchMX(%q) = %s; want <nil>", h, got.Key)
					}
				}
			})
		}
	}
}

func TestMatchMXSpecialForms(t *testing.T) {
	c := Default()
	tests := []struct {
		host string
		key  string // "" for no match
	}{
		{"contoso-com.mail.protection.outlook.com", "microsoft365"},
		{"contoso-com.mail.protection.outlook.com.", "microsoft365"},
		{"Contoso-COM.Mail.Protection.Outlook.com", "microsoft365"},
		{"mail.eo.outlook.com", "microsoft365"},
		{"contosotest-com.o-v1.mx.microsoft", "microsoft365"},
		{"sdu-dk.i-v1.mx.microsoft", "microsoft365"},
		{"x.mail.protection.office365.us", "microsoft365-usgov"},
		{"x.mail.protection.partner.outlook.cn", "microsoft365-cn"},
		{"hotmail-com.olc.protection.outlook.com", "outlook-consumer"},
		{"mx1.hotmail.com", "outlook-consumer"},
		{"smtp.google.com", "google-workspace"},
		{"aspmx.l.google.com", "google-workspace"},
		{"alt4.aspmx.l.google.com", "google-workspace"},
		{"aspmx2.googlemail.com", "google-workspace"},
		{"mx1.smtp.goog", "google-workspace"},
		{"example.com.s8a1.psmtp.com", "google-workspace"},
		{"gmail-smtp-in.l.google.com", "google-gmail"},
		{"alt2.gmail-smtp-in.l.google.com", "google-gmail"},
		{"mx0a-00909a01.pphosted.com", "proofpoint"},
		{"mxa-00909a01.gslb.pphosted.com", "proofpoint"},
		{"mx0a-00909a01.gpphosted.com", "proofpoint-gov"},
		{"mx1-us1.ppe-hosted.com", "proofpoint-essentials"},
		{"us-smtp-inbound-1.mimecast.com", "mimecast"},
		{"d174024a.ess.barracudanetworks.com", "barracuda"},
		{"mx1.hc6813-64.iphmx.com", "cisco-ces"},
		{"mx.us.etd.cisco.com", "cisco-etd"},
		{"mx.usgov.etd.cisco", "cisco-etd"},
		{"in.hes.trendmicro.com", "trendmicro-hes"},
		{"example-com.in.tmes.trendmicro.com", "trendmicro-tmes"},
		{"mta5.am0.yahoodns.net", "yahoo-mail"},
		{"mx-biz.mail.am0.yahoodns.net", "yahoo-business"},
		{"mx-aol.mail.gm0.yahoodns.net", "aol"},
		{"route1.mx.cloudflare.net", "cloudflare-routing"},
		{"inbound-smtp.us-west-2.amazonaws.com", "amazon-workmail"},
		{"mailstore1.secureserver.net", "godaddy-workspace"},
		{"mx01.mail.icloud.com", "icloud"},
		{"mx.zoho.com.au", "zoho"},

		// European gateways and hosts, as real MX records name them.
		{"mx01.hornetsecurity.com", "hornetsecurity"},
		{"mx02.hornetsecurity.ch", "hornetsecurity"},
		{"mx03.hornetsecurity.de", "hornetsecurity"},
		{"filter1234.zerospam.ca", "hornetsecurity"},
		{"a.antispameurope.com", "hornetsecurity"},
		{"mx.seppmail.cloud", "seppmail"},
		{"customer.mail.ch.seppmail.cloud", "seppmail"},
		{"dk.mx1.mailanyone.net", "vipre-email-security"},
		{"dk.mx2.mx25.net", "vipre-email-security"},
		{"mx.electric.net", "vipre-email-security"},
		{"mx1.heimdalsecurity.com", "heimdal-email-security"},
		{"dr-dk.mx2.comendosystems.net", "comendo"},
		{"mx1.centerasecurity.dk", "centera"},
		{"mx1.cleanmail.ch", "cleanmail"},
		{"mx1.cleanmail.safecenter.ch", "cleanmail"},
		{"mta1.abxsec.com", "abraxas-secure-mail"},
		{"smtazh01.abxsec.com", "abraxas-secure-mail"},
		{"smtpin.rzone.de", "strato"},
		{"mx1.mail.hostpoint.ch", "hostpoint"},
		{"mx1.pub.mailpod9-cph3.one.com", "one-com"},
		{"mx1.aruba.it", "aruba"},
		{"mx1.gemdatnoe.at", "gemdat"},

		{"evilgoogle.com", ""},
		{"seppmail.example.ch", ""},  // an appliance: MatchAppliance's business, never the cloud
		{"fortimail.example.fi", ""}, // likewise
		{"hornetsecurity.ch.evil.example", ""},
		{"google.com.evil.example", ""},
		{"aspmx.l.google.com.evil.example", ""},
		{"mail.protection.outlook.com.evil.example", ""},
		{"evilpphosted.com", ""},
		{"ec2-1-2-3-4.compute-1.amazonaws.com", ""},
		{"mail.example.com", ""},
		{"com", ""},
		{"", ""},
		{".", ""},
		{"..", ""},
		{strings.Repeat("a.", 200) + "google.com", ""}, // longer than a DNS name
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			got := keyOf(c.MatchMX(tt.host))
			want := tt.key
			if want == "" {
				want = "<nil>"
			}
			if got != want {
				t.Errorf("MatchMX(%q) = %s; want %s", tt.host, got, want)
			}
		})
	}
}

func TestMatchSPF(t *testing.T) {
	c := Default()
	tests := []struct {
		name string
		key  string
	}{
		{"_spf.google.com", "google-workspace"},
		{"_netblocks2.google.com", "google-workspace"},
		{"spf.protection.outlook.com", "microsoft365"},
		{"SPF.Protection.Outlook.com.", "microsoft365"},
		{"spf.protection.office365.us", "microsoft365-usgov"},
		{"spf-00909a01.pphosted.com", "proofpoint"},
		{"%{i}.spf.hc6813-64.iphmx.com", "cisco-ces"},
		{"%{ir}.%{v}._spf.hc6813-64.iphmx.com", "cisco-ces"},
		{"%{i}x.spf.iphmx.com", "cisco-ces"}, // the partial label "<ip>x" is dropped
		{"x%{i}iphmx.com", ""},               // "iphmx" is part of the label "x<ip>iphmx"; only "com" is left
		{"%%.iphmx.com", "cisco-ces"},
		{"%{i.iphmx.com", ""}, // unclosed macro
		{"%z.iphmx.com", ""},  // not a macro
		{"dispatch-us.ppe-hosted.com", "proofpoint-essentials"},
		{"dispatch-us.ppe-hosted.com/24", "proofpoint-essentials"},
		{"_spf-usg1.ppe-hosted.com", "proofpoint-essentials"},
		{"us._netblocks.mimecast.com", "mimecast"},
		{"uspcom._netblocks.mimecast-pscom-us.com", "mimecast"},
		{"secureserver.net", "godaddy-workspace"},
		{"spf-0.secureserver.net", "godaddy-workspace"},
		{"spf.ess.barracudanetworks.com", "barracuda"},
		{"_spf.prod.hydra.sophos.com", "sophos-email"},
		{"spf.tmes.trendmicro.eu", "trendmicro-tmes"},
		{"spf.hes.trendmicro.com", "trendmicro-hes"},
		{"_spf.yandex.net", "yandex-360"},
		{"_spf.mx.cloudflare.net", "cloudflare-routing"},
		{"amazonses.com", "amazon-ses"},
		{"sendgrid.net", "sendgrid"},
		{"servers.mcsv.net", "mailchimp"},
		{"spf.mandrillapp.com", "mailchimp"},
		{"spf.mtasv.net", "postmark"},
		{"cust-spf.exacttarget.com", "salesforce-marketing-cloud"},
		{"_spf.salesforce.com", "salesforce"},
		{"_spfprod.ngpvan.com", "ngpvan"},
		{"_spf.protonmail.ch", "proton"},
		{"spf.tutanota.de", "tuta"},
		{"evilsendgrid.net", ""},
		{"sendgrid.net.evil.example", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.key
			if want == "" {
				want = "<nil>"
			}
			if got := keyOf(c.MatchSPF(tt.name)); got != want {
				t.Errorf("MatchSPF(%q) = %s; want %s", tt.name, got, want)
			}
		})
	}
}

func TestMatchDKIMAutodiscoverToken(t *testing.T) {
	c := Default()
	tests := []struct {
		kind, in, key string
	}{
		{"dkim", "selector1-contoso-com._domainkey.contoso.onmicrosoft.com", "microsoft365"},
		{"dkim", "fm1.example.com.dkim.fmhosted.com", "fastmail"},
		{"dkim", "protonmail.domainkey.dabc123.domains.proton.ch", "proton"},
		{"dkim", "s1.domainkey.tutanota.de", "tuta"},
		{"dkim", "hostingermail-a.dkim.mail.hostinger.com", "hostinger"},
		{"dkim", "abcdef._domainkey.dkim.amazonses.com", "amazon-ses"},
		{"dkim", "fpkey1-1.out.mailcontrol.com", "forcepoint"},
		{"dkim", "onmicrosoft.com.evil.example", ""},
		{"dkim", "evilonmicrosoft.com", ""},
		{"autodiscover", "autodiscover.outlook.com", "microsoft365"},
		{"autodiscover", "autodiscover.outlook.com.", "microsoft365"},
		{"autodiscover", "autodiscover-dod.office365.us", "microsoft365-usgov"},
		{"autodiscover", "autodiscover.emailsrvr.com", "rackspace"},
		{"autodiscover", "autodiscover.mail.us-east-1.awsapps.com", "amazon-workmail"},
		{"autodiscover", "outlook.com", ""},
		{"autodiscover", "autodiscover.outlook.com.evil.example", ""},
		{"token", "MS=ms12345678", "microsoft365"},
		{"token", "ms=ms12345678", ""}, // case-sensitive
		{"token", "google-site-verification=abc", "google-workspace"},
		{"token", "apple-domain=xyz", "icloud"},
		{"token", "protonmail-verification=abc", "proton"},
		{"token", "t-verify=abc", "tuta"},
		{"token", "forward-email=info:me@example.net", "forwardemail"},
		{"token", "zoho-verification=zb1.zmverify.zoho.com", "zoho"},
		{"token", "v=spf1 include:_spf.google.com ~all", ""},
		{"token", "MS", ""},
		{"token", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.kind+"/"+tt.in, func(t *testing.T) {
			var got *Provider
			switch tt.kind {
			case "dkim":
				got = c.MatchDKIM(tt.in)
			case "autodiscover":
				got = c.MatchAutodiscover(tt.in)
			case "token":
				got = c.MatchToken(tt.in)
			}
			want := tt.key
			if want == "" {
				want = "<nil>"
			}
			if keyOf(got) != want {
				t.Errorf("Match %s(%q) = %s; want %s", tt.kind, tt.in, keyOf(got), want)
			}
		})
	}
}

func TestEveryListMatchesItsOwnPatterns(t *testing.T) {
	c := Default()
	for _, p := range c.Providers {
		for _, pat := range p.SPF {
			if got := c.MatchSPF("x." + pat); got == nil || got.ID != p.ID {
				t.Errorf("MatchSPF(x.%s) = %s; want an entry of %s", pat, keyOf(got), p.ID)
			}
		}
		for _, pat := range p.DKIM {
			if got := c.MatchDKIM("x." + pat); got == nil || got.ID != p.ID {
				t.Errorf("MatchDKIM(x.%s) = %s; want an entry of %s", pat, keyOf(got), p.ID)
			}
		}
		for _, pat := range p.Autodiscover {
			if got := c.MatchAutodiscover(pat); got != p {
				t.Errorf("MatchAutodiscover(%s) = %s; want %s", pat, keyOf(got), p.Key)
			}
		}
		for _, tok := range p.Tokens {
			if got := c.MatchToken(tok + "value"); got != p {
				t.Errorf("MatchToken(%svalue) = %s; want %s", tok, keyOf(got), p.Key)
			}
		}
	}
}

func TestTenant(t *testing.T) {
	c := Default()
	tests := []struct {
		key, host, want string
	}{
		{"microsoft365", "contoso-com.mail.protection.outlook.com", "contoso-com"},
		{"microsoft365", "Contoso-Com.Mail.Protection.Outlook.Com.", "contoso-com"},
		{"microsoft365", "contosotest-com.o-v1.mx.microsoft", "contosotest-com"},
		{"microsoft365", "sdu-dk.i-v1.mx.microsoft", "sdu-dk"},
		{"microsoft365", "old-com.mail.eo.outlook.com", "old-com"},
		{"microsoft365", "mail.protection.outlook.com", ""},
		{"microsoft365", "a.b.mail.protection.outlook.com", ""},
		{"microsoft365", "x.mx.microsoft", ""},
		{"microsoft365", "key.region.mx.microsoft", ""},
		{"microsoft365-usgov", "tenant.mail.protection.office365.us", "tenant"},
		{"microsoft365-cn", "synyi-com.mail.protection.partner.outlook.cn", "synyi-com"},
		{"outlook-consumer", "hotmail-com.olc.protection.outlook.com", ""},
		{"proofpoint", "mx0a-00909a01.pphosted.com", "00909a01"},
		{"proofpoint", "mx0b-00909a01.pphosted.com", "00909a01"},
		{"proofpoint", "mxa-00909a01.gslb.pphosted.com", "00909a01"},
		{"proofpoint", "spf-00909a01.pphosted.com", "00909a01"},
		{"proofpoint-gov", "mx0a-0012ab34.gpphosted.com", "0012ab34"},
		{"proofpoint", "mx0a-0090.pphosted.com", ""},
		{"proofpoint", "mx0a-0090zz01.pphosted.com", ""},
		{"proofpoint", "mail-00909a01.pphosted.com", ""},
		{"proofpoint-essentials", "mx1-us1.ppe-hosted.com", ""},
		{"barracuda", "d174024a.ess.barracudanetworks.com", "d174024"},
		{"barracuda", "d174024b.ess.barracudanetworks.com", "d174024"},
		{"barracuda", "d12a.ess.de.barracudanetworks.com", "d12"},
		{"barracuda", "mx.barracudanetworks.com", ""},
		{"barracuda", "da.ess.barracudanetworks.com", ""},
		{"cisco-ces", "mx1.hc6813-64.iphmx.com", "hc6813-64"},
		{"cisco-ces", "esa2.acme.iphmx.com", "acme"},
		{"cisco-ces", "%{i}.spf.hc6813-64.iphmx.com", "hc6813-64"},
		{"cisco-ces", "hc6813-64.iphmx.com", ""},
		{"mimecast", "us-smtp-inbound-1.mimecast.com", ""},
		{"", "contoso-com.mail.protection.outlook.com", ""}, // nil provider
	}
	for _, tt := range tests {
		t.Run(tt.key+"/"+tt.host, func(t *testing.T) {
			p := c.ByKey(tt.key)
			if got := Tenant(p, tt.host); got != tt.want {
				t.Errorf("Tenant(%s, %q) = %q; want %q", keyOf(p), tt.host, got, tt.want)
			}
		})
	}
}

func TestIsSubdomainOf(t *testing.T) {
	tests := []struct {
		name, parent string
		want         bool
	}{
		{"example.com", "example.com", true},
		{"Mail.Example.COM.", "example.com", true},
		{"mail.example.com", "example.com.", true},
		{"a.b.example.com", "example.com", true},
		{"evilexample.com", "example.com", false},
		{"example.com.evil.example", "example.com", false},
		{"example.com", "mail.example.com", false},
		{"com", "example.com", false},
		{"example.com", "", false},
		{"", "", false},
		{"", "com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.parent, func(t *testing.T) {
			if got := IsSubdomainOf(tt.name, tt.parent); got != tt.want {
				t.Errorf("IsSubdomainOf(%q, %q) = %v; want %v", tt.name, tt.parent, got, tt.want)
			}
		})
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	c := Default()
	for _, h := range []string{
		"contoso-com.mail.protection.outlook.com.",
		"CONTOSO-COM.MAIL.PROTECTION.OUTLOOK.COM",
		"mail.example.com",
	} {
		if n := testing.AllocsPerRun(100, func() { c.MatchMX(h) }); n != 0 {
			t.Errorf("MatchMX(%q) allocates %v times; want 0", h, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { c.MatchSPF("%{i}.spf.hc6813-64.iphmx.com") }); n != 0 {
		t.Errorf("MatchSPF allocates %v times; want 0", n)
	}
}

func TestMatchAppliance(t *testing.T) {
	c := Default()
	tests := []struct {
		host, registered string
		key              string // "" for no match
	}{
		{"fortimail.example.fi", "example.fi", "fortimail-cloud"},
		{"FortiMail01.Example.FI.", "example.fi", "fortimail-cloud"},
		{"fortimail-2.example.fi", "example.fi", "fortimail-cloud"},
		{"mx.fortimail.example.fi", "example.fi", "fortimail-cloud"},
		{"seppmail.gemeinde.ch", "gemeinde.ch", "seppmail"},
		{"seppmail01.gemeinde.ch", "gemeinde.ch", "seppmail"},
		{"ironport1.mail.example.com", "example.com", "cisco-ces"},
		{"barracuda.example.co.uk", "example.co.uk", "barracuda"},
		{"esva2.reseller.it", "reseller.it", "libraesva"},
		{"pmg.example.at", "example.at", "proxmox-mail-gateway"},

		// The registered domain itself names nothing: fortimail.fi is someone's domain.
		{"mx.fortimail.fi", "fortimail.fi", ""},
		{"fortimail.fi", "fortimail.fi", ""},
		// Look-alikes of a label are not the product.
		{"fortimailer.example.fi", "example.fi", ""},
		{"myfortimail.example.fi", "example.fi", ""},
		{"mx-fortimail.example.fi", "example.fi", ""},
		{"mail.example.fi", "example.fi", ""},
		{"123.example.fi", "example.fi", ""},
		// A host outside the registered domain it is given matches nothing.
		{"fortimail.example.fi", "other.fi", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			if got, want := keyOf(c.MatchAppliance(tt.host, tt.registered)), or(tt.key, "<nil>"); got != want {
				t.Errorf("MatchAppliance(%q, %q) = %s; want %s", tt.host, tt.registered, got, want)
			}
		})
	}
	var nilCat *Catalog
	if nilCat.MatchAppliance("fortimail.example.fi", "example.fi") != nil {
		t.Error("a nil catalog matched an appliance")
	}
}

func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

func TestNilCatalogMatchesNothing(t *testing.T) {
	var c *Catalog
	if c.MatchMX("aspmx.l.google.com") != nil || c.MatchSPF("_spf.google.com") != nil ||
		c.MatchDKIM("x.onmicrosoft.com") != nil || c.MatchAutodiscover("autodiscover.outlook.com") != nil ||
		c.MatchToken("MS=ms1") != nil || c.ByKey("microsoft365") != nil || c.HasID("google") {
		t.Error("a nil catalog matched something; want nothing")
	}
}

var benchHosts = []string{
	"contoso-com.mail.protection.outlook.com.",
	"aspmx.l.google.com.",
	"alt1.gmail-smtp-in.l.google.com",
	"mx0a-00909a01.pphosted.com",
	"us-smtp-inbound-1.mimecast.com",
	"mail.example-campaign.org",
	"MX1.HC6813-64.IPHMX.COM",
}

func BenchmarkMatchMX(b *testing.B) {
	c := Default()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.MatchMX(benchHosts[i%len(benchHosts)])
		i++
	}
}
