#!/usr/bin/env node
// @ts-check
// The fixed load measured from outside, the way a user would: each server started as its README says
// (`taskset -c 0 evbench serve`, which picks its own collector on one CPU; the Go contenders with
// GOMAXPROCS=1 on the same core), then `taskset -c 1 evbench run --workers 1` from the command line
// with 50 fast clients × 1,500 events/s × 200 B (75,000 deliveries/s; no slow clients), 3 s of
// warm-up, BASELINE_S of baseline and 2 s of stress. A fresh server each round, contenders
// alternated; each round prints the fast clients' baseline p50 / p99 / max and whether the runner
// was bound; the end, the median p99 of the rounds that were not, and evbench's ÷ each Go's.
// PREFILL=N publishes N events before the run (the server's log holds them). ONLY=evbench,hub
// picks contenders (evbench, gorilla: bench/go/main.go, hub: bench/go/hub, the gorilla README's).
//   npm run build && npm run build:bench && node scripts/outside-view.mjs [ROUNDS=3] [BASELINE_S=30]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { GO_HUB_SOURCE, buildGoServer } = await import(pathToFileURL(join(root, 'dist-bench', 'bench', 'contenders.js')).href);

const rounds = Number(process.argv[2] ?? 3);
const baselineS = Number(process.argv[3] ?? 30);
const prefill = Number(process.env.PREFILL ?? 0);
const TOKEN = 'outside-view-publisher'; // in the environment, never on a command line
const contenders = (process.env.ONLY ?? 'evbench,gorilla,hub').split(',');
const evbench = join(root, 'bin', 'evbench');
const say = (line) => process.stdout.write(`${line}\n`);

const goBinaries = {};
for (const name of contenders.filter((c) => c !== 'evbench')) {
  const built = name === 'hub' ? buildGoServer(GO_HUB_SOURCE) : buildGoServer();
  if (built.skipped) throw new Error(built.skipped);
  goBinaries[name] = built.binary;
}
const env = { ...process.env, EVBENCH_PUBLISHER_TOKEN: TOKEN };

/** Starts a contender on CPU 0; resolves with its URL and its first line on stderr (evbench's startup line). */
function startServer(name) {
  const [cmd, args] =
    name === 'evbench'
      ? ['taskset', ['-c', '0', evbench, 'serve', '--port', '0', '--json']]
      : ['env', ['GOMAXPROCS=1', 'taskset', '-c', '0', goBinaries[name], '-queue', '16384']];
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolveStart, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const url = /"url":"(ws:[^"]+)"/.exec(out)?.[1];
      if (url) resolveStart({ url, child, startup: () => err.split('\n')[0] });
    });
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before listening: ${err.trim()}`)));
  });
}

/** `evbench run` on CPU 1 against `url`; resolves with the run record (or the error's last lines). */
function runClients(url, dir) {
  const file = join(dir, 'outside-view.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'outside-view',
      target: { url },
      publisher: { rate: 1500, payloadBytes: 200, prefill },
      groups: [{ name: 'fast', kind: 'fast', count: 50 }],
      phases: [
        { name: 'warmup', duration: '3s' },
        { name: 'baseline', duration: `${baselineS}s` },
        { name: 'stress', duration: '2s' },
      ],
    }),
  );
  const child = spawn('taskset', ['-c', '1', evbench, 'run', file, '--workers', '1', '--json', '--out', dir], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolveRun) =>
    child.once('exit', (code) => {
      try {
        resolveRun({ record: JSON.parse(out) });
      } catch {
        resolveRun({ error: `exit ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}` });
      }
    }),
  );
}

const ms = (us) => (us / 1000).toFixed(2);
const rows = [];
say(`outside view: ${rounds} rounds, ${baselineS} s baseline, prefill ${prefill}, ${contenders.join(', ')}`);
for (let round = 1; round <= rounds; round++) {
  for (const name of contenders) {
    const dir = mkdtempSync(join(tmpdir(), 'evbench-outside-'));
    try {
      const server = await startServer(name);
      const { record, error } = await runClients(server.url, dir);
      server.child.kill('SIGTERM');
      await new Promise((done) => (server.child.exitCode !== null ? done(undefined) : server.child.once('exit', done)));
      if (!record) {
        say(`round ${round} ${name}: failed, ${error}`);
        continue;
      }
      const baseline = record.groups.find((g) => g.name === 'fast').phases.baseline;
      const bound = record.generator.bound;
      rows.push({ name, p99: baseline.latencyUs.p99, bound });
      const extra = name === 'evbench' ? `; ${server.startup()}` : '';
      say(
        `round ${round} ${name}: p50 ${ms(baseline.latencyUs.p50)} ms, p99 ${ms(baseline.latencyUs.p99)} ms, max ${ms(baseline.latencyUs.max)} ms, ` +
          `${baseline.delivered} delivered, ${baseline.missing} missing${bound ? ', RUNNER BOUND (left out)' : ''}${extra}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const medians = Object.fromEntries(contenders.map((c) => [c, median(rows.filter((r) => r.name === c && !r.bound).map((r) => r.p99))]));
for (const c of contenders) {
  const ratio = c !== 'evbench' && medians.evbench ? ` (evbench ÷ ${c}: ${(medians.evbench / medians[c]).toFixed(2)}×)` : '';
  say(`${c}: median p99 ${ms(medians[c])} ms over ${rows.filter((r) => r.name === c && !r.bound).length} rounds${ratio}`);
}
