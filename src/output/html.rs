//! The `html` format: one self-contained page (no network request, no external script or font)
//! for a person to explore the findings in a browser.
//!
//! In: the [`Report`]. Out: an HTML document holding the findings as JSON in a
//! `<script type="application/json">` element and a small script that renders them: the summary
//! with a chart of duplicated bytes per file; the clusters, largest first, with filters (kind,
//! least size, path, text) and for each its members side by side with the representative,
//! changed words highlighted (the first [`MEMBER_TEXTS`] copies of each cluster; the next
//! [`PLACES`] are listed by place, and how many more there are); the
//! texts shared between paragraphs with every place they are in; the copied passages; and a
//! matrix of how much of each of the most overlapping files the others hold. Clusters are
//! rendered [`PAGE`] at a time, so a report of a large corpus stays responsive. Every cluster's
//! element carries `data-cluster-id`. A filter can be set from the address's fragment
//! (`#kind=near&q=Daesh`).

use std::io::{self, Write};

use serde_json::{Value, json};

use super::text::{largest_first, place, shared_groups};
use crate::report::Report;

/// Members per cluster shown side by side with the representative (the page holds their texts);
/// the others are listed by place, at most [`PLACES`] of them.
const MEMBER_TEXTS: usize = 3;
/// Further members listed by place per cluster, at most.
const PLACES: usize = 100;
/// Clusters rendered at a time.
const PAGE: usize = 100;
/// Shared texts, passages and files the page lists at most.
const LISTED: usize = 500;

/// Writes the page.
pub(super) fn write(out: &mut dyn Write, report: &Report<'_>) -> io::Result<()> {
    let data = data(report);
    // `</` would end the script element early; JSON allows `<\/`.
    let data = serde_json::to_string(&data)?.replace("</", "<\\/");
    out.write_all(PAGE_HEAD.as_bytes())?;
    write!(
        out,
        "<script type=\"application/json\" id=\"data\">{data}</script>\n<script>const PAGE = {PAGE}, \
         SIDE_BY_SIDE = {MEMBER_TEXTS};\n"
    )?;
    out.write_all(SCRIPT.as_bytes())?;
    out.write_all(b"</script>\n</body>\n</html>\n")
}

