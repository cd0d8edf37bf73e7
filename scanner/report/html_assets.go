package report

import (
	"crypto/sha256"
	"encoding/base64"
)

// The page's style sheet and script are constants, inlined into every
// report and allowed by the Content-Security-Policy through their SHA-256
// hashes, so that nothing else can run or style the page: not a script an
// attacker smuggles into DNS data (html/template escapes it anyway), not an
// inline style attribute, not a request to another host.
//
// They hold no comments on purpose: html/template removes comments from
// <style> and <script> blocks, and the hash must be of the text the browser
// sees. TestHTMLPolicyHashesMatchTheBlocks checks that it is.
//
// The script works on the table only through the DOM (textContent, data-
// attributes, option values): no data is ever parsed as HTML or code.
const htmlCSS = `:root{--fg:#1b1b1b;--muted:#555;--line:#d5d8dc;--bg:#fff;--soft:#f4f6f8;--accent:#1f4e79;--track:#e9edf1;--high:#9b1c1f;--medium:#7a4f00;--low:#1d5a73;--info:#4a4a4a;--ok:#1b6e3a}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
header,main,footer{max-width:1360px;margin:0 auto;padding:0 16px}
h1{font-size:1.55rem;line-height:1.2;margin:1.1rem 0 .3rem}
h2{font-size:1.25rem;margin:1.8rem 0 .6rem;padding-bottom:.2rem;border-bottom:2px solid var(--fg)}
h3{font-size:1rem;margin:0}
h4{font-size:.9rem;margin:.9rem 0 .3rem}
a{color:var(--accent)}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.86em;background:var(--soft);padding:0 .2em;overflow-wrap:anywhere;word-break:break-word}
.meta{color:var(--muted);font-size:.85rem;margin:.2rem 0;overflow-wrap:anywhere}
nav.toc{font-size:.9rem;margin:.4rem 0 0}
.lead{font-size:1.05rem;margin:.3rem 0}
.honest{border-left:4px solid var(--accent);background:var(--soft);padding:.45rem .8rem;margin:.7rem 0}
.note{border-left:4px solid var(--medium);padding:.3rem .8rem;margin:.6rem 0}
.answer{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:8px 36px;align-items:start}
.layers,.posture{display:grid;gap:22px;align-content:start}
figure.chart{margin:0;break-inside:avoid;page-break-inside:avoid}
figcaption{margin:0 0 .35rem}
figcaption .of{color:var(--muted);font-size:.85rem}
table.bars{width:100%;border-collapse:collapse;font-size:.9rem}
table.bars th{font-weight:normal;text-align:left;padding:2px 10px 2px 0;width:30%;overflow-wrap:anywhere}
table.bars td{padding:2px 0;vertical-align:middle}
table.bars td.n{white-space:nowrap;text-align:right;padding:2px 8px 2px 0;font-variant-numeric:tabular-nums}
table.bars td.pct{white-space:nowrap;text-align:right;padding-left:8px;color:var(--muted);font-variant-numeric:tabular-nums;width:3.5em}
table.bars td.viz{width:45%}
table.bars tr.apart th,table.bars tr.apart td{border-top:1px dashed var(--line);padding-top:5px}
.viz svg{display:block;width:100%;height:14px}
.track{fill:var(--track)}
.fill{fill:var(--accent)}
.b-reject{fill:var(--ok)}
.b-quarantine{fill:#5f9e6e}
.b-none{fill:url(#p-diag)}
.b-missing{fill:url(#p-cross)}
.b-invalid{fill:url(#p-dots)}
.b-failed,.b-other{fill:url(#p-grey)}
.apart{color:var(--muted);font-size:.85rem;margin:.35rem 0 0}
table.plain{border-collapse:collapse;width:100%;font-size:.88rem}
table.plain th,table.plain td{text-align:left;vertical-align:top;padding:3px 8px 3px 0;border-bottom:1px solid var(--line)}
.sev{display:inline-block;padding:0 .35em;border:1px solid currentColor;border-radius:3px;font-size:.8rem;line-height:1.35;white-space:nowrap;margin:0 .2em .15em 0}
.sev-high{color:var(--high);font-weight:bold;border-width:2px}
.sev-medium{color:var(--medium)}
.sev-low{color:var(--low)}
.sev-info,.sev-other{color:var(--info);border-style:dotted}
.st-failed{color:var(--medium);font-weight:bold}
.st-invalid{color:var(--high);font-weight:bold}
.filters{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:end;background:var(--soft);padding:8px 10px;margin:0 0 10px;font-size:.9rem}
.filters[hidden]{display:none}
.filters label{display:flex;flex-direction:column;gap:2px}
.filters select,.filters input,.filters button{font:inherit;padding:3px 5px;max-width:16em}
.filters .selects{display:contents}
#f-count{color:var(--muted)}
.scroll{overflow-x:auto}
table.results{border-collapse:collapse;width:100%;font-size:.85rem}
table.results th,table.results td{text-align:left;vertical-align:top;padding:4px 5px;border-bottom:1px solid var(--line);overflow-wrap:break-word}
table.results thead th{border-bottom:2px solid var(--fg);vertical-align:bottom}
table.results .lbl{max-width:10em}
table.results td.lbl{overflow-wrap:anywhere}
table.results td.num{font-variant-numeric:tabular-nums;color:var(--muted)}
table.results .u{display:block;color:var(--muted);font-size:.8rem}
button.sort{font:inherit;font-weight:bold;color:inherit;background:none;border:0;padding:0;cursor:pointer;text-align:left}
button.sort::after{content:"\2009\2195";color:var(--muted);font-weight:normal;font-size:.8em}
th[aria-sort=ascending] button.sort::after{content:" \25B2";color:inherit}
th[aria-sort=descending] button.sort::after{content:" \25BC";color:inherit}
details.target{border-top:1px solid var(--line);padding:.35rem 0}
details.target>summary{cursor:pointer;padding:.15rem 0}
details.target>summary .dom{font-weight:bold;overflow-wrap:anywhere}
details.target>summary .sum{color:var(--muted)}
details.target[open]{padding-bottom:.8rem}
.body{padding:0 0 0 1.1rem}
dl.facts{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:2px 14px;margin:.4rem 0}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;overflow-wrap:anywhere}
ul.plain{margin:.2rem 0;padding-left:1.2rem}
ul.findings{list-style:none;margin:.2rem 0;padding:0}
ul.findings li{margin:.45rem 0;padding:.1rem 0 .1rem .7rem;border-left:4px solid var(--line)}
ul.findings li.sev-high{border-left-color:var(--high);font-weight:normal}
ul.findings li.sev-medium{border-left-color:var(--medium)}
ul.findings li.sev-low{border-left-color:var(--low)}
ul.findings li.sev-high,ul.findings li.sev-medium,ul.findings li.sev-low{color:inherit}
.fix{margin:.2rem 0 0}
footer{margin-top:2rem;padding-bottom:2rem}
@media (max-width:760px){
body{font-size:14px}
.answer{grid-template-columns:minmax(0,1fr)}
table.results thead{display:none}
table.results,table.results tbody,table.results tr,table.results td{display:block;width:100%}
table.results tr{border:1px solid var(--line);margin:0 0 10px;padding:4px 8px}
table.results tr[hidden]{display:none}
table.results td{border:0;padding:1px 0}
table.results .lbl{max-width:none}
table.results td::before{content:attr(data-col) ": ";color:var(--muted);display:inline-block;min-width:7.5em}
dl.facts{grid-template-columns:minmax(0,1fr)}
dl.facts dd{margin-bottom:.3rem}
}
@media print{
body{font-size:9.5pt}
header,main,footer{max-width:none;padding:0}
.filters,nav.toc{display:none}
a{color:inherit;text-decoration:none}
button.sort::after{content:none}
th[aria-sort=ascending] button.sort::after,th[aria-sort=descending] button.sort::after{content:none}
.scroll{overflow:visible}
.answer{grid-template-columns:minmax(0,3fr) minmax(0,2fr)}
table.results{font-size:8pt}
table.results tr,details.target,ul.findings li{break-inside:avoid;page-break-inside:avoid}
#details{break-before:page;page-break-before:always}
.honest,code,.filters{background:none}
}
@media print{details::details-content{content-visibility:visible;display:block}}
@page{margin:14mm}`

