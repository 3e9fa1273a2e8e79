// What a client worker tells a live dashboard each second: its groups' counters so far, the owed
// events that have not arrived yet (by the second they were intended in, so the dashboard can draw a
// stalled stream as it happens instead of after the phase's accounting), and each client's fate.
// Read-only: nothing here changes what the run record measures.
import { ClientAccount } from '../measurement/accounting.js';
import type { IdMap } from '../measurement/idMap.js';
import type { GroupRecorder } from '../measurement/recorder.js';
import type { ClientConnection } from './clients/connection.js';
import type { ClientResult, LiveGroup, WorkerToMain } from './threadMessages.js';
import { threadCpuUs } from '../util/threadCpu.js';

/** Owed events looked at per client per snapshot: a larger backlog is shown as a lower bound. */
const MAX_CHECKS = 100_000;
/** A connected client whose oldest owed event is this old is "still stalled". */
const STALLED_US = 1_000_000;

export class LiveSnapshots {
  private readonly ended = new Set<number>();

  constructor(
    private readonly recorders: GroupRecorder[],
    private readonly ids: IdMap,
  ) {}

  take(clients: { client: ClientConnection; group: number }[], t0Us: number, nowUs: number): Extract<WorkerToMain, { type: 'live' }> {
    const started = threadCpuUs();
    const groups: LiveGroup[] = this.recorders.map((r, group) => ({
      group,
      counters: r.phases.map((p) => ({ ...p.counters })),
      owed: [],
      oldestOwedUs: NaN,
      open: 0,
      stalled: 0,
    }));
    const owed = groups.map(() => new Map<number, [number, number, number]>());
    const ended: ClientResult[] = [];
    for (const { client: c, group } of clients) {
      const g = groups[group]!;
      const bySecond = owed[group]!;
      let oldest = NaN;
      if (c.account instanceof ClientAccount) {
        // each client's sums are kept between snapshots (a stalled one is owed more every second)
        const mine = c.account.owedSeconds(nowUs, this.ids, MAX_CHECKS, t0Us);
        oldest = mine.oldestUs;
        for (const [n, count, newestUs] of mine.bySecond.values()) {
          const s = bySecond.get(n) ?? bySecond.set(n, [n, 0, newestUs]).get(n)!;
          s[1] += count;
          if (newestUs > s[2]) s[2] = newestUs;
        }
      }
      if (!(g.oldestOwedUs <= oldest)) g.oldestOwedUs = oldest;
      if (this.ended.has(c.clientId)) continue;
      const result = c.result();
      if (result.closedByServer !== undefined || result.refused !== undefined) {
        this.ended.add(c.clientId);
        ended.push(result);
        continue;
      }
      if (c.ws ? c.ws.readyState === c.ws.OPEN : c.connectUs === c.connectUs) {
        g.open++;
        if (nowUs - oldest >= STALLED_US) g.stalled++;
      }
    }
    groups.forEach((g, i) => (g.owed = [...owed[i]!.values()].sort((a, b) => a[0] - b[0])));
    return { type: 'live', atUs: nowUs, groups, ended, tookUs: Math.round(threadCpuUs() - started) };
  }
}
