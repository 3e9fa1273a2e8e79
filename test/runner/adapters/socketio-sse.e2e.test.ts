// The socketio and sse adapters against the real servers: the `socket.io` package, a plain Node
// `http` SSE endpoint and the better-sse library (examples/), through the CLI as a user runs it.
// Each slow-client run asserts the verdict that server deserves; a run that comes out `invalid`
// (a starved generator on a busy machine) must still never be the wrong verdict.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killAll, runCli } from '../../support/cli.js';
import { socketIoServer } from '../../../examples/socketio-server.mjs';
import { betterSseServer, plainSseServer } from '../../../examples/sse-servers.mjs';
import type { RunRecord } from '../../../src/record/schema.js';
import { exitFor, HEALTHY_VERDICTS } from '../../support/runOutcome.js';
import { tempDir } from '../../support/tempDir.js';

const tmp = tempDir('sio-sse');
let server: { close(): Promise<void> } | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
afterAll(killAll);

const fields = ['--id-field', 'id', '--time-field', 'ts', '--time-unit', 'ms', '--out', tmp, '--json'];
const group = (r: RunRecord, name: string) => r.groups.find((g) => g.name === name)!;
/** The exit code a run must have: `expected`, unless it was not a result (a starved generator on a busy machine: 4, said loudly). */

/**
 * A server that never waits on a socket deserves `none` (or `invalid` on a starved machine), never
 * hol or disconnect. The slow-client scenario's own `hol: index<3` threshold reads the p99 ratio
 * without the noise floor, so a verdict of `none` may still exit 1 on that threshold alone.
 */
function expectFastClientsUnharmed(r: { code: number | null; stdout: string; stderr: string }): RunRecord {
  const rec = JSON.parse(r.stdout) as RunRecord;
  expect(HEALTHY_VERDICTS, rec.hol.summary).toContain(rec.hol.verdict);
  const failed = rec.thresholds.filter((t) => t.judged !== false && !t.passed).map((t) => t.threshold);
  const onlyIndex = failed.length > 0 && failed.every((s) => /index</.test(s));
  expect(r.code, r.stderr).toBe(exitFor(rec, onlyIndex ? 1 : 0));
  const fast = group(rec, 'fast');
  expect(fast.phases.stress!.missing).toBe(0);
  expect(fast.phases.stress!.delivered).toBeGreaterThan(1000);
  expect(fast.clientResults.every((c) => c.closedByServer === null)).toBe(true);
  return rec;
}

describe('socketio adapter against socket.io', () => {
  it('server emits to a room; a stalled socket does not hold up the others (verdict none), and is dropped by the ping timeout', async () => {
    // short heartbeats, so that a client that answers no ping is seen to be dropped within the run
    const s = await socketIoServer({ rate: 500, payloadBytes: 1024, pingInterval: 1000, pingTimeout: 1000 });
    server = s;
    const r = await runCli(
      [
        'run',
        'slow-client',
        '--duration',
        '10s',
        '--target',
        s.url,
        '--adapter',
        'socketio',
        '--topic',
        'event',
        '--publish',
        'server',
        ...fields,
      ],
      90_000,
    );
    const rec = expectFastClientsUnharmed(r);
    expect(rec.target.adapter).toBe('socketio');
    // fast clients answered every ping (they are still connected, above); the stalled one answered none
    const stalled = group(rec, 'stalled');
    expect(stalled.phases.stress!.missing).toBeGreaterThan(0);
    expect(stalled.clientResults.every((c) => c.delivered < 500)).toBe(true);
    // the server's side: the slow sockets (stalled, trickle) missed their pongs and were let go; no fast one was
    const timedOut = s.disconnects.filter(([reason]) => reason === 'ping timeout');
    expect(timedOut.length, JSON.stringify(s.disconnects)).toBeGreaterThanOrEqual(1);
    expect(timedOut.length, JSON.stringify(s.disconnects)).toBeLessThanOrEqual(2);
  });

  it('evbench emits through a relaying namespace (publish ws): verdict none, nothing missing', async () => {
    const s = await socketIoServer({ rate: 0, namespace: '/feed' });
    server = s;
    const r = await runCli(
      [
        'run',
        'slow-client',
        '--duration',
        '10s',
        '--rate',
        '500',
        '--payload',
        '1024',
        '--target',
        s.url,
        '--adapter',
        'socketio',
        '--topic',
        'tick',
        '--publish',
        'ws',
        ...fields,
      ],
      90_000,
    );
    const rec = expectFastClientsUnharmed(r);
    expect(rec.target.url).toContain('/socket.io/');
    expect(group(rec, 'fast').phases.baseline!.missing).toBe(0);
  });

  /** 500 events/s emitted by evbench through the relay, 4 fast clients, 2 catch-up clients 1000 events behind. */
  const recoveryScenario = (url: string): string =>
    JSON.stringify({
      name: 'socketio-catch-up',
      target: { url, adapter: 'socketio', generic: { idField: 'id', timeField: 'ts', timeUnit: 'ms', publish: 'ws', topic: 'event' } },
      publisher: { rate: 500, payloadBytes: 200 },
      groups: [
        { name: 'fast', kind: 'fast', count: 4 },
        { name: 'replay', kind: 'catchup', count: 2, backlog: 1000, phases: ['stress'] },
      ],
      phases: [
        { name: 'warmup', duration: '1s' },
        { name: 'baseline', duration: '3s' },
        { name: 'stress', duration: '5s' },
        { name: 'recovery', duration: '1s' },
      ],
      thresholds: { 'missing{group:fast}': ['count==0'] },
    });

  it('catch-up by connection state recovery: a dropped session gets every event it missed, in order', async () => {
    const s = await socketIoServer({ rate: 0, recovery: true });
    server = s;
    const file = join(tmp, 'socketio-catch-up.json');
    writeFileSync(file, recoveryScenario(s.url));
    const r = await runCli(['run', file, '--out', tmp, '--json'], 90_000);
    const rec = JSON.parse(r.stdout) as RunRecord;
    expect(HEALTHY_VERDICTS, rec.hol.summary).toContain(rec.hol.verdict);
    expect(r.code, r.stderr).toBe(exitFor(rec, 0));
    const replay = group(rec, 'replay');
    expect(replay.replay!.expected).toBe(2 * 1000);
    expect(replay.phases.stress!.missing).toBe(0);
    expect(replay.replay!.missing).toBe(0);
    expect(replay.replay!.duplicates).toBe(0);
    expect(replay.replay!.outOfOrder).toBe(0);
  });

  it('catch-up against a server with recovery off: the backlog is owed and shown missing, not forgotten', async () => {
    const s = await socketIoServer({ rate: 0, recovery: false });
    server = s;
    const file = join(tmp, 'socketio-no-recovery.json');
    writeFileSync(file, recoveryScenario(s.url));
    const r = await runCli(['run', file, '--out', tmp, '--json'], 90_000);
    const rec = JSON.parse(r.stdout) as RunRecord;
    const replay = group(rec, 'replay');
    expect(replay.replay!.expected).toBe(2 * 1000);
    expect(replay.replay!.received).toBe(0);
    expect(replay.replay!.missing).toBe(2 * 1000);
  });

  it('a target that is not Socket.IO fails at once with exit 3', async () => {
    const s = await plainSseServer({ rate: 0 });
    server = s;
    const r = await runCli(
      ['run', 'slow-client', '--duration', '10s', '--target', s.url, '--adapter', 'socketio', '--publish', 'server', ...fields],
      30_000,
    );
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /target refused the websocket upgrade: ws:\/\/127\.0\.0\.1:\d+\/socket\.io\/\?EIO=4&transport=websocket: HTTP 404/,
    );
  });
});

