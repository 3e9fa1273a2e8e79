// The HTML report is one self-contained file (no script, nothing fetched) whose SVG charts a real
// browser draws: opened in Debian's headless Chromium (driven by playwright-core), its charts
// counted, its numbers compared with the record's, and rendered to a PNG.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inflateSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asRunRecord } from '../../src/record/loadRecord.js';
import { renderHtml } from '../../src/reports/html.js';
import { formatUs } from '../../src/util/units.js';
// @ts-expect-error: a plain .mjs script, shared with `npm run screenshot`
import { findChromium, launchChromium } from '../../scripts/screenshot.mjs';

const record = asRunRecord(JSON.parse(readFileSync(new URL('../fixtures/run-record.json', import.meta.url), 'utf8')), 'run-record.json');
const html = renderHtml(record);

describe('HTML report', () => {
  it('is self-contained: no script, no external resource, inline SVG charts', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link\b|@import|url\(|src=/i);
    // the only URL is the SVG namespace, which is a name, not a fetch
    expect(html.match(/https?:\/\/[^\s"')]+/g)!.every((u) => u === 'http://www.w3.org/2000/svg')).toBe(true);
    expect(html.match(/<svg /g)!.length).toBe(2 + 2 + 1); // spectrum and over-time per group, delivery rate
    expect(html).toContain('fast: latency by percentile');
    expect(html).toContain('fast: latency over time');
    expect(html).toContain('events delivered per second, per client');
    expect(html).toMatch(/<rect [^>]*fill="#fbe3e3"><title>stress<\/title>/); // the stress phase band
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
    const dir = mkdtempSync(join(tmpdir(), 'evbench-html-'));
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
      rmSync(dir, { recursive: true, force: true });
    });

    it('loads nothing but itself and draws every chart', async () => {
      expect(requested).toEqual([pathToFileURL(file).href]);
      const sizes = await page.locator('svg.chart').evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => [r.width, r.height]));
      expect(sizes.length).toBe(2 + 2 + 1); // spectrum and over-time per group, delivery rate
      for (const [w, h] of sizes) expect(w! * h!).toBeGreaterThan(100 * 100);
      const titles = await page.locator('svg.chart > title').allTextContents();
      expect(titles).toEqual([
        'fast: latency by percentile',
        'stalled: latency by percentile',
        'fast: latency over time',
        'stalled: latency over time',
        'events delivered per second, per client',
      ]);
      // each over-time chart draws its p50, p99 and max lines, and the three phase bands
      for (const t of ['fast: latency over time', 'stalled: latency over time']) {
        const chart = page.locator('svg.chart', { has: page.locator(`title:text-is("${t}")`) });
        expect(await chart.locator('path > title').allTextContents()).toEqual(['p50', 'p99', 'max']);
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