const htmlJS = `(function () {
"use strict";
var doc = document;
var opened = [];
window.addEventListener("beforeprint", function () {
  opened = Array.prototype.filter.call(doc.querySelectorAll("details"), function (d) { return !d.open; });
  opened.forEach(function (d) { d.open = true; });
});
window.addEventListener("afterprint", function () {
  opened.forEach(function (d) { d.open = false; });
  opened = [];
});
function openTarget() {
  var id = location.hash.slice(1);
  var d = id === "" ? null : doc.getElementById(id);
  if (d !== null && d.tagName === "DETAILS") { d.open = true; }
}
window.addEventListener("hashchange", openTarget);
openTarget();
var table = doc.getElementById("results");
var panel = doc.getElementById("filters");
if (table === null || panel === null) { return; }
var body = table.tBodies[0];
var rows = Array.prototype.slice.call(body.rows);
var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
var collator = new Intl.Collator(undefined, {numeric: true, sensitivity: "base"});
var maxOptions = 300;
function value(td) {
  var v = td.getAttribute("data-v");
  return v === null ? td.textContent.trim() : v;
}
function sortKey(td) {
  var v = td.getAttribute("data-sort");
  return v === null ? value(td) : v;
}
var filters = [];
function distinct(cols) {
  var seen = new Set();
  rows.forEach(function (tr) {
    cols.forEach(function (c) {
      var v = value(tr.cells[c]);
      if (v !== "") { seen.add(v); }
    });
  });
  return Array.from(seen).sort(collator.compare);
}
function addSelect(name, cols) {
  var values = distinct(cols);
  if (values.length === 0 || values.length > maxOptions) { return; }
  var label = doc.createElement("label");
  label.appendChild(doc.createTextNode(name));
  var sel = doc.createElement("select");
  var any = doc.createElement("option");
  any.value = "";
  any.textContent = "any";
  sel.appendChild(any);
  values.forEach(function (v) {
    var o = doc.createElement("option");
    o.value = v;
    o.textContent = v;
    sel.appendChild(o);
  });
  sel.setAttribute("data-filter", name);
  label.appendChild(sel);
  panel.querySelector(".selects").appendChild(label);
  sel.addEventListener("change", apply);
  filters.push({sel: sel, cols: cols});
}
var provCols = [];
heads.forEach(function (th, i) {
  if (th.classList.contains("f-prov")) { provCols.push(i); }
});
addSelect("Provider (MX, gateway or mailbox)", provCols);
heads.forEach(function (th, i) {
  if (th.classList.contains("f-label")) { addSelect(th.textContent.trim(), [i]); }
});
var search = doc.getElementById("f-q");
var sev = doc.getElementById("f-sev");
var count = doc.getElementById("f-count");
function apply() {
  var text = search.value.trim().toLowerCase();
  var min = sev.value;
  var shown = 0;
  rows.forEach(function (tr) {
    var worst = Number(tr.getAttribute("data-worst"));
    var found = Number(tr.getAttribute("data-findings"));
    var ok = text === "" || tr.textContent.toLowerCase().indexOf(text) !== -1;
    if (ok && min === "none") { ok = found === 0; }
    if (ok && min === "any") { ok = found > 0; }
    if (ok && min !== "" && min !== "none" && min !== "any") { ok = worst >= Number(min); }
    filters.forEach(function (f) {
      if (ok && f.sel.value !== "") {
        ok = f.cols.some(function (c) { return value(tr.cells[c]) === f.sel.value; });
      }
    });
    tr.hidden = !ok;
    if (ok) { shown++; }
  });
  count.textContent = "Showing " + shown + " of " + rows.length + " targets";
}
search.addEventListener("input", apply);
sev.addEventListener("change", apply);
doc.getElementById("f-clear").addEventListener("click", function () {
  search.value = "";
  sev.value = "";
  filters.forEach(function (f) { f.sel.value = ""; });
  apply();
});
heads.forEach(function (th, col) {
  var b = doc.createElement("button");
  b.type = "button";
  b.className = "sort";
  while (th.firstChild) { b.appendChild(th.firstChild); }
  th.appendChild(b);
  b.addEventListener("click", function () {
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
    var keyed = rows.map(function (tr) {
      return {tr: tr, k: sortKey(tr.cells[col]), n: Number(tr.getAttribute("data-n"))};
    });
    keyed.sort(function (a, b) { return dir * collator.compare(a.k, b.k) || a.n - b.n; });
    var frag = doc.createDocumentFragment();
    keyed.forEach(function (x) { frag.appendChild(x.tr); });
    body.appendChild(frag);
  });
});
panel.hidden = false;
apply();
}());`

