// Pinning (issue 15): every server contender runs on one core and the load generator (this process,
// its worker threads and the child processes it starts) on another, so a ratio compares one core of
// server with one core of server, and neither side steals the other's CPU. `taskset` (util-linux)
// sets the affinity of every thread of a process (`-a`); threads created later inherit it from the
// thread that creates them. Go contenders also get GOMAXPROCS=1, and evbench servers node's
// --single-threaded-gc (contenders.ts): each runtime is told it has one core. Unpinned mode
// (`--unpinned`) leaves the scheduler free, for comparison with the history in BENCHMARKS.md.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface Pinning {
  /** Whether contenders and generator are pinned. */
  enabled: boolean;
  /** The core of every server contender (and of the physical-limit writer). */
  serverCpu?: number;
  /** The core of the load generator: this process, its threads and its children. */
  generatorCpu?: number;
  /** The CPUs this process could use before pinning (restored at the end). */
  allowed: number[];
  /** Why pinning is off (asked for, or not possible here). */
  reason?: string;
}

let current: Pinning = { enabled: false, allowed: [], reason: 'not set up' };

/** The pinning in force for this run (contenders.ts reads it when it starts a server). */
export function currentPinning(): Pinning {
  return current;
}

/** Parses a CPU list such as "0-1,4,6-7". */
export function parseCpuList(list: string): number[] {
  const out: number[] = [];
  for (const part of list.trim().split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map(Number);
    if (!Number.isInteger(a)) continue;
    for (let c = a!; c <= (Number.isInteger(b) ? b! : a!); c++) out.push(c);
  }
  return out;
}

/** The CPUs a thread (`/proc/<pid>/task/<tid>`) or process may run on; [] where /proc cannot say. */
export function allowedCpus(pid: number | 'self', tid?: number): number[] {
  try {
    const path = tid === undefined ? `/proc/${pid}/status` : `/proc/${pid}/task/${tid}/status`;
    const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(path, 'utf8'));
    return m ? parseCpuList(m[1]!) : [];
  } catch {
    return [];
  }
}

/** The affinity of every thread of `pid`, as distinct CPU lists (one entry when all threads agree). */
export function threadAffinities(pid: number): string[] {
  const lists = new Set<string>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  for (const tid of tids) {
    const cpus = allowedCpus(pid, Number(tid));
    if (cpus.length) lists.add(cpus.join(','));
  }
  return [...lists];
}

export function tasksetAvailable(): boolean {
  const r = spawnSync('taskset', ['--version'], { encoding: 'utf8' });
  return !r.error && r.status === 0;
}

/** Sets the affinity of every thread of `pid` to `cpus`; throws with taskset's message when it fails. */
export function setAffinity(pid: number, cpus: number[]): void {
  const r = spawnSync('taskset', ['-a', '-p', '-c', cpus.join(','), String(pid)], { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    throw new Error(`taskset -a -p -c ${cpus.join(',')} ${pid} failed: ${(r.stderr || r.error?.message || '').trim()}`);
  const after = threadAffinities(pid);
  // a thread that ended meanwhile is fine; a thread left elsewhere is not
  if (after.length > 0 && (after.length !== 1 || after[0] !== cpus.join(',')))
    throw new Error(`pid ${pid}: threads not all on CPU ${cpus.join(',')} after taskset (${after.join(' | ')})`);
}

/**
 * Decides the pinning for a run: the first allowed CPU for the servers, the second for the
 * generator. Off when asked (`unpinned`), or when taskset or a second CPU is missing (said in `reason`).
 */
export function planPinning(unpinned: boolean): Pinning {
  const allowed = allowedCpus('self');
  if (unpinned) return { enabled: false, allowed, reason: '--unpinned: the scheduler places every process' };
  if (!tasksetAvailable()) return { enabled: false, allowed, reason: 'taskset (util-linux) not found: running unpinned' };
  if (allowed.length < 2)
    return { enabled: false, allowed, reason: `only ${allowed.length} CPU allowed: cannot give server and generator a core each` };
  return { enabled: true, serverCpu: allowed[0]!, generatorCpu: allowed[1]!, allowed };
}

/** Puts the plan in force: pins this process (the generator) to its core. */
export function applyPinning(plan: Pinning): void {
  current = plan;
  if (plan.enabled) setAffinity(process.pid, [plan.generatorCpu!]);
}

/** Gives this process back the CPUs it had, and turns pinning off for later starts. */
export function releasePinning(): void {
  const was = current;
  current = { enabled: false, allowed: was.allowed, reason: 'released' };
  if (was.enabled && was.allowed.length) {
    try {
      setAffinity(process.pid, was.allowed);
    } catch {
      // best effort: the process is ending or a thread went away meanwhile
    }
  }
}

/** Pins a server contender's process to the server core (no-op when unpinned). */
export function pinServer(pid: number): void {
  if (current.enabled) setAffinity(pid, [current.serverCpu!]);
}

/** One line for the output and the JSON: what runs where. */
export function describePinning(p: Pinning): string {
  if (!p.enabled) return `unpinned (${p.reason ?? 'no reason given'}); CPUs ${p.allowed.join(',') || '?'} shared by everything`;
  return (
    `pinned with taskset: every server contender on CPU ${p.serverCpu} (Go with GOMAXPROCS=1, evbench with node --single-threaded-gc), ` +
    `the load generator (this process, its threads and children) on CPU ${p.generatorCpu}`
  );
}
