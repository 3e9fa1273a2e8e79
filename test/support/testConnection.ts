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

export function testConnection(s: Scenario, url: string, handshakeTimeoutMs?: number): ClientConnection {
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
  return new ClientConnection(0, ctx, new ClientAccount(rec, tl, { t0Us: tl.t0Us, rate: 1 }, () => true, nowUs()));
}
