// The scenario every "every event arrives once" relay test runs: `count` fast clients, 2 s of baseline
// and 2 s of stress at `rate` events/s of 100 bytes, written to a temporary file.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './tempDir.js';

export function relayScenario(name: string, { rate = 200, count = 3 }: { rate?: number; count?: number } = {}): string {
  const file = join(tempDir('relay'), `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      name,
      publisher: { rate, payloadBytes: 100 },
      // late is not lost: on a busy machine a relay may hold an event past the default 1 s grace, and these tests ask only whether one is lost
      grace: '5s',
      groups: [{ name: 'fast', kind: 'fast', count }],
      phases: [
        { name: 'baseline', duration: '2s' },
        { name: 'stress', duration: '2s' },
      ],
    }),
  );
  return file;
}
