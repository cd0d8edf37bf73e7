package report

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/targets"
)

// A scan writes one Result per domain, and encoding/json's reflection was a
// few percent of a large scan's CPU. appendResult writes the same bytes
// without reflection: the fields, their order, omitempty and null-for-nil
// exactly as encoding/json derives them from scanner.Result's tags (with
// HTML escaping off, as marshal sets it). TestAppendResultMatchesMarshal
// holds it to that.
//
// scanner.Result belongs to another package and will grow. resultShape
// records the type graph this encoder was written for; when the real one
// differs (a field added, renamed, retagged or retyped, or a Marshaler
// added), fastResultJSON is false and results go through encoding/json as
// before, so the output stays right, only slower, until this file catches
// up. TestResultShapeIsKnown fails meanwhile, to say so.

// resultShape is typeShape(scanner.Result) when appendResult was written.
const resultShape = `scanner.Result{Domain string "domain";Input string "input,omitempty";Unicode string "unicode,omitempty";Labels targets.Labels "labels,omitempty";Line int "line,omitempty";Position int "position,omitempty";Status scanner.Status "status";Error string "error,omitempty";Mail scanner.Mail "mail,omitempty";MX []scanner.MX "mx";Provider string "provider";Gateway string "gateway";Mailbox string "mailbox";MailboxEvidence []string "mailbox_evidence";Confidence scanner.Confidence "confidence,omitempty";Reseller string "reseller,omitempty";Tenant string "tenant,omitempty";Senders []string "senders";SPF scanner.SPF "spf";DMARC scanner.DMARC "dmarc";MTASTS scanner.Policy "mta_sts";TLSRPT scanner.Policy "tls_rpt";DNSSEC *scanner.DNSSEC "dnssec,omitempty";DKIM *scanner.DKIM "dkim,omitempty";BIMI *scanner.BIMI "bimi,omitempty";Parked bool "parked,omitempty";Findings []scanner.Finding "findings";Match []scanner.Match "match,omitempty";interrupted bool ""}` +
	` targets.Labels(marshaler)` +
	` scanner.MX{Preference uint16 "preference";Host string "host";Provider string "provider";Product string "product,omitempty";Addresses []string "addresses";Status resolve.Status "status,omitempty";Canonical string "canonical,omitempty";Appliance string "appliance,omitempty";TLSA *scanner.TLSA "tlsa,omitempty"}` +
	` scanner.TLSA{Status scanner.TLSAStatus "status";DNSSEC scanner.DNSSECStatus "dnssec";Records []scanner.TLSARecord "records,omitempty";Error string "error,omitempty"}` +
	` scanner.TLSARecord{Usage uint8 "usage";Selector uint8 "selector";MatchingType uint8 "matching_type";Data string "data";Problem string "problem,omitempty"}` +
	` scanner.SPF{Status string "status";Record string "record,omitempty";All string "all,omitempty";Lookups int "lookups";VoidLookups int "void_lookups";Includes []string "includes";Tree []*scanner.SPFNode "tree,omitempty";Error string "error,omitempty"}` +
	` scanner.SPFNode{Name string "name";Via string "via";Status string "status";Error string "error,omitempty";Children []*scanner.SPFNode "children,omitempty"}` +
	` scanner.DMARC{Status string "status";Record string "record,omitempty";Policy string "policy,omitempty";SubdomainPolicy string "subdomain_policy,omitempty";Pct *int "pct,omitempty";RUA []string "rua,omitempty";RUF []string "ruf,omitempty";Source string "source,omitempty";Inherited bool "inherited,omitempty";OrgDomain string "org_domain,omitempty";Error string "error,omitempty";AppliedPolicy string "applied_policy,omitempty";Testing bool "testing,omitempty";NonexistentPolicy string "nonexistent_policy,omitempty";PSDPolicy bool "psd_policy,omitempty";MultipleRecords []string "multiple_records,omitempty";Warnings []string "warnings,omitempty"}` +
	` scanner.Policy{Status string "status";Record string "record,omitempty";Error string "error,omitempty";Policy *scanner.STSPolicy "policy,omitempty"}` +
	` scanner.STSPolicy{Status string "status";URL string "url,omitempty";Mode string "mode,omitempty";MaxAge *int64 "max_age,omitempty";MX []string "mx,omitempty";Error string "error,omitempty"}` +
	` scanner.DNSSEC{Status scanner.DNSSECStatus "status";Error string "error,omitempty"}` +
	` scanner.DKIM{Status string "status";Selectors []scanner.DKIMSelector "selectors,omitempty";Probed int "probed,omitempty";Error string "error,omitempty"}` +
	` scanner.DKIMSelector{Selector string "selector";Status string "status";KeyType string "key_type,omitempty";KeyBits int "key_bits,omitempty";Testing bool "testing";Error string "error,omitempty"}` +
	` scanner.BIMI{Status string "status";Record string "record,omitempty";Logo string "logo,omitempty";Authority string "authority,omitempty";Error string "error,omitempty"}` +
	` scanner.Finding{ID string "id";Severity scanner.Severity "severity";Message string "message";Fix string "fix,omitempty"}` +
	` scanner.Match{Provider string "provider";Layer scanner.Layer "layer"}`

