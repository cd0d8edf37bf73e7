package scanner

import (
	"github.com/mxscope/mxscope/scanner/resolve"
	"github.com/mxscope/mxscope/scanner/targets"
)

// Schema is the version of the JSON result contract. It changes only together
// with README's description of the output.
const Schema = 1

// Status is the outcome of resolving the domain itself. A domain whose status
// is ok may still have failed sub-lookups; those carry their own status.
type Status string

const (
	StatusOK       Status = "ok"       // the domain answered (NOERROR), with or without MX records
	StatusNXDomain Status = "nxdomain" // the domain does not exist
	StatusServFail Status = "servfail" // the resolver could not get an answer (SERVFAIL)
	StatusTimeout  Status = "timeout"  // no answer within the timeout, after every retry
	StatusRefused  Status = "refused"  // the resolver refused the query (REFUSED)
	StatusInvalid  Status = "invalid"  // the targets entry is not a valid domain name; nothing was queried
	StatusError    Status = "error"    // any other failure: a malformed answer, an odd rcode, an interrupted scan
)

// statusOf maps a lookup status onto the status of the domain itself. NODATA
// means the domain exists, so it is ok.
func statusOf(s resolve.Status) Status {
	switch s {
	case resolve.StatusOK, resolve.StatusNoData:
		return StatusOK
	case resolve.StatusNXDomain:
		return StatusNXDomain
	case resolve.StatusServFail:
		return StatusServFail
	case resolve.StatusTimeout:
		return StatusTimeout
	case resolve.StatusRefused:
		return StatusRefused
	default:
		return StatusError
	}
}

// Mail says how the domain receives mail.
type Mail string

const (
	MailMX       Mail = "mx"       // the domain publishes MX records
	MailImplicit Mail = "implicit" // no MX, but an address: mail goes to the domain itself (RFC 5321 §5.1)
	MailNullMX   Mail = "null-mx"  // "MX 0 ." : the domain accepts no mail (RFC 7505)
	MailNone     Mail = "none"     // no MX and no address, or the domain does not exist
	MailUnknown  Mail = "unknown"  // the MX lookup failed, so where mail goes is not known
)

// Confidence grades the mailbox attribution.
type Confidence string

const (
	ConfidenceHigh   Confidence = "high"   // the MX names the mailbox host, or tenant-specific evidence does (a lower-preference MX, a delegated DKIM selector)
	ConfidenceMedium Confidence = "medium" // indirect evidence (autodiscover, a DKIM key, the domain's own server) or several kinds agreeing
	ConfidenceLow    Confidence = "low"    // one SPF include of the domain's own record and nothing else: a possible answer
)

// Severity ranks findings. The order matters for --fail-on.
type Severity string

const (
	SeverityHigh   Severity = "high"   // the domain can be spoofed or its mail captured today
	SeverityMedium Severity = "medium" // protection is incomplete or fragile
	SeverityLow    Severity = "low"    // hygiene: worth fixing, not urgent
	SeverityInfo   Severity = "info"   // a fact worth knowing, not a fault
)

// Rank orders severities: higher is worse. Unknown severities rank 0.
func (s Severity) Rank() int {
	switch s {
	case SeverityHigh:
		return 4
	case SeverityMedium:
		return 3
	case SeverityLow:
		return 2
	case SeverityInfo:
		return 1
	}
	return 0
}

// Provider ids that are not catalog entries.
const (
	ProviderSelfHosted = "self-hosted" // the MX host is the domain or under its registered domain
	ProviderUnknown    = "unknown"     // an MX host the catalog does not know
	ProviderNone       = "none"        // the domain takes no mail
)

