// The mqtt adapter's MQTT 5 and its catch-up by persistent session against a real mosquitto
// (Debian's, which .ci/run installs), started on loopback ports by examples/brokers.mjs with the
// queue limit the catch-up needs in its mosquitto.conf.
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { generate, parser, type Packet } from 'mqtt-packet';
import { killAll, runCli } from '../../support/cli.js';
import { exitFor, group, record, stoppedAfterEach, HEALTHY_VERDICTS } from '../../support/runOutcome.js';
import { findBinary, mqttPublisher, startMosquitto } from '../../../examples/brokers.mjs';
import type { RunRecord } from '../../../src/record/schema.js';
import { relayScenario } from '../../support/relayScenario.js';
import { tempDir } from '../../support/tempDir.js';

const tmp = tempDir('mqtt');
const hasMosquitto = findBinary('mosquitto') !== undefined;
if (!hasMosquitto)
  console.warn('!!! mosquitto is not installed: the MQTT e2e tests are SKIPPED (apt-get install mosquitto; .ci/run installs it) !!!');

const stops = stoppedAfterEach();
afterAll(killAll);

const fields = ['--topic', 'events', '--id-field', 'id', '--time-field', 'ts', '--time-unit', 'ms', '--out', tmp, '--json'];

/** Above the backlog: mosquitto's default (1000 per client) would drop most of it. */
const QUEUE = 'max_queued_messages 10000\n';
const BACKLOG = 2000;

/** 500 events/s, 4 fast subscribers, 2 catch-up clients that stay away for BACKLOG events (4 s) during stress (at most half the rest of it). */
function catchUpScenario(name: string, target: object): string {
  const file = join(tmp, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      name,
      target,
      publisher: { rate: 500, payloadBytes: 200 },
      groups: [
        { name: 'fast', kind: 'fast', count: 4 },
        { name: 'replay', kind: 'catchup', count: 2, backlog: BACKLOG, phases: ['stress'] },
      ],
      phases: [
        { name: 'warmup', duration: '1s' },
        { name: 'baseline', duration: '3s' },
        { name: 'stress', duration: '14s' },
        { name: 'recovery', duration: '1s' },
      ],
      thresholds: { 'missing{group:fast}': ['count==0'] },
    }),
  );
  return file;
}

const generic = (extra: object) => ({ idField: 'id', timeField: 'ts', timeUnit: 'ms', topic: 'events', ...extra });

/** The catch-up clients got every event owed: the queued backlog in order, once, then live. */
function expectCaughtUp(r: { stdout: string; stderr: string; code: number | null }): RunRecord {
  const rec = record(r);
  // a slow catch-up or a queue that fails fast clients would be `hol`/`disconnect`: never right here
  expect(HEALTHY_VERDICTS, rec.hol.summary).toContain(rec.hol.verdict);
  expect(r.code, r.stderr).toBe(exitFor(rec, 0));
  const replay = group(rec, 'replay');
  // owed: the backlog (less, had a busy machine left the first session so late that half the rest of the phase publishes less)
  expect(replay.replay!.expected).toBeLessThanOrEqual(2 * BACKLOG);
  expect(replay.replay!.expected).toBeGreaterThan(2 * 1000);
  expect(replay.replay!.received).toBe(replay.replay!.expected);
  expect(replay.replay!.missing).toBe(0);
  expect(replay.replay!.duplicates).toBe(0);
  expect(replay.replay!.outOfOrder).toBe(0);
  expect(replay.phases.stress!.missing).toBe(0);
  expect(replay.phases.stress!.delivered).toBeGreaterThan(0); // live after the replay
  expect(group(rec, 'fast').phases.stress!.missing).toBe(0);
  return rec;
}

