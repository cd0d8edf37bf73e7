package spf

import (
	"errors"
	"fmt"
	"testing"
)

func TestParsedSharesOneRecordPerText(t *testing.T) {
	p := NewParsed(8)
	a, err := p.Parse("v=spf1 include:_spf.google.com ~all")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := p.Parse("v=spf1 include:_spf.google.com ~all")
	if a != b {
		t.Error("the same record text was parsed twice")
	}
	want, _ := Parse("v=spf1 include:_spf.google.com ~all")
	if fmt.Sprint(a) != fmt.Sprint(want) {
		t.Errorf("memo gave %v, Parse gives %v", a, want)
	}
}

func TestParsedRemembersErrorsToo(t *testing.T) {
	p := NewParsed(8)
	for range 2 {
		if _, err := p.Parse("v=spf1 bogus:x"); !errors.Is(err, ErrSyntax) {
			t.Fatalf("err = %v, want ErrSyntax", err)
		}
	}
}

func TestParsedStaysWithinItsSize(t *testing.T) {
	p := NewParsed(4)
	for i := range 100 {
		if _, err := p.Parse(fmt.Sprintf("v=spf1 ip4:10.0.0.%d -all", i)); err != nil {
			t.Fatal(err)
		}
		if len(p.m) > 4 {
			t.Fatalf("memo holds %d records, size is 4", len(p.m))
		}
	}
}

func TestNilParsedParses(t *testing.T) {
	var p *Parsed
	if r, err := p.Parse("v=spf1 -all"); err != nil || len(r.Mechanisms) != 1 {
		t.Fatalf("nil memo: %v, %v", r, err)
	}
}
