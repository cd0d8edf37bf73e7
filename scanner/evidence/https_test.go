package evidence

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/mtasts"
	"github.com/mxscope/mxscope/scanner/targets"
)

const enforcePolicy = "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n"

// sampleFetches are responses of every kind a fetch gives, one per policy
// host.
func sampleFetches() []mtasts.Response {
	at := started.Add(2 * time.Second)
	lo := netip.MustParseAddr("127.0.0.1")
	v6 := netip.MustParseAddr("2001:db8::1")
	ok := &mtasts.TLS{ServerName: "", Version: "TLS 1.3", Verified: true}
	tlsFor := func(domain string) *mtasts.TLS {
		t := *ok
		t.ServerName = mtasts.Host(domain)
		return &t
	}
	return []mtasts.Response{
		{URL: mtasts.URL("ok.example"), Dialled: []netip.Addr{v6, lo}, Connected: lo, StatusCode: 200, ContentType: "text/plain; charset=utf-8",
			Body: []byte(enforcePolicy), TLS: tlsFor("ok.example"), Time: at, Latency: 41234 * time.Microsecond},
		// Control characters, quotes, HTML and a right-to-left override:
		// a JSON string, escaped, that reads back byte for byte.
		{URL: mtasts.URL("controls.example"), Dialled: []netip.Addr{lo}, Connected: lo, StatusCode: 200, ContentType: "text/plain",
			Body: []byte("version: STSv1\x00\x1b[31m\r\nmode: <b>\"enforce\"</b>\\\u202e\x7f\n"), TLS: tlsFor("controls.example"), Time: at},
		// Not UTF-8: base64.
		{URL: mtasts.URL("binary.example"), Dialled: []netip.Addr{lo}, Connected: lo, StatusCode: 200, ContentType: "text/plain\xff",
			Body: []byte("\xff\xfe\x00mode: enforce\x80"), TLS: tlsFor("binary.example"), Time: at},
		{URL: mtasts.URL("empty.example"), Dialled: []netip.Addr{lo}, Connected: lo, StatusCode: 200, ContentType: "text/plain",
			Body: []byte{}, TLS: tlsFor("empty.example"), Time: at},
		{URL: mtasts.URL("large.example"), Dialled: []netip.Addr{lo}, Connected: lo, StatusCode: 200, ContentType: "text/plain",
			Body: bytes.Repeat([]byte("x-pad: y\n"), mtasts.MaxPolicySize/9), BodyTruncated: true, TLS: tlsFor("large.example"), Time: at},
		{URL: mtasts.URL("redirect.example"), Dialled: []netip.Addr{lo}, Connected: lo, StatusCode: 301, ContentType: "text/html",
			Location: "https://elsewhere.example/\x1b]8;;x\a", TLS: tlsFor("redirect.example"), Time: at},
		{URL: mtasts.URL("gone.example"), Dialled: []netip.Addr{lo}, Connected: lo, StatusCode: 404, TLS: tlsFor("gone.example"), Time: at},
		{URL: mtasts.URL("wrongcert.example"), Dialled: []netip.Addr{lo}, Connected: lo, Class: mtasts.ClassCertificate,
			Err: "certificate not accepted: x509: certificate is valid for www.example, not mta-sts.wrongcert.example",
			TLS: &mtasts.TLS{ServerName: "mta-sts.wrongcert.example", Err: "x509: certificate is valid for www.example, not mta-sts.wrongcert.example"}, Time: at},
		{URL: mtasts.URL("refused.example"), Dialled: []netip.Addr{lo, v6}, Class: mtasts.ClassRefused, Err: "connection refused", Time: at},
		{URL: mtasts.URL("slow.example"), Dialled: []netip.Addr{lo}, Connected: lo, StatusCode: 200, Class: mtasts.ClassTimeout,
			Err: "reading the policy: no answer within 15s", Time: at, Latency: 15 * time.Second},
		{URL: mtasts.URL("noaddr.example"), Class: mtasts.ClassNoAddress, Err: "mta-sts.noaddr.example has no address", Time: at},
	}
}

