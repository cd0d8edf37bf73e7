package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/targets"
)

// parseHTML parses a page as a browser would.
func parseHTML(t testing.TB, page string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatalf("the page does not parse: %v", err)
	}
	return doc
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// find returns the nodes under n for which match is true, in document order.
func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for c := range n.Descendants() {
		if match(c) {
			out = append(out, c)
		}
	}
	return out
}

func element(tag string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Type == html.ElementNode && n.Data == tag }
}

func byID(doc *html.Node, id string) *html.Node {
	nodes := find(doc, func(n *html.Node) bool {
		v, ok := attr(n, "id")
		return n.Type == html.ElementNode && ok && v == id
	})
	if len(nodes) != 1 {
		return nil
	}
	return nodes[0]
}

// text is the text content of n, as the DOM's textContent.
func text(n *html.Node) string {
	var b strings.Builder
	for c := range n.Descendants() {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return b.String()
}

// resultRows returns the rows of the targets table.
func resultRows(t testing.TB, doc *html.Node) []*html.Node {
	t.Helper()
	table := byID(doc, "results")
	if table == nil {
		t.Fatalf("no table#results")
	}
	body := find(table, element("tbody"))
	if len(body) != 1 {
		t.Fatalf("table#results has %d tbody; want 1", len(body))
	}
	var rows []*html.Node
	for c := body[0].FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode {
			rows = append(rows, c)
		}
	}
	return rows
}

// htmlRows returns the text of each row of the targets table.
func htmlRows(t *testing.T, page string) []string {
	var out []string
	for _, r := range resultRows(t, parseHTML(t, page)) {
		out = append(out, text(r))
	}
	return out
}

func TestHTMLPolicyHashesMatchTheBlocks(t *testing.T) {
	var catalog bytes.Buffer
	if err := WriteCatalog("html", &catalog, testCatalog(t), Options{}); err != nil {
		t.Fatal(err)
	}
	for name, page := range map[string]string{"report": render(t, "html", Options{LabelKeys: labelKeys}), "catalog": catalog.String()} {
		t.Run(name, func(t *testing.T) {
			doc := parseHTML(t, page)
			metas := find(doc, func(n *html.Node) bool {
				v, _ := attr(n, "http-equiv")
				return n.Type == html.ElementNode && n.Data == "meta" && strings.EqualFold(v, "Content-Security-Policy")
			})
			if len(metas) != 1 {
				t.Fatalf("got %d CSP meta tags; want 1", len(metas))
			}
			policy, _ := attr(metas[0], "content")
			if !strings.HasPrefix(policy, "default-src 'none'; ") {
				t.Errorf("policy %q does not start with default-src 'none'", policy)
			}
			for _, tag := range []string{"style", "script"} {
				blocks := find(doc, element(tag))
				if name == "catalog" && tag == "script" {
					if len(blocks) != 0 || strings.Contains(policy, "script-src") {
						t.Errorf("the catalog page has %d scripts, policy %q; want none", len(blocks), policy)
					}
					continue
				}
				if len(blocks) != 1 {
					t.Fatalf("got %d <%s> blocks; want 1", len(blocks), tag)
				}
				sum := sha256.Sum256([]byte(text(blocks[0])))
				want := tag + "-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
				if !strings.Contains(policy, want) {
					t.Errorf("policy %q does not allow the <%s> block as rendered (%s): was a comment stripped?", policy, tag, want)
				}
			}
			for _, n := range find(doc, func(n *html.Node) bool { return n.Type == html.ElementNode }) {
				if _, ok := attr(n, "style"); ok {
					t.Errorf("<%s style=...>: the policy blocks inline style attributes", n.Data)
				}
			}
		})
	}
}

// The elements and attributes the report is made of. A value from DNS or
// the targets file that added any other would be an injection.
var (
	htmlElements = strings.Fields(`html head meta title style body header h1 h2 h3 h4 p nav a main section div
		figure figcaption table thead tbody tr th td span code br strong ul li dl dt dd details summary
		label input select option button output footer script svg defs pattern rect path circle`)
	htmlAttrs = strings.Fields(`lang charset name content http-equiv id class href role hidden scope for type value
		autocomplete spellcheck aria-label aria-labelledby aria-hidden aria-live focusable width height d fill
		stroke stroke-width cx cy r patternunits patterntransform
		data-layer data-id data-count data-n data-worst data-findings data-col data-v data-sort`)
)

