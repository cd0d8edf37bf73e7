package report

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Clean makes s safe to print on a terminal or in a document: every byte or
// character that could move the cursor, recolour the screen, reorder text or
// hide in it becomes a visible escape. Printable text is returned unchanged.
//
// Escaped are: C0 controls and DEL (\t, \n, \r, otherwise \x1b style), C1
// controls U+0080–U+009F (\u009b), invalid UTF-8 bytes (\xff), and invisible
// format characters (Unicode categories Cf, Zl and Zp, which include the
// zero-width characters U+200B–U+200F, the bidi embeddings, overrides and
// isolates U+202A–U+202E and U+2066–U+2069, U+FEFF and the tag characters
// used to smuggle hidden text) as \u202e or \U000e0041.
//
// A backslash is always written as \\, so the output is unambiguous: every
// backslash in it starts an escape, and the input can be recovered exactly.
// \x is followed by two hex digits and is either an ASCII control (below
// \x20, or \x7f) or an invalid byte (\x80 and above), never both.
func Clean(s string) string {
	// Most DNS data needs nothing: return it without allocating.
	i := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f || c == '\\' {
				break
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || hidden(r) {
			break
		}
		i += n
	}
	if i == len(s) {
		return s
	}

	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\\':
				b.WriteString(`\\`)
			case c == '\t':
				b.WriteString(`\t`)
			case c == '\n':
				b.WriteString(`\n`)
			case c == '\r':
				b.WriteString(`\r`)
			case c < 0x20 || c == 0x7f:
				hex(&b, `\x`, uint32(c), 2)
			default:
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			hex(&b, `\x`, uint32(c), 2)
		case hidden(r) && r > 0xffff:
			hex(&b, `\U`, uint32(r), 8)
		case hidden(r):
			hex(&b, `\u`, uint32(r), 4)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// hidden reports a non-ASCII rune that Clean escapes: a C1 control, or a
// character that is invisible yet changes how the text around it is shown.
func hidden(r rune) bool {
	return 0x80 <= r && r <= 0x9f || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

// hex writes prefix and v as width lower-case hex digits.
func hex(b *strings.Builder, prefix string, v uint32, width int) {
	b.WriteString(prefix)
	h := strconv.FormatUint(uint64(v), 16)
	for range width - len(h) {
		b.WriteByte('0')
	}
	b.WriteString(h)
}

// CSVCell is Clean plus protection against spreadsheet formula injection
// (OWASP "CSV injection"): a cell whose first character would make Excel,
// LibreOffice or Google Sheets evaluate it (= + - @, and their full-width
// forms) gets a leading apostrophe, which spreadsheets treat as "text" and
// hide. Tab and CR, the other two triggers, never survive Clean. The cost is
// that a negative number reads as text; mxscope's numeric columns are never
// negative.
func CSVCell(s string) string {
	c := Clean(s)
	r, _ := utf8.DecodeRuneInString(c)
	switch r {
	case '=', '+', '-', '@', '＝', '＋', '－', '＠':
		return "'" + c
	}
	return c
}

// mdEscape makes Clean(s) inert in Markdown (CommonMark and GitHub's
// dialect): the rendered text shows exactly Clean(s), and DNS data cannot
// open a table cell, emphasis, code, a link, an image, HTML, or an
// autolink. Backslash escapes are used where CommonMark allows them, entities
// for < > &; "www." and "://" are broken with an escaped dot or colon, and @
// is escaped, so GitHub's extended autolinks do not fire.
func mdEscape(s string) string {
	s = Clean(s)
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\', '`', '*', '_', '[', ']', '|', '#', '~', '@', '$', '!':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case ':':
			if strings.HasPrefix(s[i:], "://") {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		case '.':
			if i >= 3 && strings.EqualFold(s[i-3:i], "www") {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// mdStart is mdEscape for text that starts a line's content, after "- " or
// "## ": there a leading "-", "+" or "1." would open a nested list (and
// "---" a rule), so the marker is escaped too.
func mdStart(s string) string {
	m := mdEscape(s)
	digits := 0
	for digits < len(m) && '0' <= m[digits] && m[digits] <= '9' {
		digits++
	}
	switch {
	case m != "" && (m[0] == '-' || m[0] == '+'):
		return `\` + m
	case digits > 0 && digits < len(m) && (m[digits] == '.' || m[digits] == ')'):
		return m[:digits] + `\` + m[digits:]
	}
	return m
}

// jsonSafe rewrites encoding/json output so that it is as safe on a terminal
// as Clean's, without changing the data: encoding/json already escapes C0
// controls, and here C1 controls and the characters Clean calls hidden become
// \u escapes (surrogate pairs above U+FFFF), and invalid UTF-8 (which a
// custom MarshalJSON might let through) becomes \ufffd. JSON's own syntax is
// ASCII, so every non-ASCII byte is inside a string, where \u is valid.
func jsonSafe(b []byte) []byte {
	i := 0
	for i < len(b) {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 || hidden(r) {
			break
		}
		i += n
	}
	if i == len(b) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	out = append(out, b[:i]...)
	for i < len(b) {
		if b[i] < utf8.RuneSelf {
			out = append(out, b[i])
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			out = append(out, `\ufffd`...)
		case hidden(r) && r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			out = appendU(appendU(out, r1), r2)
		case hidden(r):
			out = appendU(out, r)
		default:
			out = append(out, b[i:i+n]...)
		}
		i += n
	}
	return out
}

func appendU(out []byte, r rune) []byte {
	const digits = "0123456789abcdef"
	return append(out, '\\', 'u', digits[r>>12&0xf], digits[r>>8&0xf], digits[r>>4&0xf], digits[r&0xf])
}
