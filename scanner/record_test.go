package scanner_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/resolve"
	"github.com/mxscope/mxscope/scanner/targets"
)

// mapQuerier answers from what one domain's lookups recorded.
type mapQuerier map[string]resolve.Answer

func key(name string, qtype uint16) string {
	return strings.TrimSuffix(strings.ToLower(name), ".") + " " + dns.TypeToString[qtype]
}

func (m mapQuerier) Query(_ context.Context, name string, qtype uint16) resolve.Answer {
	if a, ok := m[key(name, qtype)]; ok {
		return a
	}
	return resolve.Answer{Status: resolve.StatusError, Rcode: resolve.NoRcode}
}

// noNetwork fails the test if anything gets past the per-domain answers.
type noNetwork struct{ t *testing.T }

func (n noNetwork) Query(_ context.Context, name string, qtype uint16) resolve.Answer {
	n.t.Errorf("replay asked the network for %s %s", name, dns.TypeToString[qtype])
	return resolve.Answer{Status: resolve.StatusError, Rcode: resolve.NoRcode}
}

// Recording keeps every answer a target's verdicts used; answering each
// target from them alone, with no resolver, gives the same results.
func TestRecordedLookupsReplayToTheSameResults(t *testing.T) {
	domains := []string{"google.example", "ms.example", "pp.example", "mc.example", "bc.example",
		"gd.example", "sf.example", "dmarcfail.example", "sub.org.example", "eleven.example",
		"loop.example", "many.example", "nx.example", "not a domain"}
	recorded := map[string]scanner.Lookups{}
	rec := newScanner(t, nil, scanner.Options{Record: func(r *scanner.Result, l scanner.Lookups) error {
		recorded[r.Domain+"|"+r.Input] = l
		return nil
	}})
	first := scanAll(t, rec, domains...)

	g := recorded["google.example|"]
	var asked []string
	for _, a := range g.Asked {
		asked = append(asked, key(a.Name, a.Type))
	}
	for _, want := range []string{"google.example MX", "_spf.google.com TXT", "_dmarc.google.example TXT", "aspmx.l.google.com A"} {
		if !slices.Contains(asked, want) {
			t.Errorf("google.example's lookups %q lack %q", asked, want)
		}
	}
	if len(slices.Compact(slices.Sorted(slices.Values(asked)))) != len(asked) {
		t.Errorf("a question was kept twice: %q", asked)
	}
	sfMX := slices.IndexFunc(recorded["sf.example|"].Asked, func(a scanner.Asked) bool { return a.Type == dns.TypeMX })
	if sfMX < 0 || recorded["sf.example|"].Asked[sfMX].Answer.Status != resolve.StatusServFail {
		t.Errorf("sf.example's failed MX lookup is not kept as evidence: %+v", recorded["sf.example|"].Asked)
	}
	if inv := recorded["|not a domain"]; len(inv.Asked) != 0 {
		t.Errorf("an invalid target recorded lookups: %+v", inv.Asked)
	}

	replay := scanner.New(noNetwork{t}, scanner.Options{Answers: func(r *scanner.Result) resolve.Querier {
		m := mapQuerier{}
		for _, a := range recorded[r.Domain+"|"+r.Input].Asked {
			m[key(a.Name, a.Type)] = a.Answer
		}
		return m
	}})
	second := scanAll(t, replay, domains...)
	for _, d := range domains {
		d = strings.ToLower(d)
		if first[d] == nil {
			continue
		}
		a, _ := json.Marshal(first[d])
		b, _ := json.Marshal(second[d])
		if string(a) != string(b) {
			t.Errorf("%s replays differently:\nscan   %s\nreplay %s", d, a, b)
		}
	}
}

// A question the recorded answers lack is answered as a failure, never as a
// missing record.
func TestReplayOfMissingAnswerIsAFailure(t *testing.T) {
	s := scanner.New(noNetwork{t}, scanner.Options{Answers: func(*scanner.Result) resolve.Querier {
		return mapQuerier{} // nothing was recorded
	}})
	ts, _ := targets.FromArgs([]string{"example.org"})
	var got *scanner.Result
	if err := s.Scan(context.Background(), slices.Values(ts), func(r *scanner.Result) error { got = r; return nil }); err != nil {
		t.Fatal(err)
	}
	if got.Status != scanner.StatusError || got.DMARC.Status != "temperror" || got.SPF.Status != "temperror" {
		t.Errorf("got status %s, dmarc %s, spf %s; want error and temperror, not none", got.Status, got.DMARC.Status, got.SPF.Status)
	}
	if slices.Contains(findingIDs(got), "dmarc-missing") || slices.Contains(findingIDs(got), "spf-missing") {
		t.Errorf("a missing answer produced a missing-record finding: %v", findingIDs(got))
	}
}