// checkPage checks a rendered report that holds the results rs: only known
// elements and attributes, links only within the page, the style sheet and
// script exactly as written, one row and one details section per result,
// and each row's domain shown as Clean shows it.
func checkPage(t testing.TB, page string, rs []*scanner.Result) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(page))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				t.Fatalf("tokenizer: %v", z.Err())
			}
			break
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		if !slices.Contains(htmlElements, tok.Data) {
			t.Errorf("unexpected element <%s>", tok.Data)
		}
		for _, a := range tok.Attr {
			if !slices.Contains(htmlAttrs, a.Key) || a.Namespace != "" {
				t.Errorf("<%s>: unexpected attribute %q=%q", tok.Data, a.Key, a.Val)
			}
			if a.Key == "href" && !strings.HasPrefix(a.Val, "#") {
				t.Errorf("<%s href=%q>: a link leaves the page", tok.Data, a.Val)
			}
		}
	}
	doc := parseHTML(t, page)
	for tag, want := range map[string]string{"style": htmlCSS, "script": htmlJS} {
		blocks := find(doc, element(tag))
		if len(blocks) != 1 || text(blocks[0]) != want {
			t.Errorf("<%s>: got %d blocks, or one that is not the constant", tag, len(blocks))
		}
	}
	rows := resultRows(t, doc)
	details := find(doc, element("details"))
	if len(rows) != len(rs) || len(details) != len(rs) {
		t.Fatalf("got %d rows and %d details; want %d of each", len(rows), len(details), len(rs))
	}
	for i, r := range rs {
		links := find(rows[i], element("a"))
		if len(links) != 1 {
			t.Fatalf("row %d: got %d links; want 1", i+1, len(links))
		}
		want := Clean(domainOf(r))
		if want == "" {
			want = "-"
		}
		if got := text(links[0]); got != want {
			t.Errorf("row %d: domain shown as %q; want %q", i+1, got, want)
		}
		if id, _ := attr(details[i], "id"); id != fmt.Sprintf("t-%d", i+1) {
			t.Errorf("details %d: id %q; want t-%d", i+1, id, i+1)
		}
	}
}

// skeleton is a page's markup without its text and attribute values: the
// element and attribute names in order.
func skeleton(t testing.TB, page string) []string {
	t.Helper()
	var out []string
	z := html.NewTokenizer(strings.NewReader(page))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			s := "<" + tok.Data
			for _, a := range tok.Attr {
				s += " " + a.Key
			}
			out = append(out, s+">")
		case html.EndTagToken:
			out = append(out, "</"+z.Token().Data+">")
		}
	}
}

