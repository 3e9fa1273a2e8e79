// The dashboard's one page: self-contained (inline CSS and script, no network but its own
// /events stream). The script only places what the server sends: text through textContent, and
// the charts' SVG as the report's chart code drew it.
import { CSS } from '../reports/html.js';
import { escapeHtml as esc } from '../util/untrusted.js';

const PAGE_CSS = `
.runs{display:flex;flex-direction:column;gap:18px}.run{border:1px solid #ddd;border-radius:6px;padding:10px 14px}
.run h2{margin:4px 0 6px;border:0}.badge{font-size:12px;padding:1px 6px;border-radius:4px;background:#eee;margin-left:6px}
.badge.live{background:#fde8e8;color:#c62828}.badge.final{background:#e8f6e8;color:#1a7f37}
.v-forming{background:#f4f4f4;border:1px solid #ccc}.v-warn{background:#fff6dc;border:1px solid #dc9}.v-bad{background:#fde8e8;border:1px solid #e99}.v-ok{background:#e8f6e8;border:1px solid #9c9}
#status{color:#666;font-size:12px}
`;

// runs in the browser: placed verbatim in a <script> element
const SCRIPT = String.raw`
const $ = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
};
const fmtUs = (us) => {
  if (us === null || us === undefined || !isFinite(us)) return '–';
  if (us >= 1e6) return (us / 1e6).toFixed(2) + 's';
  if (us >= 1e3) return (us / 1e3).toFixed(1) + 'ms';
  return Math.round(us) + 'µs';
};
const num = (v) => (v === null || v === undefined ? '–' : String(v));
const cell = (metric, text, value) => $('td', { class: 'num', 'data-metric': metric, 'data-value': value ?? '' }, text);

function groupTable(run) {
  const head = ['group', 'clients', 'p50 last s', 'p99 last s', 'p99 this phase', 'delivered/s per client', 'missing', 'longest stall', 'closed 4008', 'other closes', 'gaps', 'still stalled', 'refused'];
  const t = $('table', { class: 'groups' }, $('thead', {}, $('tr', {}, ...head.map((h) => $('th', {}, h)))));
  const body = $('tbody');
  for (const g of run.groups) {
    const f = g.fate;
    body.append(
      $('tr', { 'data-group': g.name },
        $('td', {}, g.name + ' ', $('span', { class: 'meta' }, g.kind)),
        cell('clients', num(g.clients), g.clients),
        cell('p50', fmtUs(g.p50Us), g.p50Us),
        cell('p99', fmtUs(g.p99Us), g.p99Us),
        cell('phase-p99', g.phase ? fmtUs(g.phaseP99Us) + ' (' + g.phase + ')' : '–', g.phaseP99Us),
        cell('delivered', num(g.deliveredPerSec), g.deliveredPerSec),
        cell('missing', num(g.missing), g.missing),
        cell('stall', fmtUs(g.longestStallUs), g.longestStallUs),
        cell('closed-slow', num(f.closedSlow), f.closedSlow),
        cell('closed-other', f.closedOther ? f.closedOther + ' (' + f.detail + ')' : '0', f.closedOther),
        cell('gaps', num(f.gaps), f.gaps),
        cell('stalled', f.stalled === null ? '–' : f.open === null ? f.stalled + ' (at the end)' : f.stalled + ' of ' + f.open + ' open', f.stalled),
        cell('refused', num(f.refused), f.refused),
      ),
    );
  }
  t.append(body);
  const note = $('p', { class: 'meta' }, run.final
    ? 'The final record: latency counts missing events at their lower bound; "still stalled" counts clients never closed that missed events.'
    : 'Events still owed count at their age so far, a lower bound (so the newest second always looks young): the phase p99 and the longest stall show a stall as it grows. "Still stalled": connected clients whose oldest owed event is at least 1 s old.');
  return $('div', {}, t, note);
}

function rows(header, list, row) {
  const t = $('table', {}, $('thead', {}, $('tr', {}, ...header.map((h) => $('th', {}, h)))));
  const body = $('tbody');
  for (const x of list) body.append($('tr', {}, ...row(x).map((c) => (c instanceof Node ? $('td', {}, c) : $('td', {}, c)))));
  t.append(body);
  return t;
}

function renderRun(run) {
  const s = $('section', { class: 'run', 'data-run': run.name, 'data-final': run.final });
  s.append(
    $('h2', {}, run.name, $('span', { class: 'badge ' + (run.final ? 'final' : 'live') }, run.final ? 'final record' : 'live'),
      $('span', { class: 'meta', 'data-metric': 'phase' }, '  ' + run.phase + ' · ' + run.elapsedS + 's of ' + run.totalS + 's')),
  );
  const v = run.verdict;
  s.append($('div', { class: 'verdict v-' + (v.forming ? 'forming' : v.tone), 'data-verdict': v.forming ? 'forming' : v.verdict, 'data-final': run.final },
    $('b', {}, 'Verdict' + (run.final ? '' : ' so far') + ': ' + v.label), ' — ' + v.summary));
  for (const w of run.warnings) s.append($('div', { class: 'warn' }, '⚠ ' + w));
  if (run.stale) s.append($('div', { class: 'warn', 'data-metric': 'stale' }, '⧗ figures as of ' + run.asOfS + 's of the run: no page watched for a while, so the runner paused its live records; fresh ones arrive within 3s'));
  if (run.evidence.length) s.append(rows(['', 'HOL rule', 'measured', 'bound'], run.evidence, (e) => [e.triggered ? '✗' : e.informational ? '·' : e.judged === false ? '–' : '✓', e.rule, e.measured, e.bound]));
  if (run.groups.length) s.append(groupTable(run));
  if (run.checks.length) s.append(rows(['', 'threshold', 'measured', 'bound'], run.checks, (c) => [!c.judged ? '–' : c.passed ? '✓' : '✗', c.name, c.measured, c.bound]));
  const charts = $('div', { class: 'charts' });
  for (const c of run.charts) {
    const box = $('div', { 'data-chart': c.id });
    box.innerHTML = c.svg; // drawn by the report's SVG code on the server, its text escaped there
    charts.append(box);
  }
  s.append(charts);
  const gen = run.generator;
  if (gen) {
    s.append($('p', { 'data-metric': 'generator', 'data-bound': gen.bound },
      $('b', { class: gen.bound ? 'bad' : 'ok' }, 'Generator ' + (gen.bound ? 'BOUND' : 'ok')),
      ' — worst thread busy ' + Math.round(gen.eventLoopUtilization * 100) + '%, event-loop delay p99 ' + fmtUs(gen.eventLoopDelayP99Us) +
        ', CPU ' + gen.cpuPercent + '% of one core' + (gen.publisherLatenessP99Us === null ? '' : ', publisher lateness p99 ' + fmtUs(gen.publisherLatenessP99Us)) +
        (gen.reasons.length ? ' (' + gen.reasons.join('; ') + ')' : '')));
  }
  if (run.server) {
    const sv = run.server;
    s.append($('p', { 'data-metric': 'server-slow-closes', 'data-value': sv.slowClientCloses ?? '' },
      $('b', {}, 'The server says'), ' (its /metrics' +
        (sv.olderByS === null ? '' : ', read at least ' + sv.olderByS + 's before the clients\' figures above, so not compared with them until the final record') +
        '): closed ' + num(sv.slowClientCloses) + ' client(s) as slow' +
        (sv.oldestInFlightUs ? '; its oldest send in flight was ' + fmtUs(sv.oldestInFlightUs) + ' old' : '') +
        '. A stalled reader does not read the close frame, so the table counts only the closes the clients saw.'));
    for (const line of sv.sentences) s.append($('p', { class: 'meta' }, line));
  }
  if (run.serverProcess) s.append($('p', { class: 'meta', 'data-metric': 'server-process' }, run.serverProcess));
  if (run.liveCostUs !== null) s.append($('p', { class: 'meta', 'data-metric': 'live-cost', 'data-value': run.liveCostUs }, 'This live view has cost the runner ' + fmtUs(run.liveCostUs) + ' of CPU so far (worker snapshots and provisional records).'));
  return s;
}

const status = document.getElementById('status');
const root = document.getElementById('runs');
const events = new EventSource('events');
events.addEventListener('view', (m) => {
  const view = JSON.parse(m.data);
  root.replaceChildren(...view.runs.map(renderRun));
  document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
  document.body.dataset.done = String(view.done);
  status.textContent = (view.done ? 'all runs finished: showing the final records' : 'live, updated ' + new Date().toLocaleTimeString()) +
    ' · drawing and sending this page has cost evbench ' + fmtUs(view.drawUs) + ' of CPU';
});
events.onerror = () => {
  if (events.readyState === EventSource.CLOSED || document.body.dataset.done === 'true') {
    status.textContent = 'evbench has stopped serving: the page shows the last view it sent';
    events.close();
  }
};
`;

export function dashboardPage(title: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>evbench dashboard: ${esc(title)}</title>
<style>${CSS}${PAGE_CSS}</style>
</head>
<body>
<h1>evbench: ${esc(title)}</h1>
<div id="status">connecting…</div>
<div id="runs" class="runs"></div>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
