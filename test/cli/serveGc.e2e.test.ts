// `evbench serve` on one CPU runs itself again under node --single-threaded-gc and says so; on more
// it does not. The first process only relays: SIGTERM stops both, and killing it outright does not
// leave the server behind.
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { cliEntry } from '../../src/util/paths.js';

const hasTaskset = ((): boolean => {
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const started: ChildProcess[] = [];
afterAll(() => {
  for (const c of started) c.kill('SIGKILL');
});

/** Starts `evbench serve` (under `prefix`, e.g. taskset) and resolves with its startup line. */
async function serve(prefix: string[]): Promise<{ child: ChildProcess; line: string; stdout: () => string; exit: Promise<number | null> }> {
  const argv = [...prefix, process.execPath, cliEntry, 'serve', '--host', '127.0.0.1', '--port', '0', '--json'];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    }),
  );
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /^evbench serve .*listening on .*$/m.exec(err);
      if (m) resolve(m[0]);
    });
    void exit.then(() => reject(new Error(`serve exited before listening: ${err}`)));
  });
  return { child, line, stdout: () => out, exit };
}

/** The children of `pid` whose command line holds `flag`, from /proc. */
function childrenWith(pid: number, flag: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0').includes(flag)) out.push(Number(name));
    } catch {
      // ended while listed
    }
  }
  return out;
}

const alive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false;
  }
};

async function gone(pid: number, withinMs: number): Promise<boolean> {
  const until = Date.now() + withinMs;
  while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

describe('evbench serve on one CPU', () => {
  it.skipIf(!hasTaskset)('under taskset -c 0: runs under --single-threaded-gc, says so, and SIGTERM stops both processes', async () => {
    const s = await serve(['taskset', '-c', '0']);
    expect(s.line).toMatch(/listening on ws:\/\/127\.0\.0\.1:\d+\/websocket \(--single-threaded-gc: 1 CPU available\)$/);
    const [server] = childrenWith(s.child.pid!, '--single-threaded-gc');
    expect(server).toBeDefined();
    // the --json line comes from the server process too, through the stdout they share
    const until = Date.now() + 10_000;
    while (!s.stdout().includes('\n') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(JSON.parse(s.stdout().split('\n')[0]!)).toMatchObject({ url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+/) });
    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
    expect(await gone(server!, 5000)).toBe(true);
  });

  it.skipIf(!hasTaskset)('its first process killed outright: the server shuts down rather than live on', async () => {
    const s = await serve(['taskset', '-c', '0']);
    const [server] = childrenWith(s.child.pid!, '--single-threaded-gc');
    expect(server).toBeDefined();
    s.child.kill('SIGKILL');
    await s.exit;
    expect(await gone(server!, 15_000)).toBe(true);
  });

  it.skipIf(availableParallelism() < 2)(
    'with more CPUs: one process, the collector as it is, and the startup line says nothing of it',
    async () => {
      const s = await serve([]);
      expect(s.line).toMatch(/listening on ws:\/\/127\.0\.0\.1:\d+\/websocket$/);
      expect(s.line).not.toContain('single-threaded-gc');
      expect(childrenWith(s.child.pid!, '--single-threaded-gc')).toEqual([]);
      s.child.kill('SIGTERM');
      expect(await s.exit).toBe(0);
      expect(existsSync(`/proc/${s.child.pid}/stat`) && alive(s.child.pid!)).toBe(false);
    },
  );
});
