// The graphql-ws adapter against a real graphql-ws server (the `graphql` and `graphql-ws` packages,
// examples/graphql-server.mjs): the server emitting its own stream, evbench publishing through a
// GraphQL mutation over HTTP, and a subscription the server rejects.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { killAll, runCli } from '../../support/cli.js';
import type { RunRecord } from '../../../src/record/schema.js';
import { relayScenario } from '../../support/relayScenario.js';
import { exitFor } from '../../support/runOutcome.js';
import { tempDir } from '../../support/tempDir.js';

const tmp = tempDir('graphql');
let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});
afterAll(killAll);

const record = (r: { stdout: string; stderr: string; code: number | null }): RunRecord => {
  if (!r.stdout.trim()) throw new Error(`no run record (exit ${r.code}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout) as RunRecord;
};
/**
 * examples/graphql-server.mjs in its own process (as a user runs it; `graphql` must be one module
 * instance, which a test runner's module graph does not promise), stopped after each test.
 */
async function graphqlServer({ mode, rate = 500, payloadBytes = 8192 }: { mode: 'emit' | 'relay'; rate?: number; payloadBytes?: number }) {
  const child = spawn(process.execPath, [join(__dirname, '../../../examples/graphql-server.mjs'), mode, '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, RATE: String(rate), PAYLOAD: String(payloadBytes) },
  });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`graphql server did not start in 10 s: ${stderr}`)), 10_000);
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /on (ws:\/\/\S+),/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`graphql server exited ${code}: ${stderr}`));
    });
  });
  const httpUrl = url.replace('ws://', 'http://');
  return {
    url,
    httpUrl,
    published: async () => {
      const res = await fetch(httpUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query":"{ published }"}',
      });
      return ((await res.json()) as { data: { published: number } }).data.published;
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}
const group = (r: RunRecord, name: string) => r.groups.find((g) => g.name === name)!;
const DOCUMENT = 'subscription { events { id ts pad } }';
const args = (url: string, publish: string, document = DOCUMENT): string[] => [
  '--target',
  url,
  '--adapter',
  'graphql-ws',
  '--topic',
  document,
  '--publish',
  publish,
  '--id-field',
  'events.id',
  '--time-field',
  'events.ts',
  '--out',
  tmp,
  '--json',
];

describe('graphql-ws adapter against a graphql-ws server', () => {
  // graphql-ws runs one async loop per subscription and the resolver gives each subscriber its own
  // queue: a subscriber that stops reading only grows its own queue, nobody else waits.
  it('slow-client, the server emitting: fast subscribers keep their latency: none', async () => {
    const s = await graphqlServer({ mode: 'emit', rate: 400, payloadBytes: 4096 });
    close = s.close;
    const r = await runCli(['run', 'slow-client', '--duration', '12s', ...args(s.url, 'server')], 90_000);
    const rec = record(r);
    expect(rec.hol.verdict, rec.hol.summary).not.toBe('hol');
    expect(rec.hol.verdict, rec.hol.summary).not.toBe('disconnect');
    expect(r.code, r.stderr).toBe(exitFor(rec, 0));
    if (rec.hol.verdict !== 'invalid') expect(rec.hol.verdict).toBe('none');
    expect(group(rec, 'fast').phases.stress!.missing).toBe(0);
    expect(group(rec, 'fast').phases.stress!.delivered).toBeGreaterThan(1000);
    expect(group(rec, 'stalled').phases.stress!.delivered).toBe(0);
  });

  it('evbench publishes through a mutation (--publish http: with --publish-body): every event arrives once', async () => {
    const s = await graphqlServer({ mode: 'relay' });
    close = s.close;
    const scenario = relayScenario('mutation');
    const body = '{"query":"mutation { publish(id: {{id}}, ts: {{ts}}, pad: \\"{{payload}}\\") }"}';
    const r = await runCli(['run', scenario, ...args(s.url, `http:${s.httpUrl}`), '--publish-body', body], 60_000);
    const rec = record(r);
    expect(r.code, r.stderr).toBe(exitFor(rec, 0));
    const sent = rec.generator.publisher.sent;
    expect(sent).toBeGreaterThanOrEqual(700);
    expect(await s.published()).toBe(sent);
    const f = group(rec, 'fast');
    expect(f.phases.baseline!.delivered + f.phases.stress!.delivered).toBe(3 * sent);
    expect(f.phases.baseline!.missing + f.phases.stress!.missing).toBe(0);
  });

  it("a document the schema rejects: the server's error in one paragraph, exit 3", async () => {
    const s = await graphqlServer({ mode: 'emit', rate: 100, payloadBytes: 10 });
    close = s.close;
    const r = await runCli(['run', 'slow-client', ...args(s.url, 'server', 'subscription { nope { id } }')], 30_000);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /the graphql-ws subscription was refused: the subscription failed: \[\{"message":"Cannot query field \\"nope\\" on type \\"Subscription\\"/,
    );
  });
});