// hostileStrings are values an attacker may put in DNS or a targets file.
var hostileStrings = []string{
	`</script><script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`' onmouseover='alert(1)`,
	`javascript:alert(1)`,
	`<!-- <script>`,
	`</style><style>body{display:none}</style>`,
	`<svg onload=alert(1)><foreignObject><iframe src="https://evil.example/">`,
	`{{.}} ]]> <![CDATA[ x`,
	"\x00\x1b[31mred\x07\u202eevil\u2028\u2066",
	`&lt;b&gt; &amp; &#x3C;`,
	`<textarea></details></td></tr></table><a href="//evil.example">`,
	`data:text/html,<script>alert(1)</script>`,
	"\xff\xfe<\xc0>",
}

// hostileResult puts s in every field a DNS answer or a targets entry
// reaches; k is a second value, for keys.
func hostileResult(s, k string) *scanner.Result {
	return &scanner.Result{
		Domain: s, Input: s, Unicode: s,
		Labels: targets.Labels{{Key: k, Value: s}, {Key: "party", Value: []any{s, k}}},
		Status: scanner.StatusOK, Error: s, Mail: scanner.MailMX,
		MX:       []scanner.MX{{Preference: 10, Host: s, Provider: s, Product: k, Addresses: []string{s}, Status: "ok"}},
		Provider: s, Gateway: s, Mailbox: s, Confidence: scanner.ConfidenceMedium,
		MailboxEvidence: []string{s, k}, Tenant: s, Reseller: s, Senders: []string{s, k},
		SPF:    scanner.SPF{Status: "permerror", Record: s, Includes: []string{s}, Error: s},
		DMARC:  scanner.DMARC{Status: "ok", Policy: "none", Record: s, Source: s, RUA: []string{s}, RUF: []string{k}, Error: s},
		MTASTS: scanner.Policy{Status: "ok", Record: s}, TLSRPT: scanner.Policy{Status: "none", Error: s},
		Findings: []scanner.Finding{{ID: s, Severity: scanner.SeverityHigh, Message: s, Fix: s}, {ID: k, Severity: scanner.Severity(s), Message: k}},
	}
}

// renderResults renders rs as an html report.
func renderResults(t testing.TB, rs []*scanner.Result, opt Options) string {
	return renderPage(t, testMeta(), rs, opt)
}

// renderPage renders rs as an html report of the scan m.
func renderPage(t testing.TB, m scanner.Meta, rs []*scanner.Result, opt Options) string {
	t.Helper()
	var buf bytes.Buffer
	w := newHTML(&buf, opt)
	z := scanner.NewSummarizer()
	if err := w.Begin(m); err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		z.Add(r)
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.End(z.Summary()); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// plainWord reports whether v is already plain: a word of lower-case
// letters, digits and hyphens cannot open markup, and may be a word the
// writer compares with (a severity, a special provider id, a label key).
func plainWord(v string) bool {
	for _, c := range []byte(v) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// sameShape checks that the markup of a report holding s (and k) in every
// field is that of the same report holding plain words instead: s and k
// change what the page says, never how it is built. Plain words keep
// equal values equal and empty ones empty, so that the page has the same
// shape; the words a value is mapped to have a dot, so that they never
// equal a plain word that is kept. A value over 255 bytes stays over 255
// bytes: the summary groups no shared tenant under a domain that long (no
// DNS name is), so the length, and only it, may change the page.
func sameShape(t testing.TB, page string, s, k string, render func(s, k string) string) {
	t.Helper()
	plain := func(v string) string {
		w := "plain.k"
		switch {
		case plainWord(v):
			return v
		case v == s:
			w = "plain.s"
		}
		if len(v) > 255 {
			w += strings.Repeat("x", len(v)-len(w))
		}
		return w
	}
	got, want := skeleton(t, page), skeleton(t, render(plain(s), plain(k)))
	if !slices.Equal(got, want) {
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Fatalf("markup differs from the plain page at tag %d: got %s; want %s", i, got[i], want[i])
			}
		}
		t.Fatalf("markup differs from the plain page: %d tags; want %d", len(got), len(want))
	}
}

// hostileResults are two results holding s (and k) everywhere, so that
// they share a tenant, and a plain one.
func hostileResults(s, k string) []*scanner.Result {
	return []*scanner.Result{hostileResult(s, k), hostileResult(s, k), fixtures()[0]}
}

// checkHostile renders a whole page with results holding s (and k)
// everywhere, from a scan whose catalog version and resolver hold them
// too, checks the page, and checks its shape.
func checkHostile(t testing.TB, s, k string) {
	t.Helper()
	render := func(s, k string) string {
		m := testMeta()
		m.Catalog, m.Resolvers, m.Checks = s, []string{k}, s
		opt := Options{LabelKeys: []string{k, "party"}, Providers: []string{s}}
		return renderPage(t, m, hostileResults(s, k), opt)
	}
	page := render(s, k)
	checkPage(t, page, hostileResults(s, k))
	sameShape(t, page, s, k, render)
}

func TestHTMLHostileValuesOpenNoTagAttributeOrScript(t *testing.T) {
	for i, s := range hostileStrings {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			checkHostile(t, s, "candidate")
			checkHostile(t, "candidate", s) // the hostile value as a label key
		})
	}
}

