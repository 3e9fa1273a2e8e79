// What the server under test costs while it runs (`run --server-cmd`): its process tree's CPU and
// resident memory, read from /proc once a second (and at each phase's bounds) on the runner's main
// thread, and summed up per phase for the record. One sample is one listing of /proc: cheap, and it
// never throws (a sample that cannot be read is skipped).
import { nowUs } from '../clock.js';
import type { ServerProcessPhase, ServerProcessRecord, ServerProcessSample } from '../record/schema.js';
import { treeUsage, type TreeUsage } from '../util/procTree.js';
import { RECORD_LIMITS } from '../record/validateRecord.js';

/** A sample on the shared clock (µs since the epoch), before t0 is known. */
export interface RawProcessSample extends TreeUsage {
  atUs: number;
  cpuPct: number | null;
}

/** How long before a phase's bound its sample is taken: more than a timer on a busy machine fires late. */
const BOUND_LEAD_MS = 50;

export class ServerProcessSampler {
  private readonly raw: RawProcessSample[] = [];
  private timer?: NodeJS.Timeout;
  private readonly marks: NodeJS.Timeout[] = [];

  /** `onGone`: called once when no process of the tree is left (the server died under the run). */
  constructor(
    readonly pid: number,
    private onGone?: () => void,
    private readonly read: (pid: number) => TreeUsage | undefined = treeUsage,
  ) {}

  start(everyMs = 1000): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  /**
   * One more sample just before each of these moments (µs on the shared clock): the phases' bounds.
   * Just before, so a timer that fires late still counts as the ending phase's last sample (its
   * peak) and the next one's start, not as a sample inside the next phase.
   */
  sampleAt(momentsUs: number[]): void {
    for (const at of momentsUs) {
      const t = setTimeout(() => this.sample(), Math.max(0, (at - nowUs()) / 1000 - BOUND_LEAD_MS));
      t.unref();
      this.marks.push(t);
    }
  }

  sample(): void {
    if (this.raw.length >= RECORD_LIMITS.processSamples) return;
    let usage: TreeUsage | undefined;
    try {
      usage = this.read(this.pid);
    } catch {
      usage = undefined;
    }
    if (!usage) return;
    const atUs = nowUs();
    const last = this.raw.at(-1);
    // a member reaped by init takes its CPU time with it: the total never goes back
    const cpuSeconds = Math.max(usage.cpuSeconds, last?.cpuSeconds ?? 0);
    const dtS = last ? (atUs - last.atUs) / 1e6 : 0;
    // samples closer than 50 ms (a phase bound beside a tick) say nothing about a rate
    const cpuPct = last && dtS >= 0.05 ? Math.round(((cpuSeconds - last.cpuSeconds) / dtS) * 1000) / 10 : null;
    this.raw.push({ ...usage, cpuSeconds, atUs, cpuPct });
    if (usage.processes === 0 && this.onGone) {
      const gone = this.onGone;
      this.onGone = undefined;
      gone();
    }
  }

  /** The newest sample (for a live view). */
  latest(): RawProcessSample | undefined {
    return this.raw.at(-1);
  }

  /** Takes a last sample and stops. */
  stop(): void {
    clearInterval(this.timer);
    for (const t of this.marks) clearTimeout(t);
    if (this.timer !== undefined) this.sample();
    this.timer = undefined;
  }

  samples(): readonly RawProcessSample[] {
    return this.raw;
  }
}

/** The cumulative CPU at `atUs`, interpolated between the samples around it (clamped to the first and last). */
function cpuAt(samples: readonly RawProcessSample[], atUs: number): number {
  const after = samples.findIndex((s) => s.atUs >= atUs);
  if (after < 0) return samples.at(-1)!.cpuSeconds;
  if (after === 0) return samples[0]!.cpuSeconds;
  const a = samples[after - 1]!;
  const b = samples[after]!;
  return a.cpuSeconds + ((b.cpuSeconds - a.cpuSeconds) * (atUs - a.atUs)) / (b.atUs - a.atUs);
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** The record's part: samples on the run's clock (µs since t0) and each phase's CPU and memory. */
export function summarizeServerProcess(
  command: string,
  pid: number,
  samples: readonly RawProcessSample[],
  t0Us: number,
  phases: readonly { name: string; startUs: number; durationUs: number }[],
): ServerProcessRecord {
  const out: ServerProcessSample[] = samples.map((s) => ({
    tUs: s.atUs - t0Us,
    cpuSeconds: round3(s.cpuSeconds),
    cpuPct: s.cpuPct,
    rssBytes: s.rssBytes,
    processes: s.processes,
  }));
  const byPhase = phases.map((p): ServerProcessPhase => {
    const start = t0Us + p.startUs;
    const end = start + p.durationUs;
    const empty = { phase: p.name, cpuSeconds: null, cpuPct: null, rssStartBytes: null, rssPeakBytes: null, rssEndBytes: null };
    if (samples.length === 0) return empty;
    const first = samples[0]!.atUs;
    const last = samples.at(-1)!.atUs;
    const covered = Math.min(end, last) - Math.max(start, first);
    if (covered <= 0) return empty;
    const cpuSeconds = cpuAt(samples, end) - cpuAt(samples, start);
    const before = samples.filter((s) => s.atUs <= start).at(-1) ?? samples[0]!;
    const within = samples.filter((s) => s.atUs >= start && s.atUs <= end);
    const atEnd = samples.filter((s) => s.atUs <= end).at(-1)!;
    return {
      phase: p.name,
      cpuSeconds: round3(cpuSeconds),
      cpuPct: Math.round((cpuSeconds / (covered / 1e6)) * 1000) / 10,
      rssStartBytes: before.rssBytes,
      rssPeakBytes: within.reduce((a, s) => Math.max(a, s.rssBytes), before.rssBytes),
      rssEndBytes: atEnd.rssBytes,
    };
  });
  return {
    command,
    pid,
    samples: out,
    peakRssBytes: out.length > 0 ? out.reduce((a, s) => Math.max(a, s.rssBytes), 0) : null,
    phases: byPhase,
  };
}
