// Self-observation of a runner thread: event-loop utilisation and delay, sampled each second.
// A saturated generator measures itself, so these numbers decide `generator.bound`.
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { WorkerHealth } from './threadMessages.js';

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

  stop(): void {
    this.delay.disable();
  }
}
