// @ts-check
// Does the verdict hold still? Runs the built-in slow-client scenario N times against the isolated
// and the legacy server, with and without a CPU burner keeping one core busy, and tabulates the
// verdicts. The goal (docs/verdicts.md): isolated never `hol`, legacy never `none`, whatever the
// machine is doing; `invalid` (a starved generator says so) is allowed.
//
// Usage: npm run build && node scripts/verdict-stability.mjs [--runs 10] [--duration 23s]
//          [--modes isolated,legacy] [--burner both|on|off] [--json results.json]
// Every run is bounded (the scenario's duration + a hard timeout) and targets 127.0.0.1 only.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const runs = Number(flag('runs', '10'));
const duration = flag('duration', '23s');
const modes = flag('modes', 'isolated,legacy').split(',');
const burnerWhen = flag('burner', 'both');
const jsonOut = flag('json', '');
if (!Number.isInteger(runs) || runs < 1 || runs > 100) throw new Error('--runs: a whole number from 1 to 100');

const cli = fileURLToPath(new URL('../bin/evbench', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'evbench-stability-'));

/** One CPU-bound process; pinned to the last core with taskset when there is one. */
function startBurner() {
  const code = 'const end = Date.now() + 3_600_000; while (Date.now() < end) {}';
  const core = String(availableParallelism() - 1);
  const child = spawn('taskset', ['-c', core, process.execPath, '-e', code], { stdio: 'ignore' });
  child.on('error', () => {}); // no taskset: the fallback below
  return new Promise((resolve) => {
    child.once('spawn', () => resolve(child));
    child.once('error', () => resolve(spawn(process.execPath, ['-e', code], { stdio: 'ignore' })));
  });
}

function runOnce(mode, tag) {
  return new Promise((resolve) => {
    const dir = join(out, tag);
    const child = spawn(process.execPath, [cli, 'run', 'slow-client', '--mode', mode, '--duration', duration, '--out', dir, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', () => {});
    const kill = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('close', (code) => {
      clearTimeout(kill);
      try {
        const rec = JSON.parse(stdout);
        const fast = rec.groups.find((g) => g.kind === 'fast');
        resolve({
          mode,
          code,
          verdict: rec.hol.verdict,
          index: rec.hol.index,
          deliveryRatio: rec.hol.deliveryRatio,
          floorMs: rec.hol.noise ? Math.round(rec.hol.noise.floorUs / 100) / 10 : null,
          elevated: rec.hol.noise ? `${rec.hol.noise.elevatedSeconds}/${rec.hol.noise.stressSeconds}` : null,
          stressP99Ms: Math.round(fast.phases.stress.latencyUs.p99 / 100) / 10,
          missing: fast.phases.stress.missing,
          fired: rec.hol.evidence.filter((e) => e.triggered).map((e) => e.rule.split(/[,(]/)[0].trim()),
          bound: rec.generator.bound ? rec.generator.reasons.join('; ') : '',
        });
      } catch {
        resolve({ mode, code, verdict: 'crashed', fired: [], bound: '' });
      }
    });
  });
}

const settings = burnerWhen === 'both' ? [false, true] : [burnerWhen === 'on'];
const results = [];
for (const burner of settings) {
  const b = burner ? await startBurner() : undefined;
  try {
    for (let i = 0; i < runs; i++) {
      for (const mode of modes) {
        const r = await runOnce(mode, `${mode}-${burner ? 'burn' : 'quiet'}-${i}`);
        r.burner = burner;
        results.push(r);
        process.stderr.write(
          `${burner ? 'burner' : 'quiet '} ${mode.padEnd(8)} #${i + 1}: ${r.verdict.padEnd(10)} exit ${r.code} index ${r.index} floor ${r.floorMs}ms elevated ${r.elevated} stress p99 ${r.stressP99Ms}ms missing ${r.missing}${r.fired.length ? ` fired: ${r.fired.join('; ')}` : ''}${r.bound ? ` [bound: ${r.bound}]` : ''}\n`,
        );
      }
    }
  } finally {
    b?.kill('SIGKILL');
  }
}

const verdicts = ['none', 'hol', 'disconnect', 'invalid', 'unknown', 'crashed'];
const lines = ['| server | CPU burner | runs | ' + verdicts.join(' | ') + ' |', '|---|---|---|' + verdicts.map(() => '---|').join('')];
for (const burner of settings) {
  for (const mode of modes) {
    const rs = results.filter((r) => r.mode === mode && r.burner === burner);
    lines.push(
      `| ${mode} | ${burner ? 'on' : 'off'} | ${rs.length} | ${verdicts.map((v) => rs.filter((r) => r.verdict === v).length).join(' | ')} |`,
    );
  }
}
process.stdout.write(`${lines.join('\n')}\n`);
if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(results, null, 2)}\n`);
const wrong = results.filter((r) => (r.mode === 'isolated' && r.verdict === 'hol') || (r.mode === 'legacy' && r.verdict === 'none'));
process.stderr.write(wrong.length ? `${wrong.length} WRONG verdict(s)\n` : 'no wrong verdict\n');
process.exitCode = wrong.length ? 1 : 0;