// fastResultJSON says appendResult knows scanner.Result as it is.
var fastResultJSON = typeShape(reflect.TypeFor[scanner.Result]()) == resultShape

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// typeShape describes the struct types reachable from t, in the order
// first met: each field's name, type and json tag. A type that marshals
// itself is only marked "(marshaler)", as is any non-struct type that does.
func typeShape(t reflect.Type) string {
	var out []string
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		if seen[t] {
			return
		}
		seen[t] = true
		if t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType) ||
			t.Implements(textMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType) {
			out = append(out, t.String()+"(marshaler)")
			return
		}
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			walk(t.Elem())
		case reflect.Map:
			walk(t.Key())
			walk(t.Elem())
		case reflect.Struct:
			fields := make([]string, t.NumField())
			for i := range fields {
				f := t.Field(i)
				fields[i] = f.Name + " " + f.Type.String() + " " + strconv.Quote(f.Tag.Get("json"))
			}
			out = append(out, t.String()+"{"+strings.Join(fields, ";")+"}")
			for i := range t.NumField() {
				walk(t.Field(i).Type)
			}
		}
	}
	walk(t)
	return strings.Join(out, " ")
}

// stringLabels reports whether every label value is a string, the common
// case appendResult writes itself.
func stringLabels(l targets.Labels) bool {
	for _, lb := range l {
		if _, ok := lb.Value.(string); !ok {
			return false
		}
	}
	return true
}

// maxTreeDepth is the deepest SPF tree appendResult writes; the SPF walk
// stops far sooner. A deeper one (or a cycle) goes to encoding/json, which
// reports a cycle its own way.
const maxTreeDepth = 64

// resultEncoder appends Results as JSON. It keeps its buffers between
// calls; it is not safe for concurrent use.
type resultEncoder struct {
	scratch bytes.Buffer  // for the rare string encoding/json must escape
	enc     *json.Encoder // writes into scratch
	labels  bytes.Buffer  // Labels.MarshalJSON output, compacted
	// nonASCII is set when a value was not plain printable ASCII, so the
	// output may hold something for jsonSafe to escape.
	nonASCII bool
	deep     bool // an SPF tree was deeper than maxTreeDepth
}

