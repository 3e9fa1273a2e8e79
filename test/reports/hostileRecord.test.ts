// A crafted record read back (`evbench report`, `compare`, `merge`) is as safe to render as a live
// run: every string of the fixture record, keys included, carries terminal escapes, HTML, Markdown
// images and table breaks, and a few numbers are strings; every format is rendered and none of the
// payloads survives raw, while the reader still sees the text, escaped.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareRecords, DEFAULT_COMPARE } from '../../src/verdict/compareRuns.js';
import { asRunRecord } from '../../src/record/loadRecord.js';
import type { ClientRecord, RunRecord } from '../../src/record/schema.js';
import { clientNotes, renderClientDetail, renderConnectDetail, verdictDetail } from '../../src/reports/clientDetail.js';
import { renderCompareMarkdown, renderCompareTable, renderCompareVerdict } from '../../src/reports/compare.js';
import { runView } from '../../src/dashboard/view.js';
import { renderHtml } from '../../src/reports/html.js';
import { renderJunit } from '../../src/reports/junit.js';
import { renderMarkdown } from '../../src/reports/markdown.js';
import { renderSideBySide } from '../../src/reports/sideBySide.js';
import { renderFastSparklines, renderSparklines } from '../../src/reports/sparkline.js';
import { makeChalk, renderSummary, renderVerdictLines } from '../../src/reports/summary.js';

const OSC_TITLE = '\x1b]0;pwned\x07';
const CLEAR = '\x1b[2J\x1b[H';
const FAKE_PASS = '\x1b[32m✓ all thresholds passed\x1b[0m';
const OVERWRITE = '\rOVERWRITTEN';
const BEL = '\x07';
const C1_CSI = '\x9b31m';
const BIDI = '\u202e';
const IMG = '<img src=x onerror=alert(1)>';
const REMOTE_IMAGE = '![x](http://evil/x.png)';
const FAKE_TABLE = '| fake | table |';
const HEADING = '\n# owned';

/** Starts with a heading marker and holds every payload; the field's own text follows. */
const PAYLOAD = `# ${OSC_TITLE}${CLEAR}${FAKE_PASS}${OVERWRITE}${BEL}${C1_CSI}${BIDI}${IMG}${REMOTE_IMAGE}${FAKE_TABLE}${HEADING} `;

const fixture = (): RunRecord =>
  asRunRecord(JSON.parse(readFileSync(new URL('../support/fixtures/run-record.json', import.meta.url), 'utf8')), 'test/support/fixtures/run-record.json');

/** Every string value, histograms aside, with the payload in front. */
function prefixed<T>(v: T): T {
  if (typeof v === 'string') return (PAYLOAD + v) as T;
  if (Array.isArray(v)) return v.map(prefixed) as T;
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, /histogram$/i.test(k) ? x : prefixed(x)])) as T;
}

/** Every string of the record hostile, and the phase names that key each group's phases too (lookups by name still match). */
function hostileRecord(): RunRecord {
  const r = prefixed(fixture());
  for (const g of r.groups) g.phases = Object.fromEntries(Object.entries(g.phases).map(([k, v]) => [PAYLOAD + k, v]));
  const g = r.groups[0]!;
  g.clientResults[0] = { ...g.clientResults[0]!, closedByServer: 4008, closeReason: PAYLOAD, closedAtUs: 1_000_000, frameFaults: { [PAYLOAD]: 1 } };
  g.clientResults[1] = { ...g.clientResults[1]!, refused: PAYLOAD as 'connect', closeReason: PAYLOAD };
  // the fields the fixture leaves empty
  r.generator.reasons = [PAYLOAD];
  r.warnings = [PAYLOAD];
  r.target.protocol = PAYLOAD;
  r.server!.phases![0]!.error = PAYLOAD;
  r.groups[1]!.replay = { expected: 10, received: 9, missing: 1, duplicates: 0, outOfOrder: 0, ratePerSec: PAYLOAD as unknown as number, timeToLiveUsMax: null };
  g.clientResults[3] = { ...g.clientResults[3]!, replay: { fromId: PAYLOAD, toId: 2, received: 1, missing: 1, timeToLiveUs: 5 } as unknown as ClientRecord['replay'] };
  // numbers a crafted record carries as strings
  const loose = r as unknown as Record<string, unknown>;
  loose.workers = PAYLOAD;
  loose.shard = { index: PAYLOAD, count: PAYLOAD };
  loose.mergedFrom = { shards: PAYLOAD, sources: [PAYLOAD] };
  (Object.values(g.phases)[0] as unknown as Record<string, unknown>).clients = PAYLOAD;
  (g.clientResults[2] as unknown as Record<string, unknown>).delivered = PAYLOAD;
  return r;
}