describe('mqtt catch-up by persistent session (mosquitto)', () => {
  it.skipIf(!hasMosquitto)('3.1.1, clean session 0, evbench publishes at QoS 1: the queued backlog arrives whole, then live', async () => {
    const broker = await startMosquitto({ config: QUEUE });
    stops.push(broker.stop);
    const file = catchUpScenario('mqtt-catch-up-311', { url: broker.url, adapter: 'mqtt', generic: generic({ publish: 'ws', qos: 1 }) });
    const r = await runCli(['run', file, '--out', tmp, '--json'], 90_000);
    expectCaughtUp(r);
    expect(broker.log()).toMatch(/as evbench-[0-9a-f]{8}-\d+ \(p2, c0, k10\)/); // the catch-up client: clean session 0
    expect(record(r).target.protocol).toBe('MQTT 3.1.1, QoS 1');
  });

  it.skipIf(!hasMosquitto)('5, clean start + session expiry, the broker emits its own stream at QoS 1: nothing missing', async () => {
    const broker = await startMosquitto({ config: QUEUE });
    stops.push(broker.stop);
    const pub = await mqttPublisher({ port: broker.port, rate: 500, payloadBytes: 200, qos: 1 });
    stops.push(pub.stop);
    const file = catchUpScenario('mqtt-catch-up-5', {
      url: broker.url,
      adapter: 'mqtt',
      generic: generic({ publish: 'server', qos: 1, mqttVersion: '5' }),
    });
    const r = await runCli(['run', file, '--out', tmp, '--json'], 90_000);
    expectCaughtUp(r);
    expect(broker.log()).toMatch(/as evbench-[0-9a-f]{8}-\d+ \(p5, c0, k10\)/); // resumed: clean start 0
    expect(record(r).target.protocol).toBe('MQTT 5, QoS 1');
  });

  it.skipIf(!hasMosquitto)(
    "mosquitto's default queue (1000 messages) is smaller than the backlog: the rest is missing, and said",
    async () => {
      const broker = await startMosquitto();
      stops.push(broker.stop);
      const file = catchUpScenario('mqtt-catch-up-queue', {
        url: broker.url,
        adapter: 'mqtt',
        generic: generic({ publish: 'ws', qos: 1 }),
      });
      const r = await runCli(['run', file, '--out', tmp, '--json'], 90_000);
      const rec = record(r);
      expect(rec.hol.verdict, rec.hol.summary).not.toBe('hol');
      const replay = group(rec, 'replay').replay!;
      expect(replay.expected).toBeGreaterThan(2 * 1500); // well over what the queue holds
      // what the queue held (1000 each, plus up to 20 in flight) arrived; the rest never will
      expect(replay.received).toBeGreaterThanOrEqual(2 * 1000);
      expect(replay.received).toBeLessThanOrEqual(2 * 1100);
      expect(replay.missing).toBe(replay.expected - replay.received);
      expect(broker.log()).toMatch(/Outgoing messages are being dropped for client evbench-/);
    },
  );
});

describe('mqtt 5 against mosquitto', () => {
  it.skipIf(!hasMosquitto)('evbench publishes at QoS 1 over MQTT 5: every event arrives once, in order', async () => {
    const broker = await startMosquitto();
    stops.push(broker.stop);
    const file = relayScenario('mqtt5-relay');
    const r = await runCli(
      ['run', file, '--target', broker.url, '--adapter', 'mqtt', '--mqtt-version', '5', '--qos', '1', '--publish', 'ws', ...fields],
      60_000,
    );
    const rec = record(r);
    expect(r.code, r.stderr).toBe(exitFor(rec, 0));
    const f = group(rec, 'fast');
    const published = rec.generator.publisher.sent;
    expect(published).toBeGreaterThanOrEqual(700);
    expect(f.phases.baseline!.delivered + f.phases.stress!.delivered).toBe(3 * published);
    expect(f.phases.baseline!.missing + f.phases.stress!.missing).toBe(0);
    expect(f.clientResults.every((c) => c.duplicates === 0 && c.outOfOrder === 0)).toBe(true);
    expect(broker.log()).toMatch(/\(p5, c1, k10\)/);
  });

  it.skipIf(!hasMosquitto)('a broker that wants a password: CONNACK 0x87 (not authorized) by name, exit 3', async () => {
    const broker = await startMosquitto({ config: 'allow_anonymous false\n' });
    stops.push(broker.stop);
    const r = await runCli(
      ['run', 'slow-client', '--target', broker.url, '--adapter', 'mqtt', '--mqtt-version', '5', '--publish', 'server', ...fields],
      30_000,
    );
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('the mqtt subscription was refused: the broker refused the connection: CONNACK 0x87 (not authorized)');
  });

  it.skipIf(!hasMosquitto)("a topic filter mosquitto rejects: its DISCONNECT's reason code by name, exit 3", async () => {
    const broker = await startMosquitto();
    stops.push(broker.stop);
    const args = [
      'run',
      'slow-client',
      '--target',
      broker.url,
      '--adapter',
      'mqtt',
      '--mqtt-version',
      '5',
      '--publish',
      'server',
      ...fields,
    ];
    const r = await runCli(
      args.map((a) => (a === 'events' ? 'a/#/b' : a)),
      30_000,
    );
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('the broker sent DISCONNECT 0x81 (malformed packet) while subscribing');
  });
});

