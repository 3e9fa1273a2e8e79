// What the server under test cost (`run --server-cmd`), in words, written once for every renderer:
// its peak memory and, phase by phase, its CPU and whether its memory grew ("RSS grew 12 → 140 MiB
// in stress" is a finding: a stalled client's queue held by the server).
import type { RunRecord, ServerProcessPhase } from '../record/schema.js';
import { formatBytes } from '../util/units.js';

/** Growth within a phase worth a sentence: this much, and a tenth of what it started from. */
const GROWTH_BYTES = 4 * 1024 * 1024;

/** Whether a phase's resident memory grew beyond noise. */
export function rssGrew(p: ServerProcessPhase): boolean {
  if (p.rssStartBytes === null || p.rssPeakBytes === null) return false;
  const grew = p.rssPeakBytes - p.rssStartBytes;
  return grew >= GROWTH_BYTES && grew >= p.rssStartBytes / 10;
}

function phaseText(p: ServerProcessPhase): string {
  if (p.cpuSeconds === null) return `${p.phase}: not sampled`;
  const cpu = `CPU ${p.cpuSeconds.toFixed(2)} s (${p.cpuPct ?? '?'}% of one core)`;
  const rss = rssGrew(p)
    ? `RSS grew ${formatBytes(p.rssStartBytes!)} → ${formatBytes(p.rssPeakBytes!)}`
    : `RSS peak ${p.rssPeakBytes === null ? '?' : formatBytes(p.rssPeakBytes)}`;
  return `${p.phase}: ${cpu}, ${rss}`;
}

/** Plain-text sentences (renderers escape and decorate); empty when evbench did not start the server. */
export function serverProcessSentences(record: RunRecord): string[] {
  const s = record.serverProcess;
  if (!s) return [];
  const head = `Server process (${s.command}, pid ${s.pid}, ${s.samples.length} samples of its process tree)`;
  if (s.samples.length === 0) return [`${head}: /proc could not be read; its CPU and memory are unknown.`];
  const peak = s.peakRssBytes === null ? '' : `: peak RSS ${formatBytes(s.peakRssBytes)}`;
  return [`${head}${peak}; ${s.phases.map(phaseText).join('; ')}.`];
}

/** The newest sample in one line, for a live view ("server: CPU 43% of one core, RSS 140MiB"). */
export function serverProcessLatest(record: RunRecord): string | undefined {
  const last = record.serverProcess?.samples.at(-1);
  if (!last) return undefined;
  return `server process: CPU ${last.cpuPct === null ? '?' : `${last.cpuPct}%`} of one core, RSS ${formatBytes(last.rssBytes)}, ${last.processes} process${last.processes === 1 ? '' : 'es'}`;
}
