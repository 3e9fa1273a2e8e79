// The runner's own message budget is the runner's limit, not the server's doing: a client it fails
// is never "closed by the server", the run says the runner limited it (not a result), and the
// verdict's disconnect count leaves it out. A fault the server caused (a frame no server may send)
// still counts as the server's close.
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { nowUs } from '../../../src/clock.js';
import { ClientAccount } from '../../../src/measurement/accounting.js';
import { GroupRecorder } from '../../../src/measurement/recorder.js';
import { timeline } from '../../../src/measurement/schedule.js';
import '../../../src/runner/adapters/builtins.js';
import { adapterFor } from '../../../src/runner/adapters/registry.js';
import { ClientConnection, type ConnectionContext } from '../../../src/runner/clients/connection.js';
import { budgetLimitedReason, threadBudget } from '../../../src/runner/clients/messageBudget.js';
import { validateScenario } from '../../../src/scenario/validate.js';
import type { GroupResult } from '../../../src/record/schema.js';
import { disconnects } from '../../../src/verdict/hol.js';
import { waitUntil } from '../../support/referenceServer.js';

const servers: WebSocketServer[] = [];
const clients: ClientConnection[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.leave(nowUs());
  for (const s of servers.splice(0)) {
    for (const ws of s.clients) ws.terminate();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

/** A websocket server that does `onConnection` to each client once it is open. */
async function wsServer(onConnection: (ws: WebSocket) => void): Promise<string> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  servers.push(wss);
  await new Promise<void>((r) => wss.once('listening', () => r()));
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    onConnection(ws);
  });
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/websocket`;
}

function client(url: string): { c: ClientConnection; rec: GroupRecorder } {
  const { scenario: s } = validateScenario(
    {
      name: 'budget',
      target: { url, adapter: 'evbench' },
      publisher: { rate: 1, payloadBytes: 200 },
      groups: [{ name: 'fast', kind: 'fast', count: 1 }],
      phases: [
        { name: 'baseline', duration: '10s' },
        { name: 'stress', duration: '10s' },
      ],
    },
    'test',
  );
  const rec = new GroupRecorder('fast', s!.phases.length);
  const tl = timeline(nowUs(), s!.phases);
  rec.t0Us = tl.t0Us;
  const ctx: ConnectionContext = {
    url,
    group: s!.groups[0]!,
    groupIndex: 0,
    rec,
    tl,
    headId: () => 0,
    adapter: adapterFor(s!),
    noteNonEvent: () => {},
  };
  const c = new ClientConnection(0, ctx, new ClientAccount(rec, tl, { t0Us: tl.t0Us, rate: 1 }, () => true, nowUs()));
  clients.push(c);
  c.open();
  return { c, rec };
}

const closes = (rec: GroupRecorder): number => rec.phases.reduce((n, p) => n + p.counters.serverCloses + p.counters.slowCloses, 0);

describe("a client failed by the runner's own message budget", () => {
  it('is not closed by the server: no close code, no server close counted, the fault recorded', async () => {
    const spare = 1024;
    const taken = threadBudget.limit - threadBudget.held - spare; // the thread's other clients hold all but 1 KiB
    threadBudget.held += taken;
    try {
      const url = await wsServer((ws) => ws.send(Buffer.alloc(4 << 20, 120).toString()));
      const { c, rec } = client(url);
      await waitUntil(() => c.result().closeReason !== undefined, 'the client to be failed');
      const r = c.result();
      expect(r.frameFaults).toEqual({ worker_budget_exceeded: 1 });
      expect(r.closeReason).toMatch(/^failed by the runner: .*budget/);
      expect(r.closedByServer).toBeUndefined();
      expect(c.endedByServerAtUs()).toBeUndefined();
      await new Promise((resolve) => setTimeout(resolve, 100)); // the close that follows the runner's own termination
      expect(c.result().closedByServer).toBeUndefined();
      expect(closes(rec)).toBe(0);
      expect(budgetLimitedReason([r])).toMatch(/^the runner's message budget limited the run: it failed 1 client\(s\) itself/);
    } finally {
      threadBudget.held -= taken;
    }
  });

  it('while a frame no server may send (reserved bits) is still the server closing it', async () => {
    const url = await wsServer((ws) => (ws as unknown as { _socket: Socket })._socket.write(Buffer.from([0xc1, 0x01, 0x41])));
    const { c, rec } = client(url);
    await waitUntil(() => c.result().closedByServer !== undefined, 'the close');
    expect(c.result().frameFaults).toEqual({ reserved_bits: 1 });
    expect(c.result().closedByServer).toBe(1002);
    expect(c.endedByServerAtUs()).toBeDefined();
    expect(closes(rec)).toBe(1);
    expect(budgetLimitedReason([c.result()])).toBeUndefined();
  });
});

describe('the disconnect count', () => {
  const fast = (results: GroupResult['clientResults']): GroupResult[] => [
    { name: 'fast', kind: 'fast', clients: results.length, phases: {}, clientResults: results },
  ];
  const base = { id: 0, delivered: 0, missing: 0, duplicates: 0, outOfOrder: 0, lateArrivals: 0, maxStallUs: 0, connectUs: 1, ackUs: 1 };

  it("leaves out a client the runner's budget failed (a record that says 1009 for it, too)", () => {
    expect(disconnects(fast([{ ...base, closedByServer: 1009, frameFaults: { worker_budget_exceeded: 1 } }])).count).toBe(0);
    expect(disconnects(fast([{ ...base, closedByServer: null, frameFaults: { worker_budget_exceeded: 1 } }])).count).toBe(0);
  });

  it('counts a 1009 the server caused (a message over the limit)', () => {
    const d = disconnects(fast([{ ...base, closedByServer: 1009, frameFaults: { message_too_large: 1 } }]));
    expect(d.count).toBe(1);
    expect(d.deliberate).toBe(1);
  });
});
