package dane

import (
	"encoding/hex"
	"strings"
	"testing"
)

// FuzzParse feeds Parse and Problem any parameters and data: they must not
// panic, and a record judged usable must have the parameters and digest
// length RFC 7672 allows.
func FuzzParse(f *testing.F) {
	cert, spki := testCert(f)
	f.Add(uint8(3), uint8(1), uint8(1), strings.Repeat("0f", 32))
	f.Add(uint8(3), uint8(0), uint8(2), strings.Repeat("0f", 64))
	f.Add(uint8(2), uint8(0), uint8(0), hex.EncodeToString(cert))
	f.Add(uint8(3), uint8(1), uint8(0), hex.EncodeToString(spki))
	f.Add(uint8(1), uint8(1), uint8(1), "00")
	f.Add(uint8(3), uint8(1), uint8(0), "3000")
	f.Add(uint8(3), uint8(0), uint8(0), "3082ffff")
	f.Fuzz(func(t *testing.T, usage, selector, matchingType uint8, data string) {
		r, err := Parse(usage, selector, matchingType, data)
		if err != nil {
			return
		}
		if len(r.Data) != len(data)/2 {
			t.Fatalf("%d bytes from %d hex digits", len(r.Data), len(data))
		}
		if r.Problem() != "" {
			return
		}
		if r.Usage != UsageDANETA && r.Usage != UsageDANEEE || r.Selector > SelectorSPKI || r.MatchingType > MatchSHA512 {
			t.Fatalf("usable with parameters %d %d %d", r.Usage, r.Selector, r.MatchingType)
		}
		if want := map[uint8]int{MatchSHA256: 32, MatchSHA512: 64}[r.MatchingType]; want != 0 && len(r.Data) != want {
			t.Fatalf("usable digest of %d bytes for matching type %d", len(r.Data), r.MatchingType)
		}
	})
}
