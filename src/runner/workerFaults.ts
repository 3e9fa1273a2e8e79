// Fault injection for the runner's own tests (EVBENCH_FAULT=client-worker-crash): the first client
// worker throws 1.5 s after t0, so a test sees that a worker dying mid-run does not hang the run.
import type { WorkerTimers } from './workerTimers.js';

export function injectWorkerFaults(workerIndex: number, t0Us: number, timers: WorkerTimers): void {
  if (process.env.EVBENCH_FAULT === 'client-worker-crash' && workerIndex === 0) {
    timers.at(t0Us + 1_500_000, () => {
      throw new Error('injected fault: client worker crash');
    });
  }
}
