// A catch-up below what a byte-bounded memory log still holds: the server announces the gap (409)
// and the runner counts it on the catch-up group, instead of waiting for events that are gone.
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killAll, runCli } from '../support/cli.js';
import { spawnServe } from '../../src/util/spawnServe.js';
import type { RunRecord } from '../../src/record/schema.js';
import { tempDir } from '../support/tempDir.js';

afterAll(killAll);
const tmp = tempDir('loggap');

describe('--log-bytes and the runner', () => {
  it('a catch-up 2,000 events back into a 64 KiB log: the gap notice is counted on the catch-up group', async () => {
    const server = await spawnServe({ args: ['--publisher-token', 'p', '--log-bytes', '64KiB'] });
    try {
      const scenario = join(tmp, 'gap.json');
      writeFileSync(
        scenario,
        JSON.stringify({
          name: 'log-gap',
          target: { embedded: {} },
          publisher: { rate: 200, payloadBytes: 1024, prefill: 2000 },
          groups: [
            { name: 'fast', kind: 'fast', count: 1 },
            { name: 'replay', kind: 'catchup', count: 1, backlog: 2000, phases: ['stress'] },
          ],
          phases: [
            { name: 'warmup', duration: '500ms' },
            { name: 'baseline', duration: '1s' },
            { name: 'stress', duration: '1s' },
          ],
          grace: '500ms',
        }),
      );
      const r = await runCli(
        ['run', scenario, '--target', server.url, '--publisher-token', 'p', '--out', join(tmp, 'out'), '--json'],
        60_000,
      );
      const rec = JSON.parse(r.stdout) as RunRecord;
      const replay = rec.groups.find((g) => g.name === 'replay')!;
      const gaps = Object.values(replay.phases).reduce((n, p) => n + p.gapsAnnounced, 0);
      expect(gaps, r.stderr).toBe(1);
      expect(rec.groups.find((g) => g.name === 'fast')!.phases.stress!.gapsAnnounced).toBe(0);
    } finally {
      await server.stop();
    }
  });
});