// Result is everything mxscope learned about one target. Field names and
// their JSON form are the contract described in README.
type Result struct {
	Domain          string         `json:"domain"`
	Input           string         `json:"input,omitempty"`
	Unicode         string         `json:"unicode,omitempty"`
	Labels          targets.Labels `json:"labels,omitempty"`
	Line            int            `json:"line,omitempty"`
	Position        int            `json:"position,omitempty"` // in the whole list, for a shard's rows (targets.Target.Position)
	Status          Status         `json:"status"`
	Error           string         `json:"error,omitempty"`
	Mail            Mail           `json:"mail,omitempty"`
	MX              []MX           `json:"mx"`
	Provider        string         `json:"provider"`
	Gateway         string         `json:"gateway"`
	Mailbox         string         `json:"mailbox"`
	MailboxEvidence []string       `json:"mailbox_evidence"`
	Confidence      Confidence     `json:"confidence,omitempty"`
	Reseller        string         `json:"reseller,omitempty"`
	Tenant          string         `json:"tenant,omitempty"`
	Senders         []string       `json:"senders"`
	SPF             SPF            `json:"spf"`
	DMARC           DMARC          `json:"dmarc"`
	MTASTS          Policy         `json:"mta_sts"`
	TLSRPT          Policy         `json:"tls_rpt"`
	DNSSEC          *DNSSEC        `json:"dnssec,omitempty"`
	DKIM            *DKIM          `json:"dkim,omitempty"`
	BIMI            *BIMI          `json:"bimi,omitempty"`
	// Parked: the domain takes no mail (null MX or no MX), authorises no
	// sender ("v=spf1 -all") and asks receivers to reject forgeries (DMARC
	// p=reject at 100%): parked as it should be.
	Parked   bool      `json:"parked,omitempty"`
	Findings []Finding `json:"findings"`
	// Match is set by a caller that filters by provider (--provider):
	// the providers found and the layer of each.
	Match []Match `json:"match,omitempty"`

	interrupted bool // the scan's context ended while this domain was in flight
}

// MX is one mail exchanger of the domain.
type MX struct {
	Preference uint16         `json:"preference"`
	Host       string         `json:"host"`
	Provider   string         `json:"provider"`
	Product    string         `json:"product,omitempty"`
	Addresses  []string       `json:"addresses"`
	Status     resolve.Status `json:"status,omitempty"`
	Canonical  string         `json:"canonical,omitempty"` // the end of the CNAME chain, when the host is an alias; provider is its
	Appliance  string         `json:"appliance,omitempty"` // the vendor whose on-premises product the host names (fortimail.example.fi), run by the host's owner
	TLSA       *TLSA          `json:"tlsa,omitempty"`
}

// SPF summarises the domain's SPF record and the include tree behind it.
type SPF struct {
	Status      string     `json:"status"`
	Record      string     `json:"record,omitempty"`
	All         string     `json:"all,omitempty"`
	Lookups     int        `json:"lookups"`
	VoidLookups int        `json:"void_lookups"`
	Includes    []string   `json:"includes"`
	Tree        []*SPFNode `json:"tree,omitempty"`
	Error       string     `json:"error,omitempty"`
}

// SPFNode is one include or redirect in the SPF tree.
type SPFNode struct {
	Name     string     `json:"name"`
	Via      string     `json:"via"`
	Status   string     `json:"status"`
	Error    string     `json:"error,omitempty"`
	Children []*SPFNode `json:"children,omitempty"`
}

// DMARC summarises the DMARC policy that applies to the domain, as RFC 9989
// discovers it (README, "DMARC", says which RFC each field follows). Policy
// is the tag that applies to this domain: p of its own record; sp, or np
// when the domain does not exist, of the Organizational Domain's or Public
// Suffix Domain's record. OrgDomain is the RFC 9989 tree walk's.
type DMARC struct {
	Status          string   `json:"status"`
	Record          string   `json:"record,omitempty"`
	Policy          string   `json:"policy,omitempty"`
	SubdomainPolicy string   `json:"subdomain_policy,omitempty"`
	Pct             *int     `json:"pct,omitempty"`
	RUA             []string `json:"rua,omitempty"`
	RUF             []string `json:"ruf,omitempty"`
	Source          string   `json:"source,omitempty"`
	Inherited       bool     `json:"inherited,omitempty"`
	OrgDomain       string   `json:"org_domain,omitempty"`
	Error           string   `json:"error,omitempty"`
	// AppliedPolicy is what RFC 9989 receivers apply to failing mail:
	// Policy, one step lower when the record says t=y.
	AppliedPolicy     string   `json:"applied_policy,omitempty"`
	Testing           bool     `json:"testing,omitempty"`            // the record says t=y
	NonexistentPolicy string   `json:"nonexistent_policy,omitempty"` // the record's np (defaults to sp)
	PSDPolicy         bool     `json:"psd_policy,omitempty"`         // the record is a Public Suffix Domain's (psd=y)
	MultipleRecords   []string `json:"multiple_records,omitempty"`   // _dmarc names holding several records, discarded
	Warnings          []string `json:"warnings,omitempty"`           // what receivers discard or ignore in the record
}

