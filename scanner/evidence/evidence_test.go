package evidence

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/resolve"
	"github.com/mxscope/mxscope/scanner/targets"
)

func mustRR(t testing.TB, s string) dns.RR {
	t.Helper()
	rr, err := dns.NewRR(s)
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return rr
}

var started = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func testMeta() Meta {
	return Meta{Tool: "mxscope", Version: "test", Catalog: "c1", Checks: "mx,spf", Resolvers: []string{"127.0.0.1:53"}, Started: started, Targets: 2}
}

// sample answers of every kind a scan records.
func sampleAnswers(t testing.TB) []scanner.Asked {
	at := started.Add(1500 * time.Millisecond)
	return []scanner.Asked{
		{Name: "example.com", Type: dns.TypeMX, Answer: resolve.Answer{Status: resolve.StatusOK, Rcode: dns.RcodeSuccess,
			Records: []dns.RR{mustRR(t, "example.com. 300 IN MX 10 mx1.example.com."), mustRR(t, "Example.COM. 300 IN MX 20 mx2.example.com.")},
			Server:  "127.0.0.1:53", AD: true, Time: at, Latency: 1234567 * time.Nanosecond}},
		{Name: "example.com", Type: dns.TypeTXT, Answer: resolve.Answer{Status: resolve.StatusOK, Rcode: dns.RcodeSuccess,
			Records: []dns.RR{mustRR(t, `example.com. 60 IN TXT "v=spf1 " "include:_spf.example.net -all"`),
				mustRR(t, `example.com. 60 IN TXT "quote\"back\\slash\001\027end\255" ""`)},
			Server: "127.0.0.1:53", TCP: true, TC: true, Time: at, Latency: time.Millisecond}},
		{Name: "www.example.com", Type: dns.TypeA, Answer: resolve.Answer{Status: resolve.StatusOK, Rcode: dns.RcodeSuccess,
			Records: []dns.RR{mustRR(t, "b.example.com. 30 IN A 192.0.2.20")}, CNAMEs: []string{"a.example.com", "b.example.com"},
			Server: "127.0.0.1:53", Time: at}},
		{Name: "_dmarc.example.com", Type: dns.TypeTXT, Answer: resolve.Answer{Status: resolve.StatusNXDomain, Rcode: dns.RcodeNameError, Server: "127.0.0.1:53", Time: at}},
		{Name: "nodata.example.com", Type: dns.TypeAAAA, Answer: resolve.Answer{Status: resolve.StatusNoData, Rcode: dns.RcodeSuccess, Server: "127.0.0.1:53", Time: at}},
		{Name: "sf.example.com", Type: dns.TypeMX, Answer: resolve.Answer{Status: resolve.StatusServFail, Rcode: dns.RcodeServerFailure,
			Err: fmt.Errorf("%w: SERVFAIL from 127.0.0.1:53", resolve.ErrServFail), Server: "127.0.0.1:53", Time: at}},
		{Name: "slow.example.com", Type: dns.TypeTXT, Answer: resolve.Answer{Status: resolve.StatusTimeout, Rcode: resolve.NoRcode,
			Err: fmt.Errorf("%w: no reply from 127.0.0.1:53 within 2s", resolve.ErrTimeout), Server: "127.0.0.1:53", Time: at, Latency: 6 * time.Second}},
		{Name: "cut.example.com", Type: dns.TypeA, Answer: resolve.Answer{Status: resolve.StatusError, Rcode: resolve.NoRcode,
			Err: errors.New("resolve: query abandoned: context deadline exceeded")}},
		{Name: "odd\x00name\xff.example.com", Type: 65280, Answer: resolve.Answer{Status: resolve.StatusOK, Rcode: 23,
			Records: []dns.RR{mustRR(t, `odd\000name\255.example.com. 5 IN TYPE65280 \# 3 abcdef`)}}},
	}
}