func FuzzHTMLReport(f *testing.F) {
	for _, s := range hostileStrings {
		f.Add(s, "candidate")
	}
	f.Add("", "")
	f.Add("a", "a")
	// What the writer makes of one result, without the page's static head:
	// the charts, the table and the section. The whole page is checked in
	// the table test above; here the budget goes to inputs.
	render := func(t testing.TB, s, k string) string {
		var buf bytes.Buffer
		w := newHTML(&buf, Options{LabelKeys: []string{k, "party"}, Providers: []string{s}})
		z := scanner.NewSummarizer()
		for _, r := range hostileResults(s, k)[:2] {
			z.Add(r)
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.End(z.Summary()); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	f.Fuzz(func(t *testing.T, s, k string) {
		r := func(s, k string) string { return render(t, s, k) }
		sameShape(t, r(s, k), s, k, r)
	})
}

func TestHTMLGoldenPageIsSafe(t *testing.T) {
	checkPage(t, render(t, "html", Options{LabelKeys: labelKeys}), fixtures())
}

func TestHTMLChartsCountTheSummary(t *testing.T) {
	rs := fixtures()
	s := testSummary(rs)
	doc := parseHTML(t, render(t, "html", Options{LabelKeys: labelKeys}))
	bars := func(layer string) map[string]string {
		fig := byID(doc, "chart-"+layer)
		if fig == nil {
			t.Fatalf("no chart %s", layer)
		}
		got := map[string]string{}
		for _, tr := range find(fig, element("tr")) {
			id, _ := attr(tr, "data-id")
			n, _ := attr(tr, "data-count")
			got[id] = n
			if th := find(tr, element("td")); len(th) == 0 || !strings.Contains(text(tr), n+" of "+fmt.Sprint(s.Scanned)) {
				t.Errorf("%s %s: the bar does not say %q in text", layer, id, n+" of "+fmt.Sprint(s.Scanned))
			}
		}
		return got
	}
	want := func(cs []scanner.Count) map[string]string {
		m := map[string]string{}
		for _, c := range cs {
			m[Clean(c.ID)] = fmt.Sprint(c.Count)
		}
		return m
	}
	for _, tt := range []struct {
		layer string
		want  map[string]string
	}{
		{"mx", want(s.Provider)},
		{"gateway", want(s.Gateway)},
		{"senders", want(s.Senders)},
		// alpha2024 and alphaforamerica are on microsoft at high
		// confidence; beta2020's microsoft (low) and hostile's unknown
		// are left out.
		{"mailbox", want(s.MailboxConfident)},
		// Every policy and state has a bar, counted or not.
		{"dmarc", func() map[string]string {
			m := map[string]string{"reject": "0", "quarantine": "0", "none": "0", "missing": "0", "multiple": "0", "invalid": "0", "temperror": "0"}
			for k, v := range want(s.DMARC) {
				m[k] = v
			}
			return m
		}()},
	} {
		t.Run(tt.layer, func(t *testing.T) {
			if got := bars(tt.layer); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("bars: got %v; want %v", got, tt.want)
			}
		})
	}
	page := text(doc)
	for _, words := range []string{honestMX, "Not counted: 2 failed lookups (1 nxdomain, 1 timeout), 1 entry that is not a domain.",
		"Not charted: 1 at low confidence, a possible answer only (microsoft 1); 1 not known.",
		"1 record says t=y (testing), and is counted at the policy receivers apply: t=y lowers reject to quarantine, quarantine to none."} {
		if !strings.Contains(page, words) {
			t.Errorf("the page does not say %q", words)
		}
	}
}

func TestSpoolMovesToAFileAndBack(t *testing.T) {
	s := spool{limit: 10}
	var want bytes.Buffer
	for i := range 100 {
		line := fmt.Sprintf("row %d\n", i)
		want.WriteString(line)
		if _, err := s.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	if s.file == nil {
		t.Fatal("the spool stayed in memory past its limit")
	}
	name := s.file.Name()
	if _, err := os.Stat(name); err == nil {
		t.Errorf("the spool's file %s is still visible while in use", name)
	}
	var got bytes.Buffer
	if _, err := s.WriteTo(&got); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("got %q; want %q", got.String(), want.String())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestHTMLReportOfManyTargetsSpoolsToDisk(t *testing.T) {
	defer func(n int) { spoolMemory = n }(spoolMemory)
	spoolMemory = 4 << 10
	var rs []*scanner.Result
	for i := range 200 {
		r := *fixtures()[i%3]
		r.Domain = fmt.Sprintf("d%03d.example", i)
		rs = append(rs, &r)
	}
	page := renderResults(t, rs, Options{LabelKeys: labelKeys})
	checkPage(t, page, rs)
}

func TestHTMLSaysAnInterruptedScanIsPartial(t *testing.T) {
	var buf bytes.Buffer
	w := newHTML(&buf, Options{})
	s := testSummary(fixtures()[:2])
	s.Partial = true
	if err := errors.Join(w.Begin(testMeta()), w.Write(fixtures()[0]), w.Write(fixtures()[1]), w.End(s)); err != nil {
		t.Fatal(err)
	}
	if page := text(parseHTML(t, buf.String())); !strings.Contains(page, partialNote(s)) {
		t.Errorf("the page does not say %q", partialNote(s))
	}
}
