package spf

import "strings"

// reasonPrefixes are the package and kind prefixes that this package's
// sentinel errors carry, and that wrapping repeats inside one message.
var reasonPrefixes = strings.NewReplacer("spf: permerror: ", "", "spf: temperror: ", "", "spf: ", "")

// Reason is an error message of this package as a person reads it under a
// heading that already says "SPF" and the result: without the "spf: " and
// "spf: permerror: " prefixes that every wrapped sentinel adds, so that
// "target has no spf record: redirect=x: spf: no spf record at x" loses its
// repetitions. A term or name quoted in the message never holds a space,
// so none of it is taken for a prefix.
func Reason(msg string) string {
	return reasonPrefixes.Replace(msg)
}