// same reports whether the replayed answer is the one the scan had, in
// every field the scanner or the evidence file reads.
func same(t *testing.T, what string, got, want resolve.Answer) {
	t.Helper()
	errText := func(e error) string {
		if e == nil {
			return ""
		}
		return e.Error()
	}
	var gr, wr []string
	for _, rr := range got.Records {
		gr = append(gr, rr.String())
	}
	for _, rr := range want.Records {
		wr = append(wr, rr.String())
	}
	if got.Status != want.Status || got.Rcode != want.Rcode || errText(got.Err) != errText(want.Err) ||
		!reflect.DeepEqual(gr, wr) || !reflect.DeepEqual(got.CNAMEs, want.CNAMEs) ||
		got.Server != want.Server || got.TCP != want.TCP || got.AD != want.AD || got.TC != want.TC ||
		!got.Time.Equal(want.Time) || got.Latency.Truncate(time.Microsecond) != want.Latency.Truncate(time.Microsecond) {
		t.Errorf("%s:\n got %+v %q\nwant %+v %q", what, got, gr, want, wr)
	}
	for i := range min(len(got.Records), len(want.Records)) {
		if !dns.IsDuplicate(got.Records[i], want.Records[i]) || got.Records[i].Header().Ttl != want.Records[i].Header().Ttl {
			t.Errorf("%s: record %d is %v; want %v", what, i, got.Records[i], want.Records[i])
		}
	}
}

func TestAnswersReadBackAsTheScanHadThem(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, testMeta())
	if err != nil {
		t.Fatal(err)
	}
	asked := sampleAnswers(t)
	tg := targets.Target{Domain: "example.com", Input: "https://Example.com/", Labels: targets.Labels{{Key: "candidate", Value: "Jane"}, {Key: "year", Value: 2024}}, Line: 4}
	if err := w.Target(tg, scanner.Lookups{Asked: asked}); err != nil {
		t.Fatal(err)
	}
	bad := targets.Target{Input: "not a domain!", Line: 5, Invalid: "not a domain name: spaces"}
	if err := w.Target(bad, scanner.Lookups{}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(true, started.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsAny(buf.Bytes(), "\x00\x1b") || bytes.IndexByte(buf.Bytes(), 0xff) >= 0 {
		t.Errorf("raw control bytes in the file:\n%s", buf.String())
	}

	r, err := NewReader(&buf, "ev.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if m := r.Meta(); m.Format != Format || m.FormatVersion != Version || !m.Started.Equal(started) || m.Checks != "mx,spf" || m.Window != DefaultWindow {
		t.Errorf("meta read back as %+v", m)
	}
	e, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if e.N != 1 || !reflect.DeepEqual(e.Target, tg) {
		t.Errorf("target read back as %d %+v; want 1 %+v", e.N, e.Target, tg)
	}
	if len(e.Questions) != len(asked) {
		t.Errorf("%d questions; want %d", len(e.Questions), len(asked))
	}
	for _, a := range asked {
		same(t, a.Name+" "+dns.TypeToString[a.Type], e.Querier().Query(t.Context(), a.Name, a.Type), a.Answer)
	}
	if a := e.Querier().Query(t.Context(), "EXAMPLE.com.", dns.TypeMX); a.Status != resolve.StatusOK {
		t.Errorf("a question asked in another case got %v", a.Status)
	}
	miss := e.Querier().Query(t.Context(), "example.com", dns.TypeAAAA)
	if miss.Status != resolve.StatusError || !errors.Is(miss.Err, ErrNotRecorded) || !strings.Contains(miss.Err.Error(), "example.com AAAA") {
		t.Errorf("an unrecorded question got %v (%v); want an error naming it", miss.Status, miss.Err)
	}
	e2, err := r.Next()
	if err != nil || !reflect.DeepEqual(e2.Target, bad) || e2.N != 2 {
		t.Errorf("invalid target read back as %+v, %v; want %+v", e2, err, bad)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("after the last target: %v; want io.EOF", err)
	}
	if end := r.End(); end == nil || end.Targets != 2 || end.Answers != len(asked) || !end.Complete {
		t.Errorf("end line read back as %+v", end)
	}
}

// The window: a name many targets share is written once per window, and
// every target still reads exactly the answers it was given, whatever the
// window's size, even when a name's answer changes during the scan.
func TestWindowKeepsEveryTargetsAnswers(t *testing.T) {
	for _, win := range []struct{ lines, bytes int }{{0, 0}, {3, 1 << 20}, {50, 1 << 20}, {1000, 2000}, {DefaultWindow, DefaultWindowBytes}} {
		t.Run(fmt.Sprintf("%d lines %d bytes", win.lines, win.bytes), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(win.lines)))
			exchanges := 0
			answer := func(name string, v int) resolve.Answer {
				// Each a query of its own, stamped as Stamp does, so that
				// the writer can recognise one it has written.
				exchanges++
				return resolve.Answer{Status: resolve.StatusOK, Rcode: 0, Server: "127.0.0.1:53",
					Time: started.Add(time.Duration(exchanges) * time.Millisecond), Latency: time.Millisecond,
					Records: []dns.RR{mustRR(t, fmt.Sprintf(`%s. 300 IN TXT "v%d %s"`, name, v, strings.Repeat("x", rng.IntN(200))))}}
			}
			// A pool of shared names whose answers sometimes change, as
			// a cache that let one go and asked again would see.
			shared := make([]resolve.Answer, 40)
			for i := range shared {
				shared[i] = answer(fmt.Sprintf("shared%d.example", i), 0)
			}
			var buf bytes.Buffer
			w, err := newWriter(&buf, testMeta(), win.lines, win.bytes)
			if err != nil {
				t.Fatal(err)
			}
			const n = 400
			changes := 0
			var want []scanner.Lookups
			for i := range n {
				var l scanner.Lookups
				own := fmt.Sprintf("d%d.example", i)
				l.Asked = append(l.Asked, scanner.Asked{Name: own, Type: dns.TypeTXT, Answer: answer(own, i)})
				for range rng.IntN(8) {
					k := rng.IntN(len(shared))
					if rng.IntN(50) == 0 {
						shared[k] = answer(fmt.Sprintf("shared%d.example", k), i)
						changes++
					}
					name := fmt.Sprintf("shared%d.example", k)
					if !containsQ(l.Asked, name) {
						l.Asked = append(l.Asked, scanner.Asked{Name: name, Type: dns.TypeTXT, Answer: shared[k]})
					}
				}
				want = append(want, l)
				if err := w.Target(targets.Target{Domain: own}, l); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(true, started); err != nil {
				t.Fatal(err)
			}
			lines := strings.Count(buf.String(), `"type":"answer"`)
			r, err := NewReader(&buf, "ev")
			if err != nil {
				t.Fatal(err)
			}
			for i := range n {
				e, err := r.Next()
				if err != nil {
					t.Fatalf("target %d: %v", i, err)
				}
				for _, a := range want[i].Asked {
					same(t, fmt.Sprintf("target %d %s", i, a.Name), e.Answer(Question{Name: a.Name, Type: a.Type}), a.Answer)
				}
			}
			if _, err := r.Next(); err != io.EOF {
				t.Fatalf("after the last target: %v", err)
			}
			t.Logf("%d answer lines", lines)
			if win.lines == DefaultWindow && lines > n+len(shared)+changes {
				t.Errorf("%d answer lines for %d targets and %d shared names: shared answers were written again inside the window", lines, n, len(shared))
			}
		})
	}
}

