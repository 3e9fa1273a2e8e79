// The server process sampler and its summary: CPU % between samples, a total that never goes back,
// the moment the tree is gone, and each phase's CPU (interpolated at its bounds) and memory.
import { describe, expect, it } from 'vitest';
import { ServerProcessSampler, summarizeServerProcess, type RawProcessSample } from '../../src/runner/serverProcess.js';
import type { TreeUsage } from '../../src/util/procTree.js';

const MiB = 1024 * 1024;
const raw = (atS: number, cpuSeconds: number, rssMiB: number): RawProcessSample => ({
  atUs: atS * 1e6,
  cpuSeconds,
  cpuPct: null,
  rssBytes: rssMiB * MiB,
  processes: 1,
});

describe('ServerProcessSampler', () => {
  it('computes CPU % from one sample to the next, never lets the total go back, and tells once when the tree is gone', async () => {
    const readings: (TreeUsage | undefined)[] = [
      { cpuSeconds: 1, rssBytes: 10 * MiB, processes: 2 },
      undefined, // /proc unreadable this time: skipped, not zero
      { cpuSeconds: 0.5, rssBytes: 12 * MiB, processes: 1 }, // a member reaped by init took its CPU with it
      { cpuSeconds: 0, rssBytes: 0, processes: 0 },
      { cpuSeconds: 0, rssBytes: 0, processes: 0 },
    ];
    let gone = 0;
    const sampler = new ServerProcessSampler(
      123,
      () => gone++,
      () => readings.shift(),
    );
    for (let i = 0; i < 5; i++) {
      sampler.sample();
      await new Promise((r) => setTimeout(r, 60));
    }
    const s = sampler.samples();
    expect(s.map((x) => x.cpuSeconds)).toEqual([1, 1, 1, 1]);
    expect(s[0]!.cpuPct).toBeNull();
    expect(s[1]!.cpuPct).toBe(0);
    expect(s.map((x) => x.processes)).toEqual([2, 1, 0, 0]);
    expect(gone).toBe(1);
  });

  it('a reading that throws is skipped, and the sampler goes on', () => {
    let n = 0;
    const sampler = new ServerProcessSampler(1, undefined, () => {
      if (n++ === 0) throw new Error('EACCES');
      return { cpuSeconds: 2, rssBytes: MiB, processes: 1 };
    });
    expect(() => sampler.sample()).not.toThrow();
    sampler.sample();
    expect(sampler.samples()).toHaveLength(1);
    expect(sampler.latest()?.cpuSeconds).toBe(2);
  });

  it('CPU % is CPU seconds over wall seconds, in % of one core', async () => {
    const readings = [
      { cpuSeconds: 1, rssBytes: MiB, processes: 1 },
      { cpuSeconds: 1.1, rssBytes: MiB, processes: 1 },
    ];
    const sampler = new ServerProcessSampler(1, undefined, () => readings.shift());
    sampler.sample();
    await new Promise((r) => setTimeout(r, 200));
    sampler.sample();
    const pct = sampler.samples()[1]!.cpuPct!;
    // 0.1 s of CPU in a bit over 0.2 s of wall time: about 50 %, never above
    expect(pct).toBeGreaterThan(25);
    expect(pct).toBeLessThanOrEqual(51); // a timer may fire a hair early
  });
});

describe('summarizeServerProcess', () => {
  const t0S = 100;
  const phases = [
    { name: 'baseline', startUs: 0, durationUs: 2e6 },
    { name: 'stress', startUs: 2e6, durationUs: 2e6 },
    { name: 'recovery', startUs: 4e6, durationUs: 2e6 },
  ];
  // 0.1 CPU s per second in baseline, 0.5 in stress; memory flat, then growing in stress
  const samples = [raw(99.5, 0, 20), raw(100, 0.05, 20), raw(101, 0.15, 21), raw(102, 0.25, 21), raw(103, 0.75, 60), raw(104, 1.25, 140)];
  const s = summarizeServerProcess('node', 4242, samples, t0S * 1e6, phases);

  it('samples on the run clock (µs since t0), negative before it', () => {
    expect(s.samples.map((x) => x.tUs)).toEqual([-0.5e6, 0, 1e6, 2e6, 3e6, 4e6]);
    expect(s.peakRssBytes).toBe(140 * MiB);
    expect(s).toMatchObject({ command: 'node', pid: 4242 });
  });

  it('each phase: CPU seconds and % of one core, memory at its start, peak and end', () => {
    expect(s.phases[0]).toEqual({
      phase: 'baseline',
      cpuSeconds: 0.2,
      cpuPct: 10,
      rssStartBytes: 20 * MiB,
      rssPeakBytes: 21 * MiB,
      rssEndBytes: 21 * MiB,
    });
    expect(s.phases[1]).toEqual({
      phase: 'stress',
      cpuSeconds: 1,
      cpuPct: 50,
      rssStartBytes: 21 * MiB,
      rssPeakBytes: 140 * MiB,
      rssEndBytes: 140 * MiB,
    });
  });

  it('CPU at a bound between samples is interpolated', () => {
    const mid = summarizeServerProcess('node', 1, samples, t0S * 1e6, [{ name: 'half', startUs: 2.5e6, durationUs: 1e6 }]);
    expect(mid.phases[0]!.cpuSeconds).toBe(0.5); // from 0.5 at 2.5 s to 1.0 at 3.5 s
  });

  it('a phase no sample covers (the run ended before it) is unknown, not zero', () => {
    expect(s.phases[2]).toEqual({
      phase: 'recovery',
      cpuSeconds: null,
      cpuPct: null,
      rssStartBytes: null,
      rssPeakBytes: null,
      rssEndBytes: null,
    });
    expect(summarizeServerProcess('node', 1, [], 0, phases).peakRssBytes).toBeNull();
  });
});
