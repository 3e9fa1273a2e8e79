// `evbench merge` exits like `evbench report` on the merged record: a merged run that could not have
// seen blocking (inconclusive) exits 5, not 1 ("a threshold failed"); one whose threshold failed exits 1.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/record/schema.js';
import { EXIT_FAILED, EXIT_INCONCLUSIVE } from '../../src/util/errors.js';
import { generateSamples, recordFromSamples, type Samples } from '../support/fixtureRecord.js';
import { killAll, runCli } from '../support/cli.js';
import { tempDir } from '../support/tempDir.js';

afterAll(killAll);
/** The built CLI (dist/) cannot see a mutant of src/: Stryker's runs skip these cases (vitest.mutate.config.ts). */
const describeCli = process.env.EVBENCH_MUTATION_RUN ? describe.skip : describe;
const tmp = tempDir('merge-exit');

/** The fixture's samples with stress as quiet as baseline: no rule fires, and no slow client is known to have pushed back. */
function quiet(s: Samples): Samples {
  const fast = s.groups[0]!;
  const base = fast.phases.baseline!;
  const stress = fast.phases.stress!;
  stress.latency = [...base.latency, ...base.latency].slice(0, stress.latency.length - stress.counters.missing);
  stress.arrivals = stress.arrivals.slice(0, stress.latency.length);
  stress.counters.missing = 0;
  stress.counters.maxStallUs = base.counters.maxStallUs;
  return s;
}

function shards(name: string, make: (seed: number, clients: number) => Samples): string[] {
  return [make(11, 3), make(12, 2)].map((samples, index) => {
    const record: RunRecord = recordFromSamples(samples, { shard: { index, count: 2 } });
    const file = join(tmp, `${name}.shard-${index}.json`);
    writeFileSync(file, JSON.stringify(record));
    return file;
  });
}

describeCli('evbench merge: the exit code is the merged run status', () => {
  it('an inconclusive merged run whose thresholds all passed exits 5', async () => {
    const out = join(tmp, 'quiet.json');
    const r = await runCli(['merge', ...shards('quiet', (seed, n) => quiet(generateSamples(seed, n))), '-o', out, '--quiet']);
    expect(r.stderr).toMatch(/INCONCLUSIVE/);
    expect(r.code).toBe(EXIT_INCONCLUSIVE);
    // the same record re-rendered exits the same way
    expect((await runCli(['report', out, '--quiet'])).code).toBe(EXIT_INCONCLUSIVE);
  });

  it('a merged run with a failed threshold exits 1', async () => {
    const out = join(tmp, 'hol.json');
    const r = await runCli(['merge', ...shards('hol', (seed, n) => generateSamples(seed, n)), '-o', out, '--quiet']);
    expect(r.code).toBe(EXIT_FAILED);
    expect((await runCli(['report', out, '--quiet'])).code).toBe(EXIT_FAILED);
  });
});
