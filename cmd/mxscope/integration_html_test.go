//go:build integration

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/dnstest/realdns"
)

// browserTargets are fictional candidates on the integration zones, and
// one whose DNS and labels are hostile (hostileZone).
const browserTargets = `# Fictional candidates on the integration suite's test zones.
- {domain: ok.mx.test, candidate: Avery Example, party: Party A, office: President}
- {domain: o365.mx.test, candidate: Blake Example, party: Party B, office: President}
- {domain: gateway.mx.test, candidate: Casey Example, party: Party A, office: Senate}
- {domain: manymx.mx.test, candidate: Dana Example, party: Party C, office: Senate}
- {domain: bigtxt.mx.test, candidate: Emery Example, party: Party B, office: Governor}
- {domain: dangling.mx.test, candidate: Finley Example, party: Party A, office: Governor}
- {domain: implicit.mx.test, candidate: Gray Example, party: Party C, office: House}
- {domain: nullmx.mx.test, committee: Example Victory Fund}
- {domain: nodata.mx.test, committee: Example Leadership PAC}
- {domain: nxdomain.mx.test, candidate: Harper Example, party: Party B, office: House}
- {domain: x.broken.test, candidate: Indigo Example, party: Party A, office: House}
- {domain: xss.hostile.test, candidate: '<script>pwned=1</script>', party: '"><img src=x onerror=pwned=1>', office: '</td></tr></table>'}
- not a domain!
`

// hostileZone serves names and records that try to run script in the
// report: MX hosts that are markup, an SPF record with markup and an ESC
// byte, a DMARC record with a script.
const hostileZone = `$ORIGIN hostile.test.
$TTL 300
@           SOA  ns.hostile.test. hostmaster.hostile.test. 1 3600 600 86400 300
@           NS   ns.hostile.test.
ns          A    127.0.0.1
xss         MX   10 <img\032src=x\032onerror=pwned=1>.hostile.test.
xss         MX   20 </td></tr><script>pwned=1</script>.hostile.test.
xss         TXT  "v=spf1 include:\"><svg/onload=pwned=1> \027[31m -all"
_dmarc.xss  TXT  "v=DMARC1; p=<script>pwned=1</script>; rua=mailto:x@hostile.test"
`

// jsonReport is the part of `-f json` the browser test compares with.
type jsonReport struct {
	Results []struct {
		Domain     string `json:"domain"`
		Input      string `json:"input"`
		Status     string `json:"status"`
		Provider   string `json:"provider"`
		Gateway    string `json:"gateway"`
		Mailbox    string `json:"mailbox"`
		Confidence string `json:"confidence"`
		Labels     map[string]any
		DMARC      struct {
			Status  string   `json:"status"`
			Policy  string   `json:"policy"`
			Applied string   `json:"applied_policy"`
			Several []string `json:"multiple_records"`
		} `json:"dmarc"`
		Findings []struct {
			Severity string `json:"severity"`
		} `json:"findings"`
	} `json:"results"`
	Summary scanner.Summary `json:"summary"`
}

// pageState is what the test reads from the DOM.
type pageState struct {
	Rows     []string                  `json:"rows"`    // each row's domain (or entry), in DOM order
	Visible  []string                  `json:"visible"` // the rows not hidden by a filter
	Count    string                    `json:"count"`   // the filter's "Showing N of M" line
	Charts   map[string]map[string]int `json:"charts"`  // layer -> bar id -> data-count
	BadBars  []string                  `json:"badBars"` // bars whose drawn length is not their share
	Texts    map[string][]string       `json:"texts"`   // layer -> each bar's "N of M" text
	Pwned    string                    `json:"pwned"`   // typeof window.pwned
	Injected int                       `json:"injected"`
	Scripts  int                       `json:"scripts"`
	Filters  bool                      `json:"filters"` // the filter panel is shown
	Buttons  int                       `json:"buttons"` // sort buttons
	Details  int                       `json:"details"`
}

