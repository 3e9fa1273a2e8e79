// A process tree as Linux's /proc shows it: which processes belong to a server evbench started (its
// descendants and its process group), what CPU they have used and what memory they hold, and whether
// any of them is still alive. Every reader returns "unknown" (undefined) rather than throwing: a
// process may end between listing /proc and reading its files, and /proc may not exist at all.
import { readdirSync, readFileSync } from 'node:fs';

/**
 * The unit of the times in /proc/PID/stat (USER_HZ, what `getconf CLK_TCK` prints): 100 on every
 * Linux architecture node runs on, whatever the kernel's own tick rate.
 */
export const CLOCK_TICKS_PER_SECOND = 100;

export interface ProcStat {
  pid: number;
  ppid: number;
  /** The process group. */
  pgrp: number;
  /** R, S, D, Z (a zombie: exited, not yet reaped), T, … */
  state: string;
  /** utime + stime of the process and of its children it has waited for (cutime + cstime), in seconds. */
  cpuSeconds: number;
}

/** One /proc/PID/stat line; the command name sits in parentheses and may hold spaces and parentheses itself. */
export function parseStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number(text.slice(0, text.indexOf(' ')));
  // fields from the state (field 3) on; utime, stime, cutime, cstime are fields 14 to 17
  const f = text.slice(close + 2).split(' ');
  const ticks = [11, 12, 13, 14].reduce((a, i) => a + Number(f[i]), 0);
  const stat = { pid, ppid: Number(f[1]), pgrp: Number(f[2]), state: f[0] ?? '?', cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND };
  return Number.isInteger(pid) && Number.isFinite(stat.cpuSeconds) && Number.isInteger(stat.pgrp) ? stat : undefined;
}

function readStat(pid: string): ProcStat | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return undefined; // ended since /proc was listed
  }
}

/** Every process on the machine, or undefined where /proc cannot be read. */
export function allProcesses(): ProcStat[] | undefined {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const out: ProcStat[] = [];
  for (const name of names) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const s = readStat(name);
    if (s) out.push(s);
  }
  return out;
}

/**
 * The processes started from `root`: itself, its descendants, and every member of its process group
 * (a child the root's shell left behind is reparented, but stays in the group).
 */
export function processTree(root: number, all: ProcStat[]): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  for (const p of all) {
    const siblings = children.get(p.ppid);
    if (siblings) siblings.push(p);
    else children.set(p.ppid, [p]);
  }
  const seen = new Map<number, ProcStat>();
  const stack = all.filter((p) => p.pid === root || p.pgrp === root);
  while (stack.length > 0) {
    const p = stack.pop()!;
    if (seen.has(p.pid)) continue;
    seen.set(p.pid, p);
    stack.push(...(children.get(p.pid) ?? []));
  }
  return [...seen.values()];
}

/** Resident memory of a process in bytes (VmRSS), or 0 when it has none or has ended. */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface TreeUsage {
  /** CPU seconds used so far by the live members and the children they reaped. */
  cpuSeconds: number;
  rssBytes: number;
  /** Live (not zombie) members. */
  processes: number;
}

/** Whether this kernel lists each task's children (/proc/PID/task/TID/children, CONFIG_PROC_CHILDREN). */
const childrenFiles = ((): boolean => {
  try {
    readFileSync(`/proc/self/task/${process.pid}/children`);
    return true;
  } catch {
    return false;
  }
})();

/** The children of every thread of `pid`. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1').split(' ')) if (c !== '') out.push(Number(c));
    } catch {
      // the thread ended
    }
  }
  return out;
}

/**
 * A live root and its descendants, found through their children files: a few small reads, where
 * listing /proc reads one file per process on the machine (tens of milliseconds on a busy one).
 */
function descendants(root: number): ProcStat[] | undefined {
  const top = readStat(String(root));
  if (!top || top.state === 'Z') return undefined;
  const out = [top];
  const seen = new Set([root]);
  const stack = [root];
  while (stack.length > 0) {
    for (const child of childrenOf(stack.pop()!)) {
      if (seen.has(child)) continue;
      seen.add(child);
      const s = readStat(String(child));
      if (!s) continue;
      out.push(s);
      stack.push(child);
    }
  }
  return out;
}

/**
 * What the tree started from `root` uses now, or undefined when /proc cannot be read. While the
 * root lives, its descendants; once it is gone (a shell that left its server running in the
 * background), whatever of its process group is left, from a listing of every process.
 */
export function treeUsage(root: number): TreeUsage | undefined {
  let members = childrenFiles ? descendants(root) : undefined;
  if (!members) {
    const all = allProcesses();
    if (!all) return undefined;
    members = processTree(root, all);
  }
  let cpuSeconds = 0;
  let rss = 0;
  let processes = 0;
  for (const p of members) {
    cpuSeconds += p.cpuSeconds;
    if (p.state === 'Z') continue;
    processes++;
    rss += rssBytes(p.pid);
  }
  return { cpuSeconds, rssBytes: rss, processes };
}

/**
 * Whether any process of group `pgid` is alive: a zombie does not count (its parent, or init, has
 * yet to reap it; it runs nothing and holds no port). Without /proc, whether the group can be signalled.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    // no process at all, zombies included: no need to list /proc
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const all = allProcesses();
  return all ? all.some((p) => p.pgrp === pgid && p.state !== 'Z') : true;
}