func containsQ(as []scanner.Asked, name string) bool {
	for _, a := range as {
		if a.Name == name {
			return true
		}
	}
	return false
}

func TestReaderRefusesWhatItCannotRead(t *testing.T) {
	var good bytes.Buffer
	w, _ := NewWriter(&good, testMeta())
	w.Target(targets.Target{Domain: "example.com"}, scanner.Lookups{Asked: sampleAnswers(t)[:1]})
	w.Close(true, started)
	metaLine, _, _ := strings.Cut(good.String(), "\n")
	tests := []struct {
		name, file, want string
	}{
		{"empty", "", "is empty"},
		{"a report, not evidence", `{"type":"meta","schema":1,"tool":"mxscope"}` + "\n", "does not start with an evidence meta line"},
		{"newer format", strings.Replace(metaLine, `"format_version":1`, `"format_version":2`, 1) + "\n", "format_version 2; this mxscope reads up to 1"},
		{"huge window", strings.Replace(metaLine, `"window":8192`, `"window":100000000`, 1) + "\n", "outside what a reader keeps"},
		{"a line that is not JSON", metaLine + "\n{oops\n", "ev:2: not JSON"},
		{"a second meta line", metaLine + "\n" + metaLine + "\n", "ev:2: a second meta line"},
		{"a line longer than MaxLine", metaLine + "\n" + strings.Repeat("x", MaxLine+10) + "\n", "ev:2: line longer than"},
		{"bad target", metaLine + "\n" + `{"type":"target","questions":[["a.example"]]}` + "\n", "ev:2: target line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader(tt.file), "ev")
			if err == nil {
				for {
					if _, err = r.Next(); err != nil {
						break
					}
				}
			}
			if err == nil || err == io.EOF || !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v; want an ErrFormat saying %q", err, tt.want)
			}
		})
	}
	t.Run("a file cut inside a line has no end", func(t *testing.T) {
		s := good.String()
		r, err := NewReader(strings.NewReader(s[:len(s)-5]), "ev")
		if err != nil {
			t.Fatal(err)
		}
		if e, err := r.Next(); err != nil || e.Target.Domain != "example.com" {
			t.Fatalf("got %v, %v; want the target before the cut", e, err)
		}
		if _, err := r.Next(); err != io.EOF || r.End() != nil {
			t.Errorf("got %v, end %v; want io.EOF and no end line", err, r.End())
		}
	})
	t.Run("an unreadable record fails its lookup only", func(t *testing.T) {
		s := strings.Replace(good.String(), "IN\\tMX\\t10", "IN\\tMX\\tten", 1)
		r, _ := NewReader(strings.NewReader(s), "ev")
		e, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		a := e.Answer(Question{Name: "example.com", Type: dns.TypeMX})
		if a.Status != resolve.StatusError || !errors.Is(a.Err, ErrUnreadable) || !strings.Contains(a.Err.Error(), "ev:2") {
			t.Errorf("got %v (%v); want an unreadable-answer error naming line 2", a.Status, a.Err)
		}
	})
}