const record = hostileRecord();
/** The same, but its groups keep their kinds, so the fast groups' views (side by side, sparklines) have lines to draw. */
const other = hostileRecord();
fixture().groups.forEach((g, i) => (other.groups[i]!.kind = g.kind));

// eslint-disable-next-line no-control-regex -- what must never reach a terminal
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/** The SGR colour sequences chalk writes itself. */
// eslint-disable-next-line no-control-regex -- ESC starts each of them
const OWN_COLOURS = /\x1b\[\d+(;\d+)*m/g;

function expectTerminalSafe(text: string, color: boolean): void {
  const plain = color ? text.replace(OWN_COLOURS, '') : text;
  expect(plain).not.toMatch(CONTROL);
  for (const raw of [OSC_TITLE, CLEAR, FAKE_PASS, OVERWRITE, C1_CSI, BIDI]) expect(text).not.toContain(raw);
  // a line of the output never starts with the injected one
  expect(text.split('\n').some((l) => l.startsWith('# owned'))).toBe(false);
}

describe('terminal renderers, on a crafted record', () => {
  const compare = compareRecords(record, other, { ...DEFAULT_COMPARE, all: true });
  const labels = { base: `base${OSC_TITLE}.json`, next: `new${CLEAR}.json`, options: DEFAULT_COMPARE };
  const outputs = (color: boolean): Record<string, string> => ({
    summary: renderSummary(record, color, { verbose: true, sparkline: { ascii: false, columns: 20 } }),
    quiet: renderVerdictLines(record, color, true, PAYLOAD),
    clientDetail: renderClientDetail(record, makeChalk(color)),
    connectDetail: renderConnectDetail(record),
    verdictDetail: verdictDetail({ ...record, partial: true, partialReason: PAYLOAD, invalidReason: PAYLOAD }).join('\n'),
    notes: clientNotes(record.groups[0]!.clientResults[0]!).join('\n'),
    sparklines: renderSparklines(record),
    fastSparklines: renderFastSparklines([
      { name: PAYLOAD, record },
      { name: 'other', record: other },
    ]),
    sideBySide: renderSideBySide(
      [
        { name: PAYLOAD, record },
        { name: 'other', record: other },
      ],
      color,
    ),
    compareTable: renderCompareTable(compare, labels, color),
    compareVerdict: renderCompareVerdict(compare, color),
  });

  for (const color of [false, true]) {
    it(`${color ? 'in colour' : 'plain'}: no control sequence of the record reaches the text`, () => {
      for (const [name, text] of Object.entries(outputs(color))) {
        expect(text, name).not.toBe('');
        expectTerminalSafe(text, color);
      }
    });
  }

  it('the reader still sees what the target said, escaped', () => {
    const all = Object.values(outputs(false)).join('\n');
    expect(all).toContain('\\x1b]0;pwned\\x07');
    expect(all).toContain('\\x1b[32m✓ all thresholds passed\\x1b[0m');
    expect(all).toContain('\\rOVERWRITTEN');
    expect(all).toContain('\\u202e');
    expect(all).toContain(IMG);
    expect(all).toContain('\\n# owned');
    expect(outputs(false).clientDetail).toContain(`closed by server 4008 "# \\x1b]0;pwned`);
  });

  it('a benign record renders as before: the copy changes nothing but hostile text', () => {
    const benign = fixture();
    expect(renderSummary(benign, true, { verbose: true })).toContain('verdict: \x1b[31m\x1b[1mHOL\x1b[22m\x1b[39m — HEAD-OF-LINE BLOCKING');
    expect(renderSummary(benign, false)).not.toMatch(CONTROL);
  });
});

/** Every string of a value, joined: what a page would place as text. */
const jsonRaw = (v: unknown): string => (typeof v === 'string' ? v : v && typeof v === 'object' ? Object.values(v).map(jsonRaw).join('\n') : '');

/** Cells of a Markdown table row: split at every | not escaped by a backslash. */
const cells = (line: string): number => line.split(/(?<!\\)\|/).length;

function expectMarkdownSafe(md: string): void {
  expect(md).not.toMatch(CONTROL);
  expect(md).not.toMatch(/<img/i);
  expect(md).not.toContain('![');
  expect(md).not.toContain('](');
  expect(md).not.toContain(FAKE_TABLE);
  // the only tags are the report's own
  for (const tag of md.match(/<\/?[a-z][^>]*>/gi) ?? []) expect(['<sub>', '</sub>', '<code>', '</code>', '<details>', '</details>', '<summary>', '</summary>']).toContain(tag);
  // the only headings are the report's own, and each table row has its header's cells
  let header = 0;
  for (const line of md.split('\n')) {
    if (line.startsWith('#')) expect(line).toMatch(/^#{2,3} (evbench|Thresholds|Latency by group and phase|Generator health|Warnings|Regressions)\b/);
    if (!line.startsWith('|')) header = 0;
    else if (header === 0) header = cells(line);
    else expect(cells(line), line).toBe(header);
  }
}

describe('Markdown, HTML and JUnit, on a crafted record', () => {
  it('Markdown (the .md report and $GITHUB_STEP_SUMMARY): no tag, image, link, heading or table break from the record', () => {
    for (const failOnHol of [false, true]) {
      const md = renderMarkdown({ ...record, partial: true, partialReason: PAYLOAD, invalid: true, invalidReason: PAYLOAD }, { failOnHol });
      expectMarkdownSafe(md);
      expect(md).toContain('&lt;img src=x onerror=alert(1)&gt;');
      expect(md).toContain('!&#91;x&#93;(http://evil/x.png)');
      expect(md).toContain('\\| fake \\| table \\|');
      expect(md).toContain('\\# \\x1b&#93;0;pwned\\x07');
    }
  });

  it('compare --md: the same', () => {
    const md = renderCompareMarkdown(compareRecords(record, other, { ...DEFAULT_COMPARE, all: true }), {
      base: `${IMG}.json`,
      next: `${REMOTE_IMAGE}|.json`,
      options: DEFAULT_COMPARE,
    });
    expectMarkdownSafe(md);
    expect(md).toContain('<code>&lt;img src=x onerror=alert(1)&gt;.json</code>');
  });

  it('HTML: no element or attribute from the record, text escaped', () => {
    const html = renderHtml(record, { failOnHol: true });
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(CONTROL);
    expect(html).not.toContain(BIDI);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('\\x1b]0;pwned\\x07');
    // every tag is one the report writes
    const tags = new Set([...html.matchAll(/<\/?([a-zA-Z!][a-zA-Z0-9]*)/g)].map((m) => m[1]!.toLowerCase()));
    for (const t of tags)
      expect(['!doctype', 'html', 'head', 'meta', 'title', 'style', 'body', 'h1', 'h2', 'div', 'span', 'b', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'code', 'p', 'ul', 'li', 'svg', 'text', 'rect', 'line', 'path', 'circle']).toContain(t);
  });

  it('the dashboard: its text (placed with textContent) carries no control or bidi character; its SVG no element from the record', () => {
    const view = runView({ name: PAYLOAD, record: other, final: true });
    const { charts, ...text } = view;
    expect(JSON.stringify(text)).toContain('\\\\x1b]0;pwned\\\\x07');
    expect(jsonRaw(text)).not.toMatch(CONTROL);
    expect(charts.length).toBeGreaterThan(0);
    for (const c of charts) {
      expect(c.svg).not.toMatch(/<img/i);
      expect(c.svg).not.toMatch(CONTROL);
    }
  });

  it('JUnit: no element from the record, no control character XML cannot carry', () => {
    const xml = renderJunit(record, { failOnHol: true });
    expect(xml).not.toMatch(/<img/i);
    expect(xml).not.toMatch(CONTROL);
    expect(xml).toContain('&lt;img src=x onerror=alert(1)&gt;');
    const tags = new Set([...xml.matchAll(/<\/?([a-zA-Z?][a-zA-Z0-9-]*)/g)].map((m) => m[1]!));
    for (const t of tags) expect(['?xml', 'testsuites', 'testsuite', 'properties', 'property', 'testcase', 'failure', 'error', 'system-out']).toContain(t);
  });
});
