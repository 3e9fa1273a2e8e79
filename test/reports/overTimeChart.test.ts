// The over-time chart module on records made to order: a stall climbs as the oldest owed event's
// age, the verdict's freezes are marked where they were, the p99 of arrivals leaves missing events
// out, phase labels never sit on each other or on the plot, and slow clients the server closed as
// designed get their own colour, while any other close keeps the group's.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createHistogram, encodeHistogram, recordUs } from '../../src/measurement/histogram.js';
import { asRunRecord } from '../../src/record/loadRecord.js';
import type { IntervalRecord, RunRecord } from '../../src/record/schema.js';
import { renderHtml } from '../../src/reports/html.js';
import {
  arrivedP99Us,
  bucketUsFor,
  CLOSED_COLORS,
  closedByDesign,
  deliveredChart,
  GROUP_COLORS,
  logRange,
  maxPerBucket,
  overTimeChart,
  overTimeData,
  timeFrame,
} from '../../src/reports/overTimeChart.js';
import { encodeTicks, NO_CLIENT } from '../../src/util/ticksCodec.js';
import { formatUs } from '../../src/util/units.js';

const fixture = (): RunRecord =>
  asRunRecord(JSON.parse(readFileSync(new URL('../support/fixtures/run-record.json', import.meta.url), 'utf8')), 'run-record.json');

const STALL_FROM_US = 4_000_000;
const STALL_TO_US = 5_500_000;

/** The fixture (6 s: warmup, baseline, stress from 3 s) with a fast-group tick series: 2 ms ages, and a stall from 4 s to 5.5 s. */
function stalledRecord(): RunRecord {
  const record = fixture();
  const ticks = record.durationUs / 10_000;
  const any = new Uint32Array(ticks);
  const together = new Uint32Array(ticks);
  for (let j = 0; j < ticks; j++) {
    const t = j * 10_000;
    const stalled = t >= STALL_FROM_US && t < STALL_TO_US;
    any[j] = stalled ? t - STALL_FROM_US + 2_000 : 2_000;
    together[j] = stalled ? t - STALL_FROM_US : 500;
  }
  any[10] = NO_CLIENT; // a tick at which nothing was owed
  const fast = record.groups.find((g) => g.name === 'fast')!;
  fast.ages = { tickUs: 10_000, clients: fast.clients, any: encodeTicks(any), together: encodeTicks(together) };
  const summary = (freezes: { startUs: number; durationUs: number; peakUs: number }[]) => ({
    measuredUs: 1,
    aboveFloorUs: 0,
    frozenUs: freezes.reduce((a, f) => a + f.durationUs, 0),
    worstUs: 0,
    freezes,
    count: freezes.length,
  });
  record.hol.freezes = {
    floorUs: 200_000,
    countFromUs: 400_000,
    clients: fast.clients,
    baseline: summary([]),
    stress: summary([{ startUs: 4_200_000, durationUs: 1_300_000, peakUs: 1_500_000 }]),
    sustained: false,
  };
  return record;
}

/** The `data-points` of a drawn line, as [x, y] pairs. */
function drawnPoints(svg: string, key: string): [number, number][] {
  const m = new RegExp(`data-series="${key}" data-points="([^"]*)"`).exec(svg);
  if (!m) throw new Error(`no line ${key}`);
  return m[1]!.split(' ').map((p) => p.split(',').map(Number) as [number, number]);
}