func TestStampSetsTimeAndLatency(t *testing.T) {
	ticks := []time.Time{started, started.Add(42 * time.Millisecond)}
	s := stamp{q: fixed{}, now: func() time.Time { t := ticks[0]; ticks = ticks[1:]; return t }}
	a := s.Query(t.Context(), "example.com", dns.TypeA)
	if !a.Time.Equal(started) || a.Latency != 42*time.Millisecond || a.Status != resolve.StatusOK {
		t.Errorf("got time %v latency %v status %v", a.Time, a.Latency, a.Status)
	}
}

type fixed struct{}

func (fixed) Query(_ context.Context, _ string, _ uint16) resolve.Answer {
	return resolve.Answer{Status: resolve.StatusOK}
}

func TestKeyName(t *testing.T) {
	for in, want := range map[string]string{
		"Example.COM.": "example.com", "example.com": "example.com", ".": ".", "a\x00b\xffc": `a\000b\255c`,
		`a\ b.example`: `a\ b.example`,
	} {
		if got := KeyName(in); got != want || KeyName(got) != got {
			t.Errorf("KeyName(%q) = %q; want %q, and the same again", in, got, want)
		}
	}
}

// The hand-written encoder writes what encoding/json would.
func TestEncoderMatchesMarshal(t *testing.T) {
	var e lineEncoder
	for _, a := range sampleAnswers(t) {
		for _, q := range []Question{{Name: KeyName(a.Name), Type: a.Type}, {Name: `a"b\c<d>&é` + "\x01\u2028", Type: a.Type, CD: true}} {
			l := answerLineOf(q, a.Answer)
			l.Error += "<&>\u2028 é \x00"
			want, err := marshalLine("answer", l)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.answer(nil, l); string(got) != string(want) {
				t.Errorf("answer line:\n got %s\nwant %s", got, want)
			}
		}
	}
	for _, tl := range []targetLine{
		{N: 1, Domain: "example.com", Questions: []Question{}},
		{N: 2, Line: 7, Domain: "xn--bcher-kva.example", Input: "Bücher.example", Unicode: "bücher.example",
			Labels:    targets.Labels{{Key: "candidate", Value: "Jane <Doe> & \"co\""}, {Key: "year", Value: 2024}, {Key: "l", Value: []any{1, "x"}}},
			Questions: []Question{{Name: "a.example", Type: dns.TypeMX}, {Name: `q"\`, Type: 65280, CD: true}}, Truncated: true},
		{N: 3, Input: "not a domain!", Invalid: "not a domain name: \x1b spaces", Questions: []Question{}},
	} {
		want, err := marshalLine("target", tl)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.target(nil, &tl)
		if err != nil || string(got) != string(want) {
			t.Errorf("target line:\n got %s, %v\nwant %s", got, err, want)
		}
	}
}