const readState = `(() => {
  const rows = Array.from(document.querySelectorAll("#results tbody tr"));
  const dom = tr => tr.cells[1].getAttribute("data-v");
  const charts = {}, texts = {}, badBars = [];
  document.querySelectorAll("figure[data-layer]").forEach(f => {
    const layer = f.getAttribute("data-layer");
    charts[layer] = {};
    texts[layer] = [];
    f.querySelectorAll("tr[data-id]").forEach(tr => {
      const n = Number(tr.getAttribute("data-count"));
      charts[layer][tr.getAttribute("data-id")] = n;
      texts[layer].push(tr.querySelector("td.n").textContent);
      const of = Number(tr.querySelector("td.n").textContent.split(" of ")[1]);
      const r = tr.querySelectorAll("rect");
      const share = r[1].getBoundingClientRect().width / r[0].getBoundingClientRect().width;
      const want = of > 0 ? n / of : 0;
      if (Math.abs(share - want) > 0.01 && !(n > 0 && share >= 0.004 && want < 0.005)) {
        badBars.push(layer + "/" + tr.getAttribute("data-id") + ": drawn " + share.toFixed(3) + ", count " + n + " of " + of);
      }
    });
  });
  return {
    rows: rows.map(dom),
    visible: rows.filter(tr => !tr.hidden).map(dom),
    count: (document.getElementById("f-count") || {}).textContent || "",
    charts, texts, badBars,
    pwned: typeof window.pwned,
    injected: document.querySelectorAll("img, iframe, object, embed, foreignObject, form, link, base").length,
    scripts: document.scripts.length,
    filters: !document.getElementById("filters").hidden,
    buttons: document.querySelectorAll("button.sort").length,
    details: document.querySelectorAll("details.target").length,
  };
})()`