describe('sse adapter', () => {
  it('a plain Node http endpoint (res.write): the stalled reader is buffered for, not waited on (verdict none)', async () => {
    const s = await plainSseServer({ rate: 500, payloadBytes: 1024 });
    server = s;
    const r = await runCli(
      ['run', 'slow-client', '--duration', '10s', '--target', s.url, '--adapter', 'sse', '--publish', 'server', ...fields],
      90_000,
    );
    const rec = expectFastClientsUnharmed(r);
    expect(rec.target.adapter).toBe('sse');
    expect(group(rec, 'stalled').phases.stress!.missing).toBeGreaterThan(0);
    expect(group(rec, 'trickle').phases.stress!.delivered).toBeLessThan(group(rec, 'fast').phases.stress!.delivered / 10);
  });

  it('better-sse channel broadcast: verdict none', async () => {
    const s = await betterSseServer({ rate: 500, payloadBytes: 1024 });
    server = s;
    const r = await runCli(
      ['run', 'slow-client', '--duration', '10s', '--target', s.url, '--adapter', 'sse', '--publish', 'server', ...fields],
      90_000,
    );
    expectFastClientsUnharmed(r);
  });

  it('catch-up with Last-Event-ID from the bounded history: the replay misses nothing, in order', async () => {
    const s = await plainSseServer({ rate: 0 });
    server = s;
    const file = join(tmp, 'sse-catch-up.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'sse-catch-up',
        target: {
          url: s.url,
          adapter: 'sse',
          generic: { idField: 'id', timeField: 'ts', timeUnit: 'ms', publish: `http:${s.publishUrl}` },
        },
        publisher: { rate: 200, payloadBytes: 200, prefill: 2000 },
        groups: [
          { name: 'fast', kind: 'fast', count: 4 },
          { name: 'replay', kind: 'catchup', count: 2, backlog: 2000, phases: ['stress'] },
        ],
        phases: [
          { name: 'warmup', duration: '1s' },
          { name: 'baseline', duration: '3s' },
          { name: 'stress', duration: '4s' },
          { name: 'recovery', duration: '1s' },
        ],
        thresholds: { 'missing{group:fast}': ['count==0'] },
      }),
    );
    const r = await runCli(['run', file, '--out', tmp, '--json'], 90_000);
    const rec = JSON.parse(r.stdout) as RunRecord;
    expect(r.code, r.stderr).toBe(exitFor(rec, 0));
    const replay = group(rec, 'replay');
    expect(replay.replay!.expected).toBeGreaterThan(2 * 1500);
    expect(replay.phases.stress!.missing).toBe(0);
    if (rec.hol.verdict === 'invalid') return;
    expect(replay.replay!.missing).toBe(0);
    expect(replay.replay!.duplicates).toBe(0);
    expect(replay.replay!.timeToLiveUsMax).not.toBeNull();
  });
});
