// Self-observation of a runner thread: event-loop utilisation and delay, sampled each second.
// A saturated generator measures itself, so these numbers decide `generator.bound`.
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { WorkerHealth } from './threadMessages.js';
import { nowUs } from '../clock.js';
import { LagTicks, TICK_US } from '../measurement/ageTicks.js';

export class HealthSampler {
  private readonly delay = monitorEventLoopDelay({ resolution: 10 });
  private lastElu: EventLoopUtilization = performance.eventLoopUtilization();

  constructor() {
    this.delay.enable();
  }

  sample(): WorkerHealth {
    const elu = performance.eventLoopUtilization(this.lastElu);
    this.lastElu = performance.eventLoopUtilization();
    // the monitor's resolution (10 ms) is included in every sample: subtract it
    const p99 = Math.max(0, this.delay.percentile(99) / 1000 - 10_000);
    const max = Math.max(0, this.delay.max / 1000 - 10_000);
    this.delay.reset();
    return { elu: Math.round(elu.utilization * 1000) / 1000, loopDelayP99Us: Math.round(p99), loopDelayMaxUs: Math.round(max) };
  }

  private lag?: LagTicks;
  private lagTimer?: NodeJS.Timeout;

  /**
   * This thread's own lateness every tick of the run: a timer due every tick, and how late it fired.
   * A late firing explains the ticks it skipped; a timer's own millisecond jitter is no lag.
   */
  watchLag(t0Us: number, endUs: number): void {
    const lag = (this.lag = new LagTicks(t0Us, endUs));
    let dueUs = nowUs() + TICK_US;
    this.lagTimer = setInterval(() => {
      const now = nowUs();
      if (now - dueUs > LAG_JITTER_US) lag.late(dueUs, now);
      dueUs = now + TICK_US;
    }, TICK_US / 1000);
    this.lagTimer.unref();
  }

  /** The lateness per tick so far (undefined when not watched). */
  lagTicks(): Uint32Array | undefined {
    return this.lag?.lag;
  }

  stop(): void {
    this.delay.disable();
    clearInterval(this.lagTimer);
  }
}

/** A timer firing this much late is only timer jitter. */
const LAG_JITTER_US = 2_000;
