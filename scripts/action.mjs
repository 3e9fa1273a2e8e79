#!/usr/bin/env node
// @ts-check
// The GitHub Action's logic (action.yml runs it; a test runs it the same way with GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY pointed at temporary files):
//   node scripts/action.mjs install   which evbench to run: this checkout (built on first use) or an npm spec
//   node scripts/action.mjs run       run it, compare with a baseline, set the step's outputs
// Inputs arrive as INPUT_<NAME> environment variables (action.yml maps each `inputs.<name>` to one,
// so no input is ever pasted into a shell line). `run` exits 0 once its outputs are written: the
// action's last step fails with `fail-with`, after the reports are uploaded.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const actionRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** An input by its action.yml name: `fail-on-hol` is INPUT_FAIL_ON_HOL. */
export function input(name, env = process.env) {
  return (env[`INPUT_${name.toUpperCase().replace(/-/g, '_')}`] ?? '').trim();
}

/** A boolean input the way GitHub's toolkit reads one: true/True/TRUE or false/False/FALSE. */
export function booleanInput(name, env = process.env) {
  const v = input(name, env);
  if (['true', 'True', 'TRUE'].includes(v)) return true;
  if (['false', 'False', 'FALSE', ''].includes(v)) return false;
  throw new ActionError(`input ${name}: expected true or false, got "${v}"`);
}

export class ActionError extends Error {}

/** One output for GITHUB_OUTPUT, in the multi-line form (safe for any value). */
export function outputEntry(name, value) {
  const text = String(value ?? '');
  let delimiter = `EVBENCH_${randomBytes(8).toString('hex')}`;
  while (text.includes(delimiter)) delimiter = `EVBENCH_${randomBytes(8).toString('hex')}`;
  return `${name}<<${delimiter}\n${text}\n${delimiter}\n`;
}

function setOutput(name, value) {
  const file = process.env.GITHUB_OUTPUT;
  if (file) appendFileSync(file, outputEntry(name, value));
  else process.stdout.write(`${name}=${value}\n`);
}

function appendSummary(markdown) {
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (file) appendFileSync(file, markdown.endsWith('\n') ? markdown : `${markdown}\n`);
}

/** A workflow command's message, escaped as GitHub reads it. */
const escapeData = (s) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const annotate = (level, message) => process.stdout.write(`::${level} title=evbench::${escapeData(message)}\n`);

/** Splits extra arguments like a shell would (quotes and backslashes), with no expansion of any kind. */
export function splitArgs(text) {
  const args = [];
  let cur = '';
  let inWord = false;
  let quote = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote === "'") {
      if (ch === "'") quote = null;
      else cur += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = null;
      else if (ch === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1])) cur += text[++i];
      else cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) args.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) throw new ActionError(`input args: unclosed ${quote} quote`);
  if (inWord) args.push(cur);
  return args;
}