/// What the page shows, as JSON.
fn data(report: &Report<'_>) -> Value {
    let all = &report.clusters;
    let order = largest_first(all, |c| c.size);
    // The texts of the members shown side by side, read again together, in path order.
    let clusters: Vec<_> = order.iter().map(|&i| all.get(i)).collect();
    let mut ids: Vec<u32> = clusters
        .iter()
        .flat_map(|c| {
            c.members
                .iter()
                .take(MEMBER_TEXTS + 1)
                .map(|m| m.paragraph_id)
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let texts = report.texts.read(&ids);
    let text_of = |id: u32| ids.binary_search(&id).ok().and_then(|i| texts[i].clone());
    let clusters: Vec<Value> = clusters
        .into_iter()
        .map(|c| {
            let members: Vec<Value> = c
                .members
                .iter()
                .take(1 + MEMBER_TEXTS + PLACES)
                .enumerate()
                .map(|(i, m)| {
                    let mut member = json!({"place": place(m), "similarity": m.similarity});
                    if (1..=MEMBER_TEXTS).contains(&i) {
                        member["text"] = json!(text_of(m.paragraph_id));
                    }
                    member
                })
                .collect();
            json!({"id": c.id.to_string(), "kind": c.kind, "size": c.size, "words": c.words,
                   "text": c.text, "members": members})
        })
        .collect();
    let (shared, _) = shared_groups(report, LISTED);
    let shared: Vec<Value> = shared
        .iter()
        .map(|g| json!({"text": g.text, "words": g.words, "places": g.places}))
        .collect();
    let passages: Vec<Value> = largest_first(&report.passages, |p| p.paragraphs)
        .into_iter()
        .take(LISTED)
        .map(|i| {
            let p = report.passages.get(i);
            json!({"paragraphs": p.paragraphs, "a": place(&p.a), "a_end": p.a.end_line,
                   "b": place(&p.b), "b_end": p.b.end_line})
        })
        .collect();
    let (files, _) = report.most_duplicated_files(LISTED);
    let files: Vec<Value> = files
        .iter()
        .map(|f| {
            let overlaps: Vec<Value> = f
                .overlaps
                .iter()
                .map(|o| json!({"path": o.path, "containment": o.containment}))
                .collect();
            json!({"path": f.path, "bytes": f.bytes, "duplicate_bytes": f.duplicate_bytes,
                   "duplicate_ratio": f.duplicate_ratio, "overlaps": overlaps})
        })
        .collect();
    json!({
        "summary": report.summary,
        "clusters": clusters,
        "partial_matches": report.partial_matches.len(),
        "shared": shared,
        "passages": passages,
        "passages_total": report.passages.len(),
        "files": files,
        "errors": report.errors.len(),
        "warnings": report.warnings.len(),
    })
}

const PAGE_HEAD: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dedup report</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 2em 4em; color: #1d1d1f; }
h1 { font-size: 1.5em; margin: .8em 0 .2em; } h2 { font-size: 1.2em; margin: 1.6em 0 .4em; }
.summary { color: #444; } .muted { color: #777; }
.filters { position: sticky; top: 0; background: #fff; padding: .5em 0; border-bottom: 1px solid #ddd; z-index: 1; }
.filters input, .filters select { margin-right: 1em; font: inherit; }
.cluster { border: 1px solid #ddd; border-radius: 6px; margin: .8em 0; padding: .5em .8em; }
.cluster header { font-weight: 600; } .kind-exact { color: #087990; } .kind-near { color: #a15c00; } .kind-template { color: #8a2be2; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; margin: .4em 0; border-top: 1px dashed #eee; padding-top: .4em; }
.place { font: 12px ui-monospace, monospace; color: #555; }
del { background: #ffd7d5; color: #82071e; } ins { background: #d2f8d2; color: #116329; text-decoration: none; }
mark { background: #fff3a3; }
table { border-collapse: collapse; } td, th { padding: 2px 8px; border-bottom: 1px solid #eee; text-align: left; }
.bar { fill: #4a7bd0; } .heat td { width: 2.2em; height: 1.6em; text-align: center; font-size: 11px; }
button { font: inherit; margin: .5em 0; }
</style>
</head>
<body>
<pre id="errors" hidden></pre>
<h1>dedup report</h1>
<p class="summary" id="summary"></p>
<svg id="chart" width="900" height="10" role="img" aria-label="duplicated bytes per file"></svg>
<h2>Clusters</h2>
<div class="filters">
<label>kind <select id="f-kind"><option value="">any</option><option>exact</option><option>near</option><option>template</option></select></label>
<label>size at least <input id="f-size" type="number" min="1" value="1" style="width:5em"></label>
<label>path <input id="f-path" type="search" placeholder="part of a path"></label>
<label>text <input id="f-q" type="search" placeholder="words"></label>
<span id="f-count" class="muted"></span>
</div>
<div id="clusters"></div>
<button id="more" hidden>show more clusters</button>
<h2>Shared text</h2>
<div id="shared"></div>
<h2>Copied passages</h2>
<div id="passages"></div>
<h2>Files that hold each other's paragraphs</h2>
<div id="overlaps"></div>
"#;

const SCRIPT: &str = r#"window.addEventListener('error', e => {
  const box = document.getElementById('errors');
  box.hidden = false; box.textContent += 'error: ' + e.message + '\n';
});
const data = JSON.parse(document.getElementById('data').textContent);
const $ = id => document.getElementById(id);
const el = (tag, attrs, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
};
const s = data.summary;
$('summary').textContent = `${s.files} files, ${s.paragraphs} paragraphs, ${s.bytes} bytes: ` +
  `${s.clusters} clusters (${s.exact_clusters} exact, ${s.near_clusters} near, ${s.template_clusters} template), ` +
  `${s.duplicate_paragraphs} redundant copies, ${(100 * s.duplicate_ratio).toFixed(1)}% of paragraph bytes duplicated; ` +
  `${data.partial_matches} partial matches, ${data.passages_total} copied passages` +
  (data.errors ? `; ${data.errors} errors` : '') + (data.warnings ? `; ${data.warnings} warnings` : '') + '.';

// Duplicated bytes per file, the 30 files with most.
(function chart() {
  const files = data.files.slice(0, 30), svg = $('chart'), ns = 'http://www.w3.org/2000/svg';
  const most = Math.max(1, ...files.map(f => f.duplicate_bytes)), row = 18;
  svg.setAttribute('height', files.length * row + 4);
  files.forEach((f, i) => {
    const w = Math.max(1, 420 * f.duplicate_bytes / most);
    const bar = document.createElementNS(ns, 'rect');
    Object.entries({x: 0, y: i * row + 2, width: w, height: row - 5, class: 'bar'}).forEach(([k, v]) => bar.setAttribute(k, v));
    const label = document.createElementNS(ns, 'text');
    Object.entries({x: w + 6, y: i * row + 13, 'font-size': 11}).forEach(([k, v]) => label.setAttribute(k, v));
    label.textContent = `${f.path}  ${f.duplicate_bytes} bytes (${(100 * f.duplicate_ratio).toFixed(1)}%)`;
    bar.append(Object.assign(document.createElementNS(ns, 'title'), {textContent: f.path}));
    svg.append(bar, label);
  });
})();

// Word diff: the words of b, those not in a inserted and a's words not in b deleted.
function diff(a, b) {
  const x = a.split(/\s+/).filter(Boolean), y = b.split(/\s+/).filter(Boolean);
  const out = el('span');
  if (x.length * y.length > 250000) { out.textContent = b; return out; }
  const m = y.length + 1, lcs = new Uint32Array((x.length + 1) * m);
  for (let i = x.length - 1; i >= 0; i--) for (let j = y.length - 1; j >= 0; j--)
    lcs[i * m + j] = x[i] === y[j] ? lcs[(i + 1) * m + j + 1] + 1 : Math.max(lcs[(i + 1) * m + j], lcs[i * m + j + 1]);
  let i = 0, j = 0;
  const put = (tag, word) => { out.append(tag ? el(tag, {}, word) : word, ' '); };
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) { put(null, x[i]); i++; j++; }
    else if (i < x.length && (j === y.length || lcs[(i + 1) * m + j] >= lcs[i * m + j + 1])) { put('del', x[i]); i++; }
    else { put('ins', y[j]); j++; }
  }
  return out;
}

function clusterElement(c) {
  const lowest = Math.min(...c.members.slice(1).map(m => m.similarity ?? 1));
  const node = el('section', {class: 'cluster', 'data-cluster-id': c.id},
    el('header', {}, el('span', {class: 'kind-' + c.kind}, c.kind), ` ×${c.size}, ${c.words} words` +
      (c.kind !== 'exact' ? `, similarity ${lowest.toFixed(2)}–1.00` : '') + ' ', el('span', {class: 'muted'}, c.id)));
  const rep = c.members[0];
  node.append(el('div', {class: 'member representative'}, el('div', {class: 'place'}, rep.place + ' (representative)'),
    el('div', {}, c.text)));
  c.members.slice(1, 1 + SIDE_BY_SIDE).forEach(m => {
    const text = m.text == null ? el('span', {class: 'muted'}, '(cannot be read again)')
      : (m.text === c.text ? el('span', {class: 'muted'}, '(the same bytes)') : diff(c.text, m.text));
    node.append(el('div', {class: 'pair member'},
      el('div', {}, el('div', {class: 'place'}, rep.place), el('div', {}, c.text)),
      el('div', {}, el('div', {class: 'place'}, m.place + (m.similarity != null ? `  ${m.similarity.toFixed(2)}` : '')), text)));
  });
  const rest = c.members.slice(1 + SIDE_BY_SIDE);
  if (rest.length) {
    node.append(el('ul', {class: 'place'}, ...rest.map(m => el('li', {class: 'member more'},
      m.place + (m.similarity != null ? `  ${m.similarity.toFixed(2)}` : '')))));
    if (c.size > c.members.length) node.append(el('p', {class: 'muted'}, `and ${c.size - c.members.length} more copies: the JSON report lists them all`));
  }
  return node;
}

let shown = 0, matching = [];
function applyFilters() {
  const kind = $('f-kind').value, size = +$('f-size').value || 1;
  const path = $('f-path').value.toLowerCase(), q = $('f-q').value.toLowerCase();
  matching = data.clusters.filter(c => (!kind || c.kind === kind) && c.size >= size &&
    (!path || c.members.some(m => m.place.toLowerCase().includes(path))) &&
    (!q || c.text.toLowerCase().includes(q)));
  $('clusters').replaceChildren();
  shown = 0;
  more();
}
function more() {
  const page = matching.slice(shown, shown + PAGE);
  $('clusters').append(...page.map(clusterElement));
  shown += page.length;
  $('more').hidden = shown >= matching.length;
  $('f-count').textContent = `${matching.length} of ${data.clusters.length} clusters, ${shown} shown`;
}
$('more').addEventListener('click', more);
for (const id of ['f-kind', 'f-size', 'f-path', 'f-q']) $(id).addEventListener('input', applyFilters);
// A filter from the address: #kind=near&size=3&path=002&q=Daesh
for (const [k, v] of new URLSearchParams(location.hash.slice(1))) { const f = $('f-' + k); if (f) f.value = v; }
applyFilters();

data.shared.forEach(g => {
  $('shared').append(el('div', {class: 'shared'}, el('div', {}, el('mark', {}, g.text)),
    el('div', {class: 'place'}, `${g.words} words in ${g.places.length} places: ` + g.places.join(', '))));
});
if (!data.shared.length) $('shared').append(el('p', {class: 'muted'}, 'none'));
const rows = data.passages.map(p => el('tr', {class: 'passage'}, el('td', {}, String(p.paragraphs)),
  el('td', {class: 'place'}, `${p.a}–${p.a_end}`), el('td', {class: 'place'}, `${p.b}–${p.b_end}`)));
$('passages').append(rows.length ? el('table', {}, el('tr', {}, el('th', {}, 'paragraphs'), el('th', {}, 'from'), el('th', {}, 'to')), ...rows)
  : el('p', {class: 'muted'}, 'none'));

// The most overlapping files: cell (row, column) is the share of the row file's paragraph bytes
// that the column file holds.
(function heatmap() {
  const files = data.files.filter(f => f.overlaps.length).slice(0, 15);
  if (!files.length) { $('overlaps').append(el('p', {class: 'muted'}, 'none')); return; }
  const names = files.map(f => f.path);
  const head = el('tr', {}, el('th', {}, ''), ...names.map((n, i) => el('th', {title: n}, String(i + 1))));
  const body = files.map((f, i) => el('tr', {}, el('th', {class: 'place', title: f.path}, `${i + 1}. ${f.path}`),
    ...names.map(n => {
      const o = f.overlaps.find(o => o.path === n), v = o ? o.containment : 0;
      return el('td', {style: `background: rgba(74,123,208,${v.toFixed(2)})`, title: o ? `${(100 * v).toFixed(0)}% of ${f.path} is in ${n}` : ''},
        o ? (100 * v).toFixed(0) : '');
    })));
  $('overlaps').append(el('table', {class: 'heat'}, head, ...body));
})();
"#;
