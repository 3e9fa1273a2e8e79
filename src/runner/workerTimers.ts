// A client worker's timers on the run's clock: everything the worker does at an instant of the
// timeline (a join, a phase end, a tick) is set here, so that ending the worker clears them all.
import { nowUs } from '../clock.js';

export class WorkerTimers {
  private readonly timers: NodeJS.Timeout[] = [];

  /** Runs `fn` at `us` on the run's clock (absolute µs), or at once if that instant has passed. */
  at(us: number, fn: () => void): void {
    this.timers.push(setTimeout(fn, Math.max(0, (us - nowUs()) / 1000)));
  }

  /** Runs `fn` every `ms` until cleared; it does not keep the thread alive. */
  every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.push(t);
  }

  clear(): void {
    for (const t of this.timers) clearTimeout(t);
  }
}
