// permissions: server CPU per delivered event when each user may read 10 vs 10,000 groups, in
// isolated mode (a precomputed set per reader: should not grow) and legacy mode (a linear scan of
// the user's groups per event and client: should grow with the group count). CPU time is the
// serve process's utime + stime from /proc over a fixed batch of events delivered to every client.
import { PUBLISHER_TOKEN, startEvbench, type ServerProcess } from './contenders.js';
import { drive, startFleet } from './leanLoad.js';
import { cpuUs } from './procStats.js';
import { alternate, ratio, type BenchContext, type BenchResult, type Sample } from './rounds.js';

const USERS = 20;
const GROUP_COUNTS = [10, 10_000];

async function measure(server: ServerProcess, events: number): Promise<Sample> {
  const tokens = Array.from({ length: USERS }, (_, i) => `user-${i}`);
  const fleet = await startFleet(server.url, tokens, 1);
  let cpu0 = 0;
  let cpu1 = 0;
  try {
    // group-all is the last group in each user's list: the legacy scan walks all of it
    const r = await drive(server.url, PUBLISHER_TOKEN, fleet, {
      payloadBytes: 200,
      batch: 100,
      windowPerClient: 1000,
      totalEvents: events,
      timeoutMs: 180_000,
      ownerGroup: 'group-all',
      onMeasureStart: () => (cpu0 = cpuUs(server.pid)),
      onMeasureEnd: () => (cpu1 = cpuUs(server.pid)),
    });
    if (!r.complete) throw new Error(`${server.name}: ${r.deliveries} of ${events * USERS} deliveries before the timeout`);
    return { serverCpuUsPerDelivery: (cpu1 - cpu0) / r.deliveries, deliveriesPerSec: r.deliveriesPerSec, deliveries: r.deliveries };
  } finally {
    await fleet.stop();
  }
}

export async function benchPermissions(ctx: BenchContext): Promise<BenchResult> {
  const events = ctx.quick ? 300 : 10_000;
  const servers: ServerProcess[] = [];
  try {
    for (const mode of ['isolated', 'legacy'])
      for (const groups of GROUP_COUNTS)
        servers.push(
          await startEvbench(`${mode} ${groups} groups`, ['--mode', mode, '--users', String(USERS), '--groups-per-user', String(groups)]),
        );
    const results = await alternate(
      servers.map((s) => ({ name: s.name, measure: () => measure(s, events) })),
      ctx.rounds,
      ctx.log,
    );
    const m = (name: string): number => results.find((r) => r.name === name)?.median['serverCpuUsPerDelivery'] ?? NaN;
    return {
      name: 'permissions',
      what: `serve CPU µs per delivered event, ${USERS} users × 1 client each (user-<i> tokens), ${events.toLocaleString('en-US')} events owned by group-all (last in each user's list)`,
      contenders: results,
      ratios: {
        'isolated 10,000 ÷ 10 groups, CPU per delivery': ratio(m('isolated 10000 groups'), m('isolated 10 groups')),
        'legacy 10,000 ÷ 10 groups, CPU per delivery': ratio(m('legacy 10000 groups'), m('legacy 10 groups')),
      },
      params: { users: USERS, events, payloadBytes: 200, cpuClockTick: '10 ms (USER_HZ 100)' },
      notes: [],
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}