// appendResult appends r's JSON to b, byte for byte what marshal(r, "", "")
// gives before jsonSafe, and reports whether the output may need jsonSafe.
// ok is false when r is one for encoding/json to handle (and to report an
// error about): a Labels value that fails to marshal, an overly deep SPF
// tree. Callers check fastResultJSON first.
func (e *resultEncoder) appendResult(b []byte, r *scanner.Result) (out []byte, nonASCII, ok bool) {
	e.nonASCII, e.deep = false, false
	b = append(b, `{"domain":`...)
	b = e.str(b, r.Domain)
	b = e.optStr(b, `,"input":`, r.Input)
	b = e.optStr(b, `,"unicode":`, r.Unicode)
	if len(r.Labels) > 0 && stringLabels(r.Labels) {
		// What Labels.MarshalJSON writes for string values, without
		// its encoder per key and value.
		b = append(b, `,"labels":{`...)
		for i, lb := range r.Labels {
			if i > 0 {
				b = append(b, ',')
			}
			b = e.str(append(e.str(b, lb.Key), ':'), lb.Value.(string))
		}
		b = append(b, '}')
	} else if len(r.Labels) > 0 {
		// Labels keep their file order and encode their own values;
		// encoding/json compacts what a Marshaler returns.
		raw, err := r.Labels.MarshalJSON()
		if err != nil {
			return nil, false, false
		}
		e.labels.Reset()
		if err := json.Compact(&e.labels, raw); err != nil {
			return nil, false, false
		}
		b = append(append(b, `,"labels":`...), e.labels.Bytes()...)
		e.nonASCII = true
	}
	if r.Line != 0 {
		b = strconv.AppendInt(append(b, `,"line":`...), int64(r.Line), 10)
	}
	if r.Position != 0 {
		b = strconv.AppendInt(append(b, `,"position":`...), int64(r.Position), 10)
	}
	b = e.str(append(b, `,"status":`...), string(r.Status))
	b = e.optStr(b, `,"error":`, r.Error)
	b = e.optStr(b, `,"mail":`, string(r.Mail))
	b = append(b, `,"mx":`...)
	if r.MX == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.MX {
			if i > 0 {
				b = append(b, ',')
			}
			b = e.mx(b, &r.MX[i])
		}
		b = append(b, ']')
	}
	b = e.str(append(b, `,"provider":`...), r.Provider)
	b = e.str(append(b, `,"gateway":`...), r.Gateway)
	b = e.str(append(b, `,"mailbox":`...), r.Mailbox)
	b = e.strs(append(b, `,"mailbox_evidence":`...), r.MailboxEvidence)
	b = e.optStr(b, `,"confidence":`, string(r.Confidence))
	b = e.optStr(b, `,"reseller":`, r.Reseller)
	b = e.optStr(b, `,"tenant":`, r.Tenant)
	b = e.strs(append(b, `,"senders":`...), r.Senders)
	b = e.spf(append(b, `,"spf":`...), &r.SPF)
	b = e.dmarc(append(b, `,"dmarc":`...), &r.DMARC)
	b = e.policy(append(b, `,"mta_sts":`...), &r.MTASTS)
	b = e.policy(append(b, `,"tls_rpt":`...), &r.TLSRPT)
	if d := r.DNSSEC; d != nil {
		b = e.str(append(b, `,"dnssec":{"status":`...), string(d.Status))
		b = append(e.optStr(b, `,"error":`, d.Error), '}')
	}
	if d := r.DKIM; d != nil {
		b = e.dkim(append(b, `,"dkim":`...), d)
	}
	if m := r.BIMI; m != nil {
		b = e.bimi(append(b, `,"bimi":`...), m)
	}
	if r.Parked {
		b = append(b, `,"parked":true`...)
	}
	b = append(b, `,"findings":`...)
	if r.Findings == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Findings {
			if i > 0 {
				b = append(b, ',')
			}
			f := &r.Findings[i]
			b = e.str(append(b, `{"id":`...), f.ID)
			b = e.str(append(b, `,"severity":`...), string(f.Severity))
			b = e.str(append(b, `,"message":`...), f.Message)
			b = e.optStr(b, `,"fix":`, f.Fix)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if len(r.Match) > 0 {
		b = append(b, `,"match":[`...)
		for i, m := range r.Match {
			if i > 0 {
				b = append(b, ',')
			}
			b = e.str(append(b, `{"provider":`...), m.Provider)
			b = append(e.str(append(b, `,"layer":`...), string(m.Layer)), '}')
		}
		b = append(b, ']')
	}
	if e.deep {
		return nil, false, false
	}
	return append(b, '}'), e.nonASCII, true
}

