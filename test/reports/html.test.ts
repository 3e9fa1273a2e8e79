// The HTML report is one self-contained file (no script, nothing fetched) whose SVG charts a real
// browser draws: rendered in headless Chromium to a PNG when Chromium is installed.
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { asRunRecord } from '../../src/records/load.js';
import { renderHtml } from '../../src/reports/html.js';
// @ts-expect-error: a plain .mjs script, shared with `npm run screenshot`
import { findChromium, screenshot } from '../../scripts/screenshot.mjs';

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
    console.warn('\n*** SKIPPING the Chromium rendering test: chromium is not installed (apt-get install chromium, or set CHROMIUM=/path/to/chrome) ***\n');
  }

  it.skipIf(!chromium)('renders in headless Chromium to a PNG with the charts drawn', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evbench-html-'));
    const file = join(dir, 'report.html');
    const png = join(dir, 'report.png');
    writeFileSync(file, html);
    screenshot(chromium, file, png, { width: 1280, height: 2000 });
    const bytes = readFileSync(png);
    expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(bytes.readUInt32BE(16)).toBe(1280);
    expect(statSync(png).size).toBeGreaterThan(30_000);
    // the chart colours are on the page: count pixels of the stress line red and the baseline blue
    const colours = pixelColours(bytes);
    expect(colours.get('d62728') ?? 0).toBeGreaterThan(200);
    expect(colours.get('1f77b4') ?? 0).toBeGreaterThan(200);
    expect(colours.get('fbe3e3') ?? 0).toBeGreaterThan(10_000); // the shaded stress band
  }, 60_000);
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