func TestIntegrationHTMLReportInABrowser(t *testing.T) {
	chromium := realdns.Require(t, "chromium")
	e := startEnv(t, map[string]string{"hostile.test": hostileZone})
	art := artifactDir(t)
	targets := filepath.Join(t.TempDir(), "targets.yaml")
	if err := os.WriteFile(targets, []byte(browserTargets), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"scan", "-t", targets, "--resolver", e.unbound.Addr}
	if r := e.mxscope(t, 2*time.Minute, art, append(args, "-f", "html", "-o", "report.html")...); r.code != exitOK {
		t.Fatalf("mxscope -f html: exit %d\n%s", r.code, r.stderr)
	}
	r := e.mxscope(t, 2*time.Minute, "", append(args, "-f", "json")...)
	if r.code != exitOK {
		t.Fatalf("mxscope -f json: exit %d\n%s", r.code, r.stderr)
	}
	var rep jsonReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	var want []string // each row's name, in input order
	for _, x := range rep.Results {
		if x.Domain == "" {
			want = append(want, x.Input)
		} else {
			want = append(want, x.Domain)
		}
	}
	if len(want) != 13 {
		t.Fatalf("the json scan has %d results; want 13", len(want))
	}

	report := filepath.Join(art, "report.html")
	fileURL := (&url.URL{Scheme: "file", Path: report}).String()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b := startBrowser(t, chromium)
	p, err := b.newPage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(p.call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{"width": 1280, "height": 1000, "deviceScaleFactor": 1, "mobile": false}, nil))
	from := b.eventCount()
	must(p.navigate(ctx, fileURL))
	state := func() pageState {
		t.Helper()
		var s pageState
		must(p.eval(ctx, readState, &s))
		return s
	}
	s := state()
	must(p.screenshot(ctx, filepath.Join(art, "report.png"), false))
	must(p.screenshot(ctx, filepath.Join(art, "report-full.png"), true))
	t.Logf("report, screenshots and PDF in %s", art)

	t.Run("one row per target in input order", func(t *testing.T) {
		if !slices.Equal(s.Rows, want) {
			t.Errorf("rows: got %q; want %q", s.Rows, want)
		}
		if s.Details != len(want) {
			t.Errorf("details: got %d; want %d", s.Details, len(want))
		}
	})
	t.Run("chart bars are the summary's counts", func(t *testing.T) {
		sum := rep.Summary
		layer := func(cs []scanner.Count) map[string]int {
			m := map[string]int{}
			for _, c := range cs {
				m[c.ID] = c.Count
			}
			return m
		}
		// The DMARC chart shows every policy and state, counted or not.
		dmarc := map[string]int{"reject": 0, "quarantine": 0, "none": 0, "missing": 0, "multiple": 0, "invalid": 0, "temperror": 0}
		for _, c := range sum.DMARC {
			dmarc[c.ID] = c.Count
		}
		// And the summary's counts are the results': the mailbox chart's
		// at medium or high confidence, the DMARC chart's by the policy
		// receivers apply (lower than p= with t=y).
		mailbox, fromResults := map[string]int{}, map[string]int{"reject": 0, "quarantine": 0, "none": 0, "missing": 0, "multiple": 0, "invalid": 0, "temperror": 0}
		for _, x := range rep.Results {
			if x.Status != "ok" {
				continue
			}
			if x.Mailbox != "unknown" && x.Mailbox != "none" && (x.Confidence == "high" || x.Confidence == "medium") {
				mailbox[x.Mailbox]++
			}
			switch x.DMARC.Status {
			case "ok":
				p := x.DMARC.Applied
				if p == "" {
					p = x.DMARC.Policy
				}
				fromResults[p]++
			case "none":
				if len(x.DMARC.Several) > 0 {
					fromResults["multiple"]++ // several records, all discarded
				} else {
					fromResults["missing"]++
				}
			default:
				fromResults[x.DMARC.Status]++
			}
		}
		if fmt.Sprint(fromResults) != fmt.Sprint(dmarc) || fmt.Sprint(mailbox) != fmt.Sprint(layer(sum.MailboxConfident)) {
			t.Errorf("summary: dmarc %v, mailbox_confident %v; the results say %v, %v", dmarc, layer(sum.MailboxConfident), fromResults, mailbox)
		}
		for name, want := range map[string]map[string]int{
			"mx": layer(sum.Provider), "gateway": layer(sum.Gateway), "senders": layer(sum.Senders),
			"mailbox": layer(sum.MailboxConfident), "dmarc": dmarc,
		} {
			if got := s.Charts[name]; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s bars: got %v; want %v", name, got, want)
			}
			for _, text := range s.Texts[name] {
				if !strings.HasSuffix(text, fmt.Sprintf(" of %d", sum.Scanned)) {
					t.Errorf("%s: a bar says %q; want N of %d", name, text, sum.Scanned)
				}
			}
		}
		for _, bad := range s.BadBars {
			t.Errorf("bar length: %s", bad)
		}
	})
	t.Run("hostile DNS data and labels run nothing and add no element", func(t *testing.T) {
		if s.Pwned != "undefined" || s.Injected != 0 || s.Scripts != 1 {
			t.Errorf("typeof pwned %s, %d injected elements, %d scripts; want undefined, 0, 1", s.Pwned, s.Injected, s.Scripts)
		}
	})
	t.Run("sorting", func(t *testing.T) {
		click := `(() => { document.querySelector("#results thead th:nth-child(%d) button.sort").click(); return 0; })()`
		ordered := `(() => { const c = new Intl.Collator(undefined, {numeric: true, sensitivity: "base"});
		  const v = Array.from(document.querySelectorAll("#results tbody tr")).map(tr => tr.cells[1].getAttribute("data-v"));
		  return v.every((x, i) => i === 0 || %s c.compare(v[i-1], x) <= 0); })()`
		if !s.Filters || s.Buttons == 0 {
			t.Fatalf("filters shown %v, %d sort buttons: the script did not run", s.Filters, s.Buttons)
		}
		for _, dir := range []string{"", "-"} { // ascending, then descending
			must(p.eval(ctx, fmt.Sprintf(click, 2), nil))
			var ok bool
			must(p.eval(ctx, fmt.Sprintf(ordered, dir), &ok))
			got := state().Rows
			if !ok || slices.Equal(got, want) || !sameSet(got, want) {
				t.Errorf("sorted by domain (%q): got %q", dir, got)
			}
		}
		must(p.eval(ctx, fmt.Sprintf(click, 1), nil)) // by #: input order again
		if got := state().Rows; !slices.Equal(got, want) {
			t.Errorf("sorted by #: got %q; want %q", got, want)
		}
	})
	t.Run("filters", func(t *testing.T) {
		set := `(() => { const el = document.querySelector(%q); el.value = %q; el.dispatchEvent(new Event(%q)); return 0; })()`
		clear := `(() => { document.getElementById("f-clear").click(); return 0; })()`
		expect := func(keep func(i int) bool) []string {
			var out []string
			for i, name := range want {
				if keep(i) {
					out = append(out, name)
				}
			}
			return out
		}
		for _, tt := range []struct {
			name, selector, value, event string
			keep                         func(i int) bool
		}{
			{"provider microsoft", `select[data-filter^="Provider"]`, "microsoft", "change", func(i int) bool {
				x := rep.Results[i]
				return x.Provider == "microsoft" || x.Gateway == "microsoft" || x.Mailbox == "microsoft"
			}},
			{"party label", `select[data-filter="party"]`, "Party A", "change", func(i int) bool {
				return rep.Results[i].Labels["party"] == "Party A"
			}},
			{"high findings", `#f-sev`, "4", "change", func(i int) bool {
				return slices.ContainsFunc(rep.Results[i].Findings, func(f struct {
					Severity string `json:"severity"`
				}) bool {
					return f.Severity == "high"
				})
			}},
			{"search", `#f-q`, "o365", "input", func(i int) bool { return want[i] == "o365.mx.test" }},
			{"no findings", `#f-sev`, "none", "change", func(i int) bool { return len(rep.Results[i].Findings) == 0 }},
		} {
			t.Run(tt.name, func(t *testing.T) {
				must(p.eval(ctx, fmt.Sprintf(set, tt.selector, tt.value, tt.event), nil))
				got := state()
				exp := expect(tt.keep)
				if len(exp) == 0 || len(exp) == len(want) {
					t.Fatalf("the filter would keep %d of %d rows: not a test", len(exp), len(want))
				}
				if !slices.Equal(got.Visible, exp) {
					t.Errorf("visible rows: got %q; want %q", got.Visible, exp)
				}
				if wantCount := fmt.Sprintf("Showing %d of %d targets", len(exp), len(want)); got.Count != wantCount {
					t.Errorf("count: got %q; want %q", got.Count, wantCount)
				}
				must(p.eval(ctx, clear, nil))
				if got := state().Visible; !slices.Equal(got, want) {
					t.Errorf("after Clear filters: got %q; want every row", got)
				}
			})
		}
	})
	t.Run("a domain's link opens its details", func(t *testing.T) {
		var open bool
		must(p.eval(ctx, `(async () => { document.querySelector('#results a[href="#t-2"]').click();
		  await new Promise(r => setTimeout(r, 100)); return document.getElementById("t-2").open; })()`, &open))
		if !open {
			t.Errorf("details #t-2 is closed after its link was followed")
		}
		// The hostile target, open, for whoever reads the artifacts.
		must(p.eval(ctx, `(async () => { const d = document.getElementById("t-12"); d.open = true; d.scrollIntoView();
		  await new Promise(r => setTimeout(r, 50)); return 0; })()`, nil))
		must(p.screenshot(ctx, filepath.Join(art, "report-details.png"), false))
	})
	t.Run("print shows every target's details and hides the controls", func(t *testing.T) {
		must(p.call(ctx, "Emulation.setEmulatedMedia", map[string]any{"media": "print"}, nil))
		var got struct {
			Closed, Shown, Total int
			Filters              string
		}
		must(p.eval(ctx, `(() => { const d = Array.from(document.querySelectorAll("details.target:not([open])"));
		  return {Closed: d.length, Shown: d.filter(x => x.querySelector(".body").getBoundingClientRect().height > 0).length,
		    Total: document.querySelectorAll("details.target").length,
		    Filters: getComputedStyle(document.getElementById("filters")).display}; })()`, &got))
		if got.Closed == 0 || got.Shown != got.Closed || got.Filters != "none" {
			t.Errorf("print media: %d of %d closed details show their content, filters display %q; want all, none", got.Shown, got.Closed, got.Filters)
		}
		must(p.printPDF(ctx, filepath.Join(art, "report.pdf")))
		must(p.call(ctx, "Emulation.setEmulatedMedia", map[string]any{"media": ""}, nil))
	})
	t.Run("on a phone the page fits the screen", func(t *testing.T) {
		must(p.call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true}, nil))
		must(p.navigate(ctx, fileURL))
		var w struct{ Page, Screen int }
		must(p.eval(ctx, `({Page: document.documentElement.scrollWidth, Screen: window.innerWidth})`, &w))
		if w.Page > w.Screen {
			t.Errorf("the page is %dpx wide on a %dpx screen", w.Page, w.Screen)
		}
		must(p.screenshot(ctx, filepath.Join(art, "report-phone.png"), false))
	})
	t.Run("without script every row and section is there", func(t *testing.T) {
		must(p.call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{"width": 1280, "height": 1000, "deviceScaleFactor": 1, "mobile": false}, nil))
		must(p.call(ctx, "Emulation.setScriptExecutionDisabled", map[string]any{"value": true}, nil))
		must(p.navigate(ctx, fileURL))
		got := state()
		if !slices.Equal(got.Rows, want) || got.Details != len(want) || got.Filters || got.Buttons != 0 {
			t.Errorf("script off: rows %q, %d details, filters shown %v, %d sort buttons; want every row and details, no controls",
				got.Rows, got.Details, got.Filters, got.Buttons)
		}
		for layer, bars := range s.Charts {
			if fmt.Sprint(got.Charts[layer]) != fmt.Sprint(bars) {
				t.Errorf("script off: %s bars %v; want %v", layer, got.Charts[layer], bars)
			}
		}
		must(p.call(ctx, "Emulation.setScriptExecutionDisabled", map[string]any{"value": false}, nil))
	})
	t.Run("no request left the page and nothing was logged as an error", func(t *testing.T) {
		requests, errs, seen := b.problems(from, p.session, fileURL)
		if seen == 0 {
			t.Errorf("no Network event for the report itself: the check below would see nothing")
		}
		for _, u := range requests {
			t.Errorf("request: %s", u)
		}
		for _, e := range errs {
			t.Errorf("%s", e)
		}
	})
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
