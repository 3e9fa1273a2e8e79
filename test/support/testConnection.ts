// One client connection of a scenario's first group, outside any worker: its recorder, timeline and
// account made as a client worker makes them (t0 now, a schedule of 1 event/s). Not opened.
import { nowUs } from '../../src/clock.js';
import { ClientAccount } from '../../src/measurement/accounting.js';
import { GroupRecorder } from '../../src/measurement/recorder.js';
import { timeline } from '../../src/measurement/schedule.js';
import '../../src/runner/adapters/builtins.js';
import { adapterFor } from '../../src/runner/adapters/registry.js';
import { ClientConnection, type ConnectionContext } from '../../src/runner/clients/connection.js';
import type { Scenario } from '../../src/scenario/types.js';

/** How the client is made from its parts: a fast client unless a behaviour's constructor is given. */
export type MakeClient = (id: number, ctx: ConnectionContext, account: ClientAccount) => ClientConnection;

export function testConnection(
  s: Scenario,
  url: string,
  handshakeTimeoutMs?: number,
  make: MakeClient = (id, ctx, account) => new ClientConnection(id, ctx, account),
): ClientConnection {
  const rec = new GroupRecorder(s.groups[0]!.name, s.phases.length);
  const tl = timeline(nowUs(), s.phases);
  rec.t0Us = tl.t0Us;
  const ctx: ConnectionContext = {
    url,
    group: s.groups[0]!,
    groupIndex: 0,
    rec,
    tl,
    headId: () => 0,
    adapter: adapterFor(s),
    noteNonEvent: () => {},
    handshakeTimeoutMs,
  };
  return make(0, ctx, new ClientAccount(rec, tl, { t0Us: tl.t0Us, rate: 1 }, () => true, nowUs()));
}
