// What the server evbench started cost, as the summary, Markdown and HTML say it: the peak, each
// phase's CPU and memory, "RSS grew A → B" only when it grew beyond noise, and nothing at all for a
// run whose server evbench did not start.
import { describe, expect, it } from 'vitest';
import { fixtureRecord } from '../support/fixtureRecord.js';
import type { RunRecord, ServerProcessPhase } from '../../src/record/schema.js';
import { rssGrew, serverProcessLatest, serverProcessSentences } from '../../src/reports/serverProcess.js';
import { renderSummary } from '../../src/reports/summary.js';
import { renderMarkdown } from '../../src/reports/markdown.js';
import { renderHtml } from '../../src/reports/html.js';

const MiB = 1024 * 1024;
const phase = (name: string, startMiB: number, peakMiB: number, cpuSeconds: number | null = 0.2): ServerProcessPhase => ({
  phase: name,
  cpuSeconds,
  cpuPct: cpuSeconds === null ? null : cpuSeconds * 50,
  rssStartBytes: startMiB * MiB,
  rssPeakBytes: peakMiB * MiB,
  rssEndBytes: peakMiB * MiB,
});

function withServerProcess(command = 'node'): RunRecord {
  const r = fixtureRecord();
  r.serverProcess = {
    command,
    pid: 4242,
    samples: [
      { tUs: -1e6, cpuSeconds: 0.1, cpuPct: null, rssBytes: 12 * MiB, processes: 1 },
      { tUs: 5e6, cpuSeconds: 1.1, cpuPct: 80, rssBytes: 140 * MiB, processes: 1 },
    ],
    peakRssBytes: 140 * MiB,
    phases: [phase('baseline', 12, 13), phase('stress', 13, 140, 1.6)],
  };
  return r;
}

describe('rssGrew', () => {
  it('at least 4 MiB and a tenth of the start: grew; less of either: did not', () => {
    expect(rssGrew(phase('p', 12, 140))).toBe(true);
    expect(rssGrew(phase('p', 12, 16))).toBe(true); // 4 MiB, a third
    expect(rssGrew(phase('p', 12, 15.9))).toBe(false); // under 4 MiB
    expect(rssGrew(phase('p', 100, 108))).toBe(false); // 8 MiB, under a tenth
    expect(rssGrew({ ...phase('p', 12, 140), rssStartBytes: null })).toBe(false);
  });
});

describe('serverProcessSentences', () => {
  it('the peak, then each phase: CPU, and the memory that grew', () => {
    expect(serverProcessSentences(withServerProcess())).toEqual([
      'Server process (node, pid 4242, 2 samples of its process tree): peak RSS 140MiB; baseline: CPU 0.20 s (10% of one core), RSS peak 13MiB; stress: CPU 1.60 s (80% of one core), RSS grew 13MiB → 140MiB.',
    ]);
  });

  it('a phase not sampled says so; no samples at all says the values are unknown', () => {
    const r = withServerProcess();
    r.serverProcess!.phases.push(phase('recovery', 0, 0, null));
    expect(serverProcessSentences(r)[0]).toContain('; recovery: not sampled.');
    r.serverProcess!.samples = [];
    expect(serverProcessSentences(r)).toEqual([
      'Server process (node, pid 4242, 0 samples of its process tree): /proc could not be read; its CPU and memory are unknown.',
    ]);
  });

  it('nothing when evbench did not start the server', () => {
    const r = fixtureRecord();
    expect(serverProcessSentences(r)).toEqual([]);
    expect(renderSummary(r)).not.toContain('Server process');
    expect(renderMarkdown(r)).not.toContain('Server process');
    expect(serverProcessLatest(r)).toBeUndefined();
  });

  it('the summary, Markdown and HTML say it, the command name escaped for each', () => {
    const r = withServerProcess('<b>x</b>\u001b[2J');
    expect(renderSummary(r)).toMatch(/Server process \(<b>x<\/b>\\x1b\[2J, pid 4242.*RSS grew 13MiB → 140MiB/);
    expect(renderMarkdown(r)).toMatch(/Server process \(&lt;b&gt;x&lt;\/b&gt;.*RSS grew 13MiB → 140MiB/);
    expect(renderHtml(r)).toMatch(/<p>Server process \(&lt;b&gt;x&lt;\/b&gt;.*RSS grew 13MiB → 140MiB/);
    expect(serverProcessLatest(r)).toBe('server process: CPU 80% of one core, RSS 140MiB, 1 process');
  });
});
