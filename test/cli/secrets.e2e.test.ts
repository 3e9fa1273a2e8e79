// No secret at rest, on a terminal or on a command line: real runs with every kind of secret planted
// (subscriber, publisher and metrics tokens, a tokens file, an Authorization header, a URL password and
// a secret query parameter, a store password), then every output is searched for them — the record,
// every report, stdout, stderr, and the command line of every process the run started.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServe, type ServeProcess } from '../../src/util/spawnServe.js';
import { runCli, startCli, type CliResult } from '../support/cli.js';
import { tinyStallScenario } from '../support/tinyStallScenario.js';
import { tempDir } from '../support/tempDir.js';

const tmp = tempDir('secrets');

const SECRET = {
  token: 'SUBTOKEN-planted-4f1a',
  fileToken1: 'FILETOKEN-planted-a1',
  fileToken2: 'FILETOKEN-planted-b2',
  publisher: 'PUBTOKEN-planted-9c2e',
  metrics: 'METTOKEN-planted-77d0',
  header: 'HDRTOKEN-planted-31bb',
  urlPassword: 'URLPASS-planted-5e5e',
  urlQuery: 'QUERYKEY-planted-0a0a',
  storePassword: 'STOREPASS-planted-6b6b',
  storeQuery: 'STOREQUERY-planted-8c8c',
} as const;

/** The command lines of every process below `pid`, sampled until it ends: what `ps` showed meanwhile. */
function watchCommandLines(pid: number): { stop(): string[] } {
  const seen = new Set<string>();
  const sample = (): void => {
    const parent = new Map<number, number>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      } catch {
        // the process ended between the listing and the read
      }
    }
    const below = (p: number): boolean => {
      for (let q = parent.get(p), hops = 0; q !== undefined && hops < 20; q = parent.get(q), hops++) if (q === pid) return true;
      return false;
    };
    for (const p of [pid, ...[...parent.keys()].filter(below)]) {
      try {
        seen.add(readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' '));
      } catch {
        // gone
      }
    }
  };
  sample();
  const timer = setInterval(sample, 10);
  return {
    stop: () => {
      clearInterval(timer);
      return [...seen];
    },
  };
}

async function runWatched(args: string[]): Promise<{ result: CliResult; commandLines: string[] }> {
  const run = startCli(args, 120_000);
  const watch = watchCommandLines(run.child.pid!);
  const result = await run.done;
  return { result, commandLines: watch.stop() };
}

/** Every planted secret found in `text`, by name. */
const leaks = (text: string): string[] => Object.entries(SECRET).flatMap(([name, value]) => (text.includes(value) ? [name] : []));

/** Each file under `dir`: its name, its text and its mode. */
const filesIn = (dir: string): { name: string; text: string; mode: number }[] =>
  readdirSync(dir).map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8'), mode: statSync(join(dir, name)).mode & 0o777 }));

let server: ServeProcess;
beforeAll(async () => {
  server = await spawnServe({
    env: {
      ...process.env,
      EVBENCH_TOKENS: [SECRET.token, SECRET.fileToken1, SECRET.fileToken2, SECRET.header].join(','),
      EVBENCH_PUBLISHER_TOKEN: SECRET.publisher,
      EVBENCH_METRICS_TOKEN: SECRET.metrics,
    },
  });
});
afterAll(() => server?.stop());

describe('a run against a URL with every secret given', () => {
  it('none of them is in the record, a report, stdout, stderr or a command line; the files are 0600', async () => {
    const scenario = join(tmp, 'secret-target.json');
    writeFileSync(scenario, JSON.stringify(tinyStallScenario('secret-target')));
    const tokensFile = join(tmp, 'tokens.txt');
    writeFileSync(tokensFile, `${SECRET.fileToken1}\n${SECRET.fileToken2}\n`);
    const url = new URL(server.url);
    url.username = 'evbench';
    url.password = SECRET.urlPassword;
    url.searchParams.set('api_key', SECRET.urlQuery);
    const out = join(tmp, 'url-run');
    const { result, commandLines } = await runWatched([
      'run',
      scenario,
      '--target',
      url.toString(),
      '--token',
      SECRET.token,
      '--tokens-file',
      tokensFile,
      '--publisher-token',
      SECRET.publisher,
      '--metrics-url',
      server.metricsUrl,
      '--metrics-token',
      SECRET.metrics,
      '--header',
      `Authorization: Bearer ${SECRET.header}`,
      '--report',
      'md,html,junit,hgrm,hlog',
      '--verbose',
      '--json',
      '--workers',
      '1',
      '--out',
      out,
    ]);
    // the run itself worked: the server accepted every token, the metrics were scraped
    expect([0, 1, 4, 5], result.stderr).toContain(result.code);
    const record = JSON.parse(result.stdout) as { target: { url: string }; server?: { error?: string; eventsIn?: number } };
    expect(record.server?.error, result.stderr).toBeUndefined();
    expect(record.target.url).toContain(':***@');
    expect(record.target.url).toContain('api_key=***');
    const files = filesIn(out);
    expect(files.map((f) => f.name).sort()).toEqual(
      expect.arrayContaining([
        'secret-target.evbench.json',
        'secret-target.evbench.md',
        'secret-target.evbench.html',
        'secret-target.evbench.junit.xml',
        'secret-target.evbench.hlog',
      ]),
    );
    expect(files.some((f) => f.name.endsWith('.hgrm'))).toBe(true);
    const spec = (JSON.parse(files.find((f) => f.name.endsWith('.json'))!.text) as { scenario: { spec: { target: object } } }).scenario
      .spec;
    // the header's name is kept, its value is not
    expect(spec.target).toMatchObject({
      token: '***',
      publisherToken: '***',
      metricsToken: '***',
      headers: [['Authorization', '***']],
      tokens: ['***', '***'],
    });
    for (const f of files) {
      expect(leaks(f.text), f.name).toEqual([]);
      expect(f.mode, f.name).toBe(0o600);
    }
    expect(leaks(result.stdout)).toEqual([]);
    expect(leaks(result.stderr)).toEqual([]);
    expect(commandLines.length).toBeGreaterThan(0);
    // only the command line the user typed holds them; every process the run started is clean
    expect(commandLines.filter((c) => leaks(c).length > 0).every((c) => c.includes(' run '))).toBe(true);
  }, 150_000);
});