// writeFetches writes targets with the fetches, as many to a target as
// one may have, then a target without any.
func writeFetches(t *testing.T, fetches []mtasts.Response) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, testMeta())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(fetches); i += maxBlockHTTPS {
		l := scanner.Lookups{Asked: sampleAnswers(t)[:1], Fetches: fetches[i:min(i+maxBlockHTTPS, len(fetches))]}
		if err := w.Target(targets.Target{Domain: fmt.Sprintf("t%d.example", i)}, l); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Target(targets.Target{Domain: "last.example"}, scanner.Lookups{}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(true, started); err != nil {
		t.Fatal(err)
	}
	return &buf
}

// Every response reads back as the scan had it, and is judged alike: the
// replay's verdict on the policy is the scan's.
func TestFetchesReadBackAsTheScanHadThem(t *testing.T) {
	fetches := sampleFetches()
	buf := writeFetches(t, fetches)
	for i, line := range strings.Split(buf.String(), "\n") {
		if strings.ContainsAny(line, "\x00\x1b\x07\x7f\u202e") || strings.IndexByte(line, 0xff) >= 0 {
			t.Errorf("raw control bytes in line %d: %.300q", i+1, line)
		}
	}
	if n := strings.Count(buf.String(), `{"type":"https",`); n != len(fetches) {
		t.Errorf("%d https lines; want %d", n, len(fetches))
	}
	if !strings.Contains(buf.String(), `"body":{"base64":"//4AbW9kZTogZW5mb3JjZYA="}`) {
		t.Errorf("a body that is not UTF-8 is not written as base64:\n%s", buf.String())
	}
	r, err := NewReader(buf, "ev")
	if err != nil {
		t.Fatal(err)
	}
	// Each target gets its own fetches, and no other's.
	entries := map[string]*Entry{}
	var e *Entry
	for i := 0; i < len(fetches); i += maxBlockHTTPS {
		if e, err = r.Next(); err != nil {
			t.Fatal(err)
		}
		if n := min(maxBlockHTTPS, len(fetches)-i); len(e.Fetches) != n {
			t.Fatalf("%s: %d fetches read back; want %d", e.Target.Domain, len(e.Fetches), n)
		}
		for _, f := range fetches[i:min(i+maxBlockHTTPS, len(fetches))] {
			entries[f.URL] = e
		}
	}
	for _, want := range fetches {
		got := entries[want.URL].Fetch(want.URL)
		w := want
		w.Latency = w.Latency.Truncate(time.Microsecond)
		if !got.Time.Equal(w.Time) {
			t.Errorf("%s: time %v; want %v", want.URL, got.Time, w.Time)
		}
		got.Time = w.Time
		if !reflect.DeepEqual(got, w) {
			t.Errorf("%s:\n got %+v\nwant %+v", want.URL, got, w)
		}
		if g, w := mtasts.Judge(got), mtasts.Judge(want); g.Status != w.Status || g.Err != w.Err || !reflect.DeepEqual(g.Policy, w.Policy) {
			t.Errorf("%s judged %+v; the scan judged %+v", want.URL, g, w)
		}
	}
	if other := entries[fetches[0].URL].Fetch(fetches[len(fetches)-1].URL); other.Class != mtasts.ClassNotRecorded {
		t.Errorf("a target got another's fetch: %+v", other)
	}
	// What the replay's scanner asks: the fetch of a domain's policy.
	g, ok := entries[mtasts.URL("ok.example")].Querier().(mtasts.Getter)
	if !ok {
		t.Fatal("an entry's Querier does not answer policy fetches")
	}
	if res := mtasts.Judge(g.Get(t.Context(), "ok.example", nil)); res.Status != mtasts.StatusOK || res.Policy.Mode != mtasts.ModeEnforce {
		t.Errorf("ok.example judged %+v", res)
	}
	// A fetch the evidence lacks is not invented.
	miss := g.Get(t.Context(), "unrecorded.example", nil)
	if res := mtasts.Judge(miss); res.Status != mtasts.StatusTemperror || !strings.Contains(res.Err, "no HTTPS response recorded for https://mta-sts.unrecorded.example/") {
		t.Errorf("an unrecorded fetch judged %+v; want temperror naming the URL", res)
	}
	// The last target has none of them.
	last, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if len(last.Fetches) != 0 || last.Fetch(mtasts.URL("ok.example")).Class != mtasts.ClassNotRecorded {
		t.Errorf("the last target got another one's fetches: %+v", last.Fetches)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatal(err)
	}
	if end := r.End(); end == nil || end.HTTPS != len(fetches) {
		t.Errorf("end line %+v; want https %d", end, len(fetches))
	}
}

// A reader before https lines existed skips them: the file keeps its
// format_version, and an old reader replays the policy as not fetched.
// This one skips them in its first pass too.
func TestHTTPSLinesAreSkippedWithoutAnswers(t *testing.T) {
	r, err := NewReader(writeFetches(t, sampleFetches()), "ev")
	if err != nil {
		t.Fatal(err)
	}
	if r.Meta().FormatVersion != 1 {
		t.Errorf("format_version %d", r.Meta().FormatVersion)
	}
	r.SkipAnswers()
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil || len(e.Fetches) != 0 {
			t.Fatalf("got %+v, %v; want the target without its fetches", e, err)
		}
	}
}

