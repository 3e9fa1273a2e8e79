// Live progress on a TTY only (cli-progress): phase, elapsed, fast deliveries/s, fast p99.
import cliProgress from 'cli-progress';
import type { ProgressSnapshot } from '../runner/run.js';
import { formatUs } from '../util/units.js';
import { terminalSafe } from '../util/untrusted.js';

export interface Progress {
  update(p: ProgressSnapshot): void;
  stop(): void;
}

export function createProgress(label: string): Progress {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${terminalSafe(label, { max: 60 })} [{bar}] {percentage}% | {phase} | {elapsed}s | fast {eps} ev/s | fast p99 {p99}`,
      hideCursor: true,
      clearOnComplete: true,
      barsize: 24,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      const payload = {
        phase: terminalSafe(p.phase, { max: 40 }).padEnd(9),
        elapsed: (p.elapsedUs / 1e6).toFixed(0),
        eps: p.eventsPerSec,
        p99: formatUs(p.fastP99Us),
      };
      if (!started) {
        bar.start(Math.max(1, Math.round(p.totalUs / 1e5)), 0, payload);
        started = true;
      }
      bar.update(Math.round(p.elapsedUs / 1e5), payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
