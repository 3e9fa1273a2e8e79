// The generic adapter against servers written in the test with plain `ws` (no code shared with
// evbench serve), through the CLI the way a user runs it.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { killAll, runCli } from '../../support/cli.js';
import {
  awaitingBroadcastServer,
  boundedQueueServer,
  chattyServer,
  kickingServer,
  relayServer,
  type ForeignServer,
} from '../../../examples/foreign-servers.mjs';
import type { RunRecord } from '../../../src/record/schema.js';
import { relayScenario } from '../../support/relayScenario.js';
import { exitFor } from '../../support/runOutcome.js';
import { serverStreamFlags } from '../../support/serverStream.js';
import { tempDir } from '../../support/tempDir.js';

const tmp = tempDir('generic');
let server: ForeignServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
afterAll(killAll);

const generic = (url: string, publish = 'server'): string[] => [
  '--target',
  url,
  ...serverStreamFlags('generic', publish),
  '--out',
  tmp,
  '--json',
];
const fast = (r: RunRecord) => r.groups.find((g) => g.name === 'fast')!;
/** The exit code a run must have: `expected`, unless it was not a result (a starved generator on a busy machine: 4, said loudly). */

describe('generic adapter, publish server (the server emits events itself)', () => {
  it('a broadcast loop that awaits each write: slow-client verdict is hol', async () => {
    server = await awaitingBroadcastServer({ rate: 500, payloadBytes: 8192 });
    const r = await runCli(['run', 'slow-client', '--duration', '10s', ...generic(server.url)], 90_000);
    const rec = JSON.parse(r.stdout) as RunRecord;
    expect(rec.target.adapter).toBe('generic');
    expect(rec.hol.verdict, rec.hol.summary).not.toBe('none');
    expect(r.code, r.stderr).toBe(exitFor(rec, 1)); // the scenario's thresholds (delivery ratio, stall) fail, as they should
    if (rec.hol.verdict === 'invalid') return;
    expect(rec.hol.verdict).toBe('hol');
    // the loop stopped emitting: no ids went missing, but delivery and staleness give it away
    const fired = rec.hol.evidence.filter((e) => e.triggered).map((e) => e.rule);
    expect(fired.some((rule) => /delivery rate|stall|staleness/.test(rule))).toBe(true);
    expect(fast(rec).phases.baseline!.delivered).toBeGreaterThan(1000);
  });

  it('a bounded queue per client: slow-client verdict is none', async () => {
    server = await boundedQueueServer({ rate: 500, payloadBytes: 8192, queueBytes: 1 << 20 });
    const r = await runCli(['run', 'slow-client', '--duration', '10s', ...generic(server.url)], 90_000);
    const rec = JSON.parse(r.stdout) as RunRecord;
    expect(rec.hol.verdict, rec.hol.summary).not.toBe('hol');
    expect(r.code, r.stderr).toBe(exitFor(rec, 0));
    if (rec.hol.verdict !== 'invalid') expect(rec.hol.verdict).toBe('none');
    expect(fast(rec).phases.stress!.missing).toBe(0);
    expect(fast(rec).phases.stress!.delivered).toBeGreaterThan(1000);
  });

  it('says what the messages look like when none carries the id field', async () => {
    server = await chattyServer();
    const r = await runCli(['run', 'slow-client', '--duration', '10s', ...generic(server.url)], 60_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /none of the \d+ messages in the first seconds has the id field "id"; the first one was: \{"type":"tick","value":1/,
    );
    expect(r.stderr).toContain('set --id-field');
  });
});

describe('a server that drops its clients (owed means owed)', () => {
  const closed = (rec: RunRecord) => fast(rec).clientResults.filter((c) => c.closedByServer !== null);

  it('closing one fast client of ten: disconnect, and what it was owed after the close is missing', async () => {
    // kicked 4 s after the first connection: in baseline or stress, while the other nine go on
    server = await kickingServer({ rate: 500, payloadBytes: 200, kickAfterMs: 4_000, kick: 1 });
    const r = await runCli(['run', 'slow-client', '--duration', '10s', ...generic(server.url)], 90_000);
    const rec = JSON.parse(r.stdout) as RunRecord;
    expect(r.code, r.stderr).toBe(exitFor(rec, 1)); // missing{group:fast,phase:stress}: count==0 fails
    if (rec.hol.verdict === 'invalid') return;
    expect(rec.hol.verdict, rec.hol.summary).toBe('disconnect');
    expect(closed(rec)).toHaveLength(1);
    expect(closed(rec)[0]).toMatchObject({ closedByServer: 1013, closeReason: 'try again later' });
    expect(closed(rec)[0]!.missing).toBeGreaterThan(500); // ≥ 1 s of a 500/s stream after the close
    expect(rec.hol.summary).toContain('closed or refused 1 of 10 fast clients (closed 1013 "try again later" ×1)');
  });

  it('closing every client: disconnect, not hol, and no green threshold on missing events', async () => {
    server = await kickingServer({ rate: 500, payloadBytes: 200, kickAfterMs: 4_000 });
    const r = await runCli(['run', 'slow-client', '--duration', '10s', ...generic(server.url)], 90_000);
    const rec = JSON.parse(r.stdout) as RunRecord;
    expect(r.code, r.stderr).toBe(exitFor(rec, 1));
    expect(rec.hol.verdict, rec.hol.summary).not.toBe('none');
    expect(closed(rec)).toHaveLength(10);
    if (rec.hol.verdict === 'invalid') return;
    expect(rec.hol.verdict, rec.hol.summary).toBe('disconnect');
    expect(rec.hol.summary).not.toContain('slow clients delayed');
  });
});

describe('generic adapter, evbench publishes', () => {
  const scenario = relayScenario('relay');

  it.each([['ws'], ['http']])('%s: every event published arrives once, with its latency', async (mode) => {
    const relay = await relayServer();
    server = relay;
    const r = await runCli(['run', scenario, ...generic(relay.url, mode === 'ws' ? 'ws' : `http:${relay.httpUrl}`)], 60_000);
    const rec = JSON.parse(r.stdout) as RunRecord;
    expect(r.code, r.stderr).toBe(exitFor(rec, 0));
    const f = fast(rec);
    const published = rec.generator.publisher.sent;
    expect(published).toBeGreaterThanOrEqual(700);
    expect(relay.received()).toBe(published);
    const delivered = f.phases.baseline!.delivered + f.phases.stress!.delivered;
    expect(delivered).toBe(3 * published);
    expect(f.phases.stress!.missing + f.phases.baseline!.missing).toBe(0);
    expect(f.clientResults.every((c) => c.duplicates === 0)).toBe(true);
    // a websocket keeps order end to end; concurrent HTTP POSTs may overtake each other on the way in
    if (mode === 'ws') expect(f.clientResults.every((c) => c.outOfOrder === 0)).toBe(true);
    expect(f.phases.baseline!.latencyUs.p50).toBeGreaterThan(0);
    expect(f.phases.baseline!.uncorrectedUs.count).toBe(f.phases.baseline!.delivered);
  });
});

describe('generic adapter: what it cannot do is an error', () => {
  it('catch-up without a subscribe template', async () => {
    const r = await runCli(['run', 'catch-up', '--target', 'ws://127.0.0.1:9/', '--adapter', 'generic', '--publish', 'ws']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/groups\[1\]\.kind: catchup needs a generic subscribe message with \{\{lastId\}\}/);
  });

  it('generic options without the generic adapter', async () => {
    const r = await runCli(['run', 'slow-client', '--id-field', 'seq']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      'evbench: --id-field: only with --adapter generic (or nats, mqtt, graphql-ws, actioncable, socketio, sse)',
    );
  });
});
