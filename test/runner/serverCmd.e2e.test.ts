// `run --server-cmd`: evbench starts the server under test, samples its process tree's CPU and memory
// into the record, and stops its whole process group — after the run, on SIGTERM, on a failed start —
// through the real CLI, against a real server process (test/support/fixtures/hoardingServer.mjs).
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { killAll, runCli, startCli } from '../support/cli.js';
import { record } from '../support/runOutcome.js';
import { packageRoot } from '../../src/util/paths.js';
import { tinyStallScenario } from '../support/tinyStallScenario.js';
import { tempDir } from '../support/tempDir.js';

afterAll(killAll);
const tmp = tempDir('server-cmd');
const hoarder = join(packageRoot, 'test', 'support', 'fixtures', 'hoardingServer.mjs');

const scenario = join(tmp, 'hoard.json');
writeFileSync(scenario, JSON.stringify(tinyStallScenario('hoard', { fast: 2, payloadBytes: 200, baseline: '2s', stress: '2s' })));

/** A port nothing listens on now (the kernel's pick, released at once). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The live (not zombie) processes of group `pgid`, read from /proc independently of the code under test. */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') out.push(Number(name));
    } catch {
      // ended while listed
    }
  }
  return out;
}

const target = (port: number, host = '127.0.0.1'): string[] => [
  '--target',
  `ws://${host}:${port}/`,
  '--adapter',
  'generic',
  '--publish',
  'server',
  '--id-field',
  'id',
  '--time-field',
  'ts',
  '--time-unit',
  'ms',
];
const MiB = 1024 * 1024;

