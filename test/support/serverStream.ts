// What the tests that run evbench against a small foreign server share: the flags that read a stream
// the server emits itself (`{"id","ts"}` with ms timestamps), and a short scenario of fast clients only.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `--adapter … --publish … --id-field id --time-field ts --time-unit ms`: events the server stamps in ms. */
export function serverStreamFlags(adapter = 'generic', publish = 'server'): string[] {
  return ['--adapter', adapter, '--publish', publish, '--id-field', 'id', '--time-field', 'ts', '--time-unit', 'ms'];
}

/**
 * Writes `dir/name.json`: `clients` fast clients, 500 ms warmup, `phase` of baseline and of stress, 500 ms
 * grace, 200 events/s of 64 bytes. Returns its path.
 */
export function fastOnlyScenario(dir: string, name: string, clients: number, phase: string): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      name,
      target: { embedded: {} },
      publisher: { rate: 200, payloadBytes: 64 },
      groups: [{ name: 'fast', kind: 'fast', count: clients }],
      phases: [
        { name: 'warmup', duration: '500ms' },
        { name: 'baseline', duration: phase },
        { name: 'stress', duration: phase },
      ],
      grace: '500ms',
    }),
  );
  return path;
}
