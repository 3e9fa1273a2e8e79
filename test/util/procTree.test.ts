// Reading a process tree from /proc: the stat line's awkward command names, which processes belong
// to a tree (descendants and the process group, a reparented one included), and real readings of
// this process and of a group that lives and then does not.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { allProcesses, groupAlive, parseStat, processTree, rssBytes, treeUsage, type ProcStat } from '../../src/util/procTree.js';

const line = (pid: number, comm: string, rest: string): string => `${pid} (${comm}) ${rest}`;
// state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime …
const REST = 'S 1 40 40 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 1 0 100 1000000 300';

describe('parseStat', () => {
  it('reads state, parents and CPU (user + system + reaped children) in seconds', () => {
    expect(parseStat(line(42, 'node', REST))).toEqual({ pid: 42, ppid: 1, pgrp: 40, state: 'S', cpuSeconds: 3.1 });
  });

  it('a command name with spaces and parentheses does not shift the fields', () => {
    expect(parseStat(line(43, 'my (weird) srv) x', REST))).toMatchObject({ pid: 43, ppid: 1, pgrp: 40, cpuSeconds: 3.1 });
  });

  it('a line that is not a stat line is unknown, not zeros', () => {
    expect(parseStat('garbage')).toBeUndefined();
    expect(parseStat('12 (x) S 1')).toBeUndefined();
  });
});

describe('processTree', () => {
  const p = (pid: number, ppid: number, pgrp: number, state = 'S'): ProcStat => ({ pid, ppid, pgrp, state, cpuSeconds: 0 });
  const all = [
    p(1, 0, 1),
    p(100, 1, 100), // the shell, leader of its group
    p(101, 100, 100), // its child
    p(102, 101, 7), // a grandchild that moved to a group of its own: still a descendant
    p(103, 1, 100), // reparented to init, still in the group
    p(200, 1, 200), // unrelated
    p(201, 200, 200),
  ];

  it('takes the root, its descendants and its group; nothing else', () => {
    expect(
      processTree(100, all)
        .map((x) => x.pid)
        .sort(),
    ).toEqual([100, 101, 102, 103]);
    expect(processTree(999, all)).toEqual([]);
  });
});

describe('on this machine', () => {
  it('reads this process: CPU used, memory held, and it is in the list', () => {
    const all = allProcesses();
    expect(all?.some((x) => x.pid === process.pid)).toBe(true);
    const usage = treeUsage(process.pid)!;
    expect(usage.cpuSeconds).toBeGreaterThan(0);
    expect(usage.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(usage.processes).toBeGreaterThanOrEqual(1);
    expect(rssBytes(process.pid)).toBeGreaterThan(0);
  });

  it('a group is alive while one of its processes runs, and not once it ended', async () => {
    const child = spawn('/bin/sh', ['-c', 'sleep 30 & wait'], { detached: true, stdio: 'ignore' });
    const pgid = child.pid!;
    try {
      const until = Date.now() + 5000;
      while (treeUsage(pgid)!.processes < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(treeUsage(pgid)!.processes).toBe(2); // the shell and its sleep
      expect(groupAlive(pgid)).toBe(true);
    } finally {
      process.kill(-pgid, 'SIGKILL');
    }
    const until = Date.now() + 5000;
    while (groupAlive(pgid) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(groupAlive(pgid)).toBe(false);
    expect(treeUsage(pgid)!.processes).toBe(0);
  });

  it('a shell that left its server running in the background: the group member is still counted', async () => {
    const child = spawn('/bin/sh', ['-c', 'sleep 30 & exit 0'], { detached: true, stdio: 'ignore' });
    const pgid = child.pid!;
    try {
      await new Promise((r) => child.once('exit', r));
      const usage = treeUsage(pgid)!;
      expect(usage.processes).toBe(1); // the sleep, reparented, in the shell's group
      expect(usage.rssBytes).toBeGreaterThan(0);
      expect(groupAlive(pgid)).toBe(true);
    } finally {
      process.kill(-pgid, 'SIGKILL');
    }
  });
});
