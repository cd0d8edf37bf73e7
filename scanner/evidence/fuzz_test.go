package evidence

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/mtasts"
	"github.com/mxscope/mxscope/scanner/resolve"
	"github.com/mxscope/mxscope/scanner/targets"
)

// FuzzReader feeds hostile evidence files to the Reader: it must never
// panic, and a question it answers OK comes with records.
func FuzzReader(f *testing.F) {
	var good bytes.Buffer
	w, _ := NewWriter(&good, testMeta())
	w.Target(targets.Target{Domain: "example.com", Labels: targets.Labels{{Key: "k", Value: 1}}}, scanner.Lookups{Asked: sampleAnswers(f)})
	w.Close(true, started)
	meta, _, _ := strings.Cut(good.String(), "\n")
	f.Add(good.String())
	f.Add(meta + "\n" + `{"type":"answer","name":"a.example","qtype":"TXT","status":"ok","records":["a.example. 1 IN TXT \"x\""]}` + "\n" +
		`{"type":"target","n":1,"domain":"a.example","questions":[["a.example","TXT"],["a.example","TYPE65535","cd"]]}` + "\n")
	f.Add(meta + "\n" + `{"type":"answer","name":"a.example","qtype":"A","status":"ok","records":[]}` + "\n" +
		`{"type":"target","domain":"a.example","questions":[["a.example","A"]],"labels":{"x":[1,{"y":2}]}}` + "\n")
	f.Add(meta + "\n" + `{"type":"answer","name":"a.example","qtype":"MX","status":"servfail","rcode":"RCODE4095","latency_ms":"x"}` + "\n")
	var withFetches bytes.Buffer
	w, _ = NewWriter(&withFetches, testMeta())
	w.Target(targets.Target{Domain: "example.com"}, scanner.Lookups{Fetches: sampleFetches()[:3]})
	w.Close(true, started)
	f.Add(withFetches.String())
	f.Add(meta + "\n" + `{"type":"https","url":"u","status_code":200,"content_type":{"base64":"eA=="},"body":"\u0000","body_truncated":true,"class":"","dialled":["::1"]}` + "\n" +
		`{"type":"https","url":"u","class":"timeout","status_code":-1,"tls":{"server_name":"x","verified":true}}` + "\n" +
		`{"type":"target","n":1,"domain":"a.example","questions":[]}` + "\n")
	f.Fuzz(func(t *testing.T, file string) {
		r, err := NewReader(strings.NewReader(file), "fuzz")
		if err != nil {
			return
		}
		for range 1000 {
			e, err := r.Next()
			if err == io.EOF || err != nil {
				return
			}
			for _, fetch := range e.Fetches {
				if len(fetch.Body) > mtasts.MaxPolicySize {
					t.Fatalf("a fetch read back with a body of %d bytes", len(fetch.Body))
				}
				if res := mtasts.Judge(fetch); res.Status == "" || (res.Status == mtasts.StatusOK) != (res.Policy != nil) {
					t.Fatalf("a fetch judged %+v", res)
				}
			}
			for _, q := range e.Questions {
				a := e.Answer(q)
				if a.Status == resolve.StatusOK && len(a.Records) == 0 {
					t.Fatalf("%s answered ok without records", q)
				}
				if a.Status != resolve.StatusOK && a.Status != resolve.StatusNoData && a.Status != resolve.StatusNXDomain && a.Err == nil {
					t.Fatalf("%s failed (%s) without a cause", q, a.Status)
				}
			}
		}
	})
}

// FuzzRecordsRoundTrip: whatever bytes a TXT record or an owner name holds,
// the evidence file gives back the record the scan received.
func FuzzRecordsRoundTrip(f *testing.F) {
	f.Add("example.com", []byte("v=spf1 -all"), uint32(300))
	f.Add("x\x00y.example", []byte("quote\"back\\slash\x00\x1b\xff"), uint32(0))
	f.Add("a b.example", []byte{}, uint32(1<<31))
	f.Fuzz(func(t *testing.T, owner string, txt []byte, ttl uint32) {
		// Build the record the way a reply would carry it: packed, then
		// unpacked by miekg/dns.
		name, err := dnsName(owner)
		if err != nil {
			return
		}
		var strs []string
		for len(txt) > 0 {
			n := min(len(txt), 255)
			strs = append(strs, string(txt[:n]))
			txt = txt[n:]
		}
		m := new(dns.Msg)
		m.SetQuestion(name, dns.TypeTXT)
		m.Answer = []dns.RR{&dns.TXT{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: ttl}, Txt: strs}}
		wire, err := m.Pack()
		if err != nil {
			return
		}
		var in dns.Msg
		if err := in.Unpack(wire); err != nil {
			return
		}
		a := resolve.Answer{Status: resolve.StatusOK, Records: in.Answer}
		b, err := encodeAnswer(Question{Name: KeyName(name), Type: dns.TypeTXT}, a)
		if err != nil {
			t.Fatal(err)
		}
		got := decodeAnswer(b, "fuzz")
		if got.Status != resolve.StatusOK || len(got.Records) != 1 {
			t.Fatalf("%q read back as %v (%v)", b, got.Status, got.Err)
		}
		w1 := make([]byte, 70000)
		w2 := make([]byte, 70000)
		o1, err1 := dns.PackRR(in.Answer[0], w1, 0, nil, false)
		o2, err2 := dns.PackRR(got.Records[0], w2, 0, nil, false)
		if err1 != nil || err2 != nil || !bytes.Equal(w1[:o1], w2[:o2]) {
			t.Fatalf("record changed on the way through the file:\n got %v\nwant %v", got.Records[0], in.Answer[0])
		}
	})
}

// dnsName makes a fully qualified name of s, or fails as miekg/dns would.
func dnsName(s string) (string, error) {
	buf := make([]byte, 300)
	fq := dns.Fqdn(s)
	if _, err := dns.PackDomainName(fq, buf, 0, nil, false); err != nil {
		return "", err
	}
	return fq, nil
}