func (e *resultEncoder) mx(b []byte, m *scanner.MX) []byte {
	b = strconv.AppendUint(append(b, `{"preference":`...), uint64(m.Preference), 10)
	b = e.str(append(b, `,"host":`...), m.Host)
	b = e.str(append(b, `,"provider":`...), m.Provider)
	b = e.optStr(b, `,"product":`, m.Product)
	b = e.strs(append(b, `,"addresses":`...), m.Addresses)
	b = e.optStr(b, `,"status":`, string(m.Status))
	b = e.optStr(b, `,"canonical":`, m.Canonical)
	b = e.optStr(b, `,"appliance":`, m.Appliance)
	if t := m.TLSA; t != nil {
		b = e.tlsa(append(b, `,"tlsa":`...), t)
	}
	return append(b, '}')
}

func (e *resultEncoder) tlsa(b []byte, t *scanner.TLSA) []byte {
	b = e.str(append(b, `{"status":`...), string(t.Status))
	b = e.str(append(b, `,"dnssec":`...), string(t.DNSSEC))
	if len(t.Records) > 0 {
		b = append(b, `,"records":[`...)
		for i := range t.Records {
			if i > 0 {
				b = append(b, ',')
			}
			rec := &t.Records[i]
			b = strconv.AppendUint(append(b, `{"usage":`...), uint64(rec.Usage), 10)
			b = strconv.AppendUint(append(b, `,"selector":`...), uint64(rec.Selector), 10)
			b = strconv.AppendUint(append(b, `,"matching_type":`...), uint64(rec.MatchingType), 10)
			b = e.str(append(b, `,"data":`...), rec.Data)
			b = append(e.optStr(b, `,"problem":`, rec.Problem), '}')
		}
		b = append(b, ']')
	}
	b = e.optStr(b, `,"error":`, t.Error)
	return append(b, '}')
}

func (e *resultEncoder) spf(b []byte, s *scanner.SPF) []byte {
	b = e.str(append(b, `{"status":`...), s.Status)
	b = e.optStr(b, `,"record":`, s.Record)
	b = e.optStr(b, `,"all":`, s.All)
	b = strconv.AppendInt(append(b, `,"lookups":`...), int64(s.Lookups), 10)
	b = strconv.AppendInt(append(b, `,"void_lookups":`...), int64(s.VoidLookups), 10)
	b = e.strs(append(b, `,"includes":`...), s.Includes)
	if len(s.Tree) > 0 {
		b = e.nodes(append(b, `,"tree":`...), s.Tree, 0)
	}
	b = e.optStr(b, `,"error":`, s.Error)
	return append(b, '}')
}

