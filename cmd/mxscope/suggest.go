package main

import (
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mxscope/mxscope/providers"
	"github.com/mxscope/mxscope/scanner"
)

// suggestProvider returns the provider ids a mistyped --provider value most
// likely meant, the first kind that finds any: the id of a product named
// by its catalog key or name ("google-workspace", "Microsoft 365"); ids
// that start with what was typed, or that it starts with, from three
// letters on ("micro"); the ids nearest in edit distance, at most two
// edits away ("microsft").
func suggestProvider(cat *providers.Catalog, typed string) []string {
	typed = strings.ToLower(typed)
	squash := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == ' ' || r == '-' || r == '_' || r == '.' {
				return -1
			}
			return r
		}, strings.ToLower(s))
	}
	ids := append(cat.IDs(), scanner.ProviderSelfHosted, scanner.ProviderUnknown, scanner.ProviderNone)
	var out []string
	add := func(id string) {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	for _, p := range cat.List() {
		if squash(p.Key) == squash(typed) || squash(p.Name) == squash(typed) {
			add(p.ID)
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, id := range ids {
		if len(typed) >= 3 && (strings.HasPrefix(id, typed) || strings.HasPrefix(typed, id)) {
			add(id)
		}
	}
	if len(out) > 0 {
		return out
	}
	// The nearest ids, at most two edits away.
	for d := 1; d <= 2; d++ {
		for _, id := range ids {
			if editDistance(typed, id) == d && d <= len(id)/3+1 {
				add(id)
			}
		}
		if len(out) > 0 {
			break
		}
	}
	return out
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

var unknownFlagRE = regexp.MustCompile(`^unknown flag: --([^\s=]+)`)

// suggestFlag returns the flags a mistyped long flag most likely meant
// ("--fromat": "--format"), from the flags of c and those it inherits:
// those the typed name starts (from three letters on; "--res" is
// "--resolver or --resume"), else the nearest at most two edits away. ""
// when none is near or the error is not an unknown flag.
func suggestFlag(c *cobra.Command, err error) string {
	m := unknownFlagRE.FindStringSubmatch(err.Error())
	if m == nil {
		return ""
	}
	typed := strings.ToLower(m[1])
	var names []string
	add := func(f *pflag.Flag) {
		if !f.Hidden && !slices.Contains(names, f.Name) {
			names = append(names, f.Name)
		}
	}
	c.Flags().VisitAll(add)
	c.InheritedFlags().VisitAll(add)
	var out []string
	for _, n := range names {
		if len(typed) >= 3 && strings.HasPrefix(n, typed) {
			out = append(out, "--"+n)
		}
	}
	for d := 1; d <= 2 && len(out) == 0; d++ {
		for _, n := range names {
			if editDistance(typed, n) == d && d <= len(n)/3+1 {
				out = append(out, "--"+n)
			}
		}
	}
	return strings.Join(out, " or ")
}
