#!/usr/bin/env node
// @ts-check
// Measures whether `evbench compare` can be trusted in CI, in both directions: N pairs of runs of the
// same server on the same commit (isolated vs isolated: should exit 0) and N pairs of the fixed
// server vs the buggy one (isolated base, legacy new: should exit 1). Runs are interleaved
// (isolated A, legacy, isolated B) so the machine's noise falls on all of them alike.
//
//   npm run build && node scripts/compare-stability.mjs [--pairs 10] [--duration 20s] [--scenario slow-client] [--out DIR]
//
// Prints a table of verdicts and exit codes (and the rows compare flagged) and writes it as JSON
// to DIR/compare-stability.json. Exit code 0 when same-commit pairs exit 0 in at least 9 of 10 and
// legacy-vs-isolated pairs exit 1 in all; 1 otherwise.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'bin', 'evbench');
// for a pair compare refuses (a record is not a result): what the rule alone would have said
const { compareRecords } = await import(pathToFileURL(join(root, 'dist', 'verdict', 'compareRuns.js')).href);
const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '10' },
    duration: { type: 'string', default: '20s' },
    scenario: { type: 'string', default: 'slow-client' },
    out: { type: 'string' },
  },
});
const pairs = Number(values.pairs);
if (!Number.isInteger(pairs) || pairs < 1) {
  process.stderr.write(`--pairs: expected a whole number ≥ 1, got ${values.pairs}\n`);
  process.exit(2);
}
const out = values.out ?? mkdtempSync(join(tmpdir(), 'evbench-compare-stability-'));
mkdirSync(out, { recursive: true });
const log = (line) => process.stderr.write(`${line}\n`);

function evbench(args, timeoutMs) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? (r.signal ? `killed (${r.signal})` : 'error'), stderr: r.stderr ?? '', stdout: r.stdout ?? '' };
}

function run(label, mode) {
  const dir = join(out, label);
  const r = evbench(['run', values.scenario, '--mode', mode, '--duration', values.duration, '--out', dir], 300_000);
  const file = join(dir, `${values.scenario}.json`);
  let record;
  try {
    record = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    log(`${label}: no run record (exit ${r.code}): ${r.stderr.trim().split('\n').at(-1)}`);
    return { label, file, verdict: 'no record', bound: null };
  }
  const v = {
    label,
    file,
    verdict: record.hol.verdict,
    bound: record.generator.bound,
    p99: record.groups.find((g) => g.kind === 'fast')?.phases?.stress?.latencyUs?.p99 ?? null,
  };
  log(
    `${label}: ${mode}, verdict ${v.verdict}${v.bound ? ' (generator bound)' : ''}, fast stress p99 ${v.p99 === null ? '—' : `${(v.p99 / 1000).toFixed(1)}ms`}`,
  );
  return v;
}

function compare(base, next) {
  const r = evbench(['compare', base.file, next.file], 60_000);
  const flagged = r.stderr
    .split('\n')
    .filter((l) => /\bREGRESSION\b/.test(l))
    .map((l) =>
      l
        .trim()
        .split(/\s{2,}/)
        .slice(0, 3)
        .join(' '),
    );
  const refused = r.code === 4 ? r.stderr.trim().split('\n').at(-1) : '';
  let ruleAlone = null;
  if (r.code === 4) {
    const c = compareRecords(JSON.parse(readFileSync(base.file, 'utf8')), JSON.parse(readFileSync(next.file, 'utf8')));
    ruleAlone = { exit: c.regressions.length ? 1 : 0, flagged: c.regressions.map((x) => `${x.group} ${x.phase} ${x.metric}`.trim()) };
  }
  return { code: r.code, flagged, refused, ruleAlone };
}

const rows = [];
for (let i = 0; i < pairs; i++) {
  const a = run(`${i}-isolated-a`, 'isolated');
  const l = run(`${i}-legacy`, 'legacy');
  const b = run(`${i}-isolated-b`, 'isolated');
  const same = compare(a, b);
  const fixVsBug = compare(a, l);
  rows.push({
    pair: i,
    verdicts: { isolatedA: a.verdict, isolatedB: b.verdict, legacy: l.verdict },
    bound: { isolatedA: a.bound, isolatedB: b.bound, legacy: l.bound },
    same,
    fixVsBug,
  });
  log(
    `pair ${i}: same-commit exit ${same.code}${same.flagged.length ? ` (${same.flagged.join('; ')})` : ''}${same.refused ? ` ${same.refused}` : ''}; isolated→legacy exit ${fixVsBug.code}`,
  );
}

const cell = (v) => String(v);
const table = [
  '| pair | isolated A | isolated B | legacy | same commit (A→B) exit | flagged | isolated→legacy exit | rule alone (refused pairs): same / legacy |',
  '|---:|:---|:---|:---|---:|:---|---:|:---|',
  ...rows.map(
    (r) =>
      `| ${[
        r.pair,
        `${r.verdicts.isolatedA}${r.bound.isolatedA ? ' (bound)' : ''}`,
        `${r.verdicts.isolatedB}${r.bound.isolatedB ? ' (bound)' : ''}`,
        `${r.verdicts.legacy}${r.bound.legacy ? ' (bound)' : ''}`,
        r.same.code,
        r.same.flagged.join('; ') || (r.same.refused ? 'refused: not a result' : '—'),
        r.fixVsBug.code,
        r.same.ruleAlone || r.fixVsBug.ruleAlone
          ? `${r.same.ruleAlone ? `${r.same.ruleAlone.exit}${r.same.ruleAlone.flagged.length ? ` (${r.same.ruleAlone.flagged.join('; ')})` : ''}` : '—'} / ${r.fixVsBug.ruleAlone?.exit ?? '—'}`
          : '—',
      ]
        .map(cell)
        .join(' | ')} |`,
  ),
];
const same0 = rows.filter((r) => r.same.code === 0).length;
const bug1 = rows.filter((r) => r.fixVsBug.code === 1).length;
const refused = rows.filter((r) => r.same.code === 4).length;
const ruleSame0 = rows.filter((r) => (r.same.ruleAlone ? r.same.ruleAlone.exit : r.same.code) === 0).length;
const ruleBug1 = rows.filter((r) => (r.fixVsBug.ruleAlone ? r.fixVsBug.ruleAlone.exit : r.fixVsBug.code) === 1).length;
const summary =
  `same commit: exit 0 in ${same0}/${pairs} (${refused} refused, exit 4: a run was not a result); legacy vs isolated: exit 1 in ${bug1}/${pairs} ` +
  `(${values.scenario}, --duration ${values.duration}). The rule alone, refused pairs included: same commit 0 in ${ruleSame0}/${pairs}, legacy vs isolated 1 in ${ruleBug1}/${pairs}`;
process.stdout.write(`${table.join('\n')}\n\n${summary}\n`);
writeFileSync(
  join(out, 'compare-stability.json'),
  `${JSON.stringify({ scenario: values.scenario, duration: values.duration, pairs, rows, summary }, null, 2)}\n`,
);
log(`runs and records in ${out}`);
process.exit(same0 >= Math.ceil(0.9 * pairs) && bug1 === pairs ? 0 : 1);