// nodes writes an SPF tree, giving up (e.deep) past maxTreeDepth.
func (e *resultEncoder) nodes(b []byte, ns []*scanner.SPFNode, depth int) []byte {
	b = append(b, '[')
	for i, n := range ns {
		if i > 0 {
			b = append(b, ',')
		}
		if n == nil {
			b = append(b, "null"...)
			continue
		}
		b = e.str(append(b, `{"name":`...), n.Name)
		b = e.str(append(b, `,"via":`...), n.Via)
		b = e.str(append(b, `,"status":`...), n.Status)
		b = e.optStr(b, `,"error":`, n.Error)
		if len(n.Children) > 0 {
			if depth >= maxTreeDepth {
				e.deep = true
				return b
			}
			b = e.nodes(append(b, `,"children":`...), n.Children, depth+1)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

func (e *resultEncoder) dmarc(b []byte, d *scanner.DMARC) []byte {
	b = e.str(append(b, `{"status":`...), d.Status)
	b = e.optStr(b, `,"record":`, d.Record)
	b = e.optStr(b, `,"policy":`, d.Policy)
	b = e.optStr(b, `,"subdomain_policy":`, d.SubdomainPolicy)
	if d.Pct != nil {
		b = strconv.AppendInt(append(b, `,"pct":`...), int64(*d.Pct), 10)
	}
	if len(d.RUA) > 0 {
		b = e.strs(append(b, `,"rua":`...), d.RUA)
	}
	if len(d.RUF) > 0 {
		b = e.strs(append(b, `,"ruf":`...), d.RUF)
	}
	b = e.optStr(b, `,"source":`, d.Source)
	if d.Inherited {
		b = append(b, `,"inherited":true`...)
	}
	b = e.optStr(b, `,"org_domain":`, d.OrgDomain)
	b = e.optStr(b, `,"error":`, d.Error)
	b = e.optStr(b, `,"applied_policy":`, d.AppliedPolicy)
	if d.Testing {
		b = append(b, `,"testing":true`...)
	}
	b = e.optStr(b, `,"nonexistent_policy":`, d.NonexistentPolicy)
	if d.PSDPolicy {
		b = append(b, `,"psd_policy":true`...)
	}
	if len(d.MultipleRecords) > 0 {
		b = e.strs(append(b, `,"multiple_records":`...), d.MultipleRecords)
	}
	if len(d.Warnings) > 0 {
		b = e.strs(append(b, `,"warnings":`...), d.Warnings)
	}
	return append(b, '}')
}

func (e *resultEncoder) policy(b []byte, p *scanner.Policy) []byte {
	b = e.str(append(b, `{"status":`...), p.Status)
	b = e.optStr(b, `,"record":`, p.Record)
	b = e.optStr(b, `,"error":`, p.Error)
	if s := p.Policy; s != nil {
		b = e.str(append(b, `,"policy":{"status":`...), s.Status)
		b = e.optStr(b, `,"url":`, s.URL)
		b = e.optStr(b, `,"mode":`, s.Mode)
		if s.MaxAge != nil {
			b = strconv.AppendInt(append(b, `,"max_age":`...), *s.MaxAge, 10)
		}
		if len(s.MX) > 0 {
			b = e.strs(append(b, `,"mx":`...), s.MX)
		}
		b = e.optStr(b, `,"error":`, s.Error)
		b = append(b, '}')
	}
	return append(b, '}')
}

func (e *resultEncoder) dkim(b []byte, d *scanner.DKIM) []byte {
	b = e.str(append(b, `{"status":`...), d.Status)
	if len(d.Selectors) > 0 {
		b = append(b, `,"selectors":[`...)
		for i := range d.Selectors {
			if i > 0 {
				b = append(b, ',')
			}
			s := &d.Selectors[i]
			b = e.str(append(b, `{"selector":`...), s.Selector)
			b = e.str(append(b, `,"status":`...), s.Status)
			b = e.optStr(b, `,"key_type":`, s.KeyType)
			if s.KeyBits != 0 {
				b = strconv.AppendInt(append(b, `,"key_bits":`...), int64(s.KeyBits), 10)
			}
			b = strconv.AppendBool(append(b, `,"testing":`...), s.Testing)
			b = e.optStr(b, `,"error":`, s.Error)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if d.Probed != 0 {
		b = strconv.AppendInt(append(b, `,"probed":`...), int64(d.Probed), 10)
	}
	b = e.optStr(b, `,"error":`, d.Error)
	return append(b, '}')
}

func (e *resultEncoder) bimi(b []byte, m *scanner.BIMI) []byte {
	b = e.str(append(b, `{"status":`...), m.Status)
	b = e.optStr(b, `,"record":`, m.Record)
	b = e.optStr(b, `,"logo":`, m.Logo)
	b = e.optStr(b, `,"authority":`, m.Authority)
	b = e.optStr(b, `,"error":`, m.Error)
	return append(b, '}')
}

// strs writes a string slice: null when nil, as encoding/json does.
func (e *resultEncoder) strs(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = e.str(b, s)
	}
	return append(b, ']')
}

// str writes s as a JSON string. Printable ASCII other than '"' and '\',
// nearly all DNS data, is written as it is; anything else goes through
// encoding/json so its escaping rules stay the only ones.
// optStr writes key (`,"name":`) and s, or nothing when s is empty: the
// JSON encoder's omitempty.
func (e *resultEncoder) optStr(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return e.str(append(b, key...), s)
}

func (e *resultEncoder) str(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' {
			return e.slowStr(b, s)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func (e *resultEncoder) slowStr(b []byte, s string) []byte {
	if e.enc == nil {
		e.enc = json.NewEncoder(&e.scratch)
		e.enc.SetEscapeHTML(false)
	}
	e.nonASCII = true
	e.scratch.Reset()
	_ = e.enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(e.scratch.Bytes(), []byte("\n"))...)
}