// Hostile https lines fail the fetch they claim to record, with the file's
// line, and hold no more than a fetch could: a body past 64 KiB, whatever
// its encoding, is not taken.
func TestHostileHTTPSLines(t *testing.T) {
	meta, _, _ := strings.Cut(writeFetches(t, nil).String(), "\n")
	url := mtasts.URL("x.example")
	big := strings.Repeat("a", mtasts.MaxPolicySize+1)
	bigB64 := strings.Repeat("QUFB", (mtasts.MaxPolicySize+3)/3)
	tests := []struct {
		name, line, want string
	}{
		{"a body past 64 KiB", `"status_code":200,"content_type":"text/plain","body":"` + big + `"`, "past the 65536 a fetch reads"},
		{"a base64 body past 64 KiB", `"status_code":200,"content_type":"text/plain","body":{"base64":"` + bigB64 + `"}`, "past the 65536"},
		{"bad base64", `"status_code":200,"body":{"base64":"!!"}`, "base64"},
		{"a body that is neither", `"status_code":200,"body":[1,2]`, "a string or"},
		{"an unknown class", `"class":"eaten-by-grue","error":"x"`, "unknown class"},
		{"no status and no class", `"content_type":"text/plain"`, "status code 0"},
		{"a status code no server sends", `"status_code":2000000000000`, "status code 2000000000000"},
		{"a status code past any integer", `"status_code":1e400`, "cannot unmarshal"},
		{"a negative status code", `"status_code":-200`, "status code -200"},
		{"a huge error", `"class":"failed","error":"` + strings.Repeat("e", 5000) + `"`, "error text longer"},
		{"a bad address", `"status_code":200,"dialled":["not an address"]`, "ParseAddr"},
		{"a bad time", `"status_code":200,"time":"yesterday"`, "parsing time"},
		{"a bad latency", `"status_code":200,"latency_ms":"soon"`, "invalid number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := meta + "\n" + `{"type":"https","url":"` + url + `",` + tt.line + "}\n" +
				`{"type":"target","n":1,"domain":"x.example","questions":[]}` + "\n"
			r, err := NewReader(strings.NewReader(file), "ev")
			if err != nil {
				t.Fatal(err)
			}
			e, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			got := e.Fetch(url)
			res := mtasts.Judge(got)
			if got.Class != mtasts.ClassNotRecorded || res.Status != mtasts.StatusTemperror ||
				!strings.Contains(res.Err, ErrUnreadable.Error()) || !strings.Contains(res.Err, "ev:2") || !strings.Contains(res.Err, tt.want) {
				t.Errorf("judged %s %q; want temperror, unreadable at ev:2, saying %q", res.Status, res.Err, tt.want)
			}
			if len(got.Body) != 0 || len(res.Err) > 2*maxHTTPSText {
				t.Errorf("an unreadable line kept a body of %d bytes, an error of %d", len(got.Body), len(res.Err))
			}
		})
	}

	// What the file says is what is judged, within a fetch's bounds: a
	// body the scan found too large stays too large.
	file := meta + "\n" + `{"type":"https","url":"` + url + `","status_code":200,"content_type":"text/plain","body":"version: STSv1\u0000","body_truncated":true}` + "\n" +
		`{"type":"target","n":1,"domain":"x.example","questions":[]}` + "\n"
	r, _ := NewReader(strings.NewReader(file), "ev")
	e, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if res := mtasts.Judge(e.Fetch(url)); res.Status != mtasts.StatusInvalid || !strings.Contains(res.Err, "larger than 64 KiB") {
		t.Errorf("a truncated body judged %+v", res)
	}

	for name, tt := range map[string]struct{ file, want string }{
		"an https line without a url":         {meta + "\n" + `{"type":"https","status_code":200}` + "\n", "ev:2: https line: no url"},
		"an https line that is not an object": {meta + "\n" + `{"type":"https","url":7}` + "\n", "ev:2: https line"},
		"too many https lines for one target": {meta + "\n" + strings.Repeat(`{"type":"https","url":"`+url+`","status_code":404}`+"\n", maxBlockHTTPS+1),
			fmt.Sprintf("ev:%d: one target's https lines exceed %d", maxBlockHTTPS+2, maxBlockHTTPS)},
	} {
		t.Run(name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader(tt.file), "ev")
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.Next()
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v; want an ErrFormat saying %q", err, tt.want)
			}
		})
	}
}

