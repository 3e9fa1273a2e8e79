// Running against a server evbench did not start: tokens, and the server's own /metrics beside the clients' view.
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, runCli } from '../support/cli.js';
import { spawnServe } from '../../src/util/spawnServe.js';
import type { RunRecord } from '../../src/record/schema.js';
import { tempDir } from '../support/tempDir.js';

afterAll(killAll);
const tmp = tempDir('target');

describe('evbench run --target', () => {
  it('scrapes a token-protected /metrics with --metrics-url and --metrics-token', async () => {
    const server = await spawnServe({ args: ['--publisher-token', 'pub', '--metrics-token', 'scrape'] });
    try {
      const common = [
        'run',
        'slow-client',
        '--duration',
        '3s',
        '--target',
        server.url,
        '--publisher-token',
        'pub',
        '--metrics-url',
        server.metricsUrl,
        '--json',
        '--out',
        tmp,
      ];
      const withToken = JSON.parse((await runCli([...common, '--metrics-token', 'scrape'], 60_000)).stdout) as RunRecord;
      expect(withToken.server?.error).toBeUndefined();
      expect(withToken.server?.sendDurationUs?.count).toBeGreaterThan(0);
      // one scrape just before each phase ended, with the in-flight gauges, in phase order
      expect(withToken.server?.phases?.map((p) => p.phase)).toEqual(withToken.phases.map((p) => p.name));
      for (const p of withToken.server!.phases!) {
        expect(p.error).toBeUndefined();
        expect(p.sendsInFlight).toBeGreaterThanOrEqual(0);
        expect(p.oldestInFlightUs).toBeGreaterThanOrEqual(0);
      }
      expect(withToken.server?.mode).toBe('isolated');
      const without = JSON.parse((await runCli(common, 60_000)).stdout) as RunRecord;
      expect(without.server?.error).toBe('HTTP 401');
      expect(without.server?.phases?.map((p) => p.error)).toEqual(without.phases.map(() => 'HTTP 401'));
    } finally {
      await server.stop();
    }
  });

  it('--metrics-url must be an http URL', async () => {
    const r = await runCli(['run', 'slow-client', '--target', 'ws://127.0.0.1:9/', '--metrics-url', 'ws://x/metrics']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      'evbench: --metrics-url: expected an http:// URL such as http://127.0.0.1:8080/metrics, got "ws://x/metrics"',
    );
  });
});
