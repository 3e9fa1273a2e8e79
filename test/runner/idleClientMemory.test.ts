// What an idle subscribed client costs the generator, checked structurally (no timing, no RSS): an
// open connection keeps no timer object and no closure per frame handler, clients of one group and
// user share their expectation, a worker of quiet clients gets a small young generation while busy,
// catch-up and churn workers do not, and the garbage of a connect storm is collected once it is over.
import { NO_WINDOW } from '../../src/measurement/accounting.js';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nowUs } from '../../src/clock.js';
import '../../src/runner/adapters/builtins.js';
import { QUIET_YOUNG_GENERATION_MB, youngGenerationMb } from '../../src/runner/clientWorkers.js';
import { ClientConnection } from '../../src/runner/clients/connection.js';
import { BareReadControl } from '../../src/runner/clients/transport.js';
import { collectAfterStorm, collectAndCompact, STORM_POLL_MS, v8Collect } from '../../src/runner/connectStorm.js';
import { Expectations } from '../../src/runner/expectations.js';
import type { ClientPlan } from '../../src/runner/threadMessages.js';
import { validateScenario } from '../../src/scenario/validate.js';
import type { Scenario } from '../../src/scenario/types.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { waitUntil } from '../support/referenceServer.js';
import { testConnection } from '../support/testConnection.js';

function scenario(rate: number, groups: Record<string, unknown>[]): Scenario {
  const { scenario: s, errors } = validateScenario(
    {
      name: 'idle',
      target: { url: 'ws://127.0.0.1:1/websocket', adapter: 'evbench' },
      publisher: { rate, payloadBytes: 200 },
      groups,
      phases: [
        { name: 'baseline', duration: '10s' },
        { name: 'stress', duration: '10s' },
      ],
    },
    'test',
  );
  if (!s) throw new Error(errors.map((e) => `${e.path}: ${e.message}`).join('; '));
  return s;
}

const plans = (n: number, group = 0): ClientPlan[] => Array.from({ length: n }, (_, clientId) => ({ clientId, group, user: -1 }));

describe('young generation of a client worker', () => {
  it('is small for a worker of quiet clients (10,000 idle clients at 1 event/s)', () => {
    expect(youngGenerationMb(scenario(1, [{ name: 'fast', kind: 'fast', count: 10_000 }]), plans(10_000))).toBe(QUIET_YOUNG_GENERATION_MB);
  });

  it("is V8's default for a busy worker, a catch-up worker and a churning one", () => {
    expect(youngGenerationMb(scenario(3000, [{ name: 'fast', kind: 'fast', count: 100 }]), plans(100))).toBeUndefined();
    const fast = { name: 'fast', kind: 'fast', count: 1 };
    const catchup = scenario(1, [fast, { name: 'replay', kind: 'catchup', count: 1, backlog: 1000 }]);
    expect(youngGenerationMb(catchup, plans(1, 1))).toBeUndefined();
    const churn = scenario(1, [fast, { name: 'churn', kind: 'churn', count: 10, connectsPerSecond: 10 }]);
    expect(youngGenerationMb(churn, plans(10, 1))).toBeUndefined();
    expect(youngGenerationMb(churn, plans(10, 0)), 'the same scenario, a worker of its fast clients').toBe(QUIET_YOUNG_GENERATION_MB);
  });
});

describe('an idle connection', () => {
  let server: RunningServer | undefined;
  let silent: Server | undefined;
  const sockets: Socket[] = [];
  const clients: ClientConnection[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.leave(nowUs());
    for (const s of sockets.splice(0)) s.destroy();
    await server?.close();
    await new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve()));
    server = undefined;
    silent = undefined;
  });

  function client(url: string, handshakeTimeoutMs?: number): ClientConnection {
    const c = testConnection(scenario(1, [{ name: 'fast', kind: 'fast', count: 1 }]), url, handshakeTimeoutMs);
    clients.push(c);
    c.open();
    return c;
  }

  it('keeps no timer once it is open and subscribed (ws handshakeTimeout left one on every socket)', async () => {
    server = await startServer({ port: 0 });
    const c = client(server.url);
    await waitUntil(() => c.account.windowStartId !== NO_WINDOW, 'the subscribe ack');
    const socket = c.socket()!;
    const timerSymbol = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'timeout');
    expect(timerSymbol, 'net.Socket keeps its timer under Symbol(timeout)').toBeDefined();
    expect((socket as unknown as Record<symbol, unknown>)[timerSymbol!] ?? null).toBeNull();
    expect((c as unknown as { handshakeTimer?: unknown }).handshakeTimer).toBeUndefined();
  });

  it('holds no function of its own: the frame reader calls its methods, and its read control is a class', async () => {
    server = await startServer({ port: 0 });
    const c = client(server.url);
    await waitUntil(() => c.account.windowStartId !== NO_WINDOW, 'the subscribe ack');
    const ownFunctions = (o: object): string[] => Object.entries(o).flatMap(([k, v]) => (typeof v === 'function' ? [k] : []));
    expect(ownFunctions(c)).toEqual([]);
    const reading = (c as unknown as { reading: BareReadControl }).reading;
    expect(reading).toBeInstanceOf(BareReadControl);
    expect(ownFunctions(reading)).toEqual([]);
    expect(ownFunctions(c.ws!), 'the bare websocket: its socket calls shared functions').toEqual([]);
    const socket = c.socket()!;
    expect(socket.listenerCount('data'), 'reads land in the reused buffer: no stream events').toBe(0);
    expect(c.ws!.listenerCount('open'), 'the open handler is gone once it ran').toBe(0);
  });

  it('a handshake that is never answered still fails as a refused connect, with the reason', async () => {
    silent = createServer((s) => sockets.push(s)); // accepts, never answers the upgrade
    await new Promise<void>((resolve) => silent!.listen(0, '127.0.0.1', () => resolve()));
    const port = (silent.address() as { port: number }).port;
    const c = client(`ws://127.0.0.1:${port}/websocket`, 100);
    await waitUntil(() => c.result().refused !== undefined, 'the handshake timeout');
    expect(c.result().refused).toBe('connect');
    expect(c.result().closeReason).toBe('Opening handshake has timed out');
    // CLOSING until the destroyed socket's 'close' arrives (as ws does), then CLOSED: it does not linger
    await waitUntil(() => c.ws!.readyState === 3, 'the socket closed after the refused handshake');
  });
});

