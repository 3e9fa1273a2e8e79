// Runner faults: whatever breaks mid-run, the run stops by itself, says why, and writes what it measured.
import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { killAll, runCli, startCli } from '../support/cli.js';
import { spawnServe } from '../../src/util/spawnServe.js';
import type { RunRecord } from '../../src/record/schema.js';
import { tempDir } from '../support/tempDir.js';

afterAll(killAll);
const tmp = tempDir('faults');

describe('runner faults', () => {
  it('the server dies mid-run: the run stops, exit 3, a partial record with the reason', async () => {
    const server = await spawnServe({ args: ['--publisher-token', 'secret'] });
    const out = join(tmp, 'server-died');
    try {
      const run = startCli(
        ['run', 'slow-client', '--duration', '30s', '--target', server.url, '--publisher-token', 'secret', '--out', out],
        60_000,
      );
      await run.waitForStderr('run started');
      // kill it once the run has measured something: the record must keep that
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await server.stop(0);
      const r = await run.done;
      expect(r.code).toBe(3);
      // a run against a URL is named after its adapter
      const rec = JSON.parse(readFileSync(join(out, 'slow-client.evbench.json'), 'utf8')) as RunRecord;
      expect(rec.partial).toBe(true);
      expect(rec.partialReason).toMatch(/publisher connection closed by the target/);
      expect(rec.groups.find((g) => g.name === 'fast')!.phases.warmup!.delivered).toBeGreaterThan(0);
      expect(rec.durationUs).toBeLessThan(15_000_000);
    } finally {
      await server.stop(0);
    }
  });

  it('a client worker crashes: reported, the run is marked invalid, no hang', async () => {
    const out = join(tmp, 'worker-crash');
    const r = await runCli(['run', 'slow-client', '--duration', '20s', '--out', out], 60_000, { EVBENCH_FAULT: 'client-worker-crash' });
    expect(r.code).toBe(4); // not a result
    expect(r.stderr).toMatch(/verdict: INVALID \(not a result\) — NOT A RESULT: .*injected fault/);
    const rec = JSON.parse(readFileSync(join(out, 'slow-client.isolated.json'), 'utf8')) as RunRecord;
    expect(rec.invalid).toBe(true);
    expect(rec.invalidReason).toMatch(/injected fault: client worker crash/);
    expect(rec.partial).toBe(true);
    expect(r.stderr).toMatch(/invalid run/);
  });

  it('an unwritable output folder: one clear line, nothing half-written', async () => {
    const blocked = join(tmp, 'blocked');
    writeFileSync(blocked, 'a file where the folder should be');
    // the child's temporary folder is this test's, so the rescued record goes when the test's folder does
    const r = await runCli(['run', 'slow-client', '--duration', '2s', '--out', join(blocked, 'reports')], 60_000, { TMPDIR: tmp });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(
      /^evbench: cannot write .*blocked\/reports\/slow-client\.isolated\.json: ENOTDIR; the run record was saved to (\S+) instead$/,
    );
    const rescued = /saved to (\S+) instead/.exec(r.stderr)![1]!;
    expect((JSON.parse(readFileSync(rescued, 'utf8')) as RunRecord).scenario.name).toBe('slow-client');
    // in the temporary folder (TMPDIR), readable by its owner only
    expect(dirname(rescued)).toBe(tmp);
    expect(statSync(rescued).mode & 0o777).toBe(0o600);
    const ro = join(tmp, 'read-only');
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    if (process.getuid?.() !== 0) {
      const r2 = await runCli(['run', 'slow-client', '--duration', '2s', '--out', ro], 60_000);
      expect(r2.code).toBe(2);
      expect(readdirSync(ro)).toEqual([]); // no temporary file left behind
    }
    expect(existsSync(join(blocked, 'reports'))).toBe(false);
  });
});