// cspHash is the CSP source expression that allows exactly one inline block.
func cspHash(block string) string {
	h := sha256.Sum256([]byte(block))
	return "'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
}

// Content-Security-Policies of the two pages. default-src 'none' forbids
// every fetch (scripts, styles, images, fonts, frames, connections) but the
// two hashed blocks; base-uri and form-action are not covered by
// default-src and are closed too. The catalog page has no script.
var (
	reportCSP  = "default-src 'none'; style-src " + cspHash(htmlCSS) + "; script-src " + cspHash(htmlJS) + "; base-uri 'none'; form-action 'none'"
	catalogCSP = "default-src 'none'; style-src " + cspHash(htmlCSS) + "; base-uri 'none'; form-action 'none'"
)

// htmlHead is the start of a page, up to <body>. The policy is static text
// of the template (computed here, not data), so that html/template's
// special handling of <meta content> does not touch it.
func htmlHead(csp string) string {
	return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="` + csp + `">
<meta name="referrer" content="no-referrer">
<meta name="color-scheme" content="light">
<title>{{.Title}}</title>
<style>` + htmlCSS + `</style>
</head>
<body>
`
}

// htmlPatterns are the fills of the DMARC chart's bars that must not be
// told apart by colour alone: stripes (p=none), cross-hatch (missing), dots
// (invalid) and grey dots (lookup failed). Every bar also has its label.
const htmlPatterns = `<svg class="defs" width="0" height="0" aria-hidden="true" focusable="false"><defs>
<pattern id="p-diag" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#f3d27a"></rect><rect width="2.5" height="6" fill="#7a4f00"></rect></pattern>
<pattern id="p-cross" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="#f1b5b5"></rect><path d="M0 0L6 6M6 0L0 6" stroke="#9b1c1f" stroke-width="1.4"></path></pattern>
<pattern id="p-dots" width="5" height="5" patternUnits="userSpaceOnUse"><rect width="5" height="5" fill="#f1b5b5"></rect><circle cx="2.5" cy="2.5" r="1.5" fill="#9b1c1f"></circle></pattern>
<pattern id="p-grey" width="5" height="5" patternUnits="userSpaceOnUse"><rect width="5" height="5" fill="#dcdcdc"></rect><circle cx="2.5" cy="2.5" r="1.2" fill="#555"></circle></pattern>
</defs></svg>`

// reportTemplates are the report's parts, each executed alone: "begin" in
// Begin, "row" and "target" for each result (kept until End), the others
// in End. Every value they print comes through Clean first and is escaped
// by html/template for where it lands (text or a quoted attribute); none is
// ever template.HTML, and the script reads nothing but the DOM.
var reportTemplates = `{{define "head"}}` + htmlHead(reportCSP) + `{{end}}

{{define "begin"}}<header>
<h1>Where the targets' mail is received, and how it is defended</h1>
<p class="meta">Scanned {{.Started}} with {{.Tool}} {{.Version}} · resolvers: {{.Resolvers}} · provider catalog {{.Catalog}} · checks: {{.Checks}}</p>
{{with .Replay}}<p class="meta">{{.}}</p>
{{end}}<nav class="toc" aria-label="Sections"><a href="#answer">Providers and DMARC</a> · <a href="#targets">Targets</a> · <a href="#details">Per target</a></nav>
</header>
{{end}}

{{define "answer"}}<main>
<section id="answer" aria-labelledby="answer-h">
<h2 id="answer-h">Providers and DMARC</h2>
{{with .Partial}}<p class="note"><strong>{{.}}</strong></p>
{{end}}<p class="lead">{{.Targets}}.</p>
<p class="honest">{{.HonestMX}} {{.HonestSPF}}</p>
{{with .Filter}}<div class="note"><p>The table lists only the targets on {{.Providers}} (--provider); the charts count the whole scan.</p>
{{with .Lines}}<ul class="plain">{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}</div>{{end}}
` + htmlPatterns + `
<div class="answer">
<div class="layers">
{{range .Layers}}{{template "chart" .}}{{end}}
</div>
<div class="posture">
{{template "chart" .DMARC}}
{{if .Findings}}<section aria-labelledby="findings-h">
<h3 id="findings-h">Findings</h3>
<p class="apart">Resolved targets with each finding, worst first.</p>
<table class="plain"><thead><tr><th scope="col">Severity</th><th scope="col">Finding</th><th scope="col">Targets</th></tr></thead>
<tbody>
{{range .Findings}}<tr><td><span class="sev sev-{{.Class}}">{{.Severity}}</span></td><td><code>{{.ID}}</code>{{with .Title}}<br>{{.}}{{end}}</td><td>{{.Share}}</td></tr>
{{end}}</tbody></table>
</section>{{end}}
{{if .Tenants}}<section aria-labelledby="tenants-h">
<h3 id="tenants-h">Shared tenants</h3>
<p class="apart">One mail system, several targets.</p>
<ul class="plain">{{range .Tenants}}<li>{{.}}</li>{{end}}</ul>
</section>{{end}}
</div>
</div>
</section>
{{end}}

{{define "chart"}}<figure class="chart" id="chart-{{.ID}}" data-layer="{{.ID}}">
<figcaption id="chart-{{.ID}}-c"><h3>{{.Title}}</h3><span class="of">{{.Sub}}</span></figcaption>
{{if .Bars}}<table class="bars" aria-labelledby="chart-{{.ID}}-c"><tbody>
{{range .Bars}}<tr class="bar{{if .Apart}} apart{{end}}" data-id="{{.ID}}" data-count="{{.Count}}"><th scope="row">{{.Label}}</th><td class="n">{{.Count}} of {{.Of}}</td><td class="viz"><svg width="100%" height="14" aria-hidden="true" focusable="false"><rect class="track" width="100%" height="14"></rect><rect class="{{.Class}}" width="{{.Width}}" height="14"></rect></svg></td><td class="pct">{{.Pct}}</td></tr>
{{end}}</tbody></table>{{else}}<p class="apart">{{.Empty}}</p>{{end}}
{{range .Apart}}<p class="apart">{{.}}</p>
{{end}}</figure>
{{end}}

{{define "table-start"}}<section id="targets" aria-labelledby="targets-h">
<h2 id="targets-h">Targets</h2>
<p>One row per target, in the order of the targets file. Each domain links to its MX records, the evidence behind its mailbox host and every finding with its fix.</p>
<div id="filters" class="filters" role="search" aria-label="Filter the targets" hidden>
<label for="f-q">Search<input type="search" id="f-q" autocomplete="off" spellcheck="false"></label>
<label for="f-sev">Findings<select id="f-sev"><option value="">any</option><option value="4">high</option><option value="3">medium or worse</option><option value="2">low or worse</option><option value="any">any finding</option><option value="none">none</option></select></label>
<span class="selects"></span>
<button type="button" id="f-clear">Clear filters</button>
<output id="f-count" aria-live="polite"></output>
</div>
<div class="scroll"><table id="results" class="results">
<thead><tr><th scope="col">#</th><th scope="col">Domain</th>{{range .LabelKeys}}<th scope="col" class="f-label lbl">{{.}}</th>{{end}}<th scope="col">Status</th><th scope="col" class="f-prov">Provider (MX)</th><th scope="col" class="f-prov">Gateway</th><th scope="col" class="f-prov">Mailbox</th><th scope="col">Confidence</th><th scope="col">SPF</th><th scope="col">DMARC</th><th scope="col">Findings</th>{{if .ShowMatch}}<th scope="col">Match</th>{{end}}</tr></thead>
<tbody>
{{end}}

{{define "row"}}<tr data-n="{{.N}}" data-worst="{{.Worst}}" data-findings="{{len .Findings}}">
<td class="num" data-col="#" data-sort="{{.N}}">{{.N}}</td>
<td data-col="Domain" data-v="{{.Domain}}"><a href="#t-{{.N}}">{{or .Domain "-"}}</a>{{with .Unicode}}<span class="u">{{.}}</span>{{end}}</td>
{{range .Labels}}<td class="lbl" data-col="{{.Key}}" data-v="{{.Value}}">{{or .Value "-"}}</td>
{{end}}<td data-col="Status" data-v="{{.Status}}"><span class="st-{{.StatusClass}}">{{.Status}}</span></td>
<td data-col="Provider (MX)" data-v="{{.Provider}}">{{or .Provider "-"}}</td>
<td data-col="Gateway" data-v="{{.Gateway}}">{{or .Gateway "-"}}</td>
<td data-col="Mailbox" data-v="{{.Mailbox}}">{{or .Mailbox "-"}}</td>
<td data-col="Confidence" data-v="{{.Confidence}}" data-sort="{{.ConfidenceRank}}">{{or .Confidence "-"}}</td>
<td data-col="SPF" data-v="{{.SPF}}">{{.SPF}}</td>
<td data-col="DMARC" data-v="{{.DMARC}}" data-sort="{{.DMARCRank}}">{{.DMARC}}</td>
<td data-col="Findings" data-sort="{{.FindingsRank}}">{{range .Severities}}<span class="sev sev-{{.Class}}">{{.Count}} {{.Name}}</span>{{else}}-{{end}}</td>
{{if .ShowMatch}}<td data-col="Match" data-v="{{.Match}}">{{or .Match "-"}}</td>
{{end}}</tr>
{{end}}

{{define "table-end"}}</tbody></table></div>
{{if not .Rows}}<p>No targets.</p>{{end}}
</section>
<section id="details" aria-labelledby="details-h">
<h2 id="details-h">Per target</h2>
{{if not .Rows}}<p>No targets.</p>{{end}}
{{end}}

{{define "target"}}<details class="target" id="t-{{.N}}">
<summary><span class="dom">{{or .Domain "-"}}</span> <span class="sum">{{.Summary}}</span></summary>
<div class="body">
<dl class="facts">
{{with .Input}}<dt>Entry as written</dt><dd><code>{{.}}</code></dd>
{{end}}{{with .Unicode}}<dt>Unicode form</dt><dd>{{.}}</dd>
{{end}}{{range .AllLabels}}<dt>{{.Key}}</dt><dd>{{or .Value "-"}}</dd>
{{end}}<dt>Status</dt><dd><span class="st-{{.StatusClass}}">{{.Status}}</span>{{with .Error}}: {{.}}{{end}}</dd>
<dt>Mail</dt><dd>{{.Mail}}</dd>
<dt>Provider (MX)</dt><dd>{{or .Provider "-"}}</dd>
<dt>Gateway</dt><dd>{{or .Gateway "-"}}</dd>
<dt>Mailbox</dt><dd>{{or .Mailbox "-"}}{{with .Confidence}} ({{.}} confidence){{end}}</dd>
{{with .Tenant}}<dt>Tenant</dt><dd>{{.}}</dd>
{{end}}{{with .Reseller}}<dt>Reseller</dt><dd>{{.}}</dd>
{{end}}<dt>Senders (SPF)</dt><dd>{{or .Senders "-"}}</dd>
</dl>
<h4>MX records</h4>
{{if .MX}}<div class="scroll"><table class="plain mx"><thead><tr><th scope="col">Preference</th><th scope="col">Host</th><th scope="col">Provider</th><th scope="col">Addresses</th><th scope="col">Address lookup</th></tr></thead>
<tbody>
{{range .MX}}<tr><td>{{.Preference}}</td><td><code>{{.Host}}</code></td><td>{{.Provider}}</td><td>{{or .Addresses "-"}}</td><td>{{or .Status "-"}}</td></tr>
{{end}}</tbody></table></div>
{{else}}<p>None.</p>
{{end}}<h4>Evidence behind the mailbox host</h4>
{{if .Evidence}}<ul class="plain">{{range .Evidence}}<li><code>{{.}}</code></li>{{end}}</ul>
{{else}}<p>None.</p>
{{end}}<h4>Records</h4>
<dl class="facts">
{{range .Records}}<dt>{{.Name}}</dt><dd>{{.Status}}{{with .Detail}} · {{.}}{{end}}{{with .Record}}<br><code>{{.}}</code>{{end}}{{with .Error}}<br>{{.}}{{end}}{{range .Notes}}<br>Note: {{.}}{{end}}</dd>
{{end}}</dl>
<h4>Findings</h4>
{{if .Findings}}<ul class="findings">
{{range .Findings}}<li class="sev-{{.Class}}"><span class="sev sev-{{.Class}}">{{.Severity}}</span> <code>{{.ID}}</code> {{.Message}}{{with .Fix}}<p class="fix"><strong>Fix:</strong> {{.}}</p>{{end}}</li>
{{end}}</ul>
{{else}}<p>None.</p>
{{end}}</div>
</details>
{{end}}

{{define "end"}}</section>
</main>
<footer>
<p class="honest">{{.HonestMX}} {{.HonestSPF}}</p>
<p class="meta">Made with {{.Tool}} {{.Version}} from public DNS alone. The page is self-contained: it loads nothing from anywhere.</p>
</footer>
<script>` + htmlJS + `</script>
</body>
</html>
{{end}}`

// catalogTemplate is the page of `mxscope providers -f html`.
var catalogTemplate = htmlHead(catalogCSP) + `<header>
<h1>{{.Title}}</h1>
<p class="meta">{{.Count}} entries. A provider is matched on the MX host's or SPF name's label boundaries.</p>
</header>
<main>
<div class="scroll"><table class="plain">
<thead><tr>{{range .Header}}<th scope="col">{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</tbody></table></div>
</main>
</body>
</html>
`