describe('expectations', () => {
  it('are one function per group and user, shared by the clients that have both', () => {
    const s = scenario(1, [
      { name: 'fast', kind: 'fast', count: 3 },
      { name: 'updates', kind: 'fast', count: 3, eventTypes: ['update'] },
    ]);
    const e = new Expectations(s, 0);
    expect(e.of(0, -1)).toBe(e.of(0, -1));
    expect(e.of(0, 1)).toBe(e.of(0, 1));
    expect(e.of(0, 1)).not.toBe(e.of(0, 2));
    expect(e.of(1, -1)).not.toBe(e.of(0, -1));
    expect(e.of(0, -1)(0)).toBe(true);
  });
});

describe('the garbage of a connect storm', () => {
  afterEach(() => void vi.useRealTimers());

  it('is collected once, as soon as every client of the storm has connected or failed', () => {
    vi.useFakeTimers();
    let settled = false;
    const collect = vi.fn(() => Promise.resolve());
    collectAfterStorm(
      () => settled,
      () => true,
      collect,
    );
    vi.advanceTimersByTime(STORM_POLL_MS * 10);
    expect(collect).not.toHaveBeenCalled();
    settled = true;
    vi.advanceTimersByTime(STORM_POLL_MS);
    expect(collect).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(STORM_POLL_MS * 10);
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('is left alone when the storm outlasts its time (a measured phase would see the pause), or once cancelled', () => {
    vi.useFakeTimers();
    let inTime = true;
    let settled = false;
    const late = vi.fn(() => Promise.resolve());
    collectAfterStorm(
      () => settled,
      () => inTime,
      late,
    );
    vi.advanceTimersByTime(STORM_POLL_MS * 4);
    inTime = false;
    vi.advanceTimersByTime(STORM_POLL_MS);
    settled = true;
    inTime = true; // polling has stopped for good
    vi.advanceTimersByTime(STORM_POLL_MS * 10);
    expect(late).not.toHaveBeenCalled();
    const cancelled = vi.fn(() => Promise.resolve());
    const cancel = collectAfterStorm(
      () => true,
      () => true,
      cancelled,
    );
    cancel();
    vi.advanceTimersByTime(STORM_POLL_MS * 4);
    expect(cancelled).not.toHaveBeenCalled();
  });

  it("with V8's own full collection, asked for incremental; a collector that fails or is missing throws nothing", async () => {
    const gc = v8Collect()!;
    expect(typeof gc).toBe('function');
    const asked: unknown[] = [];
    await collectAndCompact((o) => (asked.push(o), gc(o)));
    expect(asked).toEqual([{ type: 'major', execution: 'async' }]);
    await expect(collectAndCompact(() => Promise.reject(new Error('no gc')))).resolves.toBeUndefined();
    await expect(collectAndCompact(undefined)).resolves.toBeUndefined();
  });

  it('two worker threads asking at once both get a collector (the flag is not turned off under the other)', async () => {
    const { Worker } = await import('node:worker_threads');
    const url = new URL('../../src/runner/connectStorm.ts', import.meta.url).href;
    const ask = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const w = new Worker(
          `import('${url.replace(/\.ts$/, '.js').replace('/src/', '/dist/')}').then((m) => require('node:worker_threads').parentPort.postMessage(typeof m.v8Collect()))`,
          { eval: true },
        );
        w.once('message', (m: string) => void w.terminate().then(() => resolve(m)));
        w.once('error', reject);
      });
    const answers = await Promise.all(Array.from({ length: 8 }, ask));
    expect(answers).toEqual(Array.from({ length: 8 }, () => 'function'));
  });
});