describe('an embedded server', () => {
  it('gets its tokens through its environment: its command line shows none', async () => {
    const scenario = join(tmp, 'secret-embedded.json');
    writeFileSync(
      scenario,
      JSON.stringify({ ...tinyStallScenario('secret-embedded'), target: { embedded: { mode: 'isolated', users: 2 } } }),
    );
    const out = join(tmp, 'embedded-run');
    const { result, commandLines } = await runWatched(['run', scenario, '--workers', '1', '--out', out, '--duration', '3s']);
    expect([0, 1, 4, 5], result.stderr).toContain(result.code);
    const serve = commandLines.filter((c) => c.includes(' serve '));
    expect(serve.length, commandLines.join('\n')).toBeGreaterThan(0);
    for (const c of serve) {
      expect(c).not.toMatch(/--publisher-token|--tokens|--metrics-token|pub-[0-9a-f]{24}|reader-[0-9a-f]{24}/);
      expect(c).toContain('--users 2');
    }
  }, 150_000);

  it('a store password is neither on its command line nor in the error when the store is unreachable', async () => {
    const scenario = join(tmp, 'secret-store.json');
    const store = `postgres://evbench:${SECRET.storePassword}@127.0.0.1:1/evbench?password=${SECRET.storeQuery}&application_name=x`;
    writeFileSync(scenario, JSON.stringify({ ...tinyStallScenario('secret-store'), target: { embedded: { mode: 'isolated', store } } }));
    const out = join(tmp, 'store-run');
    const { result, commandLines } = await runWatched(['run', scenario, '--workers', '1', '--out', out, '--verbose']);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toMatch(/embedded server did not start: .*--store: cannot use postgres:\/\/evbench@127\.0\.0\.1:1\/evbench/);
    const serve = commandLines.filter((c) => c.includes(' serve '));
    expect(serve.length, commandLines.join('\n')).toBeGreaterThan(0);
    for (const c of serve) expect(c).toContain('--store postgres://evbench@127.0.0.1:1/evbench?application_name=x');
    expect(leaks([...serve, result.stderr, result.stdout].join('\n'))).toEqual([]);
  }, 60_000);
});

describe('a store URL in an error', () => {
  it.each([
    [
      'serve, unreachable',
      ['serve', '--port', '0', '--store', `postgres://u@127.0.0.1:1/db?password=${SECRET.storeQuery}`],
      /cannot use postgres:\/\/u@127\.0\.0\.1:1\/db\?password=\*\*\*: /,
    ],
    [
      'serve, not postgres',
      ['serve', '--port', '0', '--store', `mysql://u:${SECRET.storePassword}@x/db?password=${SECRET.storeQuery}`],
      /got "mysql:\/\/u:\*\*\*@x\/db\?password=\*\*\*"/,
    ],
  ])('%s: the password is masked, the rest is shown', async (_name, args, shown) => {
    const r = await runCli(args, 30_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(shown);
    expect(leaks(r.stderr)).toEqual([]);
  });

  it('a scenario whose store is not postgres: the password is masked in the validation error', async () => {
    const scenario = join(tmp, 'bad-store.json');
    const store = `mysql://u:${SECRET.storePassword}@x/db?password=${SECRET.storeQuery}`;
    writeFileSync(scenario, JSON.stringify({ ...tinyStallScenario('bad-store'), target: { embedded: { mode: 'isolated', store } } }));
    const r = await runCli(['run', scenario], 30_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('target.embedded.store');
    expect(leaks(r.stderr)).toEqual([]);
  });
});
