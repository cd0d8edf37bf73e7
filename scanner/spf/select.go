package spf

import "strings"

// Select picks the SPF record out of the TXT records at a name (RFC 7208
// §4.5): the records whose text is "v=spf1" (in any case) followed by a
// space or the end. "v=spf10" and " v=spf1" are not SPF. No such record is
// ErrNoRecord (result none); more than one, even identical, is
// ErrMultipleRecords (permerror). Other TXT records are none of SPF's
// business, whatever bytes they hold.
func Select(txts []string) (record string, err error) {
	recs := spfRecords(txts)
	switch len(recs) {
	case 0:
		return "", ErrNoRecord
	case 1:
		return recs[0], nil
	default:
		return "", ErrMultipleRecords
	}
}

// spfRecords returns the TXT records that are SPF version 1 records.
func spfRecords(txts []string) []string {
	var recs []string
	for _, t := range txts {
		if isSPF(t) {
			recs = append(recs, t)
		}
	}
	return recs
}

// isSPF reports whether a TXT record starts with the SPF version term.
func isSPF(txt string) bool {
	const version = "v=spf1"
	if len(txt) < len(version) || !strings.EqualFold(txt[:len(version)], version) {
		return false
	}
	return len(txt) == len(version) || txt[len(version)] == ' '
}
