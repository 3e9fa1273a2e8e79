// Two shard processes against one `evbench serve`, started 3 s apart as pods of one Job may be:
// given one --start-at they share a t0 and `evbench merge` judges them as one run; without it the
// same offset is refused as it always was. Each shard prints no verdict of its own.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killAll, runCli, startCli, type CliResult } from '../support/cli.js';
import { spawnServe, type ServeProcess } from '../../src/util/spawnServe.js';
import type { RunRecord } from '../../src/record/schema.js';
import { tinyStallScenario } from '../support/tinyStallScenario.js';
import { tempDir } from '../support/tempDir.js';

afterAll(killAll);
const tmp = tempDir('shards');
const scenarioFile = join(tmp, 'shards.json');
writeFileSync(
  scenarioFile,
  JSON.stringify({
    ...tinyStallScenario('shards'),
    phases: [
      { name: 'warmup', duration: '1s' },
      { name: 'baseline', duration: '2s' },
      { name: 'stress', duration: '2s' },
    ],
  }),
);
const OFFSET_MS = 3000;
/**
 * How far ahead the shared instant is: after both shards have connected. A busy machine takes
 * seconds to start a node process and its worker threads (as a Job's pods take to be scheduled),
 * and a shard that is ready more than a second after its instant refuses to run (exit 2).
 */
const LEAD_MS = 20_000;
/** The publisher token, as a Job's Secret gives it: in the environment, for the server and every shard. */
const TOKEN = { EVBENCH_PUBLISHER_TOKEN: 'pub' };
const legacyServer = (): Promise<ServeProcess> => spawnServe({ args: ['--mode', 'legacy'], env: { ...process.env, ...TOKEN } });

/** Shard 0 now, shard 1 OFFSET_MS later (each a real `evbench run`), both into `out`; resolves when both have ended. */
async function twoShards(server: ServeProcess, out: string, extra: string[]): Promise<CliResult[]> {
  const shard = (i: number): Promise<CliResult> =>
    startCli(['run', scenarioFile, '--target', server.url, '--shard', `${i}/2`, '--workers', '1', '--out', out, ...extra], 60_000, TOKEN)
      .done;
  const first = shard(0);
  await new Promise((resolve) => setTimeout(resolve, OFFSET_MS));
  return Promise.all([first, shard(1)]);
}

const shardFile = (out: string, i: number): string => join(out, `shards.evbench.shard-${i}-of-2.json`);

