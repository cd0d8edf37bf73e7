package scanner

import "testing"

// A rule without a fix of its own falls back to README's general advice;
// every rule should name the domain's own values, and have a title for the
// summary's counts.
func TestEveryRuleHasASpecificFixAndATitle(t *testing.T) {
	for _, r := range Rules {
		if fixes[r.ID] == nil {
			t.Errorf("rule %s has no specific fix in fixes.go", r.ID)
		}
		if titles[r.ID] == "" {
			t.Errorf("rule %s has no title in fixes.go", r.ID)
		}
	}
	for id := range fixes {
		if _, ok := ruleByID[id]; !ok {
			t.Errorf("fixes.go has a fix for %s, which is no rule", id)
		}
	}
}

func TestRecordEdits(t *testing.T) {
	tests := []struct{ got, want string }{
		{setTag("v=DMARC1; p=none; rua=mailto:a@b.example", "p", "quarantine"), "v=DMARC1; p=quarantine; rua=mailto:a@b.example"},
		{setTag("v=DMARC1;p=none", "p", "reject"), "v=DMARC1;p=reject"},
		{setTag("v=DMARC1; p=reject; sp=none", "p", "quarantine"), "v=DMARC1; p=quarantine; sp=none"},
		{setTag("v=DMARC1; p=none;", "rua", "mailto:d@x.example"), "v=DMARC1; p=none; rua=mailto:d@x.example"},
		{dropTag("v=DMARC1; p=reject; pct=50; rua=mailto:a@b.example", "pct"), "v=DMARC1; p=reject; rua=mailto:a@b.example"},
		{replaceAll("v=spf1 include:x.example +all", "-all"), "v=spf1 include:x.example -all"},
		{replaceAll("v=spf1 ip4:192.0.2.1 all", "~all"), "v=spf1 ip4:192.0.2.1 ~all"},
		{replaceAll("v=spf1 ip4:192.0.2.1", "~all"), "v=spf1 ip4:192.0.2.1 ~all"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q; want %q", tt.got, tt.want)
		}
	}
}
