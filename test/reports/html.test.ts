// The HTML report is one self-contained file (no script, nothing fetched) whose SVG charts a real
// browser draws: opened in Debian's headless Chromium (driven by playwright-core), its charts
// counted, its numbers compared with the record's, and rendered to a PNG.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inflateSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asRunRecord } from '../../src/record/loadRecord.js';
import type { RunRecord } from '../../src/record/schema.js';
import { renderHtml } from '../../src/reports/html.js';
import { formatUs } from '../../src/util/units.js';
// @ts-expect-error: a plain .mjs script, shared with `npm run screenshot`
import { findChromium, launchChromium } from '../../scripts/screenshot.mjs';
import { tempDir } from '../support/tempDir.js';

const record = asRunRecord(JSON.parse(readFileSync(new URL('../support/fixtures/run-record.json', import.meta.url), 'utf8')), 'run-record.json');
const html = renderHtml(record);

describe('HTML report', () => {
  it('is self-contained: no script, no external resource, inline SVG charts', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link\b|@import|url\(|src=/i);
    // the only URL is the SVG namespace, which is a name, not a fetch
    expect(html.match(/https?:\/\/[^\s"')]+/g)!.every((u) => u === 'http://www.w3.org/2000/svg')).toBe(true);
    expect(html.match(/<svg /g)!.length).toBe(2 + 2 + 1); // spectrum and over-time per group, delivery rate
    expect(html).toContain('fast: latency by percentile');
    expect(html).toContain('fast: latency and oldest owed event over time');
    expect(html).toContain('events delivered per second, per client');
    expect(html).toMatch(/<rect [^>]*fill="#fbe3e3"><title>stress<\/title>/); // the stress phase band
    // what a reader needs first comes first: verdict, evidence, the per-group table; the charts after
    const at = (text: string): number => html.indexOf(text);
    expect(at('Verdict: ')).toBeLessThan(at('HOL rule'));
    expect(at('HOL rule')).toBeLessThan(at('<h2>Per group</h2>'));
    expect(at('<h2>Per group</h2>')).toBeLessThan(at('<svg '));
    expect(html).toContain('<td><code>missing{group:fast}: count==0</code></td><td>6</td><td>== 0</td>');
  });

  const chromium: string | null = findChromium();
  if (!chromium) {
    console.warn('\n*** SKIPPING the Chromium tests of the HTML report: chromium is not installed (apt-get install chromium, or set CHROMIUM=/path/to/chrome) ***\n');
  }

  describe.skipIf(!chromium)('in headless Chromium (playwright-core)', () => {
    let browser: Browser;
    let page: Page;
    const requested: string[] = [];
    const dir = tempDir('html');
    const file = join(dir, 'report.html');

    beforeAll(async () => {
      writeFileSync(file, html);
      browser = (await launchChromium(chromium)) as Browser;
      page = await browser.newPage({ viewport: { width: 1280, height: 2000 } });
      page.on('request', (r) => requested.push(r.url()));
      await page.goto(pathToFileURL(file).href);
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
    });

    it('loads nothing but itself and draws every chart', async () => {
      expect(requested).toEqual([pathToFileURL(file).href]);
      const sizes = await page.locator('svg.chart').evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => [r.width, r.height]));
      expect(sizes.length).toBe(2 + 2 + 1); // spectrum and over-time per group, delivery rate
      for (const [w, h] of sizes) expect(w! * h!).toBeGreaterThan(100 * 100);
      const titles = await page.locator('svg.chart > title').allTextContents();
      expect(titles).toEqual([
        'fast: latency and oldest owed event over time',
        'stalled: latency and oldest owed event over time',
        'events delivered per second, per client',
        'fast: latency by percentile',
        'stalled: latency by percentile',
      ]);
      // each over-time chart draws its p99 of arrivals and oldest owed event, and the three phase bands
      for (const t of ['fast: latency and oldest owed event over time', 'stalled: latency and oldest owed event over time']) {
        const chart = page.locator('svg.chart', { has: page.locator(`title:text-is("${t}")`) });
        expect(await chart.locator('path').evaluateAll((ps) => ps.map((p) => p.getAttribute('data-series')))).toEqual(['p99', 'oldest-owed']);
        expect(await chart.locator('rect > title').allTextContents()).toEqual(['warmup', 'baseline', 'stress']);
      }
    });

    it("shows the record's numbers: verdict, thresholds, every group and phase", async () => {
      expect(await page.locator('.verdict').innerText()).toBe(`Verdict: HOL — ${record.hol.summary}`);
      const tables = await page.locator('table').evaluateAll((ts) =>
        ts.map((t) => [...t.querySelectorAll('tr')].map((tr) => [...tr.querySelectorAll('th,td')].map((c) => (c as HTMLElement).innerText.trim()))),
      );
      const thresholds = tables.find((t) => t[0]!.join('|') === '|threshold|measured|bound')!;
      for (const t of record.thresholds) {
        const row = thresholds.find((r) => r[1] === t.threshold)!;
        expect(row[0]).toBe(t.passed ? '✓ pass' : '✗ FAIL');
        if (t.unit === '') expect(row[2]).toBe(String(t.measured));
      }
      const summary = tables.find((t) => t[0]![0] === 'group' && t[0]![1] === 'phase')!;
      const col = (name: string): number => summary[0]!.indexOf(name);
      let rows = 0;
      for (const g of record.groups) {
        for (const [phase, p] of Object.entries(g.phases)) {
          if (p.clients === 0) continue;
          const row = summary.find((r) => r[col('group')]!.startsWith(g.name) && r[col('phase')] === phase)!;
          expect(row, `${g.name}/${phase}`).toBeDefined();
          expect(Number(row[col('clients')])).toBe(p.clients);
          expect(Number(row[col('delivered')])).toBe(p.delivered);
          expect(Number(row[col('missing')])).toBe(p.missing);
          expect(row[col('p99')]).toBe(formatUs(p.latencyUs.p99));
          expect(row[col('max stall')]).toBe(formatUs(p.maxStallUs));
          rows++;
        }
      }
      expect(summary.length - 1).toBe(rows);
      expect(await page.title()).toBe(`evbench: ${record.scenario.name} — HOL`);
    });

    it('renders to a PNG with the charts drawn in their colours', async () => {
      const bytes = await page.screenshot({ clip: { x: 0, y: 0, width: 1280, height: 2000 } });
      expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
      expect(bytes.readUInt32BE(16)).toBe(1280);
      // the chart colours are on the page: count pixels of the stress line red and the baseline blue
      const colours = pixelColours(bytes);
      expect(colours.get('d62728') ?? 0).toBeGreaterThan(200);
      expect(colours.get('1f77b4') ?? 0).toBeGreaterThan(200);
      expect(colours.get('fbe3e3') ?? 0).toBeGreaterThan(10_000); // the shaded stress band
    });
  });

  /** Real records: a legacy run whose fast clients froze in stress, an isolated run whose server closed its slow clients. */
  const real = (name: string): RunRecord => asRunRecord(JSON.parse(readFileSync(new URL(`../support/fixtures/${name}`, import.meta.url), 'utf8')), name);

  describe.skipIf(!chromium)('real runs in headless Chromium: what the drawn charts say', () => {
    let browser: Browser;
    const dir = tempDir('html-real');
    const open = async (record: RunRecord, name: string): Promise<Page> => {
      const file = join(dir, name);
      writeFileSync(file, renderHtml(record));
      const page = await browser.newPage({ viewport: { width: 1280, height: 2000 } });
      await page.goto(pathToFileURL(file).href);
      return page;
    };
    beforeAll(async () => {
      browser = (await launchChromium(chromium)) as Browser;
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
    });

    it("during the legacy stall the oldest owed event's line climbs for the freeze's whole length", async () => {
      const record = real('legacy-stall.json');
      const freeze = record.hol.freezes!.stress.freezes[0]!;
      expect(freeze.durationUs).toBeGreaterThan(3_000_000);
      const page = await open(record, 'legacy.html');
      const chart = page.locator('svg.chart', { has: page.locator('title:text-is("fast: latency and oldest owed event over time")') });
      // the freeze the verdict counted is marked where it was
      const mark = await chart.locator('rect[data-mark="freeze"]').evaluate((r) => [Number(r.getAttribute('data-from')), Number(r.getAttribute('data-to'))]);
      expect(mark).toEqual([freeze.startUs / 1e6, (freeze.startUs + freeze.durationUs) / 1e6]);
      // the line as drawn: its data, and the screen height of each vertex (SVG y grows downwards)
      const drawn = await chart.locator('path[data-series="oldest-owed"]').evaluate((p) => ({
        data: p.getAttribute('data-points')!.split(' ').map((xy) => xy.split(',').map(Number)),
        ys: [...p.getAttribute('d')!.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((m) => Number(m[2])),
      }));
      expect(drawn.ys.length).toBe(drawn.data.filter(([, y]) => Number.isFinite(y) && y! > 0).length);
      const inside = drawn.data.map(([x, y], i) => ({ x: x!, y: y!, screenY: drawn.ys[i]! })).filter((p) => p.x > mark[0]! + 0.1 && p.x <= mark[1]!);
      expect(inside.length).toBeGreaterThanOrEqual((freeze.durationUs / 100_000) * 0.9);
      for (let i = 1; i < inside.length; i++) {
        expect(inside[i]!.y, `at ${inside[i]!.x}s`).toBeGreaterThan(inside[i - 1]!.y);
        expect(inside[i]!.screenY).toBeLessThanOrEqual(inside[i - 1]!.screenY);
      }
      // it climbs by the freeze's length: from its start to its end it gains (nearly) that many ms
      expect(inside.at(-1)!.y - inside[0]!.y).toBeGreaterThan((freeze.durationUs / 1000) * 0.9);
      await page.close();
    });

    it('the isolated run shows its slow clients, closed 4008 by design, in their own colour and never in red', async () => {
      const record = real('isolated-slow-closed.json');
      const page = await open(record, 'isolated.html');
      const rows = await page.locator('tr').evaluateAll((trs) =>
        trs
          .map((tr) => [...tr.querySelectorAll('td')])
          .filter((tds) => tds.length > 5 && /^(stalled|trickle)/.test(tds[0]!.innerText))
          .map((tds) => ({
            group: tds[0]!.innerText,
            red: tds.some((td) => td.querySelector('.bad') !== null || [...td.querySelectorAll('*')].some((e) => getComputedStyle(e).color === 'rgb(198, 40, 40)')),
            missingColour: getComputedStyle(tds[4]!.firstElementChild ?? tds[4]!).color,
            fate: tds.at(-1)!.innerText,
          })),
      );
      expect(rows.map((r) => r.group)).toEqual(['stalled (stall)', 'trickle (rate)']);
      for (const r of rows) {
        expect(r.red, r.group).toBe(false);
        expect(r.missingColour).toBe('rgb(123, 82, 171)');
        expect(r.fate).toMatch(/closed 4008/);
      }
      // their charts draw no red either: the oldest owed line is the closed colour
      for (const g of ['stalled', 'trickle']) {
        const chart = page.locator('svg.chart', { has: page.locator(`title:text-is("${g}: latency and oldest owed event over time")`) });
        expect(await chart.locator('path[data-series="oldest-owed"]').getAttribute('stroke')).toBe('#7b52ab');
      }
      const delivered = page.locator('svg.chart', { has: page.locator('title:text-is("events delivered per second, per client")') });
      const strokes = await delivered.locator('path[data-series]').evaluateAll((ps) => ps.map((p) => [p.getAttribute('data-series'), p.getAttribute('stroke')]));
      expect(strokes.filter(([k]) => k !== 'fast').every(([, c]) => c !== '#d62728' && c !== '#c62828')).toBe(true);
      // the fast clients were not closed: red would still be theirs to earn, and their missing count is 0
      expect(record.groups[0]!.clientResults.every((c) => c.closedByServer === null)).toBe(true);
      await page.close();
    });
  });
});

/** Pixel counts by RGB hex of an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes). */
function pixelColours(png: Buffer): Map<string, number> {
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const colourType = png[25]!;
  const bpp = colourType === 6 ? 4 : 3;
  const idat: Buffer[] = [];
  for (let off = 8; off < png.length; ) {
    const len = png.readUInt32BE(off);
    const type = png.toString('ascii', off + 4, off + 8);
    if (type === 'IDAT') idat.push(png.subarray(off + 8, off + 8 + len));
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const prev = Buffer.alloc(stride);
  const cur = Buffer.alloc(stride);
  const counts = new Map<string, number>();
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? cur[i - bpp]! : 0;
      const b = prev[i]!;
      const c = i >= bpp ? prev[i - bpp]! : 0;
      let v = line[i]!;
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      cur[i] = v & 0xff;
    }
    for (let x = 0; x < width; x++) {
      const key = cur.toString('hex', x * bpp, x * bpp + 3);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    cur.copy(prev);
  }
  return counts;
}
