// The benchmarks' smoke test: one tiny round of each (`--quick`) through runBenchmarks, as
// `npm run bench` runs them, so the harness cannot rot. It checks the harness — pinning applied
// (where taskset and two CPUs exist) and released, min / median / max in every table, every
// target of issue 15 evaluated, no process left behind — never a speed: the machine is shared,
// speed is BENCHMARKS.md's business.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderResult, runBenchmarks, type BenchReport } from '../../bench/main.js';
import { buildGoServer } from '../../bench/contenders.js';
import { allowedCpus, tasksetAvailable } from '../../bench/pinning.js';

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

describe('npm run bench --quick (one tiny round of each benchmark)', () => {
  it('pins, prints min / median / max, evaluates every target and stops every process', async () => {
    const before = new Set(children());
    const cpusBefore = allowedCpus('self');
    const lines: string[] = [];
    const go = buildGoServer();
    if (go.skipped) console.warn(`bench smoke: ${go.skipped}`);
    const report: BenchReport = await runBenchmarks(
      ['fanout', 'generator', 'catchup', 'permissions', 'connections', 'parse'],
      { rounds: 1, quick: true, log: (l) => lines.push(l) },
      { command: 'smoke test' },
    );
    const output = lines.join('\n');
    expect(report.failed, output.slice(-3000)).toEqual([]);

    // pinning: applied where it can be, said in the output, and released afterwards
    const canPin = tasksetAvailable() && cpusBefore.length >= 2;
    expect(report.pinning.enabled).toBe(canPin);
    expect(output).toContain(report.pinning.description);
    if (canPin) {
      expect(output).toMatch(
        /pinned with taskset: every server contender on CPU \d+ \(Go with GOMAXPROCS=1, evbench with node --single-threaded-gc\)/,
      );
      expect(output).toMatch(new RegExp(`evbench isolated: pid \\d+, threads on CPU ${report.pinning.serverCpu}\\b`));
    }
    expect(allowedCpus('self')).toEqual(cpusBefore);
    expect(output).toMatch(/load average at start \d/);
    expect(report.commit).toMatch(/^([0-9a-f]{7,}(\+dirty)?|unknown)$/);

    // every table: min / median / max of its rounds, every contender measured (or skipped with a reason)
    for (const r of report.benchmarks) {
      const text = renderResult(r);
      expect(text).toMatch(/contender\s+metric\s+min\s+median\s+max\s+rounds/);
      for (const c of r.contenders) {
        if (c.skipped) continue;
        expect(c.samples, `${r.name} ${c.name}`).toHaveLength(1);
        for (const k of Object.keys(c.median)) {
          if (!Number.isFinite(c.median[k])) continue;
          expect(c.min[k]).toBe(c.median[k]);
          expect(c.max[k]).toBe(c.median[k]);
        }
      }
    }
    const fanout = report.benchmarks.find((b) => b.name === 'fanout')!;
    expect(fanout.contenders.map((c) => c.name)).toEqual(
      expect.arrayContaining(['evbench isolated', 'plain ws', 'go gorilla', 'limit: 100 frames per write', 'limit: 1 frame per write']),
    );
    for (const c of fanout.contenders) if (!c.skipped) expect(c.median['deliveriesPerSec'], c.name).toBeGreaterThan(0);
    if (go.skipped) expect(fanout.notes.join(' ')).toMatch(/Go/);
    expect(report.benchmarks.find((b) => b.name === 'parse')!.contenders[0]!.median['nsPerFrame']).toBeGreaterThan(0);

    // every target of issue 15 evaluated: a value and reached / not reached (or not measured, with why)
    const names = report.targets.map((t) => t.name).join('\n');
    for (const pattern of [
      /fan-out saturation, evbench isolated ÷ go gorilla/,
      /fan-out saturation, evbench isolated ÷ the physical limit of one core writing 100 frames/,
      /fan-out p99 at .* evbench isolated ÷ go gorilla/,
      /fast p99 during a .*catch-up replay ÷ fast p99 baseline/,
      /generator accounted deliveries\/s per worker/,
      /generator memory per idle connection/,
      /server memory per idle connection/,
      /one machine holds .* subscribed idle clients/,
    ])
      expect(names).toMatch(pattern);
    for (const t of report.targets) {
      if (t.reached === null) expect(t.detail, t.name).toBeTruthy();
      else expect(Number.isFinite(t.value), t.name).toBe(true);
    }
    expect(output).toMatch(/── targets \((pinned|UNPINNED), medians of 1 alternated round\) ──/);
    expect(output).toMatch(/reached/);
    const hold = report.benchmarks.find((b) => b.name === 'connections')!.contenders[1]!;
    expect(hold.median['heldSubscribed']).toBe(400);
    expect(hold.median['sourceAddresses']).toBe(2);

    expect(children().filter((pid) => !before.has(pid))).toEqual([]);
  }, 150_000);
});
