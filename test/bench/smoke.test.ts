// The benchmarks' smoke test: one tiny round of each (`--quick`), so `npm run bench` cannot rot.
// It asserts only that each produces sane figures and stops every process it started — never a
// speed target (the machine is shared; speed is BENCHMARKS.md's business).
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BENCHMARKS, renderResult } from '../../src/bench/main.js';
import { buildGoServer } from '../../src/bench/contenders.js';
import type { BenchResult } from '../../src/bench/rounds.js';

/** Live (non-zombie) child processes of this process. */
function children(): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === process.pid && fields[0] !== 'Z') out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

const ctx = { rounds: 1, quick: true, log: () => {} };

function expectSane(result: BenchResult, metric: string): void {
  expect(renderResult(result)).toContain(result.name);
  for (const c of result.contenders) {
    if (c.skipped) continue;
    expect(c.samples).toHaveLength(1);
    expect(c.median[metric], `${result.name} ${c.name} ${metric}`).toBeGreaterThan(0);
    expect(Number.isFinite(c.median[metric])).toBe(true);
  }
}

describe('npm run bench (one quick round each)', () => {
  const before = new Set(children());
  const leftovers = (): number[] => children().filter((pid) => !before.has(pid));

  it('fanout: deliveries/s and fixed-load p99 for every contender (Go skipped with a message when absent)', async () => {
    const go = buildGoServer();
    if (go.skipped) console.warn(`bench smoke: ${go.skipped}`);
    const r = await BENCHMARKS.fanout!(ctx);
    expectSane(r, 'deliveriesPerSec');
    expectSane(r, 'fixedP99Ms');
    const names = r.contenders.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['evbench isolated', 'plain ws', 'go gorilla']));
    if (go.skipped) expect(r.notes.join(' ')).toMatch(/Go/);
    expect(leftovers()).toEqual([]);
  }, 120_000);

  it('generator: accounted deliveries/s with 1 and 2 workers', async () => {
    const r = await BENCHMARKS.generator!(ctx);
    expectSane(r, 'accountedPerSec');
    expect(leftovers()).toEqual([]);
  }, 120_000);

  it('catchup: replay rate and fast p99 during the replay', async () => {
    const r = await BENCHMARKS.catchup!(ctx);
    expectSane(r, 'replayPerSec');
    expect(r.contenders[0]!.median['fastP99BaselineMs']).toBeGreaterThan(0);
    expect(leftovers()).toEqual([]);
  }, 120_000);

  it('permissions: CPU per delivery for 10 and 10,000 groups, isolated and legacy', async () => {
    const r = await BENCHMARKS.permissions!(ctx);
    expect(r.contenders).toHaveLength(4);
    expectSane(r, 'serverCpuUsPerDelivery');
    expect(leftovers()).toEqual([]);
  }, 120_000);

  it('connections: bytes per idle connection, server and generator', async () => {
    const r = await BENCHMARKS.connections!(ctx);
    expectSane(r, 'serverBytesPerConnection');
    expect(Number.isFinite(r.contenders[0]!.median['generatorBytesPerConnection'])).toBe(true);
    expect(leftovers()).toEqual([]);
  }, 120_000);

  it('parse: ns per frame, raw scan and JSON.parse', async () => {
    const r = await BENCHMARKS.parse!(ctx);
    expectSane(r, 'nsPerFrame');
  }, 60_000);
});