describe('the oldest owed event over time', () => {
  it('climbs through a stall, one 100 ms step at a time, and stays low outside it', () => {
    const record = stalledRecord();
    const d = overTimeData(record, record.groups[0]!);
    expect(d.oldestFrom).toBe('ticks');
    // the buckets that end from 4.1 s to 5.5 s lie inside the stall
    const inStall = d.oldestOwed.filter(([x]) => x * 1e6 > STALL_FROM_US + 50_000 && x * 1e6 <= STALL_TO_US);
    expect(inStall.length).toBe(15);
    for (let i = 1; i < inStall.length; i++) expect(inStall[i]![1]).toBeCloseTo(inStall[i - 1]![1] + 100, 6);
    expect(Math.max(...inStall.map((p) => p[1]))).toBeCloseTo(1_492, 0);
    // outside the stall the line sits at the 2 ms the clients waited
    const outside = d.oldestOwed.filter(([x]) => x * 1e6 <= STALL_FROM_US || x * 1e6 > STALL_TO_US + 100_000);
    expect(outside.every(([, y]) => Number.isNaN(y) || y === 2)).toBe(true);
    // and the chart draws exactly those numbers
    const svg = overTimeChart(record, record.groups[0]!, timeFrame(record))!;
    expect(drawnPoints(svg, 'oldest-owed')).toEqual(d.oldestOwed.map(([x, y]) => [x, Number.isNaN(y) ? NaN : Math.round(y * 1000) / 1000]));
  });

  it('takes the max of each bucket; a bucket where nothing was owed breaks the line', () => {
    const ticks = Uint32Array.from([5, 9, 7, NO_CLIENT, NO_CLIENT, NO_CLIENT, NO_CLIENT, 3000]);
    expect(maxPerBucket(ticks, 10_000, 30_000)).toEqual([
      [0.03, 0.009],
      [0.06, NaN],
      [0.08, 3],
    ]);
    expect(bucketUsFor(16_000_000)).toBe(100_000);
    expect(bucketUsFor(600_000_000)).toBe(500_000); // a long run keeps about 1200 points
  });

  it('without a tick series, falls back to the worst stall of each second, at its end', () => {
    const record = fixture();
    const stalled = record.groups.find((g) => g.name === 'stalled')!;
    const d = overTimeData(record, stalled);
    expect(d.oldestFrom).toBe('seconds');
    expect(d.together).toBeNull();
    expect(d.freezes).toEqual([]);
    const ivs = record.intervals.filter((iv) => iv.group === 'stalled' && iv.maxStallUs > 0);
    expect(d.oldestOwed.filter(([, y]) => !Number.isNaN(y))).toEqual(ivs.map((iv) => [iv.startUs / 1e6 + 1, iv.maxStallUs / 1000]));
  });

  it("marks the verdict's freezes where they were, and none when the verdict counted none", () => {
    const record = stalledRecord();
    const svg = overTimeChart(record, record.groups[0]!, timeFrame(record))!;
    const marks = [...svg.matchAll(/data-mark="freeze" data-from="([\d.]+)" data-to="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(marks).toEqual([[4.2, 5.5]]);
    record.hol.freezes!.stress = { ...record.hol.freezes!.stress, freezes: [], count: 0 };
    expect(overTimeChart(record, record.groups[0]!, timeFrame(record))).not.toContain('data-mark="freeze"');
  });

  it('draws on a log axis, so the baseline milliseconds and the stall seconds both read', () => {
    const record = stalledRecord();
    const svg = overTimeChart(record, record.groups[0]!, timeFrame(record))!;
    const ticks = [...svg.matchAll(/text-anchor="end" class="tk">([^<]+)</g)].map((m) => m[1]);
    expect(ticks).toEqual(expect.arrayContaining([formatUs(1_000), formatUs(10_000), formatUs(100_000), formatUs(1_000_000)]));
    // 2 ms and 1.5 s are drawn at clearly different heights: more than a third of the plot apart
    const path = /<path d="([^"]+)"[^>]*data-series="oldest-owed"/.exec(svg)![1]!;
    const ys = [...path.matchAll(/[ML][\d.]+ ([\d.]+)/g)].map((m) => Number(m[1]));
    expect(Math.max(...ys) - Math.min(...ys)).toBeGreaterThan(70);
  });
});

describe('the p99 of what arrived', () => {
  const second = (arrived: number[], missingAtUs: number[]): IntervalRecord => {
    const h = createHistogram();
    for (const us of [...arrived, ...missingAtUs]) recordUs(h, us);
    return {
      group: 'fast',
      startUs: 0,
      delivered: arrived.length,
      missing: missingAtUs.length,
      arrived: arrived.length,
      maxStallUs: 0,
      p50Us: h.getValueAtPercentile(50),
      p99Us: h.getValueAtPercentile(99),
      maxUs: h.maxValue,
      histogram: encodeHistogram(h),
    };
  };

  it('leaves out the missing events at their lower bound', () => {
    const iv = second(Array.from({ length: 100 }, (_, i) => 1_000 + i), Array(50).fill(5_000_000));
    expect(iv.p99Us).toBeGreaterThan(4_000_000);
    expect(arrivedP99Us(iv)).toBeGreaterThanOrEqual(1_090);
    expect(arrivedP99Us(iv)).toBeLessThan(1_110);
  });

  it('is the second p99 when nothing was missing, and no value when nothing arrived', () => {
    const iv = second([1_000, 2_000, 3_000], []);
    expect(arrivedP99Us(iv)).toBe(iv.p99Us);
    expect(arrivedP99Us(second([], [5_000_000]))).toBeNaN();
  });
});