describe('run --server-cmd', () => {
  it('starts the server, records its CPU and memory per phase (the stalled client shows), and stops its whole group', async () => {
    const port = await freePort();
    const out = join(tmp, 'full');
    // a background process in the same group: it must be stopped with the server
    const cmd = `sleep 120 & exec node ${hoarder} ${port}`;
    const r = await runCli(['run', scenario, ...target(port), '--server-cmd', cmd, '--out', out, '--json', '--report', 'md'], 90_000);
    expect([0, 1, 4, 5], r.stderr).toContain(r.code);
    const rec = record(r);
    const p = rec.serverProcess!;
    expect(p.command).toBe('node');
    expect(JSON.stringify(rec)).not.toContain(hoarder); // the command's arguments are not kept
    // one a second over ~5 s of phases, plus one at each phase's bounds
    expect(p.samples.length).toBeGreaterThanOrEqual(6);
    expect(p.samples.some((s) => s.tUs < 0)).toBe(true);
    expect(p.samples.at(-1)!.cpuSeconds).toBeGreaterThan(0);
    expect(p.samples.every((s, i) => i === 0 || s.cpuSeconds >= p.samples[i - 1]!.cpuSeconds)).toBe(true);
    expect(p.samples.slice(1).some((s) => s.cpuPct !== null && s.cpuPct > 0)).toBe(true);
    expect(p.samples.some((s) => s.processes === 2)).toBe(true); // the server and the sleep
    const phase = (name: string) => p.phases.find((x) => x.phase === name)!;
    const baseline = phase('baseline');
    const stress = phase('stress');
    expect(baseline.cpuSeconds).not.toBeNull();
    // the hoarder takes 4 MiB every 100 ms once the stalled reader leaves a ping unanswered for 500 ms
    expect(stress.rssPeakBytes! - stress.rssStartBytes!).toBeGreaterThan(16 * MiB);
    expect(stress.rssPeakBytes! - baseline.rssPeakBytes!).toBeGreaterThan(16 * MiB);
    expect(baseline.rssPeakBytes! - baseline.rssStartBytes!).toBeLessThan(16 * MiB);
    expect(p.peakRssBytes).toBeGreaterThanOrEqual(stress.rssPeakBytes!);
    // said in the summary and the Markdown report
    expect(r.stderr).toMatch(
      /Server process \(node, pid \d+, \d+ samples of its process tree\): peak RSS [\d.]+MiB; .*stress: CPU [\d.]+ s \([\d.]+% of one core\), RSS grew [\d.]+MiB → [\d.]+MiB/,
    );
    const md = readFileSync(join(out, 'hoard.generic.md'), 'utf8');
    expect(md).toMatch(/RSS grew [\d.]+MiB → [\d.]+MiB/);
    // the server's output went to the log beside the record
    expect(readFileSync(join(out, 'hoard.generic.server.log'), 'utf8')).toContain(`hoarding server on ws://127.0.0.1:${port}/`);
    expect(groupMembers(p.pid)).toEqual([]);
  }, 100_000);

  it('SIGTERM to evbench mid-run: the partial record is written and the group is gone, a server ignoring SIGTERM included', async () => {
    const port = await freePort();
    const run = startCli(
      ['run', scenario, ...target(port), '--server-cmd', `sleep 120 & exec node ${hoarder} ${port} stubborn`, '--out', tmp, '--json', '-v'],
      90_000,
    );
    // SIGTERM once the run's clock has run a second (before it, nothing is measured and nothing recorded)
    await run.waitForStderr('its clock starts at');
    const t0 = Date.parse(/its clock starts at (\S+Z)/.exec(run.stderr())![1]!);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, t0 + 1000 - Date.now())));
    run.child.kill('SIGTERM');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(143);
    const m = /server: started node \(pid (\d+)/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    const group = Number(m![1]);
    expect(record(r).serverProcess?.pid).toBe(group);
    expect(record(r).partial).toBe(true);
    expect(groupMembers(group)).toEqual([]);
  }, 100_000);

  it('a command that exits at once: exit 3, its exit code and its last output', async () => {
    const port = await freePort();
    const r = await runCli(
      ['run', scenario, ...target(port), '--server-cmd', 'echo "cannot bind: no config" >&2; exit 7', '--out', tmp],
      30_000,
    );
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(
      /^evbench: --server-cmd: echo exited with code 7 before 127\.0\.0\.1:\d+ accepted connections; its last output: cannot bind: no config \(log: .*hoard\.generic\.server\.log\)$/,
    );
    expect(r.stderr).not.toContain('run started');
  });

  it('a server that never listens: exit 3 after --server-wait, and what it started is stopped', async () => {
    const port = await freePort();
    const started = Date.now();
    const r = await runCli(['run', scenario, ...target(port), '--server-cmd', 'sleep 60', '--server-wait', '1s', '--out', tmp], 30_000);
    expect(r.code, r.stderr).toBe(3);
    expect(Date.now() - started).toBeLessThan(20_000);
    const m = /--server-cmd: sleep \(pid (\d+)\) did not accept connections on 127\.0\.0\.1:\d+ within 1 s \(--server-wait\)/.exec(
      r.stderr,
    );
    expect(m, r.stderr).not.toBeNull();
    expect(groupMembers(Number(m![1]))).toEqual([]);
  });

  it('SIGTERM while waiting for the port: exit 143 at once, and the command is stopped', async () => {
    const port = await freePort();
    const run = startCli(['run', scenario, ...target(port), '--server-cmd', 'sleep 60', '--out', tmp, '-v'], 30_000);
    await run.waitForStderr('waiting for');
    const started = Date.now();
    run.child.kill('SIGTERM');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(143);
    expect(Date.now() - started).toBeLessThan(10_000);
    const m = /server: started sleep \(pid (\d+)/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    expect(groupMembers(Number(m![1]))).toEqual([]);
  });

  it('takes the command from EVBENCH_SERVER_CMD too', async () => {
    const port = await freePort();
    const r = await runCli(['run', scenario, ...target(port), '--out', tmp], 30_000, { EVBENCH_SERVER_CMD: "sh -c 'exit 9'" });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(
      /^evbench: EVBENCH_SERVER_CMD \(--server-cmd\): sh exited with code 9 before 127\.0\.0\.1:\d+ accepted connections/m,
    );
  });

  it('refuses a target on another machine (exit 2) and a port already taken (exit 2), starting nothing', async () => {
    const marker = join(tmp, 'ran');
    const remote = await runCli(['run', scenario, ...target(9, '192.0.2.1'), '--server-cmd', `touch ${marker}`, '--out', tmp], 30_000);
    expect(remote.code, remote.stderr).toBe(2);
    expect(remote.stderr).toMatch(/--server-cmd: --target must be on this machine \(127\.0\.0\.1, ::1 or localhost\)/);
    let taken: Server | undefined;
    try {
      taken = createServer().listen(0, '127.0.0.1');
      await new Promise((resolve) => taken!.once('listening', resolve));
      const port = (taken.address() as { port: number }).port;
      const busy = await runCli(['run', scenario, ...target(port), '--server-cmd', `touch ${marker}`, '--out', tmp], 30_000);
      expect(busy.code, busy.stderr).toBe(2);
      expect(busy.stderr).toMatch(/already accepts connections before touch started/);
    } finally {
      taken?.close();
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('--server-wait without --server-cmd is a usage error', async () => {
    const r = await runCli(['run', scenario, '--server-wait', '5s'], 20_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--server-wait: only with --server-cmd');
  });
});