/** Threshold lines: one per line, blank lines and `#` comments ignored. */
export function thresholdLines(text) {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** Report formats for --report: md always (it is the step summary), json left out (always written). */
export function reportFormats(text) {
  const formats = text
    .split(',')
    .map((f) => f.trim().toLowerCase())
    .filter((f) => f !== '' && f !== 'json');
  if (!formats.includes('md') && !formats.includes('markdown')) formats.unshift('md');
  return [...new Set(formats)];
}

/** The evbench command line for the inputs (without the executable). */
export function evbenchArgs(env, outDir) {
  const scenario = input('scenario', env) || 'slow-client';
  const target = input('target', env);
  const thresholds = thresholdLines(input('thresholds', env));
  const demo = scenario === 'demo';
  if (demo && (target || thresholds.length || input('publisher-token', env)))
    throw new ActionError(
      'scenario demo runs its own embedded servers: target, publisher-token and thresholds do not apply (name a scenario instead)',
    );
  const args = demo ? ['demo'] : ['run', scenario];
  if (target) args.push('--target', target);
  for (const t of thresholds) args.push('--threshold', t);
  if (input('duration', env)) args.push('--duration', input('duration', env));
  args.push('--report', reportFormats(input('report-formats', env) || 'md,html,junit').join(','));
  if (booleanInput('fail-on-hol', env)) args.push('--fail-on-hol');
  args.push('--out', outDir, '--json');
  args.push(...splitArgs(input('args', env)));
  return args;
}

/**
 * evbench's environment: the publisher token as EVBENCH_PUBLISHER_TOKEN, never on its command line
 * (another process on the runner can read a command line; `ps` shows it).
 */
export function evbenchEnv(env) {
  const token = input('publisher-token', env);
  return token ? { ...env, EVBENCH_PUBLISHER_TOKEN: token } : env;
}

/** The printed form of a command line, with the publisher token hidden (should `args` hold it too). */
function shown(args, env) {
  const secret = input('publisher-token', env);
  return args.map((a) => (secret && a === secret ? '***' : /[\s'"$`\\]/.test(a) ? `'${a.replace(/'/g, `'\\''`)}'` : a)).join(' ');
}

/**
 * evbench's record file name, as its `--out` names it (docs/ci.md; src/record/loadRecord.ts
 * recordBaseName): the scenario, its variant, the server mode or adapter, the shard.
 */
export function recordFile(record, outDir) {
  const part = (text) =>
    String(text)
      .replace(/[^A-Za-z0-9_-]+/g, '-')
      .slice(0, 64) || '-';
  const parts = record.scenario.name.split('/');
  const how = record.target?.kind === 'embedded' ? record.target.mode : record.target?.adapter;
  if (how !== undefined && !parts.slice(1).includes(how)) parts.push(how);
  if (record.shard) parts.push(`shard-${record.shard.index}-of-${record.shard.count}`);
  return join(outDir, `${parts.map(part).join('.')}.json`);
}

/** The worst p99 (ms) over the groups of `kind` in the phases of `role`; '' when there is none. */
export function p99Ms(record, kind, role) {
  const phases = record.phases.filter((p) => p.role === role).map((p) => p.name);
  const values = record.groups
    .filter((g) => g.kind === kind)
    .flatMap((g) => phases.map((ph) => g.phases[ph]))
    .filter((p) => p && p.latencyUs && p.latencyUs.count > 0)
    .map((p) => p.latencyUs.p99);
  return values.length ? String(Math.round(Math.max(...values)) / 1000) : '';
}

/** Runs evbench with stdout captured and stderr passed through (its tail kept for the summary). */
function runEvbench(bin, args, options = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
    const out = [];
    let tail = '';
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => {
      process.stderr.write(d);
      tail = (tail + d.toString()).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolvePromise({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString('utf8'), stderrTail: tail }),
    );
  });
}

/** The records from `--json`: one record, or an object of them keyed by variant name. */
export function parseRecords(stdout) {
  const text = stdout.trim();
  if (text === '') return [];
  const parsed = JSON.parse(text);
  if (typeof parsed.schemaVersion === 'number') return [{ name: parsed.scenario.name.split('/').pop(), record: parsed }];
  return Object.entries(parsed).map(([name, record]) => ({ name, record }));
}

/** One value, or `name=value` pairs when several runs (variants) report. */
const perRun = (runs, f) => (runs.length === 1 ? f(runs[0]) : runs.map((r) => `${r.name}=${f(r)}`).join(' '));

/** Compares each run with its baseline record: a file (one run) or a folder holding records of the same names. */
async function compareWithBaseline(bin, runs, baseline, env) {
  const base = resolve(baseline);
  if (!existsSync(base)) {
    appendSummary(`> ℹ️ evbench: no baseline at \`${baseline}\`: nothing compared (the first run on a branch has none).\n`);
    process.stderr.write(`evbench action: no baseline at ${baseline}: comparison skipped\n`);
    return { code: '', regressions: '' };
  }
  const isDir = statSync(base).isDirectory();
  if (!isDir && runs.length > 1)
    throw new ActionError(
      `baseline ${baseline} is one file but the run made ${runs.length} records: give a folder holding a record per variant`,
    );
  const codes = [];
  let regressions = 0;
  for (const run of runs) {
    const baseFile = isDir ? join(base, basename(run.path)) : base;
    if (!existsSync(baseFile)) {
      appendSummary(`> ℹ️ evbench: no baseline record \`${baseFile}\` for ${run.name}: not compared.\n`);
      continue;
    }
    process.stderr.write(`\nevbench action: evbench compare ${baseFile} ${run.path} --md\n`);
    const r = await runEvbench(bin, ['compare', baseFile, run.path, '--md'], { env });
    codes.push(r.code);
    if (r.stdout) appendSummary(r.stdout);
    else appendSummary(`> ⚠️ evbench compare ${run.name} (exit ${r.code}): ${lastLine(r.stderrTail)}\n`);
    const m = /^## evbench compare — (?:✅ no regression|❌ (\d+) regression)/m.exec(r.stdout);
    if (m && m[1]) regressions += Number(m[1]);
  }
  if (codes.length === 0) return { code: '', regressions: '' };
  // a regression is the answer the comparison exists for; then a bad file; then a record that is not a result
  const code = [1, 2, 4].find((c) => codes.includes(c)) ?? codes.find((c) => c !== 0) ?? 0;
  return { code: String(code), regressions: String(regressions) };
}

const lastLine = (text) =>
  text
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '')
    .pop() ?? '';

const VERDICT_NOTE = { none: 'notice', hol: 'error', disconnect: 'error', invalid: 'warning', unknown: 'warning' };

export async function run(env = process.env) {
  const bin = env.EVBENCH_BIN || join(actionRoot, 'bin', 'evbench');
  const outDir = resolve(input('out', env) || 'evbench-reports');
  mkdirSync(outDir, { recursive: true });
  setOutput('reports-dir', outDir);
  const args = evbenchArgs(env, outDir);
  process.stderr.write(`evbench action: evbench ${shown(args, env)}\n`);
  const result = await runEvbench(bin, args, { env: evbenchEnv(env) });
  setOutput('exit-code', result.code);

  let runs;
  try {
    runs = parseRecords(result.stdout).map((r) => ({ ...r, path: recordFile(r.record, outDir) }));
  } catch (err) {
    throw new ActionError(`evbench exited ${result.code} but its --json output is not a run record: ${err.message}`);
  }
  for (const r of runs) if (!existsSync(r.path)) throw new ActionError(`evbench reported a run but its record ${r.path} is not there`);
  if (runs.length === 0) {
    appendSummary(
      `### evbench: no run record\n\nevbench exited ${result.code} before recording a run: \`${lastLine(result.stderrTail).replace(/`/g, "'")}\`\n`,
    );
    annotate('error', `evbench exited ${result.code}: ${lastLine(result.stderrTail)}`);
  }
  setOutput(
    'verdict',
    perRun(runs, (r) => r.record.hol.verdict),
  );
  setOutput(
    'hol-index',
    perRun(runs, (r) => r.record.hol.index ?? ''),
  );
  setOutput(
    'fast-p99-baseline-ms',
    perRun(runs, (r) => p99Ms(r.record, 'fast', 'baseline')),
  );
  setOutput(
    'fast-p99-stress-ms',
    perRun(runs, (r) => p99Ms(r.record, 'fast', 'stress')),
  );
  setOutput(
    'slow-p99-stress-ms',
    perRun(runs, (r) => p99Ms(r.record, 'slow', 'stress')),
  );
  setOutput(
    'record',
    perRun(runs, (r) => r.path),
  );
  setOutput(
    'results',
    JSON.stringify(
      runs.map((r) => ({
        name: r.name,
        record: r.path,
        verdict: r.record.hol.verdict,
        summary: r.record.hol.summary,
        holIndex: r.record.hol.index,
        fastP99BaselineMs: p99Ms(r.record, 'fast', 'baseline') === '' ? null : Number(p99Ms(r.record, 'fast', 'baseline')),
        fastP99StressMs: p99Ms(r.record, 'fast', 'stress') === '' ? null : Number(p99Ms(r.record, 'fast', 'stress')),
        slowP99StressMs: p99Ms(r.record, 'slow', 'stress') === '' ? null : Number(p99Ms(r.record, 'slow', 'stress')),
        generatorBound: r.record.generator.bound,
        thresholdsFailed: r.record.thresholds.filter((t) => !t.passed && t.judged !== false).map((t) => t.message),
      })),
    ),
  );
  for (const r of runs)
    annotate(VERDICT_NOTE[r.record.hol.verdict] ?? 'warning', `${r.name}: verdict ${r.record.hol.verdict} — ${r.record.hol.summary}`);

  let compare = { code: '', regressions: '' };
  const baseline = input('baseline', env);
  if (baseline && runs.length > 0) compare = await compareWithBaseline(bin, runs, baseline, env);
  setOutput('compare-exit-code', compare.code);
  setOutput('regressions', compare.regressions);

  const failOnRegression = booleanInput('fail-on-regression', env);
  const code = result.code !== 0 ? result.code : failOnRegression && compare.code !== '' ? Number(compare.code) : 0;
  setOutput('fail-with', booleanInput('fail', env) ? code : 0);
  return code;
}