// Policy is the state of a TXT policy record such as MTA-STS or TLS-RPT.
type Policy struct {
	Status string `json:"status"`
	Record string `json:"record,omitempty"`
	Error  string `json:"error,omitempty"`
	// Policy is the MTA-STS policy file, when the record exists and the
	// mta-sts-policy check ran (never for TLS-RPT).
	Policy *STSPolicy `json:"policy,omitempty"`
}

// STSPolicy is the MTA-STS policy fetched over HTTPS.
type STSPolicy struct {
	Status string   `json:"status"` // ok | none | unreachable | invalid | temperror
	URL    string   `json:"url,omitempty"`
	Mode   string   `json:"mode,omitempty"`    // enforce | testing | none
	MaxAge *int64   `json:"max_age,omitempty"` // seconds
	MX     []string `json:"mx,omitempty"`      // the mx patterns
	Error  string   `json:"error,omitempty"`
}

// DKIM is what the DKIM selectors probed showed.
type DKIM struct {
	Status    string         `json:"status"` // ok | none | unknown | temperror; "" when not checked
	Selectors []DKIMSelector `json:"selectors,omitempty"`
	Probed    int            `json:"probed,omitempty"` // how many selectors were asked
	Error     string         `json:"error,omitempty"`
}

// DKIMSelector is one selector that publishes a key record.
type DKIMSelector struct {
	Selector string `json:"selector"`
	Status   string `json:"status"`             // ok | revoked | invalid
	KeyType  string `json:"key_type,omitempty"` // rsa | ed25519
	KeyBits  int    `json:"key_bits,omitempty"`
	Testing  bool   `json:"testing"`
	Error    string `json:"error,omitempty"`
}

// BIMI is the domain's BIMI assertion record.
type BIMI struct {
	Status    string `json:"status"` // ok | none | invalid | temperror; "" when not checked
	Record    string `json:"record,omitempty"`
	Logo      string `json:"logo,omitempty"`
	Authority string `json:"authority,omitempty"`
	Error     string `json:"error,omitempty"`
}

// Finding is one posture rule that fired for the domain.
type Finding struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Fix      string   `json:"fix,omitempty"`
}

// Worst returns the most severe finding's severity, or "" when there is none.
func (r *Result) Worst() Severity {
	var w Severity
	for _, f := range r.Findings {
		if f.Severity.Rank() > w.Rank() {
			w = f.Severity
		}
	}
	return w
}

// Layer says where a provider appears for a domain, for --provider.
type Layer string

const (
	LayerMX       Layer = "mx"       // an MX host is the provider's (gateway or mailbox host): what an inspection of MX records sees
	LayerMailbox  Layer = "mailbox"  // behind the MX, the mailbox host is the provider's, with medium or high confidence
	LayerPossible Layer = "possible" // the mailbox host is the provider's with low confidence only: weak evidence, not a finding
)

// Match is one provider a --provider filter found for a domain, and the
// layer it was found in.
type Match struct {
	Provider string `json:"provider"`
	Layer    Layer  `json:"layer"`
}

// ProviderLayer reports where company id appears for the domain: in the MX
// layer (any MX host, the gateway included), else in the mailbox layer
// (with medium or high confidence), else as a possible mailbox host (low
// confidence). SPF senders do not count: authorising a sender is not
// hosting mail. A self-run appliance (fortimail.example.fi) is not its
// vendor's service, and a domain whose lookups failed matches nothing.
func (r *Result) ProviderLayer(id string) (Layer, bool) {
	if r.Status != StatusOK || id == "" {
		return "", false
	}
	for _, m := range r.MX {
		if m.Provider == id {
			return LayerMX, true
		}
	}
	if r.Mailbox != id {
		return "", false
	}
	if r.Confidence == ConfidenceLow {
		return LayerPossible, true
	}
	return LayerMailbox, true
}

// MatchProviders returns, in the order of ids, each provider found for the
// domain and its layer (ProviderLayer), possible ones included; nil when
// none is.
func MatchProviders(r *Result, ids []string) []Match {
	var out []Match
	for _, id := range ids {
		if l, ok := r.ProviderLayer(id); ok {
			out = append(out, Match{Provider: id, Layer: l})
		}
	}
	return out
}

// HasProvider reports whether id is where the domain's mail lives: an MX
// host, or the mailbox host behind them with medium or high confidence. It
// returns the layer that matched. Low-confidence mailbox answers do not
// count; ProviderLayer reports them as possible.
func (r *Result) HasProvider(id string) (layer string, ok bool) {
	l, ok := r.ProviderLayer(id)
	if !ok || l == LayerPossible {
		return "", false
	}
	return string(l), true
}
