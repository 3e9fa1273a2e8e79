// The actioncable adapter against Debian's ruby-actioncable served by puma (installed by .ci/run):
// examples/actioncable/config.ru, an EventsChannel with a broadcast loop and a `publish` action.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { killAll, runCli } from '../../support/cli.js';
import { hasActionCable, startActionCable } from '../../../examples/brokers.mjs';
import type { RunRecord } from '../../../src/record/schema.js';
import { relayScenario } from '../../support/relayScenario.js';
import { exitFor, HEALTHY_VERDICTS } from '../../support/runOutcome.js';
import { tempDir } from '../../support/tempDir.js';

const tmp = tempDir('actioncable');
const available = hasActionCable();
if (!available)
  console.warn(
    '!!! puma or ruby-actioncable is not installed: the ActionCable e2e tests are SKIPPED (apt-get install puma ruby-actioncable; .ci/run installs them) !!!',
  );

const stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});
afterAll(killAll);

const record = (r: { stdout: string; stderr: string; code: number | null }): RunRecord => {
  if (!r.stdout.trim()) throw new Error(`no run record (exit ${r.code}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout) as RunRecord;
};
const group = (r: RunRecord, name: string) => r.groups.find((g) => g.name === name)!;
const args = (url: string, publish: string): string[] => [
  '--target',
  url,
  '--adapter',
  'actioncable',
  '--topic',
  '{"channel":"EventsChannel"}',
  '--publish',
  publish,
  '--out',
  tmp,
  '--json',
];

describe('actioncable adapter against ruby-actioncable under puma', () => {
  // ActionCable writes to each socket without waiting (a stream event loop buffers what the socket
  // cannot take) and runs broadcasts on a small worker pool: fast subscribers keep their latency
  // while one stalls, though the pool delivers a few events out of order.
  it.skipIf(!available)('slow-client, the app broadcasting: none', async () => {
    const app = await startActionCable({ rate: 100, payloadBytes: 1024 });
    stops.push(app.stop);
    const r = await runCli(['run', 'slow-client', '--duration', '12s', ...args(app.url, 'server')], 90_000);
    const rec = record(r);
    expect(rec.hol.verdict, rec.hol.summary).not.toBe('hol');
    expect(rec.hol.verdict, rec.hol.summary).not.toBe('disconnect');
    expect(r.code, r.stderr).toBe(exitFor(rec, 0));
    expect(HEALTHY_VERDICTS, rec.hol.summary).toContain(rec.hol.verdict);
    expect(group(rec, 'fast').phases.stress!.missing).toBe(0);
    expect(group(rec, 'fast').phases.stress!.delivered).toBeGreaterThan(300);
    expect(group(rec, 'stalled').phases.stress!.delivered).toBe(0);
  });

  it.skipIf(!available)('evbench publishes by performing the channel action: every event arrives once', async () => {
    const app = await startActionCable({ rate: 0 });
    stops.push(app.stop);
    const scenario = relayScenario('perform', { rate: 100 });
    const r = await runCli(['run', scenario, ...args(app.url, 'ws')], 60_000);
    const rec = record(r);
    expect(r.code, r.stderr).toBe(exitFor(rec, 0));
    const sent = rec.generator.publisher.sent;
    expect(sent).toBeGreaterThanOrEqual(350);
    const f = group(rec, 'fast');
    expect(f.phases.baseline!.delivered + f.phases.stress!.delivered).toBe(3 * sent);
    expect(f.phases.baseline!.missing + f.phases.stress!.missing).toBe(0);
    expect(f.clientResults.every((c) => c.duplicates === 0)).toBe(true);
  });
});
