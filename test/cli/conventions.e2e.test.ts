// The command line as k6 and autocannon users expect it, through the real CLI: the version, grouped
// help with examples, a missing option value named, EVBENCH_* variables (a flag wins; a bad value
// names the variable), token files, thresholds checked against the scenario before anything runs.
// Every case here ends before a run starts.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killAll, runCli, startCli } from '../support/cli.js';
import { packageRoot } from '../../src/util/paths.js';
import { scenarioSchemaText } from '../../src/scenario/schema.js';
import { tempDir } from '../support/tempDir.js';

afterAll(killAll);
const tmp = tempDir('conventions');
const version = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

/** A usage error: exit 2, one line on stderr, nothing on stdout, no run started. */
async function usageError(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const r = await runCli(args, 20_000, env);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).not.toContain('run started');
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  return r.stderr.trim();
}

describe('version and help', () => {
  it('--version, -V and version print the package version', async () => {
    for (const args of [['--version'], ['-V'], ['version']]) {
      const r = await runCli(args);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(version);
    }
  });

  it('the top-level help ends with examples; run and serve group their options', async () => {
    const top = await runCli(['--help']);
    expect(top.stdout).toMatch(/\nExamples:\n {2}evbench demo/);
    expect(top.stdout).toContain('EVBENCH_<NAME>');
    const run = (await runCli(['run', '--help'])).stdout;
    const headings = run.split('\n').filter((l) => /^[A-Z][^:]*:$/.test(l));
    expect(headings).toEqual([
      'Arguments:',
      'Scenario overrides:',
      'Run:',
      'Thresholds and exit codes:',
      'Target (a server of your own):',
      'Adapters (--target speaking another protocol):',
      'Runner:',
      'Output:',
      'Options:',
      'Examples:',
    ]);
    expect(run).toMatch(/--rate <n> +publisher events per second \(env: EVBENCH_RATE\)/);
    expect(run).toMatch(/Run:\n {2}--shard <i\/N>[^\n]*\n(?: {4,}[^\n]*\n)* {2}--start-at <time>[\s\S]*?\(env:\s+EVBENCH_START_AT\)/);
    const serve = (await runCli(['serve', '--help'])).stdout;
    expect(serve).toContain('Access:');
    expect(serve).toContain('Limits:');
    expect(serve).toMatch(/env:\s+EVBENCH_MAX_CONNECTIONS\)/);
  });

  it('evbench schema prints the schema the package ships', async () => {
    const r = await runCli(['schema']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(scenarioSchemaText());
  });
});

describe('an option without its value is named', () => {
  it.each([
    [['run', 'slow-client', '--target'], /^evbench: --target needs a value \(--target <url>\): see evbench run --help$/],
    [
      ['run', 'slow-client', '--target', '--rate', '10'],
      /^evbench: --target needs a value \(--target <url>\), got the option --rate instead/,
    ],
    [
      ['run', 'slow-client', '--rate', '--duration=5s'],
      /^evbench: --rate needs a value \(--rate <n>\), got the option --duration=5s instead/,
    ],
    [
      ['serve', '--port', '--json'],
      /^evbench: --port needs a value \(--port <port>\), got the option --json instead: see evbench serve --help$/,
    ],
  ])('%j', async (args, message) => {
    expect(await usageError(args)).toMatch(message);
  });

  it('a value that only starts with a dash is still the value', async () => {
    expect(await usageError(['run', 'slow-client', '--rate', '-5'])).toBe('evbench: --rate -5: must be ≥ 0.1, got -5');
  });
});

describe('EVBENCH_* variables', () => {
  it.each([
    [{ EVBENCH_RATE: '0.01' }, 'evbench: EVBENCH_RATE=0.01 (--rate): must be ≥ 0.1, got 0.01'],
    [{ EVBENCH_RATE: 'fast' }, 'evbench: EVBENCH_RATE (--rate): expected events per second, got "fast"'],
    [{ EVBENCH_CLIENTS: 'fast=100001' }, 'evbench: EVBENCH_CLIENTS=fast=100001 (--clients): must be ≤ 100000, got 100001'],
    [{ EVBENCH_TARGET: 'http://example' }, 'evbench: EVBENCH_TARGET (--target): expected a ws:// or wss:// URL, got "http://example"'],
    [{ EVBENCH_MODE: 'legacyy' }, 'evbench: EVBENCH_MODE (--mode): "legacyy" is not allowed. Allowed choices are isolated, legacy.'],
    [{ EVBENCH_JSON: 'maybe' }, 'evbench: EVBENCH_JSON: expected 1, true, yes, on or 0, false, no, off (like --json), got "maybe"'],
  ])('run with %j', async (env, message) => {
    expect(await usageError(['run', 'slow-client'], env)).toBe(message);
  });

  it('a flag wins over its variable', async () => {
    // the variable alone would be an error; the flag's value is the one checked
    expect(await usageError(['run', 'slow-client', '--rate', '0.01'], { EVBENCH_RATE: 'fast' })).toBe(
      'evbench: --rate 0.01: must be ≥ 0.1, got 0.01',
    );
  });

  it('serve reads its options from the environment too, a flag still winning', async () => {
    expect(await usageError(['serve'], { EVBENCH_PORT: 'abc' })).toBe('evbench: EVBENCH_PORT (--port): expected a whole number, got "abc"');
    const serve = startCli(['serve', '--port', '0', '--host', '127.0.0.1'], 20_000, { EVBENCH_MODE: 'legacy', EVBENCH_HOST: '0.0.0.0' });
    await serve.waitForStderr('listening on');
    serve.child.kill('SIGTERM');
    const r = await serve.done;
    expect(r.stderr).toMatch(/evbench serve \(legacy\) listening on ws:\/\/127\.0\.0\.1:\d+\/websocket/);
  });
});