// A fetch past the line limit is not written; the target says it was cut.
func TestWriterBoundsFetches(t *testing.T) {
	many := make([]mtasts.Response, maxBlockHTTPS+3)
	for i := range many {
		many[i] = mtasts.Response{URL: mtasts.URL(fmt.Sprintf("d%d.example", i)), StatusCode: 404}
	}
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, testMeta())
	if err := w.Target(targets.Target{Domain: "example.com"}, scanner.Lookups{Fetches: many}); err != nil {
		t.Fatal(err)
	}
	w.Close(true, started)
	if n := strings.Count(buf.String(), `{"type":"https",`); n != maxBlockHTTPS {
		t.Errorf("%d https lines written; want %d", n, maxBlockHTTPS)
	}
	r, _ := NewReader(&buf, "ev")
	e, err := r.Next()
	if err != nil || !e.Truncated {
		t.Errorf("got %+v, %v; want a truncated target", e, err)
	}
}

// merge (a spool, then TargetEntry) carries each https line as written,
// with its target.
func TestMergeKeepsHTTPSLines(t *testing.T) {
	fetches := sampleFetches()
	r, err := NewReader(writeFetches(t, fetches), "shard")
	if err != nil {
		t.Fatal(err)
	}
	r.KeepLines()
	spool, err := NewSpool()
	if err != nil {
		t.Fatal(err)
	}
	defer spool.Close()
	for key := 100; ; key-- { // backwards, so that the spool reorders
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := spool.Add(key, e); err != nil {
			t.Fatal(err)
		}
	}
	var merged bytes.Buffer
	w, _ := NewWriter(&merged, testMeta())
	for e, err := range spool.Sorted() {
		if err != nil {
			t.Fatal(err)
		}
		if err := w.TargetEntry(e.Target, e); err != nil {
			t.Fatal(err)
		}
	}
	w.Close(true, started)
	if n := strings.Count(merged.String(), `{"type":"https",`); n != len(fetches) {
		t.Errorf("%d https lines merged; want %d", n, len(fetches))
	}
	back, _ := NewReader(&merged, "merged")
	got := map[string]mtasts.Response{}
	for {
		e, err := back.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range e.Fetches {
			if got[f.URL].URL != "" {
				t.Errorf("%s merged twice", f.URL)
			}
			got[f.URL] = f
		}
	}
	for _, want := range fetches {
		if g := mtasts.Judge(got[want.URL]); g.Status != mtasts.Judge(want).Status || g.Err != mtasts.Judge(want).Err ||
			!bytes.Equal(got[want.URL].Body, want.Body) {
			t.Errorf("%s merged as %+v", want.URL, got[want.URL])
		}
	}
}
