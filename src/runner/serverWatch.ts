// Scrapes the target's /metrics just before each phase ends, so the run record holds the server's
// own view as every phase left it: sends that ended in the phase, and the sends still in flight
// (a send stuck behind a stalled reader is visible only then, not in a histogram of ended sends).
import { nowUs } from '../clock.js';
import type { Timeline } from '../measurement/schedule.js';
import type { ServerPhaseScrape } from '../record/schema.js';
import { fetchMetrics, phaseScrape, snapshotMetrics, type MetricsSnapshot } from './scrape.js';

/** Scrape this long before a phase's end: at the last phase's end the clients disconnect, and with them the stuck sends. */
const BEFORE_END_US = 50_000;

export interface ServerWatch {
  /** Cancels the scrapes not yet due, waits for those under way; the phases scraped, in order. */
  stop(): Promise<ServerPhaseScrape[]>;
}

export function watchServer(
  metricsUrl: string | undefined,
  token: string | undefined,
  tl: Timeline,
  phases: { name: string }[],
): ServerWatch {
  if (metricsUrl === undefined) return { stop: async () => [] };
  // The counters of a server that ran before this run: the first phase counts only its own sends.
  const atStart = fetchMetrics(metricsUrl, token);
  const texts: (Promise<{ atUs: number; got: Awaited<ReturnType<typeof fetchMetrics>> }> | undefined)[] = phases.map(() => undefined);
  const timers = phases.map((_, i) => {
    const due = Math.max(tl.starts[i]!, tl.ends[i]! - BEFORE_END_US);
    const timer = setTimeout(
      () => {
        const atUs = nowUs() - tl.t0Us;
        texts[i] = fetchMetrics(metricsUrl, token).then((got) => ({ atUs, got }));
      },
      Math.max(0, (due - nowUs()) / 1000),
    );
    timer.unref();
    return timer;
  });
  return {
    async stop() {
      for (const t of timers) clearTimeout(t);
      const out: ServerPhaseScrape[] = [];
      const start = await atStart;
      let before: MetricsSnapshot | undefined = 'text' in start ? snapshotMetrics(start.text) : undefined;
      for (const [i, pending] of texts.entries()) {
        if (!pending) continue;
        const { atUs, got } = await pending;
        const phase = phases[i]!.name;
        if ('error' in got) {
          out.push({ phase, atUs, error: got.error });
          continue;
        }
        const now = snapshotMetrics(got.text);
        out.push(phaseScrape(phase, atUs, now, before));
        before = now;
      }
      return out;
    },
  };
}