describe("a run's embedded server does not take serve's variables", () => {
  it('EVBENCH_LOG_BYTES breaks evbench serve, and not the server a run starts', async () => {
    const env = { EVBENCH_LOG_BYTES: 'abc', EVBENCH_TOKENS: 'a,b' };
    expect(await usageError(['serve'], env)).toMatch(/^evbench: EVBENCH_LOG_BYTES \(--log-bytes\): expected a size/);
    const r = await runCli(['run', 'slow-client', '--duration', '1s', '--out', tmp, '-q'], 60_000, env);
    expect(r.stderr).not.toContain('embedded server did not start');
    expect(r.stderr).toMatch(/^verdict: /m);
    expect([0, 1, 4, 5]).toContain(r.code); // judged, not a result on a loaded machine, or inconclusive (1 s tests nothing); never 2 or 3
  }, 70_000);
});

describe('token variables exported for a serve in the same shell', () => {
  // the unknown group stops each case after the target flags are applied, before anything runs
  const stop = ['--threshold', 'latency{group:nope}: p(99)<1s'];
  it('are ignored by a run against the embedded server', async () => {
    expect(await usageError(['run', 'slow-client', ...stop], { EVBENCH_PUBLISHER_TOKEN: 'pub', EVBENCH_METRICS_TOKEN: 'm' })).toMatch(
      /no group "nope" in this scenario/,
    );
  });
  it('given as flags, still need --target', async () => {
    expect(await usageError(['run', 'slow-client', '--publisher-token', 'pub', ...stop])).toMatch(/only with --target/);
  });
});

describe('tokens from files', () => {
  it('a token file that cannot be read, or a token given twice, is named', async () => {
    expect(await usageError(['run', 'slow-client', '--publisher-token-file', join(tmp, 'none')])).toMatch(
      /^evbench: --publisher-token-file: cannot read .*none \(ENOENT\)$/,
    );
    const file = join(tmp, 'pub');
    writeFileSync(file, 'secret\n');
    expect(await usageError(['run', 'slow-client', '--publisher-token', 'x', '--publisher-token-file', file])).toBe(
      'evbench: --publisher-token and --publisher-token-file: give one of them, not both',
    );
  });
});

describe('thresholds are checked against the scenario before the run', () => {
  it.each([
    [
      'latency{group:fsat,phase:stress}: p(99)<50ms',
      `evbench: --threshold 'latency{group:fsat,phase:stress}: p(99)<50ms': no group "fsat" in this scenario (did you mean "fast"? groups: fast, stalled, trickle)`,
    ],
    [
      'stall{phase:overload}: max<1s',
      `evbench: --threshold 'stall{phase:overload}: max<1s': no phase "overload" in this scenario (phases: warmup, baseline, stress)`,
    ],
    [
      'latency: p99<100ms',
      'evbench: --threshold "p99<100ms": at column 1: "p99" is not an aggregation of latency (did you mean p(99)? expected p(N), max, min, mean, count)',
    ],
    [
      'latency p(99)<100ms',
      `evbench: --threshold "latency p(99)<100ms": at column 8: expected ':' between "latency" and "p(99)<100ms" (write 'latency: p(99)<100ms')`,
    ],
  ])('%s', async (threshold, message) => {
    expect(await usageError(['run', 'slow-client', '--threshold', threshold])).toBe(message);
  });

  it('a threshold the shell split in two says how to quote it', async () => {
    expect(await usageError(['run', 'slow-client', '--threshold', 'latency{group:fast}', 'p(99)<50ms'])).toBe(
      `evbench: --threshold "latency{group:fast}": expected ':' between the key and the expression, as one argument: --threshold 'latency{group:fast}: p(99)<50ms'`,
    );
  });

  it('a scenario file whose threshold names a missing group fails with the others, each with its path', async () => {
    const s = JSON.parse(readFileSync(join(packageRoot, 'scenarios', 'slow-client.json'), 'utf8'));
    s.thresholds['latency{group:fsat}'] = ['p(99)<50ms'];
    s.publisher.rtae = 5;
    const file = join(tmp, 'two.json');
    writeFileSync(file, JSON.stringify(s));
    const r = await runCli(['run', file], 20_000);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      `evbench: ${file}: 2 errors`,
      '  publisher.rtae: unknown field (expected one of rate, payloadBytes, mix, prefill)',
      '  thresholds["latency{group:fsat}"]: no group "fsat" in this scenario (did you mean "fast"? groups: fast, stalled, trickle)',
    ]);
  });
});