describe('evbench run --shard i/N --start-at, then evbench merge', () => {
  it('3 s apart with one --start-at: one t0, each shard without a verdict, the merge judges them together', async () => {
    const server = await legacyServer();
    try {
      const out = join(tmp, 'together');
      const startAt = new Date(Date.now() + LEAD_MS).toISOString();
      const results = await twoShards(server, out, ['--start-at', startAt]);
      for (const r of results) expect(r.code, r.stderr).not.toBe(2);
      const records = [0, 1].map((i) => JSON.parse(readFileSync(shardFile(out, i), 'utf8')) as RunRecord);
      results.forEach((r, i) => {
        // measured, no verdict; exit 0 unless the shard itself is not a result (a starved generator on a busy machine)
        expect(r.stderr, `shard ${i}`).not.toMatch(/verdict:/i);
        expect(r.stderr, `shard ${i}`).toMatch(
          new RegExp(`shard ${i}/2: (measured, no verdict — merge the shards: evbench merge|NOT A RESULT)`),
        );
        expect(r.code === 0 || (r.code === 4 && records[i]!.hol.verdict === 'invalid'), `shard ${i}: exit ${r.code}\n${r.stderr}`).toBe(
          true,
        );
        expect(r.stderr).not.toContain('another publisher shares it');
        expect(records[i]!.startAt).toBe(startAt);
        expect(records[i]!.hol.verdict).not.toMatch(/^(none|hol|disconnect|inconclusive)$/);
      });
      // the shared instant is each shard's t0 (shard 1's schedule offset of 1/rate besides)
      expect(records[0]!.t0Us).toBe(Date.parse(startAt) * 1000);
      expect(records[1]!.t0Us).toBe(Date.parse(startAt) * 1000 + Math.floor(1e6 / records[1]!.scenario.spec.publisher.rate));

      const mergedFile = join(out, 'merged', 'shards.json');
      const merge = await runCli(['merge', shardFile(out, 0), shardFile(out, 1), '-o', mergedFile], 30_000);
      expect(merge.code, merge.stderr).not.toBe(2);
      expect(merge.stderr).toContain(`merged 2 shards, started together at ${startAt} (--start-at)`);
      const merged = JSON.parse(readFileSync(mergedFile, 'utf8')) as RunRecord;
      expect(merged.mergedFrom?.shards).toBe(2);
      expect(merged.startAt).toBe(startAt);
      // one verdict, on the whole
      expect(['none', 'hol', 'disconnect', 'inconclusive', 'invalid']).toContain(merged.hol.verdict);
      expect(merge.stderr.match(/^verdict: /gm)).toHaveLength(1);
    } finally {
      await server.stop();
    }
  }, 120_000);

  it('3 s apart without --start-at: each picks its own t0, and merge refuses them as before', async () => {
    const server = await legacyServer();
    try {
      const out = join(tmp, 'apart');
      const results = await twoShards(server, out, []);
      for (const r of results) expect(r.stderr).not.toMatch(/verdict:/i);
      const merge = await runCli(['merge', shardFile(out, 0), shardFile(out, 1), '-o', join(out, 'merged.json')], 30_000);
      expect(merge.code).toBe(2);
      expect(merge.stderr).toMatch(
        /merge: shards did not start together: shard 1\/2 .* started [\d.]+s after shard 0\/2 .*: start every shard of a run at once/,
      );
      expect(existsSync(join(out, 'merged.json'))).toBe(false);
    } finally {
      await server.stop();
    }
  }, 90_000);

  it('Ctrl-C while waiting for a distant instant: out within seconds, exit 130, nothing recorded', async () => {
    const server = await legacyServer();
    try {
      const out = join(tmp, 'interrupted');
      const startAt = new Date(Date.now() + 3_600_000).toISOString();
      const run = startCli(
        ['run', scenarioFile, '--target', server.url, '--shard', '0/2', '--out', out, '--start-at', startAt],
        60_000,
        TOKEN,
      );
      await run.waitForStderr("the run's clock starts at");
      const sent = Date.now();
      run.child.kill('SIGINT');
      const r = await run.done;
      expect(Date.now() - sent).toBeLessThan(10_000);
      expect(r.code).toBe(130);
      expect(r.stderr).toMatch(/interrupted before the run's clock started at .*: nothing was measured/);
      expect(existsSync(shardFile(out, 0))).toBe(false);
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('an instant already past: exit 2 before anything connects, from the flag or EVBENCH_START_AT', async () => {
    const past = new Date(Date.now() - 60_000).toISOString();
    const args = ['run', scenarioFile, '--target', 'ws://127.0.0.1:9/websocket', '--shard', '0/2'];
    const flag = await runCli([...args, '--start-at', past], 30_000);
    expect(flag.code).toBe(2);
    expect(flag.stderr.trim()).toMatch(
      new RegExp(
        `^evbench: --start-at: ${past.replace(/\./g, '\\.')} was 6\\d\\.\\d\\ds ago \\(more than the 1\\.00s a run may be late\\)`,
      ),
    );
    const env = await runCli(args, 30_000, { EVBENCH_START_AT: past });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain(`evbench: EVBENCH_START_AT (--start-at): ${past} was `);
    // a time that is relative is refused whatever the clock says
    const relative = await runCli([...args, '--start-at', '+30s'], 30_000);
    expect(relative.code).toBe(2);
    expect(relative.stderr).toContain('evbench: --start-at: "+30s" is relative');
  });
});