describe('slow clients closed by design', () => {
  it('a slow group closed 4008 gets its own colour and the close code; another close keeps the group colour', () => {
    const record = fixture();
    const stalled = record.groups.find((g) => g.name === 'stalled')!;
    expect(closedByDesign(record, stalled).count).toBe(0);
    let svg = deliveredChart(record, timeFrame(record))!;
    expect(svg).toMatch(new RegExp(`stroke="${GROUP_COLORS[1]}"[^>]*data-series="stalled"`));

    stalled.clientResults[0] = { ...stalled.clientResults[0]!, closedByServer: 1011, closeReason: 'boom', closedAtUs: 4_000_000 };
    expect(closedByDesign(record, stalled).count).toBe(0);
    expect(deliveredChart(record, timeFrame(record))).toMatch(new RegExp(`stroke="${GROUP_COLORS[1]}"[^>]*data-series="stalled"`));

    stalled.clientResults[0] = { ...stalled.clientResults[0]!, closedByServer: 4008, closeReason: 'slow client', closedAtUs: 4_000_000 };
    expect(closedByDesign(record, stalled)).toMatchObject({ seen: 1, count: 1, firstAtUs: 4_000_000 });
    svg = deliveredChart(record, timeFrame(record))!;
    expect(svg).toMatch(new RegExp(`stroke="${CLOSED_COLORS[0]}"[^>]*data-series="stalled"`));
    expect(svg).toContain('stalled (closed 4008 by the server, by design)');
    expect(svg).toMatch(/data-moment="4"><title>stalled: 4008<\/title>/);
  });

  it("a fast client closed 4008 is not 'by design'", () => {
    const record = fixture();
    const fast = record.groups.find((g) => g.name === 'fast')!;
    fast.clientResults[0] = { ...fast.clientResults[0]!, closedByServer: 4008 };
    expect(closedByDesign(record, fast).count).toBe(0);
  });

  it("counts the server's slow closes that no stalled reader read, but only up to the open slow clients that missed events", () => {
    const record = fixture();
    const stalled = record.groups.find((g) => g.name === 'stalled')!;
    stalled.clientResults = stalled.clientResults.map((c) => ({ ...c, closedByServer: null, missing: 10 }));
    record.server = { ...record.server!, slowClientCloses: 0 };
    expect(closedByDesign(record, stalled).count).toBe(0);
    record.server.slowClientCloses = 1;
    expect(closedByDesign(record, stalled)).toMatchObject({ seen: 0, counted: 1, count: 1, firstAtUs: null });
    record.server.slowClientCloses = 50;
    expect(closedByDesign(record, stalled).counted).toBe(stalled.clientResults.length);
    stalled.clientResults = stalled.clientResults.map((c) => ({ ...c, missing: 0 }));
    expect(closedByDesign(record, stalled).count).toBe(0);
  });

  it('the HTML table shows their missing events in their own colour, and any other missing in red', () => {
    const record = fixture();
    const stalled = record.groups.find((g) => g.name === 'stalled')!;
    stalled.phases.stress!.missing = 7;
    const missingCell = (html: string): string => /<tr><td>stalled \(stall\)<\/td><td>stress<\/td>(?:<td[^>]*>[^<]*<\/td>){2}<td class="num">(.*?)<\/td>/.exec(html)![1]!;
    expect(missingCell(renderHtml(record))).toBe('<b class="bad">7</b>');
    stalled.clientResults = stalled.clientResults.map((c) => ({ ...c, closedByServer: 4008, closeReason: 'slow client', closedAtUs: 4_000_000 }));
    const html = renderHtml(record);
    expect(missingCell(html)).toMatch(/^<span class="closed"[^>]*>7<\/span>$/);
    expect(html).toContain(`${stalled.clientResults.length} closed 4008 (slow client, by design)`);
  });
});

describe('phase labels', () => {
  it('sit above the plot and never on each other, even for phases too short to hold them', () => {
    const record = stalledRecord();
    record.phases = [
      { name: 'warmup', role: 'warmup', startUs: 0, durationUs: 50_000 },
      { name: 'baseline-with-a-long-name', role: 'baseline', startUs: 50_000, durationUs: 100_000 },
      { name: 'stress', role: 'stress', startUs: 150_000, durationUs: 50_000 },
      { name: 'recovery', role: 'recovery', startUs: 200_000, durationUs: 5_800_000 },
    ];
    const svg = overTimeChart(record, record.groups[0]!, timeFrame(record))!;
    const plotTop = Number(/<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="[\d.]+" class="frame"/.exec(svg)![1]);
    const labels = [...svg.matchAll(/<text x="([\d.]+)" y="([\d.]+)" class="bl">([^<]+)</g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]), text: m[3]! }));
    expect(labels.map((l) => l.text)).toContain('recovery');
    expect(labels.length).toBeGreaterThanOrEqual(3);
    for (const l of labels) expect(l.y).toBeLessThan(plotTop);
    // no two labels on one row overlap (10 px font: about 5.6 px a character)
    for (const a of labels)
      for (const b of labels) {
        if (a === b || a.y !== b.y) continue;
        expect(a.x + a.text.length * 5.6 <= b.x || b.x + b.text.length * 5.6 <= a.x).toBe(true);
      }
  });
});

describe('the log axis range', () => {
  it('holds every value at 1, 2 or 5 × 10^k, no wider than it must be, and not below 0.1 ms', () => {
    expect(logRange([2, 11_000])).toEqual({ min: 2, max: 20_000 });
    expect(logRange([0.7, 450])).toEqual({ min: 0.5, max: 500 });
    expect(logRange([0.001, 3])).toEqual({ min: 0.1, max: 5 });
    expect(logRange([1, 1])).toEqual({ min: 1, max: 10 });
    expect(logRange([NaN])).toEqual({ min: 0.1, max: 10 });
  });
});