/**
 * A broker of a few lines (mqtt-packet on the server side, MQTT 5 over `ws`) that refuses every
 * third subscription with SUBACK 0x87 (not authorized), the first (evbench's probe) excepted, and
 * publishes {id, ts} at 200/s to the subscriptions it granted.
 */
async function refusingBroker(): Promise<{ url: string; stop: () => Promise<void> }> {
  const v5 = { protocolVersion: 5 };
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'mqtt' });
  await new Promise((r) => wss.once('listening', r));
  const granted = new Set<WebSocket>();
  let subscriptions = 0;
  wss.on('connection', (ws) => {
    const p = parser(v5);
    p.on('packet', (pk: Packet) => {
      if (pk.cmd === 'connect') ws.send(generate({ cmd: 'connack', sessionPresent: false, reasonCode: 0 }, v5));
      if (pk.cmd === 'pingreq') ws.send(generate({ cmd: 'pingresp' }, v5));
      if (pk.cmd !== 'subscribe') return;
      const refuse = subscriptions++ % 3 === 2;
      ws.send(generate({ cmd: 'suback', messageId: pk.messageId, granted: [refuse ? 0x87 : 0] }, v5));
      if (!refuse) granted.add(ws);
    });
    ws.on('message', (data: Buffer) => p.parse(data));
    ws.on('close', () => granted.delete(ws));
  });
  let id = 0;
  const start = performance.timeOrigin + performance.now();
  const timer = setInterval(() => {
    const now = performance.timeOrigin + performance.now();
    for (; start + id * 5 <= now; id++) {
      const frame = generate(
        { cmd: 'publish', topic: 'events', qos: 0, dup: false, retain: false, payload: JSON.stringify({ id: id + 1, ts: start + id * 5 }) },
        v5,
      );
      for (const ws of granted) ws.send(frame);
    }
  }, 2);
  const { port } = wss.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}/`,
    stop: () => {
      clearInterval(timer);
      for (const ws of wss.clients) ws.terminate();
      return new Promise((r) => wss.close(() => r()));
    },
  };
}

describe('mqtt 5 refusals in a run', () => {
  it('a SUBACK 0x87 (not authorized) for some fast clients: refused subscriptions, said by name, verdict disconnect', async () => {
    const broker = await refusingBroker();
    stops.push(broker.stop);
    const file = relayScenario('mqtt5-refusing', { count: 6 });
    const r = await runCli(
      ['run', file, '--target', broker.url, '--adapter', 'mqtt', '--mqtt-version', '5', '--publish', 'server', ...fields],
      60_000,
    );
    const rec = record(r);
    expect(rec.hol.verdict, rec.hol.summary).toBe('disconnect');
    const refused = group(rec, 'fast').clientResults.filter((c) => c.refused === 'subscribe');
    expect(refused).toHaveLength(2); // subscriptions 3 and 6 of the 6 clients and the probe
    for (const c of refused) expect(c.closeReason).toBe('the broker refused the subscription to "events": SUBACK 0x87 (not authorized)');
    expect(rec.hol.summary).toContain('SUBACK 0x87 (not authorized)');
  });
});
