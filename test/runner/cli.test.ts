// The CLI's answers to bad input: one clear line naming what and where, and the right exit code.
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { killAll, runCli } from '../support/cli.js';
import { spawnServe } from '../../src/util/spawnServe.js';
import { tempDir } from '../support/tempDir.js';

/** A loopback port nothing listens on: bind an ephemeral one, then release it. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

afterAll(killAll);
const tmp = tempDir('cli');

describe('evbench run: bad input', () => {
  it('a scenario that does not exist', async () => {
    const r = await runCli(['run', 'no-such-scenario']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /scenario "no-such-scenario": no such file, and not a built-in scenario \(built-in: catch-up, permissions, seed, slow-client, slow-drain\)/,
    );
  });

  it('a scenario with an error names the file and the path', async () => {
    const scenario = JSON.parse(readFileSync(new URL('../../scenarios/slow-client.json', import.meta.url), 'utf8'));
    scenario.groups[1].behaviour = 'stal';
    const file = join(tmp, 'bad.json');
    writeFileSync(file, JSON.stringify(scenario));
    const r = await runCli(['run', file]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`evbench: ${file}: groups[1].behaviour: unknown "stal" (expected stall, rate, delay)`);
  });

  it.each([
    [['--rate', '-5'], '--rate -5: must be ≥ 0.1, got -5'],
    [['--rate', 'fast'], '--rate: expected events per second, got "fast"'],
    [['--clients', 'fast=100001'], '--clients fast=100001: must be ≤ 100000, got 100001'],
    [['--clients', 'fast=lots'], '--clients: expected group=N, got "fast=lots"'],
    [['--clients', 'nobody=3'], '--clients nobody=3: no group "nobody"'],
    [['--duration', 'soon'], '--duration: expected a duration of at least 1s'],
    [['--threshold', 'latency{group:fast}: p(99)<50'], '--threshold "p(99)<50": at column 9: latency p(99) is a duration: give a unit'],
    [['--target', 'http://example'], '--target: expected a ws:// or wss:// URL'],
    [['--workers', '0'], '--workers: expected a whole number from 1 to 64'],
    [['--shard', '0/2'], '--shard: shards split one load against one shared server: give it with --target'],
    [['--shard', '2/2', '--target', 'ws://127.0.0.1:9/'], '--shard 2/2: shard index 2 is out of range'],
  ])('flag %j', async (flags, message) => {
    const r = await runCli(['run', 'slow-client', ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
  });

  it('an unknown option is a usage error (exit 2)', async () => {
    const r = await runCli(['run', 'slow-client', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--bogus'");
  });

  it('an unreachable target exits 3 with one line', async () => {
    const port = await closedPort();
    const r = await runCli(['run', 'slow-client', '--target', `ws://127.0.0.1:${port}/websocket`, '--out', tmp], 30_000);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`target unreachable: ws://127\\.0\\.0\\.1:${port}/websocket: .*ECONNREFUSED`));
  });

  it('a target that refuses to publish exits 3 and says why', async () => {
    const server = await spawnServe(); // no --publisher-token: publishing is refused
    try {
      const r = await runCli(['run', 'slow-client', '--target', server.url, '--out', tmp], 30_000);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/refused the run: target refused a publish: 403 .*--publisher-token/);
    } finally {
      await server.stop();
    }
  });
});
