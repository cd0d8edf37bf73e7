package report

import (
	"bytes"
	"math"
	"reflect"
	"testing"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/targets"
)

// TestResultShapeIsKnown fails when scanner.Result (or a type inside it)
// changes: appendResult must then learn the change, and resultShape be
// updated, before results take the fast path again.
func TestResultShapeIsKnown(t *testing.T) {
	if got := typeShape(reflect.TypeFor[scanner.Result]()); got != resultShape {
		t.Errorf("scanner.Result changed; update appendResult and resultShape.\ngot  %s\nwant %s", got, resultShape)
	}
}

// checkSameAsMarshal compares appendResult with encoding/json (marshal) for r.
func checkSameAsMarshal(t *testing.T, r *scanner.Result) {
	t.Helper()
	want, wantErr := marshal(r, "", "")
	var e resultEncoder
	got, nonASCII, ok := e.appendResult(nil, r)
	if !ok {
		return // handed to encoding/json: nothing to compare
	}
	if wantErr != nil {
		t.Fatalf("appendResult took a result encoding/json rejects: %v", wantErr)
	}
	if nonASCII {
		got = jsonSafe(got)
	} else if !bytes.Equal(jsonSafe(got), got) {
		t.Errorf("output said to be plain ASCII changes under jsonSafe: %s", got)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestAppendResultMatchesMarshal(t *testing.T) {
	for _, r := range fixtures() {
		t.Run(domainOf(r), func(t *testing.T) { checkSameAsMarshal(t, r) })
	}
	t.Run("bench result", func(t *testing.T) { checkSameAsMarshal(t, benchResult()) })
	t.Run("zero result", func(t *testing.T) { checkSameAsMarshal(t, &scanner.Result{}) })
	t.Run("parked, with every posture field", func(t *testing.T) {
		checkSameAsMarshal(t, &scanner.Result{
			Domain: "parked.example", Status: scanner.StatusOK, Mail: scanner.MailNullMX, Parked: true,
			MTASTS: scanner.Policy{Status: "ok", Policy: &scanner.STSPolicy{Status: "ok", Mode: "none", MaxAge: int64p(0), MX: []string{}}},
			DKIM:   &scanner.DKIM{Status: "none", Selectors: []scanner.DKIMSelector{}, Error: "é"},
			BIMI:   &scanner.BIMI{Status: "none", Record: "v=BIMI1; l=; a=;"},
		})
	})
	t.Run("label that encoding/json cannot encode", func(t *testing.T) {
		checkSameAsMarshal(t, &scanner.Result{Labels: targets.Labels{{Key: "x", Value: math.NaN()}}})
	})
	t.Run("deep SPF tree", func(t *testing.T) {
		root := &scanner.SPFNode{Name: "0"}
		for n, i := root, 0; i < 2*maxTreeDepth; i++ {
			c := &scanner.SPFNode{Name: "x"}
			n.Children = []*scanner.SPFNode{c}
			n = c
		}
		checkSameAsMarshal(t, &scanner.Result{SPF: scanner.SPF{Tree: []*scanner.SPFNode{root, nil}}})
	})
}

// FuzzAppendResult fills every field of a Result from the fuzzer's strings
// and numbers, with slices nil, empty or full and pointers nil or set as
// the bits of shape say, and compares appendResult with encoding/json.
func FuzzAppendResult(f *testing.F) {
	f.Add("d.example", "v=spf1 -all", "\x1b[31m\u202e\xff\"\\<&>", int64(3), uint32(0))
	f.Add("", "", "", int64(0), uint32(0xffffffff))
	f.Add("x", "é\u2028\u2029\x00\t", "y", int64(-1), uint32(0x55555555))
	f.Fuzz(func(t *testing.T, a, b, c string, n int64, shape uint32) {
		bit := func(i int) bool { return shape>>i&1 == 1 }
		strs := func(i int) []string {
			switch {
			case bit(i):
				return nil
			case bit(i + 1):
				return []string{}
			}
			return []string{a, b, c}
		}
		node := &scanner.SPFNode{Name: a, Via: b, Status: c, Error: a}
		if bit(20) {
			node.Children = []*scanner.SPFNode{{Name: c, Via: b, Status: a}}
		}
		var pct *int
		if bit(21) {
			v := int(n)
			pct = &v
		}
		var labels targets.Labels
		if bit(22) {
			labels = targets.Labels{{Key: a, Value: b}, {Key: c, Value: c}}
		}
		if bit(23) {
			labels = append(labels, targets.Label{Key: b, Value: n})
		}
		var mx []scanner.MX
		if !bit(24) {
			mx = []scanner.MX{{Preference: uint16(n), Host: a, Provider: b, Product: c, Addresses: strs(0), Status: "ok", Canonical: b, Appliance: c}, {}}
		}
		if mx != nil && bit(29) {
			t := &scanner.TLSA{Status: scanner.TLSAStatus(a), DNSSEC: scanner.DNSSECStatus(b), Error: c}
			if bit(30) {
				t.Records = []scanner.TLSARecord{{Usage: uint8(n), Selector: uint8(n >> 8), MatchingType: uint8(n >> 16), Data: a, Problem: b}, {}}
			} else if bit(31) {
				t.Records = []scanner.TLSARecord{}
			}
			mx[0].TLSA = t
		}
		var dnssec *scanner.DNSSEC
		if bit(28) {
			dnssec = &scanner.DNSSEC{Status: scanner.DNSSECStatus(c), Error: a}
		}
		var findings []scanner.Finding
		if !bit(25) {
			findings = []scanner.Finding{{ID: a, Severity: scanner.Severity(b), Message: c, Fix: a}, {}}
		}
		var tree []*scanner.SPFNode
		if bit(26) {
			tree = []*scanner.SPFNode{node, nil}
		}
		var match []scanner.Match
		switch {
		case bit(28):
			match = []scanner.Match{}
		case bit(29):
			match = []scanner.Match{{Provider: a, Layer: scanner.Layer(b)}, {Provider: c}}
		}
		r := &scanner.Result{
			Domain: a, Input: b, Unicode: c, Labels: labels, Line: int(n), Status: scanner.Status(a), Error: b,
			Mail: scanner.Mail(c), MX: mx, Provider: a, Gateway: b, Mailbox: c, MailboxEvidence: strs(2),
			Confidence: scanner.Confidence(a), Reseller: b, Tenant: c, Senders: strs(4),
			SPF: scanner.SPF{Status: a, Record: b, All: c, Lookups: int(n), VoidLookups: int(n / 2), Includes: strs(6), Tree: tree, Error: c},
			DMARC: scanner.DMARC{Status: a, Record: b, Policy: c, SubdomainPolicy: a, Pct: pct, RUA: strs(8), RUF: strs(10),
				Source: b, Inherited: bit(27), OrgDomain: c, Error: a, AppliedPolicy: b, Testing: bit(28), NonexistentPolicy: c,
				PSDPolicy: bit(29), MultipleRecords: strs(12), Warnings: strs(14)},
			MTASTS: scanner.Policy{Status: a, Record: b, Error: c}, TLSRPT: scanner.Policy{Status: c},
			DNSSEC: dnssec, Findings: findings, Match: match,
		}
		checkSameAsMarshal(t, r)
	})
}