/** Which evbench to run: this checkout (built with `npm ci` when dist/ is missing) or an npm package spec. */
export function install(env = process.env) {
  const version = input('evbench-version', env);
  if (version === '') {
    if (!existsSync(join(actionRoot, 'dist', 'cli', 'main.js'))) {
      process.stderr.write(`evbench action: building evbench in ${actionRoot} (npm ci)\n`);
      const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: actionRoot, stdio: ['ignore', 'inherit', 'inherit'] });
      if (r.status !== 0) throw new ActionError(`npm ci in ${actionRoot} failed (exit ${r.status})`);
    }
    setOutput('bin', join(actionRoot, 'bin', 'evbench'));
    return;
  }
  const spec = installSpec(version);
  const prefix = join(env.RUNNER_TEMP || join(actionRoot, '.evbench-install'), `evbench-${randomBytes(4).toString('hex')}`);
  mkdirSync(prefix, { recursive: true });
  process.stderr.write(`evbench action: npm install ${spec} (into ${prefix})\n`);
  const r = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, spec], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) throw new ActionError(`npm install ${spec} failed (exit ${r.status})`);
  const bin = join(prefix, 'node_modules', 'evbench', 'bin', 'evbench');
  if (!existsSync(bin)) throw new ActionError(`npm install ${spec} did not install an evbench package (no ${bin})`);
  setOutput('bin', bin);
}

/** `0.2.0` → `evbench@0.2.0`; anything else (a tag, a git URL, a tarball, `evbench@next`) is npm's to read. */
export function installSpec(version) {
  return /^v?\d+\.\d+\.\d+([-+].*)?$/.test(version) || /^[~^]\d/.test(version) ? `evbench@${version.replace(/^v/, '')}` : version;
}

async function main() {
  const command = process.argv[2];
  try {
    if (command === 'install') install();
    else if (command === 'run') await run();
    else throw new ActionError(`usage: action.mjs install|run (got ${command ?? 'nothing'})`);
  } catch (err) {
    if (!(err instanceof ActionError)) throw err;
    process.stderr.write(`evbench action: ${err.message}\n`);
    annotate('error', err.message);
    appendSummary(`### evbench: the action could not run\n\n${err.message}\n`);
    process.exitCode = 2;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
