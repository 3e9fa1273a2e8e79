// Measures the runner against each attack of hostileServer.ts: peak RSS (VmHWM, sampled every
// 20 ms) and time to exit. Figures, not pass/fail: it runs only when EVBENCH_MEASURE_DIST names a
// built dist/ folder (this tree's, or another checkout's, to compare), and prints one line per attack
// for docs/reliability.md:
//   EVBENCH_MEASURE_DIST=$PWD/dist npx vitest run test/runner/hostileMeasure.test.ts
import { beforeAll, describe, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fastOnlyScenario, serverStreamFlags } from '../support/serverStream.js';
import { hostileHttpServer, hostileServer } from '../support/hostileServer.js';
import { tempDir } from '../support/tempDir.js';

const dist = process.env.EVBENCH_MEASURE_DIST;
// made only when the figures are wanted: a file whose tests are all skipped runs no hooks, so a folder
// made for it would never be removed
const tmp = dist === undefined ? '' : tempDir('measure');
/** Run records go here, apart from the scenario files. */
const out = join(tmp, 'out');

const scenario = (name: string, clients: number, phaseMs: number): string => fastOnlyScenario(tmp, name, clients, `${phaseMs}ms`);
const generic = serverStreamFlags();

/** Runs the CLI of `dist`; kills it at `limitMs`; `signal` sends SIGTERM `afterMs` after stderr shows a text, `after` resolves, or the start. */
async function measure(
  args: string[],
  limitMs: number,
  signal?: { afterText?: string; after?: Promise<void>; afterMs: number },
): Promise<{ peakMiB: number; exitMs: number; signalToExitMs?: number; code: number | null; killed: boolean; tail: string }> {
  const child = spawn(process.execPath, [join(dist!, 'cli', 'main.js'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const started = Date.now();
  let peakKiB = 0;
  let stderr = '';
  let signalledAt: number | undefined;
  let killed = false;
  const sample = setInterval(() => {
    try {
      const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peakKiB = Math.max(peakKiB, Number(m[1]));
    } catch {
      // gone
    }
  }, 20);
  const sendSignal = (): void => {
    if (signalledAt !== undefined) return;
    signalledAt = Date.now();
    child.kill('SIGTERM');
  };
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (signal?.afterText && stderr.includes(signal.afterText)) setTimeout(sendSignal, signal.afterMs);
  });
  if (signal?.after) void signal.after.then(() => setTimeout(sendSignal, signal.afterMs));
  else if (signal && !signal.afterText) setTimeout(sendSignal, signal.afterMs);
  const limit = setTimeout(() => ((killed = true), child.kill('SIGKILL')), limitMs);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(limit);
  clearInterval(sample);
  const ended = Date.now();
  return {
    peakMiB: peakKiB / 1024,
    exitMs: ended - started,
    signalToExitMs: signalledAt === undefined ? undefined : ended - signalledAt,
    code,
    killed,
    tail: stderr.trim().split('\n').slice(-1)[0]!.slice(0, 160),
  };
}

function report(attack: string, r: Awaited<ReturnType<typeof measure>>): void {
  const exit = r.killed ? `killed at ${(r.exitMs / 1000).toFixed(1)} s` : `exit ${r.code} at ${(r.exitMs / 1000).toFixed(1)} s`;
  const sig = r.signalToExitMs === undefined ? '' : `, ${(r.signalToExitMs / 1000).toFixed(1)} s after SIGTERM`;
  console.info(`MEASURE | ${attack} | peak RSS ${r.peakMiB.toFixed(0)} MiB | ${exit}${sig} | load ${loadavg()[0]!.toFixed(2)} | ${r.tail}`);
}

describe.runIf(dist !== undefined)('the runner under attack (figures for docs/reliability.md)', () => {
  // written when the tests run, not when the file is collected (a skipped file writes nothing)
  let short = '';
  let long = '';
  let memory = '';
  let many = '';
  beforeAll(() => {
    short = scenario('short', 2, 1000);
    long = scenario('long', 2, 30_000);
    memory = scenario('memory', 2, 4000);
    many = scenario('many', 40, 4000);
  });

  it('healthy target, 2 and 40 clients (the reference)', async () => {
    const s = await hostileServer('silence', { faultAfterMs: 1e9 });
    try {
      report('healthy, 2 clients', await measure(['run', memory, '--target', s.url, ...generic, '--out', out], 60_000));
      report('healthy, 40 clients', await measure(['run', many, '--target', s.url, ...generic, '--out', out], 60_000));
    } finally {
      await s.close();
    }
  }, 180_000);

  it.each(['endless-401-body', 'endless-101-headers'] as const)(
    '%s on every handshake, probe included',
    async (fault) => {
      const s = await hostileServer(fault);
      try {
        report(`${fault} (probe)`, await measure(['run', short, '--target', s.url, ...generic, '--out', out], 60_000));
      } finally {
        await s.close();
      }
    },
    90_000,
  );

  it.each(['endless-401-body', 'endless-101-headers'] as const)(
    'SIGTERM 1 s after the probe met %s',
    async (fault) => {
      const s = await hostileServer(fault);
      try {
        const probed = new Promise<void>((resolve) => {
          const poll = setInterval(() => s.offeredExtensions().length > 0 && (clearInterval(poll), resolve()), 20);
        });
        report(
          `${fault} (probe), SIGTERM 1 s into it`,
          await measure(['run', short, '--target', s.url, ...generic, '--out', out], 30_000, { afterMs: 1000, after: probed }),
        );
      } finally {
        await s.close();
      }
    },
    60_000,
  );

  it('endless-101-headers on every client (probe spared), SIGTERM 2 s into the run', async () => {
    const s = await hostileServer('endless-101-headers', { spareFirst: true });
    try {
      report(
        'endless-101-headers (clients), SIGTERM mid-run',
        await measure(['run', long, '--target', s.url, ...generic, '--out', out], 60_000, { afterText: 'run started', afterMs: 2000 }),
      );
    } finally {
      await s.close();
    }
  }, 90_000);

  it.each(['endless-metrics', 'gzip-bomb-metrics'] as const)(
    '%s',
    async (fault) => {
      const s = await hostileServer('silence', { faultAfterMs: 1e9 });
      const m = await hostileHttpServer(fault);
      try {
        report(fault, await measure(['run', memory, '--target', s.url, ...generic, '--metrics-url', m.url, '--out', out], 60_000));
      } finally {
        await m.close();
        await s.close();
      }
    },
    90_000,
  );

  it('endless SSE data line', async () => {
    const m = await hostileHttpServer('endless-sse-line');
    try {
      report('endless-sse-line', await measure(['run', memory, '--target', m.url, ...serverStreamFlags('sse'), '--out', out], 60_000));
    } finally {
      await m.close();
    }
  }, 90_000);

  it('endless fragments on 40 clients', async () => {
    const s = await hostileServer('endless-fragments', { faultAfterMs: 1500 });
    try {
      report('endless-fragments, 40 clients', await measure(['run', many, '--target', s.url, ...generic, '--out', out], 60_000));
    } finally {
      await s.close();
    }
  }, 90_000);
});
